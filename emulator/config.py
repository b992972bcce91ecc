"""The emulator's configuration: one table of settings, one parser per value type, one frozen object.

Every setting is one row of `SETTINGS`: its name (the key in a file, and `NOVA_EMULATOR_<NAME>` in the
environment), the parser for its value type, its default and its documentation. The README's configuration
reference and `nova-canvas-emulator --help` are generated from the table, so they cannot drift from it.

Three sources, in increasing precedence: a YAML/JSON file (`--config FILE`), the environment, and
command-line flags. `EmulatorConfig.from_sources` is the only code in the project that reads environment
variables; views read the config from the app, never from module globals. The same value text means the same
thing in every source: a list is a YAML/JSON list, JSON list text (`["a","b"]`) or comma-separated text
(`a,b`); a mapping is a YAML/JSON mapping, JSON object text or `key=value,...` text.

Every error names its source and setting (`emulator.yaml: setting port: not an integer: 'two'`); the command
turns it into exit status 2 without a traceback.

The test double's settings are grouped in `EmulatorConfig.testdouble` (a `TestDoubleConfig`), built from the
same table; its content-filter settings are gathered into one `ContentFilters` object. The settings are the
*start state*: every server start, and `POST /_emulator/reset`, return the emulator to them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from validator.stability.models import StabilityModel
from validator.types import ModelId

if TYPE_CHECKING:  # imported when used: the `emulator.testdouble` package imports this module
    from emulator.testdouble.filters import ContentFilters
    from emulator.testdouble.rules import Rule

ENV_PREFIX = "NOVA_EMULATOR_"
#: Every canonical model id the emulator knows, in table order: Nova, Titan, then the Stability AI models.
SERVED_MODEL_IDS_IN_ORDER: tuple[str, ...] = tuple(m.value for m in (*ModelId, *StabilityModel))
SERVED_MODEL_IDS: frozenset[str] = frozenset(SERVED_MODEL_IDS_IN_ORDER)
MEMORY = ":memory:"
STATE_FILE = "state.sqlite3"
STATE_DIR_PREFIX = "nova-canvas-emulator-"

Parser = Callable[[object], Any]


class ConfigError(ValueError):
    """A setting, or a configuration file, that cannot be used; the message names the file and setting."""


# --- one parser per value type -----------------------------------------------------------------------

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def parse_bool(value: object) -> bool:
    """`1/0`, `true/false`, `yes/no`, `on/off` (any case), or a YAML/JSON boolean; anything else fails."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(f"not a boolean: {value!r} (use true/false, 1/0, yes/no or on/off)")


def parse_int(minimum: int, maximum: int | None = None) -> Parser:
    """Whole numbers from `minimum` to `maximum`, as a number or as its decimal text."""

    def parse(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"not an integer: {value!r}")
        try:
            number = value if isinstance(value, int) else int(value.strip(), 10)
        except ValueError:
            raise ValueError(f"not an integer: {value!r}") from None
        if number < minimum:
            raise ValueError(f"must be at least {minimum}, not {number}")
        if maximum is not None and number > maximum:
            raise ValueError(f"must be at most {maximum}, not {number}")
        return number

    return parse


def parse_choice(*choices: str) -> Parser:
    """One of `choices` (any case)."""

    def parse(value: object) -> str:
        text = parse_text(value).strip().lower()
        if text not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, not {value!r}")
        return text

    return parse


def parse_number(value: object) -> float:
    """A number, or its decimal text."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a number: {value!r}")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"not a number: {value!r}") from None


def parse_text(value: object) -> str:
    """Text; a YAML null, boolean or number is refused rather than turned into `None`/`True`/`1`."""
    if not isinstance(value, str):
        raise ValueError(f"must be text, not {_kind(value)} (quote it in YAML)")
    return value


def parse_optional_text(value: object) -> str | None:
    """Text, where empty text means none."""
    return parse_text(value) or None


def parse_secret(value: object) -> str:
    """A token or secret: non-empty text without surrounding whitespace (which no client could present).

    An empty value is an error, never "no secret": an unset CI secret must not silently switch a check off.
    """
    text = parse_text(value)
    if not text:
        raise ValueError("empty; leave the setting out for none")
    if text != text.strip():
        raise ValueError("has spaces around it, which no client would send")
    return text


def _structured(value: object, opener: str) -> object:
    """Text starting with `opener` (`[` or `{`) is decoded as JSON; anything else is returned as is."""
    if isinstance(value, str) and value.strip().startswith(opener):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    return value


def _scalar_text(item: object) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, int | float) and not isinstance(item, bool):
        return str(item)
    raise ValueError(f"list items must be text, not {_kind(item)}")


def parse_list(value: object) -> tuple[str, ...]:
    """A list, JSON list text, or comma-separated text (items stripped, empty items skipped)."""
    value = _structured(value, "[")
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    if not isinstance(value, list | tuple):
        raise ValueError(f"must be a list, not {_kind(value)}")
    return tuple(_scalar_text(item) for item in value)


def parse_int_list(value: object) -> tuple[int, ...]:
    """A list of whole numbers, in any of the list forms."""
    number = parse_int(-(2**63))
    return tuple(number(item) for item in parse_list(value))


def parse_secret_list(value: object) -> frozenset[str]:
    """A non-empty list of secrets (each checked by `parse_secret`), in any of the list forms."""
    if isinstance(value, str) and not value.strip():
        raise ValueError("empty; leave the setting out for none")
    items = parse_list(value)
    for item in items:
        parse_secret(item)
    return frozenset(items)


def parse_mapping(value: object) -> dict[str, str]:
    """A mapping, JSON object text, or `key=value` pairs separated by commas.

    ARNs contain `:` and `/` but never `=` or `,`, so the pairs form holds inference-profile ARNs.
    """
    value = _structured(value, "{")
    if isinstance(value, Mapping):
        return {_scalar_text(key): _scalar_text(val) for key, val in value.items()}
    if not isinstance(value, str):
        raise ValueError(f"must be a mapping or key=value pairs, not {_kind(value)}")
    pairs: dict[str, str] = {}
    for item in value.split(","):
        if not item.strip():
            continue
        key, sep, val = item.strip().partition("=")
        if not sep or not key.strip() or not val.strip():
            raise ValueError(f"expected key=value, got {item.strip()!r}")
        pairs[key.strip()] = val.strip()
    return pairs


def parse_secret_mapping(value: object) -> dict[str, str]:
    """Access key ids mapped to secrets; both are checked by `parse_secret`."""
    if isinstance(value, str) and not value.strip():
        raise ValueError("empty; leave the setting out for none")
    pairs = parse_mapping(value)
    for key, secret in pairs.items():
        parse_secret(key)
        parse_secret(secret)
    return pairs


def parse_aliases(value: object) -> dict[str, str]:
    """Application inference profiles (ARN or id) mapped to one of the served model ids."""
    aliases = parse_mapping(value)
    served = SERVED_MODEL_IDS
    for alias, target in aliases.items():
        if target not in served:
            raise ValueError(f"alias {alias!r} maps to {target!r}, which is not a served model id")
    return aliases


def parse_lifecycle(value: object) -> dict[str, str]:
    """Model ids mapped to `active`, `legacy` or `eol`."""
    from emulator.testdouble.lifecycle import parse_lifecycle as lifecycle_states

    return lifecycle_states(parse_mapping(value))


def parse_rules(value: object) -> tuple[Rule, ...]:
    """A list of rule objects (JSON text in the environment); one object is a list of one."""
    from emulator.testdouble.rules import RuleError, parse_rule

    value = _structured(_structured(value, "["), "{")
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ValueError("must be a list of rule objects (JSON text in an environment variable)")
    try:
        return tuple(parse_rule(item, rule_id=None) for item in value)
    except RuleError as exc:
        raise ValueError(str(exc)) from None


def parse_state_path(value: object) -> str:
    """A file path or `:memory:`; empty text means the default (a new temporary file), not SQLite's `""`
    (a private temporary database per connection, which workers would not share)."""
    return parse_text(value).strip()


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "a mapping"}.get(
        type(value), type(value).__name__
    )


# --- the table -------------------------------------------------------------------------------------------

SERVER = "server"  # a field of EmulatorConfig
TESTDOUBLE = "testdouble"  # a field of TestDoubleConfig
FILTERS = "filters"  # a key of the content filters (`PUT /_emulator/filters` body)
OUTPUT_BLOCK = "output_block"  # a key of the filters' `output_block` object (without the prefix)


@dataclass(frozen=True)
class Setting:
    """One setting: how it is spelt, parsed, defaulted and documented."""

    name: str
    parse: Parser
    default: object
    doc: str
    group: str = SERVER
    value_format: str = "text"  # how a value is written, for the reference

    @property
    def env_var(self) -> str:
        """The environment variable: `NOVA_EMULATOR_` + the name in upper case."""
        return ENV_PREFIX + self.name.upper()

    @property
    def option(self) -> str:
        """The command-line flag spelling (the command offers `--host`, `--port` and `--workers`)."""
        return "--" + self.name.replace("_", "-")

    @property
    def attribute(self) -> str:
        """The name in its group's object."""
        prefix = OUTPUT_BLOCK + "_"
        return self.name[len(prefix) :] if self.group == OUTPUT_BLOCK else self.name


BOOL = "`true`/`false`"
INTEGER = "integer"
LIST = 'list: `a,b` or `["a","b"]`'
MAPPING = 'mapping: `k=v,...` or `{"k":"v"}`'

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "host", parse_text, "127.0.0.1",
        doc="Address to bind. The default accepts loopback connections only; `0.0.0.0` listens on every "
        "interface (the container image sets it).",
    ),
    Setting(
        "port", parse_int(0, 65535), 8000, value_format=INTEGER,
        doc="TCP port for Bedrock Runtime, the control API and the journal page (HTTP/1.1 and h2c). "
        "`0` picks a free port, shown in the ready line.",
    ),
    Setting(
        "workers", parse_int(1, 64), 1, value_format=INTEGER,
        doc="Worker processes. All workers share one state (rules, counters, journal).",
    ),
    Setting(
        "shutdown_timeout", parse_int(1, 600), 5, value_format=INTEGER,
        doc="Seconds SIGTERM or Ctrl-C waits for calls in flight; connections still open then are closed.",
    ),
    Setting(
        "log_level", parse_choice("info", "debug"), "info", value_format="`info` or `debug`",
        doc="`info`: the ready line, then one line per request (and warnings). "
        "`debug` adds the HTTP server's own lines (workers starting and stopping).",
    ),
    Setting(
        "strict_content_type", parse_bool, False, value_format=BOOL,
        doc="Reject `Content-Type: application/octet-stream` (what the JS SDK sends without `contentType`) "
        "instead of accepting it with a warning.",
    ),
    Setting(
        "model_aliases", parse_aliases, {}, value_format=MAPPING,
        doc="Application inference profiles: profile ARN or id `=` one of the served model ids.",
    ),
    Setting(
        "historic_models", parse_bool, False, value_format=BOOL,
        doc="Serve the retired Stability AI ids (`stability.stable-image-core-v1:0`, "
        "`stability.stable-image-ultra-v1:0`, `stability.sd3-large-v1:0`, "
        "`stability.stable-diffusion-xl-v1`). Off, they answer 404 ResourceNotFoundException with Bedrock's "
        "end-of-life text, as Bedrock does now; `stability.stable-diffusion-xl-v0` always does "
        "(docs/CONTRACT.md §S1.3, D-S1).",
    ),
    Setting(
        "strict_auth", parse_bool, False, value_format=BOOL,
        doc="Require credentials: a SigV4 access key from `access_keys` with a valid signature, or a token "
        "from `bearer_tokens`; anything else gets AWS's 403 errors. Off: any or no credentials pass.",
    ),
    Setting(
        "access_keys", parse_secret_mapping, {}, value_format=MAPPING,
        doc="For `strict_auth`: SigV4 access key ids `=` their secret keys (signatures are verified). Empty "
        "values and values with spaces around them are refused.",
    ),
    Setting(
        "bearer_tokens", parse_secret_list, frozenset(), value_format=LIST,
        doc="For `strict_auth`: accepted Bedrock API keys (`Authorization: Bearer <token>`). Empty values "
        "and tokens with spaces around them are refused.",
    ),
    Setting(
        "caption", parse_bool, True, value_format=BOOL,
        doc="Draw a caption (task, seed, image index, prompt) into the generated pictures.",
    ),
    Setting(
        "response_cache_size", parse_int(0), 128, value_format=INTEGER,
        doc="Finished responses each worker keeps for repeated identical requests; `0` turns the cache off.",
    ),
    Setting(
        "access_log", parse_bool, True, value_format=BOOL,
        doc="Print one line per request: method, path, status, Bedrock error type, time, request id.",
    ),
    Setting(
        "state_path", parse_state_path, "", group=TESTDOUBLE,
        doc="SQLite file holding rules, counters, filters, lifecycle and the journal, shared by all workers "
        "and owned by one server at a time. Each start resets it to the settings. `:memory:` keeps state "
        "inside one process (one worker only). Default: a new temporary file per start.",
    ),
    Setting(
        "journal_image_cap", parse_int(0), 64 * 1024, group=TESTDOUBLE, value_format=INTEGER,
        doc="Images (base64 text) up to this many bytes are kept whole in the journal; larger ones are "
        "replaced by their sha256 and length. Every image also gets a small thumbnail, whatever this says.",
    ),
    Setting(
        "journal_limit", parse_int(0), 10_000, group=TESTDOUBLE, value_format=INTEGER,
        doc="The journal keeps about the newest this many entries.",
    ),
    Setting(
        "control_api", parse_bool, True, group=TESTDOUBLE, value_format=BOOL,
        doc="Serve the control API and the journal page under `/_emulator/`. When `false`, every "
        "`/_emulator/` path except `health` answers Bedrock's unknown-operation 404.",
    ),
    Setting(
        "control_token", parse_secret, None, group=TESTDOUBLE,
        doc="When set, the control API and the journal page's data need `Authorization: Bearer <token>` "
        "(else 401). `health` stays open. An empty value, or one with spaces around it, is refused.",
    ),
    Setting(
        "allowed_hosts", parse_list, (), group=TESTDOUBLE, value_format=LIST,
        doc="Host names (besides IP addresses, `localhost` and the bound host) under which the control API "
        "and the journal page answer; `*` allows any. Other `Host` headers get 403, so a web page cannot "
        "reach them through DNS rebinding.",
    ),
    Setting(
        "blocked_words", parse_list, (), group=FILTERS, value_format=LIST,
        doc="Input moderation: words in `text` or `negativeText`, or in a Stability model's prompts (whole "
        "word, any case), that get Bedrock's content-filter ValidationException (a Stability model: "
        "`Filter reason: prompt`).",
    ),
    Setting(
        "blocked_image_hashes", parse_list, (), group=FILTERS, value_format=LIST,
        doc="Input moderation: sha256 (hex) of an input image's base64 string as sent.",
    ),
    Setting(
        "blocked_image_marker", parse_optional_text, None, group=FILTERS,
        doc="Input moderation: an input image whose decoded bytes contain this text is blocked (for "
        "example a PNG `tEXt` chunk).",
    ),
    Setting(
        "mask_prompt_failure_words", parse_list, (), group=FILTERS, value_format=LIST,
        doc="A `maskPrompt` containing one of these words fails with Bedrock's mask-generation text.",
    ),
    Setting(
        "output_block_mode", parse_text, "none", group=OUTPUT_BLOCK,
        doc="Output moderation: `none`, `all`, `indices` or `probability`. Blocked images are dropped and "
        "the 200 body carries `error` (a Stability model: `Filter reason: output image`).",
    ),
    Setting(
        "output_block_indices", parse_int_list, (), group=OUTPUT_BLOCK, value_format="list of integers",
        doc="With `indices`: the image indices to drop.",
    ),
    Setting(
        "output_block_probability", parse_number, 0.0, group=OUTPUT_BLOCK, value_format="number",
        doc="With `probability`: the chance each image is dropped (decided by `seed`, the request and the "
        "index).",
    ),
    Setting(
        "output_block_words", parse_list, (), group=OUTPUT_BLOCK, value_format=LIST,
        doc="Only block output for prompts containing one of these words.",
    ),
    Setting(
        "lifecycle", parse_lifecycle, {}, group=TESTDOUBLE, value_format=MAPPING,
        doc="Simulated model lifecycle: model id `=` `active`, `legacy` or `eol`. Legacy and end-of-life "
        "models answer 404 ResourceNotFoundException.",
    ),
    Setting(
        "rules", parse_rules, (), group=TESTDOUBLE, value_format="JSON list of objects (a list in a file)",
        doc="Start fault and latency rules (JSON; see docs/CONTROL_API.md).",
    ),
    Setting(
        "seed", parse_int(0), 0, group=TESTDOUBLE, value_format=INTEGER,
        doc="Seeds every random decision: probability rules, random latency, probabilistic output blocking.",
    ),
)  # fmt: skip

BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}
FILTER_GROUPS = (FILTERS, OUTPUT_BLOCK)


def _field(name: str) -> Any:
    """The dataclass field for a setting: its default from the table (copied when mutable)."""
    default = BY_NAME[name].default
    if isinstance(default, dict):
        return field(default_factory=dict)
    return field(default=default)


def _default_filters() -> ContentFilters:
    from emulator.testdouble.filters import ContentFilters

    return ContentFilters()


# --- the configuration objects ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TestDoubleConfig:
    """The test double's start state and storage (the `testdouble`, `filters` and `output_block` rows).

    `state_path` is a fresh file in a new temporary directory when the settings leave it out
    (`owned_state_dir`), so each server start gets its own; `remove_owned_state()` deletes it.
    """

    __test__ = False  # not a pytest test class

    state_path: str = MEMORY  # direct construction (tests, embedding) keeps state in the process
    journal_image_cap: int = _field("journal_image_cap")
    journal_limit: int = _field("journal_limit")
    control_api: bool = _field("control_api")
    control_token: str | None = _field("control_token")
    allowed_hosts: tuple[str, ...] = _field("allowed_hosts")
    filters: ContentFilters = field(default_factory=_default_filters)
    lifecycle: Mapping[str, str] = _field("lifecycle")
    rules: tuple[Rule, ...] = _field("rules")
    seed: int = _field("seed")
    owned_state_dir: str | None = None  # bookkeeping, not a setting

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> TestDoubleConfig:
        """Build from snake_case keys of the test double's settings only."""
        return _build(_flatten(values), groups=(TESTDOUBLE, *FILTER_GROUPS)).testdouble

    def remove_owned_state(self) -> None:
        """Delete the temporary state directory chosen for this server (call when the server has stopped)."""
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


@dataclass(frozen=True)
class EmulatorConfig:
    """Every setting of the emulator (the `server` rows), with the test double's settings in `testdouble`."""

    host: str = _field("host")
    port: int = _field("port")
    workers: int = _field("workers")
    shutdown_timeout: int = _field("shutdown_timeout")
    log_level: str = _field("log_level")
    strict_content_type: bool = _field("strict_content_type")
    model_aliases: Mapping[str, str] = _field("model_aliases")
    historic_models: bool = _field("historic_models")
    strict_auth: bool = _field("strict_auth")
    access_keys: Mapping[str, str] = _field("access_keys")
    bearer_tokens: frozenset[str] = _field("bearer_tokens")
    caption: bool = _field("caption")
    response_cache_size: int = _field("response_cache_size")
    access_log: bool = _field("access_log")
    testdouble: TestDoubleConfig = field(default_factory=TestDoubleConfig)

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> EmulatorConfig:
        """Build from snake_case keys (a nested `testdouble` or `filters` mapping is flattened)."""
        return _build(_flatten(values))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> EmulatorConfig:
        """Build from `NOVA_EMULATOR_*` variables."""
        return cls.from_sources(environ=environ)

    @classmethod
    def from_file(cls, path: str | Path) -> EmulatorConfig:
        """Build from a YAML or JSON file holding one mapping of snake_case keys."""
        return cls.from_sources(file=path)

    @classmethod
    def from_sources(
        cls,
        *,
        file: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
        overrides: Mapping[str, object] | None = None,
    ) -> EmulatorConfig:
        """Merge file < environment < overrides (command-line flags), then build once.

        Errors name where the value came from: the file, the environment variable or the flag.
        """
        merged: dict[str, object] = {}
        sources: dict[str, str] = {}
        if file is not None:
            for key, value in _flatten(file_values(file), source=str(file)).items():
                merged[key], sources[key] = value, f"{file}: setting {key}"
        for key, value in env_values(environ or {}).items():
            merged[key], sources[key] = value, f"setting {key} ({ENV_PREFIX}{key.upper()})"
        for key, value in (overrides or {}).items():
            if value is not None:
                option = BY_NAME[key].option if key in BY_NAME else key
                merged[key], sources[key] = value, f"setting {key} ({option})"
        return _build(merged, sources=sources)


def _flatten(values: Mapping[str, object], source: str | None = None) -> dict[str, object]:
    """Flat keys from a file's optional `testdouble:` and `filters:` sections (`filters:` takes the body of
    `PUT /_emulator/filters`, whose `output_block` object holds the `output_block_*` settings)."""
    where = f"{source}: " if source else ""
    flat: dict[str, object] = {}
    for key, value in values.items():
        if key in (TESTDOUBLE, FILTERS) and key not in BY_NAME:
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where}section {key}: must be a mapping of settings")
            inner = dict(value)
            output = inner.pop(OUTPUT_BLOCK, None) if key == FILTERS else None
            if output is not None:
                if not isinstance(output, Mapping):
                    raise ConfigError(f"{where}section filters: output_block must be a mapping")
                inner.update({f"{OUTPUT_BLOCK}_{name}": val for name, val in output.items()})
            flat.update(_flatten(inner, source))
        else:
            flat[key] = value
    return flat


def _build(
    values: Mapping[str, object],
    *,
    sources: Mapping[str, str] | None = None,
    groups: Iterable[str] = (SERVER, TESTDOUBLE, *FILTER_GROUPS),
) -> EmulatorConfig:
    """Parse every value with its setting's parser and assemble the objects; the one place errors are made."""
    allowed = set(groups)
    server: dict[str, Any] = {}
    testdouble: dict[str, Any] = {}
    filters: dict[str, Any] = {}
    output: dict[str, Any] = {}
    targets = {SERVER: server, TESTDOUBLE: testdouble, FILTERS: filters, OUTPUT_BLOCK: output}

    def where(key: str) -> str:
        return (sources or {}).get(key, f"setting {key}")

    for key, value in values.items():
        setting = BY_NAME.get(key)
        if setting is None or setting.group not in allowed:
            raise ConfigError(f"{where(key)}: unknown setting")
        try:
            targets[setting.group][setting.attribute] = setting.parse(value)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{where(key)}: {exc}") from None
    if output:
        filters[OUTPUT_BLOCK] = output
    try:
        from emulator.testdouble.filters import filters_from_json

        testdouble["filters"] = filters_from_json(filters)
    except ValueError as exc:
        names = ", ".join(sorted(key for key in values if BY_NAME[key].group in FILTER_GROUPS))
        raise ConfigError(f"content filter settings ({names}): {exc}") from None
    if not testdouble.get("state_path"):
        owned = Path(tempfile.gettempdir()) / f"{STATE_DIR_PREFIX}{uuid.uuid4().hex}"
        testdouble["owned_state_dir"] = str(owned)
        testdouble["state_path"] = str(owned / STATE_FILE)
    config = EmulatorConfig(**server, testdouble=TestDoubleConfig(**testdouble))
    if config.testdouble.state_path == MEMORY and config.workers > 1:
        raise ConfigError(
            f"{where('state_path')}: `:memory:` keeps state inside one process, so it cannot be shared by "
            f"{config.workers} workers (set workers to 1, or give state_path a file)"
        )
    return config


def with_port(config: EmulatorConfig, port: int) -> EmulatorConfig:
    """The same configuration on another port (the port the system chose for `port: 0`)."""
    return replace(config, port=port)


def env_values(environ: Mapping[str, str]) -> dict[str, str]:
    """The `NOVA_EMULATOR_*` variables as snake_case keys (`NOVA_EMULATOR_STRICT_AUTH` -> `strict_auth`)."""
    return {
        name[len(ENV_PREFIX) :].lower(): value
        for name, value in environ.items()
        if name.startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX)
    }


def file_values(path: str | Path) -> dict[str, object]:
    """Load a YAML or JSON config file; its top level must be a mapping. Every failure is a `ConfigError`
    naming the file (and the line and column of a syntax error)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the configuration file is not UTF-8 text") from None
    try:
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        at = f"line {exc.lineno}, column {exc.colno}"
        raise ConfigError(f"{path}: invalid JSON at {at}: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(f"{path}: invalid YAML{at}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: the top level must be a mapping of settings, not {_kind(data)}")
    return {str(key): value for key, value in data.items()}
