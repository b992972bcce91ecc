"""INPAINTING and OUTPAINTING: regenerate one area of the input image, keep the rest (docs/CONTRACT.md §6).

A `maskPrompt` selects its area by the rule in `segment.select_region` (the subject, or its complement for
background words).

Kept pixels are copied from the input byte for byte. The only exception is OUTPAINTING's `DEFAULT` mode,
which blends the outermost `BLEND_BAND` pixels of the kept area into the new content, as Bedrock's DEFAULT
mode "allows the masked-in region to be adjusted for consistency".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
import numpy.typing as npt

from validator.types import (
    InPaintingParams,
    InputImage,
    InvokeRequest,
    OutPaintingMode,
    OutPaintingParams,
    Pixels,
)

from .canvas import paint, smooth_noise
from .layout import BoolMask, CaptionStyle, Layout, params_of
from .look import Look, look_for
from .segment import main_colours, select_region, shrink
from .subject import cached, mask_key

BLEND_BAND = 4  # pixels of the kept area that OUTPAINTING DEFAULT may blend
FILL_SIDE = 160  # working size for filling from the surroundings (TELEA is slow; the fill is smooth)
FILL_JITTER = 10.0  # colour drift that makes the images of one batch differ


@dataclass(frozen=True, eq=False, kw_only=True)
class EditLayout(Layout):
    """The input, the area to regenerate and how to fill it."""

    image: Pixels
    look: Look | None  # new content drawn from the prompt; None: fill from the surroundings
    surroundings: Pixels | None  # the edited area filled from its surroundings (no prompt)
    band: npt.NDArray[np.intp] | None = None  # flat indices of kept pixels OUTPAINTING DEFAULT blends
    band_weight: npt.NDArray[np.float32] | None = None  # share of the original at those pixels


def black_area(mask: InputImage) -> BoolMask:
    """True where a (validated, pure black/white) mask image is black."""
    return np.asarray(mask.pixels[:, :, 0] < 128)


def fill_small(image: Pixels, edited: BoolMask, side: int = FILL_SIDE) -> Pixels:
    """OpenCV inpainting of the edited area, run on the picture shrunk to at most `side` pixels a side (it is
    slow at full size, and slower the larger the area); the result stays at that small size."""
    small = shrink(image, side)
    h, w = small.shape[:2]
    hole = cv2.resize(edited.astype(np.uint8) * 255, (w, h), interpolation=cv2.INTER_AREA)
    hole = (hole > 0).astype(np.uint8) * 255  # any touched pixel counts, so object edges do not bleed in
    return np.asarray(cv2.inpaint(small, hole, 5, cv2.INPAINT_TELEA), dtype=np.uint8)


def fill_from_surroundings(image: Pixels, edited: BoolMask, side: int = FILL_SIDE) -> Pixels:
    """`fill_small`, scaled back up to the picture's size."""
    filled = fill_small(image, edited, side)
    up = cv2.resize(filled, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.asarray(up, dtype=np.uint8)


def _new_content(layout: EditLayout, rng: np.random.Generator) -> Pixels:
    if layout.look is not None:
        return paint(layout.look, layout.size, rng)
    assert layout.surroundings is not None
    h, w = layout.image.shape[:2]
    drift = FILL_JITTER * smooth_noise(rng, (h // 8 + 1, w // 8 + 1), 3)
    full = np.asarray(cv2.resize(drift, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.float32)
    return np.asarray(np.clip(layout.surroundings.astype(np.float32) + full, 0, 255), dtype=np.uint8)


def _surroundings(image: Pixels, edited: BoolMask) -> Pixels:
    """`fill_from_surroundings`, cached per (image, area) like the other analyses of an input picture."""

    def fill(pixels: Pixels) -> Pixels:
        filled = fill_from_surroundings(pixels, edited)
        filled.flags.writeable = False
        return filled

    return cached("surroundings " + mask_key(edited), image, fill)


def _layout(request: InvokeRequest, image: Pixels, edited: BoolMask, look: Look | None) -> EditLayout:
    return EditLayout(
        size=request.output_size,
        caption=CaptionStyle(area=edited),
        edited=edited,
        image=image,
        look=look,
        surroundings=_surroundings(image, edited) if look is None else None,
    )


def _prompt_look(request: InvokeRequest, text: str, negative: str | None) -> Look:
    config = request.config
    return look_for(text, negative, None, config.quality, config.cfg_scale)


def prepare_inpainting(request: InvokeRequest) -> EditLayout:
    """Black mask pixels, or the region the mask prompt names, are edited."""
    params = params_of(request, InPaintingParams)
    image = params.image.pixels
    if params.mask_image is not None:
        edited = black_area(params.mask_image)
    else:
        edited = select_region(image, params.mask_prompt or "")
    # With a prompt, new content; without, the area is filled from its surroundings (the object is removed).
    look = None if params.text is None else _prompt_look(request, params.text, params.negative_text)
    return _layout(request, image, edited, look)


def prepare_outpainting(request: InvokeRequest) -> EditLayout:
    """Black mask pixels, or the region the mask prompt names, are kept; the rest is edited."""
    params = params_of(request, OutPaintingParams)
    image = params.image.pixels
    if params.mask_image is not None:
        kept = black_area(params.mask_image)
    else:
        kept = select_region(image, params.mask_prompt or "")
    if params.text is not None:
        look = _prompt_look(request, params.text, params.negative_text)
    else:
        # No prompt (Nova allows it): a new scene in the image's own colours, not a smear of the kept object.
        look = replace(_prompt_look(request, "outpainting", params.negative_text), palette=_palette_of(image))
    layout = _layout(request, image, ~kept, look)
    if params.out_painting_mode is OutPaintingMode.PRECISE:
        return layout
    inside = cv2.distanceTransform(kept.astype(np.uint8), cv2.DIST_L2, 3)
    band = np.flatnonzero(kept & (inside <= BLEND_BAND))
    weight = np.clip(inside.reshape(-1)[band] / (BLEND_BAND + 1), 0.0, 1.0).astype(np.float32)
    return replace(layout, band=band, band_weight=weight)


def _palette_of(image: Pixels) -> npt.NDArray[np.float32]:
    return main_colours(image, 6).astype(np.float32)


def render_edit(layout: EditLayout, rng: np.random.Generator) -> Pixels:
    """Kept pixels from the input, edited pixels new; OUTPAINTING DEFAULT blends a thin band."""
    assert layout.edited is not None
    fresh = _new_content(layout, rng)
    # cv2.copyTo with a mask: 0.3 ms at 1024x1024, where np.where over three channels takes 10.
    out = np.asarray(cv2.copyTo(fresh, layout.edited.view(np.uint8), layout.image.copy()), dtype=np.uint8)
    if layout.band is not None and layout.band_weight is not None:
        flat, new, old = out.reshape(-1, 3), fresh.reshape(-1, 3), layout.image.reshape(-1, 3)
        w = layout.band_weight[:, None]
        mixed = w * old[layout.band].astype(np.float32) + (1 - w) * new[layout.band].astype(np.float32)
        flat[layout.band] = np.rint(mixed).astype(np.uint8)
    return out
