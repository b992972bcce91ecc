"""`generate_stability`: a typed Stability request in, one encoded image (and its preview) out.

Look up the operation in `OPERATIONS`, `prepare` its layout once, draw the generator from (seed used, digest
of the request without its seed fields and output format, see `seeding`), `render`, caption, blur when asked,
encode in the request's `output_format` (`..encoding.encode_image`; always PNG for SDXL, docs/CONTRACT.md
§S3.4; WebP lossless where input pixels are kept, `KEEPS_INPUT_PIXELS`).

The caption names the operation, the seed used and the start of the prompt, drawn where the layout allows
(`..layout.CaptionStyle`): anywhere on generated pictures, only inside wholly new pixels for the editing
services, never on Search and Recolor or Remove Background (see `edit`).

`blur=True` is SDXL's CONTENT_FILTERED answer (docs/CONTRACT.md §S3.3, §S5.3): the finished picture, caption
included, blurred beyond recognition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import cv2
import numpy as np

from validator.stability.models import STABILITY_MODELS, Family, Operation
from validator.stability.types import OutputFormat, StabilityRequest
from validator.types import Pixels

from ..caption import caption_text, captioned
from ..encoding import encode_image, on_white
from ..layout import Layout, Task
from ..pipeline import preview
from ..seeding import image_rng
from ..text_image import render_text_image
from .control import prepare_control
from .edit import (
    prepare_erase,
    prepare_inpaint,
    prepare_outpaint,
    prepare_remove_background,
    prepare_search_recolor,
    prepare_search_replace,
    render_masked,
    render_outpaint,
    render_remove_background,
    render_search_recolor,
)
from .generate import (
    prepare_image_to_image,
    prepare_style_guide,
    prepare_style_transfer,
    prepare_text_to_image,
    render_paint,
    render_style_transfer,
)
from .look import positive_prompt
from .seeding import stability_digest
from .task import AnyStabilityTask
from .upscale import prepare_upscale, render_upscale

OPERATIONS: Mapping[Operation, AnyStabilityTask] = MappingProxyType(
    {
        Operation.TEXT_TO_IMAGE: Task(prepare_text_to_image, render_paint),
        Operation.IMAGE_TO_IMAGE: Task(prepare_image_to_image, render_paint),
        Operation.INPAINT: Task(prepare_inpaint, render_masked),
        Operation.OUTPAINT: Task(prepare_outpaint, render_outpaint),
        Operation.ERASE: Task(prepare_erase, render_masked),
        Operation.REMOVE_BACKGROUND: Task(prepare_remove_background, render_remove_background),
        Operation.SEARCH_REPLACE: Task(prepare_search_replace, render_masked),
        Operation.SEARCH_RECOLOR: Task(prepare_search_recolor, render_search_recolor),
        Operation.STYLE_GUIDE: Task(prepare_style_guide, render_paint),
        Operation.STYLE_TRANSFER: Task(prepare_style_transfer, render_style_transfer),
        Operation.CONTROL_SKETCH: Task(prepare_control, render_text_image),
        Operation.CONTROL_STRUCTURE: Task(prepare_control, render_text_image),
        Operation.CREATIVE_UPSCALE: Task(prepare_upscale, render_upscale),
        Operation.CONSERVATIVE_UPSCALE: Task(prepare_upscale, render_upscale),
        Operation.FAST_UPSCALE: Task(prepare_upscale, render_upscale),
    }
)
# Operations whose answer carries input pixels exactly (outside the mask, or the alpha matte): their WebP is
# lossless. Every other picture is new, and its WebP lossy (`..encoding`).
KEEPS_INPUT_PIXELS = frozenset(
    {
        Operation.INPAINT,
        Operation.OUTPAINT,
        Operation.ERASE,
        Operation.REMOVE_BACKGROUND,
        Operation.SEARCH_REPLACE,
        Operation.SEARCH_RECOLOR,
    }
)
BLUR_FACTOR = 16  # CONTENT_FILTERED: the picture shrunk this much, blurred, and enlarged again
_BLUR_SIGMA = 2.0


@dataclass(frozen=True)
class StabilityOutput:
    """The encoded image, and a small copy of the same pixels for the journal's thumbnail."""

    image: bytes
    preview: Pixels


def output_format(request: StabilityRequest) -> OutputFormat:
    """The format the answer is encoded in: the request's, PNG for SDXL (which has no such field)."""
    if STABILITY_MODELS[request.model].family is Family.V1:
        return OutputFormat.PNG
    return request.output_format


def blurred(pixels: Pixels) -> Pixels:
    """A strongly blurred copy (shrunk, blurred, enlarged: the cost of a thumbnail, whatever the size)."""
    h, w = pixels.shape[:2]
    small = cv2.resize(
        pixels, (max(1, w // BLUR_FACTOR), max(1, h // BLUR_FACTOR)), interpolation=cv2.INTER_AREA
    )
    soft = cv2.GaussianBlur(small, (0, 0), _BLUR_SIGMA)
    return np.asarray(cv2.resize(soft, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.uint8)


def render_stability(request: StabilityRequest, *, caption: bool = True, blur: bool = False) -> Pixels:
    """The picture before encoding (RGB, or RGBA for Remove Background)."""
    task = OPERATIONS[request.operation]
    layout: Layout = task.prepare(request)
    pixels: Pixels = task.render(layout, image_rng(stability_digest(request), request.seed, 0))
    if caption:
        text = caption_text(request.operation.value, request.seed, 0, positive_prompt(request) or None)
        pixels = captioned(pixels, text, layout.caption)
    if blur:
        pixels = blurred(pixels)
    return pixels


def generate_stability(
    request: StabilityRequest, *, caption: bool = True, blur: bool = False
) -> StabilityOutput:
    """The image for `request`, encoded in its output format, and a preview of it."""
    pixels = render_stability(request, caption=caption, blur=blur)
    fmt = output_format(request)
    if fmt is OutputFormat.JPEG:
        pixels = on_white(pixels)  # what the JPEG will show, so the preview shows it too
    lossless = request.operation in KEEPS_INPUT_PIXELS
    return StabilityOutput(encode_image(pixels, fmt, lossless_webp=lossless), preview(pixels))
