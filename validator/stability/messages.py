"""Every Stability AI message text, in ONE table (docs/CONTRACT.md §S6.1, §S6.4, D-S16, D-S18).

`MESSAGES` holds the texts observed from AWS (R1-R8, Real) and the project-phrased container texts (ST-*,
Project: the wording is unknown, the `{"detail": ...}` envelope is Real). Edit this table, and only this
table, when real wording becomes known. Checks never build message strings: they call `text(code, ...)`
with keyword arguments; `container(detail)` wraps a container text the way Bedrock's `message` carries it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

MESSAGES: Final[Mapping[str, str]] = MappingProxyType(
    {
        # Real (docs/CONTRACT.md §S6.1)
        "R1": (
            "Malformed input request: #: required key [prompt] not found, please reformat your input and try "
            "again."
        ),
        "R2": "Invalid field in request. Available fields: {fields}",  # 2024 wording, kept for reference only
        "R3": "Invalid field '{key}' in request. Available fields for {name} are: {fields}",
        "R4": "Invalid field '{key}' in request. Available fields for {name} are: {fields}",
        "R6": "invalid_prompts",
        "R7": (
            "This model version has reached the end of its life. "
            "Please refer to the AWS documentation for more details."
        ),
        "R8": (
            "Invocation of model ID {model_id} with on-demand throughput isn\u2019t supported. Retry your "
            "request with the ID or ARN of an inference profile that contains this model."
        ),
        # Project (docs/CONTRACT.md §S6.4, D-S18)
        "ST-REQUIRED": "Missing required field '{key}'",
        "ST-TYPE": "Invalid type for field '{key}': expected {expected}",
        "ST-ENUM": "Invalid value for '{key}': '{value}'. Allowed values: {allowed}",
        "ST-RANGE": "Invalid value for '{key}': {value}. Must be between {low} and {high}",
        "ST-LEN": "Field '{key}' must be at most {limit} characters",
        "ST-I2I-MISSING": "image-to-image requires the prompt, image, and strength parameters",
        "ST-OUTPAINT-ZERO": (
            "At least one outpaint direction: (left, right, up, or down) must be supplied with a non-zero "
            "value."
        ),
        "ST-IMG-BASE64": "Invalid image for field '{key}': not valid base64",
        "ST-IMG-FORMAT": "Invalid image for field '{key}': supported formats are jpeg, png, webp",
        "ST-IMG-SIDE": "Invalid image for field '{key}': every side must be at least {limit} pixels",
        "ST-IMG-SIDE-MAX": "Invalid image for field '{key}': every side must be at most {limit} pixels",
        "ST-IMG-PIXELS": (
            "Invalid image for field '{key}': total pixel count must be between {low} and {high}, "
            "got {pixels}"
        ),
        "ST-IMG-RATIO": "Invalid image for field '{key}': aspect ratio must be between 1:2.5 and 2.5:1",
        # Project: SDXL's width x height pair (docs/CONTRACT.md §S4.7); an everit-style schema detail
        "ST-SDXL-DIMENSIONS": "width x height must be one of {pairs}, actual: {width}x{height}",
    }
)

#: Warnings (`ContractWarning`): inputs the models accept that are probably mistakes (Project).
WARNINGS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "W-ST-ASPECT-IGNORED": (
            "aspect_ratio is ignored on image-to-image: the output keeps the input image's aspect ratio at "
            "about one megapixel ({size})"
        ),
        "W-ST-IGNORED": "{key} is ignored on {operation}",
        "W-ST-MASK-WHITE": (
            "the mask is {percent}% white, so (almost) the whole picture is edited: here white marks the "
            "area to change and black the area to keep, the reverse of Nova Canvas and Titan masks"
        ),
        "W-ST-MASK-RESIZED": "the mask ({mask}) is resized to the image ({image}) before use",
        "W-ST-MASK-OVER-ALPHA": (
            "the image has transparent pixels and a mask is sent too: the mask takes precedence and the "
            "image's alpha channel is not used as the mask"
        ),
        "W-ST-JPEG-TRANSPARENCY": (
            "output_format jpeg cannot carry the transparent background remove-background produces; "
            "use png or webp"
        ),
        "W-ST-GROW-MASK-FRACTION": "grow_mask {value} has a fraction; the mask grows by whole pixels",
    }
)

#: Codes whose text is sent as the container's `{"detail": ...}` (the rest are Bedrock's own messages).
CONTAINER_CODES: Final = frozenset(
    {"R3", "R4"} | {code for code in MESSAGES if code.startswith("ST-") and code != "ST-SDXL-DIMENSIONS"}
)

# docs/CONTRACT.md §S6.4 ST-TYPE: the JSON type names the container text uses.
EXPECTED: Final[Mapping[str, str]] = MappingProxyType(
    {"string": "string", "image": "string", "enum": "string", "number": "number", "integer": "integer"}
)


def text(code: str, **parts: object) -> str:
    """Render one message of the table."""
    return MESSAGES[code].format(**parts)


def warning_text(code: str, **parts: object) -> str:
    """Render one warning of `WARNINGS`."""
    return WARNINGS[code].format(**parts)


def container(detail: str) -> str:
    """Bedrock's `message` for a container rejection: compact JSON `{"detail":"..."}` (docs/CONTRACT.md §S2).

    The emulator wraps it once more in `{"message": ...}`; both levels compact, which gives R4's 196 bytes.
    """
    return json.dumps({"detail": detail}, separators=(",", ":"), ensure_ascii=False)
