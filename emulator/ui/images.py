"""Where the images of a journaled call sit in its request and response JSON, and how to elide them.

Pure functions over decoded JSON (no Flask, no Pillow). An image slot is one picture the page shows as a
thumbnail: an input image, a mask (drawn over the image it masks) or an output image. Mask colours follow
docs/CONTRACT.md §6: black is edited for INPAINTING and for VIRTUAL_TRY_ON's `imageBasedMask`, white is edited
for OUTPAINTING; a mask in a response always marks the edited area in black (docs/CONTRACT.md §2.7).

A Stability AI body (no `taskType`) keeps its pictures at the top level: `image`, `init_image`, `style_image`
and a `mask` whose white is edited (docs/CONTRACT.md §S4.5); its outputs are `images[*]` (V2) or
`artifacts[*].base64` (SDXL).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Path = tuple[str | int, ...]

# A base64 PNG/JPEG is long and uses only the base64 alphabet; short strings (prompts, enums) never qualify.
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_MIN_IMAGE_CHARS = 64
_TEXT_PREVIEW = 80


class Kind(StrEnum):
    """The three rows of thumbnails."""

    INPUT = "input"
    MASK = "mask"
    OUTPUT = "output"


@dataclass(frozen=True)
class ImageSlot:
    """One thumbnail: where the picture is, and for a mask, the image below it and which colour is edited."""

    kind: Kind
    path: Path
    base: Path | None = None
    edited_is_white: bool = False

    @property
    def label(self) -> str:
        """The JSON path, e.g. `inPaintingParams.maskImage` or `images[0]`."""
        return json_path(self.path)


# Per task: the request's input image paths (`*` expands a list) and its masks as (mask, base, white=edited).
_INPUTS: dict[str, tuple[Path, ...]] = {
    "TEXT_IMAGE": (("textToImageParams", "conditionImage"),),
    "COLOR_GUIDED_GENERATION": (("colorGuidedGenerationParams", "referenceImage"),),
    "IMAGE_VARIATION": (("imageVariationParams", "images", "*"),),
    "INPAINTING": (("inPaintingParams", "image"),),
    "OUTPAINTING": (("outPaintingParams", "image"),),
    "BACKGROUND_REMOVAL": (("backgroundRemovalParams", "image"),),
    "VIRTUAL_TRY_ON": (("virtualTryOnParams", "sourceImage"), ("virtualTryOnParams", "referenceImage")),
}
_MASKS: dict[str, tuple[tuple[Path, Path, bool], ...]] = {
    "INPAINTING": ((("inPaintingParams", "maskImage"), ("inPaintingParams", "image"), False),),
    "OUTPAINTING": ((("outPaintingParams", "maskImage"), ("outPaintingParams", "image"), True),),
    "VIRTUAL_TRY_ON": (
        (("virtualTryOnParams", "imageBasedMask", "maskImage"), ("virtualTryOnParams", "sourceImage"), False),
    ),
}
# A Stability body's pictures, whatever the model (docs/CONTRACT.md §S4): inputs, and the mask over `image`.
_STABILITY_INPUTS: tuple[Path, ...] = (("image",), ("init_image",), ("style_image",))
_STABILITY_MASKS: tuple[tuple[Path, Path, bool], ...] = ((("mask",), ("image",), True),)
# The image a response's `maskImage` belongs to (docs/CONTRACT.md §2.7: VTO and Titan INPAINTING/OUTPAINTING
# with returnMask).
_RESPONSE_MASK_BASE: dict[str, Path] = {
    "INPAINTING": ("inPaintingParams", "image"),
    "OUTPAINTING": ("outPaintingParams", "image"),
    "VIRTUAL_TRY_ON": ("virtualTryOnParams", "sourceImage"),
}


def json_path(path: Path) -> str:
    """`("images", 0)` → `images[0]`; `("a", "b")` → `a.b`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def lookup(doc: object, path: Path) -> object:
    """The value at `path`, or None when any step is missing or of the wrong type."""
    node = doc
    for part in path:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(part, str) and isinstance(node, Mapping):
            node = node.get(part)
        else:
            return None
    return node


def _expand(doc: object, path: Path) -> Iterator[Path]:
    """Concrete paths for a pattern whose last part may be `*` (every item of a list)."""
    if path and path[-1] == "*":
        items = lookup(doc, path[:-1])
        if isinstance(items, list):
            yield from (path[:-1] + (i,) for i in range(len(items)))
    elif lookup(doc, path) is not None:
        yield path


def task_of(request: object) -> str | None:
    """The request's `taskType` when it is a string."""
    task = lookup(request, ("taskType",))
    return task if isinstance(task, str) else None


def request_slots(request: object) -> list[ImageSlot]:
    """Input images then masks present in a decoded request body, in table order."""
    task = task_of(request)
    inputs = _INPUTS.get(task, ()) if task is not None else _STABILITY_INPUTS
    masks = _MASKS.get(task, ()) if task is not None else _STABILITY_MASKS
    slots = [ImageSlot(Kind.INPUT, p) for pattern in inputs for p in _expand(request, pattern)]
    for mask, base, white in masks:
        if lookup(request, mask) is not None:
            slots.append(ImageSlot(Kind.MASK, ("request",) + mask, ("request",) + base, white))
    return [s if s.kind is Kind.MASK else ImageSlot(s.kind, ("request",) + s.path) for s in slots]


def response_slots(request: object, response: object) -> list[ImageSlot]:
    """Output images, then the returned mask drawn over the request's image (black = edited, docs/CONTRACT.md
    §2.7)."""
    slots = [ImageSlot(Kind.OUTPUT, ("response",) + p) for p in _expand(response, ("images", "*"))]
    for path in _expand(response, ("artifacts", "*")):
        if lookup(response, (*path, "base64")) not in (None, ""):  # SDXL's ERROR artifact has no picture
            slots.append(ImageSlot(Kind.OUTPUT, ("response", *path, "base64")))
    if lookup(response, ("maskImage",)) is not None:
        base = _RESPONSE_MASK_BASE.get(task_of(request) or "")
        slots.append(ImageSlot(Kind.MASK, ("response", "maskImage"), ("request",) + base if base else None))
    return slots


def all_slots(request: object, response: object) -> dict[Kind, list[ImageSlot]]:
    """Every thumbnail of a call, grouped by kind (each kind numbered from 0 in the thumbnail URLs)."""
    grouped: dict[Kind, list[ImageSlot]] = {kind: [] for kind in Kind}
    for slot in request_slots(request) + response_slots(request, response):
        grouped[slot.kind].append(slot)
    return grouped


def image_data(value: object) -> str | None:
    """The base64 text to draw a journaled image from: a plain string, or the thumbnail the journal made of
    `{"$image": {"thumbnail": ...}}`.

    None for anything else: a reference without a thumbnail (an image the validator refused, which is never
    decoded again) draws nothing, even when its full text was kept.
    """
    if isinstance(value, Mapping) and isinstance(value.get("$image"), Mapping):
        value = value["$image"].get("thumbnail")
    return value if isinstance(value, str) and looks_like_base64(value) else None


def looks_like_base64(value: object) -> bool:
    """A long, padded run of base64 characters without spaces (prompts and enum values never are)."""
    return (
        isinstance(value, str)
        and len(value) >= _MIN_IMAGE_CHARS
        and len(value) % 4 == 0
        and _BASE64.fullmatch(value) is not None
    )


def elide(value: Any) -> Any:
    """A copy of decoded JSON with every image (string or `$image` reference) replaced by a short marker.

    The journal's `$text` references (other strings over its cap) become a marker with the start of the text.
    """
    if isinstance(value, Mapping):
        if isinstance(value.get("$image"), Mapping):
            return _marker(value["$image"])
        if isinstance(value.get("$text"), Mapping):
            return _text_marker(value["$text"])
        return {k: elide(v) for k, v in value.items()}
    if isinstance(value, list):
        return [elide(v) for v in value]
    if looks_like_base64(value):
        return f"<image: {len(value)} base64 chars>"
    return value


def _marker(ref: Mapping[str, Any]) -> str:
    length = ref.get("length", len(str(ref.get("base64", ""))))
    digest = str(ref.get("sha256", ""))[:12]
    kept = "not kept whole: over the journal's cap" if ref.get("elided") else "kept"
    if ref.get("thumbnail") is None:
        kept += ", no thumbnail"
    return f"<image: {length} base64 chars, sha256 {digest}…, {kept}>"


def _text_marker(ref: Mapping[str, Any]) -> str:
    preview = str(ref.get("preview", ""))
    start = "" if looks_like_base64(preview) else f', starts "{preview[:_TEXT_PREVIEW]}"'
    return f"<string: {ref.get('length')} chars, not kept: over the journal's cap{start}>"
