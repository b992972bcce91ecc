"""Every message text the validator renders, in one place (docs/CONTRACT.md §7.1, §7.3, §8.8).

* `SCHEMA_TEMPLATES`: the everit-org/json-schema detail templates, keyed by schema keyword
  (docs/CONTRACT.md §7.1).
* `SEMANTIC_MESSAGES`: the project-phrased messages, keyed by rule id (docs/CONTRACT.md §7.3, D18). This is
  THE table to edit if the real wording becomes known.
* `WARNING_MESSAGES`: the docs/CONTRACT.md §8.8 warning texts, keyed by warning code.
* `show` prints a JSON value the way the library does inside enum/minimum/maximum details; `found_type` names
  a JSON value's Java type for the type template.
* `schema_message` wraps schema violations in Bedrock's Malformed prefix and suffix, joined with ", "
  (docs/CONTRACT.md D21).

Checks never build message strings themselves: they call `detail(...)` / `semantic(...)` with keyword
arguments.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from validator.messages import MALFORMED_PREFIX, MALFORMED_SUFFIX
from validator.report import ContractError

SCHEMA_TEMPLATES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "required": "required key [{name}] not found",
        "additionalProperties": "extraneous key [{name}] is not permitted",
        "minLength": "expected minLength: {limit}, actual: {actual}",
        "maxLength": "expected maxLength: {limit}, actual: {actual}",
        "type": "expected type: {expected}, found: {found}",
        "enum": "{value} is not a valid enum value",
        "minimum": "{value} is not greater or equal to {limit}",
        "maximum": "{value} is not less or equal to {limit}",
        "minItems": "expected minimum item count: {limit}, found: {actual}",
        "maxItems": "expected maximum item count: {limit}, found: {actual}",
        "pattern": "string [{value}] does not match pattern {pattern}",
    }
)

# docs/CONTRACT.md §7.3, D18. The pointer is not part of the template; the message is "<pointer>: <detail>",
# except for the rules in WHOLE_MESSAGE_RULES.
SEMANTIC_MESSAGES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "SEM-VTO-MASK-MISSING": "maskType {mask_type} requires {obj}, actual: {obj} absent",
        "SEM-VTO-MASK-STRAY": "{obj} is only allowed when maskType is {owner}, actual: maskType {mask_type}",
        "SEM-MASK-BOTH": "exactly one of maskPrompt or maskImage is required, actual: both",
        "SEM-MASK-NONE": "exactly one of maskPrompt or maskImage is required, actual: neither",
        "SEM-CONTROL-NO-IMAGE": (
            "controlMode and controlStrength require conditionImage, actual: conditionImage absent"
        ),
        "SEM-SIZE-RANGE": "must be between {low} and {high}, actual: {value}",
        "SEM-SIZE-STEP": "must be divisible by {step}, actual: {value}",
        "SEM-SIZE-RATIO": "aspect ratio must be between 1:{ratio} and {ratio}:1, actual: {w}x{h}",
        "SEM-SIZE-PIXELS": "width x height must be at most {limit} pixels, actual: {w}x{h} ({pixels} pixels)",
        "SEM-SIZE-TITAN": "400 Bad Request: Value of (width, height) is not valid. Given: ({w}, {h}).",
        "SEM-IMG-BASE64": "must be a base64-encoded PNG or JPEG image, actual: invalid base64",
        "SEM-IMG-FORMAT": "must be a PNG or JPEG image, actual: {kind}",
        "SEM-IMG-DEPTH": "must use 8 bits per channel RGB, actual: {kind}",
        "SEM-IMG-ALPHA": (
            "must not contain transparent or translucent pixels, actual: {n} pixels with alpha below 255"
        ),
        "SEM-IMG-SIDES": "each side must be between {low} and {high} pixels, actual: {w}x{h}",
        "SEM-IMG-RATIO": "aspect ratio must be between 1:{ratio} and {ratio}:1, actual: {w}x{h}",
        "SEM-IMG-PIXELS": "must be at most {limit} pixels, actual: {w}x{h} ({pixels} pixels)",
        "SEM-IMG-TITAN-SIDE": "longer side must be at most {limit} pixels, actual: {w}x{h}",
        "SEM-MASK-SIZE": "must be the same size as {image} ({iw}x{ih}), actual: {w}x{h}",
        "SEM-MASK-COLORS": (
            "must contain only pure black (0,0,0) and pure white (255,255,255) pixels, "
            "actual: {n} other pixels"
        ),
    }
)

#: Rules whose detail is Bedrock's own whole message, sent without a pointer in front: Titan's size error
#: was observed word for word (docs/CONTRACT.md §7.3).
WHOLE_MESSAGE_RULES: Final = frozenset({"SEM-SIZE-TITAN"})

# docs/CONTRACT.md §8.8 gists, phrased in full.
WARNING_MESSAGES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "W-DIM-IGNORED": "{name} is ignored on {task}; the output keeps the input image size {size}",
        "W-NEGATION-TEXT": (
            "Bedrock advises against negation words such as '{word}' in text; name the unwanted thing in "
            "negativeText instead (e.g. 'mirrors', not 'no mirrors')"
        ),
        "W-NEGATION-NEGATIVE": (
            "Bedrock advises against negation words such as '{word}' in negativeText; drop the negation word "
            "(e.g. 'mirrors', not 'no mirrors')"
        ),
        "W-CONFIG-IGNORED": (
            "imageGenerationConfig is ignored on BACKGROUND_REMOVAL: the task takes no generation settings "
            "and always returns one image of the input size"
        ),
        "W-SEED-LEGACY": (
            "seed {seed} is accepted (Nova Canvas takes 0-2147483646), but earlier revisions of the API, "
            "AWS's SDK examples and AWS's Nova MCP server cap the seed at {legacy_max}; code or checks "
            "written against them reject it"
        ),
        "W-CT-OCTET": (
            "Content-Type application/octet-stream is accepted here as JSON, but real Bedrock rejected it in "
            "2024; send application/json"
        ),
    }
)

_INT_MIN: Final = -(2**31)
_INT_MAX: Final = 2**31 - 1
_LONG_MIN: Final = -(2**63)
_LONG_MAX: Final = 2**63 - 1


def found_type(value: object) -> str:
    """The Java simple name everit prints for a JSON value (docs/CONTRACT.md §7.1 `<Found>` table)."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        if _INT_MIN <= value <= _INT_MAX:
            return "Integer"
        return "Long" if _LONG_MIN <= value <= _LONG_MAX else "BigInteger"
    if isinstance(value, Decimal):
        return "BigDecimal"
    if isinstance(value, float):  # only ±0.0, from an exponent too small for BigDecimal (validator._parse)
        return "Double"
    if isinstance(value, str):
        return "String"
    if isinstance(value, dict):
        return "JSONObject"
    return "JSONArray"


def show(value: object) -> str:
    """Print a value as the library does in enum/minimum/maximum details (docs/CONTRACT.md §7.1)."""
    if isinstance(value, str):
        return value
    return _compact(value)


def _compact(value: object) -> str:
    """Compact JSON, iteratively: a body may nest arrays as deep as the parser allows."""
    parts: list[str] = []
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Token):
            parts.append(item.text)
        elif isinstance(item, dict):
            stack.append(_Token("}"))
            for index, (key, child) in enumerate(reversed(item.items())):
                stack.append(child)
                stack.append(_Token(json.dumps(key, ensure_ascii=False) + ":"))
                if index < len(item) - 1:
                    stack.append(_Token(","))
            stack.append(_Token("{"))
        elif isinstance(item, list | tuple):
            stack.append(_Token("]"))
            for index, child in enumerate(reversed(item)):
                stack.append(child)
                if index < len(item) - 1:
                    stack.append(_Token(","))
            stack.append(_Token("["))
        else:
            parts.append(_scalar(item))
    return "".join(parts)


class _Token:
    """Literal text on `_compact`'s work stack."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def detail(keyword: str, **parts: object) -> str:
    """Render a schema detail from its everit template."""
    return SCHEMA_TEMPLATES[keyword].format(**parts)


def semantic(rule: str, **parts: object) -> str:
    """Render the detail of a docs/CONTRACT.md §7.3 message (the text after `<pointer>: `)."""
    return SEMANTIC_MESSAGES[rule].format(**parts)


def semantic_message(error: ContractError) -> str:
    """Bedrock's message for a semantic error: `<pointer>: <detail>`, or the detail alone for Bedrock's own
    wording (`WHOLE_MESSAGE_RULES`)."""
    return error.detail if error.keyword in WHOLE_MESSAGE_RULES else error.text


def warning(code: str, **parts: object) -> str:
    """Render a docs/CONTRACT.md §8.8 warning message."""
    return WARNING_MESSAGES[code].format(**parts)


def schema_message(errors: Iterable[ContractError]) -> str:
    """`Malformed input request: <v>, <v>, please reformat your input and try again.`
    (docs/CONTRACT.md §7.1, D21)."""
    return MALFORMED_PREFIX + ", ".join(e.text for e in errors) + MALFORMED_SUFFIX
