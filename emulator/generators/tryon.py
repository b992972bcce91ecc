"""VIRTUAL_TRY_ON: the reference garment warped into a body region of the person in the source image.

**The person** is the largest piece of the source's subject (the one segmenter, `subject.subject_of`); a
source with no subject counts as all person. **The face** is the largest skin-coloured blob (YCrCb skin
range) in the upper 60% of the person, widened to take in the hair and extended up to the top of the person;
without one (a greyscale photo, a face turned away) the head is the top `HEAD_SHARE` of the person across the
middle half of its width. (OpenCV's cascade face detectors are not in the OpenCV 5 wheels, hence skin colour.)

**Body regions** (`GARMENT` masks). `GARMENT_BANDS` gives each garment class a band of a standing figure, as
shares of its height from the top of the head, and a width share around the person's centre. With a face, the
figure is `BODY_HEADS` head heights tall (head height: top of the person to the chin), so a waist-up portrait
gets its upper-body band below the chin and its lower-body band at the bottom of the frame; without one, the
figure is the person's box (also when the band would fall outside the frame). The band intersected with the
person is the `CONTOUR` (and `DEFAULT`) mask;
`BOUNDING_BOX` takes the box of that.

Mask types (docs/CONTRACT.md §6):

* `IMAGE`: black pixels of `imageBasedMask.maskImage`, used as given.
* `GARMENT`: the body region above.
* `PROMPT`: the region `segment.select_region` picks for the prompt (MaskPromptError when it picks nothing);
  `BOUNDING_BOX` (the default) enlarges it to its box.

`maskExclusions` act on the automatic masks only. `preserveFace: ON` removes the head; `preserveHands: ON`
removes skin-coloured pixels outside the head. `DEFAULT` counts as `ON` for GARMENT masks and `OFF` for
PROMPT masks. `preserveBodyPose` does not change the mask: the placement below never moves the person.

**The garment** is the reference image's subject (its matte), cropped to its box; each image stretches it
over the mask's box and composites it inside the mask, over the source with the mask's area filled from its
surroundings (the old item removed). Pixels outside the mask are the source's, byte for byte.
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
from .segment import select_region
from .subject import cached, mask_key, subject_of

HEAD_SHARE = 0.16
BODY_HEADS = 7.5  # a standing adult's height in head heights
MIN_FACE = 0.002  # share of the frame a skin blob must cover to be taken for a face
# The old item is cleared at this working size: the garment covers most of it, and OpenCV's inpainting of a
# whole torso costs 45 ms at 160 px against 20 ms at 96.
CLEAR_SIDE = 96
# Garment class -> (top, bottom) as shares of the figure's height, and width share around its centre.
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


@dataclass(frozen=True, eq=False)
class Person:
    """Where the person, the head and the skin are in a source image (read-only arrays, cached)."""

    mask: BoolMask
    head: BoolMask
    skin: BoolMask
    top: int  # first row of the figure
    height: float  # the figure's full height in pixels (may reach below the frame)


def _skin(source: Pixels) -> BoolMask:
    ycrcb = cv2.cvtColor(source, cv2.COLOR_RGB2YCrCb)
    return np.asarray(cv2.inRange(ycrcb, (0, 133, 77), (255, 173, 127)) > 0)


def _largest_piece(mask: BoolMask) -> BoolMask:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 2:
        return mask
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return np.asarray(labels == biggest)


def _face_box(skin: BoolMask, person: BoolMask) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the largest skin blob in the upper 60% of the person, or None."""
    box = _box(person)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    upper = np.zeros_like(person)
    upper[y0 : y0 + int((y1 - y0) * 0.6), x0:x1] = True
    blobs = cv2.morphologyEx(
        (skin & person & upper).astype(np.uint8), cv2.MORPH_OPEN, np.ones((5, 5), np.uint8)
    )
    count, _, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
    if count <= 1:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[biggest, cv2.CC_STAT_AREA] < MIN_FACE * person.size:
        return None
    left, top = int(stats[biggest, cv2.CC_STAT_LEFT]), int(stats[biggest, cv2.CC_STAT_TOP])
    return (
        left,
        top,
        left + int(stats[biggest, cv2.CC_STAT_WIDTH]),
        top + int(stats[biggest, cv2.CC_STAT_HEIGHT]),
    )


def _analyse_person(source: Pixels) -> Person:
    subject = subject_of(source)
    mask = _largest_piece(subject.mask) if subject.present else np.ones(source.shape[:2], dtype=bool)
    skin = _skin(source) & mask
    x0, y0, x1, y1 = _box(mask) or (0, 0, source.shape[1], source.shape[0])
    head = np.zeros_like(mask)
    face = _face_box(skin, mask)
    if face is None:
        quarter = (x1 - x0) // 4
        head[y0 : y0 + int((y1 - y0) * HEAD_SHARE), x0 + quarter : x1 - quarter] = True
        height = float(y1 - y0)
    else:
        fx0, _, fx1, chin = face
        margin = (fx1 - fx0) // 6  # hair and ears beside the skin
        head[y0:chin, max(0, fx0 - margin) : fx1 + margin] = True
        height = BODY_HEADS * max(1, chin - y0)
    head &= mask
    skin &= ~head
    for array in (mask, head, skin):
        array.flags.writeable = False
    return Person(mask=mask, head=head, skin=skin, top=y0, height=height)


def person_of(source: Pixels) -> Person:
    """The source's person analysis, cached per picture like the subject."""
    return cached("person", source, _analyse_person)


def _band(spec: GarmentBasedMask, mask: BoolMask, top_row: int, height: float) -> BoolMask:
    """The garment class's band of a figure starting at `top_row`, `height` tall, within `mask`."""
    x0, _, x1, _ = _box(mask) or (0, 0, mask.shape[1], mask.shape[0])
    top, bottom, width = GARMENT_BANDS[spec.garment_class]
    styling = spec.garment_styling
    if styling.long_sleeve_style is LongSleeveStyle.SLEEVE_UP:
        width = min(width, 0.8)
    if styling.tucking_style is TuckingStyle.TUCKED and bottom == 0.55:  # upper-body classes
        bottom = 0.5
    band = np.zeros_like(mask)
    left = x0 + int((x1 - x0) * (1 - width) / 2)
    first = max(0, top_row + int(height * top))
    last = max(0, top_row + int(np.ceil(height * bottom)))
    band[first:last, left : x1 - (left - x0)] = True
    return np.asarray(band & mask)


def garment_mask(spec: GarmentBasedMask, person: Person) -> BoolMask:
    """The body band for the garment class, shaped by maskShape and the garment styling.

    When the band lies outside the frame (trousers on a waist-up portrait), the person's box stands for the
    figure instead, so the garment still lands on the matching part of what is visible.
    """
    mask = _band(spec, person.mask, person.top, person.height)
    if not mask.any():
        y0, y1 = (_box(person.mask) or (0, 0, 0, person.mask.shape[0]))[1::2]
        mask = _band(spec, person.mask, y0, float(y1 - y0))
    return _fill_box(mask) if spec.mask_shape is MaskShape.BOUNDING_BOX else mask


def apply_exclusions(mask: BoolMask, person: Person, rules: MaskExclusions, auto: bool) -> BoolMask:
    """Remove the head and/or hands from an automatic mask (see the module docstring)."""

    def on(value: Exclusion) -> bool:
        return value is Exclusion.ON or (value is Exclusion.DEFAULT and auto)

    out = mask.copy()
    if on(rules.preserve_face):
        out &= ~person.head
    if on(rules.preserve_hands):
        out &= ~person.skin
    return out


def tryon_mask(params: VirtualTryOnParams) -> BoolMask:
    """The area of the source to modify, for any mask type."""
    source = params.source_image.pixels
    if params.mask_type is MaskType.IMAGE:
        assert params.image_based_mask is not None
        return black_area(params.image_based_mask)
    person = person_of(source)
    if params.mask_type is MaskType.GARMENT:
        assert params.garment_based_mask is not None
        mask = garment_mask(params.garment_based_mask, person)
        return apply_exclusions(mask, person, params.mask_exclusions, auto=True)
    assert params.prompt_based_mask is not None
    spec = params.prompt_based_mask
    mask = select_region(source, spec.mask_prompt)
    if spec.mask_shape is MaskShape.BOUNDING_BOX:
        mask = _fill_box(mask)
    return apply_exclusions(mask, person, params.mask_exclusions, auto=False)


def _item(reference: Pixels) -> tuple[Pixels, np.ndarray]:
    """The reference's subject, cropped to its box, with its matte as alpha (the whole image if none)."""
    subject = subject_of(reference)
    box = _box(subject.mask) if subject.present else None
    if box is None:
        return reference, np.ones(reference.shape[:2], dtype=np.float32)
    x0, y0, x1, y1 = box
    alpha = subject.alpha[y0:y1, x0:x1].astype(np.float32) / np.float32(255.0)
    return reference[y0:y1, x0:x1], alpha


def _cleared(source: Pixels, mask: BoolMask) -> Pixels:
    """The source with the mask's area filled from its surroundings, cached per (source, mask)."""
    if not mask.any():
        return source

    def clear(pixels: Pixels) -> Pixels:
        filled = fill_from_surroundings(pixels, mask, CLEAR_SIDE)
        filled.flags.writeable = False
        return filled

    return cached("cleared " + mask_key(mask), source, clear)


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
        cleared=_cleared(source, mask),
        item=item,
        item_alpha=alpha,
        merge=params.merge_style,
    )


def render_virtual_try_on(layout: TryOnLayout, rng: np.random.Generator) -> Pixels:
    """Stretch the item over the mask's box (jittered a little per image) and composite it in the mask.

    Everything happens inside the mask's box, in 8-bit OpenCV operations: outside the box the mask is empty,
    so the picture there is the source's.
    """
    assert layout.edited is not None
    out = layout.source.copy()
    box = _box(layout.edited)
    if box is None:
        return out
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    # Each image of a batch shifts, scales and re-lights the item slightly, so the images differ.
    dx, dy = (rng.uniform(-0.03, 0.03, 2) * (bw, bh)).astype(int)
    gain = float(rng.uniform(0.92, 1.08))
    item = cv2.resize(layout.item, (bw, bh), interpolation=cv2.INTER_LINEAR)
    item = np.roll(cv2.convertScaleAbs(item, alpha=gain), (int(dy), int(dx)), axis=(0, 1))
    alpha = cv2.resize(layout.item_alpha, (bw, bh), interpolation=cv2.INTER_LINEAR)
    alpha = np.roll(alpha, (int(dy), int(dx)), axis=(0, 1))
    sigma = _FEATHER[layout.merge]
    if sigma:
        alpha = cv2.GaussianBlur(alpha, (0, 0), sigma)
    under = np.ascontiguousarray(layout.cleared[y0:y1, x0:x1])
    if layout.merge is MergeStyle.SEAMLESS:
        # Pull the item's brightness towards the scene it lands in.
        mean = np.full_like(item, np.rint(under.reshape(-1, 3).mean(axis=0)).astype(np.uint8))
        item = cv2.addWeighted(item, 0.8, mean, 0.2, 0.0)
    alpha = np.ascontiguousarray(alpha, dtype=np.float32)
    patch = cv2.blendLinear(np.ascontiguousarray(item), under, alpha, np.float32(1.0) - alpha)
    inside = np.ascontiguousarray(layout.edited[y0:y1, x0:x1]).view(np.uint8)
    out[y0:y1, x0:x1] = cv2.copyTo(patch, inside, out[y0:y1, x0:x1].copy())
    return out
