"""The control API under /_emulator/: rules, journal, reset, token, switched off (Flask test client)."""

from __future__ import annotations

import json

import pytest

from emulator.testdouble.journal_entry import MAX_TEXT_CHARS
from tests.support.apps import app_client, post_invoke
from tests.support.bodies import NOVA, solid_png_b64, text_body, variation_body
from tests.support.responses import error_message, error_type
from validator import messages


def test_rules_crud_and_validation_errors() -> None:
    client = app_client()
    created = client.post("/_emulator/rules", json={"action": "ThrottlingException", "times": 1})
    assert created.status_code == 201
    rule_id = created.get_json()["id"]
    assert client.get(f"/_emulator/rules/{rule_id}").get_json()["times"] == 1
    bad = client.post("/_emulator/rules", json={"action": "NoSuchException"})
    assert bad.status_code == 400 and "unknown action" in error_message(bad)
    assert client.post("/_emulator/rules", data="nope", content_type="application/json").status_code == 400
    assert client.post("/_emulator/rules", data="nope").status_code == 415
    assert client.post("/_emulator/rules", json={"action": "ok", "sequence": ["ok"]}).status_code == 400
    assert client.post("/_emulator/rules", json={"action": "ok", "match": {"prompt": "("}}).status_code == 400
    listed = client.post("/_emulator/rules", json=[{"action": "ok"}, {"action": {"latency_ms": [1, 2]}}])
    assert [r["id"] for r in listed.get_json()["rules"]] == [rule_id + 1, rule_id + 2]
    assert client.delete(f"/_emulator/rules/{rule_id}", content_type="application/json").status_code == 200
    missing = client.delete(f"/_emulator/rules/{rule_id}", content_type="application/json")
    assert missing.status_code == 404 and error_message(missing) == f"No rule {rule_id}."
    assert client.delete("/_emulator/rules", content_type="application/json").get_json() == {"deleted": 2}
    assert client.get("/_emulator/rules").get_json() == {"rules": []}


def test_times_and_counters() -> None:
    client = app_client()
    client.post("/_emulator/rules", json={"action": "ServiceUnavailableException", "times": 2})
    statuses = [post_invoke(client, text_body()).status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    [rule] = client.get("/_emulator/rules").get_json()["rules"]
    assert (rule["matched"], rule["fired"]) == (4, 2)


def test_per_call_counting_uses_the_invocation_id() -> None:
    client = app_client()
    rule = {"sequence": ["InternalServerException", "ok"], "count": "call"}
    client.post("/_emulator/rules", json=rule)
    for call in ("a", "b"):
        for attempt, status in ((1, 500), (2, 200)):
            headers = {"amz-sdk-invocation-id": call, "amz-sdk-request": f"attempt={attempt}; max=3"}
            assert post_invoke(client, text_body(), **headers).status_code == status


def test_header_attempt_and_operation_matchers() -> None:
    client = app_client()
    match = {"header": {"name": "User-Agent", "pattern": "^my-sdk"}, "attempt": 2, "operation": "invoke"}
    client.post("/_emulator/rules", json={"action": "ModelTimeoutException", "match": match})
    ua = {"User-Agent": "my-sdk/1.0"}
    assert post_invoke(client, text_body(), **ua, **{"amz-sdk-request": "attempt=1"}).status_code == 200
    assert post_invoke(client, text_body(), **ua, **{"amz-sdk-request": "attempt=2"}).status_code == 408
    assert post_invoke(client, text_body(), **{"amz-sdk-request": "attempt=2"}).status_code == 200


def test_body_matchers_never_fire_for_malformed_bodies() -> None:
    client = app_client()
    client.post("/_emulator/rules", json={"action": "ThrottlingException", "match": {"prompt": ".*"}})
    response = post_invoke(client, b"{not json")
    assert (response.status_code, error_message(response)) == (400, messages.MALFORMED)
    assert client.get("/_emulator/rules").get_json()["rules"][0]["matched"] == 0
    assert post_invoke(client, text_body()).status_code == 429


def test_faults_apply_after_step_6_only() -> None:
    client = app_client()
    client.post("/_emulator/rules", json={"action": "ThrottlingException"})
    unserved = post_invoke(client, text_body(), "amazon.nova-lite-v1:0")
    assert error_message(unserved) == messages.INVALID_MODEL_ID
    converse = client.post(f"/model/{NOVA}/converse", data=text_body())
    assert error_message(converse) == messages.CONVERSE_UNSUPPORTED


def test_journal_records_filters_and_pages() -> None:
    client = app_client({"journal_image_cap": "2000"})
    post_invoke(client, text_body(), **{"X-Amzn-Bedrock-Trace": "ENABLED", "Authorization": "Bearer secret"})
    post_invoke(client, b"[]")
    client.get("/no/such/route")
    entries = client.get("/_emulator/journal").get_json()["entries"]
    assert [e["status"] for e in entries] == [200, 400, 404]
    first = entries[0]
    assert first["headers"]["x-amzn-bedrock-trace"] == "ENABLED"
    assert first["auth"] == {"form": "bearer"} and "secret" not in json.dumps(entries)
    assert first["request"]["json"]["textToImageParams"]["text"] == "a lighthouse at dawn"
    [image] = first["response"]["image_data"]
    assert image["$image"]["elided"] is True and len(image["$image"]["sha256"]) == 64
    assert entries[1]["validation"]["error"]["message"] == messages.MALFORMED
    assert entries[2]["response"]["error_type"] == "UnknownOperationException"
    page = client.get("/_emulator/journal?status=400").get_json()
    assert page["total"] == 1 and page["entries"][0]["id"] == entries[1]["id"]
    since = client.get(f"/_emulator/journal?since_id={entries[0]['id']}&limit=1&order=desc").get_json()
    assert [e["id"] for e in since["entries"]] == [entries[2]["id"]]
    assert client.get("/_emulator/journal?task=TEXT_IMAGE&model=" + NOVA).get_json()["total"] == 1
    assert client.get(f"/_emulator/journal/{entries[0]['id']}").get_json()["id"] == entries[0]["id"]
    assert client.get("/_emulator/journal?limit=x").status_code == 400
    assert client.delete("/_emulator/journal", content_type="application/json").get_json() == {"deleted": 3}


def test_journal_keeps_images_under_the_cap() -> None:
    small = solid_png_b64()
    client = app_client({"journal_image_cap": str(len(small))})
    post_invoke(client, variation_body(small))
    ref = client.get("/_emulator/journal").get_json()["entries"][0]["request"]["json"]["imageVariationParams"]
    assert ref["images"][0]["$image"]["base64"] == small


def test_reset_returns_to_the_configured_start_state() -> None:
    start_rules = json.dumps([{"action": "ThrottlingException", "match": {"prompt": "storm"}}])
    client = app_client({"rules": start_rules, "blocked_words": "forbidden"})
    client.post("/_emulator/rules", json={"action": "InternalServerException"})
    client.put("/_emulator/filters", json={"output_block": {"mode": "all"}})
    client.put(f"/_emulator/lifecycle/{NOVA}", json={"state": "eol"})
    post_invoke(client, text_body())
    assert client.post("/_emulator/reset", content_type="application/json").get_json() == {"reset": True}
    assert client.get("/_emulator/journal").get_json()["total"] == 0
    [rule] = client.get("/_emulator/rules").get_json()["rules"]
    assert rule["match"] == {"prompt": "storm"} and rule["matched"] == 0
    assert client.get("/_emulator/filters").get_json()["blocked_words"] == ["forbidden"]
    assert client.get("/_emulator/lifecycle").get_json()[NOVA] == "active"
    assert post_invoke(client, text_body("a storm")).status_code == 429


def test_bad_filter_and_lifecycle_settings_are_400() -> None:
    client = app_client()
    assert client.put("/_emulator/filters", json={"output_block": {"mode": "some"}}).status_code == 400
    assert client.put("/_emulator/filters", json={"blocked": []}).status_code == 400
    assert client.put(f"/_emulator/lifecycle/{NOVA}", json={"state": "dead"}).status_code == 400
    assert client.put("/_emulator/lifecycle", json={"amazon.nova-lite-v1:0": "eol"}).status_code == 400


def test_token_protects_every_control_endpoint_but_health() -> None:
    client = app_client({"control_token": "s3cret"})
    denied = client.get("/_emulator/rules")
    assert denied.status_code == 401 and denied.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/_emulator/rules", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/_emulator/rules", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/_emulator/health").status_code == 200
    config = client.get("/_emulator/config", headers={"Authorization": "Bearer s3cret"}).get_json()
    assert config["control_token_required"] is True and "s3cret" not in json.dumps(config)


@pytest.mark.parametrize("path", ["/_emulator/rules", "/_emulator/journal", "/_emulator/reset"])
def test_switched_off_control_api_is_an_unknown_operation(path: str) -> None:
    client = app_client({"control_api": "false"})
    response = client.post(path) if path.endswith("reset") else client.get(path)
    assert (response.status_code, error_type(response)) == (404, "UnknownOperationException")
    assert response.data.decode() == messages.UNKNOWN_OPERATION_BODY
    assert client.get("/_emulator/health").status_code == 200


def test_oversized_strings_outside_image_fields_are_bounded_too() -> None:
    client = app_client()
    post_invoke(client, text_body("x" * (MAX_TEXT_CHARS + 1)))
    entry = client.get("/_emulator/journal").get_json()["entries"][0]
    text = entry["request"]["json"]["textToImageParams"]["text"]["$text"]
    assert text["length"] == MAX_TEXT_CHARS + 1 and len(text["preview"]) == 512
