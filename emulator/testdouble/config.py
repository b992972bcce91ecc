"""Settings of the test-double features, read by `emulator.config.EmulatorConfig`.

`TestDoubleConfig.from_mapping` takes snake_case keys from any source: environment variables (strings, lists
as comma-separated text, structures as JSON text), command-line flags, or a YAML/JSON file (native lists and
mappings). Unknown keys are an error, so a misspelt `NOVA_EMULATOR_*` variable fails at start instead of being
ignored.

The settings are the *start state*: `POST /_emulator/reset` returns the running emulator to them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator._values import parse_bool as _bool
from emulator.testdouble.filters import ContentFilters, filters_from_json
from emulator.testdouble.lifecycle import parse_lifecycle
from emulator.testdouble.rules import Rule, RuleError, parse_rule

MEMORY = ":memory:"
STATE_FILE = "state.sqlite3"
STATE_DIR_PREFIX = "nova-canvas-emulator-"

def _int(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError(f"not an integer: {value!r}")
    number = value if isinstance(value, int) else int(str(value).strip())
    if number < 0:
        raise ValueError(f"must not be negative: {value!r}")
    return number


def _structured(value: object) -> object:
    """Text holding JSON (`[...]`, `{...}`) is decoded; anything else is returned as is."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        return json.loads(value)
    return value


def _list(value: object) -> list[str]:
    """A list, JSON list text, or comma-separated text."""
    value = _structured(value)
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _optional_str(value: object) -> str | None:
    text = str(value)
    return text if text else None


def _rules(value: object) -> tuple[Rule, ...]:
    value = _structured(value)
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ValueError("rules must be a list of rule objects (JSON text in an environment variable)")
    try:
        return tuple(parse_rule(item, rule_id=None) for item in value)
    except RuleError as exc:
        raise ValueError(str(exc)) from None


def _mapping(value: object) -> object:
    value = _structured(value)
    if isinstance(value, str):  # `model=state,model=state`
        pairs = (item.partition("=") for item in value.split(",") if item.strip())
        return {key.strip(): val.strip() for key, _, val in pairs}
    return value


_FILTER_KEYS = {
    "blocked_words": "blocked_words",
    "blocked_image_hashes": "blocked_image_hashes",
    "blocked_image_marker": "blocked_image_marker",
    "mask_prompt_failure_words": "mask_prompt_failure_words",
}
_OUTPUT_KEYS = {
    "output_block_mode": "mode",
    "output_block_indices": "indices",
    "output_block_probability": "probability",
    "output_block_words": "words",
}

_SIMPLE: dict[str, Callable[[Any], object]] = {
    "state_path": str,
    "journal_image_cap": _int,
    "journal_limit": _int,
    "control_api": _bool,
    "control_token": _optional_str,
    "seed": _int,
    "allowed_hosts": lambda value: tuple(_list(value)),
}


@dataclass(frozen=True)
class TestDoubleConfig:
    """The test double's start state and storage.

    * `state_path`: the SQLite file holding rules, counters, filters, lifecycle and the journal, shared by
      every worker process of one server; `:memory:` keeps state in the process (one worker only).
      `from_mapping` defaults it to a fresh file in a new temporary directory, so each server start (and all
      of its workers, which receive this config) gets its own; `remove_owned_state()` deletes it.
    * `journal_image_cap`: images (base64 text) up to this many bytes are kept in the journal; larger ones are
      replaced by their sha256 and length.
    * `journal_limit`: the journal keeps the newest this many entries.
    * `control_api`, `control_token`: serve `/_emulator/` (except health), optionally behind a bearer token.
    * `filters`, `lifecycle`, `rules`: the start state of content filters, model lifecycle and fault rules.
    * `seed`: seeds every random decision (probability rules, random latency, probabilistic output blocking).
    """

    __test__ = False  # not a pytest test class

    state_path: str = field(
        default=MEMORY,
        metadata={
            "doc": "SQLite file holding rules, counters, filters, lifecycle and the journal, shared by all "
            "workers. `:memory:` keeps state inside one process (one worker only)."
        },
    )
    owned_state_dir: str | None = None  # bookkeeping, not a setting
    journal_image_cap: int = field(
        default=64 * 1024,
        metadata={
            "doc": "Images (base64 text) up to this many bytes are kept whole in the journal; larger ones "
            "are replaced by their sha256 and length."
        },
    )
    journal_limit: int = field(
        default=10_000, metadata={"doc": "The journal keeps about the newest this many entries."}
    )
    control_api: bool = field(
        default=True,
        metadata={
            "doc": "Serve the control API and the journal page under `/_emulator/`. When `false`, every "
            "`/_emulator/` path except `health` answers Bedrock's unknown-operation 404."
        },
    )
    control_token: str | None = field(
        default=None,
        metadata={
            "doc": "When set, the control API and the journal page's data need "
            "`Authorization: Bearer <token>` (else 401). `health` stays open."
        },
    )
    allowed_hosts: tuple[str, ...] = field(
        default=(),
        metadata={
            "doc": "Host names (besides IP addresses, `localhost` and the bound host) under which the "
            "control API and the journal page answer; `*` allows any. Other `Host` headers get 403, so a "
            "web page cannot reach them through DNS rebinding."
        },
    )
    filters: ContentFilters = field(default_factory=ContentFilters)  # its fields are settings of their own
    lifecycle: Mapping[str, str] = field(
        default_factory=dict,
        metadata={
            "doc": "Simulated model lifecycle: model id `=` `active`, `legacy` or `eol`. Legacy and "
            "end-of-life models answer 404 ResourceNotFoundException."
        },
    )
    rules: tuple[Rule, ...] = field(
        default=(), metadata={"doc": "Start fault and latency rules (JSON; see docs/CONTROL_API.md)."}
    )
    seed: int = field(
        default=0,
        metadata={
            "doc": "Seeds every random decision: probability rules, random latency, probabilistic output "
            "blocking."
        },
    )

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> TestDoubleConfig:
        """Build from snake_case keys (environment variables without their prefix, lowercased, or a file)."""
        own: dict[str, Any] = {}
        filters: dict[str, object] = {}
        output: dict[str, object] = {}
        for key, value in values.items():
            try:
                _take(key, value, own, filters, output)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"setting {key}: {exc}") from None
        if output:
            filters["output_block"] = output
        if own.get("state_path") == "":  # `NOVA_EMULATOR_STATE_PATH=` means the default, not SQLite's "" (a
            del own["state_path"]  # private temporary database per connection, so workers would not share)
        try:
            own["filters"] = filters_from_json(filters)
        except ValueError as exc:
            raise ValueError(f"content filter settings: {exc}") from None
        if "state_path" not in own:
            own["owned_state_dir"] = str(
                Path(tempfile.gettempdir()) / f"{STATE_DIR_PREFIX}{uuid.uuid4().hex}"
            )
            own["state_path"] = str(Path(own["owned_state_dir"]) / STATE_FILE)
        return cls(**own)

    def remove_owned_state(self) -> None:
        """Delete the temporary state directory `from_mapping` chose (call when the server has stopped)."""
        if self.owned_state_dir is not None:
            shutil.rmtree(self.owned_state_dir, ignore_errors=True)

    def start_state_json(self) -> str:
        """A fingerprint of the start state: a store built for another start state is reset on open."""
        return json.dumps(
            {
                "filters": self.filters.to_json(),
                "lifecycle": dict(sorted(self.lifecycle.items())),
                "rules": [rule.to_json() for rule in self.rules],
                "seed": self.seed,
            },
            sort_keys=True,
        )


def _take(
    key: str, value: object, own: dict[str, Any], filters: dict[str, object], output: dict[str, object]
) -> None:
    """Route one setting to the config, the content filters or the output-blocking settings."""
    if key in _SIMPLE:
        own[key] = _SIMPLE[key](value)
    elif key == "rules":
        own["rules"] = _rules(value)
    elif key == "lifecycle":
        own["lifecycle"] = parse_lifecycle(_mapping(value))
    elif key in ("blocked_words", "blocked_image_hashes", "mask_prompt_failure_words"):
        filters[_FILTER_KEYS[key]] = _list(value)
    elif key == "blocked_image_marker":
        filters[key] = _optional_str(value)
    elif key == "output_block_indices" or key == "output_block_words":
        output[_OUTPUT_KEYS[key]] = _list(value)
    elif key in _OUTPUT_KEYS:
        output[_OUTPUT_KEYS[key]] = value
    elif key == "filters":
        structured = _structured(value)
        if not isinstance(structured, Mapping):
            raise ValueError("filters must be a mapping")
        filters.update(structured)
    else:
        raise ValueError("unknown setting")
