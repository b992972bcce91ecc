"""Control API and journal page inputs found by the reliability suite to answer 500s: integers beyond
SQLite's 64-bit range, non-ASCII digits, negative output-block indices, delays time.sleep cannot take; and
journal entries bounded in size."""

from __future__ import annotations

import pytest

from emulator.testdouble.config import TestDoubleConfig
from emulator.testdouble.filters import filters_from_json
from emulator.testdouble.journal_entry import MAX_ERRORS, MAX_ITEMS, MAX_MESSAGE_CHARS, MORE
from emulator.testdouble.rules import RuleError, parse_rule
from emulator.testdouble.store import JournalQuery, Store
from tests.support.apps import app_client, post_invoke
from tests.support.bodies import text_body
from tests.support.responses import error_message

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/_emulator/journal/{HUGE}", 404),
        (f"/_emulator/journal?offset={HUGE}", 400),
        (f"/_emulator/journal?status={HUGE}", 400),
        (f"/_emulator/journal?since_id={HUGE}", 400),
        (f"/_emulator/journal?limit={HUGE}", 200),  # capped to a page, as before
        (f"/_emulator/rules/{HUGE}", 404),
        (f"/_emulator/ui/api/entries/{HUGE}", 404),
        (f"/_emulator/ui/api/entries/{'9' * 5000}", 404),
        (f"/_emulator/ui/api/entries?offset={HUGE}", 200),
        ("/_emulator/ui/api/entries/%C2%B3", 404),
        ("/_emulator/ui/thumb/%C2%B3/output/0.png", 404),
        ("/_emulator/ui/api/entries?status=%C2%B3%C2%B3%C2%B3", 400),
    ],
)
def test_out_of_range_numbers_are_client_errors(path: str, status: int) -> None:
    client = app_client()
    post_invoke(client, text_body())
    response = client.get(path)
    assert response.status_code == status, response.data[:200]
    assert response.headers["Content-Type"] == "application/json"


def test_huge_rule_id_delete_is_not_found() -> None:
    response = app_client().delete(f"/_emulator/rules/{HUGE}", content_type="application/json")
    assert response.status_code == 404 and error_message(response) == f"No rule {HUGE}."


def test_at_most_message_names_the_bound() -> None:
    response = app_client().get(f"/_emulator/journal?since_id={HUGE}")
    assert error_message(response) == f"since_id must be at most {2**63 - 1}."


def test_store_answers_out_of_range_integers_by_their_meaning() -> None:
    store = Store(TestDoubleConfig())
    store.record({"status": 200}, {"status": 200})
    assert store.journal_entry(2**70) is None
    assert not store.delete_rule(2**70)
    assert store.journal(JournalQuery(filters={"status": 2**70})).total == 0
    assert store.journal(JournalQuery(since_id=2**70)).total == 0
    assert store.journal(JournalQuery(since_id=-(2**70))).total == 1
    page = store.journal(JournalQuery(offset=2**70, limit=2**70))
    assert (page.total, page.entries) == (1, [])


def test_negative_output_block_index_is_refused() -> None:
    client = app_client()
    response = client.put("/_emulator/filters", json={"output_block": {"mode": "indices", "indices": [-1]}})
    assert response.status_code == 400
    assert error_message(response) == "Invalid filter settings: output_block indices must not be negative"
    with pytest.raises(ValueError, match="must not be negative"):
        TestDoubleConfig.from_mapping({"output_block_indices": "0,-2"})


def test_marker_with_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(ValueError, match="lone surrogate"):
        filters_from_json({"blocked_image_marker": "x\ud800"})
    client = app_client()
    response = client.put("/_emulator/filters", json={"blocked_image_marker": "x\ud800"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "action",
    [
        {"latency_ms": 10**30},
        {"latency_ms": [0, 86_400_001]},
        {"stall_s": 1e300},
        {"stall_s": float("nan")},
        {"stall_s": float("inf")},
    ],
)
def test_delays_beyond_a_day_are_refused(action: dict[str, object]) -> None:
    """time.sleep raises on such values (OverflowError, ValueError for NaN): a 500 on every matching call."""
    with pytest.raises(RuleError):
        parse_rule({"action": action}, rule_id=None)


def test_a_day_of_delay_is_accepted() -> None:
    assert parse_rule({"action": {"stall_s": 86_400, "latency_ms": [0, 86_400_000]}}, rule_id=None)


def test_journal_entry_of_a_huge_invalid_body_is_bounded() -> None:
    """150,000 extraneous keys: the entry stored every key, every violation and the 7 MB message twice."""
    client = app_client()
    keys = ",".join(f'"k{i}":0' for i in range(150_000))
    body = '{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"x"},' + keys + "}"
    response = post_invoke(client, body)
    assert response.status_code == 400
    assert len(error_message(response)) > 5_000_000  # the client still gets the whole message
    listing = client.get("/_emulator/journal")
    assert len(listing.data) < 200_000
    entry = listing.get_json()["entries"][0]
    assert len(entry["request"]["json"]) == MAX_ITEMS + 1
    assert entry["request"]["json"][MORE] == 150_002 - MAX_ITEMS
    assert len(entry["validation"]["errors"]) == MAX_ERRORS
    assert entry["validation"]["errors_total"] == 150_000
    assert entry["response"]["message"].endswith(f"... ({len(error_message(response))} characters)")
    assert entry["response"]["message"].startswith(error_message(response)[:MAX_MESSAGE_CHARS])


def test_small_entries_are_kept_whole() -> None:
    client = app_client()
    post_invoke(client, '{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"x"},"a":[1,2]}')
    entry = client.get("/_emulator/journal").get_json()["entries"][0]
    assert entry["request"]["json"]["a"] == [1, 2]
    assert entry["validation"]["errors_total"] == 1
    assert entry["response"]["message"] == entry["validation"]["error"]["message"]
    assert MORE not in entry["request"]["json"]
