"""`generate`: typed request in, PNG images (and the mask) out.

Per request: look up the task in `TASKS`, `prepare` its layout once, then for each image index not in
`skip` draw a generator from (seed, index, request digest), `render`, caption, and encode.

Renderers return a new array for each image, which the caption then draws into in place (copying a
full-size frame just to caption it would cost as much as generating it); an array the layout keeps must be
marked read-only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from validator.types import BackgroundRemovalParams, InvokeRequest, Pixels, TaskType, VirtualTryOnParams

from .background import prepare_background_removal, render_background_removal
from .caption import caption_text, captioned
from .color_guided import prepare_color_guided, render_color_guided
from .editing import prepare_inpainting, prepare_outpainting, render_edit
from .layout import AnyTask, BoolMask, Layout, Task
from .png import encode_png
from .seeding import image_rng, request_digest
from .text_image import prepare_text_image, render_text_image
from .tryon import prepare_virtual_try_on, render_virtual_try_on
from .variation import prepare_variation, render_variation

TASKS: Mapping[TaskType, AnyTask] = MappingProxyType(
    {
        TaskType.TEXT_IMAGE: Task(prepare_text_image, render_text_image),
        TaskType.COLOR_GUIDED_GENERATION: Task(prepare_color_guided, render_color_guided),
        TaskType.IMAGE_VARIATION: Task(prepare_variation, render_variation),
        TaskType.INPAINTING: Task(prepare_inpainting, render_edit),
        TaskType.OUTPAINTING: Task(prepare_outpainting, render_edit),
        TaskType.BACKGROUND_REMOVAL: Task(prepare_background_removal, render_background_removal),
        TaskType.VIRTUAL_TRY_ON: Task(prepare_virtual_try_on, render_virtual_try_on),
    }
)


@dataclass(frozen=True, eq=False)
class RenderedImages:
    """Pixels before encoding: `images[k]` is the k-th image not skipped, `mask` True where edited."""

    images: tuple[Pixels, ...]
    mask: BoolMask | None


PREVIEW_SIDE = 160  # the journal's thumbnails; taken here from pixels at hand, not by decoding the PNGs


@dataclass(frozen=True)
class GeneratedImages:
    """PNG bytes for each image index not skipped (in index order) and the mask PNG when requested.

    `previews` holds a small copy of the same pixels, images then mask (every `k`-th pixel, at most
    `PREVIEW_SIDE` a side: about 0.2 ms and 77 KB per image), for the journal's thumbnails.
    """

    images: tuple[bytes, ...]
    mask: bytes | None
    previews: tuple[Pixels, ...] = field(default=(), compare=False, repr=False)


def preview(pixels: Pixels) -> Pixels:
    """Every `k`-th pixel of `pixels`, so neither side is over `PREVIEW_SIDE`."""
    step = -(-max(pixels.shape[:2]) // PREVIEW_SIDE)
    return np.ascontiguousarray(pixels[::step, ::step])


def _prompt(request: InvokeRequest) -> str | None:
    """The prompt the caption quotes (BACKGROUND_REMOVAL and VIRTUAL_TRY_ON take none)."""
    params = request.params
    if isinstance(params, BackgroundRemovalParams | VirtualTryOnParams):
        return None
    return params.text


def _frames(request: InvokeRequest, skip: frozenset[int], caption: bool) -> tuple[Layout, Iterator[Pixels]]:
    """The request's layout, and a lazy stream of its captioned images (so a caller can encode as it goes)."""
    task = TASKS[request.task_type]
    layout: Layout = task.prepare(request)  # raises MaskPromptError before any image is drawn
    digest = request_digest(request)
    seed, prompt = request.config.seed, _prompt(request)

    def frames() -> Iterator[Pixels]:
        for index in range(request.config.number_of_images):
            if index in skip:
                continue
            pixels = task.render(layout, image_rng(digest, seed, index))
            if caption:
                text = caption_text(request.task_type.value, seed, index, prompt)
                pixels = captioned(pixels, text, layout.caption)
            yield pixels

    return layout, frames()


def render_images(
    request: InvokeRequest, *, skip: frozenset[int] = frozenset(), caption: bool = True
) -> RenderedImages:
    """Generate the pixels of every image not in `skip` (and the mask used, if the request returns one)."""
    layout, frames = _frames(request, skip, caption)
    return RenderedImages(tuple(frames), layout.edited if request.returns_mask else None)


def mask_pixels(mask: BoolMask) -> Pixels:
    """The response's mask image: black where edited, white elsewhere, RGB."""
    grey = np.where(mask, np.uint8(0), np.uint8(255)).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def generate(
    request: InvokeRequest, *, skip: frozenset[int] = frozenset(), caption: bool = True
) -> GeneratedImages:
    """PNG images for `request` (none for indices in `skip`), plus the mask PNG when `returns_mask`."""
    layout, frames = _frames(request, skip, caption)
    # Encoding each frame as soon as it is drawn keeps one full-size frame alive at a time, not five.
    images: list[bytes] = []
    previews: list[Pixels] = []
    for pixels in frames:
        images.append(encode_png(pixels))
        previews.append(preview(pixels))
    edited = layout.edited if request.returns_mask else None
    if edited is None:
        return GeneratedImages(tuple(images), None, tuple(previews))
    mask = mask_pixels(edited)
    return GeneratedImages(tuple(images), encode_png(mask), (*previews, preview(mask)))
