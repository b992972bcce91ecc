"""TEXT_IMAGE, with and without a condition image (CANNY_EDGE, SEGMENTATION).

A condition image lends the picture its structure, never its colours: its regions (colour clusters of the
condition image) are filled with the prompt's palette, and for CANNY_EDGE its Canny edges are inked over
them. `controlStrength` weighs that structure against the prompt's own free picture. Palette colours go to
regions by brightness rank *rotated by half the palette* (the darkest region gets a middle colour, ...), so
the output's brightness does not simply repeat the condition photo's.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from validator.types import ControlMode, ImageSize, InvokeRequest, Pixels, TextToImageParams

from .canvas import paint_small, upscale, work_shape
from .layout import Layout, params_of
from .look import Look, look_for
from .segment import kmeans
from .subject import cached

# Canny hysteresis thresholds for condition images (OpenCV's documented 1:2 ratio).
CANNY_LOW, CANNY_HIGH = 80, 160
SEGMENT_CLUSTERS = 6
_EDGE_INK = np.array([18, 18, 26], dtype=np.float32)


@dataclass(frozen=True, eq=False, kw_only=True)
class TextImageLayout(Layout):
    """The prompt's look, plus the condition image's analysis when one was sent."""

    look: Look
    strength: float = 0.0
    condition: npt.NDArray[np.uint8] | None = None  # the condition's regions in prompt colours, working size
    edges: npt.NDArray[np.intp] | None = None  # flat indices of Canny edge pixels at output size
    segments: npt.NDArray[np.intp] | None = None  # cluster label per working-size pixel


def canny_edges(pixels: Pixels, size: ImageSize) -> npt.NDArray[np.bool_]:
    """Canny edges of `pixels` resized to `size`."""
    resized = cv2.resize(pixels, (size.width, size.height), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(resized, cv2.COLOR_RGB2GRAY)
    return np.asarray(cv2.Canny(grey, CANNY_LOW, CANNY_HIGH) > 0)


def _segments(small: Pixels) -> npt.NDArray[np.intp]:
    """Colour clusters of the condition image (median-filtered so regions are solid)."""
    lab = cv2.cvtColor(cv2.medianBlur(small, 5), cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    _, labels = kmeans(lab, SEGMENT_CLUSTERS)
    return labels.reshape(small.shape[:2])


def prepare_text_image(request: InvokeRequest) -> TextImageLayout:
    """Derive the look from every text parameter; analyse the condition image once."""
    params = params_of(request, TextToImageParams)
    config, size = request.config, request.output_size
    look = look_for(params.text, params.negative_text, params.style, config.quality, config.cfg_scale)
    if params.condition_image is None:
        return TextImageLayout(size=size, look=look)
    condition = _condition_analysis(params.condition_image.pixels, size)
    strength = params.control_strength if params.control_strength is not None else 0.7
    if params.control_mode is ControlMode.SEGMENTATION:
        return TextImageLayout(size=size, look=look, strength=strength, segments=condition.segments)
    fill = _region_fill(look, condition.small, condition.segments)
    return TextImageLayout(size=size, look=look, strength=strength, condition=fill, edges=condition.edges)


@dataclass(frozen=True, eq=False)
class ConditionAnalysis:
    """A condition image's structure at one output size (read-only arrays, cached per picture and size)."""

    small: Pixels  # the condition image at working size
    segments: npt.NDArray[np.intp]  # cluster label per working-size pixel
    edges: npt.NDArray[np.intp]  # flat indices of Canny edge pixels at output size


def _condition_analysis(pixels: Pixels, size: ImageSize) -> ConditionAnalysis:
    """Segments and edges of a condition image, computed once per (picture, output size) in a worker."""

    def analyse(condition: Pixels) -> ConditionAnalysis:
        h, w = work_shape(size)
        small = np.asarray(cv2.resize(condition, (w, h), interpolation=cv2.INTER_AREA), dtype=np.uint8)
        found = ConditionAnalysis(small, _segments(small), np.flatnonzero(canny_edges(condition, size)))
        for array in (found.small, found.segments, found.edges):
            array.flags.writeable = False
        return found

    return cached(f"condition {size.width}x{size.height}", pixels, analyse)


def _region_fill(look: Look, small: Pixels, segments: npt.NDArray[np.intp]) -> npt.NDArray[np.uint8]:
    """The condition's regions filled with palette colours, by rotated brightness rank (module docstring)."""
    luma = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32).reshape(-1)
    labels = segments.reshape(-1)
    counts = np.bincount(labels, minlength=SEGMENT_CLUSTERS)
    region_luma = np.bincount(labels, weights=luma, minlength=SEGMENT_CLUSTERS) / np.maximum(counts, 1)
    palette = _segment_colours(look, SEGMENT_CLUSTERS)
    palette_luma = palette @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    by_palette = np.argsort(palette_luma, kind="stable")
    colours = np.empty_like(palette)
    for rank, region in enumerate(np.argsort(region_luma, kind="stable")):
        colours[region] = palette[by_palette[(rank + SEGMENT_CLUSTERS // 2) % SEGMENT_CLUSTERS]]
    fill = np.clip(colours[segments], 0, 255).astype(np.uint8)
    fill.flags.writeable = False
    return fill


def _segment_colours(look: Look, count: int) -> npt.NDArray[np.float32]:
    """Distinct colours, one per segment: the palette first, then evenly spread greys."""
    extra = np.linspace(40, 220, max(0, count - len(look.palette)), dtype=np.float32)
    return np.concatenate([look.palette, np.repeat(extra[:, None], 3, axis=1)])[:count]


def render_text_image(layout: TextImageLayout, rng: np.random.Generator) -> Pixels:
    """Paint the prompt's picture, then let the condition image steer it by `controlStrength`."""
    small = paint_small(layout.look, layout.size, rng)
    s = np.float32(layout.strength)
    if layout.segments is not None:
        colours = _segment_colours(layout.look, SEGMENT_CLUSTERS)
        small = np.clip((1 - s) * small + s * colours[layout.segments], 0, 255).astype(np.uint8)
    elif layout.condition is not None:
        # The composition follows the condition's regions (in the prompt's colours); the edges themselves are
        # inked below at full size.
        small = np.asarray(
            cv2.addWeighted(small, float(1 - s / 2), layout.condition, float(s / 2), 0), np.uint8
        )
    image = upscale(small, layout.size)
    if layout.edges is not None and len(layout.edges):
        flat = image.reshape(-1, 3)
        inked = (1 - s) * flat[layout.edges].astype(np.float32) + s * _EDGE_INK
        flat[layout.edges] = np.clip(inked, 0, 255).astype(np.uint8)
    return image
