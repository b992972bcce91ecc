"""BACKGROUND_REMOVAL: the input's colours with a soft alpha matte that finds a known foreground."""

from __future__ import annotations

import numpy as np
import pytest

from emulator.generators import render_images
from tests.support.scenes import disc_scene, image, request
from validator.types import BackgroundRemovalParams


@pytest.mark.parametrize(("width", "height", "noise"), [(512, 384, 4.0), (1024, 768, 8.0), (333, 777, 2.0)])
def test_matte_matches_the_known_foreground(width: int, height: int, noise: float) -> None:
    scene, foreground = disc_scene(width, height, noise=noise, seed=width)
    rgba = render_images(request(BackgroundRemovalParams(image=image(scene)))).images[0]
    assert rgba.shape == (height, width, 4)
    assert np.array_equal(rgba[:, :, :3], scene)
    alpha = rgba[:, :, 3]
    assert ((alpha >= 128) == foreground).mean() > 0.99
    # Soft: exactly 0 and 255 away from the edge, graded values only in a thin band along it.
    assert (alpha == 0).mean() > 0.5 and (alpha == 255).mean() > 0.1
    graded = (alpha > 0) & (alpha < 255)
    assert 0 < graded.mean() < 0.03


def test_image_without_a_subject_becomes_transparent() -> None:
    flat = np.full((200, 300, 3), 77, np.uint8)
    rgba = render_images(request(BackgroundRemovalParams(image=image(flat)))).images[0]
    assert not rgba[:, :, 3].any()
