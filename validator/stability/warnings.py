"""Stability body warnings: accepted inputs that are probably mistakes (Project; texts in
`validator.stability.messages.WARNINGS`). Warnings never change the verdict; they are computed for valid
bodies, from the body and the typed request.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import numpy as np

from validator.report import ContractWarning
from validator.stability.checks import Json, pointer_of, present
from validator.stability.messages import warning_text
from validator.stability.models import Operation
from validator.stability.types import OutputFormat, StabilityRequest

#: A mask is "(almost) all white" when at least this share of its pixels is at least mid-grey.
WHITE_SHARE: Final = 0.99
_MID_GREY: Final = 128


def _warn(code: str, field: str, **parts: object) -> ContractWarning:
    return ContractWarning(code, pointer_of(field), warning_text(code, **parts))


def stability_warnings(doc: Json, request: StabilityRequest) -> list[ContractWarning]:
    """Every warning for a valid V2 or SDXL body, in a fixed order."""
    found: list[ContractWarning] = []
    operation = request.operation
    if operation is Operation.IMAGE_TO_IMAGE and present(doc, "aspect_ratio"):
        found.append(_warn("W-ST-ASPECT-IGNORED", "aspect_ratio", size=request.output_size))
    found += _ignored(doc, request)
    found += _mask_warnings(request)
    if operation is Operation.REMOVE_BACKGROUND and request.output_format is OutputFormat.JPEG:
        found.append(_warn("W-ST-JPEG-TRANSPARENCY", "output_format"))
    grow = doc.get("grow_mask")
    if isinstance(grow, Decimal) and grow != grow.to_integral_value():
        found.append(_warn("W-ST-GROW-MASK-FRACTION", "grow_mask", value=grow))
    return found


def _ignored(doc: Json, request: StabilityRequest) -> list[ContractWarning]:
    operation = request.operation.value
    keys: list[str] = []
    if request.operation is Operation.TEXT_TO_IMAGE:
        keys = [k for k in ("strength", "image") if present(doc, k)]
    elif request.sdxl is not None:  # SDXL image-to-image keeps the input size
        keys = [k for k in ("width", "height") if k in doc]
    return [_warn("W-ST-IGNORED", key, key=key, operation=operation) for key in keys]


def _mask_warnings(request: StabilityRequest) -> list[ContractWarning]:
    mask, image = request.mask, request.image
    if mask is None or image is None:
        return []
    found = []
    grey = mask.pixels[:, :, 0]  # masks are greyscale: one channel tells, at a third of the cost
    share = float(np.count_nonzero(grey >= _MID_GREY)) / grey.size
    if share >= WHITE_SHARE:
        found.append(_warn("W-ST-MASK-WHITE", "mask", percent=int(share * 100)))
    if mask.size != image.size:
        found.append(_warn("W-ST-MASK-RESIZED", "mask", mask=mask.size, image=image.size))
    if image.alpha is not None and bool((image.alpha < 255).any()):
        found.append(_warn("W-ST-MASK-OVER-ALPHA", "mask"))
    return found
