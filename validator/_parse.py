"""Strict JSON parsing of request bodies (CONTRACT.md §2.6, D14, D35).

Anything that is not UTF-8 RFC 8259 JSON with an object at the top level is Malformed: an empty body,
invalid UTF-8, a leading byte-order mark, syntax errors, `NaN`/`Infinity`, duplicate keys in one object, or
a non-object top-level value. Integers stay `int`; numbers written with a fraction or exponent become
`Decimal`, which keeps their written form for messages (`1.0` stays `1.0`, `1e3` prints `1E+3`).

Numbers are read as org.json (the library under Bedrock's everit validator) reads them, at any size:

* An integer of any length is an integer (§7.1: a `BigInteger`). One longer than Python's `int()` allows
  (`sys.int_max_str_digits`, 4300 digits by default) becomes a `LongDigits`; see there.
* A number with a fraction or exponent is a Java `BigDecimal` when Java can hold it: exponent and scale must
  fit a 32-bit int. Python's `Decimal` holds all of those (its exponents go to 10**18), so it is a `Decimal`.
* Otherwise org.json falls back to `Double.valueOf`. A finite double (in practice only an underflow to `0.0`
  or `-0.0`, as in `1e-99999999999`) is a Java `Double`: a Python `float` here, typed `Double` in messages.
  An infinite one (`1e99999999999`) is not a number to org.json, which keeps the unquoted token as text,
  exactly as it does `NaN` and `Infinity`; D35 answers those with the plain Malformed text, and so do we.

`parse_body` never raises: it returns either the parsed object or a short reason (used as the error detail).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final, Self

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


class LongDigits(int):
    """An integer too long for `int()`: it prints as its digits, and compares as a stand-in of its sign.

    Python refuses `int()` of more than `sys.int_max_str_digits` digits (4300 by default) because the
    conversion is quadratic: a 25 MB body of digits (the §2.6 cap) would take minutes. Raising the limit is
    process-wide, so it is left alone. Java's `BigInteger` has no such limit, and §7.1 says such a number is
    an integer that fails on range. So the number is never converted. Its `int` value is a stand-in,
    +-2**64: past every limit in the spec (2**31 at most) and outside Java's `long`, so type names
    (`BigInteger`), type checks and range checks all come out as for the real value, whose magnitude is at
    least 10**4300 (JSON forbids leading zeros). `str`, `repr` and `format` give the digits as written,
    which is how Java prints a `BigInteger`. Arithmetic would use the stand-in; no request using the value
    is ever valid with it except as an ignored `width`/`height` (§4, D7), which the typed request drops.
    """

    digits: str

    def __new__(cls, digits: str) -> Self:
        self = super().__new__(cls, -_STAND_IN if digits.startswith("-") else _STAND_IN)
        self.digits = digits
        return self

    def __str__(self) -> str:
        return self.digits

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return self.digits if not spec else format(self.digits, spec)

    def __getnewargs__(self) -> tuple[str]:  # type: ignore[override]  # copy and pickle rebuild from the digits
        return (self.digits,)


_STAND_IN: Final = 2**64
_INT_DIGITS: Final = 4300  # Python's default int_max_str_digits; an int() this long takes microseconds


def _integer(text: str) -> int:
    """`parse_int` hook of the long-number decoder: an integer of any length (see `LongDigits`)."""
    if len(text) <= _INT_DIGITS:
        try:
            return int(text)
        except ValueError:  # the host lowered sys.int_max_str_digits
            pass
    return LongDigits(text)


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


def _decoder(**hooks: Any) -> json.JSONDecoder:
    return json.JSONDecoder(parse_float=_decimal, parse_constant=_reject_constant, strict=True, **hooks)


# The decoders' scanners parse one value at an index (the C scanner when available). Integers are left to
# the scanner's own int(), which is fastest; when it refuses a long one (a plain ValueError), the body is
# parsed again by _SCAN_LONG, whose parse_int hook makes a LongDigits of it.
_SCAN: Final[Callable[[str, int], tuple[Any, int]]] = _decoder(object_pairs_hook=_pairs).scan_once  # type: ignore[attr-defined]
_SCAN_UNCHECKED: Final[Callable[[str, int], tuple[Any, int]]] = _decoder().scan_once  # type: ignore[attr-defined]
_SCAN_LONG: Final[Callable[[str, int], tuple[Any, int]]] = _decoder(  # type: ignore[attr-defined]
    object_pairs_hook=_pairs, parse_int=_integer
).scan_once
_QUICK_LIMIT: Final = 65_536


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
    return (None, reason) if text is None else _parse_text(text, _SCAN)


def parse_body_quick(body: bytes | bytearray | memoryview | str) -> tuple[JsonObject | None, str, int]:
    """`parse_body`, minus the duplicate-key check for small bodies: `(object, reason, colons)`.

    The per-object hook that finds duplicate keys costs as much as the rest of a small body's validation. So
    a small body is parsed without it and `colons` is the number of `:` in its text; the caller compares it
    with the number of object members it counted. Outside strings a `:` only ever separates a member, so
    equal counts prove that no duplicate was merged away; otherwise the caller re-parses with `parse_body`.
    `colons` is -1 when duplicates were checked already (large bodies, where the hook's cost is noise).
    """
    text, reason = _text(body)
    if text is None:
        return None, reason, -1
    if len(text) > _QUICK_LIMIT:
        doc, reason = _parse_text(text, _SCAN)
        return doc, reason, -1
    doc, reason = _parse_text(text, _SCAN_UNCHECKED)
    return doc, reason, text.count(":")


def _parse_text(text: str, scan: Callable[[str, int], tuple[Any, int]]) -> tuple[JsonObject | None, str]:
    # scan_once on the stripped text skips JSONDecoder.decode's two whitespace regex passes; JSON whitespace
    # is exactly these four characters (RFC 8259), so anything else around the value is still an error.
    stripped = text.strip(_WHITESPACE)
    if not stripped:
        return None, "empty body"
    if stripped[0] != "{":
        return None, "top-level value is not an object"
    try:
        value, end = scan(stripped, 0)
    except _Reject as exc:
        return None, str(exc)
    except (json.JSONDecodeError, RecursionError, StopIteration) as exc:  # deep nesting recurses
        return None, f"invalid JSON ({type(exc).__name__})"
    except ValueError as exc:  # int() refused an integer longer than sys.int_max_str_digits
        if scan is _SCAN_LONG:
            return None, f"invalid JSON ({type(exc).__name__})"
        return _parse_text(stripped, _SCAN_LONG)
    if end != len(stripped):
        return None, "extra data after the JSON value"
    return value, ""


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


# 602 decimal digits at most: str() prints that under any sys.int_max_str_digits (the lowest allowed is 640).
_PRINTABLE_BITS: Final = 2_000
_MAX_DEPTH: Final = 100  # real requests nest 4 deep; this keeps far below the interpreter's limit


def _normalise(value: object, depth: int) -> object:
    if depth > _MAX_DEPTH:
        raise _Reject("nesting too deep")
    if value is None or isinstance(value, bool | int | str | Decimal):
        if isinstance(value, Decimal) and not value.is_finite():
            raise _Reject(f"{value} is not valid JSON")
        if type(value) is int and value.bit_length() > _PRINTABLE_BITS:
            # str() of an int this long raises (sys.int_max_str_digits); Decimal prints it in decimal.
            return LongDigits(str(Decimal(value)))
        return value
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
