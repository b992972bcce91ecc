"""A compiled fast path for the schema stage: one generated Python function per (model, task).

`validator._schema` walks the spec and renders every violation; that is the authority. Most bodies are valid,
though, and for them the walk is pure overhead, so at import time each task's spec is also compiled (the
technique fastjsonschema uses) into a predicate `accepts(doc) -> bool` made of inline type, length, range,
enum and key-set checks. The predicate is conservative: a count means the walker would find nothing, -1
means "run the walker" (which then reports the violations, or none: exotic-but-valid values such as `int`
subclasses just take the slow path). A differential test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from validator.spec import MODEL_SPECS, Field, Kind
from validator.types import ModelId, TaskType

#: `accepts(doc)` → -1 ("maybe invalid: run the walker"), or the number of object members in `doc` (all of
#: them: when the predicate passes, every object in the body was one it visited).
Predicate = Callable[[dict[str, Any]], int]


class _Source:
    """Accumulates generated lines and the constants they refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, object] = {"Decimal": Decimal}
        self.counter = 0

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def constant(self, value: object) -> str:
        name = self.name("C")
        self.constants[name] = value
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)


def _value(src: _Source, f: Field, var: str, indent: int) -> None:
    """Emit `return -1` lines for every way `var` can fail `f`."""
    kind = f.kind
    if kind is Kind.ENUM:
        src.emit(indent, f"if type({var}) is not str or {var} not in {src.constant(f.enum_set)}: return -1")
    elif kind in (Kind.STRING, Kind.IMAGE):
        _string(src, f, var, indent)
    elif kind is Kind.BOOLEAN:
        src.emit(indent, f"if type({var}) is not bool: return -1")
    elif kind in (Kind.INTEGER, Kind.NUMBER):
        _number(src, f, var, indent)
    elif kind is Kind.ARRAY:
        _array(src, f, var, indent)
    else:
        _object(src, f, var, indent)


def _string(src: _Source, f: Field, var: str, indent: int) -> None:
    src.emit(indent, f"if type({var}) is not str: return -1")
    if f.min_length is not None or f.max_length is not None:
        low, high = f.min_length or 0, f.max_length
        bound = f"{low} <= len({var})" + (f" <= {high}" if high is not None else "")
        src.emit(indent, f"if not ({bound}): return -1")
    if f.compiled is not None:
        src.emit(indent, f"if {src.constant(f.compiled)}.search({var}) is None: return -1")


def _number(src: _Source, f: Field, var: str, indent: int) -> None:
    if f.kind is Kind.INTEGER:
        src.emit(indent, f"if type({var}) is not int: return -1")
    else:
        src.emit(indent, f"if type({var}) is not int and type({var}) is not Decimal: return -1")
    if f.minimum is not None:
        src.emit(indent, f"if {var} < {src.constant(f.minimum.value)}: return -1")
    if f.maximum is not None:
        src.emit(indent, f"if {var} > {src.constant(f.maximum.value)}: return -1")


def _array(src: _Source, f: Field, var: str, indent: int) -> None:
    src.emit(indent, f"if type({var}) is not list: return -1")
    low, high = f.min_items or 0, f.max_items
    bound = f"{low} <= len({var})" + (f" <= {high}" if high is not None else "")
    src.emit(indent, f"if not ({bound}): return -1")
    if f.items is not None:
        item = src.name("v")
        src.emit(indent, f"for {item} in {var}:")
        _value(src, f.items, item, indent + 1)


def _object(src: _Source, f: Field, var: str, indent: int) -> None:
    src.emit(indent, f"if type({var}) is not dict: return -1")
    src.emit(indent, f"if not ({var}.keys() <= {src.constant(frozenset(f.by_name))}): return -1")
    src.emit(indent, f"members += len({var})")
    if f.required_names:
        src.emit(indent, f"if not ({src.constant(frozenset(f.required_names))} <= {var}.keys()): return -1")
    for child in f.fields:
        child_var = src.name("v")
        # `in` then `[]` beats a `.get()` call: absent optional fields, the common case, cost one test.
        src.emit(indent, f"if {child.name!r} in {var}:")
        src.emit(indent + 1, f"{child_var} = {var}[{child.name!r}]")
        _value(src, child, child_var, indent + 1)


def compile_predicate(root: Field) -> Predicate:
    """Generate and compile `accepts(doc)` for one task's root object."""
    src = _Source()
    src.emit(1, "members = 0")
    _object(src, root, "doc", 1)
    src.emit(1, "return members")
    # Constants become default arguments: local-variable loads are the cheapest lookups in CPython.
    signature = ", ".join(["doc", *(f"{name}={name}" for name in src.constants)])
    src.lines.insert(0, f"def accepts({signature}):")
    namespace: dict[str, Any] = dict(src.constants)
    exec(compile("\n".join(src.lines), f"<validator fast path {root.fields[1].name}>", "exec"), namespace)  # noqa: S102
    predicate: Predicate = namespace["accepts"]
    return predicate


#: (model, taskType value) → compiled predicate, built once at import.
PREDICATES: Final[Mapping[tuple[ModelId, TaskType], Predicate]] = MappingProxyType(
    {
        (model, task): compile_predicate(task_spec.root)
        for model, spec in MODEL_SPECS.items()
        for task, task_spec in spec.tasks.items()
    }
)
