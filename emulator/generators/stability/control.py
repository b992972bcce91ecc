"""Control Sketch and Control Structure: a new picture that follows the input's edges.

Both reuse Nova's TEXT_IMAGE with a CANNY_EDGE condition image (`..text_image`): the input's Canny edges at
`output_size` are inked over the prompt's picture with weight `control_strength` (default 0.7,
docs/CONTRACT.md §S5.1), so edge adherence rises with it. Control Structure, meant for photographs, also
lays out the picture by the input's colour regions (filled with the prompt's palette); Control Sketch, meant
for line drawings whose regions are mostly blank paper, follows the strokes only.
"""

from __future__ import annotations

from validator.stability.models import Operation
from validator.stability.types import StabilityRequest

from ..text_image import TextImageLayout, _condition_analysis, _region_fill
from .look import stability_look
from .task import input_image

DEFAULT_CONTROL_STRENGTH = 0.7


def prepare_control(request: StabilityRequest) -> TextImageLayout:
    look = stability_look(request)
    size = request.output_size
    analysis = _condition_analysis(input_image(request).pixels, size)
    strength = DEFAULT_CONTROL_STRENGTH if request.control_strength is None else request.control_strength
    regions = None
    if request.operation is Operation.CONTROL_STRUCTURE:
        regions = _region_fill(look, analysis.small, analysis.segments)
    return TextImageLayout(size=size, look=look, strength=strength, condition=regions, edges=analysis.edges)
