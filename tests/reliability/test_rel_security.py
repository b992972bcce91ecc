"""Security: loopback bind by default, the control API behind a token or switched off, strict SigV4
rejecting bad signatures, and answers for methods and paths the routes do not list. (Limits under concurrent
large bodies: test_rel_limits.py.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.support.bodies import NOVA, invoke_path
from tests.support.rawhttp import http_request
from tests.support.responses import (
    UNKNOWN_OPERATION_BODY,
    UNKNOWN_OPERATION_TYPE,
    assert_bedrock_error,
    documented_problem,
)
from tests.support.server import EmulatorProcess, start_server

BODY = json.dumps(
    {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a cat"},
        "imageGenerationConfig": {"width": 320, "height": 320},
    }
).encode()
TOKEN = "s3cret-control-token"
ACCESS_KEY, SECRET = "AKIDRELIABILITY", "reliability/secret+key"
CONTROL_GETS = [
    "/_emulator/journal",
    "/_emulator/journal/1",
    "/_emulator/rules",
    "/_emulator/filters",
    "/_emulator/lifecycle",
    "/_emulator/config",
    "/_emulator/ui/api/meta",
    "/_emulator/ui/api/entries",
    "/_emulator/ui/api/entries/1",
    "/_emulator/ui/thumb/1/output/0.png",
]
CONTROL_WRITES = [
    ("POST", "/_emulator/rules", {"match": {}, "action": {"error": "ThrottlingException"}}),
    ("DELETE", "/_emulator/rules", None),
    ("PUT", "/_emulator/filters", {"blocked_words": ["x"]}),
    ("PUT", "/_emulator/lifecycle", {"amazon.nova-canvas-v1:0": "eol"}),
    ("PUT", "/_emulator/lifecycle/amazon.nova-canvas-v1%3A0", {"state": "eol"}),
    ("POST", "/_emulator/reset", None),
    ("DELETE", "/_emulator/journal", None),
]


def _json_body(data: Any) -> bytes:
    return b"" if data is None else json.dumps(data).encode()


# --- bind address ------------------------------------------------------------------------------------------


def test_binds_to_loopback_by_default(server: EmulatorProcess) -> None:
    """Started without --host: its only listening socket is 127.0.0.1:<port> (from /proc/net/tcp*)."""
    assert server.listening() == [f"127.0.0.1:{server.port}"]


# --- control API: token, switch ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    srv = start_server(tmp_path_factory.mktemp("sec"), "token", env={"NOVA_EMULATOR_CONTROL_TOKEN": TOKEN})
    yield srv
    srv.stop()


@pytest.mark.parametrize(
    "auth", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"bearer  {TOKEN[:-1]}"]
)
def test_control_api_refuses_requests_without_the_token(
    token_server: EmulatorProcess, auth: str | None
) -> None:
    """Every control endpoint, read or write: 401 JSON without the right bearer token, and no effect."""
    headers = {"Authorization": auth} if auth else {}
    for path in CONTROL_GETS:
        status, reply_headers, body = http_request(token_server.port, "GET", path, headers=headers)
        assert status == 401, (path, status, body[:200])
        assert reply_headers["content-type"] == "application/json"
        assert list(json.loads(body)) == ["message"]
    for method, path, data in CONTROL_WRITES:
        json_headers = {**headers, "Content-Type": "application/json"}
        status, _, body = http_request(token_server.port, method, path, _json_body(data), json_headers)
        assert status == 401, (method, path, status, body[:200])
    # Nothing changed: no fault rule, no lifecycle, no filter; Bedrock calls still succeed.
    status, _, body = http_request(token_server.port, "POST", invoke_path(NOVA), BODY)
    assert status == 200, body[:200]


def test_control_api_with_the_token(token_server: EmulatorProcess) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    status, _, body = http_request(token_server.port, "GET", "/_emulator/journal", headers=auth)
    assert status == 200, body[:200]
    status, _, body = http_request(token_server.port, "GET", "/_emulator/config", headers=auth)
    assert status == 200 and TOKEN.encode() not in body  # the token is never shown
    assert http_request(token_server.port, "GET", "/_emulator/health")[0] == 200  # health needs no token


@pytest.fixture(scope="module")
def control_off(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    srv = start_server(tmp_path_factory.mktemp("sec"), "off", env={"NOVA_EMULATOR_CONTROL_API": "false"})
    yield srv
    srv.stop()


def test_control_api_switched_off(control_off: EmulatorProcess) -> None:
    """control_api=false: every /_emulator/ path but health is Bedrock's unknown operation (even with a
    bearer header), and nothing can be steered; Bedrock calls are served."""
    for path in [*CONTROL_GETS, "/_emulator/ui", "/_emulator/ui/static/ui.css"]:
        status, headers, body = http_request(
            control_off.port, "GET", path, headers={"Authorization": "Bearer x"}
        )
        assert (status, headers.get("x-amzn-errortype"), body) == (
            404,
            UNKNOWN_OPERATION_TYPE,
            UNKNOWN_OPERATION_BODY,
        )
    for method, path, data in CONTROL_WRITES:
        status, _, body = http_request(control_off.port, method, path, _json_body(data))
        assert (status, body) == (404, UNKNOWN_OPERATION_BODY), (method, path)
    assert http_request(control_off.port, "GET", "/_emulator/health")[0] == 200
    assert http_request(control_off.port, "POST", invoke_path(NOVA), BODY)[0] == 200


# --- strict SigV4 ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    env = {
        "NOVA_EMULATOR_STRICT_AUTH": "true",
        "NOVA_EMULATOR_ACCESS_KEYS": f"{ACCESS_KEY}={SECRET}",
        "NOVA_EMULATOR_BEARER_TOKENS": "api-key-1",
    }
    srv = start_server(tmp_path_factory.mktemp("sec"), "strict", env=env)
    yield srv
    srv.stop()


def _client(server: EmulatorProcess, secret: str = SECRET, key: str = ACCESS_KEY) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )


def _signed(
    server: EmulatorProcess, body: bytes, path: str, secret: str = SECRET, service: str = "bedrock"
) -> dict[str, str]:
    request = AWSRequest(method="POST", url=server.url + path, data=body)
    SigV4Auth(Credentials(ACCESS_KEY, secret), service, "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_strict_sigv4_accepts_a_good_signature(strict: EmulatorProcess) -> None:
    out = _client(strict).invoke_model(modelId=NOVA, body=BODY)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_strict_sigv4_rejects_a_wrong_secret(strict: EmulatorProcess) -> None:
    with pytest.raises(ClientError) as caught:
        _client(strict, secret="not-the-secret").invoke_model(modelId=NOVA, body=BODY)
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


TAMPERING = {
    "body-changed": lambda h, body, path: (h, body.replace(b"a cat", b"a dog"), path),
    "body-appended": lambda h, body, path: (h, body + b" ", path),
    "path-changed": lambda h, body, path: (h, body, invoke_path("amazon.titan-image-generator-v2:0")),
    "date-changed": lambda h, body, path: ({**h, "X-Amz-Date": "20200101T000000Z"}, body, path),
    "signature-flipped": lambda h, body, path: (
        {**h, "Authorization": h["Authorization"][:-1] + ("0" if h["Authorization"][-1] != "0" else "1")},
        body,
        path,
    ),
    "signed-header-dropped": lambda h, body, path: (
        {k: v for k, v in h.items() if k != "X-Amz-Date"},
        body,
        path,
    ),
}


@pytest.mark.parametrize("tamper", TAMPERING.values(), ids=TAMPERING.keys())
def test_strict_sigv4_rejects_tampered_requests(strict: EmulatorProcess, tamper: Any) -> None:
    """A request signed correctly, then changed in transit: 403 InvalidSignatureException, never served."""
    path = invoke_path(NOVA)
    headers, body, path = tamper(_signed(strict, BODY, path), BODY, path)
    headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "host")}
    status, reply_headers, reply = http_request(strict.port, "POST", path, body, headers)
    assert status == 403, reply[:200]
    assert reply_headers["x-amzn-errortype"].startswith("InvalidSignatureException:")


def test_strict_auth_other_cases(strict: EmulatorProcess) -> None:
    port, path = strict.port, invoke_path(NOVA)
    assert_bedrock_error(
        *http_request(port, "POST", path, BODY),
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )
    wrong_scope = _signed(strict, BODY, path, service="bedrock-runtime")
    reply = http_request(
        port,
        "POST",
        path,
        BODY,
        {"Authorization": wrong_scope["Authorization"], "X-Amz-Date": wrong_scope["X-Amz-Date"]},
    )
    assert_bedrock_error(
        *reply, "InvalidSignatureException", "Credential should be scoped to correct service: 'bedrock'. "
    )
    status, _, _ = http_request(port, "POST", path, BODY, {"Authorization": "Bearer api-key-1"})
    assert status == 200
    assert_bedrock_error(
        *http_request(port, "POST", path, BODY, {"Authorization": "Bearer api-key-2"}),
        "AccessDeniedException",
        "Authentication failed: Please make sure your API Key is valid.",
    )


@pytest.mark.parametrize(
    "value",
    [
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=",
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/x/y/bedrock/aws4_request, SignedHeaders=host, Signature=0",
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/us-east-1/bedrock/aws4_request, "
        "SignedHeaders=host;x-amz-date;nonexistent, Signature=" + "0" * 64,
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/us-east-1/bedrock/aws4_request, "
        "SignedHeaders=, Signature=" + "f" * 64,
        "Bearer ",
        "Bearer " + "x" * 10000,
        "\xff\xfe\xfd",
    ],
)
def test_strict_auth_garbage_headers(strict: EmulatorProcess, value: str) -> None:
    """Malformed Authorization values: a documented 403, never a 5xx or a 200."""
    status, headers, body = http_request(
        strict.port, "POST", invoke_path(NOVA), BODY, {"Authorization": value}
    )
    assert documented_problem(status, headers, body) is None, (status, body[:200])
    assert status == 403


# --- methods and paths the routes do not list (found by schemathesis) ------------------------------------


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "FOO"])
@pytest.mark.parametrize("path", [invoke_path(NOVA), "/", "/model/x/converse"])
def test_unlisted_methods_on_bedrock_paths(server: EmulatorProcess, method: str, path: str) -> None:
    status, headers, body = http_request(server.port, method, path, BODY)
    assert (status, headers.get("x-amzn-errortype"), body) == (
        404,
        UNKNOWN_OPERATION_TYPE,
        UNKNOWN_OPERATION_BODY,
    )


@pytest.mark.parametrize(
    "path", ["/model/%0A/invoke", "/model/amazon.nova-canvas-v1%3A0%0A/invoke", "/model/a%0Ab/converse"]
)
def test_newline_in_model_id(server: EmulatorProcess, path: str) -> None:
    assert_bedrock_error(
        *http_request(server.port, "POST", path, BODY),
        "ValidationException",
        "The provided model identifier is invalid.",
    )


HTML_BUG = (
    "BUG (minor): under /_emulator/ werkzeug's HTML error pages are sent: 405 for an unlisted method (TRACE, "
    "PROPFIND, ...), 404 for a missing static file (emulator/errors.py handle_error returns the "
    "HTTPException as is for control paths)"
)


@pytest.mark.parametrize(
    "method,path",
    [
        ("TRACE", "/_emulator/health"),
        ("PROPFIND", "/_emulator/journal"),
        ("GET", "/_emulator/ui/static/missing.js"),
    ],
)
def test_no_html_errors_under_emulator(server: EmulatorProcess, method: str, path: str) -> None:
    status, headers, body = http_request(server.port, method, path)
    assert headers.get("content-type") == "application/json", (status, body[:100])


HUGE_ID_BUG = (
    "BUG: integers beyond SQLite's 64-bit range in control-API ids or query parameters reach sqlite3 and "
    "raise OverflowError -> 500 (emulator/testdouble/store.py journal / journal_entry; api.py _int_arg has "
    "no upper bound)"
)


@pytest.mark.parametrize(
    "path",
    [
        "/_emulator/journal/99999999999999999999999",
        "/_emulator/journal?offset=99999999999999999999999",
        "/_emulator/journal?status=99999999999999999999999",
        "/_emulator/journal?since_id=99999999999999999999999",
    ],
)
def test_huge_numbers_in_control_api(server: EmulatorProcess, path: str) -> None:
    status, _, body = http_request(server.port, "GET", path)
    assert status in (200, 400, 404), body[:200]


FILTERS_BUG = (
    "BUG (minor): PUT /_emulator/filters accepts output_block.indices [-1] and answers it back, though "
    "emulator/openapi.yaml (and sense) require indices >= 0"
)


def test_negative_output_block_index_is_refused(tmp_path: Any) -> None:
    srv = start_server(tmp_path, "filters")
    try:
        data = {"output_block": {"mode": "indices", "indices": [-1]}}
        status, _, body = http_request(
            srv.port,
            "PUT",
            "/_emulator/filters",
            json.dumps(data).encode(),
            {"Content-Type": "application/json"},
        )
    finally:
        srv.stop()
    assert status == 400, body[:200]


UI_DIGIT_BUG = (
    "BUG: the journal page's API checks ids and status with str.isdigit(), which accepts '³' (U+00B3) that "
    "int() refuses: ValueError -> 500 (emulator/testdouble/journal_reader.py StoreReader.get, "
    "emulator/ui/views.py _filters, the thumbnail route); use isdecimal() on ASCII and bound the range"
)


@pytest.mark.parametrize(
    "path",
    [
        "/_emulator/ui/api/entries/%C2%B3",
        "/_emulator/ui/api/entries?status=%C2%B3%C2%B3%C2%B3",
        "/_emulator/ui/thumb/%C2%B3/output/0.png",
    ],
)
def test_unicode_digits_in_journal_page_ids(server: EmulatorProcess, path: str) -> None:
    status, _, body = http_request(server.port, "GET", path)
    assert status in (400, 404), body[:200]


WORKER_CRASH_BUG = (
    "BUG: one worker dying (SIGKILL here; in life the OOM killer, e.g. after the report-cache growth) shuts "
    "the whole server down ('Unexpected exit from worker-1', exit status 1): emulator/server.py "
    "build_server leaves Granian's respawn_failed_workers off"
)


def test_server_survives_a_worker_crash(tmp_path: Any) -> None:
    """SIGKILL one of two workers: the other keeps answering, the dead one is respawned (fixed in bbbc1c7)."""
    srv = start_server(tmp_path, "crash", ["--workers", "2"], env=GRANIAN_LINES)  # worker lifecycle lines
    try:
        victim = srv.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)  # a worker of the server this test started
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and srv.log().count("Started worker-") < 3:
            time.sleep(0.2)
        assert srv.log().count("Started worker-") == 3, srv.log()  # two at start, one respawned
        assert victim not in srv.worker_pids() and len(srv.worker_pids()) == 2
        assert http_request(srv.port, "POST", invoke_path(NOVA), BODY)[0] == 200
    finally:
        srv.stop()
        left = srv.leftover_workers()
    assert left == []


GRANIAN_LINES = {"NOVA_EMULATOR_LOG_LEVEL": "debug"}  # Granian logs its workers' lifecycle at debug level


def test_sigterm_during_a_respawn_leaves_no_worker_behind(tmp_path: Any) -> None:
    """SIGTERM just as a dead worker is respawned: the server exits within 8 s and leaves no worker."""
    srv = start_server(tmp_path, "respawn-race", ["--workers", "2"], env=GRANIAN_LINES)
    exited = False
    try:
        os.kill(srv.worker_pids()[0], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(srv.logged_worker_pids()) < 3:
            time.sleep(0.01)
        srv.proc.send_signal(signal.SIGTERM)  # the new worker is spawned, not yet started
        try:
            srv.proc.wait(8)  # a clean shutdown takes well under a second
            exited = True
        except subprocess.TimeoutExpired:
            pass
    finally:
        srv.stop(timeout=1)
        left = srv.leftover_workers()  # killed here whatever happens: no test leaves a worker behind
    assert exited, "the server did not exit within 8 s of SIGTERM"
    assert left == [], f"workers {left} outlived the server"
