"""Content-Type and Accept (docs/CONTRACT.md §2.5.1, §2.5.2)."""

from __future__ import annotations

import pytest

from validator import check_headers
from validator.messages import INVALID_ACCEPT, INVALID_CONTENT_TYPE

OK = [
    {},
    {"Content-Type": "application/json"},
    {"content-type": "APPLICATION/JSON"},
    {"CONTENT-TYPE": " application/json "},
    {"Accept": "application/json"},
    {"accept": "*/*"},
    {"Accept": "text/html, application/json"},
    {"Accept": "application/json;q=0.5"},
    {"Accept": "image/png;q=1, */*;q=0.1"},
    {"Accept": "Application/Json"},
    {"X-Amzn-Bedrock-Trace": "ENABLED", "User-Agent": "x", "Authorization": "Bearer t"},
]
BAD_CONTENT_TYPE = [
    "application/json; charset=utf-8",
    "application/json;",
    "text/plain",
    "",
    "application/x-amz-json-1.1",
    "application/octet-stream; charset=binary",
    "multipart/form-data",
]
BAD_ACCEPT = [
    "image/png",
    "application/*",
    "application/json;q=0",
    "application/json; q=0.000, text/html",
    "",
]


@pytest.mark.parametrize("headers", OK)
def test_accepted(headers: dict[str, str]) -> None:
    assert check_headers(headers) == (None, ())


@pytest.mark.parametrize("value", BAD_CONTENT_TYPE)
def test_content_type_rejected(value: str) -> None:
    error, _ = check_headers({"Content-Type": value})
    assert error is not None
    assert (error.exception, error.status, error.message) == (
        "ValidationException",
        400,
        INVALID_CONTENT_TYPE,
    )


@pytest.mark.parametrize("value", BAD_ACCEPT)
def test_accept_rejected(value: str) -> None:
    error, _ = check_headers({"Accept": value})
    assert error is not None and error.message == INVALID_ACCEPT


def test_octet_stream_warns_unless_strict() -> None:
    error, warnings = check_headers({"Content-Type": "application/octet-stream"})
    assert error is None
    assert [w.code for w in warnings] == ["W-CT-OCTET"]
    assert "application/json" in warnings[0].message
    error, warnings = check_headers({"Content-Type": "Application/Octet-Stream"}, strict_content_type=True)
    assert error is not None and error.message == INVALID_CONTENT_TYPE and warnings == ()


def test_content_type_checked_before_accept() -> None:
    error, _ = check_headers({"Accept": "image/png", "Content-Type": "text/plain"})
    assert error is not None and error.message == INVALID_CONTENT_TYPE


def test_messages_have_no_final_period() -> None:
    assert not INVALID_CONTENT_TYPE.endswith(".") and not INVALID_ACCEPT.endswith(".")
