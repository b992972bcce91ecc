"""VIRTUAL_TRY_ON: the item lands in the masked area only, for every mask type; exclusions and shapes work."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from emulator.generators import MaskPromptError, render_images
from tests.support.scenes import image, mask_image, person_scene, request
from validator.types import (
    Exclusion,
    GarmentBasedMask,
    GarmentClass,
    MaskExclusions,
    MaskShape,
    MaskType,
    MergeStyle,
    PromptBasedMask,
    VirtualTryOnParams,
)

PERSON = person_scene(240, 400)
ITEM = np.full((300, 200, 3), 250, np.uint8)
ITEM[40:260, 30:170] = (230, 40, 140)  # a magenta garment on a white page
OFF = MaskExclusions(Exclusion.OFF, Exclusion.OFF, Exclusion.OFF)


def _try_on(
    mask_type: MaskType, count: int = 1, caption: bool = True, **kwargs: object
) -> tuple[list[np.ndarray], np.ndarray]:
    params = VirtualTryOnParams(
        source_image=image(PERSON),
        reference_image=image(ITEM),
        mask_type=mask_type,
        return_mask=True,
        **kwargs,  # type: ignore[arg-type]
    )
    rendered = render_images(request(params, count=count), caption=caption)
    assert rendered.mask is not None
    return list(rendered.images), rendered.mask


def _centre_row(mask: np.ndarray) -> float:
    return float(np.nonzero(mask)[0].mean())


HAND_DRAWN = np.zeros(PERSON.shape[:2], bool)
HAND_DRAWN[100:200, 60:180] = True
CASES: dict[str, tuple[MaskType, dict[str, Any]]] = {
    "image": (MaskType.IMAGE, {"image_based_mask": mask_image(HAND_DRAWN)}),
    "garment": (MaskType.GARMENT, {"garment_based_mask": GarmentBasedMask(GarmentClass.UPPER_BODY)}),
    "prompt": (MaskType.PROMPT, {"prompt_based_mask": PromptBasedMask("the green shirt")}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_item_is_placed_inside_the_mask_and_nothing_else_changes(case: str) -> None:
    mask_type, kwargs = CASES[case]
    images, mask = _try_on(mask_type, count=2, **kwargs)
    assert mask.any()
    for out in images:
        assert np.array_equal(out[~mask], PERSON[~mask])
        magenta = (np.abs(out.astype(int) - (230, 40, 140)).sum(axis=2) < 90) & mask
        assert magenta.sum() > 0.3 * mask.sum(), "the garment covers much of the masked area"
    assert not np.array_equal(images[0], images[1])


def test_image_mask_is_used_as_given() -> None:
    _, mask = _try_on(MaskType.IMAGE, image_based_mask=mask_image(HAND_DRAWN))
    assert np.array_equal(mask, HAND_DRAWN)


def test_garment_classes_cover_their_body_band() -> None:
    rows = {}
    for garment in (
        GarmentClass.UPPER_BODY,
        GarmentClass.LOWER_BODY,
        GarmentClass.FOOTWEAR,
        GarmentClass.FULL_BODY,
    ):
        _, mask = _try_on(MaskType.GARMENT, garment_based_mask=GarmentBasedMask(garment), mask_exclusions=OFF)
        rows[garment] = _centre_row(mask)
        if garment is GarmentClass.FULL_BODY:
            full = mask
    assert rows[GarmentClass.UPPER_BODY] < rows[GarmentClass.LOWER_BODY] < rows[GarmentClass.FOOTWEAR]
    _, upper = _try_on(
        MaskType.GARMENT, garment_based_mask=GarmentBasedMask(GarmentClass.UPPER_BODY), mask_exclusions=OFF
    )
    assert (upper & full).sum() == upper.sum(), "full body contains the upper body"


def test_bounding_box_shape_fills_the_box_of_the_contour() -> None:
    contour = GarmentBasedMask(GarmentClass.FULL_BODY, mask_shape=MaskShape.CONTOUR)
    boxed = GarmentBasedMask(GarmentClass.FULL_BODY, mask_shape=MaskShape.BOUNDING_BOX)
    _, tight = _try_on(MaskType.GARMENT, garment_based_mask=contour, mask_exclusions=OFF)
    _, box = _try_on(MaskType.GARMENT, garment_based_mask=boxed, mask_exclusions=OFF)
    rows, cols = np.nonzero(box)
    assert box[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].all()
    assert (tight & ~box).sum() == 0 and box.sum() > tight.sum()


def test_preserve_face_and_hands_remove_them_from_the_auto_mask() -> None:
    prompt = PromptBasedMask("the person", mask_shape=MaskShape.CONTOUR)
    _, everything = _try_on(MaskType.PROMPT, prompt_based_mask=prompt, mask_exclusions=OFF)
    face_on = MaskExclusions(preserve_face=Exclusion.ON, preserve_hands=Exclusion.OFF)
    _, no_face = _try_on(MaskType.PROMPT, prompt_based_mask=prompt, mask_exclusions=face_on)
    head = (slice(0, 60), slice(90, 150))  # the head disc sits at the top centre of the figure
    assert everything[head].any() and not no_face[head].any()
    hands_on = MaskExclusions(preserve_face=Exclusion.OFF, preserve_hands=Exclusion.ON)
    _, no_skin = _try_on(MaskType.PROMPT, prompt_based_mask=prompt, mask_exclusions=hands_on)
    # Hands are skin outside the head: the figure has none, so the face stays in the mask.
    assert np.array_equal(no_skin, everything)


def test_preserve_hands_removes_skin_below_the_head() -> None:
    with_hands = PERSON.copy()
    with_hands[190:215, 60:76] = with_hands[190:215, 164:180] = (224, 172, 140)  # hands beside the torso
    with_hands[100:190, 60:76] = with_hands[100:190, 164:180] = (40, 150, 60)  # sleeves down to them
    hands = np.zeros(PERSON.shape[:2], bool)
    hands[190:215, 60:76] = hands[190:215, 164:180] = True
    masks = {}
    for name, rule in (("off", Exclusion.OFF), ("on", Exclusion.ON)):
        params = VirtualTryOnParams(
            source_image=image(with_hands),
            reference_image=image(ITEM),
            mask_type=MaskType.PROMPT,
            prompt_based_mask=PromptBasedMask("the person", mask_shape=MaskShape.CONTOUR),
            mask_exclusions=MaskExclusions(preserve_face=Exclusion.OFF, preserve_hands=rule),
            return_mask=True,
        )
        mask = render_images(request(params)).mask
        assert mask is not None
        masks[name] = mask
    assert (masks["off"] & hands).sum() > 0.5 * hands.sum()
    assert not (masks["on"] & hands).any()
    assert masks["on"].sum() > 0.8 * masks["off"].sum()


@pytest.mark.parametrize("merge", list(MergeStyle))
def test_every_merge_style_keeps_the_outside(merge: MergeStyle) -> None:
    images, mask = _try_on(
        MaskType.GARMENT, garment_based_mask=GarmentBasedMask(GarmentClass.UPPER_BODY), merge_style=merge
    )
    assert np.array_equal(images[0][~mask], PERSON[~mask])


def test_prompt_that_selects_nothing_raises() -> None:
    params = VirtualTryOnParams(
        source_image=image(np.full((200, 200, 3), 128, np.uint8)),
        reference_image=image(ITEM),
        mask_type=MaskType.PROMPT,
        prompt_based_mask=PromptBasedMask("the sofa"),
    )
    with pytest.raises(MaskPromptError):
        render_images(request(params))
