"""Stability services on the real photographs (fixtures/photos and their reference masks, see
tests/support/photos.py): Remove Background's matte, and the regions Search and Replace / Recolor select."""

from __future__ import annotations

import base64

import cv2
import numpy as np

from emulator.generators.segment import select_region
from emulator.generators.stability import generate_stability, render_stability
from tests.support.photos import (
    PHOTOS,
    SMALL_SUBJECT,
    SUBJECT_PROMPTS,
    iou,
    photo_b64,
    photo_bytes,
    photo_pixels,
    reference_mask,
)
from tests.support.stability_scenes import decode, stability_request
from validator.stability.models import Operation
from validator.stability.types import OutputFormat, StabilityImage


def _photo(name: str) -> StabilityImage:
    """The JPEG as sent, decoded as the emulator decodes it."""
    assert base64.b64decode(photo_b64(name)) == photo_bytes(name)
    return StabilityImage(
        pointer="#/image", base64=photo_b64(name), format=OutputFormat.JPEG, pixels=photo_pixels(name)
    )


def _small(name: str) -> bool:
    return bool(reference_mask(name).mean() < SMALL_SUBJECT)


def test_remove_background_agrees_with_the_reference_on_every_photo() -> None:
    scores = {}
    for name in PHOTOS:
        request = stability_request(Operation.REMOVE_BACKGROUND, image=_photo(name))
        rgba = decode(generate_stability(request).image)
        assert rgba.shape == (*photo_pixels(name).shape[:2], 4)
        assert np.array_equal(rgba[:, :, :3], photo_pixels(name)), "colour channels are the input's"
        scores[name] = iou(rgba[:, :, 3] > 127, reference_mask(name))
    assert np.mean(list(scores.values())) >= 0.85, scores
    for name, score in scores.items():
        if not _small(name):
            assert score >= 0.7, (name, scores)


def test_search_and_replace_edits_the_subject_the_search_prompt_names() -> None:
    scores = {}
    for name in PHOTOS:
        request = stability_request(
            Operation.SEARCH_REPLACE,
            prompt="a bronze statue",
            image=_photo(name),
            search_prompt=SUBJECT_PROMPTS[name],
            grow_mask=0,
        )
        changed = np.any(render_stability(request, caption=False) != photo_pixels(name), axis=2)
        scores[name] = iou(changed, reference_mask(name))
    for name, score in scores.items():
        if not _small(name):
            assert score >= 0.6, (name, scores)


def test_search_and_recolor_turns_the_cat_blue_and_keeps_its_fur() -> None:
    cat = reference_mask("chelsea")
    request = stability_request(
        Operation.SEARCH_RECOLOR, prompt="a blue cat", image=_photo("chelsea"), select_prompt="the cat"
    )
    out = decode(generate_stability(request).image)
    photo = photo_pixels("chelsea")
    core = (cv2.erode(cat.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0) & np.all(out != photo, axis=2)
    assert core.mean() > 0.1
    grey_in = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)[core].astype(float)
    grey_out = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)[core].astype(float)
    assert np.corrcoef(grey_in, grey_out)[0, 1] > 0.9
    mean = out[core].astype(float).mean(axis=0)
    assert mean[2] > mean[0] + 20, mean
    # Outside the selected region grown by the default 5 pixels, the photo is kept exactly.
    selected = select_region(photo, "the cat").astype(np.uint8)
    far = cv2.distanceTransform(1 - selected, cv2.DIST_L2, cv2.DIST_MASK_PRECISE) > 6
    assert far.mean() > 0.1 and np.array_equal(out[far], photo[far])
