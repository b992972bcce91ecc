"""The readable caption on generated images: task, seed, index and the start of the prompt.

The caption is drawn in a solid box that must lie wholly inside the layout's caption area, so it can never
touch protected pixels (kept areas of edits, the unmasked part of a try-on). When no spot fits, it is
left out rather than squeezed into protected pixels.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from validator.types import Pixels

from .layout import BoolMask, CaptionStyle

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_GRID = 12  # candidate positions per axis when searching a caption area


def caption_text(task: str, seed: int, index: int, prompt: str | None) -> str:
    """`TEXT_IMAGE seed=12 #0 "a red fox..."` (Hershey fonts have ASCII glyphs only)."""
    head = f"{task} seed={seed} #{index}"
    if not prompt:
        return head
    ascii_prompt = prompt.encode("ascii", "replace").decode("ascii").replace("\n", " ")
    return f'{head} "{ascii_prompt}"'


def _fit(text: str, scale: float, thickness: int, max_width: int) -> tuple[str, int, int, int]:
    """Shorten `text` (with an ellipsis) to fit `max_width`; return it with its width, height and baseline.

    Stops at a short stub even if that does not fit either: the caller then tries elsewhere or gives up.
    """
    keep = len(text)
    candidate = text
    while True:
        (tw, th), base = cv2.getTextSize(candidate, _FONT, scale, thickness)
        if tw <= max_width or keep <= 8:
            return candidate, tw, th, base
        keep = max(8, min(keep - 1, int(keep * max_width / tw) - 4))
        candidate = text[:keep] + "..."


def _spot(area: BoolMask | None, box_w: int, box_h: int, shape: tuple[int, int]) -> tuple[int, int] | None:
    """Top-left corner of a box_w x box_h box lying wholly in `area`, preferring the bottom-left."""
    h, w = shape
    if box_w > w or box_h > h:
        return None
    margin = max(4, min(w, h) // 64)
    if area is None:
        return (margin, max(0, h - box_h - margin))
    ys, xs = np.nonzero(area[:: max(1, h // 256), :: max(1, w // 256)])
    if len(xs) == 0:
        return None
    step_y, step_x = max(1, h // 256), max(1, w // 256)
    x_lo, x_hi = int(xs.min()) * step_x, min(w - box_w, int(xs.max()) * step_x)
    y_lo, y_hi = int(ys.min()) * step_y, min(h - box_h, int(ys.max()) * step_y)
    for y in np.linspace(y_hi, y_lo, _GRID).astype(int) if y_hi >= y_lo else []:
        for x in np.linspace(x_lo, x_hi, _GRID).astype(int) if x_hi >= x_lo else []:
            if area[y : y + box_h, x : x + box_w].all():
                return (int(x), int(y))
    return None


def _ramp(style: CaptionStyle) -> npt.NDArray[np.uint8]:
    """Colour for each coverage level 0..255: box to ink, or a hard switch at half for palette-bound text."""
    level = np.arange(256, dtype=np.float32)[:, None] / 255.0
    if not style.antialias:
        level = (level >= 0.35).astype(np.float32)
    box, ink = np.array(style.box, np.float32), np.array(style.ink, np.float32)
    return np.asarray(np.rint(box + level * (ink - box)), dtype=np.uint8)


def _area_width(area: BoolMask) -> int:
    cols = np.flatnonzero(area.any(axis=0))
    return int(cols[-1] - cols[0] + 1) if len(cols) else 0


def captioned(pixels: Pixels, text: str, style: CaptionStyle) -> Pixels:
    """`pixels` with `text` drawn in when `style` enables a caption. A read-only array (one a layout keeps and
    a renderer handed out) is copied first; any other is drawn into in place."""
    if not style.enabled:
        return pixels
    if not pixels.flags.writeable:
        pixels = pixels.copy()
    draw_caption(pixels, text, style)
    return pixels


def draw_caption(image: Pixels, text: str, style: CaptionStyle) -> bool:
    """Draw `text` into `image` (in place) inside `style.area`; False if there was no room for it."""
    h, w = image.shape[:2]
    scale = max(0.35, min(w, h) / 1400.0)
    # Hard-edged (palette-bound) text loses its thin strokes to thresholding: draw it one step bolder.
    thickness = max(1, int(round(scale * 1.6))) + (0 if style.antialias else 1)
    pad = max(3, int(8 * scale))
    avail = w if style.area is None else _area_width(style.area)
    for _ in range(2):
        fitted, tw, th, base = _fit(text, scale, thickness, avail - 4 * pad)
        box_w, box_h = tw + 2 * pad, th + base + 2 * pad
        spot = _spot(style.area, box_w, box_h, (h, w))
        if spot is not None:
            break
        scale, thickness, pad = scale * 0.6, 1, max(2, pad // 2)
    if spot is None:
        return False
    x, y = spot
    # Text is rendered as a coverage map and composited, because OpenCV 5's putText anti-aliases whatever
    # line type is asked for; a palette-bound caption thresholds the coverage instead.
    coverage = np.zeros((box_h, box_w), dtype=np.uint8)
    cv2.putText(coverage, fitted, (pad, pad + th), _FONT, scale, 255, thickness, cv2.LINE_AA)
    patch = cv2.LUT(cv2.merge([coverage, coverage, coverage]), _ramp(style).reshape(256, 1, 3))
    image[y : y + box_h, x : x + box_w, :3] = patch
    return True
