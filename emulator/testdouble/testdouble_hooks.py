"""The test double's implementation of `emulator.hooks.Hooks`: lifecycle, rules, filters, journal, faults.

Rules are evaluated in creation order. Added latency and stalls of every firing rule add up; the first
rule that fires an error or a connection fault ends evaluation. Rules that match on the body run in
`after_parse` (once the body parsed, so never for a malformed body), the rest in `before_body`. Errors are
answered at once; a connection fault is recorded on the call (`Call.fault`) and applied in `finalize`,
after the journal entry is written, to the response the pipeline produced.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping

from flask import Response

from emulator.call import Call, FinishReason, TypedRequest
from emulator.testdouble import faults, lifecycle
from emulator.testdouble.config import TestDoubleConfig
from emulator.testdouble.journal_entry import ResponseSummaries, build_entry
from emulator.testdouble.rules import ERROR, Facts, Rule
from emulator.testdouble.store import Snapshot, Store
from validator.report import BedrockError

logger = logging.getLogger("nova_canvas_emulator")


class TestDoubleHooks:
    """Hooks backed by a `Store`; safe to call from many threads and processes at once.

    With `journal=False` (the control API, the journal's only reader, is switched off) no entry is written.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        store: Store,
        config: TestDoubleConfig,
        sleep: Callable[[float], None] = time.sleep,
        *,
        journal: bool = True,
    ) -> None:
        self._store = store
        self._config = config
        self._sleep = sleep
        self._journal = journal
        self._summaries = ResponseSummaries(config.journal_image_cap)
        # The state each call in flight sees, taken at its first hook; an entry goes with its call.
        self._snapshots: weakref.WeakKeyDictionary[Call, Snapshot] = weakref.WeakKeyDictionary()
        self._snapshots_lock = threading.Lock()

    def _snapshot(self, call: Call) -> Snapshot:
        """One consistent view of the state for the whole request."""
        with self._snapshots_lock:
            snap = self._snapshots.get(call)
            if snap is None:
                snap = self._snapshots[call] = self._store.snapshot()
            return snap

    def lifecycle(self, call: Call) -> BedrockError | None:
        """A Legacy or end-of-life model answers 404 (simulated lifecycle)."""
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

    def moderate_input(self, call: Call, request: TypedRequest) -> BedrockError | FinishReason | None:
        """Input moderation: blocked words, blocked images, mask-prompt failures."""
        return self._snapshot(call).filters.moderate(request)

    def blocked_images(self, call: Call, request: TypedRequest) -> frozenset[int]:
        """The image indices output moderation drops (docs/CONTRACT.md §8.3)."""
        return self._snapshot(call).filters.blocked_indices(request, self._config.seed)

    def finalize(self, call: Call, response: Response) -> Response:
        """Journal the call, then turn the response into the connection fault a rule chose, if any."""
        with self._snapshots_lock:
            self._snapshots.pop(call, None)
        if self._journal:
            # Written before the response leaves, so a journal read that follows it finds the entry (in any
            # worker). Deferring the write to after the response saved 4-10% of a request in the server
            # bench, too little to be worth a writer thread and cross-worker pending counters.
            latency_ms = int((time.monotonic() - call.started) * 1000)
            try:
                columns, entry = build_entry(
                    call, response, self._summaries, self._config.journal_image_cap, latency_ms
                )
                self._store.record(columns, entry)
            except Exception:  # the journal must never turn a Bedrock answer into a different one
                logger.exception("could not journal request %s", call.request_id)
        return faults.apply(call.fault, response) if call.fault is not None else response

    @staticmethod
    def _facts(call: Call, task: str | None = None, prompt: str | None = None) -> Facts:
        model = call.model.value if call.model is not None else None
        return Facts(model, call.operation, call.attempt, call.headers, task, prompt)

    def _run_rules(self, call: Call, rules: list[Rule], facts: Facts) -> BedrockError | None:
        if call.fault is not None:
            return None  # a connection fault was already chosen for this request
        delay, result = 0.0, None
        for rule in rules:
            if not rule.match.matches(facts):
                continue
            # Per-call counting needs amz-sdk-invocation-id; without it requests are counted per attempt.
            key = (call.invocation_id or "") if rule.per_call else ""
            action, added = self._store.fire(rule, key)
            if action is None:
                continue
            call.rules_fired.append(rule.id)
            delay += added
            if action.terminal:
                if action.kind == ERROR:
                    result = action.error()
                else:
                    call.fault = action.kind
                break
        if delay > 0:
            self._sleep(delay)
        return result


def _prompt(body: Mapping[str, object]) -> str | None:
    """The `text` of the task's params object (the first params object carrying one); a Stability body's
    `prompt`, or SDXL's first `text_prompts` text."""
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        return prompt
    prompts = body.get("text_prompts")
    if isinstance(prompts, list) and prompts and isinstance(prompts[0], Mapping):
        text = prompts[0].get("text")
        return text if isinstance(text, str) else None
    for value in body.values():
        if isinstance(value, Mapping):
            text = value.get("text")
            if isinstance(text, str):
                return text
    return None
