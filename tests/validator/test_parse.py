"""Strict body parsing (docs/CONTRACT.md §2.6, D14, D35) and parsed-object input."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from validator import validate_body, validate_request
from validator._parse import normalise_object, parse_body
from validator.messages import MALFORMED

NOVA = "amazon.nova-canvas-v1:0"
MALFORMED_BODIES: list[bytes | str] = [
    b"",
    b"   \r\n\t",
    b"\xef\xbb\xbf{}",
    "\ufeff{}",
    b'{"a":"\xff"}',
    b"{'a': 1}",
    b'{"a": 1,}',
    b'{"a": NaN}',
    b'{"a": Infinity}',
    b'{"a": -Infinity}',
    b'{"a": 1, "a": 1}',
    b'{"a": {"b": 1, "b": 2}}',
    b'[{"a": {"b": [{"c": 1, "c": 1}]}}]',
    b"null",
    b"[]",
    b'"x"',
    b"1",
    b"true",
    b'{"a": 1} {"b": 2}',
    b'{"a": 1} x',
    b'\x0c{"a": 1}',
    b'{"a": "tab\there"}',
    b"{" * 100_000,
    b"[" * 100_000 + b"]" * 100_000,
]


@pytest.mark.parametrize("body", MALFORMED_BODIES, ids=range(len(MALFORMED_BODIES)))
def test_malformed(body: bytes | str) -> None:
    report = validate_request(body, NOVA)
    assert report.error is not None and report.error.message == MALFORMED
    assert report.errors[0].keyword == "json"


def test_whitespace_around_value_is_fine() -> None:
    doc, reason = parse_body(b' \r\n\t{"a": 1}\n')
    assert doc == {"a": 1} and reason == ""


def test_numbers_keep_their_written_form() -> None:
    doc, _ = parse_body(b'{"a": 1.0, "b": 1e3, "c": 1E-2, "d": 12, "e": -0, "f": 18446744073709551616}')
    assert doc is not None
    assert [str(doc[k]) for k in "abc"] == ["1.0", "1E+3", "0.01"]
    assert all(type(doc[k]) is int for k in "def")


def test_bytearray_memoryview_and_str_bodies() -> None:
    raw = json.dumps({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"}})
    for body in (raw, raw.encode(), bytearray(raw.encode()), memoryview(raw.encode())):
        assert validate_request(body, NOVA).valid


def test_parsed_objects_are_normalised() -> None:
    doc, _ = normalise_object({"a": 512.0, "b": (1, 2), "c": [0.1], "d": Decimal("1E+3")})
    assert doc == {"a": Decimal("512.0"), "b": [1, 2], "c": [Decimal("0.1")], "d": Decimal("1E+3")}
    assert str(doc["a"]) == "512.0"


@pytest.mark.parametrize(
    "value",
    [
        None,
        [],
        "x",
        1,
        {"a": float("nan")},
        {"a": float("inf")},
        {1: "a"},
        {"a": object()},
        {"a": {1, 2}},
        {"a": Decimal("NaN")},
        {"a": b"bytes"},
    ],
)
def test_non_json_objects_are_malformed(value: object) -> None:
    report = validate_body(value, NOVA)
    assert report.error is not None and report.error.message == MALFORMED


def test_self_referencing_object_is_malformed() -> None:
    loop: dict[str, object] = {}
    loop["a"] = loop
    assert validate_body(loop, NOVA).error is not None


def test_parsed_512_float_is_a_decimal_type_violation() -> None:
    body = {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "x"},
        "imageGenerationConfig": {"width": 512.0},
    }
    report = validate_request(body, NOVA)
    assert report.error is not None
    assert "#/imageGenerationConfig/width: expected type: Integer, found: BigDecimal" in report.error.message


def test_body_size_counts_utf8_bytes() -> None:
    text = "é" * 12_500_000  # 25,000,000 bytes in UTF-8, 12.5 M characters
    body = '{"x":"' + text + '"}'
    report = validate_request(body, NOVA)
    assert report.error is not None and report.error.message.startswith("1 validation error detected")


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ('{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"Style: photo"}}', True),
        ('{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a:b:c","text":"x"}}', False),
        ('{"taskType":"TEXT_IMAGE","taskType":"TEXT_IMAGE","textToImageParams":{"text":"x"}}', False),
        (
            '{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"x","text":"x"},"imageGenerationConfig":{}}',
            False,
        ),
        (
            '{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"x"},"imageGenerationConfig":{"seed":1,"seed":1}}',
            False,
        ),
    ],
)
def test_quick_parse_still_finds_duplicate_keys(raw: str, valid: bool) -> None:
    """Small bodies skip the duplicate-key hook; the member/colon count must still catch every duplicate."""
    report = validate_request(raw.encode(), NOVA)
    assert report.valid is valid
    if not valid:
        assert report.error is not None and report.error.message == MALFORMED


def test_duplicate_keys_in_large_bodies() -> None:
    padding = "x" * 70_000
    raw = '{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a","text":"b"},"pad":"' + padding + '"}'
    report = validate_request(raw, NOVA)
    assert report.error is not None and report.error.message == MALFORMED
    raw = '{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a"},"pad":"' + padding + '"}'
    report = validate_request(raw, NOVA)
    assert report.error is not None and "extraneous key [pad]" in report.error.message
