"""The subject segmenter's guarantees: the shipped weights, flat pictures, the matte's shape, the cache."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from emulator.generators import subject
from emulator.generators.subject import MODEL_PATH, MODEL_SHA256, cached_analyses, guided_filter, subject_of
from tests.support.scenes import disc_scene


def test_the_shipped_weights_are_the_attributed_file() -> None:
    assert hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest() == MODEL_SHA256


def test_flat_and_near_flat_pictures_have_no_subject() -> None:
    rng = np.random.default_rng(0)
    near_flat = np.clip(120 + rng.normal(0, 1.0, (300, 400, 3)), 0, 255).astype(np.uint8)
    for pixels in (np.full((300, 400, 3), 200, np.uint8), near_flat):
        found = subject_of(pixels)
        assert not found.present and not found.mask.any() and not found.alpha.any()


def test_matte_is_exact_inside_and_outside_and_graded_between() -> None:
    scene, _ = disc_scene(640, 480, seed=3)
    alpha = subject_of(scene).alpha
    assert alpha[240, 213] == 255 and alpha[10, 10] == 0  # the disc's centre; a corner of the ground
    graded = (alpha > 0) & (alpha < 255)
    assert 0 < graded.mean() < 0.06  # a band along the edges (wider where the model is unsure of the box)


def test_guided_filter_keeps_a_constant_and_follows_the_guide() -> None:
    guide = np.zeros((64, 64), np.float32)
    guide[:, 32:] = 1.0
    a, b = guided_filter(guide, np.full((64, 64), 0.25, np.float32), 4, 1e-3)
    assert np.allclose(a * guide + b, 0.25, atol=1e-4)
    a, b = guided_filter(guide, guide.copy(), 4, 1e-3)
    assert np.allclose(a * guide + b, guide, atol=0.01)  # an edge in both stays sharp


def test_analyses_are_cached_by_picture_and_bounded() -> None:
    scene, _ = disc_scene(400, 320, seed=11)
    first = subject_of(scene)
    held = cached_analyses()
    assert subject_of(scene.copy()) is first, "equal pixels, one analysis"
    assert cached_analyses() == held
    for seed in range(subject.CACHE_ENTRIES + 2):
        subject_of(np.full((40, 40, 3), seed, np.uint8))
    count, size = cached_analyses()
    assert count == subject.CACHE_ENTRIES and size == count * 2 * 40 * 40
    assert subject_of(scene) is not first, "evicted, analysed again"
    assert np.array_equal(subject_of(scene).alpha, first.alpha)


def test_cache_is_bounded_in_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subject, "CACHE_BYTES", 3 * 2 * 64 * 64)  # three 64x64 subjects
    for seed in range(6):
        subject_of(np.full((64, 64, 3), 100 + seed, np.uint8))
    count, size = cached_analyses()
    assert size <= subject.CACHE_BYTES and count <= 3


def test_probabilities_do_not_depend_on_the_thread_count(monkeypatch: pytest.MonkeyPatch) -> None:
    scene, _ = disc_scene(480, 360, seed=5)
    maps = []
    for threads in (1, 2, 1):
        monkeypatch.setattr(subject, "MODEL_THREADS", threads)
        maps.append(subject.probability(scene))
    assert all(np.array_equal(maps[0], each) for each in maps[1:])
