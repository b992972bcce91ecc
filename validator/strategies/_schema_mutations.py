"""Schema-stage mutations (docs/CONTRACT.md §3, §7.1): one value of a valid body broken, with the Malformed
error."""

from __future__ import annotations

import copy
import math
from decimal import Decimal
from typing import Any, Final

from hypothesis import strategies as st

from validator.spec import EXPECTED_TYPE_NAME, Field, Kind
from validator.strategies._common import TEXT, Body, Ctx, Invalid, Site, get_at, set_at
from validator.strategies._expected import java_type, printed, schema_error, schema_errors
from validator.strategies._valid import field_value, limits
from validator.types import TaskType

ANY_JSON: Final[dict[str, st.SearchStrategy[Any]]] = {
    "string": st.text(TEXT, max_size=12),
    "integer": st.integers(),
    "decimal": st.floats(allow_nan=False, allow_infinity=False),
    "boolean": st.booleans(),
    "null": st.none(),
    "array": st.lists(st.integers() | st.text(TEXT, max_size=4), max_size=3),
    "object": st.dictionaries(st.text(TEXT, max_size=4), st.integers(), max_size=2),
}
_ACCEPTS: Final[dict[Kind, frozenset[str]]] = {
    Kind.STRING: frozenset({"string"}),
    Kind.IMAGE: frozenset({"string"}),
    Kind.INTEGER: frozenset({"integer"}),
    Kind.NUMBER: frozenset({"integer", "decimal"}),
    Kind.BOOLEAN: frozenset({"boolean"}),
    Kind.OBJECT: frozenset({"object"}),
    Kind.ARRAY: frozenset({"array"}),
}


def wrong_type(draw: st.DrawFn, body: Body, site: Site, ctx: Ctx) -> Invalid:
    kinds = sorted(set(ANY_JSON) - _ACCEPTS[site.field.kind])
    value = draw(st.sampled_from(kinds).flatmap(ANY_JSON.__getitem__))
    expected, found = EXPECTED_TYPE_NAME[site.field.kind], java_type(value)
    return set_at(body, site.path, value), schema_error(site.pointer, "type", expected=expected, found=found)


def _near_misses(f: Field) -> list[str]:
    """Realistic wrong values: another case or a stray space, and (taskType) tasks of other models."""
    near = [m.lower() for m in f.enum] + [m.title() for m in f.enum] + [m + " " for m in f.enum]
    if f.name == "taskType":
        near += [t.value for t in TaskType]
    return sorted(set(near) - f.enum_set)


def bad_enum(draw: st.DrawFn, body: Body, site: Site, ctx: Ctx) -> Invalid:
    members = site.field.enum_set
    anything = st.one_of(list(ANY_JSON.values())).filter(lambda v: not (isinstance(v, str) and v in members))
    value = draw(st.sampled_from(_near_misses(site.field)) | anything)
    return set_at(body, site.path, value), schema_error(site.pointer, "enum", value=printed(value))


def other_task(draw: st.DrawFn, body: Body, site: Site, ctx: Ctx) -> Invalid:
    """docs/CONTRACT.md §3.1: a taskType of another served task makes this task's params key extraneous."""
    others = [t for t in ctx.spec.tasks.values() if t is not ctx.task]
    other = draw(st.sampled_from(others))
    out = set_at(body, ("taskType",), other.task_type.value)
    return out, schema_errors(
        [
            ("#", "required", {"name": other.params_key}),
            ("#", "additionalProperties", {"name": ctx.task.params_key}),
        ]
    )


def out_of_range(draw: st.DrawFn, body: Body, site: Site, ctx: Ctx) -> Invalid:
    f = site.field
    low, high = limits(f)
    above = draw(st.booleans())
    ints = (
        st.integers(int(high) + 1, int(high) + 10**12)
        if above
        else st.integers(int(low) - 10**12, math.ceil(low) - 1)
    )
    values: st.SearchStrategy[int | float] = ints
    if f.kind is Kind.NUMBER:
        bound = {"min_value": float(high)} if above else {"max_value": float(low)}
        floats = st.floats(allow_nan=False, allow_infinity=False, **bound)  # type: ignore[arg-type]
        values = ints | floats
    value = draw(values.filter(lambda v: (Decimal(repr(v)) > high) if above else (Decimal(repr(v)) < low)))
    keyword, limit = ("maximum", f.maximum) if above else ("minimum", f.minimum)
    assert limit is not None
    return set_at(body, site.path, value), schema_error(
        site.pointer, keyword, value=printed(value), limit=limit.text
    )


def extraneous(draw: st.DrawFn, body: Body, site: Site, ctx: Ctx) -> Invalid:
    known = site.field.by_name
    key = draw(st.text(TEXT, min_size=1, max_size=12).filter(lambda k: k not in known))
    out = copy.deepcopy(body)
    get_at(out, site.path)[key] = draw(st.one_of(list(ANY_JSON.values())))
    return out, schema_error(site.pointer, "additionalProperties", name=key)


def missing(draw: st.DrawFn, body: Body, site: Site, ctx: Ctx) -> Invalid:
    name = draw(st.sampled_from(site.field.required_names))
    out = copy.deepcopy(body)
    del get_at(out, site.path)[name]
    return out, schema_error(site.pointer, "required", name=name)


def bad_length(draw: st.DrawFn, body: Body, site: Site, ctx: Ctx) -> Invalid:
    f = site.field
    options = []
    if f.min_length:
        options.append(("minLength", f.min_length, st.integers(0, f.min_length - 1)))
    if f.max_length is not None:
        options.append(("maxLength", f.max_length, st.integers(f.max_length + 1, f.max_length + 100)))
    keyword, limit, lengths = draw(st.sampled_from(options))
    value = draw(lengths.flatmap(lambda n: st.text(TEXT, min_size=n, max_size=n)))
    return set_at(body, site.path, value), schema_error(site.pointer, keyword, limit=limit, actual=len(value))


def bad_pattern(draw: st.DrawFn, body: Body, site: Site, ctx: Ctx) -> Invalid:
    f, compiled = site.field, site.field.compiled
    assert compiled is not None
    near = st.from_regex(r"#?[0-9A-Za-z]{0,8}", fullmatch=True)
    value = draw((near | st.text(TEXT, max_size=10)).filter(lambda v: compiled.search(v) is None))
    return set_at(body, site.path, value), schema_error(
        site.pointer, "pattern", value=value, pattern=f.pattern
    )


def item_count(draw: st.DrawFn, body: Body, site: Site, ctx: Ctx) -> Invalid:
    f = site.field
    assert f.items is not None and f.min_items is not None and f.max_items is not None
    if draw(st.booleans()):
        count, keyword, limit = f.min_items - 1, "minItems", f.min_items
    else:
        count, keyword, limit = f.max_items + draw(st.integers(1, 3)), "maxItems", f.max_items
    items = draw(st.lists(field_value(f.items, (*site.path, 0), ctx), min_size=count, max_size=count))
    return set_at(body, site.path, items), schema_error(site.pointer, keyword, limit=limit, actual=count)
