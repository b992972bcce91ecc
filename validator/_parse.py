"""Strict JSON parsing of request bodies (CONTRACT.md §2.6, D14, D35).

Anything that is not UTF-8 RFC 8259 JSON with an object at the top level is Malformed: an empty body,
invalid UTF-8, a leading byte-order mark, syntax errors, `NaN`/`Infinity`, duplicate keys in one object, or
a non-object top-level value. Integers stay `int`; numbers written with a fraction or exponent become
`Decimal`, which keeps their written form for messages (`1.0` stays `1.0`, `1e3` prints `1E+3`).

`parse_body` never raises: it returns either the parsed object or a short reason (used as the error detail).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

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


def _decoder() -> json.JSONDecoder:
    return json.JSONDecoder(
        parse_float=Decimal,
        parse_constant=_reject_constant,
        object_pairs_hook=_pairs,
        strict=True,
    )


_STRICT: Final = _decoder()
# The decoder's scanner parses one value at an index (the C scanner when available).
_SCAN: Final[Callable[[str, int], tuple[Any, int]]] = _STRICT.scan_once  # type: ignore[attr-defined]
_UNCHECKED: Final = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant, strict=True)
_SCAN_UNCHECKED: Final[Callable[[str, int], tuple[Any, int]]] = _UNCHECKED.scan_once  # type: ignore[attr-defined]
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
    except (ValueError, RecursionError, StopIteration) as exc:
        # JSONDecodeError is a ValueError; so is an integer too long for int(); deep nesting recurses.
        return None, f"invalid JSON ({type(exc).__name__})"
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


_MAX_DEPTH: Final = 100  # real requests nest 4 deep; this keeps far below the interpreter's limit


def _normalise(value: object, depth: int) -> object:
    if depth > _MAX_DEPTH:
        raise _Reject("nesting too deep")
    if value is None or isinstance(value, bool | int | str | Decimal):
        if isinstance(value, Decimal) and not value.is_finite():
            raise _Reject(f"{value} is not valid JSON")
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
