"""IMAGE_VARIATION: the input images blended with new content, closer to them as similarityStrength rises."""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from validator.types import ImageSize, ImageVariationParams, InvokeRequest, Pixels

from .canvas import paint
from .layout import Layout, params_of
from .look import Look, look_for
from .segment import main_colours

# Share of the inputs in the result at similarityStrength 0 and 1. Never 1.0, so a batch still varies.
_KEEP_AT_ZERO, _KEEP_AT_ONE = 0.1, 0.95


@dataclass(frozen=True, eq=False, kw_only=True)
class VariationLayout(Layout):
    """The inputs' mean at output size and the blend weight."""

    reference: Pixels
    keep: float
    look: Look


def cover(pixels: Pixels, width: int, height: int) -> Pixels:
    """Resize to fill width x height, cropping the centre rather than distorting the aspect ratio."""
    h, w = pixels.shape[:2]
    scale = max(width / w, height / h)
    rw, rh = max(width, round(w * scale)), max(height, round(h * scale))
    resized = cv2.resize(pixels, (rw, rh), interpolation=cv2.INTER_AREA)
    x, y = (rw - width) // 2, (rh - height) // 2
    return np.asarray(resized[y : y + height, x : x + width], dtype=np.uint8)


def prepare_variation(request: InvokeRequest) -> VariationLayout:
    """Average the inputs (each cover-fitted to the output size)."""
    params = params_of(request, ImageVariationParams)
    size: ImageSize = request.output_size
    reference = cover(params.images[0].pixels, size.width, size.height)
    for count, image in enumerate(params.images[1:], start=2):
        # Running mean in uint8 keeps memory at one output-sized frame whatever the number of inputs.
        other = cover(image.pixels, size.width, size.height)
        reference = np.asarray(cv2.addWeighted(reference, (count - 1) / count, other, 1 / count, 0), np.uint8)
    config = request.config
    look = look_for(params.text or "variation", params.negative_text, None, config.quality, config.cfg_scale)
    if params.text is None:
        # With no prompt the new content is drawn in the inputs' own main colours.
        look = replace(look, palette=main_colours(reference, 6).astype(np.float32))
    keep = _KEEP_AT_ZERO + (_KEEP_AT_ONE - _KEEP_AT_ZERO) * params.similarity_strength
    return VariationLayout(size=size, reference=reference, keep=keep, look=look)


def render_variation(layout: VariationLayout, rng: np.random.Generator) -> Pixels:
    """Blend new content into the inputs' mean; the weight follows similarityStrength."""
    fresh = paint(layout.look, layout.size, rng)
    return np.asarray(
        cv2.addWeighted(layout.reference, layout.keep, fresh, 1 - layout.keep, 0), dtype=np.uint8
    )
