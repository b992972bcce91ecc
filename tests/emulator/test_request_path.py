"""The request path's own promises: one error value from a hook to the response, the body parsed and digested
once, no test-double work when the test double is off, log lines that request text cannot forge, and no
redirect or HTML under `/_emulator/`."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder, run_wsgi_app

from emulator import EmulatorConfig, cache, create_app, pipeline
from emulator.call import Call
from emulator.hooks import NoHooks
from emulator.logs import printable
from emulator.state import STATE_KEY, EmulatorState
from emulator.testdouble.config import TestDoubleConfig
from emulator.testdouble.filters import ContentFilters
from emulator.testdouble.store import JournalQuery
from emulator.testdouble.testdouble_hooks import TestDoubleHooks
from tests.support.apps import RecordingHooks, with_hooks
from tests.support.bodies import NOVA_PATH, THREE_CATS
from tests.support.responses import assert_error_response
from validator import messages
from validator.report import BedrockError


class BodyHooks(RecordingHooks):
    """Records the document `after_parse` receives, and the call `finalize` sees."""

    def __init__(self, **answers: object) -> None:
        super().__init__(**answers)
        self.documents: list[Mapping[str, object]] = []

    def after_parse(self, call: Call, body: Mapping[str, object]) -> BedrockError | None:
        self.documents.append(body)
        return super().after_parse(call, body)


def state(app: Flask) -> EmulatorState:
    st: EmulatorState = app.extensions[STATE_KEY]
    return st


# --- one error value ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("point", ["lifecycle", "before_body", "after_parse", "moderate_input"])
def test_a_hooks_error_is_answered_and_journaled_as_the_same_object(app: Flask, point: str) -> None:
    """An error the catalogue does not know keeps its name and status, and is never converted."""
    error = BedrockError("TeapotException", 418, "short and stout")
    hooks = RecordingHooks(**{point: error})
    response = with_hooks(app, hooks).test_client().post(NOVA_PATH, data=THREE_CATS)
    assert_error_response(response, "TeapotException", 418, "short and stout")
    assert hooks.calls[0].error is error


def test_the_validators_error_is_the_one_journaled(app: Flask) -> None:
    hooks = RecordingHooks()
    response = with_hooks(app, hooks).test_client().post(NOVA_PATH, data=b'{"taskType":"NOPE"}')
    call = hooks.calls[0]
    assert call.report is not None and call.error is not None and call.error is call.report.error
    assert_error_response(response, "ValidationException", 400, call.error.message)


# --- parse once, digest once -------------------------------------------------------------------------------


def test_the_hooks_get_the_validators_document(app: Flask) -> None:
    hooks = BodyHooks()
    client = with_hooks(app, hooks).test_client()
    for _ in range(2):  # a miss, then a hit of the report cache
        assert client.post(NOVA_PATH, data=THREE_CATS).status_code == 200
    for call, document in zip(hooks.calls, hooks.documents, strict=True):
        assert call.report is not None
        assert document is call.report.document is call.parsed_body
        assert document["taskType"] == "TEXT_IMAGE"
    assert hooks.calls[1].report is hooks.calls[0].report


@pytest.mark.parametrize("number", ["1e-99999999999999999999", "1e99999999999999999999", "7.5"])
def test_numbers_beyond_decimal_range_reach_the_hooks_without_an_error(app: Flask, number: str) -> None:
    """Extreme exponents once raised decimal.InvalidOperation in a second parse (a 500)."""
    hooks = BodyHooks()
    body = (
        b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a"},"imageGenerationConfig":{"cfgScale":%s}}'
    )
    response = with_hooks(app, hooks).test_client().post(NOVA_PATH, data=body % number.encode())
    assert response.status_code in (200, 400)
    if response.status_code == 400 and response.json == {"message": messages.MALFORMED}:
        assert hooks.documents == []  # the validator refused to parse it: no body hook
    else:
        keys = [set(document) for document in hooks.documents]
        assert keys == [{"taskType", "textToImageParams", "imageGenerationConfig"}]


def test_a_body_that_does_not_parse_reaches_no_body_hook(app: Flask) -> None:
    hooks = BodyHooks()
    response = with_hooks(app, hooks).test_client().post(NOVA_PATH, data=b'{"taskType":')
    assert_error_response(response, "ValidationException", 400, messages.MALFORMED)
    assert hooks.documents == [] and hooks.calls[0].parsed_body is None


def test_the_body_is_digested_once(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    digested: list[bytes] = []
    real = cache.body_digest  # pipeline's own name for it is what gets swapped below

    def counting(body: bytes) -> bytes:
        digested.append(body)
        return real(body)

    monkeypatch.setattr(pipeline, "body_digest", counting)
    assert app.test_client().post(NOVA_PATH, data=THREE_CATS).status_code == 200
    assert digested == [THREE_CATS]


# --- the test double switched off --------------------------------------------------------------------------


def _config(tmp_path: Path, **settings: object) -> EmulatorConfig:
    state_path = str(tmp_path / "state" / "state.sqlite3")
    return EmulatorConfig(access_log=False, testdouble=TestDoubleConfig(state_path=state_path, **settings))  # type: ignore[arg-type]


def test_no_hooks_and_no_state_when_the_test_double_is_off(tmp_path: Path) -> None:
    app = create_app(_config(tmp_path, control_api=False))
    assert type(state(app).hooks) is NoHooks
    client = app.test_client()
    assert client.post(NOVA_PATH, data=THREE_CATS).status_code == 200
    assert client.get("/_emulator/journal").status_code == 404
    assert not (tmp_path / "state").exists()  # no SQLite journal, no counters


def test_start_filters_apply_without_a_journal_when_only_the_control_api_is_off(tmp_path: Path) -> None:
    """Content filters (and rules, lifecycle) set at start still apply with the control API off; the
    journal, which only the control API could read, is not written."""
    app = create_app(_config(tmp_path, control_api=False, filters=ContentFilters(blocked_words=("cat",))))
    assert isinstance(state(app).hooks, TestDoubleHooks)
    response = app.test_client().post(NOVA_PATH, data=THREE_CATS)
    assert response.status_code == 400 and "blocked" in response.json["message"]  # type: ignore[index]
    store = app.extensions["nova_canvas_emulator.testdouble"]["store"]
    assert store.journal(JournalQuery()).total == 0


# --- log lines ---------------------------------------------------------------------------------------------


def test_printable_escapes_controls_quotes_and_backslashes() -> None:
    assert printable('a\nb\x1b[31m"c"\\d\x7f\x85é') == 'a\\x0ab\\x1b[31m\\"c\\"\\\\d\\x7f\\x85é'


@pytest.mark.parametrize("path", ['/model/x\n127.0.0.1 "GET / HTTP/1.1" 200/invoke', "/m\x1b[2J/invoke"])
def test_access_log_lines_escape_control_characters(caplog: pytest.LogCaptureFixture, path: str) -> None:
    """Granian decodes `%0A` and `%1B` in PATH_INFO: one request is one line, and no terminal escape."""
    app = create_app(EmulatorConfig(access_log=True))
    environ = EnvironBuilder(path="/", method="POST", data=THREE_CATS).get_environ()
    environ["PATH_INFO"] = path  # decoded, without the raw target: as Granian passes it
    environ.pop("RAW_URI", None)
    environ.pop("REQUEST_URI", None)
    with caplog.at_level(logging.INFO, logger="nova_canvas_emulator.access"):
        app_iter, status, _ = run_wsgi_app(app.wsgi_app, environ, buffered=True)
        assert status[:3] in ("400", "404")
        [line] = [r.getMessage() for r in caplog.records if r.name == "nova_canvas_emulator.access"]
    assert "\n" not in line and "\x1b" not in line
    assert printable(path) in line


# --- no redirect, no HTML under /_emulator/ -----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/_emulator//journal", "/_emulator//health", "/_emulator/rules/", "/_emulator//ui", "/_emulator/ui//"],
)
def test_no_redirect_or_html_under_the_control_prefix(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 404
    assert "Location" not in response.headers
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-ErrorType"] == messages.UNKNOWN_OPERATION_ERROR_TYPE
    assert json.loads(response.data) == json.loads(messages.UNKNOWN_OPERATION_BODY)
    foreign = app.test_client().get(path, headers={"Host": "attacker.example"})
    assert foreign.status_code in (403, 404)  # refused for its Host, or no route: never sent elsewhere
    assert "Location" not in foreign.headers and foreign.headers["Content-Type"] == "application/json"


def test_the_finalize_hook_sees_a_typed_call(app: Flask) -> None:
    """`Call` has fields only: what the pipeline learnt, and what the hooks decided."""
    hooks = RecordingHooks()
    with_hooks(app, hooks).test_client().post(NOVA_PATH, data=THREE_CATS)
    call = hooks.calls[0]
    assert call.auth == {"form": "none"} and call.rules_fired == [] and call.fault is None
    assert "extra" not in vars(call)
