"""A compiled fast path for the schema stage: one generated Python function per (model, task).

`validator._schema` walks the spec and renders every violation; that is the authority. Most bodies are valid,
though, and for them the walk is pure overhead, so at import time each task's spec is also compiled (the
technique fastjsonschema uses) into a predicate `accepts(doc) -> plain | None` made of inline type, length,
range, enum and key-set checks. The predicate is conservative: a bool means the walker would find nothing,
None means "run the walker" (which then reports the violations, or none: exotic-but-valid values such as
`int` subclasses just take the slow path). A differential test keeps the two in step.

`plain` folds in the rest of the verdict for the common small requests (image-free TEXT_IMAGE and
COLOR_GUIDED_GENERATION): True means the body also passes every semantic rule and draws no warning (no
image, no control field, no negation-word candidate, no legacy-range seed, a legal output size), so the
report needs no further stage. False only means "run the later stages"; tests/validator/test_express.py
compares the two paths.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from validator._warnings import NEGATION_FIELDS, NEGATION_HINTS
from validator.spec import MODEL_SPECS, Field, Kind, ModelSpec, TaskSpec
from validator.types import ModelId, TaskType

#: `accepts(doc)` → None ("maybe invalid: run the walker"), or `plain` (schema-valid; see the module text).
Predicate = Callable[[dict[str, Any]], bool | None]
_SIZE_RULES: Final = frozenset({"SEM-SIZE-RANGE", "SEM-SIZE-STEP", "SEM-SIZE-RATIO", "SEM-SIZE-PIXELS"})
_LANE_RULES: Final = _SIZE_RULES | {"SEM-SIZE-TITAN", "SEM-CONTROL-NO-IMAGE"}


class _Source:
    """Accumulates generated lines and the constants they refer to."""

    def __init__(self, lane: TaskSpec | None = None, legacy_seed_max: int | None = None) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, object] = {"Decimal": Decimal, "F": None}
        self.counter = 0
        #: The task whose `plain` verdict is compiled in, or None when `plain` is always False.
        self.lane = lane
        #: Seeds above this draw W-SEED-LEGACY, so they are not plain.
        self.legacy_seed_max = legacy_seed_max

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
    """Emit `return F` lines for every way `var` can fail `f`."""
    kind = f.kind
    if kind is Kind.ENUM:
        src.emit(indent, f"if type({var}) is not str or {var} not in {src.constant(f.enum_set)}: return F")
    elif kind in (Kind.STRING, Kind.IMAGE):
        _string(src, f, var, indent)
    elif kind is Kind.BOOLEAN:
        src.emit(indent, f"if type({var}) is not bool: return F")
    elif kind in (Kind.INTEGER, Kind.NUMBER):
        _number(src, f, var, indent)
    elif kind is Kind.ARRAY:
        _array(src, f, var, indent)
    else:
        _object(src, f, var, indent)


def _string(src: _Source, f: Field, var: str, indent: int) -> None:
    src.emit(indent, f"if type({var}) is not str: return F")
    if f.min_length is not None or f.max_length is not None:
        low, high = f.min_length or 0, f.max_length
        bound = f"{low} <= len({var})" + (f" <= {high}" if high is not None else "")
        src.emit(indent, f"if not ({bound}): return F")
    if f.compiled is not None:
        src.emit(indent, f"if {src.constant(f.compiled)}.search({var}) is None: return F")


def _number(src: _Source, f: Field, var: str, indent: int) -> None:
    low: int | Decimal | None = None if f.minimum is None else f.minimum.value
    high: int | Decimal | None = None if f.maximum is None else f.maximum.value
    if f.kind is Kind.INTEGER:
        src.emit(indent, f"if type({var}) is not int: return F")
        # int-to-int comparisons are several times faster than int-to-Decimal; for an int v, v < 1.5 is
        # v < 2 and v > 2.5 is v > 2.
        low = None if low is None else math.ceil(low)
        high = None if high is None else math.floor(high)
    else:
        # float: a Java Double (validator._parse); tested last, so it costs nothing on the usual path.
        number = f"type({var}) is not int and type({var}) is not Decimal and type({var}) is not float"
        src.emit(indent, f"if {number}: return F")
    if low is not None:
        src.emit(indent, f"if {var} < {src.constant(low)}: return F")
    if high is not None:
        src.emit(indent, f"if {var} > {src.constant(high)}: return F")


def _array(src: _Source, f: Field, var: str, indent: int) -> None:
    src.emit(indent, f"if type({var}) is not list: return F")
    low, high = f.min_items or 0, f.max_items
    bound = f"{low} <= len({var})" + (f" <= {high}" if high is not None else "")
    src.emit(indent, f"if not ({bound}): return F")
    if f.items is not None:
        item = src.name("v")
        src.emit(indent, f"for {item} in {var}:")
        _value(src, f.items, item, indent + 1)


def _object(src: _Source, f: Field, var: str, indent: int) -> None:
    src.emit(indent, f"if type({var}) is not dict: return F")
    src.emit(indent, f"if not ({var}.keys() <= {src.constant(frozenset(f.by_name))}): return F")
    if f.required_names:
        src.emit(indent, f"if not ({src.constant(frozenset(f.required_names))} <= {var}.keys()): return F")
    for child in f.fields:
        child_var = src.name("v")
        inner = indent
        if not child.required:  # required members are known present by now
            # `in` then `[]` beats a `.get()` call: absent optional fields, the common case, cost one test.
            src.emit(indent, f"if {child.name!r} in {var}:")
            inner += 1
        src.emit(inner, f"{child_var} = {var}[{child.name!r}]")
        _value(src, child, child_var, inner)
        if src.lane is not None:
            _lane(src, src.lane, f, child, child_var, inner)


def _lane(src: _Source, task: TaskSpec, parent: Field, f: Field, var: str, indent: int) -> None:
    """The `plain` bookkeeping for a present, schema-valid child `f` of `parent`."""
    if parent is task.params:
        images = f.kind is Kind.IMAGE or (f.items is not None and f.items.kind is Kind.IMAGE)
        if images or f.name in task.tied_fields:
            src.emit(indent, "plain = False")  # an image to decode, or a cross-field rule to run
        elif f.name in NEGATION_FIELDS:
            src.emit(indent, f"lower = {var}.lower()")
            hints = " or ".join(f"{hint!r} in lower" for hint in NEGATION_HINTS)
            src.emit(indent, f"if {hints}: plain = False")  # maybe W-NEGATION
    elif parent.name == "imageGenerationConfig" and f.name in ("width", "height"):
        src.emit(indent, f"{f.name[0]} = {var}")
    elif parent.name == "imageGenerationConfig" and f.name == "seed" and src.legacy_seed_max is not None:
        src.emit(indent, f"if {var} > {src.legacy_seed_max}: plain = False")  # W-SEED-LEGACY


def _lane_capable(task: TaskSpec) -> bool:
    """Whether a body of this task can be plainly valid: no required image, no warning but W-NEGATION."""
    required_images = any(
        f.required and (f.kind is Kind.IMAGE or (f.items is not None and f.items.kind is Kind.IMAGE))
        for f in task.params.fields
    )
    return (
        task.output_from is None and not task.dims_ignored and not task.config_ignored
        and not required_images and set(task.rules) <= _LANE_RULES
    )  # fmt: skip


def _size_test(src: _Source, spec: ModelSpec) -> str:
    """The output size rule (docs/CONTRACT.md §4) as an expression over `w` and `h`; the same rule as
    `validator._semantic.output_size_ok`."""
    if spec.titan_sizes is not None:
        return f"(w, h) in {src.constant(spec.titan_sizes)}"
    lim = spec.nova_output
    assert lim is not None and lim.step is not None
    low, high, step = lim.min_side, lim.max_side, lim.step
    return (
        f"{low} <= w <= {high} and {low} <= h <= {high} and not w % {step} and not h % {step}"
        f" and (w if w > h else h) <= {lim.max_ratio} * (h if w > h else w) and w * h <= {lim.max_pixels}"
    )


def compile_predicate(task: TaskSpec, spec: ModelSpec) -> Predicate:
    """Generate and compile `accepts(doc)` for one task of one model."""
    root = task.root
    src = _Source(task if _lane_capable(task) else None, spec.legacy_seed_max)
    if src.lane is not None:
        src.emit(1, f"plain = True; w = {spec.defaults.width}; h = {spec.defaults.height}")
    _object(src, root, "doc", 1)
    if src.lane is None:
        src.emit(1, "return False")
    else:
        src.emit(1, f"return plain and {_size_test(src, spec)}")
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
        (model, task): compile_predicate(task_spec, spec)
        for model, spec in MODEL_SPECS.items()
        for task, task_spec in spec.tasks.items()
    }
)
