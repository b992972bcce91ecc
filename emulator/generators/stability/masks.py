"""Which pixels an editing service changes, and how strongly (docs/CONTRACT.md §S4.5, §S4.6).

A *weight map* is H x W `uint8`: 0 keeps the input pixel exactly, 255 replaces it, levels between blend.

* **Mask image** (Inpaint, Erase): its grey level is the weight. Stability's polarity, the reverse of Nova's:
  white = full strength, black = keep, grey = partial strength. A mask of another size than the image is
  resized to it (bilinear, so its grey levels survive). A mask's own alpha channel is ignored.
* **No mask**: the image's alpha channel is read instead: transparent pixels are edited, opaque ones kept
  (weight = 255 - alpha). An image without alpha and without a mask has nothing to edit: it comes back as
  it was sent.
* **Search prompts** (Search and Replace, Search and Recolor): the region the words select, by the Nova mask
  prompt rule (`..segment.select_region`: the subject, its complement for background words, one coloured
  piece for colour words), at full weight. A picture in which nothing can be selected (no subject) gives an
  empty region, so the image comes back as sent: Stability answers such a search with an image, not an error.
* **grow_mask** N widens the edited area by every pixel within N pixels (Euclidean) of it, with a soft edge:
  a pixel at distance d takes its nearest edited pixel's weight times `1 - d / (N + 1)`, rounded up so the
  whole band is edited; pixels further than N stay exactly as sent.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from validator.stability.types import StabilityImage
from validator.types import Pixels

from ..errors import MaskPromptError
from ..layout import BoolMask
from ..segment import select_region

Weights = npt.NDArray[np.uint8]


def mask_weights(image: StabilityImage, mask: StabilityImage | None) -> Weights:
    """The weight map a mask (or, without one, the image's alpha) gives, at the image's size."""
    h, w = image.pixels.shape[:2]
    if mask is not None:
        grey = np.asarray(cv2.cvtColor(np.ascontiguousarray(mask.pixels), cv2.COLOR_RGB2GRAY), dtype=np.uint8)
        if grey.shape != (h, w):
            grey = np.asarray(cv2.resize(grey, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.uint8)
        return grey
    if image.alpha is not None:
        return np.asarray(255 - image.alpha, dtype=np.uint8)
    return np.zeros((h, w), dtype=np.uint8)


def search_weights(pixels: Pixels, words: str) -> Weights:
    """Full weight on the region the search words select (none when the picture has no subject)."""
    try:
        region: BoolMask = select_region(pixels, words)
    except MaskPromptError:
        return np.zeros(pixels.shape[:2], dtype=np.uint8)
    return np.asarray(region, dtype=np.uint8) * np.uint8(255)


def grow(weights: Weights, radius: float) -> Weights:
    """`weights` widened by `radius` pixels with a soft edge (module docstring)."""
    if radius <= 0 or not weights.any() or weights.all():
        return weights
    reach = math.floor(radius) + 2
    rows = np.flatnonzero(weights.any(axis=1))
    cols = np.flatnonzero(weights.any(axis=0))
    h, w = weights.shape
    top, bottom = max(0, int(rows[0]) - reach), min(h, int(rows[-1]) + reach + 1)
    left, right = max(0, int(cols[0]) - reach), min(w, int(cols[-1]) + reach + 1)
    crop = np.ascontiguousarray(weights[top:bottom, left:right])
    source = crop > 0
    # Every pixel learns its distance to, and the label of, its nearest edited pixel; labels number the
    # edited pixels in raster order, which is the order of `crop[source]`.
    distance, labels = cv2.distanceTransformWithLabels(
        np.asarray(~source, dtype=np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    band = np.flatnonzero((distance <= np.float32(radius)) & ~source)  # only these pixels change
    strengths = np.concatenate([np.zeros(1, np.float32), crop[source].astype(np.float32)])
    nearest = strengths[labels.reshape(-1)[band]]
    falloff = 1.0 - distance.reshape(-1)[band] / np.float32(radius + 1.0)
    grown = crop.copy()
    grown.reshape(-1)[band] = np.ceil(nearest * falloff).astype(np.uint8)
    out = weights.copy()
    out[top:bottom, left:right] = grown
    return out


def blend(kept: Pixels, fresh: Pixels, weights: Weights) -> Pixels:
    """`kept` where the weight is 0, `fresh` where it is 255, a rounded mix between (kept pixels exact).

    Full-weight pixels are copied, and only the partial ones (a grown band, grey mask levels) are mixed.
    """
    out = np.array(kept[:, :, :3], dtype=np.uint8, copy=True)
    full = weights == 255
    if full.any():
        cv2.copyTo(fresh, full.view(np.uint8), out)
    partial = np.flatnonzero((weights > 0) & ~full)
    if len(partial):
        w = weights.reshape(-1)[partial][:, None].astype(np.uint16)
        flat, new = out.reshape(-1, 3), fresh.reshape(-1, 3)
        mixed = (
            flat[partial].astype(np.uint16) * (255 - w) + new[partial].astype(np.uint16) * w + 127
        ) // 255
        flat[partial] = mixed.astype(np.uint8)
    return out
