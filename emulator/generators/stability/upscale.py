"""The three upscalers (docs/CONTRACT.md §S4.6): the input enlarged to `output_size`, more or less detailed.

Everything but the final enlargement happens at the input's size, so a 4096-pixel answer costs one resize, and
the enlargement is smooth, so the PNG stays as compressible as a real upscale.

* **Fast**: a plain Lanczos enlargement (4 x each side; no prompt, no seed, docs/CONTRACT.md §S3.5).
* **Conservative**: an unsharp mask at the input's size, as strong as `creativity` (0.1-0.5, default 0.35)
  says, then a cubic enlargement: no new content, the same for every seed.
* **Creative**: as Conservative (`creativity` default 0.3), plus a small seeded variation: a picture in the
  prompt's look (prompt, negative prompt, `style_preset`) mixed in at `creativity` x `CREATIVE_SHARE`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from validator.stability.models import Operation
from validator.stability.types import StabilityRequest
from validator.types import ImageSize, Pixels

from ..canvas import paint
from ..layout import Layout
from ..look import Look
from .look import stability_look
from .task import input_image

CREATIVE_SHARE = 0.25
_DEFAULT_CREATIVITY = {Operation.CREATIVE_UPSCALE: 0.3, Operation.CONSERVATIVE_UPSCALE: 0.35}
_SHARPEN_SIGMA = 1.2
_SHARPEN_GAIN = 2.0  # unsharp amount per unit of creativity


@dataclass(frozen=True, eq=False, kw_only=True)
class UpscaleLayout(Layout):
    source: Pixels  # the input at its own size, sharpened (Fast: as sent)
    interpolation: int = cv2.INTER_CUBIC
    look: Look | None = None  # Creative: the variation's look
    variation: float = 0.0  # Creative: the variation's share


def sharpened(pixels: Pixels, amount: float) -> Pixels:
    """Unsharp mask: `pixels + amount * (pixels - blurred)`."""
    blurred = cv2.GaussianBlur(pixels, (0, 0), _SHARPEN_SIGMA)
    return np.asarray(cv2.addWeighted(pixels, 1.0 + amount, blurred, -amount, 0.0), dtype=np.uint8)


def prepare_upscale(request: StabilityRequest) -> UpscaleLayout:
    pixels = input_image(request).pixels
    if request.operation is Operation.FAST_UPSCALE:
        return UpscaleLayout(size=request.output_size, source=pixels, interpolation=cv2.INTER_LANCZOS4)
    creativity = request.creativity
    if creativity is None:
        creativity = _DEFAULT_CREATIVITY[request.operation]
    source = sharpened(pixels, _SHARPEN_GAIN * creativity)
    if request.operation is Operation.CONSERVATIVE_UPSCALE:
        return UpscaleLayout(size=request.output_size, source=source)
    return UpscaleLayout(
        size=request.output_size,
        source=source,
        look=stability_look(request),
        variation=CREATIVE_SHARE * creativity,
    )


def render_upscale(layout: UpscaleLayout, rng: np.random.Generator) -> Pixels:
    source = layout.source
    if layout.look is not None and layout.variation > 0:
        h, w = source.shape[:2]
        fresh = paint(layout.look, ImageSize(w, h), rng)
        source = np.asarray(
            cv2.addWeighted(source, 1.0 - layout.variation, fresh, layout.variation, 0.0), dtype=np.uint8
        )
    size = (layout.size.width, layout.size.height)
    return np.asarray(cv2.resize(source, size, interpolation=layout.interpolation), dtype=np.uint8)
