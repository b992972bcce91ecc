"""Invalid bodies: a valid body with exactly one mutation, paired with the error it must produce."""

from __future__ import annotations

from hypothesis import strategies as st

from validator.spec import Kind, ModelSpec, TaskSpec
from validator.strategies._common import Ctx, Invalid, Mutation, Site, sites
from validator.strategies._schema_mutations import (
    bad_enum,
    bad_length,
    bad_pattern,
    extraneous,
    item_count,
    missing,
    other_task,
    out_of_range,
    wrong_type,
)
from validator.strategies._semantic_mutations import bad_image, cross_field_broken, output_size_bad
from validator.strategies._valid import draw_valid, tasks_of
from validator.types import ModelId, TaskType


def _mutations(site: Site, ctx: Ctx) -> list[Mutation]:
    """The mutations that apply to one site of a valid body."""
    f = site.field
    found: list[Mutation] = []
    if f.kind is not Kind.ENUM and site.path:
        found.append(wrong_type)
    if f.kind is Kind.ENUM:
        found.append(bad_enum)
    if site.path == ("taskType",) and len(ctx.spec.tasks) > 1:
        found.append(other_task)
    if f.minimum is not None:
        found.append(out_of_range)
    if f.kind is Kind.OBJECT:
        found.append(extraneous)
        if f.required_names:
            found.append(missing)
    if f.min_length or f.max_length is not None:
        found.append(bad_length)
    if f.pattern is not None:
        found.append(bad_pattern)
    if f.kind is Kind.ARRAY:
        found.append(item_count)
    if f.kind is Kind.IMAGE:
        found.append(bad_image)
    if not site.path and any(r.startswith("SEM-SIZE-") for r in ctx.task.rules):
        found.append(output_size_bad)
    if f is ctx.task.params and ctx.task.tied_fields:
        found.append(cross_field_broken)
    return found


def _invalid_body(spec: ModelSpec, task: TaskSpec) -> st.SearchStrategy[Invalid]:
    @st.composite
    def build(draw: st.DrawFn) -> Invalid:
        body, ctx = draw_valid(draw, spec, task)
        options = [(m, s) for s in sites(body, task.root, ()) for m in _mutations(s, ctx)]
        mutation, site = draw(st.sampled_from(options))
        return mutation(draw, body, site, ctx)

    return build()


def invalid_requests(
    model: ModelId | str = ModelId.NOVA_CANVAS, task: TaskType | str | None = None
) -> st.SearchStrategy[Invalid]:
    """`(body, error)` pairs: a valid body with one mutation, and the error Bedrock answers it with."""
    spec, tasks = tasks_of(model, task)
    return st.one_of([_invalid_body(spec, t) for t in tasks])
