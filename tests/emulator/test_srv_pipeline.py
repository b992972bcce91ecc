"""The InvokeModel pipeline (docs/CONTRACT.md §2.4) and its seam: hook call points and order, hook errors,
output moderation (docs/CONTRACT.md §8.3), the response cache (hooks still run on every request), and
unexpected exceptions as JSON 500s."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator import EmulatorConfig, create_app
from emulator.errors import STATUS, bedrock_error
from emulator.generators import MaskPromptError
from tests.support.apps import RecordingHooks, with_hooks
from tests.support.bodies import NOVA_PATH, THREE_CATS
from tests.support.responses import assert_error_response
from validator import messages
from validator.report import BedrockError

FULL_ORDER = ["lifecycle", "before_body", "after_parse", "moderate_input", "blocked_images", "finalize"]


def error(name: str, message: str = "injected") -> BedrockError:
    return BedrockError(name, messages.EXCEPTION_STATUS[name], message)


def test_hooks_run_in_order_and_see_the_call(app: Flask) -> None:
    hooks = RecordingHooks()
    response = (
        with_hooks(app, hooks)
        .test_client()
        .post(NOVA_PATH, data=THREE_CATS, headers={"amz-sdk-request": "attempt=2; max=3"})
    )
    assert response.status_code == 200
    assert hooks.seen == FULL_ORDER
    call = hooks.calls[0]
    assert (call.operation, call.raw_model_id, call.model, call.task_type) == (
        "invoke", "amazon.nova-canvas-v1:0", "amazon.nova-canvas-v1:0", "TEXT_IMAGE",
    )  # fmt: skip
    assert call.request_id == response.headers["x-amzn-RequestId"]
    assert (call.attempt, call.images_returned, call.error, call.body) == (2, 3, None, THREE_CATS)
    assert call.auth == {"form": "none"}


@pytest.mark.parametrize(
    ("point", "seen"),
    [
        ("lifecycle", ["lifecycle", "finalize"]),
        ("before_body", ["lifecycle", "before_body", "finalize"]),
        ("after_parse", ["lifecycle", "before_body", "after_parse", "finalize"]),
        ("moderate_input", FULL_ORDER[:4] + ["finalize"]),
    ],
)
@pytest.mark.parametrize("name", ["ResourceNotFoundException", "ThrottlingException", "ValidationException"])
def test_hook_errors_stop_the_pipeline(app: Flask, point: str, seen: list[str], name: str) -> None:
    hooks = RecordingHooks(**{point: error(name)})
    response = with_hooks(app, hooks).test_client().post(NOVA_PATH, data=THREE_CATS)
    assert_error_response(response, name, messages.EXCEPTION_STATUS[name], "injected")
    assert hooks.seen == seen
    assert hooks.calls[0].error == error(name)


def test_after_parse_is_skipped_for_unparseable_bodies(app: Flask) -> None:
    hooks = RecordingHooks(after_parse=error("ThrottlingException"))
    response = with_hooks(app, hooks).test_client().post(NOVA_PATH, data=b"{oops")
    assert_error_response(response, "ValidationException", 400, messages.MALFORMED)
    assert hooks.seen == ["lifecycle", "before_body", "finalize"]


def test_after_parse_fault_wins_over_schema_errors(app: Flask) -> None:
    """Body-matching faults are evaluated after step 9, before the schema stage (docs/CONTRACT.md §2.4)."""
    hooks = RecordingHooks(after_parse=error("ThrottlingException"))
    response = with_hooks(app, hooks).test_client().post(NOVA_PATH, data=b'{"taskType":"NOPE"}')
    assert_error_response(response, "ThrottlingException", 429, "injected")


@pytest.mark.parametrize(
    ("blocked", "count", "error_text"),
    [
        (frozenset({1}), 2, messages.SOME_IMAGES_BLOCKED),
        (frozenset({0, 1, 2}), 0, messages.ALL_IMAGES_BLOCKED),
        (frozenset({7}), 3, None),  # indices beyond numberOfImages block nothing
    ],
)
def test_output_moderation(app: Flask, blocked: frozenset[int], count: int, error_text: str | None) -> None:
    hooks = RecordingHooks(blocked_images=blocked)
    response = with_hooks(app, hooks).test_client().post(NOVA_PATH, data=THREE_CATS)
    assert response.status_code == 200
    body = json.loads(response.data)
    assert len(body["images"]) == count
    assert body.get("error") == error_text
    assert list(body) == (["images", "error"] if error_text else ["images"])
    assert hooks.calls[0].images_blocked == 3 - count


def test_cache_hit_still_runs_every_hook(app: Flask) -> None:
    hooks = RecordingHooks()
    client = with_hooks(app, hooks).test_client()
    first, second = client.post(NOVA_PATH, data=THREE_CATS), client.post(NOVA_PATH, data=THREE_CATS)
    assert first.data == second.data
    assert first.headers["x-amzn-RequestId"] != second.headers["x-amzn-RequestId"]
    assert hooks.seen == FULL_ORDER * 2
    assert [c.cache_hit for c in hooks.calls] == [False, True]
    assert hooks.calls[1].report is hooks.calls[0].report


def test_cache_key_includes_the_blocked_set(app: Flask) -> None:
    client = with_hooks(app, RecordingHooks()).test_client()
    client.post(NOVA_PATH, data=THREE_CATS)
    with_hooks(app, RecordingHooks(blocked_images=frozenset({0})))
    assert len(json.loads(client.post(NOVA_PATH, data=THREE_CATS).data)["images"]) == 2


def test_only_valid_reports_are_cached(app: Flask) -> None:
    """An invalid body may hold 100,000s of violations: its report is never kept (reliability suite)."""
    client = app.test_client()
    client.post(NOVA_PATH, data=b'{"taskType":"TEXT_IMAGE","a":1,"b":2}')
    client.post(NOVA_PATH, data=b"{bad")
    reports = app.extensions["nova_canvas_emulator"].reports
    assert len(reports) == 0
    client.post(NOVA_PATH, data=THREE_CATS)
    assert len(reports) == 1


def test_disabled_cache_gives_identical_bytes() -> None:
    cached = create_app(EmulatorConfig(access_log=False)).test_client()
    uncached = create_app(EmulatorConfig(access_log=False, response_cache_size=0)).test_client()
    assert cached.post(NOVA_PATH, data=THREE_CATS).data == uncached.post(NOVA_PATH, data=THREE_CATS).data


def test_mask_prompt_failure(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise MaskPromptError("nothing selected")

    monkeypatch.setattr("emulator.pipeline.generate", refuse)
    response = app.test_client().post(NOVA_PATH, data=THREE_CATS)
    assert_error_response(response, "ValidationException", 400, messages.MASK_PROMPT_FAILED)


def test_unexpected_exception_is_a_json_500(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    class Broken(RecordingHooks):
        def moderate_input(self, call: object, request: object) -> None:
            raise RuntimeError("bug in a hook")

    response = with_hooks(app, Broken()).test_client().post(NOVA_PATH, data=THREE_CATS)
    assert_error_response(
        response,
        "InternalServerException",
        500,
        messages.DEFAULT_EXCEPTION_MESSAGE["InternalServerException"],
    )
    assert "bug in a hook" in caplog.text
    assert hooks_error(app) == messages.DEFAULT_EXCEPTION_MESSAGE["InternalServerException"]


def hooks_error(app: Flask) -> str | None:
    calls = app.extensions["nova_canvas_emulator"].hooks.calls
    return calls[-1].error.message if calls and calls[-1].error else None


def test_unknown_operation_is_recorded(app: Flask) -> None:
    hooks = RecordingHooks()
    with_hooks(app, hooks).test_client().post("/model/x/nope", data=b"{}")
    assert hooks.seen == ["finalize"]
    assert hooks.calls[0].error is not None and hooks.calls[0].error.exception == "UnknownOperationException"


@pytest.mark.parametrize("name", sorted(messages.EXCEPTION_STATUS))
def test_fault_rules_of_the_test_double(client: FlaskClient, name: str) -> None:
    """The real hooks: a rule posted to the control API forces the exception, with its default text."""
    assert client.post("/_emulator/rules", json={"action": {"error": name}}).status_code == 201
    response = client.post(NOVA_PATH, data=THREE_CATS)
    status, message = messages.EXCEPTION_STATUS[name], messages.DEFAULT_EXCEPTION_MESSAGE[name]
    assert_error_response(response, name, status, message)


def test_latency_header_includes_injected_latency(client: FlaskClient) -> None:
    """X-Amzn-Bedrock-Invocation-Latency is the real elapsed time, injected latency included
    (docs/CONTRACT.md §2.7, §8.7)."""
    assert client.post("/_emulator/rules", json={"action": {"latency_ms": 150}}).status_code == 201
    response = client.post(NOVA_PATH, data=THREE_CATS)
    assert response.status_code == 200
    assert int(response.headers["X-Amzn-Bedrock-Invocation-Latency"]) >= 150


def test_catalogue_statuses_match_the_contract() -> None:
    for name, status in messages.EXCEPTION_STATUS.items():
        default = messages.DEFAULT_EXCEPTION_MESSAGE.get(name, "")
        assert bedrock_error(name) == BedrockError(name, status, default)
    auth = ["MissingAuthenticationTokenException", "InvalidSignatureException", "UnrecognizedClientException"]
    assert [STATUS[name] for name in auth] == [403, 403, 403]
