"""The emulator's configuration: one frozen object, built once, passed to `create_app`.

Three sources, in increasing precedence: a YAML/JSON file (`--config FILE`), the environment (variables
prefixed `NOVA_EMULATOR_`), and command-line flags. `EmulatorConfig.from_env` is the only code in the project
that reads environment variables; views read the config from the app, never from module globals.

Keys are snake_case, the same in every source (`NOVA_EMULATOR_STRICT_AUTH` is `strict_auth` in a file).
Keys this module does not know are handed to `TestDoubleConfig.from_mapping` (issue 5's settings).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from emulator._values import parse_bool
from emulator.testdouble.config import TestDoubleConfig
from validator.types import ModelId

ENV_PREFIX = "NOVA_EMULATOR_"


def _parse_int(value: object, minimum: int) -> int:
    if isinstance(value, bool):
        raise ValueError(f"not an integer: {value!r}")
    number = int(str(value).strip()) if not isinstance(value, int) else value
    if number < minimum:
        raise ValueError(f"must be at least {minimum}: {value!r}")
    return number


def _parse_port(value: object) -> int:
    port = _parse_int(value, 0)
    if port > 65535:
        raise ValueError(f"not a TCP port: {value!r}")
    return port


def _parse_pairs(value: object) -> dict[str, str]:
    """A mapping, or `key=value` pairs separated by commas (ARNs contain `:` and `/` but never `=` or `,`)."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    pairs: dict[str, str] = {}
    for item in str(value).split(","):
        if not item.strip():
            continue
        key, sep, val = item.strip().partition("=")
        if not sep or not key or not val:
            raise ValueError(f"expected key=value, got {item!r}")
        pairs[key] = val
    return pairs


def _parse_aliases(value: object) -> dict[str, str]:
    """Application inference profiles (ARN or id) mapped to canonical model ids (CONTRACT.md §2.3)."""
    aliases = _parse_pairs(value)
    served = {model.value for model in ModelId}
    for alias, target in aliases.items():
        if target not in served:
            raise ValueError(f"alias {alias!r} maps to {target!r}, which is not a served model id")
    return aliases


def _parse_tokens(value: object) -> frozenset[str]:
    items = value if isinstance(value, list | tuple | set | frozenset) else str(value).split(",")
    return frozenset(str(item).strip() for item in items if str(item).strip())


def _parse_str(value: object) -> str:
    return str(value)


_PARSERS: dict[str, Callable[[Any], object]] = {
    "host": _parse_str,
    "port": _parse_port,
    "workers": lambda v: _parse_int(v, 1),
    "strict_content_type": parse_bool,
    "model_aliases": _parse_aliases,
    "strict_auth": parse_bool,
    "access_keys": _parse_pairs,
    "bearer_tokens": _parse_tokens,
    "caption": parse_bool,
    "response_cache_size": lambda v: _parse_int(v, 0),
    "access_log": parse_bool,
}


@dataclass(frozen=True)
class EmulatorConfig:
    """Every setting of the emulator, with its default.

    * `strict_content_type`: reject `application/octet-stream` (CONTRACT.md §2.5.1, D20).
    * `model_aliases`: application inference-profile ARNs or ids → canonical model ids (§2.3).
    * `strict_auth`, `access_keys` (access key id → secret), `bearer_tokens`: §2.5.3 strict mode, with SigV4
      signatures verified against the configured secrets.
    * `caption`: let the generators draw the prompt into the picture.
    * `response_cache_size`: finished generations kept per worker (0 disables the cache).
    * `access_log`: one log line per request on stderr.
    """

    host: str = field(
        default="127.0.0.1",
        metadata={
            "doc": "Address to bind. The default accepts loopback connections only; `0.0.0.0` listens on "
            "every interface (the container image sets it)."
        },
    )
    port: int = field(
        default=8000,
        metadata={
            "doc": "TCP port for Bedrock Runtime, the control API and the journal page (HTTP/1.1 and h2c)."
        },
    )
    workers: int = field(
        default=1,
        metadata={"doc": "Worker processes. All workers share one state (rules, counters, journal)."},
    )
    strict_content_type: bool = field(
        default=False,
        metadata={
            "doc": "Reject `Content-Type: application/octet-stream` (what the JS SDK sends without "
            "`contentType`) instead of accepting it with a warning."
        },
    )
    model_aliases: Mapping[str, str] = field(
        default_factory=dict,
        metadata={"doc": "Application inference profiles: profile ARN or id `=` one of the three model ids."},
    )
    strict_auth: bool = field(
        default=False,
        metadata={
            "doc": "Require credentials: a SigV4 access key from `access_keys` with a valid signature, or a "
            "token from `bearer_tokens`; anything else gets AWS's 403 errors. Off: any or no credentials "
            "pass."
        },
    )
    access_keys: Mapping[str, str] = field(
        default_factory=dict,
        metadata={
            "doc": "For `strict_auth`: SigV4 access key ids `=` their secret keys (signatures are verified)."
        },
    )
    bearer_tokens: frozenset[str] = field(
        default=frozenset(),
        metadata={"doc": "For `strict_auth`: accepted Bedrock API keys (`Authorization: Bearer <token>`)."},
    )
    caption: bool = field(
        default=True,
        metadata={"doc": "Draw a caption (task, seed, image index, prompt) into the generated pictures."},
    )
    response_cache_size: int = field(
        default=128,
        metadata={
            "doc": "Finished responses each worker keeps for repeated identical requests; `0` turns the "
            "cache off."
        },
    )
    access_log: bool = field(
        default=True,
        metadata={
            "doc": "Print one line per request: method, path, status, Bedrock error type, time, request id."
        },
    )
    # The test double's fields are settings of their own (flat keys), documented there.
    testdouble: TestDoubleConfig = field(default_factory=TestDoubleConfig)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> EmulatorConfig:
        """Build from snake_case keys; other keys and a nested `testdouble` mapping are the test double's."""
        own: dict[str, object] = {}
        rest: dict[str, Any] = {}
        for key, value in values.items():
            if key in _PARSERS:
                try:
                    own[key] = _PARSERS[key](value)
                except ValueError as exc:
                    raise ValueError(f"setting {key}: {exc}") from None
            elif key == "testdouble" and isinstance(value, Mapping):
                rest.update(value)
            else:
                rest[key] = value
        return cls(**own, testdouble=TestDoubleConfig.from_mapping(rest))  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> EmulatorConfig:
        """Build from `NOVA_EMULATOR_*` variables; the only reader of the environment in the project."""
        return cls.from_mapping(env_values(environ))

    @classmethod
    def from_file(cls, path: str | Path) -> EmulatorConfig:
        """Build from a YAML or JSON file holding one mapping of snake_case keys."""
        return cls.from_mapping(file_values(path))

    @classmethod
    def from_sources(
        cls,
        *,
        file: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
        overrides: Mapping[str, object] | None = None,
    ) -> EmulatorConfig:
        """Merge file < environment < overrides (command-line flags), then build once."""
        merged: dict[str, object] = {}
        if file is not None:
            merged.update(file_values(file))
        if environ is not None:
            merged.update(env_values(environ))
        merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
        return cls.from_mapping(merged)


def env_values(environ: Mapping[str, str]) -> dict[str, str]:
    """The `NOVA_EMULATOR_*` variables as snake_case keys (`NOVA_EMULATOR_STRICT_AUTH` → `strict_auth`)."""
    return {
        name[len(ENV_PREFIX) :].lower(): value
        for name, value in environ.items()
        if name.startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX)
    }


def file_values(path: str | Path) -> dict[str, object]:
    """Load a YAML or JSON config file; its top level must be a mapping."""
    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: the top level must be a mapping of settings")
    return {str(key): value for key, value in data.items()}
