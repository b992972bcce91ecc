"""The plain lane (the compiled pass's `plain` verdict, validator._fast) agrees with the staged path wherever
it answers, and the typed request of a plain report equals the staged one."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from validator import validate_request
from validator._build import build_request, plain_report
from validator._parse import parse_body
from validator._schema import check_schema
from validator._semantic import check_semantic, output_size_ok
from validator._warnings import body_warnings
from validator.spec import MODEL_SPECS
from validator.strategies import valid_requests
from validator.types import ModelId, TaskType

PAIRS = [
    (m, t)
    for m in ModelId
    for t in (TaskType.TEXT_IMAGE, TaskType.COLOR_GUIDED_GENERATION)
    if t in MODEL_SPECS[m].tasks
]
TEXTS = st.sampled_from(
    ["a red fox", "no cars", "piano", "Style: photo", "nothing notable", "wıthout", "WİTHOUT x", "x" * 500]
)


def _compare(doc: dict[str, Any], model: ModelId) -> None:
    spec = MODEL_SPECS[model]
    task, errors, plain = check_schema(doc, spec)
    assert task is not None and not errors
    if not plain:
        return
    result = check_semantic(doc, task, spec)
    assert result.errors == ()
    assert body_warnings(doc, task, spec, result.images) == []
    quick = plain_report(doc, task, spec)
    assert quick.request == build_request(doc, task, spec, result.images)
    assert (quick.model, quick.error, quick.errors, quick.warnings) == (model, None, (), ())


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_plain_lane_matches_staged_path(data: st.DataObject) -> None:
    model, task = data.draw(st.sampled_from(PAIRS))
    body = data.draw(valid_requests(model, task))
    doc, _ = parse_body(json.dumps(body))
    assert doc is not None
    params = doc[next(k for k in doc if k.endswith("Params"))]
    params["text"] = data.draw(TEXTS)[: MODEL_SPECS[model].text_max]
    _compare(doc, model)


@settings(max_examples=200, deadline=None)
@given(model=st.sampled_from(PAIRS), w=st.integers(-10, 5000), h=st.integers(-10, 5000))
def test_compiled_size_rule_is_output_size_ok(model: tuple[ModelId, TaskType], w: int, h: int) -> None:
    spec = MODEL_SPECS[model[0]]
    task = spec.tasks[model[1]]
    params: dict[str, Any] = {"text": "x"}
    if model[1] is TaskType.COLOR_GUIDED_GENERATION:
        params["colors"] = ["#000000"]
    doc = {
        "taskType": model[1].value,
        task.params_key: params,
        "imageGenerationConfig": {"width": w, "height": h},
    }
    assert check_schema(doc, spec).plain == output_size_ok(w, h, spec)


def test_plain_lane_declines_what_it_does_not_handle() -> None:
    spec = MODEL_SPECS[ModelId.NOVA_CANVAS]
    for body in (
        {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "no cars"}},
        {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x", "negativeText": "wıthout"}},
        {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x", "controlMode": "CANNY_EDGE"}},
        {
            "taskType": "TEXT_IMAGE",
            "textToImageParams": {"text": "x"},
            "imageGenerationConfig": {"width": 1000},
        },
        {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x", "conditionImage": "AAAA"}},
        {
            "taskType": "COLOR_GUIDED_GENERATION",
            "colorGuidedGenerationParams": {"text": "x", "colors": ["#000000"], "referenceImage": "AAAA"},
        },
        {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": "AAAA"}},
    ):
        task, errors, plain = check_schema(body, spec)
        assert task is not None and not errors
        assert not plain
    assert check_schema({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"}}, spec).plain


BODY = b'{"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a lighthouse", "style": "PHOTOREALISM"}}'


def test_plain_report_is_a_plain_report() -> None:
    """The plain lane builds the same report as the full path, request and document included."""
    report = validate_request(BODY)
    assert report.valid and report.request is not None and report.document == json.loads(BODY)
    assert report.request.params.text == "a lighthouse"  # type: ignore[union-attr]
    assert copy.deepcopy(report) == report and pickle.loads(pickle.dumps(report)) == report
    assert hash(report) == hash(validate_request(BODY))


def test_only_generation_tasks_without_images_have_a_plain_lane() -> None:
    from validator._fast import _lane_capable

    capable = {(m, k) for m, s in MODEL_SPECS.items() for k, t in s.tasks.items() if _lane_capable(t)}
    assert capable == set(PAIRS)
