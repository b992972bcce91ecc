"""The Stability AI models as clients call them (docs/CONTRACT.md §S): ids, the client bodies of
fixtures/requests/stability with the output each one promises, and checks of the returned images.

The expected texts here are written out from the contract, not taken from the validator, so that the client
tests check the server against the contract rather than against itself.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from tests.support.fixtures import REQUESTS, FixtureCase, load_cases

# --- ids (docs/CONTRACT.md §S1.2) ---------------------------------------------------------------------------
SD35 = "stability.sd3-5-large-v1:0"
ULTRA = "stability.stable-image-ultra-v1:1"
CORE = "stability.stable-image-core-v1:1"
SD3_LARGE = "stability.sd3-large-v1:0"
SDXL = "stability.stable-diffusion-xl-v1"
GENERATORS = (SD35, ULTRA, CORE)
# A word the client tests' Stability server blocks (docs/CONTRACT.md §S5.3): a prompt carrying it gets
# `Filter reason: prompt` (SDXL: `invalid_prompts`).
STABILITY_BLOCKED_WORD = "contraband"


def profile(service: str) -> str:
    """The `us.` inference-profile id of an Image Service, the only form that invokes it (D-S4)."""
    return f"us.stability.{service}-v1:0"


INPAINT = profile("stable-image-inpaint")
ERASE = profile("stable-image-erase-object")
REMOVE_BACKGROUND = profile("stable-image-remove-background")
SEARCH_REPLACE = profile("stable-image-search-replace")
SEARCH_RECOLOR = profile("stable-image-search-recolor")
STYLE_GUIDE = profile("stable-image-style-guide")
STYLE_TRANSFER = profile("stable-style-transfer")
CONTROL_SKETCH = profile("stable-image-control-sketch")
CONTROL_STRUCTURE = profile("stable-image-control-structure")
OUTPAINT = profile("stable-outpaint")
CREATIVE_UPSCALE = profile("stable-creative-upscale")
CONSERVATIVE_UPSCALE = profile("stable-conservative-upscale")
FAST_UPSCALE = profile("stable-fast-upscale")
SERVICES = (
    INPAINT, ERASE, REMOVE_BACKGROUND, SEARCH_REPLACE, SEARCH_RECOLOR, STYLE_GUIDE, STYLE_TRANSFER,
    CONTROL_SKETCH, CONTROL_STRUCTURE, OUTPAINT, CREATIVE_UPSCALE, CONSERVATIVE_UPSCALE, FAST_UPSCALE,
)  # fmt: skip

# --- message texts (docs/CONTRACT.md §S6.1, §S6.3, §S6.4) ---------------------------------------------------
R1 = "Malformed input request: #: required key [prompt] not found, please reformat your input and try again."
ULTRA_FIELDS = "prompt, negative_prompt, mode, strength, seed, output_format, image, aspect_ratio"
CONTROL_SKETCH_FIELDS = "image, prompt, control_strength, negative_prompt, seed, output_format, style_preset"
INPAINT_FIELDS = "image, prompt, mask, grow_mask, negative_prompt, seed, output_format, style_preset"
CORE_FIELDS = "prompt, negative_prompt, mode, aspect_ratio, seed, output_format, style_preset"
# R4, exactly as captured from AWS (its `{"message": ...}` body is 196 bytes).
R4 = (
    '{"detail":"Invalid field \'text_prompts\' in request. Available fields for control-sketch are: image, '
    'prompt, control_strength, negative_prompt, seed, output_format, style_preset"}'
)
R4_BODY_LENGTH = 196


def detail(text: str) -> str:
    """A container rejection's `message`: compact JSON `{"detail": ...}` (docs/CONTRACT.md §S2)."""
    return json.dumps({"detail": text}, separators=(",", ":"), ensure_ascii=False)


def invalid_field(key: str, name: str, fields: str) -> str:
    """The R3/R4-form unknown-field message (D-S16)."""
    return detail(f"Invalid field '{key}' in request. Available fields for {name} are: {fields}")


def on_demand_unsupported(model_id: str) -> str:
    """R8, with U+2019 in `isn’t` (docs/CONTRACT.md §S1.5)."""
    return (
        f"Invocation of model ID {model_id} with on-demand throughput isn\u2019t supported. "
        "Retry your request with the ID or ARN of an inference profile that contains this model."
    )


# --- the client bodies of fixtures/requests/stability -------------------------------------------------------
STABILITY_FIXTURES = REQUESTS / "stability"


@dataclass(frozen=True)
class ClientCase:
    """A fixture case plus what the client expects back (fixtures/requests/stability/README.md)."""

    case: FixtureCase
    client: str
    output: dict[str, Any] | None
    images: dict[str, str]  # body key -> the `@image:` reference it was built from, for size rules


def _references(body: Any) -> dict[str, str]:
    if not isinstance(body, dict):
        return {}
    refs = {}
    for key, value in body.items():
        value = value[0] if isinstance(value, list) and value else value
        if isinstance(value, str) and value.startswith("@image:"):
            refs[key] = value.removeprefix("@image:")
    return refs


def load_client_cases() -> list[ClientCase]:
    """Every case under fixtures/requests/stability, sorted by id, with its `client` and `output` keys."""
    found = []
    for case in load_cases(STABILITY_FIXTURES):
        raw = json.loads((REQUESTS / f"{case.id}.json").read_text("utf-8"))
        found.append(ClientCase(case, raw["client"], raw.get("output"), _references(raw.get("body"))))
    return found


def reference_size(reference: str) -> tuple[int, int]:
    """Width and height of the file an `@image:` reference names."""
    with Image.open(STABILITY_FIXTURES.parents[1] / "images" / reference) as image:
        return image.size


# --- returned images ----------------------------------------------------------------------------------------
def image_format(data: bytes) -> str | None:
    """`png`, `jpeg` or `webp` by magic bytes, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


@dataclass(frozen=True)
class Decoded:
    """One returned image: its format by magic bytes, its Pillow mode and its pixels."""

    format: str | None
    mode: str
    pixels: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])


def decode_image(text: str) -> Decoded:
    """Strict standard base64 (no `data:` prefix) of a PNG, JPEG or WebP, fully decoded."""
    data = base64.b64decode(text, validate=True)
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return Decoded(image_format(data), image.mode, np.asarray(image))


def v2_image(body: dict[str, Any]) -> Decoded:
    """The one image of a V2 success body `{"seeds":[n],"finish_reasons":[null],"images":[b64]}` (D-S5)."""
    assert list(body) == ["seeds", "finish_reasons", "images"], body.keys()
    assert body["finish_reasons"] == [None]
    assert len(body["seeds"]) == 1 and isinstance(body["seeds"][0], int)
    assert len(body["images"]) == 1
    return decode_image(body["images"][0])


def sdxl_image(body: dict[str, Any]) -> Decoded:
    """The one image of an SDXL success body (docs/CONTRACT.md §S3.3, D-S7)."""
    assert body["result"] == "success"
    [artifact] = body["artifacts"]
    assert artifact["finishReason"] == "SUCCESS" and isinstance(artifact["seed"], int)
    return decode_image(artifact["base64"])


def i2i_size_ok(source: tuple[int, int], out: tuple[int, int]) -> bool:
    """Image-to-image output (docs/CONTRACT.md §S3.5): the input's aspect ratio at about one megapixel,
    sides multiples of 64 within 640-1536: each side within 64 px of the ideal one, unless clamped."""
    (sw, sh), (w, h) = source, out
    if w % 64 or h % 64 or not (640 <= w <= 1536 and 640 <= h <= 1536):
        return False
    ideal_w = (1_048_576 * sw / sh) ** 0.5
    ideal_h = ideal_w * sh / sw
    clamped = not (640 <= ideal_w <= 1536 and 640 <= ideal_h <= 1536)
    return clamped or (abs(w - ideal_w) <= 64 and abs(h - ideal_h) <= 64)


def upscale_4k_size_ok(source: tuple[int, int], out: tuple[int, int]) -> bool:
    """Creative and Conservative Upscale (docs/CONTRACT.md §S3.5): aspect kept, long side 4096."""
    (sw, sh), (w, h) = source, out
    if sw >= sh:
        return w == 4096 and abs(h - 4096 * sh / sw) <= 1
    return h == 4096 and abs(w - 4096 * sw / sh) <= 1


def photo_reference(name: str) -> str:
    """The `@image:` reference of a development photograph (resolved under fixtures/images)."""
    return f"../photos/{name}.jpg"


def file_b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def png_b64(pixels: np.ndarray) -> str:
    """PNG of an array (L, RGB or RGBA by its shape) as base64."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def assert_client_error(exc: Any, name: str, status: int, message: str) -> None:
    """Status, `x-amzn-ErrorType`, code and exact message of a botocore ClientError (docs/CONTRACT.md §S2)."""
    response = exc.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    error_type = response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"]
    assert error_type.split(":", 1)[0] == name, error_type
    assert response["Error"]["Code"] == name
    assert response["Error"]["Message"] == message
