"""JSON Schema (draft 2020-12) export of the request contract, per model and task (docs/CONTRACT.md §3).

The schemas are generated from `validator.spec`, never written by hand, so they cannot drift from what the
validator checks. They cover the schema stage of docs/CONTRACT.md §2.4 (step 10): every object is closed
(`additionalProperties: false`), with its required keys, JSON types (`integer` vs `number`), inclusive
`minimum`/`maximum`, `enum`s, `minLength`/`maxLength`, array item counts and the `#RRGGBB` colour pattern.
Image fields are plain strings annotated with `contentEncoding: base64`.

What a JSON Schema validator cannot tell you (the semantic stage, step 11) still needs `validate_request`:
output sizes (docs/CONTRACT.md §4), image content and input sizes (§5), masks (§5.3), and the cross-field
rules of §3.5. The cross-field rules are *described* in each task schema's `description`. One difference in
the other direction: JSON Schema's `integer` admits `1024.0` (a number with a zero fraction), which Bedrock
rejects with `expected type: Integer, found: BigDecimal`.

Entry points:

* `json_schema(model, task)`: one closed schema for one task of one model (`taskType` is a `const`);
* `json_schema(model)`: one schema for every task of the model, dispatching on `taskType` with
  `if`/`then` to per-task schemas kept under `$defs`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from enum import Enum
from types import MappingProxyType
from typing import Any, Final

from validator.spec import Field, Kind, Limit, ModelSpec, TaskSpec, model_spec
from validator.stability.jsonschema import stability_json_schema
from validator.stability.models import Operation, StabilityModel
from validator.types import ModelId, TaskType

__all__ = ["DIALECT", "field_schema", "json_schema", "schema_id"]

JsonSchema = dict[str, Any]

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

_TYPE_NAME: Final[Mapping[Kind, str]] = MappingProxyType(
    {
        Kind.STRING: "string",
        Kind.IMAGE: "string",
        Kind.INTEGER: "integer",
        Kind.NUMBER: "number",
        Kind.BOOLEAN: "boolean",
        Kind.OBJECT: "object",
        Kind.ARRAY: "array",
    }
)

# docs/CONTRACT.md §3.5 rules that a closed JSON Schema does not express, as prose for the task `description`.
_RULE_TEXT: Final[Mapping[str, str]] = MappingProxyType(
    {
        "SEM-VTO-MASK-MISSING": "the mask object named by maskType is required",
        "SEM-VTO-MASK-STRAY": "mask objects for another maskType are forbidden",
        "SEM-MASK-BOTH": "exactly one of maskPrompt and maskImage",
        "SEM-CONTROL-NO-IMAGE": "controlMode and controlStrength require conditionImage",
        "SEM-SIZE-RANGE": "output width/height: each side 320-4096, divisible by 16, ratio 1:4-4:1, "
        "at most 4194304 pixels",
        "SEM-SIZE-TITAN": "output width x height must be one of the 25 supported sizes",
    }
)


def schema_id(model: ModelId, task: TaskType | None = None) -> str:
    """A stable `$id` URN for the schema of a model (and task)."""
    suffix = f":{task.value}" if task is not None else ""
    return f"urn:nova-canvas-emulator:request:{model.value}{suffix}"


def json_schema(
    model: ModelId | StabilityModel | str = ModelId.NOVA_CANVAS,
    task: TaskType | Operation | str | None = None,
) -> JsonSchema:
    """The draft 2020-12 JSON Schema of request bodies for `model`, for one `task` or for all of them.

    For a Stability AI model (docs/CONTRACT.md §S4) `task` is an `Operation` (e.g. `image-to-image`).
    Raises `ValueError` for an id that is not a canonical served model or a task the model does not serve.
    """
    stability = StabilityModel._value2member_map_.get(model) if isinstance(model, str) else None
    if isinstance(stability, StabilityModel):
        return stability_json_schema(stability, task)
    spec = model_spec(ModelId(model))
    if task is None:
        return _model_schema(spec)
    task_type = TaskType(task)  # an Operation is a str too: one no TaskType has raises ValueError
    task_spec = spec.tasks.get(task_type)
    if task_spec is None:
        raise ValueError(f"{spec.model.value} does not serve taskType {task_type.value}")
    header: JsonSchema = {"$schema": DIALECT, "$id": schema_id(spec.model, task_type)}
    return header | _task_schema(spec, task_spec)


def _model_schema(spec: ModelSpec) -> JsonSchema:
    """All tasks of a model: `taskType` picks a per-task schema through `if`/`then` (one per task)."""
    defs = {task.value: _task_schema(spec, t) for task, t in spec.tasks.items()}
    dispatch = [
        {
            "if": {"properties": {"taskType": {"const": name}}, "required": ["taskType"]},
            "then": {"$ref": f"#/$defs/{name}"},
        }
        for name in defs
    ]
    return {
        "$schema": DIALECT,
        "$id": schema_id(spec.model),
        "title": f"Bedrock InvokeModel request body for {spec.model.value}",
        "type": "object",
        "required": ["taskType"],
        # docs/CONTRACT.md §3.1: with an unknown taskType only the root keys are checked.
        "properties": {
            name: {"enum": list(spec.task_field.enum)} if name == "taskType" else True
            for name in sorted(spec.root_keys)
        },
        "additionalProperties": False,
        "allOf": dispatch,
        "$defs": defs,
    }


def _task_schema(spec: ModelSpec, task: TaskSpec) -> JsonSchema:
    """The closed schema of one task; `taskType` is pinned to the task's value."""
    notes = [_RULE_TEXT[rule] for rule in task.rules if rule in _RULE_TEXT]
    notes.append("image fields: base64 PNG or JPEG, 8-bit RGB, fully opaque (docs/CONTRACT.md §5)")
    schema: JsonSchema = {
        "title": f"{task.task_type.value} request body for {spec.model.value}",
        "description": "Also checked by the validator, not by this schema: " + "; ".join(notes) + ".",
    }
    schema |= _field(task.root)
    schema["properties"]["taskType"] = {"const": task.task_type.value}
    return schema


def field_schema(f: Field) -> JsonSchema:
    """The schema of one spec field (public for the Stability SDXL export)."""
    return _field(f)


def _field(f: Field) -> JsonSchema:
    """The schema of one spec field (without its name, which belongs to the parent's `properties`)."""
    if f.kind is Kind.ENUM:
        # everit has no type keyword on enum fields: non-members are enum violations (docs/CONTRACT.md D27).
        schema: JsonSchema = {"enum": list(f.enum)}
    else:
        schema = {"type": _TYPE_NAME[f.kind]}
    for add in _KEYWORDS:
        add(f, schema)
    if f.default is not None:
        schema["default"] = f.default.value if isinstance(f.default, Enum) else f.default
    return schema


def _strings(f: Field, schema: JsonSchema) -> None:
    if f.min_length is not None:
        schema["minLength"] = f.min_length
    if f.max_length is not None:
        schema["maxLength"] = f.max_length
    if f.pattern is not None:
        schema["pattern"] = f.pattern
    if f.kind is Kind.IMAGE:
        schema["contentEncoding"] = "base64"
        schema["description"] = "mask image: pure black and white" if f.mask_of else "PNG or JPEG image"


def _numbers(f: Field, schema: JsonSchema) -> None:
    if f.minimum is not None:
        schema["minimum"] = _limit(f.minimum)
    if f.maximum is not None:
        schema["maximum"] = _limit(f.maximum)


def _limit(limit: Limit) -> int | float:
    """The bound as a JSON number, written as the contract prints it (`10`, `1.0`, `1.1`)."""
    value: int | float = json.loads(limit.text)
    return value


def _arrays(f: Field, schema: JsonSchema) -> None:
    if f.kind is not Kind.ARRAY:
        return
    if f.items is not None:
        schema["items"] = _field(f.items)
    if f.min_items is not None:
        schema["minItems"] = f.min_items
    if f.max_items is not None:
        schema["maxItems"] = f.max_items


def _objects(f: Field, schema: JsonSchema) -> None:
    if f.kind is not Kind.OBJECT:
        return
    schema["properties"] = {child.name: _field(child) for child in f.fields}
    if f.required_names:
        schema["required"] = list(f.required_names)
    schema["additionalProperties"] = False  # docs/CONTRACT.md D9: unknown keys are extraneous at any depth


_KEYWORDS: Final[tuple[Callable[[Field, JsonSchema], None], ...]] = (_strings, _numbers, _arrays, _objects)
