"""The registry entry type of the Stability operations (`..layout.Task` over a `StabilityRequest`):
`prepare(request)` once, `render(layout, rng)` once; and the input-picture helpers they share.

The same split as Nova's tasks (`..layout`): the layout holds the typed parameters the picture depends on, the
output size and every analysis of the input images, so `render` is cheap and a pure function of the layout and
the generator.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import cv2
import numpy as np

from validator.stability.types import StabilityImage, StabilityRequest
from validator.types import ImageSize, Pixels

from ..layout import Task

AnyStabilityTask: TypeAlias = Task[StabilityRequest, Any]


def input_image(request: StabilityRequest) -> StabilityImage:
    """The request's main input picture (`image`, or `init_image`), which the operation requires."""
    if request.image is None:
        raise ValueError(f"{request.operation.value} needs an input image")
    return request.image


def resized(pixels: Pixels, size: ImageSize) -> Pixels:
    """`pixels` at `size` (area averaging to shrink, cubic to enlarge); the same array when already there."""
    h, w = pixels.shape[:2]
    if (w, h) == (size.width, size.height):
        return pixels
    method = cv2.INTER_AREA if size.width * size.height < w * h else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(pixels, (size.width, size.height), interpolation=method), dtype=np.uint8)
