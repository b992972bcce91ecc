"""INPAINTING and OUTPAINTING: kept pixels stay, edited ones are new; mask prompts are deterministic."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from emulator.generators import MaskPromptError, render_images
from emulator.generators.editing import BLEND_BAND
from emulator.generators.segment import main_colours
from tests.support.scenes import disc_scene, image, mask_image, request
from validator.types import InPaintingParams, ModelId, OutPaintingMode, OutPaintingParams

SCENE, FOREGROUND = disc_scene(480, 360)
DISC = np.zeros(FOREGROUND.shape, np.uint8)
cv2.circle(DISC, (160, 180), 90, 1, -1)
DISC_MASK = DISC.astype(bool)
UNIFORM = np.full((300, 400, 3), (90, 140, 200), np.uint8)


def _render(
    params: InPaintingParams | OutPaintingParams, caption: bool = True, count: int = 2
) -> list[np.ndarray]:
    return list(render_images(request(params, count=count), caption=caption).images)


@pytest.mark.parametrize("text", ["a sleeping cat", None])
def test_inpainting_keeps_every_pixel_outside_the_black_area(text: str | None) -> None:
    params = InPaintingParams(image=image(SCENE), mask_image=mask_image(DISC_MASK), text=text)
    for out in _render(params):  # caption on: it must stay inside the edited area
        assert np.array_equal(out[~DISC_MASK], SCENE[~DISC_MASK])


def test_inpainting_with_text_paints_new_content() -> None:
    params = InPaintingParams(image=image(SCENE), mask_image=mask_image(DISC_MASK), text="a sleeping cat")
    out = _render(params, caption=False)[0]
    assert np.abs(out[DISC_MASK].astype(int) - SCENE[DISC_MASK]).mean() > 40


def test_inpainting_without_text_fills_from_the_surroundings() -> None:
    params = InPaintingParams(image=image(SCENE), mask_image=mask_image(DISC_MASK))
    out = _render(params, caption=False)[0]
    filled = out[DISC_MASK].astype(float).mean(axis=0)
    background = SCENE[~FOREGROUND].astype(float).mean(axis=0)
    assert np.abs(filled - background).max() < 25, "the red disc is gone, replaced by the pale ground"


def test_mask_prompt_selects_the_subject_or_its_piece_of_the_named_colour() -> None:
    subject = render_images(
        request(
            InPaintingParams(
                image=image(SCENE),
                mask_prompt="the object",
                return_mask=True,
            ),
            model=ModelId.TITAN_V2,
        )
    ).mask
    assert subject is not None
    # The segmenter sees both shapes as the subject; an object word without a colour selects all of it.
    assert (subject & FOREGROUND).sum() > 0.95 * FOREGROUND.sum()
    assert (subject & ~FOREGROUND).sum() < 0.03 * FOREGROUND.sum()
    blue = render_images(
        request(
            InPaintingParams(image=image(SCENE), mask_prompt="the blue box", return_mask=True),
            model=ModelId.TITAN_V2,
        )
    ).mask
    assert blue is not None
    box = FOREGROUND & ~DISC_MASK
    assert (blue & box).sum() > 0.95 * box.sum() and not (blue & DISC_MASK).any()
    red = render_images(
        request(
            InPaintingParams(image=image(SCENE), mask_prompt="the red disc", return_mask=True),
            model=ModelId.TITAN_V2,
        )
    ).mask
    assert red is not None
    assert (red & DISC_MASK).sum() > 0.95 * DISC_MASK.sum() and not (red & box).any()


def test_mask_prompt_naming_the_background_selects_all_but_the_objects() -> None:
    mask = render_images(
        request(
            InPaintingParams(image=image(SCENE), mask_prompt="background", return_mask=True),
            model=ModelId.TITAN_V1,
        )
    ).mask
    assert mask is not None
    assert (mask == ~FOREGROUND).mean() > 0.97


@pytest.mark.parametrize(
    "params",
    [
        InPaintingParams(image=image(UNIFORM), mask_prompt="the dog"),
        OutPaintingParams(image=image(UNIFORM), mask_prompt="the dog", text="a park"),
        InPaintingParams(
            image=image(np.tile(np.linspace(0, 255, 400, dtype=np.uint8)[None, :, None], (300, 1, 3))),
            mask_prompt="cat",
        ),
    ],
)
def test_mask_prompt_that_selects_nothing_raises(params: InPaintingParams | OutPaintingParams) -> None:
    with pytest.raises(MaskPromptError):
        render_images(request(params))


def test_outpainting_precise_keeps_the_black_area_exactly() -> None:
    params = OutPaintingParams(
        image=image(SCENE),
        mask_image=mask_image(FOREGROUND),
        text="a beach",
        out_painting_mode=OutPaintingMode.PRECISE,
    )
    for out in _render(params):
        assert np.array_equal(out[FOREGROUND], SCENE[FOREGROUND])
        assert np.abs(out[~FOREGROUND].astype(int) - SCENE[~FOREGROUND]).mean() > 30


def test_outpainting_default_blends_only_a_thin_band_of_the_kept_area() -> None:
    params = OutPaintingParams(image=image(SCENE), mask_image=mask_image(FOREGROUND), text="a beach")
    out = _render(params)[0]
    depth = cv2.distanceTransform(FOREGROUND.astype(np.uint8), cv2.DIST_L2, 3)
    interior = depth > BLEND_BAND
    assert np.array_equal(out[interior], SCENE[interior])
    band = FOREGROUND & ~interior
    assert (out[band] != SCENE[band]).any(), "DEFAULT adjusts the rim"
    assert np.abs(out[~FOREGROUND].astype(int) - SCENE[~FOREGROUND]).mean() > 30


def test_outpainting_mask_prompt_names_what_to_keep() -> None:
    params = OutPaintingParams(
        image=image(SCENE),
        mask_prompt="disc",
        text="snow",
        out_painting_mode=OutPaintingMode.PRECISE,
        return_mask=True,
    )
    rendered = render_images(request(params, model=ModelId.TITAN_V2))
    assert rendered.mask is not None
    kept = ~rendered.mask
    assert (kept & DISC_MASK).sum() > 0.95 * DISC_MASK.sum()
    assert np.array_equal(rendered.images[0][kept], SCENE[kept])


def test_outpainting_without_text_paints_a_new_scene_in_the_image_colours() -> None:
    params = OutPaintingParams(
        image=image(SCENE), mask_image=mask_image(FOREGROUND), out_painting_mode=OutPaintingMode.PRECISE
    )
    out = _render(params, caption=False)[0]
    assert np.array_equal(out[FOREGROUND], SCENE[FOREGROUND])
    fresh = out[~FOREGROUND].astype(int)
    assert np.abs(fresh - SCENE[~FOREGROUND]).mean() > 20, "new content, not the old background"
    palette = main_colours(SCENE, 6).astype(int)
    nearest = np.sqrt(((fresh[:, None, :] - palette[None]) ** 2).sum(axis=2)).min(axis=1)
    assert nearest.mean() < 45, "drawn in the input's own colours"
