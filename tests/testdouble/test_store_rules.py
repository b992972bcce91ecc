"""Units: rule parsing and firing, the shared SQLite store, configuration parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator.testdouble.config import MEMORY, TestDoubleConfig
from emulator.testdouble.filters import filters_from_json
from emulator.testdouble.rules import Action, RuleError, parse_action, parse_rule, rule_rng
from emulator.testdouble.store import JournalQuery, Store
from validator import messages


def test_rule_json_round_trips() -> None:
    data = {
        "name": "n",
        "match": {
            "model": ["amazon.nova-canvas-v1:0"],
            "task": ["TEXT_IMAGE"],
            "prompt": "x",
            "attempt": [1],
        },
        "sequence": [
            {"error": "ThrottlingException", "message": "m"},
            {"latency_ms": [5, 10]},
            "ok",
            "reset",
        ],
        "times": 3,
        "count": "call",
    }
    rule = parse_rule(data, rule_id=None)
    assert parse_rule(rule.to_json(), rule_id=None) == rule
    assert rule.match.needs_body and rule.per_call


@pytest.mark.parametrize(
    "bad",
    [
        {"action": "ok", "extra": 1},
        {"action": {"error": "ThrottlingException", "fault": "reset"}},
        {"action": {"latency_ms": [10, 5]}},
        {"action": {"fault": "reset", "message": "x"}},
        {"action": "ok", "match": {"model": "amazon.nova-lite-v1:0"}},
        {"action": "ok", "match": {"task": "PAINT"}},
        {"action": "ok", "probability": 2},
        {"sequence": []},
    ],
)
def test_invalid_rules_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(RuleError):
        parse_rule(bad, rule_id=None)


def test_error_action_uses_the_real_default_text() -> None:
    error = parse_action("ModelNotReadyException").error()
    assert error is not None
    assert (error.status, error.message) == (
        429,
        messages.DEFAULT_EXCEPTION_MESSAGE["ModelNotReadyException"],
    )


def test_random_latency_is_seeded_and_bounded() -> None:
    action = Action("ok", latency_ms=(100, 200))
    delays = [action.delay_s(rule_rng(3, 1, "", n)) for n in range(1, 50)]
    assert delays == [action.delay_s(rule_rng(3, 1, "", n)) for n in range(1, 50)]
    assert all(0.1 <= d <= 0.2 for d in delays) and len(set(delays)) > 10


def test_probability_rule_fires_reproducibly() -> None:
    rule_json = {"action": "ThrottlingException", "probability": 0.3}

    def pattern() -> list[bool]:
        store = Store(TestDoubleConfig(seed=11))
        rule = store.add_rule(parse_rule(rule_json, rule_id=None))
        return [store.fire(rule, "")[0] is not None for _ in range(200)]

    first = pattern()
    assert first == pattern()
    assert 30 < sum(first) < 90


def test_sequence_goes_quiet_after_its_last_step() -> None:
    store = Store(TestDoubleConfig())
    rule = store.add_rule(parse_rule({"sequence": ["InternalServerException", "ok"]}, rule_id=None))
    kinds = [(a.kind if a else None) for a, _ in (store.fire(rule, "") for _ in range(4))]
    assert kinds == ["error", "ok", None, None]


def test_two_stores_on_one_file_share_everything(tmp_path: Path) -> None:
    config = TestDoubleConfig(state_path=str(tmp_path / "state.sqlite3"), journal_limit=5)
    worker_a, worker_b = Store(config), Store(config)
    rule = worker_a.add_rule(parse_rule({"action": "ThrottlingException", "times": 3}, rule_id=None))
    assert worker_b.snapshot().rules == (rule,)
    fired = [worker.fire(rule, "")[0] is not None for worker in (worker_a, worker_b) * 3]
    assert fired == [True, True, True, False, False, False]
    for n in range(300):
        (worker_a if n % 2 else worker_b).record({"status": 200}, {"n": n})
    page = worker_a.journal(JournalQuery(limit=1000))
    assert page.total < 300 and page.entries[-1]["n"] == 299  # pruned to about journal_limit
    worker_b.reset()
    assert worker_a.snapshot().rules == () and worker_a.journal(JournalQuery()).total == 0


def test_every_state_change_reaches_a_worker_with_a_cached_snapshot(tmp_path: Path) -> None:
    config = TestDoubleConfig(state_path=str(tmp_path / "state.sqlite3"))
    worker_a, worker_b = Store(config), Store(config)
    cached = worker_b.snapshot()
    worker_a.record({"status": 200}, {"n": 1})  # journal and counters are not part of the snapshot
    assert worker_b.snapshot() is cached and worker_a.snapshot() == cached
    rule = worker_a.add_rule(parse_rule({"action": "ok"}, rule_id=None))
    assert worker_b.snapshot().rules == (rule,)
    worker_a.set_lifecycle({"amazon.nova-canvas-v1:0": "LEGACY"})
    assert worker_b.snapshot().lifecycle == {"amazon.nova-canvas-v1:0": "LEGACY"}
    worker_a.set_filters(filters_from_json({"blocked_words": ["forbidden"]}))
    assert worker_b.snapshot().filters == worker_a.snapshot().filters != cached.filters
    worker_b.delete_rule(rule.id or 0)  # a worker's own change, then the other's
    assert worker_b.snapshot().rules == () and worker_a.snapshot().rules == ()
    worker_a.add_rule(rule)
    worker_a.clear_rules()
    assert worker_b.snapshot().rules == ()
    worker_b.reset()
    assert worker_a.snapshot().lifecycle == {} and worker_a.snapshot().filters == cached.filters
    assert Store(config).snapshot() == worker_a.snapshot()  # a new worker starts from the same state


def test_a_new_worker_does_not_wipe_a_running_servers_state(tmp_path: Path) -> None:
    config = TestDoubleConfig(state_path=str(tmp_path / "s.sqlite3"))
    first = Store(config)
    first.add_rule(parse_rule({"action": "ok"}, rule_id=None))
    assert len(Store(config).snapshot().rules) == 1


def test_config_from_environment_strings() -> None:
    rules = json.dumps([{"action": "ThrottlingException"}])
    config = TestDoubleConfig.from_mapping(
        {
            "blocked_words": "a, b",
            "output_block_mode": "indices",
            "output_block_indices": "0,2",
            "lifecycle": "amazon.nova-canvas-v1:0=legacy",
            "rules": rules,
            "control_api": "no",
            "seed": "5",
        }
    )
    assert config.filters.blocked_words == ("a", "b")
    assert config.filters.output_block.indices == (0, 2)
    assert config.lifecycle == {"amazon.nova-canvas-v1:0": "legacy"}
    assert len(config.rules) == 1 and config.control_api is False and config.seed == 5
    assert config.owned_state_dir is not None and config.state_path.startswith(config.owned_state_dir)


def test_config_from_a_file_structure() -> None:
    config = TestDoubleConfig.from_mapping(
        {"state_path": MEMORY, "filters": {"blocked_words": ["x"]}, "rules": [{"action": "ok"}]}
    )
    assert config.filters.blocked_words == ("x",) and config.owned_state_dir is None


@pytest.mark.parametrize(
    "values",
    [{"no_such_setting": "1"}, {"control_api": "maybe"}, {"rules": "[{}]"}, {"lifecycle": "x=eol"}],
)
def test_bad_settings_fail_at_start(values: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="setting"):
        TestDoubleConfig.from_mapping(values)
