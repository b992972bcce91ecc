"""JSON Schema (draft 2020-12) export of the Stability AI request bodies (docs/CONTRACT.md §S4, §S6.2).

Generated from `validator.stability.spec`, like the Nova/Titan export. One closed schema per model (or per
model and operation): the listed fields with their JSON types, bounds, enums, lengths and defaults; `null`
is accepted for an optional field (the validator reads it as absent). The cross-field rules are expressed
where JSON Schema can (image-to-image needs `image` and `strength` on SD3.5 / SD3; Outpaint needs a non-zero
direction; SDXL's width x height pairs); image content and sizes (§S4.5) need `validate_request`. As for
Nova, JSON Schema's `integer` admits `5.0`, which the validator rejects (ST-TYPE).
"""

from __future__ import annotations

from typing import Any, Final

from validator.stability.models import STABILITY_MODELS, Operation, StabilityModel
from validator.stability.spec import (
    SDXL_MODELS,
    SDXL_PAIRS,
    SDXL_ROOT,
    STABILITY_SPECS,
    StabilitySpec,
    StField,
    StKind,
)

JsonSchema = dict[str, Any]
DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
_TYPES: Final = {
    StKind.STRING: "string",
    StKind.IMAGE: "string",
    StKind.ENUM: "string",
    StKind.NUMBER: "number",
    StKind.INTEGER: "integer",
}


def schema_id(model: StabilityModel, operation: Operation | None = None) -> str:
    suffix = f":{operation.value}" if operation is not None else ""
    return f"urn:nova-canvas-emulator:request:{model.value}{suffix}"


def stability_json_schema(model: StabilityModel, operation: Operation | str | None = None) -> JsonSchema:
    """The schema of `model`'s request bodies, or of those asking for `operation`.

    Raises `ValueError` for an operation the model does not perform.
    """
    op = Operation(operation) if operation is not None else None
    if op is not None and op not in STABILITY_MODELS[model].operations:
        raise ValueError(f"{model.value} does not perform {op.value}")
    header: JsonSchema = {"$schema": DIALECT, "$id": schema_id(model, op)}
    if model in SDXL_MODELS:
        return header | _sdxl(model, op)
    return header | _v2(STABILITY_SPECS[model], op)


def _field(f: StField) -> JsonSchema:
    kind = _TYPES[f.kind]
    schema: JsonSchema = {"type": kind if f.required else [kind, "null"]}
    if f.enum:
        schema["enum"] = list(f.enum) + ([] if f.required else [None])
    if f.low is not None and f.high is not None:
        schema["minimum"] = int(f.low) if f.kind is StKind.INTEGER else float(f.low)
        schema["maximum"] = int(f.high) if f.kind is StKind.INTEGER else float(f.high)
    if f.max_length is not None:
        schema["maxLength"] = f.max_length
    if f.kind is StKind.IMAGE:
        schema["contentEncoding"] = "base64"
        schema["description"] = "base64 JPEG, PNG or WebP (no data: prefix)"
    if f.default is not None:
        schema["default"] = f.default if isinstance(f.default, int | str) else float(str(f.default))
    return schema


def _present(name: str, kind: str) -> JsonSchema:
    return {"properties": {name: {"type": kind}}, "required": [name]}


def _v2(spec: StabilitySpec, op: Operation | None) -> JsonSchema:
    required = [f.name for f in spec.fields if f.required]
    rules: list[JsonSchema] = []
    if spec.mode_selects:  # D-S19
        i2i_mode = {"properties": {"mode": {"const": "image-to-image"}}, "required": ["mode"]}
        image_no_mode = _present("image", "string") | {"not": {"required": ["mode"]}}
        needs = {
            "properties": {"image": {"type": "string"}, "strength": {"type": "number"}},
            "required": ["image", "strength"],
        }
        rules += [{"if": i2i_mode, "then": needs}, {"if": image_no_mode, "then": needs}]
    if spec.outpaint:
        rules.append({"anyOf": [_present(d, "integer") | {"properties": {d: {"minimum": 1}}} for d in _DIRS]})
    if op is Operation.IMAGE_TO_IMAGE:
        required += ["image", "strength"] if spec.mode_selects else ["image"]
    schema: JsonSchema = {
        "title": f"Bedrock InvokeModel request body for {spec.model.value}"
        + (f" ({op.value})" if op is not None else ""),
        "description": "Also checked by the validator, not by this schema: image content and sizes "
        "(docs/CONTRACT.md §S4.5); integers written without a fraction.",
        "type": "object",
        "properties": {f.name: _field(f) for f in spec.fields},
        "required": required,
        "additionalProperties": False,
    }
    if op is Operation.TEXT_TO_IMAGE and (spec.mode_selects or spec.image_selects):
        if spec.mode_selects:
            rules.append(
                {"not": _present("mode", "string") | {"properties": {"mode": {"const": "image-to-image"}}}}
            )
            rules.append({"if": _present("image", "string"), "then": _present("mode", "string")})
        else:
            schema["properties"]["image"] = {"type": "null"}
    if rules:
        schema["allOf"] = rules
    return schema


_DIRS: Final = ("left", "right", "up", "down")


def _sdxl(model: StabilityModel, op: Operation | None) -> JsonSchema:
    from validator.jsonschema_export import field_schema  # the main contract's everit-style field export

    schema: JsonSchema = {"title": f"Bedrock InvokeModel request body for {model.value}"}
    schema |= field_schema(SDXL_ROOT)
    schema["properties"]["extras"] = {"type": "object"}  # any JSON object ("Use with caution")
    pairs: list[JsonSchema] = []
    for w, h in SDXL_PAIRS:
        pair: JsonSchema = {"properties": {"width": {"const": w}, "height": {"const": h}}}
        if (w, h) != (1024, 1024):  # an absent side is 1024
            pair["required"] = ["width", "height"]
        pairs.append(pair)
    schema["allOf"] = [{"if": {"not": {"required": ["init_image"]}}, "then": {"anyOf": pairs}}]
    if op is Operation.IMAGE_TO_IMAGE:
        schema["required"] = [*schema["required"], "init_image"]
    elif op is Operation.TEXT_TO_IMAGE:
        schema["properties"]["init_image"] = False
    return schema
