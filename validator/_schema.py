"""The schema stage (docs/CONTRACT.md §2.4 step 10, §3, §7.1): every violation, in everit traversal order.

The walk is driven entirely by `validator.spec`. For each object: type, required keys (table order),
extraneous keys (request order), then each listed property (table order), recursively. For each array:
minItems, maxItems, then items by index. A value that fails its type check gets no further checks. If
`taskType` is missing or not one of the model's values, only root-level checks run (docs/CONTRACT.md §3.1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from validator._fast import PREDICATES, Predicate
from validator._render import detail, found_type, show
from validator.report import ContractError
from validator.spec import EXPECTED_TYPE_NAME, MODEL_SPECS, Field, Kind, ModelSpec, TaskSpec
from validator.types import ModelId

Errors = list[ContractError]
#: Per model, taskType value → the task's spec and its compiled fast-path predicate.
TASKS: Final[Mapping[ModelId, Mapping[str, tuple[TaskSpec, Predicate]]]] = MappingProxyType(
    {
        model: MappingProxyType(
            {task.value: (task_spec, PREDICATES[(model, task)]) for task, task_spec in spec.tasks.items()}
        )
        for model, spec in MODEL_SPECS.items()
    }
)


class SchemaResult(NamedTuple):
    """The task spec (None when taskType is invalid), all violations, and whether the fast path found the
    body plainly valid (no later stage fails or warns; `validator._fast`)."""

    task: TaskSpec | None
    errors: Errors
    plain: bool = False


def check_schema(doc: dict[str, Any], spec: ModelSpec) -> SchemaResult:
    """Validate a parsed body against its model and task."""
    out: Errors = []
    task_type = doc.get("taskType")
    entry = TASKS[spec.model].get(task_type) if type(task_type) is str else None
    if entry is None:
        _root_only(doc, spec, out)
        return SchemaResult(None, out)
    task, accepts = entry
    plain = accepts(doc)
    if plain is None:  # the compiled fast path says "maybe invalid": walk for the exact violations
        _object(doc, task.root, "#", out)
        return SchemaResult(task, out)
    return SchemaResult(task, out, plain)


def _root_only(doc: dict[str, Any], spec: ModelSpec, out: Errors) -> None:
    """The taskType violation plus extraneous root keys; nested objects are not validated (docs/CONTRACT.md
    §3.1)."""
    if "taskType" not in doc:
        out.append(_error("#", "required", name="taskType"))
    for key in doc:
        if key not in spec.root_keys:
            out.append(_error("#", "additionalProperties", name=key))
    if "taskType" in doc:
        _enum(doc["taskType"], spec.task_field, "#/taskType", out)


def _error(pointer: str, keyword: str, **parts: object) -> ContractError:
    return ContractError(stage="schema", pointer=pointer, keyword=keyword, detail=detail(keyword, **parts))


def _type_error(value: object, f: Field, pointer: str) -> ContractError:
    return _error(pointer, "type", expected=EXPECTED_TYPE_NAME[f.kind], found=found_type(value))


def _object(value: object, f: Field, pointer: str, out: Errors) -> None:
    if not isinstance(value, dict):
        out.append(_type_error(value, f, pointer))
        return
    for name in f.required_names:
        if name not in value:
            out.append(_error(pointer, "required", name=name))
    by_name = f.by_name
    for key in value:
        if key not in by_name:
            out.append(_error(pointer, "additionalProperties", name=key))
    prefix = "#/" if pointer == "#" else pointer + "/"
    for child in f.fields:
        name = child.name
        if name in value:
            _CHECKS[child.kind](value[name], child, prefix + name, out)


def _string(value: object, f: Field, pointer: str, out: Errors) -> None:
    if not isinstance(value, str):
        out.append(_type_error(value, f, pointer))
        return
    if f.min_length is not None and len(value) < f.min_length:
        out.append(_error(pointer, "minLength", limit=f.min_length, actual=len(value)))
    if f.max_length is not None and len(value) > f.max_length:
        out.append(_error(pointer, "maxLength", limit=f.max_length, actual=len(value)))
    if f.compiled is not None and f.compiled.search(value) is None:
        out.append(_error(pointer, "pattern", value=value, pattern=f.pattern))


def _integer(value: object, f: Field, pointer: str, out: Errors) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        out.append(_type_error(value, f, pointer))
        return
    _range(value, f, pointer, out)


def _number(value: object, f: Field, pointer: str, out: Errors) -> None:
    # A float is a Java Double (validator._parse): a Number to everit like the rest.
    if not isinstance(value, int | Decimal | float) or isinstance(value, bool):
        out.append(_type_error(value, f, pointer))
        return
    _range(value, f, pointer, out)


def _range(value: int | Decimal | float, f: Field, pointer: str, out: Errors) -> None:
    if f.minimum is not None and value < f.minimum.value:
        out.append(_error(pointer, "minimum", value=show(value), limit=f.minimum.text))
    if f.maximum is not None and value > f.maximum.value:
        out.append(_error(pointer, "maximum", value=show(value), limit=f.maximum.text))


def _boolean(value: object, f: Field, pointer: str, out: Errors) -> None:
    if not isinstance(value, bool):
        out.append(_type_error(value, f, pointer))


def _enum(value: object, f: Field, pointer: str, out: Errors) -> None:
    # No type keyword on enum fields: any non-member (null, numbers, objects) gets the enum template
    # (docs/CONTRACT.md D27, D32).
    if not (isinstance(value, str) and value in f.enum_set):
        out.append(_error(pointer, "enum", value=show(value)))


def _array(value: object, f: Field, pointer: str, out: Errors) -> None:
    if not isinstance(value, list):
        out.append(_type_error(value, f, pointer))
        return
    count = len(value)
    if f.min_items is not None and count < f.min_items:
        out.append(_error(pointer, "minItems", limit=f.min_items, actual=count))
    if f.max_items is not None and count > f.max_items:
        out.append(_error(pointer, "maxItems", limit=f.max_items, actual=count))
    item = f.items
    if item is None:
        return
    check = _CHECKS[item.kind]
    for index, element in enumerate(value):
        check(element, item, f"{pointer}/{index}", out)


_Check = Callable[[object, Field, str, Errors], None]

_CHECKS: Final[Mapping[Kind, _Check]] = MappingProxyType(
    {
        Kind.STRING: _string,
        Kind.IMAGE: _string,  # docs/CONTRACT.md §3: images are plain strings here; content is checked in §5
        Kind.INTEGER: _integer,
        Kind.NUMBER: _number,
        Kind.BOOLEAN: _boolean,
        Kind.ENUM: _enum,
        Kind.OBJECT: _object,
        Kind.ARRAY: _array,
    }
)


def walk_object(value: object, f: Field, pointer: str = "#") -> Errors:
    """Every everit violation of `value` against the object field `f` (used for SDXL, docs/CONTRACT.md §S6.2
    step 10b)."""
    out: Errors = []
    _object(value, f, pointer, out)
    return out
