"""Valid bodies, drawn field by field from `validator.spec` (docs/CONTRACT.md §3-§5)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from validator.spec import Field, Kind, ModelSpec, TaskSpec, model_spec
from validator.strategies._common import TEXT, Body, Ctx, Path, input_sizes
from validator.strategies._images import IMAGE_KINDS, MASK_KINDS, encoded_image
from validator.types import ModelId, TaskType


def limits(f: Field) -> tuple[Decimal, Decimal]:
    assert f.minimum is not None and f.maximum is not None
    return f.minimum.value, f.maximum.value


def _number(f: Field) -> st.SearchStrategy[int | float]:
    """Integers and two-decimal floats inside the inclusive limits (`1.1` prints back as `1.1`)."""
    low, high = limits(f)
    ints = st.integers(math.ceil(low), math.floor(high))
    cents = st.integers(math.ceil(low * 100), math.floor(high * 100)).map(lambda c: c / 100)
    return ints | cents if f.kind is Kind.NUMBER else ints


def _image(f: Field, path: Path, ctx: Ctx) -> st.SearchStrategy[str]:
    named = tuple(p for p in path if isinstance(p, str))
    if f.mask_of is not None:
        return st.sampled_from(MASK_KINDS).map(lambda k: encoded_image(k, *ctx.size))
    if named in ctx.mask_targets:
        sizes: st.SearchStrategy[tuple[int, int]] = st.just(ctx.size)
    else:
        sizes = st.sampled_from(input_sizes(ctx.spec))
    return st.tuples(st.sampled_from(IMAGE_KINDS), sizes).map(lambda ks: encoded_image(ks[0], *ks[1]))


def field_value(f: Field, path: Path, ctx: Ctx) -> st.SearchStrategy[Any]:
    """A schema-valid value for one field (cross-field rules are applied by the parent object)."""
    if f.kind is Kind.STRING:
        if f.pattern is not None:
            return st.from_regex(f.pattern, fullmatch=True)
        low, high = f.min_length or 0, f.max_length or 64
        return st.text(TEXT, min_size=low, max_size=min(high, 40)) | st.integers(low, high).map("a".__mul__)
    if f.kind is Kind.IMAGE:
        return _image(f, path, ctx)
    if f.kind in (Kind.INTEGER, Kind.NUMBER):
        return _number(f) if f.minimum is not None else st.integers(1, 4096)
    if f.kind is Kind.BOOLEAN:
        return st.booleans()
    if f.kind is Kind.ENUM:
        return st.sampled_from(f.enum)
    if f.kind is Kind.ARRAY:
        assert f.items is not None
        items = field_value(f.items, (*path, 0), ctx)
        return st.lists(items, min_size=f.min_items or 0, max_size=min(f.max_items or 3, 5))
    return _object(f, path, ctx)


def _object(f: Field, path: Path, ctx: Ctx) -> st.SearchStrategy[Body]:
    @st.composite
    def build(draw: st.DrawFn) -> Body:
        out: Body = {}
        for child in f.fields:
            if child.required or draw(st.booleans()):
                out[child.name] = draw(field_value(child, (*path, child.name), ctx))
        if f is ctx.task.params:
            _cross_field(draw, out, path, ctx)
        return out

    return build()


def _cross_field(draw: st.DrawFn, params: Body, path: Path, ctx: Ctx) -> None:
    """Make a params object satisfy its task's cross-field rules (docs/CONTRACT.md §3.5; the name ties are
    TaskSpec data)."""
    task = ctx.task
    f = task.params

    def add(name: str) -> None:
        params[name] = draw(field_value(f.by_name[name], (*path, name), ctx))

    if task.mask_pair is not None:
        for name in task.mask_pair:
            params.pop(name, None)
        add(draw(st.sampled_from(task.mask_pair)))
    if task.control_image is not None and any(n in params for n in task.control_fields):
        if task.control_image not in params:
            add(task.control_image)
    if task.mask_objects:
        wanted = task.mask_object(params["maskType"])
        for _, name in task.mask_objects:
            params.pop(name, None)
        add(wanted)


def _output_size(ctx: Ctx) -> st.SearchStrategy[tuple[int, int]]:
    """A legal output size (docs/CONTRACT.md §4): one of Titan's pairs, or Nova's rules."""
    if ctx.spec.titan_sizes is not None:
        return st.sampled_from(sorted(ctx.spec.titan_sizes))
    lim = ctx.spec.nova_output
    assert lim is not None and lim.step is not None
    step = lim.step

    @st.composite
    def pair(draw: st.DrawFn) -> tuple[int, int]:
        w = draw(st.integers(lim.min_side // step, lim.max_side // step)) * step
        low = max(lim.min_side, -(-w // lim.max_ratio))
        high = min(lim.max_side, w * lim.max_ratio, lim.max_pixels // w)
        h = draw(st.integers(-(-low // step), high // step)) * step
        return w, h

    return pair()


def _config(ctx: Ctx) -> st.SearchStrategy[Body]:
    """imageGenerationConfig: width/height both legal or both absent where the task's output uses them."""
    field = ctx.task.root.by_name["imageGenerationConfig"]
    sized = any(r.startswith("SEM-SIZE-") for r in ctx.task.rules)

    @st.composite
    def build(draw: st.DrawFn) -> Body:
        out = draw(_object(field, ("imageGenerationConfig",), ctx))
        if sized:
            out.pop("width", None)
            out.pop("height", None)
            if draw(st.booleans()):
                out["width"], out["height"] = draw(_output_size(ctx))
        return out

    return build()


def draw_valid(draw: st.DrawFn, spec: ModelSpec, task: TaskSpec) -> tuple[Body, Ctx]:
    ctx = Ctx(spec, task, draw(st.sampled_from(input_sizes(spec))))
    body: Body = {"taskType": task.task_type.value}
    body[task.params_key] = draw(_object(task.params, (task.params_key,), ctx))
    if draw(st.booleans()):
        body["imageGenerationConfig"] = draw(_config(ctx))
    return body, ctx


def _valid_body(spec: ModelSpec, task: TaskSpec) -> st.SearchStrategy[Body]:
    @st.composite
    def build(draw: st.DrawFn) -> Body:
        return draw_valid(draw, spec, task)[0]

    return build()


def tasks_of(model: ModelId | str, task: TaskType | str | None) -> tuple[ModelSpec, list[TaskSpec]]:
    spec = model_spec(ModelId(model))
    if task is None:
        return spec, list(spec.tasks.values())
    chosen = spec.tasks.get(TaskType(task))
    if chosen is None:
        raise ValueError(f"{spec.model.value} does not serve taskType {task}")
    return spec, [chosen]


def valid_requests(
    model: ModelId | str = ModelId.NOVA_CANVAS, task: TaskType | str | None = None
) -> st.SearchStrategy[Body]:
    """Request bodies that `model` accepts, for `task` (any task of the model when None)."""
    spec, tasks = tasks_of(model, task)
    return st.one_of([_valid_body(spec, t) for t in tasks])
