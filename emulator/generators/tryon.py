"""VIRTUAL_TRY_ON: the reference item placed into the masked area of the source image.

Mask types (CONTRACT.md §6):

* `IMAGE`: black pixels of `imageBasedMask.maskImage`, used as given.
* `GARMENT`: a body band of the person (the source's foreground, or the whole image if there is none)
  chosen by garment class, see `GARMENT_BANDS`; `CONTOUR`/`DEFAULT` follow the person's outline,
  `BOUNDING_BOX` takes the band's box.
* `PROMPT`: the region `segment.select_region` picks for the prompt (MaskPromptError when it picks nothing);
  `BOUNDING_BOX` (the default) enlarges it to its box.

`maskExclusions` act on the automatic masks only. `preserveFace: ON` removes the head (the top
`HEAD_SHARE` of the person, across the middle half of its width); `preserveHands: ON` removes skin-coloured
pixels (YCrCb skin range). `DEFAULT` counts as `ON` for GARMENT masks and `OFF` for PROMPT masks.
`preserveBodyPose` does not change the mask: the placement below never moves the person.

Pixels outside the mask are the source's, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import cv2
import numpy as np

from validator.types import (
    Exclusion,
    GarmentBasedMask,
    GarmentClass,
    InvokeRequest,
    LongSleeveStyle,
    MaskExclusions,
    MaskShape,
    MaskType,
    MergeStyle,
    Pixels,
    TuckingStyle,
    VirtualTryOnParams,
)

from .editing import black_area, fill_from_surroundings
from .layout import BoolMask, CaptionStyle, Layout, params_of
from .segment import enlarge, foreground_small, select_region

HEAD_SHARE = 0.16
# Garment class -> (top, bottom) as shares of the person's height, and width share around its centre.
GARMENT_BANDS: Mapping[GarmentClass, tuple[float, float, float]] = MappingProxyType(
    {
        GarmentClass.UPPER_BODY: (0.12, 0.55, 1.0),
        GarmentClass.LONG_SLEEVE_SHIRT: (0.12, 0.55, 1.0),
        GarmentClass.SHORT_SLEEVE_SHIRT: (0.12, 0.55, 0.8),
        GarmentClass.NO_SLEEVE_SHIRT: (0.12, 0.55, 0.6),
        GarmentClass.OTHER_UPPER_BODY: (0.12, 0.55, 1.0),
        GarmentClass.LOWER_BODY: (0.48, 0.92, 1.0),
        GarmentClass.LONG_PANTS: (0.48, 0.92, 1.0),
        GarmentClass.SHORT_PANTS: (0.48, 0.70, 1.0),
        GarmentClass.OTHER_LOWER_BODY: (0.48, 0.85, 1.0),
        GarmentClass.FULL_BODY: (0.12, 0.92, 1.0),
        GarmentClass.LONG_DRESS: (0.12, 0.92, 1.0),
        GarmentClass.SHORT_DRESS: (0.12, 0.70, 1.0),
        GarmentClass.FULL_BODY_OUTFIT: (0.12, 0.92, 1.0),
        GarmentClass.OTHER_FULL_BODY: (0.12, 0.92, 1.0),
        GarmentClass.FOOTWEAR: (0.90, 1.0, 1.0),
        GarmentClass.SHOES: (0.90, 1.0, 1.0),
        GarmentClass.BOOTS: (0.78, 1.0, 1.0),
        GarmentClass.OTHER_FOOTWEAR: (0.90, 1.0, 1.0),
    }
)
_FEATHER = MappingProxyType({MergeStyle.DETAILED: 0.0, MergeStyle.BALANCED: 1.5, MergeStyle.SEAMLESS: 4.0})


@dataclass(frozen=True, eq=False, kw_only=True)
class TryOnLayout(Layout):
    """Source, mask, the cleared source (old item removed) and the item cut from the reference."""

    source: Pixels
    cleared: Pixels
    item: Pixels  # the reference cropped to its foreground's box
    item_alpha: np.ndarray  # float32 0..1, same size as `item`
    merge: MergeStyle


def _box(mask: BoolMask) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1), exclusive ends, of the True pixels; None if there are none."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _fill_box(mask: BoolMask) -> BoolMask:
    box = _box(mask)
    out = np.zeros_like(mask)
    if box is not None:
        x0, y0, x1, y1 = box
        out[y0:y1, x0:x1] = True
    return out


def _person(source: Pixels) -> BoolMask:
    found = foreground_small(source)
    if found is None:
        return np.ones(source.shape[:2], dtype=bool)
    return enlarge(found, source.shape[:2])


def garment_mask(source: Pixels, spec: GarmentBasedMask, person: BoolMask) -> BoolMask:
    """The body band for the garment class, shaped by maskShape and the garment styling."""
    x0, y0, x1, y1 = _box(person) or (0, 0, source.shape[1], source.shape[0])
    top, bottom, width = GARMENT_BANDS[spec.garment_class]
    styling = spec.garment_styling
    if styling.long_sleeve_style is LongSleeveStyle.SLEEVE_UP:
        width = min(width, 0.8)
    if styling.tucking_style is TuckingStyle.TUCKED and bottom == 0.55:  # upper-body classes
        bottom = 0.5
    height, span = y1 - y0, x1 - x0
    band = np.zeros_like(person)
    left = x0 + int(span * (1 - width) / 2)
    band[y0 + int(height * top) : y0 + int(np.ceil(height * bottom)), left : x1 - (left - x0)] = True
    mask = band & person
    return _fill_box(mask) if spec.mask_shape is MaskShape.BOUNDING_BOX else mask


def _skin(source: Pixels) -> BoolMask:
    ycrcb = cv2.cvtColor(source, cv2.COLOR_RGB2YCrCb)
    return np.asarray(cv2.inRange(ycrcb, (0, 133, 77), (255, 173, 127)) > 0)


def apply_exclusions(
    mask: BoolMask, source: Pixels, person: BoolMask, rules: MaskExclusions, auto: bool
) -> BoolMask:
    """Remove the head and/or hands from an automatic mask (see the module docstring)."""

    def on(value: Exclusion) -> bool:
        return value is Exclusion.ON or (value is Exclusion.DEFAULT and auto)

    out = mask.copy()
    if on(rules.preserve_face):
        box = _box(person)
        if box is not None:
            x0, y0, x1, y1 = box
            quarter = (x1 - x0) // 4
            out[y0 : y0 + int((y1 - y0) * HEAD_SHARE), x0 + quarter : x1 - quarter] = False
    if on(rules.preserve_hands):
        out &= ~_skin(source)
    return out


def tryon_mask(params: VirtualTryOnParams) -> BoolMask:
    """The area of the source to modify, for any mask type."""
    source = params.source_image.pixels
    if params.mask_type is MaskType.IMAGE:
        assert params.image_based_mask is not None
        return black_area(params.image_based_mask)
    person = _person(source)
    if params.mask_type is MaskType.GARMENT:
        assert params.garment_based_mask is not None
        mask = garment_mask(source, params.garment_based_mask, person)
        return apply_exclusions(mask, source, person, params.mask_exclusions, auto=True)
    assert params.prompt_based_mask is not None
    spec = params.prompt_based_mask
    mask = select_region(source, spec.mask_prompt)
    if spec.mask_shape is MaskShape.BOUNDING_BOX:
        mask = _fill_box(mask)
    return apply_exclusions(mask, source, person, params.mask_exclusions, auto=False)


def _item(reference: Pixels) -> tuple[Pixels, np.ndarray]:
    """The reference's foreground, cropped to its box, with a soft alpha (the whole image if none)."""
    found = foreground_small(reference)
    if found is None:
        return reference, np.ones(reference.shape[:2], dtype=np.float32)
    alpha = enlarge(found, reference.shape[:2])
    box = _box(alpha)
    assert box is not None
    x0, y0, x1, y1 = box
    return reference[y0:y1, x0:x1], alpha[y0:y1, x0:x1].astype(np.float32)


def prepare_virtual_try_on(request: InvokeRequest) -> TryOnLayout:
    """Build the mask, clear the old item from the source, cut the new item from the reference."""
    params = params_of(request, VirtualTryOnParams)
    source = params.source_image.pixels
    mask = tryon_mask(params)
    item, alpha = _item(params.reference_image.pixels)
    return TryOnLayout(
        size=request.output_size,
        caption=CaptionStyle(area=mask),
        edited=mask,
        source=source,
        cleared=fill_from_surroundings(source, mask) if mask.any() else source,
        item=item,
        item_alpha=alpha,
        merge=params.merge_style,
    )


def render_virtual_try_on(layout: TryOnLayout, rng: np.random.Generator) -> Pixels:
    """Stretch the item over the mask's box (jittered a little per image) and composite it in the mask."""
    assert layout.edited is not None
    box = _box(layout.edited)
    if box is None:
        return layout.source.copy()
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    # Each image of a batch shifts, scales and re-lights the item slightly, so the images differ.
    dx, dy = (rng.uniform(-0.03, 0.03, 2) * (bw, bh)).astype(int)
    gain = np.float32(rng.uniform(0.92, 1.08))
    item = cv2.resize(layout.item, (bw, bh), interpolation=cv2.INTER_LINEAR).astype(np.float32) * gain
    alpha = cv2.resize(layout.item_alpha, (bw, bh), interpolation=cv2.INTER_LINEAR)
    alpha = np.roll(alpha, (int(dy), int(dx)), axis=(0, 1))
    item = np.roll(item, (int(dy), int(dx)), axis=(0, 1))
    sigma = _FEATHER[layout.merge]
    if sigma:
        alpha = cv2.GaussianBlur(alpha, (0, 0), sigma)
    under = layout.cleared[y0:y1, x0:x1].astype(np.float32)
    if layout.merge is MergeStyle.SEAMLESS:
        # Pull the item's brightness towards the scene it lands in.
        item = item * 0.8 + under.mean(axis=(0, 1)) * 0.2
    patch = alpha[:, :, None] * item + (1 - alpha[:, :, None]) * under
    composed = layout.cleared.copy()
    composed[y0:y1, x0:x1] = np.clip(patch, 0, 255).astype(np.uint8)
    return np.where(layout.edited[:, :, None], composed, layout.source)
