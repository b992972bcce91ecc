"""TEXT_IMAGE: structured, colourful, shaped by every text parameter; CANNY_EDGE and SEGMENTATION."""

from __future__ import annotations

import dataclasses
from typing import Any

import cv2
import numpy as np
import pytest

from emulator.generators import encode_png, render_images
from tests.support.scenes import disc_scene, edge_overlap, image, request
from validator.types import ControlMode, Quality, Style, TextToImageParams

PROMPT = TextToImageParams(text="a red fox in a snowy forest")


def _pixels(params: TextToImageParams, **config: Any) -> np.ndarray:
    return render_images(request(params, **config), caption=False).images[0]


def test_compresses_like_a_picture_not_like_noise_or_a_flat_fill() -> None:
    pixels = _pixels(PROMPT, width=1024, height=1024)
    size = len(encode_png(pixels))
    flat = len(encode_png(np.full_like(pixels, 128)))
    assert size < 0.6 * pixels.nbytes
    assert size > 20 * flat


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_is_colourful_and_structured(seed: int) -> None:
    pixels = _pixels(PROMPT, seed=seed)
    hsv = cv2.cvtColor(pixels, cv2.COLOR_RGB2HSV)
    hues = np.unique(hsv[:, :, 0][hsv[:, :, 1] > 60] // 15)
    assert len(hues) >= 3, "several distinct hues"
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY).astype(np.float64)
    assert grey.std() > 15, "not flat"
    # Neighbouring pixels agree (unlike noise), yet the picture has regions that differ: structure.
    neighbours = np.corrcoef(grey[:, :-1].ravel(), grey[:, 1:].ravel())[0, 1]
    assert neighbours > 0.9
    blocks = grey.reshape(16, 32, 16, 32).mean(axis=(1, 3))
    assert blocks.std() > 10, "regions of different brightness"


@pytest.mark.parametrize(
    ("change", "config"),
    [
        ({"text": "a blue whale in a calm ocean"}, {}),
        ({"negative_text": "trees"}, {}),
        ({"style": Style.DESIGN_SKETCH}, {}),
        ({"style": Style.MAXIMALISM}, {}),
        ({}, {"quality": Quality.PREMIUM}),
        ({}, {"cfg_scale": 9.5}),
    ],
)
def test_every_text_parameter_changes_the_picture(
    change: dict[str, object], config: dict[str, object]
) -> None:
    base = _pixels(PROMPT)
    other = _pixels(dataclasses.replace(PROMPT, **change), **config)  # type: ignore[arg-type]
    assert np.abs(base.astype(int) - other).mean() > 10


def test_named_colours_lead_the_palette() -> None:
    red = _pixels(TextToImageParams(text="red red red"))
    blue = _pixels(TextToImageParams(text="blue blue blue"))
    assert red[:, :, 0].mean() > red[:, :, 2].mean()
    assert blue[:, :, 2].mean() > blue[:, :, 0].mean()


def test_canny_edge_overlap_rises_with_control_strength() -> None:
    scene, _ = disc_scene(400, 300)
    condition = image(scene)
    resized = cv2.resize(scene, (512, 512), interpolation=cv2.INTER_AREA)
    condition_edges = cv2.Canny(cv2.cvtColor(resized, cv2.COLOR_RGB2GRAY), 80, 160) > 0
    overlaps = []
    for strength in (0.0, 0.25, 0.5, 0.75, 1.0):
        params = TextToImageParams(
            text="a tower",
            condition_image=condition,
            control_mode=ControlMode.CANNY_EDGE,
            control_strength=strength,
        )
        overlaps.append(edge_overlap(_pixels(params), condition_edges))
    assert overlaps == sorted(overlaps), overlaps
    assert overlaps[-1] > 0.9 and overlaps[-1] - overlaps[0] > 0.4, overlaps


def test_segmentation_fills_the_condition_regions_with_distinct_colours() -> None:
    scene, _ = disc_scene(512, 512, noise=1.0)
    params = TextToImageParams(
        text="a tower",
        condition_image=image(scene),
        control_mode=ControlMode.SEGMENTATION,
        control_strength=1.0,
    )
    out = _pixels(params)
    disc = out[256 - 40 : 256 + 40, 170 - 40 : 170 + 40].reshape(-1, 3)
    box = out[200:300, 360:410].reshape(-1, 3)
    ground = out[10:60, 10:60].reshape(-1, 3)
    medians = [np.median(region, axis=0) for region in (disc, box, ground)]
    for region, median in zip((disc, box, ground), medians, strict=True):
        assert np.abs(region - median).max() < 12, "each region is one flat colour"
    for i in range(3):
        for j in range(i + 1, 3):
            assert np.abs(medians[i] - medians[j]).sum() > 40
