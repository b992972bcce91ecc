"""Deterministic, model-free segmentation: foreground objects, colour clusters, mask prompts.

**Foreground rule.** The image is reduced to at most `ANALYSIS_SIDE` pixels a side and converted to CIELAB.
The colours of its outer border are clustered (k-means, k <= 8, deterministic start); a pixel is foreground
when its distance to the nearest border colour exceeds `MIN_CONTRAST`. After a small
opening and closing, connected components smaller than `MIN_AREA` of the image are dropped.

**"Selects nothing".** A mask prompt selects nothing, and `MaskPromptError` is raised, when no foreground
component survives: for example a uniform image, a smooth gradient, or a subject touching less than 0.5% of
the image. Prompts naming the background (`background`, `backdrop`, `sky`, `surroundings`, `wall`) select
everything that is not foreground. A prompt naming a colour (`red`, `blue`, ...) picks the foreground
component closest to that colour; otherwise the largest component is selected.

No OpenCV routine that draws on OpenCV's global RNG (k-means++ seeding, GrabCut) is used, so results do not
depend on call history.
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

ANALYSIS_SIDE = 384
MIN_CONTRAST = 28.0  # CIELAB distance (8-bit units) a foreground pixel must reach from every border colour
MIN_AREA = 0.005  # share of the image a foreground component must cover
_BORDER = 3  # pixels of border ring sampled at analysis size
# Enough border colours that a gradient background is covered by its own border (max gap < MIN_CONTRAST).
_BORDER_COLOURS = 8
_BACKGROUND_WORDS = frozenset({"background", "backdrop", "sky", "surroundings", "wall", "backgrounds"})


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


def _lab(pixels: Pixels) -> npt.NDArray[np.float32]:
    return np.asarray(cv2.cvtColor(pixels, cv2.COLOR_RGB2LAB), dtype=np.float32)


def background_distance(small: Pixels) -> npt.NDArray[np.float32]:
    """Per pixel, the CIELAB distance to the nearest colour of the image border."""
    lab = _lab(small)
    ring = np.concatenate(
        [
            lab[:_BORDER].reshape(-1, 3),
            lab[-_BORDER:].reshape(-1, 3),
            lab[:, :_BORDER].reshape(-1, 3),
            lab[:, -_BORDER:].reshape(-1, 3),
        ]
    )
    centres, _ = kmeans(ring, _BORDER_COLOURS)
    nearest = squared_distances(lab.reshape(-1, 3), centres).min(axis=0)
    return np.asarray(np.sqrt(nearest).reshape(lab.shape[:2]), dtype=np.float32)


def _components(binary: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.int32], list[int]]:
    """Labels and the ids of components large enough to count, largest first."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    minimum = MIN_AREA * binary.size
    ids = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= minimum]
    ids.sort(key=lambda i: (-int(stats[i, cv2.CC_STAT_AREA]), i))
    return np.asarray(labels, dtype=np.int32), ids


def foreground_components(small: Pixels) -> tuple[npt.NDArray[np.int32], list[int]]:
    """Foreground component labels at analysis size and the ids that count (largest first)."""
    distance = background_distance(small)
    # A fixed threshold (not Otsu): Otsu splits multi-coloured subjects, dropping e.g. a face from a figure.
    binary = (distance > MIN_CONTRAST).astype(np.uint8)
    # Opening drops specks of noise; closing mends small gaps where the object matches the background.
    opened = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    closed = cv2.morphologyEx(opened, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    return _components(np.asarray(closed, dtype=np.uint8))


def _member(labels: npt.NDArray[np.int32], ids: list[int]) -> BoolMask:
    """labels in ids, by table lookup (np.isin sorts, which is slower here)."""
    table = np.zeros(int(labels.max()) + 1, dtype=bool)
    table[ids] = True
    return np.asarray(table[labels])


def enlarge(mask: BoolMask, shape: tuple[int, int]) -> BoolMask:
    """Bring an analysis-size mask back to full size with smooth (not blocky) edges."""
    if mask.shape == shape:
        return mask
    up = cv2.resize(mask.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.asarray(up >= 0.5)


def foreground_small(pixels: Pixels) -> BoolMask | None:
    """Every counted foreground component at analysis size, or None when there is none."""
    labels, ids = foreground_components(shrink(pixels))
    if not ids:
        return None
    return _member(labels, ids)


def foreground(pixels: Pixels) -> BoolMask | None:
    """Full-size foreground mask, or None when the image has no foreground by the module's rule."""
    small = foreground_small(pixels)
    return None if small is None else enlarge(small, pixels.shape[:2])


def matte(pixels: Pixels) -> npt.NDArray[np.uint8]:
    """A soft alpha matte: 0 on background, 255 on foreground, graded over a few pixels at the edge."""
    small = foreground_small(pixels)
    h, w = pixels.shape[:2]
    if small is None:
        return np.zeros((h, w), dtype=np.uint8)
    soft = cv2.GaussianBlur(small.astype(np.float32), (0, 0), 0.6)
    up = cv2.resize(soft, (w, h), interpolation=cv2.INTER_LINEAR)
    # Stretch the ramp so only a thin band is graded and the interior is exactly 0 or 255.
    alpha = np.clip((up - 0.5) * 1.6 + 0.5, 0.0, 1.0)
    return np.asarray(np.rint(alpha * 255.0), dtype=np.uint8)


def _colour_word(prompt: str) -> tuple[float, float, float] | None:
    for word in re.findall(r"[a-z]+", prompt.lower()):
        if word in COLOUR_WORDS:
            return hsv_to_rgb(*COLOUR_WORDS[word])
    return None


def select_region(pixels: Pixels, prompt: str) -> BoolMask:
    """The full-size region a mask prompt names, by the module's rule; raises MaskPromptError if none."""
    small = shrink(pixels)
    labels, ids = foreground_components(small)
    words = set(re.findall(r"[a-z]+", prompt.lower()))
    if words & _BACKGROUND_WORDS:
        chosen = ~_member(labels, ids)
        if not chosen.any():
            raise MaskPromptError(prompt)
        return enlarge(chosen, pixels.shape[:2])
    if not ids:
        raise MaskPromptError(prompt)
    target = _colour_word(prompt)
    pick = ids[0]
    if target is not None and len(ids) > 1:
        means = [small[labels == i].mean(axis=0) for i in ids]
        pick = ids[int(np.argmin([np.sum((m - np.asarray(target)) ** 2) for m in means]))]
    return enlarge(labels == pick, pixels.shape[:2])
