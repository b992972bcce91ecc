"""The Stability AI body checks, in the order of docs/CONTRACT.md §S6.2 (steps 10a-13).

Each step is a small function returning `ContractError`s with JSON pointers; the caller stops at the first
step that finds any (Bedrock reports one error: the first of that step). Texts come from
`validator.stability.messages` only.

* 10a `schema_prompt`: Bedrock's schema layer, `prompt` present (Ultra, Core, SD3.5, SD3; D-S17).
* 10b `sdxl_schema`: SDXL's everit schema (the main contract's renderers) and its width x height pair.
* 11 `unknown_fields`: every key the model does not list, in request order (R3/R4 wording, D-S16).
* 12 `field_errors` then `cross_field_errors`: required, type, enum, range, length; then image-to-image and
  outpaint rules (ST-*).
* 13 `image_errors`: decode and size rules of every image field (§S4.5).

JSON `null` for a field means the field is absent (Project).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from validator._render import detail, show
from validator._schema import walk_object
from validator.report import ContractError
from validator.stability._images import decode_image
from validator.stability.messages import EXPECTED, text
from validator.stability.models import STABILITY_MODELS, Operation
from validator.stability.spec import SDXL_IMAGE, SDXL_PAIRS, SDXL_ROOT, StabilitySpec, StField, StKind
from validator.stability.types import StabilityImage

Json = dict[str, Any]
I2I: Final = "image-to-image"
T2I: Final = "text-to-image"
DIRECTIONS: Final = ("left", "right", "up", "down")


def pointer_of(key: str) -> str:
    """The JSON pointer of a top-level key (RFC 6901 escaping)."""
    return "#/" + key.replace("~", "~0").replace("/", "~1")


def _error(stage: str, key: str | None, code: str, **parts: object) -> ContractError:
    pointer = "#" if key is None else pointer_of(key)
    if key is not None:
        parts.setdefault("key", key)
    return ContractError("semantic" if stage == "semantic" else "schema", pointer, code, text(code, **parts))


def present(doc: Mapping[str, Any], name: str) -> bool:
    """True when the body sends `name` with a non-null value."""
    return doc.get(name) is not None


# ---- step 10a / 10b ----
def schema_prompt(doc: Json, spec: StabilitySpec) -> list[ContractError]:
    """R1: Bedrock's everit layer finds no `prompt` key (a `null` prompt is a key: the container decides)."""
    if spec.schema_prompt and "prompt" not in doc:
        return [ContractError("schema", "#", "required", detail("required", name="prompt"))]
    return []


def sdxl_schema(doc: Json) -> list[ContractError]:
    """Step 10b: the everit walk of SDXL's schema, then the width x height pair for text-to-image."""
    extras = doc.get("extras")
    walked = {**doc, "extras": {}} if isinstance(extras, dict) else doc
    errors = walk_object(walked, SDXL_ROOT)
    if errors or "init_image" in doc:
        return errors
    width, height = doc.get("width", 1024), doc.get("height", 1024)
    if (width, height) not in SDXL_PAIRS:
        pairs = ", ".join(f"{w}x{h}" for w, h in SDXL_PAIRS)
        message = text("ST-SDXL-DIMENSIONS", pairs=pairs, width=width, height=height)
        return [ContractError("schema", "#", "ST-SDXL-DIMENSIONS", message)]
    return []


# ---- step 11 ----
#: At most this many unknown keys are listed in `errors`: a 25 MB body can hold millions of keys, and each
#: error repeats the model's field list. Bedrock names only the first.
MAX_UNKNOWN_LISTED: Final = 100


def unknown_fields(doc: Json, spec: StabilitySpec) -> list[ContractError]:
    """The keys the model does not list, in request order (the first 100); Bedrock names the first (D-S16)."""
    unknown = (key for key in doc if key not in spec.by_name)
    return [
        _error("semantic", key, "R4", name=spec.name, fields=spec.available)
        for key in itertools.islice(unknown, MAX_UNKNOWN_LISTED)
    ]


# ---- step 12 ----
def _type_ok(value: object, kind: StKind) -> bool:
    if kind is StKind.INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is StKind.NUMBER:
        return isinstance(value, int | Decimal | float) and not isinstance(value, bool)
    return isinstance(value, str)


def _value_error(value: object, f: StField) -> ContractError | None:
    """Type, then enum, range and length (a value of the wrong type gets only the type error)."""
    if not _type_ok(value, f.kind):
        return _error("semantic", f.name, "ST-TYPE", expected=EXPECTED[f.kind.value])
    if f.enum and value not in f.enum:
        return _error("semantic", f.name, "ST-ENUM", value=value, allowed=", ".join(f.enum))
    if f.low_value is not None and f.high_value is not None:
        assert isinstance(value, int | Decimal | float)
        if not f.low_value <= value <= f.high_value:
            return _error("semantic", f.name, "ST-RANGE", value=show(value), low=f.low, high=f.high)
    if f.max_length is not None and isinstance(value, str) and len(value) > f.max_length:
        return _error("semantic", f.name, "ST-LEN", limit=f.max_length)
    return None


def field_errors(doc: Json, spec: StabilitySpec) -> list[ContractError]:
    """Missing required fields (table order), then each sent field's value (table order)."""
    errors = [
        _error("semantic", f.name, "ST-REQUIRED")
        for f in spec.fields
        if f.required and not present(doc, f.name)
    ]
    for f in spec.fields:
        if present(doc, f.name):
            problem = _value_error(doc[f.name], f)
            if problem is not None:
                errors.append(problem)
    return errors


def operation_of(doc: Json, spec: StabilitySpec) -> Operation:
    """What the body asks for: the service's one operation; for the generators, image-to-image when `mode`
    says so (SD3.5 / SD3) or an `image` is sent (Ultra; SD3.5 / SD3 without `mode`, D-S19)."""
    if spec.mode_selects:
        mode = doc.get("mode")
        wanted = mode == I2I or (mode is None and present(doc, "image"))
        return Operation.IMAGE_TO_IMAGE if wanted else Operation.TEXT_TO_IMAGE
    if spec.image_selects:
        return Operation.IMAGE_TO_IMAGE if present(doc, "image") else Operation.TEXT_TO_IMAGE
    return STABILITY_MODELS[spec.model].operations[0]


def cross_field_errors(doc: Json, spec: StabilitySpec) -> list[ContractError]:
    """ST-I2I-MISSING (SD3.5 / SD3) and ST-OUTPAINT-ZERO; run on bodies whose fields all passed."""
    if spec.mode_selects and operation_of(doc, spec) is Operation.IMAGE_TO_IMAGE:
        if not (present(doc, "image") and present(doc, "strength")):
            return [_error("semantic", None, "ST-I2I-MISSING")]
    if spec.outpaint and not any(doc.get(d) for d in DIRECTIONS):
        return [_error("semantic", None, "ST-OUTPAINT-ZERO")]
    return []


# ---- step 13 ----
def image_errors(doc: Json, spec: StabilitySpec) -> tuple[list[ContractError], dict[str, StabilityImage]]:
    """Decode every sent image field (table order): the errors, and the decoded images by field name."""
    errors: list[ContractError] = []
    images: dict[str, StabilityImage] = {}
    for f in spec.fields:
        if f.kind is StKind.IMAGE and f.image is not None and present(doc, f.name):
            decoded = decode_image(doc[f.name], pointer_of(f.name), f.image)
            if decoded.error is not None:
                errors.append(decoded.error)
            elif decoded.image is not None:
                images[f.name] = decoded.image
    return errors, images


def sdxl_image(doc: Json) -> tuple[list[ContractError], dict[str, StabilityImage]]:
    """SDXL's `init_image` (image-to-image), decoded with the shared rules (Project)."""
    value = doc.get("init_image")
    if not isinstance(value, str):
        return [], {}
    decoded = decode_image(value, "#/init_image", SDXL_IMAGE)
    if decoded.error is not None or decoded.image is None:
        return [decoded.error] if decoded.error is not None else [], {}
    return [], {"init_image": decoded.image}
