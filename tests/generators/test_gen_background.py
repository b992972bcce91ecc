"""BACKGROUND_REMOVAL: the input's colours with a soft alpha matte that finds a known foreground.

Real photographs are covered by tests/photos; these are the synthetic pictures.
"""

from __future__ import annotations

import cv2
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
    # A salient-object segmenter may take the disc alone or both shapes as the subject, but never part of
    # a shape, nor any of the ground.
    subject = alpha >= 128
    shapes, labels = cv2.connectedComponents(foreground.astype(np.uint8))
    for shape in range(1, shapes):
        covered = subject[labels == shape].mean()
        assert covered > 0.98 or covered < 0.02
    disc = labels == labels[height // 2, width // 3]
    assert subject[disc].mean() > 0.98
    assert (subject & ~foreground).mean() < 0.005
    # Soft: exactly 0 and 255 away from the edge, graded values only in a thin band along it.
    assert (alpha == 0).mean() > 0.5 and (alpha == 255).mean() > 0.1
    graded = (alpha > 0) & (alpha < 255)
    assert 0 < graded.mean() < 0.03


def test_image_without_a_subject_becomes_transparent() -> None:
    flat = np.full((200, 300, 3), 77, np.uint8)
    rgba = render_images(request(BackgroundRemovalParams(image=image(flat)))).images[0]
    assert not rgba[:, :, 3].any()
