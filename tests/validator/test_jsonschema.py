"""The exported JSON Schema agrees with the validator on the contract cases (docs/CONTRACT.md §3, §7.1).

Every valid fixture body validates against the exported schema, and every body Bedrock rejects at the schema
stage (`Malformed input request: ...`) is rejected by it. Semantic-stage failures (sizes, images, masks,
cross-field rules) may pass the schema: it does not express them.

The strategies of `validator.strategies` give the same split on generated bodies.

Bodies are parsed with `parse_float=Decimal` so that `512.0` stays a decimal: JSON Schema's `integer`
accepts a float with a zero fraction, which Bedrock does not.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import fastjsonschema
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.support.fixtures import FixtureCase, load_cases
from validator import resolve_model_id
from validator.jsonschema_export import DIALECT, json_schema
from validator.messages import MALFORMED_PREFIX
from validator.spec import MODEL_SPECS
from validator.stability.models import StabilityModel
from validator.strategies import invalid_requests, valid_requests
from validator.types import ModelId, TaskType

_CASES = load_cases()
_PAIRS = [(m, t) for m, spec in MODEL_SPECS.items() for t in spec.tasks]


def _validator(model: ModelId) -> jsonschema.Draft202012Validator:
    # Limits as Decimals too, so that 0.2 in a body equals the 0.2 limit exactly (no binary float).
    schema = json.loads(json.dumps(json_schema(model)), parse_float=Decimal)
    return jsonschema.Draft202012Validator(schema)


_VALIDATORS = {m: _validator(m) for m in [*ModelId, *StabilityModel]}


def _body_cases(*, valid: bool) -> list[Any]:
    """Cases whose body reaches the body checks: a served model, no header error, a parsable object."""
    chosen = []
    for case in _CASES:
        if case.valid != valid or case.headers or resolve_model_id(case.model, case.aliases or {}) is None:
            continue
        if not valid and not (case.message or "").startswith(MALFORMED_PREFIX):
            continue  # semantic or protocol failure: the schema may accept it
        chosen.append(pytest.param(case, id=case.id))
    return chosen


def _load(case: FixtureCase) -> Any:
    return json.loads(case.body, parse_float=Decimal)


@pytest.mark.parametrize(("model", "task"), _PAIRS, ids=[f"{m.value}-{t.value}" for m, t in _PAIRS])
def test_every_schema_is_valid_draft_2020_12(model: ModelId, task: TaskType) -> None:
    schema = json_schema(model, task)
    assert schema["$schema"] == DIALECT
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("model", list(ModelId), ids=[m.value for m in ModelId])
def test_model_schema_is_valid_draft_2020_12(model: ModelId) -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema(model))


def _objects(schema: Any) -> list[dict[str, Any]]:
    """Every subschema that declares properties."""
    found: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        if "properties" in schema and schema.get("type") == "object":
            found.append(schema)
        for value in schema.values():
            found += _objects(value)
    elif isinstance(schema, list):
        for value in schema:
            found += _objects(value)
    return found


@pytest.mark.parametrize(("model", "task"), _PAIRS, ids=[f"{m.value}-{t.value}" for m, t in _PAIRS])
def test_every_object_is_closed(model: ModelId, task: TaskType) -> None:
    objects = _objects(json_schema(model, task))
    assert objects
    assert all(o["additionalProperties"] is False for o in objects)


def test_types_limits_and_pattern_come_from_the_spec() -> None:
    nova = json_schema(ModelId.NOVA_CANVAS, TaskType.COLOR_GUIDED_GENERATION)
    config = nova["properties"]["imageGenerationConfig"]["properties"]
    assert config["seed"] == {"type": "integer", "minimum": 0, "maximum": 2147483646, "default": 12}
    assert config["cfgScale"]["type"] == "number" and config["cfgScale"]["minimum"] == 1.1
    assert config["quality"]["enum"] == ["standard", "premium"]
    params = nova["properties"]["colorGuidedGenerationParams"]
    assert params["required"] == ["colors", "text"]
    assert (
        params["properties"]["colors"]["minItems"] == 1 and params["properties"]["colors"]["maxItems"] == 10
    )
    assert params["properties"]["colors"]["items"]["pattern"] == "^#[0-9A-Fa-f]{6}$"
    assert params["properties"]["referenceImage"]["contentEncoding"] == "base64"
    titan = json_schema(ModelId.TITAN_V2, TaskType.TEXT_IMAGE)["properties"]["textToImageParams"]
    assert titan["properties"]["text"]["maxLength"] == 512
    assert "style" not in titan["properties"]


def test_unserved_task_is_refused() -> None:
    with pytest.raises(ValueError, match="does not serve taskType VIRTUAL_TRY_ON"):
        json_schema(ModelId.TITAN_V2, TaskType.VIRTUAL_TRY_ON)


@pytest.mark.parametrize("case", _body_cases(valid=True))
def test_valid_case_validates(case: FixtureCase) -> None:
    model = resolve_model_id(case.model, case.aliases or {})
    assert model is not None
    errors = [e.message for e in _VALIDATORS[model].iter_errors(_load(case))]
    assert errors == []


@pytest.mark.parametrize("case", _body_cases(valid=False))
def test_schema_stage_failure_is_rejected(case: FixtureCase) -> None:
    model = resolve_model_id(case.model, case.aliases or {})
    assert model is not None
    assert not _VALIDATORS[model].is_valid(_load(case))


def test_fastjsonschema_compiles_the_export() -> None:
    """The bench compiles the exported schema with fastjsonschema; it must understand it."""
    check = fastjsonschema.compile(json_schema(ModelId.NOVA_CANVAS, TaskType.TEXT_IMAGE))
    check({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat"}})
    with pytest.raises(fastjsonschema.JsonSchemaValueException):
        check({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat", "style": "x"}})


def _as_decimals(body: Any) -> Any:
    """The body as a consumer in another language would parse it, with exact decimals."""
    return json.loads(json.dumps(body), parse_float=Decimal)


@pytest.mark.parametrize("model", list(ModelId), ids=[m.value for m in ModelId])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_schema_agrees_with_strategies(model: ModelId, data: st.DataObject) -> None:
    """Strategy-made bodies: valid ones pass; a mutation passes the schema iff its error is semantic."""
    assert _VALIDATORS[model].is_valid(_as_decimals(data.draw(valid_requests(model))))
    body, error = data.draw(invalid_requests(model))
    schema_stage = error.message.startswith(MALFORMED_PREFIX)
    assert _VALIDATORS[model].is_valid(_as_decimals(body)) is not schema_stage, error.message
