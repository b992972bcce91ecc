"""What the strategy modules share: body and path types, the draw context, sites of a body."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from hypothesis import strategies as st

from validator.report import BedrockError
from validator.spec import Field, Kind, ModelSpec, TaskSpec

Body = dict[str, Any]
Path = tuple[str | int, ...]

# Input sizes legal for each model (docs/CONTRACT.md §5.2): Nova needs 320-4096 px sides (not /16); Titan
# has no minimum.
_NOVA_SIZES: Final = ((320, 320), (400, 336), (320, 640))
_TITAN_SIZES: Final = ((64, 64), (80, 48), (48, 96))

TEXT: Final = st.characters(codec="utf-8")


@dataclass(frozen=True)
class Ctx:
    """What a draw needs besides the field: the model, the task and the size shared by masks and images."""

    spec: ModelSpec
    task: TaskSpec
    size: tuple[int, int]

    @property
    def mask_targets(self) -> frozenset[tuple[str, ...]]:
        return frozenset(f.mask_of for f in walk_fields(self.task.params) if f.mask_of is not None)


def walk_fields(f: Field) -> Iterator[Field]:
    yield f
    for child in (*f.fields, *((f.items,) if f.items is not None else ())):
        yield from walk_fields(child)


def input_sizes(spec: ModelSpec) -> tuple[tuple[int, int], ...]:
    """Input image sizes legal for the model (docs/CONTRACT.md §5.2)."""
    return _TITAN_SIZES if spec.model.is_titan else _NOVA_SIZES


# --- invalid bodies: where a mutation can apply, and its result ---

Invalid = tuple[Body, BedrockError]


@dataclass(frozen=True)
class Site:
    """A value present in a valid body: where it is and what the spec says about it."""

    path: Path
    field: Field

    @property
    def pointer(self) -> str:
        return "#" + "".join(f"/{p}" for p in self.path)


def sites(value: Any, f: Field, path: Path) -> Iterator[Site]:
    yield Site(path, f)
    if f.kind is Kind.OBJECT and isinstance(value, dict):
        for child in f.fields:
            if child.name in value:
                yield from sites(value[child.name], child, (*path, child.name))
    elif f.kind is Kind.ARRAY and f.items is not None and isinstance(value, list):
        for index, item in enumerate(value):
            yield from sites(item, f.items, (*path, index))


def get_at(body: Any, path: Path) -> Any:
    for part in path:
        body = body[part]
    return body


def set_at(body: Body, path: Path, value: Any) -> Body:
    """A deep copy of `body` with the value at `path` replaced."""
    out = copy.deepcopy(body)
    get_at(out, path[:-1])[path[-1]] = value
    return out


Mutation = Callable[[st.DrawFn, Body, Site, Ctx], Invalid]
