"""Numbers beyond Python's easy reach, read as org.json reads them (docs/CONTRACT.md §2.6, §7.1;
validator._parse).

* Decimals: Java's BigDecimal holds an exponent and a scale that fit a 32-bit int; past that org.json falls
  back to `Double.valueOf`: an underflow is the Double 0.0 (or -0.0), an overflow is not a number at all
  (org.json keeps the token as text, as it does NaN, which docs/CONTRACT.md D35 answers Malformed).
* Integers of any length are integers (BigInteger) that fail on range and print in full, never converted with
  Python's quadratic, 4300-digit-limited `int()`.
"""

from __future__ import annotations

import copy
import pickle
import sys
import time
from decimal import Decimal
from typing import Any

import pytest

from validator import validate_request
from validator._parse import LongDigits, parse_body
from validator._render import found_type, show
from validator.messages import MALFORMED

NOVA = "amazon.nova-canvas-v1:0"
CFG = "#/imageGenerationConfig/cfgScale"
SEED = "#/imageGenerationConfig/seed"
DIGITS = "9" * 5000


def _body(config: str, params: str = '"text":"a"') -> bytes:
    return (
        f'{{"taskType":"TEXT_IMAGE","textToImageParams":{{{params}}},"imageGenerationConfig":{{{config}}}}}'
    ).encode()


def _violations(body: bytes | dict[str, Any]) -> list[str]:
    report = validate_request(body, NOVA)
    assert report.error is not None
    return [e.text for e in report.errors]


def _malformed(body: bytes) -> None:
    report = validate_request(body, NOVA)
    assert report.error is not None and report.error.message == MALFORMED
    assert report.errors[0].keyword == "json"


# --- decimals -----------------------------------------------------------------------------------------------

JAVA_BIGDECIMALS = {
    # exponent and scale fit a Java int: a BigDecimal, printed as BigDecimal.toString (= Decimal str)
    "largest-exponent": ("1e2147483647", f"{CFG}: 1E+2147483647 is not less or equal to 10"),
    "plus-and-leading-zeros": ("2e+00000000000000000001", f"{CFG}: 2E+1 is not less or equal to 10"),
    "fraction": ("1.5e2147483647", f"{CFG}: 1.5E+2147483647 is not less or equal to 10"),
    "smallest-scale": ("1e-2147483647", f"{CFG}: 1E-2147483647 is not greater or equal to 1.1"),
    "within-python-range": ("-1e999999999", f"{CFG}: -1E+999999999 is not greater or equal to 1.1"),
}


@pytest.mark.parametrize("token,violation", JAVA_BIGDECIMALS.values(), ids=JAVA_BIGDECIMALS.keys())
def test_java_bigdecimal_range(token: str, violation: str) -> None:
    assert _violations(_body(f'"cfgScale":{token}')) == [violation]
    assert _violations(_body(f'"seed":{token}')) == [f"{SEED}: expected type: Integer, found: BigDecimal"]


UNDERFLOWS = {
    # BigDecimal refuses these (exponent or scale past a Java int); Double.valueOf gives 0.0 or -0.0
    "exponent-past-python": ("1e-99999999999999999999", "0.0"),
    "exponent-past-java": ("1e-2147483649", "0.0"),
    "scale-past-java": ("1e-2147483648", "0.0"),
    "fraction-scale-past-java": ("1.5e-2147483647", "0.0"),
    "negative": ("-1e-99999999999", "-0.0"),
    "zero-exponent-overflow": ("0e99999999999999999999", "0.0"),
    "negative-zero-exponent-overflow": ("-0.0e99999999999", "-0.0"),
}


@pytest.mark.parametrize("token,printed", UNDERFLOWS.values(), ids=UNDERFLOWS.keys())
def test_underflow_is_a_java_double(token: str, printed: str) -> None:
    doc, reason = parse_body(_body(f'"cfgScale":{token}'))
    assert doc is not None and reason == ""
    value = doc["imageGenerationConfig"]["cfgScale"]
    assert type(value) is float and value == 0.0 and show(value) == printed and found_type(value) == "Double"
    assert _violations(_body(f'"cfgScale":{token}')) == [f"{CFG}: {printed} is not greater or equal to 1.1"]
    assert _violations(_body(f'"seed":{token}')) == [f"{SEED}: expected type: Integer, found: Double"]
    assert _violations(_body(f'"quality":[{token}]')) == [
        f"#/imageGenerationConfig/quality: [{printed}] is not a valid enum value"
    ]


def test_underflow_can_be_valid() -> None:
    """A Double is a Number to everit: controlStrength's minimum is 0, so 0.0 passes."""
    report = validate_request(_body('"seed":1', '"text":"a","controlStrength":1e-99999999999'), NOVA)
    # controlStrength without conditionImage is a semantic failure: the schema stage accepted the Double.
    assert report.error is not None and [e.keyword for e in report.errors] == ["SEM-CONTROL-NO-IMAGE"]


OVERFLOWS = {
    "exponent-past-python": "1e99999999999999999999",
    "exponent-past-java": "1e2147483648",
    "exponent-digits": "1e99999999999",
    "fraction": "1.5e2147483648",
    "exponent-past-java-within-python": "1e999999999999",
    "negative": "-1e99999999999",
    "small-mantissa": "0.000001e2147483650",
}


@pytest.mark.parametrize("token", OVERFLOWS.values(), ids=OVERFLOWS.keys())
@pytest.mark.parametrize("field", ["cfgScale", "seed", "quality", "extraneous"])
def test_overflow_is_malformed(field: str, token: str) -> None:
    """Not a number to org.json (Double.valueOf is infinite): docs/CONTRACT.md D35's NaN answer, wherever it
    appears."""
    _malformed(_body(f'"{field}":{token}'))
    _malformed(_body(f'"{field}":[1,{{"a":{token}}}]'))
    doc, reason = parse_body(_body(f'"{field}":{token}'))
    assert doc is None and "range" in reason


def test_java_scale_limit_counts_fraction_digits() -> None:
    """Scale = fraction digits minus exponent: 1.5e-2147483647 has scale 2**31, one past a Java int."""
    assert _violations(_body('"cfgScale":15e-2147483647')) == [
        f"{CFG}: 1.5E-2147483646 is not greater or equal to 1.1"
    ]
    assert _violations(_body('"cfgScale":1.5e-2147483647')) == [f"{CFG}: 0.0 is not greater or equal to 1.1"]


def test_huge_tokens_cost_linear_time() -> None:
    """25 MB of exponent or mantissa digits: each is looked at a constant number of times."""
    for token in (
        "1e" + "1" * 20_000_000,
        "1e-" + "1" * 20_000_000,
        "1." + "1" * 20_000_000 + "e-99999999999",
    ):
        started = time.process_time()
        validate_request(_body(f'"cfgScale":{token}'), NOVA)
        assert time.process_time() - started < 5


# --- integers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [4300, 4301, 5000, 100_000])
def test_long_integer_is_a_range_error(count: int) -> None:
    digits = "9" * count
    assert _violations(_body(f'"seed":{digits}')) == [f"{SEED}: {digits} is not less or equal to 2147483646"]
    assert _violations(_body(f'"seed":-{digits}')) == [f"{SEED}: -{digits} is not greater or equal to 0"]


def test_long_integer_everywhere() -> None:
    assert _violations(_body(f'"numberOfImages":{DIGITS},"cfgScale":-{DIGITS}')) == [
        f"#/imageGenerationConfig/cfgScale: -{DIGITS} is not greater or equal to 1.1",
        f"#/imageGenerationConfig/numberOfImages: {DIGITS} is not less or equal to 5",
    ]
    assert _violations(_body(f'"quality":{{"a":[{DIGITS},-{DIGITS}]}}')) == [
        f'#/imageGenerationConfig/quality: {{"a":[{DIGITS},-{DIGITS}]}} is not a valid enum value'
    ]
    assert _violations(_body('"seed":1', f'"text":{DIGITS}')) == [
        "#/textToImageParams/text: expected type: String, found: BigInteger"
    ]
    # width has no schema range (docs/CONTRACT.md §4 checks it): the semantic message prints the digits too.
    assert _violations(_body(f'"width":{DIGITS}')) == [
        f"#/imageGenerationConfig/width: must be between 320 and 4096, actual: {DIGITS}"
    ]


def test_long_digits_value() -> None:
    doc, reason = parse_body(_body(f'"seed":{DIGITS},"numberOfImages":-{DIGITS}'))
    assert doc is not None and reason == ""
    big, small = doc["imageGenerationConfig"]["seed"], doc["imageGenerationConfig"]["numberOfImages"]
    assert isinstance(big, LongDigits) and isinstance(small, LongDigits)
    assert str(big) == repr(big) == f"{big}" == DIGITS and str(small) == "-" + DIGITS
    assert big > 2**63 and small < -(2**63) and found_type(big) == found_type(small) == "BigInteger"
    assert f"{LongDigits('-123'):>6}" == "  -123"
    for copied in (copy.deepcopy(doc), pickle.loads(pickle.dumps(doc))):
        assert copied == doc and str(copied["imageGenerationConfig"]["seed"]) == DIGITS


def test_long_integer_body_still_finds_duplicate_keys() -> None:
    body = _body(f'"seed":{DIGITS},"seed":1')
    _malformed(body)
    assert parse_body(body) == (None, "duplicate key [seed]")


def test_lowered_int_digit_limit() -> None:
    """A host that lowers sys.int_max_str_digits (to 640 at least) still gets every integer."""
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        digits = "7" * 1000
        assert _violations(_body(f'"seed":{digits}')) == [
            f"{SEED}: {digits} is not less or equal to 2147483646"
        ]
    finally:
        sys.set_int_max_str_digits(previous)


def test_long_integer_costs_linear_time() -> None:
    """24 MB of digits (the body cap is 25 MB): no int() conversion, which would take minutes."""
    digits = "9" * 24_000_000
    started = time.process_time()
    errors = validate_request(_body(f'"seed":{digits}'), NOVA).errors
    assert time.process_time() - started < 5
    assert errors[0].detail == f"{digits} is not less or equal to 2147483646"


@pytest.mark.parametrize("exponent", [700, 5000])
def test_parsed_dict_with_a_huge_int(exponent: int) -> None:
    """A Python caller's int past the digit limit prints in decimal (str() of it would raise)."""
    value = 10**exponent
    body: dict[str, Any] = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a"}}
    body["imageGenerationConfig"] = {"seed": value}
    assert _violations(body) == [f"{SEED}: 1{'0' * exponent} is not less or equal to 2147483646"]
    body["imageGenerationConfig"] = {"seed": -value, "cfgScale": Decimal("6.5")}
    assert _violations(body) == [f"{SEED}: -1{'0' * exponent} is not greater or equal to 0"]
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        assert _violations(body) == [f"{SEED}: -1{'0' * exponent} is not greater or equal to 0"]
    finally:
        sys.set_int_max_str_digits(previous)
