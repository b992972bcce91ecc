"""Validator warnings (docs/CONTRACT.md §8.8): codes, pointers, messages; they never change the verdict."""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Callable
from typing import Any

import pytest

from validator import validate_request
from validator._warnings import _NEGATION as NEGATION, may_negate
from validator.types import InvokeRequest

NOVA, T1 = "amazon.nova-canvas-v1:0", "amazon.titan-image-generator-v1"


def warnings_of(body: Any, model: str = NOVA, **kwargs: Any) -> list[tuple[str, str]]:
    report = validate_request(body, model, **kwargs)
    return [(w.code, w.pointer) for w in report.warnings]


def test_dim_ignored_names_the_input_size(b64: Callable[[str], str]) -> None:
    body = {
        "taskType": "INPAINTING",
        "inPaintingParams": {"image": b64("rgb_1280x720.png"), "maskPrompt": "the sun"},
        "imageGenerationConfig": {"width": 512, "height": 512},
    }
    report = validate_request(body)
    assert report.valid
    assert [(w.code, w.pointer) for w in report.warnings] == [
        ("W-DIM-IGNORED", "#/imageGenerationConfig/width"),
        ("W-DIM-IGNORED", "#/imageGenerationConfig/height"),
    ]
    assert report.warnings[0].message.endswith("the output keeps the input image size 1280x720")
    assert isinstance(report.request, InvokeRequest) and str(report.request.output_size) == "1280x720"
    assert (report.request.config.width, report.request.config.height) == (1024, 1024)


def test_dim_not_ignored_on_generation_tasks() -> None:
    body = {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "x"},
        "imageGenerationConfig": {"width": 512},
    }
    assert warnings_of(body) == []


@pytest.mark.parametrize(
    ("text", "warned"),
    [
        ("no mirrors", True),
        ("NO mirrors", True),
        ("a room, not dark", True),
        ("without people", True),
        ("nothing", False),
        ("notable", False),
        ("snow", False),
        ("knots", False),
        ("no-one", True),
        ("Without.", True),
        ("nono", False),
        # The regex is case-insensitive the Unicode way: `i` also matches dotless `ı` and dotted `İ`.
        ("a street wıthout cars", True),
        ("WİTHOUT cars", True),
        ("wıthouts", False),
    ],
)
def test_negation_whole_words(text: str, warned: bool) -> None:
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": text}}
    assert warnings_of(body) == ([("W-NEGATION", "#/textToImageParams/text")] if warned else [])


def test_prefilter_agrees_with_the_regex() -> None:
    """`may_negate` is False only where the regex cannot match: every spelling the regex's Unicode
    case-insensitive matching accepts (`ı` and `İ` for `i` included) passes the prefilter."""
    any_letter = re.compile("[nowithu]", re.IGNORECASE)
    candidates = [chr(c) for c in range(sys.maxunicode + 1) if any_letter.fullmatch(chr(c))]
    variants = {
        letter: [c for c in candidates if re.fullmatch(letter, c, re.IGNORECASE)]
        for letter in set("nowithout")
    }
    assert {"\u0130", "\u0131"} <= set(variants["i"])
    for word in ("no", "not", "without"):
        for spelling in itertools.product(*(variants[letter] for letter in word)):
            text = "a " + "".join(spelling) + " b"
            assert NEGATION.search(text) is not None
            assert may_negate(text), text
    assert may_negate("nothing here")  # a candidate ("no"): the regex decides, and finds no whole word
    assert not may_negate("a calm sea")


def test_negation_messages_differ_for_text_and_negative_text() -> None:
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "no cats", "negativeText": "no dogs"}}
    report = validate_request(body)
    text, negative = report.warnings
    assert "negativeText instead" in text.message and "'mirrors', not 'no mirrors'" in text.message
    assert "drop the negation word" in negative.message
    assert negative.pointer == "#/textToImageParams/negativeText"


def test_negation_on_titan() -> None:
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a street without cars"}}
    assert warnings_of(body, T1) == [("W-NEGATION", "#/textToImageParams/text")]


def test_config_ignored_on_background_removal(b64: Callable[[str], str]) -> None:
    body = {
        "taskType": "BACKGROUND_REMOVAL",
        "backgroundRemovalParams": {"image": b64("rgb_512x512.png")},
        "imageGenerationConfig": {"numberOfImages": 4, "width": 2048, "seed": 1},
    }
    report = validate_request(body)
    assert [(w.code, w.pointer) for w in report.warnings] == [("W-CONFIG-IGNORED", "#/imageGenerationConfig")]
    assert isinstance(report.request, InvokeRequest)
    assert report.request.config.number_of_images == 1 and report.request.config.seed == 12
    assert str(report.request.output_size) == "512x512"


def test_header_warning_comes_first() -> None:
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "no cats"}}
    codes = [c for c, _ in warnings_of(body, headers={"Content-Type": "application/octet-stream"})]
    assert codes == ["W-CT-OCTET", "W-NEGATION"]


def test_warnings_never_change_the_verdict() -> None:
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "no cats"}}
    assert validate_request(body).valid
    assert not validate_request({**body, "imageGenerationConfig": {"width": 1000}}).valid
