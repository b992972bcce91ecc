"""`RequestReport.document`: the body's top-level object as the validator parsed it, on every path."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from validator import ModelId, validate_body, validate_request

NOVA, T1, T2 = (m.value for m in ModelId)


def test_plain_body_carries_its_document() -> None:
    body = b'{"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat"},'
    body += b' "imageGenerationConfig": {"cfgScale": 6.5, "seed": 7}}'
    report = validate_request(body, NOVA)
    assert report.valid and report.warnings == ()
    assert report.document == {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a cat"},
        "imageGenerationConfig": {"cfgScale": Decimal("6.5"), "seed": 7},
    }
    cfg = report.document["imageGenerationConfig"]
    assert type(cfg["cfgScale"]) is Decimal and type(cfg["seed"]) is int


def test_full_path_document_with_warnings() -> None:
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat", "negativeText": "no dogs"}}
    report = validate_request(json.dumps(body).encode(), NOVA)
    assert report.valid and [w.code for w in report.warnings] == ["W-NEGATION"]
    assert report.document == body


def test_colon_in_a_string_document_is_the_strict_parse() -> None:
    body = b'{"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a: cat"}}'
    report = validate_request(body, NOVA)
    assert report.valid and report.document == {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a: cat"},
    }


def test_header_warnings_keep_the_document() -> None:
    body = b'{"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat"}}'
    report = validate_request(body, NOVA, headers={"Content-Type": "application/octet-stream"})
    assert report.valid and [w.code for w in report.warnings] == ["W-CT-OCTET"]
    assert report.document == json.loads(body)


@pytest.mark.parametrize(
    "body",
    [
        {"taskType": "TEXT_IMAGE"},  # schema error
        {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a"},
         "imageGenerationConfig": {"width": 1000}},  # semantic error
    ],
)  # fmt: skip
def test_rejected_body_that_parsed_keeps_its_document(body: dict[str, object]) -> None:
    report = validate_request(json.dumps(body), NOVA)
    assert not report.valid and report.document == body


@pytest.mark.parametrize("body", [b"", b"[1]", b"{", b'{"a": 1, "a": 2}', b"not json"])
def test_unparsed_body_has_no_document(body: bytes) -> None:
    report = validate_request(body, NOVA)
    assert not report.valid and report.document is None


def test_protocol_rejection_has_no_document() -> None:
    report = validate_request(b'{"taskType": "TEXT_IMAGE"}', "no-such-model")
    assert report.document is None


def test_validate_body_and_parsed_input() -> None:
    given = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat"},
             "imageGenerationConfig": {"cfgScale": 8.0}}  # fmt: skip
    report = validate_body(given, T2)
    assert report.valid and report.document is not None
    assert report.document is not given  # the validator's own copy: floats as Decimal
    assert report.document["imageGenerationConfig"]["cfgScale"] == Decimal("8.0")
