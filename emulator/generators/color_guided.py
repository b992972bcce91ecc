"""COLOR_GUIDED_GENERATION: a picture drawn only in the requested colours (plus the reference's main ones)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from validator.types import ColorGuidedGenerationParams, InvokeRequest, Pixels

from .canvas import draw_shapes, upscale, work_shape
from .layout import CaptionStyle, Layout, params_of
from .look import look_for
from .segment import main_colours

REFERENCE_COLOURS = 3


@dataclass(frozen=True, eq=False, kw_only=True)
class ColorGuidedLayout(Layout):
    """The palette every output pixel is drawn from, and how busy the picture is."""

    palette: npt.NDArray[np.uint8]  # k x 3 RGB
    shapes: int


def hex_colour(text: str) -> tuple[int, int, int]:
    """`#RRGGBB` (validated upstream) to an RGB triple."""
    return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))


def reference_colours(pixels: Pixels, count: int = REFERENCE_COLOURS) -> npt.NDArray[np.uint8]:
    """The main colours of a reference image."""
    return main_colours(pixels, count)


def prepare_color_guided(request: InvokeRequest) -> ColorGuidedLayout:
    """Collect the palette; choose caption colours from it so the caption keeps to the palette too."""
    params = params_of(request, ColorGuidedGenerationParams)
    colours = np.array([hex_colour(c) for c in params.colors], dtype=np.uint8)
    if params.reference_image is not None:
        colours = np.concatenate([colours, reference_colours(params.reference_image.pixels)])
    look = look_for(params.text, params.negative_text, None, request.config.quality, request.config.cfg_scale)
    luma = colours.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    dark, light = colours[int(np.argmin(luma))], colours[int(np.argmax(luma))]
    caption = CaptionStyle(
        box=(int(dark[0]), int(dark[1]), int(dark[2])),
        ink=(int(light[0]), int(light[1]), int(light[2])),
        antialias=False,
        enabled=bool(luma.max() - luma.min() >= 60),  # unreadable in a one-tone palette: leave it out
    )
    return ColorGuidedLayout(size=request.output_size, caption=caption, palette=colours, shapes=look.shapes)


def render_color_guided(layout: ColorGuidedLayout, rng: np.random.Generator) -> Pixels:
    """Draw palette indices (bands, then shapes), map them to colours, enlarge without interpolation."""
    h, w = work_shape(layout.size)
    count = len(layout.palette)
    labels = np.empty((h, w), dtype=np.uint8)
    # Two or three wavy horizontal bands make a landscape-like ground for the shapes.
    bands = rng.choice(count, size=3)
    rows = np.arange(h)[:, None] + (h / 24) * np.sin(np.arange(w)[None, :] / w * rng.uniform(3, 9))
    labels[:] = bands[np.clip((rows / h * 3).astype(int), 0, 2)]
    draw_shapes(labels, rng.integers(0, count, layout.shapes).tolist(), rng, antialias=False)
    cleaned = np.asarray(cv2.medianBlur(labels, 3), dtype=np.uint8)
    return upscale(layout.palette[cleaned], layout.size, nearest=True)
