"""The generating operations: text-to-image, image-to-image, Style Guide and Style Transfer.

* **text-to-image** (SD3.5, Ultra, Core, SD3 Large, SDXL): Nova's TEXT_IMAGE picture (`..canvas.paint`) in the
  prompt's look (`look.stability_look`: palette from prompt and negative prompt, drawing from `style_preset`)
  at `output_size`.
* **image-to-image**: the input resized to `output_size`, blended with a new picture in the prompt's look:
  `strength` is the new picture's share (0 keeps the input, 1 ignores it, docs/CONTRACT.md §S4.1); Ultra's
  default is 0.35 (§S4.3). SDXL's `image_strength` runs the other way ("close to 1 = very similar to the
  source", §S4.7): its share of the input, default 0.35.
* **Style Guide**: a new picture from the prompt at `output_size` whose palette is moved towards the style
  image's main colours by `fidelity` (0 = the prompt's own palette, 1 = the style image's).
* **Style Transfer**: the content (`init_image`, resized to `output_size`) recoloured with the style image's
  colour statistics (Reinhard transfer in Lab), by `style_strength`; `composition_fidelity` is the share of
  that restyled content against a new picture drawn in the style image's palette (and the prompt's shapes);
  `change_strength` is how far the result moves away from the unchanged content.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
import numpy.typing as npt

from validator.stability.types import StabilityRequest
from validator.types import Pixels

from ..canvas import paint
from ..layout import Layout
from ..look import Look
from ..segment import main_colours, shrink
from .look import blend_palettes, stability_look
from .task import input_image, resized

ULTRA_DEFAULT_STRENGTH = 0.35  # docs/CONTRACT.md §S4.3
SDXL_DEFAULT_IMAGE_STRENGTH = 0.35  # Stability's v1 default; Bedrock's page names none
PALETTE_COLOURS = 6


@dataclass(frozen=True, eq=False, kw_only=True)
class PaintLayout(Layout):
    """A new picture in `look`, mixed with `base` (at output size) where `base_share` > 0."""

    look: Look
    base: Pixels | None = None
    base_share: float = 0.0


def prepare_text_to_image(request: StabilityRequest) -> PaintLayout:
    return PaintLayout(size=request.output_size, look=stability_look(request))


def new_share(request: StabilityRequest) -> float:
    """The new picture's share in image-to-image (module docstring)."""
    if request.sdxl is not None:
        image_strength = request.sdxl.image_strength
        return 1.0 - (SDXL_DEFAULT_IMAGE_STRENGTH if image_strength is None else image_strength)
    return ULTRA_DEFAULT_STRENGTH if request.strength is None else request.strength


def prepare_image_to_image(request: StabilityRequest) -> PaintLayout:
    base = resized(input_image(request).pixels, request.output_size)
    share = min(1.0, max(0.0, new_share(request)))
    return PaintLayout(
        size=request.output_size, look=stability_look(request), base=base, base_share=1 - share
    )


def prepare_style_guide(request: StabilityRequest) -> PaintLayout:
    look = stability_look(request)
    style = main_colours(input_image(request).pixels, PALETTE_COLOURS).astype(np.float32)
    fidelity = 0.5 if request.fidelity is None else request.fidelity
    return PaintLayout(
        size=request.output_size, look=replace(look, palette=blend_palettes(look.palette, style, fidelity))
    )


def render_paint(layout: PaintLayout, rng: np.random.Generator) -> Pixels:
    """The new picture, mixed with the base by its share."""
    fresh = paint(layout.look, layout.size, rng)
    if layout.base is None or layout.base_share <= 0.0:
        return fresh
    if layout.base_share >= 1.0:
        return layout.base.copy()
    share = layout.base_share
    return np.asarray(cv2.addWeighted(layout.base, share, fresh, 1.0 - share, 0.0), dtype=np.uint8)


@dataclass(frozen=True, eq=False, kw_only=True)
class StyleTransferLayout(Layout):
    content: Pixels  # init_image at output size
    styled: Pixels  # content with the style's colour statistics, by style_strength
    look: Look  # the prompt's drawing in the style image's palette
    composition: float
    change: float


def _lab_stats(pixels: Pixels) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    lab = cv2.cvtColor(shrink(pixels, 256), cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    return lab.mean(axis=0), np.maximum(lab.std(axis=0), np.float32(1.0))


def colour_transfer(content: Pixels, style: Pixels, amount: float) -> Pixels:
    """Reinhard colour transfer in 8-bit Lab (one lookup table per channel), mixed in by `amount`."""
    mean_c, std_c = _lab_stats(content)
    mean_s, std_s = _lab_stats(style)
    levels = np.arange(256, dtype=np.float32)[:, None]
    mapped = (levels - mean_c) * (std_s / std_c) + mean_s
    table = np.clip(np.rint(levels + amount * (mapped - levels)), 0, 255).astype(np.uint8)
    lab = cv2.cvtColor(content, cv2.COLOR_RGB2LAB)
    restyled = cv2.LUT(lab, table.reshape(256, 1, 3))
    return np.asarray(cv2.cvtColor(restyled, cv2.COLOR_LAB2RGB), dtype=np.uint8)


def prepare_style_transfer(request: StabilityRequest) -> StyleTransferLayout:
    if request.style_image is None:
        raise ValueError("style-transfer needs a style image")
    style = request.style_image.pixels
    content = resized(input_image(request).pixels, request.output_size)
    strength = 1.0 if request.style_strength is None else request.style_strength
    styled = colour_transfer(content, style, strength)
    look = stability_look(request, request.prompt or "style transfer")
    look = replace(look, palette=main_colours(style, PALETTE_COLOURS).astype(np.float32))
    return StyleTransferLayout(
        size=request.output_size,
        content=content,
        styled=styled,
        look=look,
        composition=0.9 if request.composition_fidelity is None else request.composition_fidelity,
        change=0.9 if request.change_strength is None else request.change_strength,
    )


def render_style_transfer(layout: StyleTransferLayout, rng: np.random.Generator) -> Pixels:
    """content -> (restyled content mixed with a picture in the style's palette) by change_strength."""
    fresh = paint(layout.look, layout.size, rng)
    composed = cv2.addWeighted(layout.styled, layout.composition, fresh, 1.0 - layout.composition, 0.0)
    return np.asarray(
        cv2.addWeighted(composed, layout.change, layout.content, 1.0 - layout.change, 0.0), np.uint8
    )
