"""Strict JSON parsing of request bodies (docs/CONTRACT.md §2.6, D14, D35).

Anything that is not UTF-8 RFC 8259 JSON with an object at the top level is Malformed: an empty body,
invalid UTF-8, a leading byte-order mark, syntax errors, `NaN`/`Infinity`, duplicate keys in one object, or
a non-object top-level value. Integers stay `int`; numbers written with a fraction or exponent become
`Decimal`, which keeps their written form for messages (`1.0` stays `1.0`, `1e3` prints `1E+3`).

Numbers are read as org.json (the library under Bedrock's everit validator) reads them, at any size:

* An integer of any length is an integer (a Java `BigInteger`). One longer than Python's `int()` allows
  (`sys.int_max_str_digits`, 4300 digits by default) becomes a `LongDigits` (`validator._long_integers`).
* A number with a fraction or exponent is a Java `BigDecimal` when Java can hold it: exponent and scale must
  fit a 32-bit int. Python's `Decimal` holds all of those (its exponents go to 10**18), so it is a `Decimal`.
* Otherwise org.json falls back to `Double.valueOf`. A finite double (in practice only an underflow to `0.0`
  or `-0.0`, as in `1e-99999999999`) is a Java `Double`: a Python `float` here, typed `Double` in messages.
  An infinite one (`1e99999999999`) is not a number to org.json, which keeps the unquoted token as text,
  exactly as it does `NaN` and `Infinity`; those get the plain Malformed text (docs/CONTRACT.md D35).

`parse_body` never raises: it returns either the parsed object or a short reason (used as the error detail).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any, Final

from validator._long_integers import LongDigits, parse_integer, printable_integer

__all__ = ["JsonObject", "LongDigits", "normalise_object", "parse_body", "parse_document", "syntax_error"]

JsonObject = dict[str, Any]

_BOM: Final = "\ufeff"
_WHITESPACE: Final = " \t\n\r"


class _Reject(ValueError):
    """Raised inside the decoder hooks to abort parsing with a reason."""


def _reject_constant(name: str) -> Any:
    raise _Reject(f"{name} is not valid JSON")


def _pairs(pairs: list[tuple[str, Any]]) -> JsonObject:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Reject(f"duplicate key [{key}]")
            seen.add(key)
    return result


_JAVA_INT_MIN: Final = -(2**31)
_JAVA_INT_MAX: Final = 2**31 - 1
# A token this short has at most 9 exponent digits and 8 fraction digits: exponent and scale fit a Java int.
_SHORT_DECIMAL: Final = 11


def _decimal(text: str) -> Decimal | float:
    """`parse_float` hook: a number written with a fraction or exponent, read as org.json does."""
    if len(text) <= _SHORT_DECIMAL:  # the fast path: every number a real request holds
        return Decimal(text)
    return _long_decimal(text)


def _long_decimal(text: str) -> Decimal | float:
    # org.json's stringToNumber: `new BigDecimal(val)`, which throws when the exponent or the scale (fraction
    # digits minus exponent) does not fit a 32-bit int; then `Double.valueOf(val)`, rejected when infinite.
    # Each step is linear in the token: the exponent is looked at only when it has at most 10 digits.
    cut = max(text.rfind("e"), text.rfind("E"))
    if cut < 0:
        return Decimal(text)  # scale = the fraction's length, at most 25,000,000
    written = text[cut + 1 :]
    negative = written.startswith("-")
    digits = written.lstrip("+-").lstrip("0")
    fits = len(digits) <= 10
    if fits:
        exponent = -int(digits or "0") if negative else int(digits or "0")
        dot = text.find(".", 0, cut)
        scale = (cut - dot - 1 if dot >= 0 else 0) - exponent
        fits = _JAVA_INT_MIN <= exponent <= _JAVA_INT_MAX and _JAVA_INT_MIN <= scale <= _JAVA_INT_MAX
    if fits:
        return Decimal(text)  # Python's exponents reach 10**18: this never raises
    double = float(text)  # Java's Double.valueOf and Python's float agree on overflow and underflow
    if math.isinf(double):
        raise _Reject("number beyond Java's BigDecimal and double range")
    return double


# One decoder, public API only: every object checked for duplicate keys, every number read as org.json does.
_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_pairs,
    parse_float=_decimal,
    parse_int=parse_integer,
    parse_constant=_reject_constant,
    strict=True,  # control characters inside strings are errors, as RFC 8259 says
)


def _text(body: bytes | bytearray | memoryview | str) -> tuple[str | None, str]:
    """The body as text, or a reason it cannot be JSON (BOM, invalid UTF-8)."""
    if isinstance(body, bytes | bytearray | memoryview):
        raw = body if type(body) is bytes else bytes(body)
        if raw.startswith(b"\xef\xbb\xbf"):
            return None, "leading byte-order mark"
        try:
            return raw.decode("utf-8"), ""
        except UnicodeDecodeError:
            return None, "invalid UTF-8"
    if body.startswith(_BOM):
        return None, "leading byte-order mark"
    return body, ""


def parse_body(body: bytes | bytearray | memoryview | str) -> tuple[JsonObject | None, str]:
    """Parse a raw body. Returns `(object, "")` or `(None, reason)`."""
    text, reason = _text(body)
    return (None, reason) if text is None else _parse_text(text)


def _parse_text(text: str) -> tuple[JsonObject | None, str]:
    # JSON whitespace is exactly these four characters (RFC 8259); anything else around the value is an error.
    start = len(text) - len(text.lstrip(_WHITESPACE))
    if start == len(text):
        return None, "empty body"
    try:
        value, end = _DECODER.raw_decode(text, start)
    except _Reject as exc:
        return None, str(exc)
    except json.JSONDecodeError as exc:
        return None, syntax_error(text, exc.pos, exc.msg)
    except RecursionError:  # deep nesting recurses in the decoder
        return None, "nesting too deep"
    stop = len(text.rstrip(_WHITESPACE))
    if end != stop:
        extra = len(text) - len(text[end:].lstrip(_WHITESPACE))
        return None, f"not JSON: more data after the JSON value at {_where(text, extra)}"
    if type(value) is not dict:
        return None, f"top-level value is {_KIND.get(type(value), 'a number')}, not an object"
    return value, ""


_KIND: Final[dict[type, str]] = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}

#: Python's decoder messages, reworded for people who did not write the parser.
_SYNTAX: Final = {
    "Expecting value": "expected a JSON value",
    "Expecting property name enclosed in double quotes": "expected a key in double quotes",
    "Expecting ':' delimiter": "expected ':' after the key",
    "Expecting ',' delimiter": "expected ',' or a closing bracket",
    "Invalid control character at": "unescaped control character in a string",
    "Invalid \\escape": "invalid escape in a string",
    "Invalid \\uXXXX escape": "invalid \\u escape in a string",
}


def _where(text: str, pos: int) -> str:
    """`line L, column C` of a character offset, both counted from 1 (columns in characters)."""
    line = text.count("\n", 0, pos) + 1
    column = pos - text.rfind("\n", 0, pos)
    return f"line {line}, column {column}"


def syntax_error(text: str, pos: int, python_message: str) -> str:
    """Why `text` is not JSON, with the line and column where the decoder stopped (`pos`)."""
    if python_message.startswith("Unterminated string"):
        return f"not JSON: the string starting at {_where(text, pos)} is not closed"
    if pos >= len(text.rstrip(_WHITESPACE)):
        end = len(text.rstrip(_WHITESPACE))
        return f"not JSON: the body ends at {_where(text, end)} before the JSON value is complete"
    before = text[:pos].rstrip(_WHITESPACE)
    if python_message.startswith("Illegal trailing comma"):  # Python 3.13 names it, at the comma
        before = text[: pos + 1]
    if before.endswith(",") and text[pos] in ",]}":
        return f"not JSON: trailing comma at {_where(text, len(before) - 1)}"
    what = _SYNTAX.get(python_message, python_message)
    return f"not JSON: {what} at {_where(text, pos)}"


def normalise_object(value: object) -> tuple[JsonObject | None, str]:
    """Accept an already-parsed body (a dict), checking it holds only JSON values.

    Floats become `Decimal` of their shortest repr (`512.0` stays `512.0`); tuples count as arrays. Non-finite
    floats, non-string keys and non-JSON objects make the body Malformed, as they could not have been sent.
    """
    if not isinstance(value, dict):
        return None, "top-level value is not an object"
    try:
        result = _normalise(value, 0)
    except _Reject as exc:
        return None, str(exc)
    except RecursionError:  # only reachable when the caller is already deep in its own stack
        return None, "nesting too deep"
    assert isinstance(result, dict)
    return result, ""


_MAX_DEPTH: Final = 100  # real requests nest 4 deep; this keeps far below the interpreter's limit


def _normalise(value: object, depth: int) -> object:
    if depth > _MAX_DEPTH:
        raise _Reject("nesting too deep")
    if value is None or isinstance(value, bool | int | str | Decimal):
        if isinstance(value, Decimal) and not value.is_finite():
            raise _Reject(f"{value} is not valid JSON")
        return printable_integer(value) if type(value) is int else value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Reject(f"{value} is not valid JSON")
        return Decimal(repr(value))
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise _Reject("object key is not a string")
        return {k: _normalise(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v, depth + 1) for v in value]
    raise _Reject(f"{type(value).__name__} is not a JSON value")


def parse_document(body: object) -> tuple[JsonObject | None, str]:
    """A body as the validator takes it: raw bytes or text are parsed strictly (`parse_body`), an
    already-parsed object is checked (`normalise_object`). Returns `(object, "")` or `(None, reason)`."""
    if isinstance(body, bytes | bytearray | memoryview | str):
        return parse_body(body)
    return normalise_object(body)
