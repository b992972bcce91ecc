"""The compiled schema fast path never accepts what the authoritative walker rejects (validator._fast)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from validator._fast import PREDICATES
from validator._schema import _object
from validator.report import ContractError
from validator.spec import MODEL_SPECS
from validator.strategies import valid_requests
from validator.types import ModelId, TaskType

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.text(max_size=5)
    | st.decimals(allow_nan=False, allow_infinity=False, places=2)
    | st.just("")
    | st.just(Decimal("1.0"))
)
VALUES = st.recursive(
    SCALARS,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=6,
)
PAIRS = [(m, t) for m in ModelId for t in MODEL_SPECS[m].tasks]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _walk_errors(doc: dict[str, Any], model: ModelId, task: TaskType) -> list[ContractError]:
    out: list[ContractError] = []
    _object(doc, MODEL_SPECS[model].tasks[task].root, "#", out)
    return out


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data())
def test_fast_path_agrees_with_walker(data: st.DataObject) -> None:
    model, task = data.draw(st.sampled_from(PAIRS))
    body = copy.deepcopy(data.draw(valid_requests(model, task)))
    doc: dict[str, Any] = {k: v for k, v in body.items()}
    paths = _paths(doc)
    mutate: bool = data.draw(st.booleans())
    if paths and mutate:
        path = data.draw(st.sampled_from(paths))
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        if data.draw(st.booleans()):
            target[path[-1]] = data.draw(VALUES)
        elif isinstance(target, dict):
            target[data.draw(st.text(max_size=4))] = data.draw(VALUES)
    accepted = PREDICATES[(model, task)](doc) is not None
    errors = _walk_errors(doc, model, task)
    if accepted:
        assert errors == [], errors
    else:
        # Conservative is allowed, but for plain JSON values the two must agree exactly.
        assert errors, doc
