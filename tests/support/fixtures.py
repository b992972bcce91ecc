"""Load the language-neutral contract cases in fixtures/requests/ (format: fixtures/README.md).

`load_cases()` returns one `FixtureCase` per JSON file, sorted by id, with the body already turned into the
exact bytes to send (image references replaced by base64, padding applied). Both the validator's and the
emulator's test suites run these cases.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REQUESTS = FIXTURES / "requests"
IMAGES = FIXTURES / "images"

_IMAGE_REF = re.compile(r"@image(?:-(?P<variant>[a-z]+))?:(?P<name>[^\s\"]+)")


@dataclass(frozen=True)
class FixtureCase:
    """One contract case: a request and the exact answer Bedrock gives it."""

    id: str  # path under fixtures/requests without ".json", e.g. "nova-canvas/schema/seed-randint-off-by-one"
    description: str
    model: str
    body: bytes = field(repr=False)
    valid: bool
    status: int
    exception: str | None
    message: str | None
    warnings: tuple[str, ...]
    headers: dict[str, str] | None = None
    strict_content_type: bool = False
    aliases: dict[str, str] | None = None
    historic_models: bool = False  # the case needs the retired Stability ids served (docs/CONTRACT.md D-S1)


def fixture_image_b64(name: str, variant: str | None = None) -> str:
    """The base64 text an `@image[-variant]:<name>` reference stands for (fixtures/README.md)."""
    text = base64.b64encode((IMAGES / name).read_bytes()).decode("ascii")
    if variant is None:
        return text
    if variant == "unpadded":
        return text.rstrip("=")
    if variant == "datauri":
        kind = "jpeg" if name.endswith(".jpg") else "png"
        return f"data:image/{kind};base64,{text}"
    if variant == "wrapped":
        return "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    if variant == "urlsafe":
        return text.replace("+", "-").replace("/", "_")
    raise ValueError(f"unknown image variant {variant!r}")


def _substitute(value: Any) -> Any:
    if isinstance(value, str):
        match = _IMAGE_REF.fullmatch(value)
        return fixture_image_b64(match["name"], match["variant"]) if match else value
    if isinstance(value, dict):
        return {k: _substitute(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v) for v in value]
    return value


def dump(value: Any) -> str:
    """Compact JSON that prints Decimals as written (`512.0`, `1E+3`), keeping key order."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _body(raw: dict[str, Any]) -> bytes:
    if "body" in raw:
        data = dump(_substitute(raw["body"])).encode("utf-8")
    elif "body_raw" in raw:
        data = _IMAGE_REF.sub(lambda m: fixture_image_b64(m["name"], m["variant"]), raw["body_raw"]).encode(
            "utf-8"
        )
    else:
        data = base64.b64decode(raw["body_base64"])
    padding: int = raw.get("body_padding", 0)
    return data + b" " * padding


def _case(path: Path) -> FixtureCase:
    raw = json.loads(path.read_text("utf-8"), parse_float=Decimal)
    return FixtureCase(
        id=path.relative_to(REQUESTS).with_suffix("").as_posix(),
        description=raw["description"],
        model=raw["model"],
        body=_body(raw),
        valid=raw["valid"],
        status=raw["status"],
        exception=raw.get("exception"),
        message=raw.get("message"),
        warnings=tuple(raw.get("warnings", ())),
        headers=raw.get("headers"),
        strict_content_type=raw.get("strict_content_type", False),
        aliases=raw.get("aliases"),
        historic_models=raw.get("historic_models", False),
    )


def load_cases(root: Path = REQUESTS) -> list[FixtureCase]:
    """Every case under `root`, sorted by id."""
    return sorted((_case(p) for p in root.rglob("*.json")), key=lambda c: c.id)
