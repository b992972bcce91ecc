"""BACKGROUND_REMOVAL (Nova Canvas and Titan v2): the input's colours untouched, with the subject's matte.

The output is RGBA (docs/CONTRACT.md §2.7); the matte is the segmenter's (see `subject`): 255 on the
subject, 0 on the background, graded over a few pixels at the subject's edge. A picture with no subject
becomes fully transparent.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from validator.types import BackgroundRemovalParams, InvokeRequest, Pixels

from .layout import CaptionStyle, Layout, params_of
from .subject import subject_of


@dataclass(frozen=True, eq=False, kw_only=True)
class BackgroundLayout(Layout):
    """The finished RGBA picture: background removal has one answer per input."""

    rgba: Pixels


def prepare_background_removal(request: InvokeRequest) -> BackgroundLayout:
    """Attach the subject's matte to the input as its alpha channel."""
    image = params_of(request, BackgroundRemovalParams).image.pixels
    rgba = np.asarray(cv2.merge([*cv2.split(image), subject_of(image).alpha]), dtype=np.uint8)
    rgba.flags.writeable = False  # shared by every image of the request
    # Every pixel is protected here (colours must equal the input, alpha is the matte): no caption.
    return BackgroundLayout(size=request.output_size, caption=CaptionStyle(enabled=False), rgba=rgba)


def render_background_removal(layout: BackgroundLayout, rng: np.random.Generator) -> Pixels:
    """The matted input (the same for any seed: the real task ignores generation settings)."""
    return layout.rgba
