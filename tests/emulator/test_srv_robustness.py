"""Regressions found by the reliability suite (tests/reliability), reproduced without sockets: requests
werkzeug's rules cannot route, echoed lone surrogates, bodies shorter than their Content-Length, statuses the
server cannot send, JSON errors under `/_emulator/`, and the state directory removed when the server stops."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder, run_wsgi_app

from emulator import EmulatorConfig, create_app, front, server
from emulator.errors import encode_json_text
from emulator.testdouble.config import TestDoubleConfig
from tests.support.apps import RecordingHooks, with_hooks
from tests.support.bodies import NOVA_PATH, THREE_CATS
from tests.support.responses import assert_error_response
from validator import messages, validate_body
from validator.report import BedrockError
from validator.types import ModelId

DECODED_PATH = "/model/amazon.nova-canvas-v1:0/invoke"  # PATH_INFO as Granian gives it


def unknown_operation(status: int, headers: Any, body: bytes) -> bool:
    return (status, headers.get("x-amzn-ErrorType"), body) == (
        404,
        messages.UNKNOWN_OPERATION_ERROR_TYPE,
        messages.UNKNOWN_OPERATION_BODY.encode(),
    )


def run_raw(app: Flask, environ: dict[str, Any]) -> tuple[int, Any, bytes]:
    """Call the WSGI app with `environ` as given (the test client would re-encode PATH_INFO)."""
    app_iter, status, headers = run_wsgi_app(app.wsgi_app, environ, buffered=True)
    return int(status.split()[0]), headers, b"".join(app_iter)


def raw_environ(path: str, body: bytes = b"{}", **extra: Any) -> dict[str, Any]:
    environ = EnvironBuilder(path="/", method="POST", data=body).get_environ()
    environ["PATH_INFO"] = path  # decoded once, and no RAW_URI/REQUEST_URI: as Granian passes it
    environ.pop("RAW_URI", None)
    environ.pop("REQUEST_URI", None)
    environ.update(extra)
    return environ


# --- routing: methods and paths werkzeug's rules refuse ------------------------------------------------


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "FOO"])
@pytest.mark.parametrize(
    "path", [NOVA_PATH, "/", "/model/x/converse", "/_emulator/health", "/_emulator/rules"]
)
def test_unlisted_methods_are_unknown_operations(client: FlaskClient, method: str, path: str) -> None:
    response = client.open(path, method=method, data=b"{}")
    assert unknown_operation(response.status_code, response.headers, response.data)


@pytest.mark.parametrize(
    "path",
    [
        "/model/\n/invoke",
        "/model/amazon.nova-canvas-v1:0\n/invoke",
        "/model/a\nb/converse",
        "/model/\n/converse",
    ],
)
def test_newline_in_model_id_is_an_invalid_identifier(app: Flask, path: str) -> None:
    """Granian decodes `%0A`; werkzeug's `<path:>` converter does not match a newline (the emulator routes
    on the raw path anyway, docs/CONTRACT.md §2.2)."""
    status, headers, body = run_raw(app, raw_environ(path))
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "ValidationException" + messages.ERROR_TYPE_SUFFIX
    assert json.loads(body) == {"message": messages.INVALID_MODEL_ID}


def test_newline_under_control_prefix_is_an_unknown_operation(app: Flask) -> None:
    status, headers, body = run_raw(app, raw_environ("/_emulator/jour\nnal"))
    assert unknown_operation(status, headers, body)


def test_no_flask_static_route(app: Flask, client: FlaskClient) -> None:
    assert "static" not in {rule.endpoint for rule in app.url_map.iter_rules()}
    response = client.get("/static/x")
    assert unknown_operation(response.status_code, response.headers, response.data)


def test_missing_page_asset_is_json(client: FlaskClient) -> None:
    response = client.get("/_emulator/ui/static/missing.js")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.get_json()) == {"message"}


# --- lone surrogates echoed in messages ----------------------------------------------------------------

SURROGATE_BODIES = [
    b'{"taskType":"TEXT_IMAGE\\ud800","textToImageParams":{"text":"a"}}',
    b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a","\\udfff":1}}',
    b'{"taskType":"COLOR_GUIDED_GENERATION","colorGuidedGenerationParams":{"text":"a","colors":["\\udc00"]}}',
]


@pytest.mark.parametrize("body", SURROGATE_BODIES)
def test_lone_surrogate_in_a_message_is_escaped(client: FlaskClient, body: bytes) -> None:
    """Written as a `\\uXXXX` escape (as Jackson does): valid UTF-8, and the validator's very message."""
    response = client.post(NOVA_PATH, data=body)
    expected = validate_body(body, ModelId.NOVA_CANVAS).error
    assert expected is not None
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "ValidationException" + messages.ERROR_TYPE_SUFFIX
    response.data.decode("utf-8")  # strict: no surrogate bytes on the wire
    assert json.loads(response.data) == {"message": expected.message}


def test_encode_json_text() -> None:
    assert encode_json_text('{"m":"é \ud800 \U0001f680 \\\\u"}') == '{"m":"é \\uD800 🚀 \\\\u"}'.encode()


# --- bodies shorter than their Content-Length ----------------------------------------------------------


@pytest.mark.parametrize("terminated", [True, False], ids=["granian", "werkzeug-server"])
def test_body_shorter_than_content_length_is_refused(app: Flask, terminated: bool) -> None:
    """Granian's input just ends early (`wsgi.input_terminated`); werkzeug's LimitedStream raises
    ClientDisconnected. Either way the request is refused, not generated as if complete."""
    hooks = RecordingHooks()
    with_hooks(app, hooks)
    environ = raw_environ(DECODED_PATH, THREE_CATS, CONTENT_LENGTH="1000")
    environ["wsgi.input"] = io.BytesIO(THREE_CATS)
    if terminated:
        environ["wsgi.input_terminated"] = True
    else:
        environ.pop("wsgi.input_terminated", None)
    status, _, body = run_raw(app, environ)
    assert (status, json.loads(body)) == (400, {"message": messages.MALFORMED})
    assert "moderate_input" not in hooks.seen
    assert hooks.calls[0].error is not None


def test_body_of_its_content_length_is_served(app: Flask) -> None:
    environ = raw_environ(DECODED_PATH, THREE_CATS, CONTENT_LENGTH=str(len(THREE_CATS)))
    environ["wsgi.input"], environ["wsgi.input_terminated"] = io.BytesIO(THREE_CATS), True
    assert run_raw(app, environ)[0] == 200


# --- statuses and headers that must never reach Granian ------------------------------------------------


def test_a_status_granian_cannot_send_becomes_a_500(app: Flask) -> None:
    """Granian panics (and the server stops) on an invalid status; none may leave the app."""
    with_hooks(app, RecordingHooks(before_body=BedrockError("WeirdException", 1000, "x")))
    response = app.test_client().post(NOVA_PATH, data=THREE_CATS)
    assert_error_response(
        response,
        "InternalServerException",
        500,
        messages.DEFAULT_EXCEPTION_MESSAGE["InternalServerException"],
    )


@pytest.mark.parametrize("value", ["attempt=\xb3", "attempt=" + "9" * 5000, "attempt=1; max=\xb3"])
def test_odd_attempt_headers_are_ignored(client: FlaskClient, value: str) -> None:
    """`amz-sdk-request` arrives as latin-1: '³' passes isdigit() but not int()."""
    response = client.post(NOVA_PATH, data=THREE_CATS, headers={"amz-sdk-request": value})
    assert response.status_code == 200


# --- the server removes the state directory it chose ---------------------------------------------------


def test_serve_removes_the_owned_state_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    config = EmulatorConfig(access_log=False, testdouble=TestDoubleConfig.from_mapping({}), port=0)
    create_app(config)  # as a worker would: the store creates the directory
    state_dir = Path(str(config.testdouble.owned_state_dir))
    assert state_dir.is_dir()

    class StoppedServer:
        def serve(self, target_loader: Any) -> None:
            assert state_dir.is_dir()  # still there while serving

    monkeypatch.setattr(server, "build_server", lambda cfg: StoppedServer())
    assert server.serve(config) == 0
    assert not state_dir.exists()


def test_empty_state_path_setting_means_the_default() -> None:
    settings = TestDoubleConfig.from_mapping({"state_path": ""})
    assert settings.owned_state_dir is not None
    assert settings.state_path.startswith(settings.owned_state_dir)


# --- memory handed back after large bodies -------------------------------------------------------------


@pytest.mark.parametrize(("size", "trims"), [(100, 0), (2_000_000, 1)])
def test_heap_is_trimmed_after_a_large_body(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, size: int, trims: int
) -> None:
    """glibc keeps the freed pages of a large request (the worker's RSS stayed near its peak: +127 MB after
    four 2 MB bodies of 150,000 extraneous keys; +74 MB with the trim), so they are handed back once the
    request's objects are gone."""
    calls: list[int] = []
    monkeypatch.setattr(front, "trim_heap", lambda: calls.append(1))
    body = b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"x"}}'
    response = client.post(NOVA_PATH, data=body + b" " * (size - len(body)))
    assert response.status_code == 200
    assert len(calls) == trims


def test_failed_workers_are_respawned() -> None:
    """A killed worker (the OOM killer) must not stop the whole server (test_rel_security: for real)."""
    assert server.build_server(EmulatorConfig(access_log=False)).respawn_failed_workers is True


# --- keep-alive only when the connection can carry another request ------------------------------------


def test_connection_close_is_not_contradicted(client: FlaskClient) -> None:
    """Granian adds `close` itself; the app's `keep-alive` made it `keep-alive, close`."""
    response = client.post(NOVA_PATH, data=THREE_CATS, headers={"Connection": "close"})
    assert "keep-alive" not in response.headers.get("Connection", "")


@pytest.mark.parametrize(
    ("size", "chunked", "connection", "drained"),
    [
        (300_000, False, "keep-alive", True),
        (front.DRAIN_LIMIT + 1, False, "close", False),
        (10, True, "close", False),
    ],
    ids=["small-drained", "large-closed", "chunked-closed"],
)
def test_unread_body_is_drained_or_the_connection_closed(
    app: Flask, size: int, chunked: bool, connection: str, drained: bool
) -> None:
    """An early answer (unknown operation) leaves the body unread; Granian then drops the connection, so a
    small body is read and dropped (keep-alive holds) and a larger one is answered `Connection: close`."""
    body = b" " * size
    environ = raw_environ("/v1/model/x/invoke", body, CONTENT_LENGTH=str(size), SERVER_PROTOCOL="HTTP/1.1")
    environ["wsgi.input"], environ["wsgi.input_terminated"] = io.BytesIO(body), True
    if chunked:
        del environ["CONTENT_LENGTH"]
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    status, headers, reply = run_raw(app, environ)
    assert unknown_operation(status, headers, reply)
    assert headers["Connection"] == connection
    assert (environ["wsgi.input"].tell() == size) is drained


def test_an_environ_werkzeug_cannot_read_gets_the_json_500(app: Flask) -> None:
    """Whatever a WSGI server hands over, a Bedrock path answers in Bedrock's shape, not the server's."""
    environ = {"REQUEST_METHOD": None, "PATH_INFO": NOVA_PATH, "wsgi.input": io.BytesIO(b"")}
    started: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append(status)

    body = b"".join(app.wsgi_app(environ, start_response))
    assert started == ["500 INTERNAL SERVER ERROR"]
    assert json.loads(body) == {"message": "An internal server error occurred."}
