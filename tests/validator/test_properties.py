"""The validator is total (STYLE lesson 6): no input makes it raise, for every model.

Arbitrary JSON values (as parsed objects and as bytes), arbitrary bytes and text, valid bodies with one value
swapped for arbitrary JSON, and image fields holding arbitrary bytes (with and without a PNG/JPEG signature)
all give a report, never an exception. A rejected report always carries a 400 ValidationException.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from validator import validate_request
from validator.report import RequestReport
from validator.strategies import Body, valid_requests
from validator.types import ModelId, TaskType

MODELS = [m.value for m in ModelId]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from([t.value for t in TaskType])
)
JSON = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(["taskType", "textToImageParams", "inPaintingParams", "imageGenerationConfig", "x"])
# Root objects that look like requests: known keys with arbitrary values, a real taskType often.
REQUEST_LIKE = st.dictionaries(KEYS, JSON, max_size=4)


def _sound(report: RequestReport) -> None:
    assert report.valid == (report.error is None)
    if report.error is not None:
        assert (report.error.exception, report.error.status) == ("ValidationException", 400)
        assert report.errors and report.request is None
    else:
        assert report.request is not None and not report.errors


@pytest.mark.parametrize("model", MODELS)
@SETTINGS
@given(value=JSON | REQUEST_LIKE)
def test_arbitrary_json_never_raises(model: str, value: Any) -> None:
    _sound(validate_request(value, model))
    _sound(validate_request(json.dumps(value).encode(), model))


@pytest.mark.parametrize("model", MODELS)
@SETTINGS
@given(data=st.binary(max_size=200) | st.text(max_size=200))
def test_arbitrary_bytes_never_raise(model: str, data: bytes | str) -> None:
    _sound(validate_request(data, model))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a body."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replace(body: Body, path: tuple[Any, ...], value: Any) -> Body:
    out = copy.deepcopy(body)
    target: Any = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return out


@pytest.mark.parametrize("model", MODELS)
@settings(SETTINGS, max_examples=40)
@given(data=st.data())
def test_valid_body_with_one_value_swapped_never_raises(model: str, data: st.DataObject) -> None:
    body = data.draw(valid_requests(model))
    path = data.draw(st.sampled_from(_paths(body)))
    _sound(validate_request(_replace(body, path, data.draw(JSON)), model))


_SIGNATURES = st.sampled_from(
    [b"", b"\x89PNG\r\n\x1a\n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", b"\xff\xd8\xff"]
)


@pytest.mark.parametrize("model", MODELS)
@settings(SETTINGS, max_examples=40)
@given(data=st.data())
def test_arbitrary_image_bytes_never_raise(model: str, data: st.DataObject) -> None:
    body = data.draw(valid_requests(model, TaskType.INPAINTING))
    raw = data.draw(_SIGNATURES) + data.draw(st.binary(max_size=300))
    body["inPaintingParams"]["image"] = base64.b64encode(raw).decode("ascii")
    _sound(validate_request(body, model))
