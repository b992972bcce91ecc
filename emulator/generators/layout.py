"""What a task computes once per request (`Layout`) and the task registry entry type (`Task`).

Each task has `prepare_<task>(request) -> <Task>Layout`, run once per request, and
`render_<task>(layout, rng) -> pixels`, run once per image. The layout holds the typed parameters the picture
depends on, the output size and any analysis of the input images (masks, edges, segments). Splitting it this
way (rather than `render(params, size, rng)`) does the costly analysis once per batch instead of once per
image, and guarantees that the returned mask is exactly the one the images were made with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt

from validator.types import ImageSize, InvokeRequest, Pixels

BoolMask: TypeAlias = npt.NDArray[np.bool_]
RGB: TypeAlias = tuple[int, int, int]


@dataclass(frozen=True)
class CaptionStyle:
    """Where and how the caption may be drawn.

    `area` is True where the caption may change pixels; `None` means anywhere. `antialias` is off when every
    output pixel must keep to a palette (COLOR_GUIDED_GENERATION), since anti-aliasing mixes colours.
    """

    area: BoolMask | None = None
    box: RGB = (16, 16, 16)
    ink: RGB = (245, 245, 245)
    antialias: bool = True
    enabled: bool = True


@dataclass(frozen=True, eq=False, kw_only=True)
class Layout:
    """Per-request facts shared by every image of a batch."""

    size: ImageSize
    caption: CaptionStyle = CaptionStyle()
    # Edited area (True = regenerated), returned as black in `maskImage` when the request asks for it.
    edited: BoolMask | None = None


R = TypeVar("R")  # the typed request: Nova/Titan's `InvokeRequest`, a Stability model's `StabilityRequest`
L = TypeVar("L", bound=Layout)


@dataclass(frozen=True)
class Task(Generic[R, L]):
    """A registry entry: `prepare` once per request, `render` once per image."""

    prepare: Callable[[R], L]
    render: Callable[[L, np.random.Generator], Pixels]


AnyTask: TypeAlias = Task[InvokeRequest, Any]

T = TypeVar("T")


def params_of(request: InvokeRequest, kind: type[T]) -> T:
    """The request's params, checked to be of the type the task expects."""
    if not isinstance(request.params, kind):
        raise TypeError(f"{request.task_type} expects {kind.__name__}, got {type(request.params).__name__}")
    return request.params
