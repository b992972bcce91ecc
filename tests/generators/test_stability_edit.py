"""Stability editing services: which pixels change (mask polarity, grey levels, alpha, grow_mask, search
prompts), that every other pixel is kept byte for byte through PNG and WebP, outpaint's canvas, recolour,
erase, and background removal."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from emulator.generators.stability import generate_stability, render_stability
from emulator.generators.stability.masks import blend, grow
from tests.support.scenes import disc_scene
from tests.support.stability_scenes import decode, grey_mask, stability_image, stability_request
from validator.stability.models import Operation
from validator.stability.types import OutputFormat

SCENE, FOREGROUND = disc_scene(320, 240)
IMAGE = stability_image(SCENE)
BOX = np.zeros((240, 320), bool)
BOX[80:160, 120:220] = True


def _changed(out: np.ndarray, before: np.ndarray = SCENE) -> np.ndarray:
    return np.asarray(np.any(out[:, :, :3] != before, axis=2))


def _outside(region: np.ndarray, margin: float) -> np.ndarray:
    """Pixels further than `margin` (Euclidean) from every pixel of `region`."""
    distance = cv2.distanceTransform((~region).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return np.asarray(distance > margin)


@pytest.mark.parametrize("fmt", [OutputFormat.PNG, OutputFormat.WEBP])
@pytest.mark.parametrize("operation", [Operation.INPAINT, Operation.ERASE])
def test_pixels_outside_the_grown_mask_are_kept_exactly(operation: Operation, fmt: OutputFormat) -> None:
    mask = grey_mask(BOX * np.uint8(255))
    request = stability_request(
        operation,
        prompt="a cat" if operation is Operation.INPAINT else "",
        image=IMAGE,
        mask=mask,
        grow_mask=6,
        output_format=fmt,
    )
    out = decode(generate_stability(request).image)  # caption on: it must stay in the edited area
    keep = _outside(BOX, 7.0)
    assert np.array_equal(out[keep], SCENE[keep])
    assert _changed(out)[BOX].mean() > 0.9


def test_white_edits_black_keeps_and_an_all_black_mask_changes_nothing() -> None:
    black = stability_request(
        Operation.INPAINT, prompt="a cat", image=IMAGE, mask=grey_mask(np.zeros((240, 320)))
    )
    assert np.array_equal(decode(generate_stability(black).image), SCENE)
    inverted = stability_request(
        Operation.INPAINT, prompt="a cat", image=IMAGE, mask=grey_mask(~BOX * np.uint8(255)), grow_mask=0
    )
    out = render_stability(inverted)
    assert np.array_equal(out[BOX], SCENE[BOX]) and _changed(out)[~BOX].mean() > 0.9


def test_grey_levels_are_partial_strength() -> None:
    levels = np.zeros((240, 320), np.uint8)
    levels[:, :160] = 255
    levels[:, 160:] = 96
    request = stability_request(
        Operation.INPAINT, prompt="a purple cat", image=IMAGE, mask=grey_mask(levels), grow_mask=0
    )
    out = render_stability(request, caption=False).astype(int)
    full = np.abs(out[:, :160] - SCENE[:, :160]).mean()
    partial = np.abs(out[:, 160:] - SCENE[:, 160:]).mean()
    assert 0.15 * full < partial < 0.6 * full, (full, partial)
    # The mix itself: weight w of 255 takes w/255 of the new pixel, rounded.
    kept, fresh = np.full((1, 3, 3), 200, np.uint8), np.full((1, 3, 3), 50, np.uint8)
    mixed = blend(kept, fresh, np.array([[0, 96, 255]], np.uint8))
    assert mixed[0, :, 0].tolist() == [200, 144, 50]


def test_a_mask_of_another_size_is_resized_to_the_image() -> None:
    half = np.zeros((120, 160), np.uint8)
    half[40:80, 60:110] = 255
    request = stability_request(
        Operation.INPAINT, prompt="a cat", image=IMAGE, mask=grey_mask(half), grow_mask=0
    )
    changed = _changed(render_stability(request, caption=False))
    assert changed.shape == (240, 320)
    assert changed[84:156, 124:216].all() and not changed[_outside(BOX, 2.0)].any()


def test_without_a_mask_the_transparent_pixels_are_edited() -> None:
    alpha = np.full((240, 320), 255, np.uint8)
    alpha[BOX] = 0
    image = stability_image(SCENE, alpha=alpha)
    for operation in (Operation.INPAINT, Operation.ERASE):
        request = stability_request(operation, prompt="a cat", image=image, grow_mask=0)
        out = decode(generate_stability(request).image)
        assert out.shape == (240, 320, 3)
        assert np.array_equal(out[~BOX], SCENE[~BOX]) and _changed(out)[BOX].mean() > 0.9
    opaque = stability_request(Operation.INPAINT, prompt="a cat", image=IMAGE)
    assert np.array_equal(render_stability(opaque), SCENE), "no mask, no alpha: nothing to edit"


def test_grow_mask_widens_the_edit_by_that_many_pixels_with_a_soft_edge() -> None:
    areas = []
    for radius in (0, 5, 12):
        request = stability_request(
            Operation.INPAINT,
            prompt="a cat",
            image=IMAGE,
            mask=grey_mask(BOX * np.uint8(255)),
            grow_mask=radius,
        )
        changed = _changed(render_stability(request, caption=False))
        assert not changed[_outside(BOX, radius + 1.0)].any(), radius
        within = ~_outside(BOX, max(0.0, radius - 1.0))
        assert changed[within].mean() > 0.97, radius
        areas.append(int(changed.sum()))
    assert areas == sorted(areas) and areas[0] < areas[1] < areas[2]
    # The band fades out: near the mask at nearly full weight, at its outer edge faint.
    weights = grow(BOX * np.uint8(255), 10.0)
    assert weights[BOX].min() == 255
    assert weights[120, 220] > 200 and 0 < weights[120, 229] < 40 and weights[120, 230] == 0


def test_erase_fills_from_the_surroundings_without_a_prompt() -> None:
    disc = np.zeros((240, 320), bool)
    cv2.circle(disc.view(np.uint8), (106, 120), 64, 1, -1)
    request = stability_request(
        Operation.ERASE, image=IMAGE, mask=grey_mask(disc * np.uint8(255)), grow_mask=3
    )
    out = render_stability(request, caption=False)
    filled = out[disc].astype(float).mean(axis=0)
    ground = SCENE[~FOREGROUND].astype(float).mean(axis=0)
    assert np.abs(filled - ground).max() < 25, "the red disc is gone, replaced by the pale ground"


def test_outpaint_grows_the_canvas_and_keeps_the_input_at_its_offset() -> None:
    request = stability_request(
        Operation.OUTPAINT,
        prompt="a beach",
        image=IMAGE,
        left=50,
        right=10,
        up=30,
        down=70,
        output_format=OutputFormat.WEBP,
    )
    out = decode(generate_stability(request).image)
    assert out.shape == (240 + 100, 320 + 60, 3)
    assert np.array_equal(out[30:270, 50:370], SCENE)
    # Next to the input the new area continues it; it is not a flat fill.
    assert np.abs(out[25:30, 50:370].astype(int) - SCENE[:5][::-1]).mean() < 20
    assert out[280:, :].std() > 5


def test_outpaint_creativity_moves_the_new_area_away_from_the_input() -> None:
    distances = []
    for creativity in (0.1, 0.5, 1.0):
        request = stability_request(
            Operation.OUTPAINT, prompt="a deep blue ocean", image=IMAGE, left=300, creativity=creativity
        )
        out = render_stability(request, caption=False).astype(int)
        distances.append(np.abs(out[:, :200] - np.fliplr(SCENE)[:, 120:]).mean())
    assert distances == sorted(distances) and distances[-1] > 2 * distances[0], distances


def test_search_and_replace_changes_the_selected_object_only() -> None:
    request = stability_request(
        Operation.SEARCH_REPLACE, prompt="a green ball", image=IMAGE, search_prompt="the red one", grow_mask=4
    )
    out = decode(generate_stability(request).image)
    disc = np.zeros((240, 320), bool)
    cv2.circle(disc.view(np.uint8), (106, 120), 60, 1, -1)
    changed = _changed(out)
    assert changed[disc].mean() > 0.9
    right_of_disc = np.broadcast_to(np.arange(320)[None, :] > 190, changed.shape)
    assert not changed[right_of_disc].any(), "the blue box and the ground around it are untouched"


def test_search_with_background_words_edits_the_complement() -> None:
    request = stability_request(
        Operation.SEARCH_REPLACE,
        prompt="a starry night",
        image=IMAGE,
        search_prompt="the background",
        grow_mask=0,
    )
    changed = _changed(render_stability(request, caption=False))
    core = cv2.erode(FOREGROUND.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    assert not changed[core].any() and changed[~FOREGROUND].mean() > 0.8


def test_a_flat_picture_has_nothing_to_search_and_comes_back_unchanged() -> None:
    flat = np.full((200, 200, 3), 128, np.uint8)
    request = stability_request(
        Operation.SEARCH_REPLACE, prompt="a cat", image=stability_image(flat), search_prompt="dog"
    )
    assert np.array_equal(decode(generate_stability(request).image), flat)


def test_search_and_recolor_keeps_luminance_and_moves_the_colour() -> None:
    textured = SCENE.copy()
    stripes = (np.sin(np.arange(320) / 3.0) * 40).astype(int)[None, :, None]
    textured[FOREGROUND] = np.clip(textured.astype(int) + stripes, 0, 255).astype(np.uint8)[FOREGROUND]
    request = stability_request(
        Operation.SEARCH_RECOLOR,
        prompt="a green jacket",
        image=stability_image(textured),
        select_prompt="the objects",
    )
    out = decode(generate_stability(request).image)  # no caption on recolour
    core = cv2.erode(FOREGROUND.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    grey_in = cv2.cvtColor(textured, cv2.COLOR_RGB2GRAY)[core].astype(float)
    grey_out = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)[core].astype(float)
    assert np.corrcoef(grey_in, grey_out)[0, 1] > 0.9, "the texture survives"
    assert np.abs(grey_in - grey_out).mean() < 30
    hue = cv2.cvtColor(out, cv2.COLOR_RGB2HSV)[core][:, 0].astype(float) * 2
    assert np.abs(np.median(hue) - 120) < 30, "green"
    keep = _outside(FOREGROUND, 6.0)
    assert np.array_equal(out[keep], textured[keep])


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_remove_background_cuts_out_the_subject(fmt: OutputFormat) -> None:
    request = stability_request(Operation.REMOVE_BACKGROUND, image=IMAGE, output_format=fmt)
    out = decode(generate_stability(request).image)
    core = cv2.erode(FOREGROUND.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    far = _outside(FOREGROUND, 8.0)
    if fmt is OutputFormat.JPEG:
        # A JPEG has no alpha: the cut-out on white.
        assert out.shape == (240, 320, 3)
        assert out[far].min() > 235 and np.abs(out[core].astype(int) - SCENE[core]).mean() < 6
        return
    assert out.shape == (240, 320, 4)
    assert np.array_equal(out[:, :, :3], SCENE), "colour channels untouched, even under transparency"
    assert (out[:, :, 3][core] == 255).all() and (out[:, :, 3][far] == 0).all()
    again = dataclasses.replace(request, seed=99)
    assert np.array_equal(decode(generate_stability(again).image), out), "the same for any seed"
