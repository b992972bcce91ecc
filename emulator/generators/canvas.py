"""Cheap, structured pictures: shapes over a gradient, drawn small and scaled up.

Everything is drawn at a quarter of the output size and enlarged with one `cv2.resize`, which keeps a
2048 x 2048 picture to a few milliseconds and gives the smooth, correlated pixels that make a PNG compress
like a real picture does (flat noise would not compress at all; flat colour would compress to nothing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeAlias

import cv2
import numpy as np
import numpy.typing as npt

from validator.types import ImageSize, Pixels

from .look import Look

# Drawing at 1/4 of the output size: fine enough for visible structure, small enough to be nearly free.
WORK_FACTOR = 4
_MIN_WORK_SIDE = 48


def work_shape(size: ImageSize, factor: int = WORK_FACTOR) -> tuple[int, int]:
    """(height, width) of the working canvas for an output size."""
    return (
        max(_MIN_WORK_SIDE, math.ceil(size.height / factor)),
        max(_MIN_WORK_SIDE, math.ceil(size.width / factor)),
    )


def upscale(image: npt.NDArray[np.uint8], size: ImageSize, *, nearest: bool = False) -> Pixels:
    """Resize a working canvas to the output size."""
    # Cubic keeps shape edges crisper than linear at about the same cost.
    method = cv2.INTER_NEAREST if nearest else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(image, (size.width, size.height), interpolation=method), dtype=np.uint8)


def smooth_noise(
    rng: np.random.Generator, shape: tuple[int, int], channels: int, grid: int = 4
) -> np.ndarray:
    """Low-frequency noise in -1..1: a tiny random grid blown up with cubic interpolation."""
    coarse = rng.uniform(-1.0, 1.0, (grid, grid, channels)).astype(np.float32)
    field = cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)
    return np.asarray(field, dtype=np.float32).reshape(shape[0], shape[1], channels)


def _background(look: Look, shape: tuple[int, int], rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """A lit two-colour gradient with soft colour drift (paper-flat for sketchy styles).

    It has no detail finer than an eighth of the canvas, so it is computed at that size and enlarged: this
    keeps the float arithmetic off the large arrays.
    """
    h, w = shape
    coarse = (max(8, h // 8), max(8, w // 8))
    palette = look.palette
    if look.sky:
        top, bottom = palette[rng.choice(len(palette), size=2, replace=False)]
        t = np.linspace(0.0, 1.0, coarse[0], dtype=np.float32)[:, None, None]
        base = (
            top[None, None, :] * (1.0 - t) + bottom[None, None, :] * t + 28.0 * smooth_noise(rng, coarse, 3)
        )
    else:
        paper = np.float32(0.85) * palette[int(rng.integers(len(palette)))] + np.float32(0.15 * 255.0)
        base = paper[None, None, :] + 6.0 * smooth_noise(rng, coarse, 3)
    # Soft light from one side gives the picture some depth.
    base = base * (1.0 + 0.18 * smooth_noise(rng, coarse, 1, grid=3))
    small = np.clip(base, 0, 255).astype(np.uint8)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.uint8)


Colour: TypeAlias = "tuple[float, float, float] | int"


def _draw(
    canvas: npt.NDArray[np.uint8], kind: int, geometry: tuple[int, ...], colour: Colour, width: int, line: int
) -> None:
    """One shape; `width` -1 fills it. Geometry is (cx, cy, r, angle, x0, x1, x2, peak)."""
    cx, cy, r, angle, x0, x1, x2, peak = geometry
    h = canvas.shape[0]
    if kind == 0:
        cv2.circle(canvas, (cx, cy), r, colour, width, line)
    elif kind == 1:
        cv2.ellipse(canvas, (cx, cy), (r, max(1, r // 2)), float(angle), 0.0, 360.0, colour, width, line)
    elif kind == 2:
        cv2.rectangle(canvas, (cx - r, cy - r // 2), (cx + r, cy + r // 2), colour, width, line)
    else:
        hill = np.array([[x0, h], [x1, peak], [x2, h]], dtype=np.int32)
        if width < 0:
            cv2.fillPoly(canvas, [hill], colour, lineType=line)
        else:
            cv2.polylines(canvas, [hill], True, colour, width, lineType=line)


def draw_shapes(
    canvas: npt.NDArray[np.uint8],
    fills: Sequence[Colour],
    rng: np.random.Generator,
    *,
    antialias: bool = True,
    outline: int = 0,
    outline_colour: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> None:
    """Draw one random disc, ellipse, box or hill per fill colour."""
    h, w = canvas.shape[:2]
    line = cv2.LINE_AA if antialias else cv2.LINE_8
    count = len(fills)
    # All the randomness in a few vectorised draws: per-shape calls into the generator cost more than drawing.
    kinds = rng.integers(0, 4, count)
    radii = rng.integers(max(2, min(w, h) // 14), max(3, min(w, h) // 4), count)
    centres = rng.random((count, 2)) * (w, h)
    angles = rng.integers(0, 180, count)
    hills = np.sort(rng.integers(-w // 4, w + w // 4, (count, 3)), axis=1)
    peaks = rng.integers(h // 3, h, count)
    for i in range(count):
        geometry = (
            int(centres[i, 0]),
            int(centres[i, 1]),
            int(radii[i]),
            int(angles[i]),
            *hills[i].tolist(),
            int(peaks[i]),
        )
        _draw(canvas, int(kinds[i]), geometry, fills[i], -1, line)
        if outline:
            _draw(canvas, int(kinds[i]), geometry, outline_colour, outline, line)


def shape_colours(palette: npt.NDArray[np.float32], count: int, rng: np.random.Generator) -> list[Colour]:
    """`count` fill colours: palette entries, each a little lighter or darker."""
    picks = palette[rng.integers(0, len(palette), count)] * rng.uniform(0.8, 1.15, (count, 1)).astype(
        np.float32
    )
    return [(r, g, b) for r, g, b in np.clip(picks, 0, 255).tolist()]


def paint_small(look: Look, size: ImageSize, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """The picture at working resolution."""
    canvas = _background(look, work_shape(size), rng)
    fills = shape_colours(look.palette, look.shapes, rng)
    draw_shapes(canvas, fills, rng, outline=look.outline, outline_colour=look.outline_colour)
    if look.blur > 0:
        canvas = np.asarray(cv2.GaussianBlur(canvas, (0, 0), look.blur), dtype=np.uint8)
    if look.grain:
        # Fine luminance grain (one plane for all three channels), as in any photo or painting: without it
        # the picture would compress far better than real images do. The enlargement softens it.
        plane = rng.integers(0, 2 * look.grain + 1, canvas.shape[:2], dtype=np.uint8)
        # Saturating uint8 add, then a clamped subtract: fast passes instead of a round trip through int16.
        added = np.asarray(cv2.add(canvas, cv2.merge([plane, plane, plane])), dtype=np.uint8)
        canvas = np.maximum(added, np.uint8(look.grain)) - np.uint8(look.grain)
    return canvas


def paint(look: Look, size: ImageSize, rng: np.random.Generator) -> Pixels:
    """A structured, colourful picture of the output size."""
    return upscale(paint_small(look, size, rng), size)
