"""Colour clustering and the mask-prompt rule.

**Mask-prompt rule** (`select_region`). The subject comes from the one segmenter (`subject.subject_of`).

* A prompt containing a background word (`BACKGROUND_WORDS`: "background", "sky", "wall", "floor", ...)
  selects everything that is not the subject.
* Any other prompt names the subject and selects it. When the subject falls apart into several pieces
  (components of at least `MIN_PIECE` of the frame) and the prompt names a colour ("the red one"), the piece
  whose mean colour is nearest to that colour is selected instead.
* A picture with no subject (flat or near-flat, see `subject`) selects nothing, and `MaskPromptError` is
  raised, for either kind of prompt: there is nothing to tell subject from background.

The rule is a pure function of the picture and the prompt's words (lower-cased, letters only).

**Clustering.** `kmeans` never draws on OpenCV's global RNG (k-means++ seeding), so results do not depend on
call history.
"""

from __future__ import annotations

import re

import cv2
import numpy as np
import numpy.typing as npt

from validator.types import Pixels

from .errors import MaskPromptError
from .layout import BoolMask
from .look import COLOUR_WORDS, hsv_to_rgb
from .subject import subject_of

ANALYSIS_SIDE = 384  # working size of colour analyses
MIN_PIECE = 0.005  # share of the frame a piece of the subject must cover to be chosen by colour
BACKGROUND_WORDS = frozenset(
    {
        "background",
        "backgrounds",
        "backdrop",
        "surroundings",
        "scenery",
        "setting",
        "environment",
        "sky",
        "skies",
        "wall",
        "walls",
        "floor",
        "floors",
        "ground",
        "ceiling",
        "room",
        "landscape",
    }
)


def shrink(pixels: Pixels, side: int = ANALYSIS_SIDE) -> Pixels:
    """Downscale (area averaging) so the longer side is at most `side`."""
    h, w = pixels.shape[:2]
    factor = max(h, w) / side
    if factor <= 1.0:
        return pixels
    size = (max(1, round(w / factor)), max(1, round(h / factor)))
    return np.asarray(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


_FIT_POINTS = 8192  # k-means fits its centres on at most this many (evenly strided) points


def squared_distances(
    points: npt.NDArray[np.float32], centres: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """(k, N) squared distances, written out per channel.

    Element-wise arithmetic rounds the same way on every CPU; a BLAS matrix product (the usual trick) picks
    kernels by CPU and could flip near-ties, which would break byte-identical output across machines.
    """
    out = np.empty((len(centres), len(points)), dtype=np.float32)
    for j, centre in enumerate(centres):
        acc = np.zeros(len(points), dtype=np.float32)
        for c in range(points.shape[1]):
            diff = points[:, c] - centre[c]
            acc += diff * diff
        out[j] = acc
    return out


def kmeans(
    points: npt.NDArray[np.float32], k: int, iterations: int = 8
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.intp]]:
    """Plain Lloyd k-means with a deterministic farthest-point start (no RNG, independent of call history).

    The start is the median-brightness point, then repeatedly the point farthest from every centre so far,
    so that small but distinct colours (a red disc on a large pale ground) get a centre of their own.
    Centres are fitted on an evenly strided subset; every point is then labelled once. Sums go through
    `np.bincount`, which adds in a fixed order.
    """
    points = np.ascontiguousarray(points, dtype=np.float32)
    k = max(1, min(k, len(points)))
    sample = points[:: max(1, len(points) // _FIT_POINTS)]
    order = np.argsort(sample.sum(axis=1), kind="stable")
    chosen = [int(order[len(order) // 2])]
    nearest = squared_distances(sample, sample[chosen[0] : chosen[0] + 1])[0]
    for _ in range(1, k):
        chosen.append(int(np.argmax(nearest)))
        nearest = np.minimum(nearest, squared_distances(sample, sample[chosen[-1] : chosen[-1] + 1])[0])
    centres = sample[chosen].astype(np.float32)
    for _ in range(iterations):
        labels = squared_distances(sample, centres).argmin(axis=0)
        counts = np.bincount(labels, minlength=k)
        for c in range(points.shape[1]):
            sums = np.bincount(labels, weights=sample[:, c], minlength=k)
            centres[:, c] = np.where(counts > 0, sums / np.maximum(counts, 1), centres[:, c])
    return centres, squared_distances(points, centres).argmin(axis=0)


def main_colours(pixels: Pixels, count: int) -> npt.NDArray[np.uint8]:
    """The main colours of an image (k-means over a 64-pixel thumbnail), as RGB rows."""
    thumb = shrink(pixels, 64).reshape(-1, 3).astype(np.float32)
    centres, _ = kmeans(thumb, count)
    return np.clip(np.rint(centres), 0, 255).astype(np.uint8)


def _colour_word(prompt: str) -> tuple[float, float, float] | None:
    for word in re.findall(r"[a-z]+", prompt.lower()):
        if word in COLOUR_WORDS:
            return hsv_to_rgb(*COLOUR_WORDS[word])
    return None


def _pieces(mask: BoolMask) -> tuple[npt.NDArray[np.int32], list[int]]:
    """Component labels of the subject and the ids large enough to count, largest first."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    minimum = MIN_PIECE * mask.size
    ids = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= minimum]
    ids.sort(key=lambda i: (-int(stats[i, cv2.CC_STAT_AREA]), i))
    return np.asarray(labels, dtype=np.int32), ids


def names_background(prompt: str) -> bool:
    """True when the prompt contains a background word (see the module docstring)."""
    return not BACKGROUND_WORDS.isdisjoint(re.findall(r"[a-z]+", prompt.lower()))


def select_region(pixels: Pixels, prompt: str) -> BoolMask:
    """The full-size region a mask prompt names, by the module's rule; raises MaskPromptError if none."""
    subject = subject_of(pixels)
    if not subject.present:
        raise MaskPromptError(prompt)
    if names_background(prompt):
        return np.asarray(~subject.mask)
    target = _colour_word(prompt)
    if target is None:
        return subject.mask
    labels, ids = _pieces(subject.mask)
    if len(ids) < 2:
        return subject.mask
    means = [pixels[labels == i].mean(axis=0) for i in ids]
    pick = ids[int(np.argmin([np.sum((m - np.asarray(target)) ** 2) for m in means]))]
    return np.asarray(labels == pick)
