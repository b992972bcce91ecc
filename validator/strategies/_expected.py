"""The error each mutation must produce, worded by the validator's message tables.

The tables (`validator._render`) are the one copy of Bedrock's wording, checked against docs/CONTRACT.md by
the fixture cases; this is the only strategy module that reads them. Which rule fires, its pointer and the
values printed are worked out by the mutations, independently of the validator's checks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from validator._render import WHOLE_MESSAGE_RULES, detail, semantic
from validator.messages import MALFORMED_PREFIX, MALFORMED_SUFFIX
from validator.report import BedrockError

Violation = tuple[str, str, Mapping[str, object]]  # (pointer, schema keyword, message parts)


def schema_error(pointer: str, keyword: str, **parts: object) -> BedrockError:
    """The Malformed error for one schema violation."""
    return schema_errors([(pointer, keyword, parts)])


def schema_errors(violations: Sequence[Violation]) -> BedrockError:
    """The Malformed error for several schema violations, in the order given (docs/CONTRACT.md §7.1, D21)."""
    texts = [f"{pointer}: {detail(keyword, **parts)}" for pointer, keyword, parts in violations]
    return BedrockError("ValidationException", 400, MALFORMED_PREFIX + ", ".join(texts) + MALFORMED_SUFFIX)


def semantic_error(pointer: str, rule: str, **parts: object) -> BedrockError:
    """The error for one semantic rule (docs/CONTRACT.md §7.3): `<pointer>: <detail>`, or the detail alone
    where it is Bedrock's own whole message."""
    text = semantic(rule, **parts)
    message = text if rule in WHOLE_MESSAGE_RULES else f"{pointer}: {text}"
    return BedrockError("ValidationException", 400, message)


def java_type(value: Any) -> str:
    """The type name everit prints for a JSON value (docs/CONTRACT.md §7.1 `<Found>` table)."""
    if value is None or isinstance(value, bool):
        return "Null" if value is None else "Boolean"
    if isinstance(value, int):
        bits = value.bit_length()
        return "Integer" if -(2**31) <= value < 2**31 else "Long" if bits < 64 else "BigInteger"
    if isinstance(value, float):
        return "BigDecimal"
    return "String" if isinstance(value, str) else "JSONObject" if isinstance(value, dict) else "JSONArray"


def printed(value: Any) -> str:
    """A value as printed in enum/minimum/maximum details: raw strings, decimals as written."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
