"""`validator.strategies` agrees with the validator: valid bodies pass, each mutation gives its exact error.

Every strategy-made valid request validates (as a dict and as JSON bytes) and its typed request carries the
defaults of docs/CONTRACT.md §8.1 for every key it leaves out; every strategy-made invalid request produces
exactly its paired error (exception, status, message).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from validator import validate_request
from validator.report import BedrockError
from validator.spec import MODEL_SPECS, Field, Kind
from validator.strategies import Body, encoded_image, invalid_requests, valid_requests
from validator.types import InputImage, InvokeRequest, ModelId, TaskType

PAIRS = [(m, t) for m, spec in MODEL_SPECS.items() for t in spec.tasks]
IDS = [f"{m.name}-{t.value}" for m, t in PAIRS]
# Image building is cached, but the first draws of a size pay for encoding; keep runs short.
FAST = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _config_defaults(body: Body, request: InvokeRequest, model: ModelId) -> None:
    defaults = MODEL_SPECS[model].defaults
    sent = body.get("imageGenerationConfig", {})
    task = MODEL_SPECS[model].tasks[request.task_type]
    for name in ("quality", "cfgScale", "numberOfImages", "seed", "width", "height"):
        attribute = _snake(name)
        if task.config_ignored:
            continue
        if name not in sent or (name in ("width", "height") and task.dims_ignored):
            assert getattr(request.config, attribute) == getattr(defaults, attribute), name
        else:
            assert getattr(request.config, attribute) == sent[name], name
    if task.config_ignored:
        assert request.config.number_of_images == 1


def _param_defaults(body: Body, request: InvokeRequest, model: ModelId) -> None:
    task = MODEL_SPECS[model].tasks[request.task_type]
    _defaults(body[task.params_key], request.params, task.params)


def _defaults(sent: Body, typed: object, spec: Field) -> None:
    """Every key left out has its spec default in the typed object, nested objects (VTO) included."""
    for field in spec.fields:
        value = getattr(typed, _snake(field.name))
        if field.kind is Kind.OBJECT:
            if value is not None and not isinstance(value, InputImage):  # absent mask objects stay None
                _defaults(sent.get(field.name, {}), value, field)
        elif field.name not in sent and field.default is not None:
            if field.name in ("controlMode", "controlStrength") and "conditionImage" not in sent:
                assert value is None, field.name  # defaults need conditionImage (docs/CONTRACT.md D6)
            else:
                assert value == field.default, field.name


def _output_size(body: Body, request: InvokeRequest, model: ModelId) -> None:
    task = MODEL_SPECS[model].tasks[request.task_type]
    if task.output_from is None:
        config = body.get("imageGenerationConfig", {})
        expected = (config.get("width", 1024), config.get("height", 1024))
        assert (request.output_size.width, request.output_size.height) == expected


@pytest.mark.parametrize(("model", "task"), PAIRS, ids=IDS)
def test_valid_requests_validate_with_defaults(model: ModelId, task: TaskType) -> None:
    @FAST
    @given(valid_requests(model, task))
    def check(body: Body) -> None:
        report = validate_request(body, model.value)
        assert report.error is None, report.error
        assert isinstance(report.request, InvokeRequest) and report.request.task_type is task
        assert validate_request(json.dumps(body).encode(), model.value).valid
        _config_defaults(body, report.request, model)
        _param_defaults(body, report.request, model)
        _output_size(body, report.request, model)

    check()


@pytest.mark.parametrize(("model", "task"), PAIRS, ids=IDS)
def test_invalid_requests_give_their_error(model: ModelId, task: TaskType) -> None:
    @settings(FAST, max_examples=30)
    @given(invalid_requests(model, task))
    def check(pair: tuple[Body, BedrockError]) -> None:
        body, expected = pair
        assert validate_request(body, model.value).error == expected
        assert validate_request(json.dumps(body).encode(), model.value).error == expected

    check()


@given(st.data())
@settings(max_examples=5, deadline=None)
def test_any_task_of_a_model(data: st.DataObject) -> None:
    body = data.draw(valid_requests(ModelId.TITAN_V1))
    assert body["taskType"] in {t.value for t in MODEL_SPECS[ModelId.TITAN_V1].tasks}


def test_unserved_task_is_refused() -> None:
    with pytest.raises(ValueError, match="does not serve"):
        valid_requests(ModelId.TITAN_V1, TaskType.BACKGROUND_REMOVAL)


def test_encoded_images_are_cached() -> None:
    first: Any = encoded_image("png", 64, 48)
    assert encoded_image("png", 64, 48) is first
