"""The express lane (validator._build.express) agrees with the general path wherever it answers."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from validator._build import build_request, express
from validator._parse import parse_body
from validator._schema import check_schema
from validator._semantic import check_semantic
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
TEXTS = st.sampled_from(["a red fox", "no cars", "piano", "Style: photo", "nothing notable", "x" * 500])


def _compare(doc: dict[str, Any], model: ModelId) -> None:
    spec = MODEL_SPECS[model]
    task, errors, _ = check_schema(doc, spec)
    assert task is not None and not errors
    quick = express(doc, task, spec)
    if quick is None:
        return
    result = check_semantic(doc, task, spec)
    assert result.errors == ()
    assert body_warnings(doc, task, result.images) == []
    assert quick.request == build_request(doc, task, spec, result.images)
    assert (quick.model, quick.error, quick.errors, quick.warnings) == (model, None, (), ())


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_express_matches_general_path(data: st.DataObject) -> None:
    model, task = data.draw(st.sampled_from(PAIRS))
    body = data.draw(valid_requests(model, task))
    doc, _ = parse_body(json.dumps(body))
    assert doc is not None
    params = doc[next(k for k in doc if k.endswith("Params"))]
    params["text"] = data.draw(TEXTS)[: MODEL_SPECS[model].text_max]
    _compare(doc, model)


def test_express_declines_what_it_does_not_handle() -> None:
    spec = MODEL_SPECS[ModelId.NOVA_CANVAS]
    for body in (
        {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "no cars"}},
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
    ):
        task, errors, _ = check_schema(body, spec)
        assert task is not None and not errors
        assert express(body, task, spec) is None
    task, _, _ = check_schema({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"}}, spec)
    assert task is not None
    assert express({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"}}, task, spec) is not None
