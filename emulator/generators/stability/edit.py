"""The editing services: Inpaint, Erase, Search and Replace, Search and Recolor, Outpaint, Remove Background.

Which pixels change, and how strongly, is `masks`' business; every pixel outside the (grown) area is the
input's own, byte for byte (as the PNG and the lossless WebP carry it; JPEG is lossy by nature). Answers are
RGB except Remove Background's: an input's alpha channel only ever serves as a mask.

* **Inpaint**, **Search and Replace**: new content in the prompt's look (prompt, negative prompt,
  `style_preset`), blended in by the weight map.
* **Erase**: the area filled from its surroundings (OpenCV inpainting, as Nova's INPAINTING without text),
  with a faint seeded colour drift; no prompt.
* **Search and Recolor**: luminance and texture kept, colour moved to the prompt's: in Lab, L is the input's
  and (a, b) become the target colour's, plus a tenth of the input's own chroma variation. The target is the
  first colour word of the prompt (`..look.COLOUR_WORDS`), else the lead colour of the prompt's palette; the
  seed nudges it slightly.
* **Outpaint**: the canvas grows by `left`/`right`/`up`/`down`; the input sits at (`left`, `up`) unchanged.
  The new area continues the input's edges (a thin mirrored band, then the input's colours blurred) and turns
  into a new picture (the prompt's look, or the input's own colours without a prompt) the further out it lies;
  `creativity` (0.1-1, default 0.5) is how much of the new picture the far area takes, and how far the
  palette moves from the input's colours to the prompt's.
* **Remove Background**: the input's colour channels untouched, alpha = the subject's matte
  (`..subject.subject_of`, as Nova's BACKGROUND_REMOVAL); the same for every seed. PNG and WebP carry the
  alpha; a JPEG cannot, so the encoder composites the cut-out on white (`..encoding.on_white`).

Captions (see `pipeline`) go only where every pixel is new: inside the fully edited area (Inpaint, Erase,
Search and Replace) or the new area (Outpaint), and only if the caption fits there. Search and Recolor and
Remove Background never get one: their every pixel carries the input's structure.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from validator.stability.types import StabilityRequest
from validator.types import ImageSize, Pixels

from ..canvas import paint_small, smooth_noise, upscale, work_shape
from ..editing import FILL_JITTER, fill_small
from ..layout import CaptionStyle, Layout
from ..look import COLOUR_WORDS, Look, hsv_to_rgb, palette_for
from ..segment import main_colours
from ..subject import cached, mask_key, subject_of
from .look import blend_palettes, stability_look
from .masks import Weights, blend, grow, mask_weights, search_weights
from .task import input_image

DEFAULT_GROW = 5.0  # docs/CONTRACT.md §S5.1
DEFAULT_CREATIVITY = 0.5  # outpaint, docs/CONTRACT.md §S5.1
# Outpaint, as shares of the input's shorter side: the mirrored band, the blur beyond it, and the distance
# over which the new picture takes over.
_MIRROR_BAND, _BLUR_SHARE, _NEW_RAMP = 0.15, 0.2, 0.5
_RECOLOR_JITTER = 6.0  # Lab units the seed may move the target colour
_KEEP_CHROMA = 0.1


@dataclass(frozen=True, eq=False, kw_only=True)
class MaskedLayout(Layout):
    """The input, the weight map and what fills the edited area."""

    image: Pixels  # RGB, read-only (the request's own pixels)
    weights: Weights
    look: Look | None = None  # new content (Inpaint, Search and Replace)
    surroundings: Pixels | None = None  # Erase: the picture with the area filled from around it, small


def _caption_area(weights: Weights) -> CaptionStyle:
    full = weights == 255
    return CaptionStyle(area=full, enabled=bool(full.any()))


def _grown(request: StabilityRequest, weights: Weights) -> Weights:
    return grow(weights, DEFAULT_GROW if request.grow_mask is None else request.grow_mask)


def prepare_inpaint(request: StabilityRequest) -> MaskedLayout:
    image = input_image(request)
    weights = _grown(request, mask_weights(image, request.mask))
    return MaskedLayout(
        size=image.size,
        caption=_caption_area(weights),
        image=image.pixels,
        weights=weights,
        look=stability_look(request),
    )


def prepare_search_replace(request: StabilityRequest) -> MaskedLayout:
    pixels = input_image(request).pixels
    weights = _grown(request, search_weights(pixels, request.search_prompt or ""))
    return MaskedLayout(
        size=input_image(request).size,
        caption=_caption_area(weights),
        image=pixels,
        weights=weights,
        look=stability_look(request),
    )


def prepare_erase(request: StabilityRequest) -> MaskedLayout:
    image = input_image(request)
    weights = _grown(request, mask_weights(image, request.mask))
    edited = weights > 0

    def fill(pixels: Pixels) -> Pixels:
        # Kept small: `render_masked` adds the drift and enlarges.
        filled = fill_small(pixels, edited)
        filled.flags.writeable = False
        return filled

    surroundings = cached("stability erase " + mask_key(edited), image.pixels, fill) if edited.any() else None
    return MaskedLayout(
        size=image.size,
        caption=_caption_area(weights),
        image=image.pixels,
        weights=weights,
        surroundings=surroundings,
    )


def render_masked(layout: MaskedLayout, rng: np.random.Generator) -> Pixels:
    """Kept pixels from the input, the rest new (Inpaint, Search and Replace) or filled (Erase)."""
    if not layout.weights.any():
        return np.array(layout.image, dtype=np.uint8, copy=True)
    if layout.look is not None:
        fresh = upscale(paint_small(layout.look, layout.size, rng), layout.size)
    else:
        assert layout.surroundings is not None
        h, w = layout.image.shape[:2]
        small = layout.surroundings
        drift = FILL_JITTER * smooth_noise(rng, small.shape[:2], 3)
        drifted = np.clip(np.rint(small.astype(np.float32) + drift), 0, 255).astype(np.uint8)
        fresh = np.asarray(cv2.resize(drifted, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.uint8)
    return blend(layout.image, fresh, layout.weights)


@dataclass(frozen=True, eq=False, kw_only=True)
class RecolorLayout(Layout):
    image: Pixels
    weights: Weights
    target_ab: tuple[float, float]  # the target colour's a and b in 8-bit Lab


def _target_colour(prompt: str) -> tuple[float, float, float]:
    for word in prompt.lower().replace("-", " ").split():
        word = "".join(ch for ch in word if ch.isalpha())
        if word in COLOUR_WORDS:
            return hsv_to_rgb(*COLOUR_WORDS[word])
    r, g, b = palette_for(prompt, None)[0].tolist()
    return (r, g, b)


def prepare_search_recolor(request: StabilityRequest) -> RecolorLayout:
    image = input_image(request)
    weights = _grown(request, search_weights(image.pixels, request.select_prompt or ""))
    rgb = np.array([[_target_colour(request.prompt)]], dtype=np.float32) / np.float32(255.0)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)[0, 0]  # float Lab: a, b in -127..127
    target = (float(lab[1]) + 128.0, float(lab[2]) + 128.0)
    return RecolorLayout(
        size=image.size,
        caption=CaptionStyle(enabled=False),
        image=image.pixels,
        weights=weights,
        target_ab=target,
    )


def render_search_recolor(layout: RecolorLayout, rng: np.random.Generator) -> Pixels:
    """L kept, (a, b) moved to the target colour (plus a tenth of the input's own), blended by weight."""
    if not layout.weights.any():
        return np.array(layout.image, dtype=np.uint8, copy=True)
    rows, cols = np.flatnonzero(layout.weights.any(axis=1)), np.flatnonzero(layout.weights.any(axis=0))
    box = (slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1))
    lab = cv2.cvtColor(np.ascontiguousarray(layout.image[box]), cv2.COLOR_RGB2LAB).astype(np.float32)
    jitter = rng.uniform(-_RECOLOR_JITTER, _RECOLOR_JITTER, 2)
    for channel, target in ((1, layout.target_ab[0]), (2, layout.target_ab[1])):
        own = lab[:, :, channel]
        lab[:, :, channel] = target + float(jitter[channel - 1]) + _KEEP_CHROMA * (own - float(own.mean()))
    recoloured = np.zeros_like(layout.image)
    recoloured[box] = cv2.cvtColor(np.clip(np.rint(lab), 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)
    return blend(layout.image, recoloured, layout.weights)


@dataclass(frozen=True, eq=False, kw_only=True)
class OutpaintLayout(Layout):
    image: Pixels
    offset: tuple[int, int]  # (left, up): where the input sits on the canvas
    continuation: Pixels  # the input mirrored over the new area, softened with distance, at working size
    far: Pixels  # share of the new picture per working-size pixel, 0..255, 0 on the input
    look: Look


def _continuation(pixels: Pixels, size: ImageSize, request: StabilityRequest) -> tuple[Pixels, Pixels]:
    """The mirrored, softened continuation and the new picture's share map, both at working size."""
    h, w = work_shape(size)
    fy, fx = h / size.height, w / size.width
    ih, iw = pixels.shape[:2]
    small = cv2.resize(pixels, (max(1, round(iw * fx)), max(1, round(ih * fy))), interpolation=cv2.INTER_AREA)
    top, left = round(request.up * fy), round(request.left * fx)
    bottom = max(0, h - top - small.shape[0])
    right = max(0, w - left - small.shape[1])
    mirrored = np.ascontiguousarray(
        cv2.copyMakeBorder(small, top, bottom, left, right, cv2.BORDER_REFLECT)[:h, :w], dtype=np.uint8
    )
    inside = np.zeros((h, w), np.uint8)
    inside[top : top + small.shape[0], left : left + small.shape[1]] = 1
    distance = cv2.distanceTransform(1 - inside, cv2.DIST_L2, 3)
    side = min(small.shape[:2])
    # A thin mirrored band continues the input's texture; beyond it, only its colours, blurred.
    t = np.clip(distance / np.float32(max(2.0, _MIRROR_BAND * side)), 0.0, 1.0)[:, :, None]
    soft = _soft(mirrored, max(1.0, _BLUR_SHARE * side))
    continuation = np.asarray(mirrored * (1 - t) + soft * t, dtype=np.float32)
    # The new picture takes over further out, up to `creativity` of the far area.
    creativity = DEFAULT_CREATIVITY if request.creativity is None else request.creativity
    reach = np.clip(distance / np.float32(max(4.0, _NEW_RAMP * side)), 0.0, 1.0)
    far = np.clip(np.rint(255.0 * creativity * reach), 0, 255).astype(np.uint8)
    return np.clip(np.rint(continuation), 0, 255).astype(np.uint8), far


def _soft(pixels: Pixels, sigma: float) -> Pixels:
    """A Gaussian blur of `sigma`, run on a copy shrunk so the kernel stays small, then enlarged."""
    h, w = pixels.shape[:2]
    factor = max(1, int(sigma // 3))
    small = cv2.resize(pixels, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return np.asarray(cv2.resize(blurred, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.uint8)


def prepare_outpaint(request: StabilityRequest) -> OutpaintLayout:
    image = input_image(request)
    ih, iw = image.pixels.shape[:2]
    size = ImageSize(iw + request.left + request.right, ih + request.up + request.down)
    creativity = DEFAULT_CREATIVITY if request.creativity is None else request.creativity
    own = main_colours(image.pixels, 6).astype(np.float32)
    look = stability_look(request, request.prompt or "outpainting")
    # Without a prompt the new area keeps to the input's colours; with one, creativity moves it to the prompt.
    share = 0.0 if not request.prompt else creativity
    look = Look(
        palette=blend_palettes(own, look.palette, share),
        shapes=look.shapes,
        outline=look.outline,
        outline_colour=look.outline_colour,
        blur=look.blur,
        sky=look.sky,
        grain=look.grain,
    )
    continuation, far = _continuation(image.pixels, size, request)
    new_area = np.ones((size.height, size.width), dtype=bool)
    new_area[request.up : request.up + ih, request.left : request.left + iw] = False
    return OutpaintLayout(
        size=size,
        caption=CaptionStyle(area=new_area),
        edited=new_area,
        image=image.pixels,
        offset=(request.left, request.up),
        continuation=continuation,
        far=far,
        look=look,
    )


def render_outpaint(layout: OutpaintLayout, rng: np.random.Generator) -> Pixels:
    """Continuation and new picture mixed by distance at working size, enlarged; the input pasted back."""
    fresh = paint_small(layout.look, layout.size, rng)
    w = layout.far[:, :, None].astype(np.uint16)
    small = (layout.continuation.astype(np.uint16) * (255 - w) + fresh.astype(np.uint16) * w + 127) // 255
    out = upscale(small.astype(np.uint8), layout.size)
    left, up = layout.offset
    ih, iw = layout.image.shape[:2]
    out[up : up + ih, left : left + iw] = layout.image[:, :, :3]
    return out


@dataclass(frozen=True, eq=False, kw_only=True)
class CutoutLayout(Layout):
    rgba: Pixels


def prepare_remove_background(request: StabilityRequest) -> CutoutLayout:
    image = input_image(request)
    rgba = np.asarray(cv2.merge([*cv2.split(image.pixels), subject_of(image.pixels).alpha]), dtype=np.uint8)
    rgba.flags.writeable = False
    return CutoutLayout(size=image.size, caption=CaptionStyle(enabled=False), rgba=rgba)


def render_remove_background(layout: CutoutLayout, rng: np.random.Generator) -> Pixels:
    return layout.rgba
