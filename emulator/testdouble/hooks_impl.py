"""The test double's implementation of `emulator.hooks.Hooks`: lifecycle, rules, filters, journal, faults.

Rules are evaluated in creation order. Added latency and stalls of every firing rule add up; the first
rule that fires an error or a connection fault ends evaluation. Rules that match on the body run in
`after_parse` (after §2.4 step 9, so never for a malformed body), the rest in `before_body` (after step 6).
Errors are answered at once; connection faults are remembered on the call and applied in `finalize`,
after the journal entry is written, to the response the pipeline produced.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from flask import Response

from emulator.hooks import Call
from emulator.testdouble import faults, lifecycle
from emulator.testdouble.config import TestDoubleConfig
from emulator.testdouble.journal_entry import ResponseSummaries, build_entry
from emulator.testdouble.rules import ERROR, Facts, Rule
from emulator.testdouble.store import Snapshot, Store
from validator.report import BedrockError
from validator.types import InvokeRequest

logger = logging.getLogger("nova_canvas_emulator")

SNAPSHOT = "testdouble.snapshot"
FAULT = "testdouble.fault"
FIRED = "testdouble.fired"


class TestDoubleHooks:
    """Hooks backed by a `Store`; safe to call from many threads and processes at once."""

    __test__ = False  # not a pytest test class

    def __init__(
        self, store: Store, config: TestDoubleConfig, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._store = store
        self._config = config
        self._sleep = sleep
        self._summaries = ResponseSummaries(config.journal_image_cap)

    def _snapshot(self, call: Call) -> Snapshot:
        """One consistent view of the state for the whole request."""
        snap = call.extra.get(SNAPSHOT)
        if not isinstance(snap, Snapshot):
            snap = self._store.snapshot()
            call.extra[SNAPSHOT] = snap
        return snap

    def lifecycle(self, call: Call) -> BedrockError | None:
        """§2.4 step 5: Legacy/EOL simulation."""
        return lifecycle.check(self._snapshot(call).lifecycle, call.model)

    def before_body(self, call: Call) -> BedrockError | None:
        """Rules that do not look at the body."""
        rules = [rule for rule in self._snapshot(call).rules if not rule.match.needs_body]
        return self._run_rules(call, rules, self._facts(call))

    def after_parse(self, call: Call, body: Mapping[str, object]) -> BedrockError | None:
        """Rules that match on the task type or the prompt."""
        rules = [rule for rule in self._snapshot(call).rules if rule.match.needs_body]
        if not rules:
            return None
        task = body.get("taskType")
        facts = self._facts(call, task=task if isinstance(task, str) else None, prompt=_prompt(body))
        return self._run_rules(call, rules, facts)

    def moderate_input(self, call: Call, request: InvokeRequest) -> BedrockError | None:
        """§2.4 step 12: blocked words, blocked images, mask-prompt failures."""
        return self._snapshot(call).filters.moderate(request)

    def blocked_images(self, call: Call, request: InvokeRequest) -> frozenset[int]:
        """§8.3: the indices output moderation drops."""
        return self._snapshot(call).filters.blocked_indices(request, self._config.seed)

    def finalize(self, call: Call, response: Response) -> Response:
        """Journal the call, then turn the response into the connection fault a rule chose, if any."""
        latency_ms = int((time.monotonic() - call.started) * 1000)

        def journal() -> None:
            try:
                columns, entry = build_entry(
                    call, response, self._summaries, self._config.journal_image_cap, latency_ms
                )
                self._store.record(columns, entry)
            except Exception:  # the journal must never turn a Bedrock answer into a different one
                logger.exception("could not journal request %s", call.request_id)

        self._store.after_response(journal)  # journal reads wait for it; the response need not
        fault = call.extra.get(FAULT)
        return faults.apply(fault, response) if isinstance(fault, str) else response

    @staticmethod
    def _facts(call: Call, task: str | None = None, prompt: str | None = None) -> Facts:
        model = call.model.value if call.model is not None else None
        return Facts(model, call.operation, call.attempt, call.headers, task, prompt)

    def _run_rules(self, call: Call, rules: list[Rule], facts: Facts) -> BedrockError | None:
        if call.extra.get(FAULT) is not None:
            return None  # a connection fault was already chosen for this request
        delay, result = 0.0, None
        fired: list[int | None] = call.extra.setdefault(FIRED, [])  # type: ignore[assignment]
        for rule in rules:
            if not rule.match.matches(facts):
                continue
            # Per-call counting needs amz-sdk-invocation-id; without it requests are counted per attempt.
            key = (call.invocation_id or "") if rule.per_call else ""
            action, added = self._store.fire(rule, key)
            if action is None:
                continue
            fired.append(rule.id)
            delay += added
            if action.terminal:
                if action.kind == ERROR:
                    result = action.error()
                else:
                    call.extra[FAULT] = action.kind
                break
        if delay > 0:
            self._sleep(delay)
        return result


def _prompt(body: Mapping[str, object]) -> str | None:
    """The `text` of the task's params object (the first params object carrying one)."""
    for value in body.values():
        if isinstance(value, Mapping):
            text = value.get("text")
            if isinstance(text, str):
                return text
    return None
