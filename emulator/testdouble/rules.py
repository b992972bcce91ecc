"""Fault and latency rules (docs/CONTRACT.md §8.6, docs/CONTRACT.md §8.7): what they match, what they do, when
they fire.

A rule, as JSON (every key but `action`/`sequence` is optional):

    {"name": "throttle twice",
     "match": {"model": "amazon.nova-canvas-v1:0", "operation": "invoke", "task": "TEXT_IMAGE",
               "prompt": "cat|dog", "header": {"name": "user-agent", "pattern": "Boto3"}, "attempt": [1, 2]},
     "action": {"error": "ThrottlingException", "message": "optional custom text"},
     "sequence": ["ThrottlingException", "ThrottlingException", "ok"],
     "times": 2, "probability": 0.5, "count": "attempt" | "call"}

Actions: `{"error": <any docs/CONTRACT.md §2.9 exception>, "message": ...}`; `{"latency_ms": 250}` or
`{"latency_ms": [100, 400]}` (random within bounds, seeded; may be added to any other action);
`{"stall_s": 90}` (sleep past the client's read timeout, then answer normally);
`{"fault": "reset" | "empty" | "truncate" | "invalid_json"}`; `{"fault": "inference_error"}` (a Stability
model fails at generation: a valid request gets the 200 `{"finish_reasons":["Inference error"]}`, SDXL an
artifact with `finishReason: ERROR`, docs/CONTRACT.md §S5.3; other models answer normally); and `"ok"` (do
nothing). A string is shorthand: an exception name, `ok`, `stall` or a fault name.

Firing: every match (default), the first `times` matches, with `probability` (seeded), or one `sequence`
step per match (after the last step the rule stays quiet). `count: call` keeps those counters per SDK call
(`amz-sdk-invocation-id`) instead of per attempt, so "fail twice, then succeed" holds for every call.

Matchers on `task` or `prompt` look at the body, so they are evaluated after JSON parsing (docs/CONTRACT.md
§2.4) and never fire for a malformed body; all others are evaluated before the body is parsed. `model` takes
every served id, the Stability AI ones included; `prompt` reads a Stability body's `prompt` (SDXL: its first
`text_prompts` text); `task` names Nova/Titan task types only (a Stability body has none).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from emulator.call import INFERENCE_ERROR_FAULT
from emulator.config import SERVED_MODEL_IDS
from validator import messages
from validator.report import BedrockError
from validator.types import TaskType

ERROR = "error"
OK = "ok"
STALL = "stall"
CONNECTION_FAULTS = ("reset", "empty", "truncate", "invalid_json")
# Faults: the connection faults the test double applies itself, and a model failure the pipeline answers.
FAULTS = (*CONNECTION_FAULTS, INFERENCE_ERROR_FAULT)
OPERATIONS = ("invoke", "invoke-with-response-stream", "converse", "converse-stream")
DEFAULT_STALL_S = 65.0  # just past botocore's default read_timeout of 60 s
MAX_DELAY_S = 86_400  # a day is "never" for a test; far larger delays overflow time.sleep (a 500)


class RuleError(ValueError):
    """A rule that cannot be parsed; the message names the offending part."""


@dataclass(frozen=True)
class HeaderMatch:
    """A request header (case-insensitive name) whose value matches `pattern` (re.search)."""

    name: str
    pattern: str


@dataclass(frozen=True)
class Match:
    """What a rule matches; empty members match everything."""

    models: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    prompt: str | None = None
    header: HeaderMatch | None = None
    attempts: tuple[int, ...] = ()

    @property
    def needs_body(self) -> bool:
        """True when matching looks at the parsed body (evaluated after docs/CONTRACT.md §2.4 step 9)."""
        return bool(self.tasks) or self.prompt is not None

    @cached_property
    def _prompt_re(self) -> re.Pattern[str] | None:
        return re.compile(self.prompt) if self.prompt is not None else None

    @cached_property
    def _header_re(self) -> re.Pattern[str] | None:
        return re.compile(self.header.pattern) if self.header is not None else None

    def matches(self, facts: Facts) -> bool:
        """True when every given matcher accepts the request."""
        if self.models and facts.model not in self.models:
            return False
        if self.operations and facts.operation not in self.operations:
            return False
        if self.attempts and facts.attempt not in self.attempts:
            return False
        if self.header is not None and self._header_re is not None:
            value = facts.headers.get(self.header.name.lower())
            if value is None or not self._header_re.search(value):
                return False
        if self.tasks and facts.task not in self.tasks:
            return False
        return self._prompt_re is None or bool(self._prompt_re.search(facts.prompt or ""))


@dataclass(frozen=True)
class Facts:
    """What rules may look at; `task` and `prompt` are None before the body is parsed."""

    model: str | None
    operation: str | None
    attempt: int | None
    headers: Mapping[str, str]
    task: str | None = None
    prompt: str | None = None


@dataclass(frozen=True)
class Action:
    """What a firing rule does. `kind` is `error`, `ok`, `stall` or a connection fault."""

    kind: str
    exception: str | None = None
    message: str | None = None
    latency_ms: tuple[int, int] | None = None
    stall_s: float | None = None

    @property
    def terminal(self) -> bool:
        """An error or a fault ends rule evaluation for the request."""
        return self.kind == ERROR or self.kind in FAULTS

    def error(self) -> BedrockError | None:
        """The Bedrock error this action answers with, with the real default text unless overridden."""
        if self.kind != ERROR or self.exception is None:
            return None
        text = (
            self.message if self.message is not None else messages.DEFAULT_EXCEPTION_MESSAGE[self.exception]
        )
        return BedrockError(self.exception, messages.EXCEPTION_STATUS[self.exception], text)

    def delay_s(self, rng: random.Random) -> float:
        """Seconds to sleep before acting: added latency (random within bounds) plus any stall."""
        delay = self.stall_s or 0.0
        if self.latency_ms is not None:
            low, high = self.latency_ms
            delay += (low if low == high else rng.randint(low, high)) / 1000
        return delay

    def to_json(self) -> object:
        """The JSON form accepted by `parse_action`."""
        data: dict[str, object] = {}
        if self.kind == ERROR:
            data["error"] = self.exception
            if self.message is not None:
                data["message"] = self.message
        elif self.kind in FAULTS:
            data["fault"] = self.kind
        elif self.kind == STALL:
            data["stall_s"] = self.stall_s
        if self.latency_ms is not None:
            low, high = self.latency_ms
            data["latency_ms"] = low if low == high else [low, high]
        return data or OK


@dataclass(frozen=True)
class Rule:
    """One rule; `id` is assigned by the store (None for configured rules before they are stored)."""

    id: int | None
    match: Match
    action: Action | None = None
    sequence: tuple[Action, ...] = ()
    times: int | None = None
    probability: float | None = None
    per_call: bool = False
    name: str | None = None

    def to_json(self) -> dict[str, object]:
        """The JSON form accepted by `parse_rule` (plus `id`)."""
        data: dict[str, object] = {"id": self.id} if self.id is not None else {}
        if self.name is not None:
            data["name"] = self.name
        data["match"] = _match_json(self.match)
        if self.action is not None:
            data["action"] = self.action.to_json()
        if self.sequence:
            data["sequence"] = [step.to_json() for step in self.sequence]
        if self.times is not None:
            data["times"] = self.times
        if self.probability is not None:
            data["probability"] = self.probability
        data["count"] = "call" if self.per_call else "attempt"
        return data

    def decide(self, matched: int, fired: int, rng: random.Random) -> Action | None:
        """The action for the `matched`-th match (1-based) when `fired` earlier matches fired, or None."""
        if self.times is not None and fired >= self.times:
            return None
        if self.sequence:
            step = matched - 1
            return self.sequence[step] if step < len(self.sequence) else None
        if self.probability is not None and rng.random() >= self.probability:
            return None
        return self.action


def rule_rng(seed: int, rule_id: int | None, key: str, matched: int) -> random.Random:
    """The random source for one match of one rule: reproducible whatever process or thread serves it."""
    return random.Random(f"{seed}:{rule_id}:{key}:{matched}")


def _match_json(match: Match) -> dict[str, object]:
    data: dict[str, object] = {}
    if match.models:
        data["model"] = list(match.models)
    if match.operations:
        data["operation"] = list(match.operations)
    if match.tasks:
        data["task"] = list(match.tasks)
    if match.prompt is not None:
        data["prompt"] = match.prompt
    if match.header is not None:
        data["header"] = {"name": match.header.name, "pattern": match.header.pattern}
    if match.attempts:
        data["attempt"] = list(match.attempts)
    return data


_RULE_KEYS = frozenset({"id", "name", "match", "action", "sequence", "times", "probability", "count"})
_MATCH_KEYS = frozenset({"model", "operation", "task", "prompt", "header", "attempt"})
_ACTION_KEYS = frozenset({"error", "message", "latency_ms", "stall_s", "fault"})


def parse_rule(data: object, rule_id: int | None) -> Rule:
    """Parse a rule from its JSON form; raises RuleError naming what is wrong."""
    if not isinstance(data, Mapping):
        raise RuleError("a rule must be a JSON object")
    _no_unknown(data, _RULE_KEYS, "rule")
    if ("action" in data) == ("sequence" in data):
        raise RuleError("a rule needs exactly one of action or sequence")
    sequence = data.get("sequence", [])
    if not isinstance(sequence, list) or ("sequence" in data and not sequence):
        raise RuleError("sequence must be a non-empty list of actions")
    count = data.get("count", "attempt")
    if count not in ("attempt", "call"):
        raise RuleError("count must be attempt or call")
    name = data.get("name")
    return Rule(
        id=rule_id,
        match=parse_match(data.get("match", {})),
        action=parse_action(data["action"]) if "action" in data else None,
        sequence=tuple(parse_action(step) for step in sequence),
        times=_optional_int(data.get("times"), "times", minimum=0),
        probability=_probability(data.get("probability")),
        per_call=count == "call",
        name=str(name) if name is not None else None,
    )


def parse_match(data: object) -> Match:
    """Parse the `match` object."""
    if not isinstance(data, Mapping):
        raise RuleError("match must be a JSON object")
    _no_unknown(data, _MATCH_KEYS, "match")
    models = _names(data.get("model"), "model")
    served = SERVED_MODEL_IDS
    if any(m not in served for m in models):
        raise RuleError(f"match.model must be canonical model ids: {', '.join(sorted(served))}")
    operations = _names(data.get("operation"), "operation")
    if any(op not in OPERATIONS for op in operations):
        raise RuleError(f"match.operation must be one of {', '.join(OPERATIONS)}")
    tasks = _names(data.get("task"), "task")
    if any(t not in TaskType.__members__ for t in tasks):
        raise RuleError(f"match.task must be task types: {', '.join(TaskType.__members__)}")
    prompt = data.get("prompt")
    return Match(
        models=models,
        operations=operations,
        tasks=tasks,
        prompt=_regex(prompt, "match.prompt") if prompt is not None else None,
        header=_header(data.get("header")),
        attempts=tuple(
            _optional_int(a, "match.attempt", minimum=1) or 1 for a in _as_list(data.get("attempt"))
        ),
    )


def parse_action(data: object) -> Action:
    """Parse an action: an object, or the shorthand string (exception name, `ok`, `stall` or a fault name)."""
    if isinstance(data, str):
        return _action_from_name(data)
    if not isinstance(data, Mapping):
        raise RuleError("an action must be a JSON object or a name")
    _no_unknown(data, _ACTION_KEYS, "action")
    kinds = [key for key in ("error", "stall_s", "fault") if key in data]
    if len(kinds) > 1:
        raise RuleError("an action has at most one of error, stall_s and fault")
    latency = _latency(data.get("latency_ms"))
    base = _action_from_name(str(data[kinds[0]]) if kinds[0] != "stall_s" else STALL) if kinds else Action(OK)
    if "message" in data and base.kind != ERROR:
        raise RuleError("message is only allowed with error")
    stall = _stall_s(data.get("stall_s")) if base.kind == STALL else None
    message = str(data["message"]) if "message" in data else None
    return Action(base.kind, base.exception, message, latency, stall)


def _action_from_name(name: str) -> Action:
    if name in messages.EXCEPTION_STATUS:
        return Action(ERROR, exception=name)
    if name == OK:
        return Action(OK)
    if name == STALL:
        return Action(STALL, stall_s=DEFAULT_STALL_S)
    if name in FAULTS:
        return Action(name)
    known = ", ".join([*messages.EXCEPTION_STATUS, OK, STALL, *FAULTS])
    raise RuleError(f"unknown action {name!r}; expected one of {known}")


def _no_unknown(data: Mapping[str, object], allowed: frozenset[str], what: str) -> None:
    unknown = sorted(set(map(str, data)) - allowed)
    if unknown:
        raise RuleError(f"unknown {what} key(s): {', '.join(unknown)}")


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _names(value: object, what: str) -> tuple[str, ...]:
    items = _as_list(value)
    if not all(isinstance(item, str) for item in items):
        raise RuleError(f"match.{what} must be a string or a list of strings")
    return tuple(str(item) for item in items)


def _regex(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise RuleError(f"{what} must be a regular expression string")
    try:
        re.compile(value)
    except re.error as exc:
        raise RuleError(f"{what} is not a valid regular expression: {exc}") from None
    return value


def _header(value: object) -> HeaderMatch | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not isinstance(value.get("name"), str):
        raise RuleError('match.header must be {"name": ..., "pattern": ...}')
    return HeaderMatch(str(value["name"]), _regex(value.get("pattern", ""), "match.header.pattern"))


def _optional_int(value: object, what: str, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RuleError(f"{what} must be an integer of at least {minimum}")
    return value


def _probability(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise RuleError("probability must be a number between 0 and 1")
    return float(value)


def _latency(value: object) -> tuple[int, int] | None:
    if value is None:
        return None
    bounds = _as_list(value)
    if len(bounds) not in (1, 2) or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
        raise RuleError("latency_ms must be an integer or [min, max] integers")
    low, high = int(str(bounds[0])), int(str(bounds[-1]))
    if low < 0 or high < low or high > MAX_DELAY_S * 1000:
        raise RuleError(f"latency_ms bounds must satisfy 0 <= min <= max <= {MAX_DELAY_S * 1000}")
    return (low, high)


def _stall_s(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_DELAY_S:
        raise RuleError(f"stall_s must be a positive number of seconds, at most {MAX_DELAY_S}")
    return float(value)
