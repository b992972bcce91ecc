"""COLOR_GUIDED_GENERATION keeps to its palette; IMAGE_VARIATION follows similarityStrength."""

from __future__ import annotations

import numpy as np
import pytest

from emulator.generators import render_images
from emulator.generators.color_guided import hex_colour, reference_colours
from tests.support.scenes import disc_scene, image, request
from validator.types import ColorGuidedGenerationParams, ImageVariationParams

COLOURS = ("#0B1D51", "#F2C14E", "#E03E36", "#73D2DE")


def _distance_to_palette(pixels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    flat = pixels.reshape(-1, 1, 3).astype(np.int32)
    distances: np.ndarray = np.sqrt(((flat - palette[None, :, :].astype(np.int32)) ** 2).sum(axis=2)).min(
        axis=1
    )
    return distances


@pytest.mark.parametrize("caption", [False, True])
def test_every_pixel_is_a_palette_colour(caption: bool) -> None:
    params = ColorGuidedGenerationParams(text="a kite over the sea", colors=COLOURS)
    pixels = render_images(request(params, width=640, height=384, count=2), caption=caption).images
    palette = np.array([hex_colour(c) for c in COLOURS])
    for picture in pixels:
        assert _distance_to_palette(picture, palette).max() <= 3


def test_reference_image_adds_its_main_colours() -> None:
    scene, _ = disc_scene(320, 240, noise=1.0)
    params = ColorGuidedGenerationParams(text="a kite", colors=COLOURS[:2], reference_image=image(scene))
    picture = render_images(request(params), caption=False).images[0]
    palette = np.concatenate([np.array([hex_colour(c) for c in COLOURS[:2]]), reference_colours(scene)])
    assert _distance_to_palette(picture, palette).max() <= 3
    # The disc's red is one of the reference's main colours.
    assert np.abs(reference_colours(scene).astype(int) - (200, 30, 40)).sum(axis=1).min() < 30


def test_given_colours_dominate() -> None:
    params = ColorGuidedGenerationParams(text="bands", colors=COLOURS)
    picture = render_images(request(params), caption=False).images[0]
    colours, counts = np.unique(picture.reshape(-1, 3), axis=0, return_counts=True)
    palette = {hex_colour(c) for c in COLOURS}
    assert {tuple(int(v) for v in c) for c in colours} <= palette
    assert counts.max() < 0.9 * counts.sum(), "more than one colour shows"


def test_variation_similarity_rises_with_similarity_strength() -> None:
    scene, _ = disc_scene(512, 512)
    distances = []
    for strength in (0.2, 0.4, 0.6, 0.8, 1.0):
        params = ImageVariationParams(images=(image(scene),), similarity_strength=strength, text="a toy")
        picture = render_images(request(params), caption=False).images[0]
        distances.append(float(np.abs(picture.astype(int) - scene).mean()))
    assert distances == sorted(distances, reverse=True), distances
    assert distances[-1] < 10 < distances[0]


def test_variation_blends_several_inputs() -> None:
    red = np.full((256, 256, 3), (220, 20, 20), np.uint8)
    blue = np.full((300, 200, 3), (20, 20, 220), np.uint8)
    params = ImageVariationParams(images=(image(red), image(blue)), similarity_strength=1.0)
    picture = render_images(request(params), caption=False).images[0]
    mean = picture.reshape(-1, 3).mean(axis=0)
    assert mean[0] > 80 and mean[2] > 80 and mean[1] < 80
