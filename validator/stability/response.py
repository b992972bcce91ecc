"""Check a Stability AI response body against the request it answers (docs/CONTRACT.md §S3, D-S5-D-S7).

* V2 success: exactly `{"seeds":[<int>],"finish_reasons":[null],"images":["<b64>"]}` in that key order, one
  element each; the seed is `request.seed`; the image is standard padded base64 of an image in
  `request.output_format` of `request.output_size` (with an alpha channel for Remove Background in png/webp).
* V2 filtered / failed: exactly `{"finish_reasons":["<reason>"]}` with one of the four documented reasons.
* SDXL: `{"result":"success","artifacts":[{"seed","base64","finishReason"}]}` with one PNG artifact.
"""

from __future__ import annotations

import binascii
import io
from collections.abc import Iterator
from typing import Any, Final

from PIL import Image

from validator._images import sniff
from validator.report import ContractError
from validator.stability._images import has_alpha, header_size
from validator.stability.models import Operation
from validator.stability.types import OutputFormat, StabilityRequest
from validator.types import ImageSize

FILTER_REASONS: Final = (
    "Filter reason: prompt",
    "Filter reason: output image",
    "Filter reason: input image",
    "Inference error",
)
V2_KEYS: Final = ["seeds", "finish_reasons", "images"]
SDXL_FINISH: Final = ("SUCCESS", "ERROR", "CONTENT_FILTERED")
_SNIFFED: Final = {OutputFormat.PNG: "PNG", OutputFormat.JPEG: "JPEG", OutputFormat.WEBP: "WEBP"}


def _error(pointer: str, keyword: str, detail: str) -> ContractError:
    return ContractError(stage="response", pointer=pointer, keyword=keyword, detail=detail)


def check_stability_response(doc: dict[str, Any], request: StabilityRequest) -> Iterator[ContractError]:
    """Every problem of a parsed response body."""
    if request.sdxl is not None:
        yield from _sdxl(doc, request)
    elif "seeds" in doc:
        yield from _success(doc, request)
    else:
        yield from _filtered(doc)


def _one(doc: dict[str, Any], key: str) -> tuple[object, ContractError | None]:
    value = doc.get(key)
    if not isinstance(value, list) or len(value) != 1:
        return None, _error(f"#/{key}", "count", "must be an array of exactly one element")
    return value[0], None


def _success(doc: dict[str, Any], request: StabilityRequest) -> Iterator[ContractError]:
    if list(doc) != V2_KEYS:
        yield _error(
            "#", "keys", f"must hold exactly seeds, finish_reasons, images in that order, actual: {list(doc)}"
        )
    seed, problem = _one(doc, "seeds")
    if problem is not None:
        yield problem
    elif type(seed) is not int or seed != request.seed:
        yield _error("#/seeds/0", "seed", f"must be the integer {request.seed}, actual: {seed!r}")
    reason, problem = _one(doc, "finish_reasons")
    if problem is not None:
        yield problem
    elif reason is not None:
        yield _error("#/finish_reasons/0", "finish_reasons", "must be null next to an image")
    image, problem = _one(doc, "images")
    if problem is not None:
        yield problem
    else:
        alpha = (
            request.operation is Operation.REMOVE_BACKGROUND
            and request.output_format is not OutputFormat.JPEG
        )
        yield from check_image(image, "#/images/0", request.output_format, request.output_size, alpha)


def _filtered(doc: dict[str, Any]) -> Iterator[ContractError]:
    if list(doc) != ["finish_reasons"]:
        yield _error("#", "keys", f"a filtered response holds only finish_reasons, actual: {list(doc)}")
    reason, problem = _one(doc, "finish_reasons")
    if problem is not None:
        yield problem
    elif reason not in FILTER_REASONS:
        yield _error("#/finish_reasons/0", "finish_reasons", f"must be one of {', '.join(FILTER_REASONS)}")


def _sdxl(doc: dict[str, Any], request: StabilityRequest) -> Iterator[ContractError]:
    if list(doc) != ["result", "artifacts"]:
        yield _error("#", "keys", f"must hold exactly result, artifacts, actual: {list(doc)}")
    if doc.get("result") != "success":
        yield _error("#/result", "result", "must be success")
    artifact, problem = _one(doc, "artifacts")
    if problem is not None:
        yield problem
        return
    if not isinstance(artifact, dict) or set(artifact) != {"seed", "base64", "finishReason"}:
        yield _error("#/artifacts/0", "keys", "must be an object with exactly seed, base64, finishReason")
        return
    if type(artifact["seed"]) is not int or artifact["seed"] != request.seed:
        yield _error("#/artifacts/0/seed", "seed", f"must be the integer {request.seed}")
    if artifact["finishReason"] not in SDXL_FINISH:
        yield _error("#/artifacts/0/finishReason", "finishReason", f"must be one of {', '.join(SDXL_FINISH)}")
    if artifact["finishReason"] == "ERROR" and artifact["base64"] == "":
        return  # a failed generation has no picture to carry (the emulator's simulated inference error)
    yield from check_image(
        artifact["base64"], "#/artifacts/0/base64", OutputFormat.PNG, request.output_size, False
    )


def check_image(
    text: object, pointer: str, fmt: OutputFormat, size: ImageSize, alpha: bool
) -> Iterator[ContractError]:
    """Standard padded base64 of a `fmt` image of `size` that decodes (with alpha when `alpha`)."""
    if not isinstance(text, str) or len(text) % 4:
        yield _error(pointer, "base64", "must be padded standard base64 (no data: prefix, no line breaks)")
        return
    try:
        data = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        yield _error(pointer, "base64", "must be padded standard base64 (no data: prefix, no line breaks)")
        return
    wanted = _SNIFFED[fmt]
    if sniff(data) != wanted:
        yield _error(pointer, "format", f"must be a {fmt.value} image, actual: {sniff(data)}")
        return
    actual = header_size(data, wanted)
    if actual != size:  # checked on the header first: nothing larger than promised is decoded
        yield _error(pointer, "size", f"must be {size}, actual: {actual}")
        return
    try:
        with Image.open(io.BytesIO(data), formats=[wanted]) as img:
            img.load()
            transparent = has_alpha(img)
    except Exception:  # any decoder failure is a broken image
        yield _error(pointer, "decode", f"must be a {fmt.value} image that decodes")
        return
    if alpha and not transparent:
        yield _error(pointer, "mode", "must carry an alpha channel (remove-background)")
