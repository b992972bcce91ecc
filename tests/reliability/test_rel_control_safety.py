"""The control API against other web sites and hostile sizes, on the REAL server: cross-site writes, DNS
rebinding, journals of near-limit bodies read page by page, a progressive JPEG of many scans, a skewed
client clock in strict mode, and control writes with the state directory gone."""

from __future__ import annotations

import base64
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from emulator.client import EmulatorControl
from emulator.testdouble.journal_entry import ENTRY_MAX_BYTES
from emulator.testdouble.store import PAGE_MAX_BYTES
from tests.support.bodies import NOVA, invoke_path
from tests.support.rawhttp import http_request
from tests.support.server import EmulatorProcess, start_server
from validator._images import MAX_JPEG_SCANS

RULE = json.dumps({"action": "ThrottlingException", "name": "from-another-site"}).encode()
BODY = json.dumps(
    {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a cat"},
        "imageGenerationConfig": {"width": 320, "height": 320},
    }
).encode()
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """The default no-token mode, with one extra name allowed."""
    env = {"NOVA_EMULATOR_ALLOWED_HOSTS": "emulator.test"}
    srv = start_server(tmp_path_factory.mktemp("safety"), "open", env=env)
    yield srv
    srv.stop()


def _rules(server: EmulatorProcess) -> list[dict[str, Any]]:
    status, _, body = http_request(server.port, "GET", "/_emulator/rules")
    assert status == 200
    return list(json.loads(body)["rules"])


def _journal_total(server: EmulatorProcess) -> int:
    status, _, body = http_request(server.port, "GET", "/_emulator/journal?limit=1")
    assert status == 200
    return int(json.loads(body)["total"])


def _refusal(reply: tuple[int, dict[str, str], bytes], status: int, message: str) -> None:
    code, headers, body = reply
    assert (code, headers["content-type"], json.loads(body)) == (
        status,
        "application/json",
        {"message": message},
    )


def test_cross_site_writes_are_refused_and_change_nothing(open_server: EmulatorProcess) -> None:
    """What a page on another site can send without asking first: a form POST, a no-cors fetch (text/plain or
    no type), with the browser's `Origin`; and a JSON write from another origin."""
    port = open_server.port
    assert http_request(port, "POST", invoke_path(NOVA), BODY)[0] == 200
    before = _journal_total(open_server)
    evil = {"Origin": "http://evil.example"}
    needs_json = "Control API writes need Content-Type: application/json."
    form = {**evil, "Content-Type": "application/x-www-form-urlencoded"}
    _refusal(http_request(port, "POST", "/_emulator/reset", b"a=b", form), 415, needs_json)
    _refusal(http_request(port, "POST", "/_emulator/reset", b"", evil), 415, needs_json)
    plain = {**evil, "Content-Type": "text/plain;charset=UTF-8"}
    _refusal(http_request(port, "POST", "/_emulator/rules", RULE, plain), 415, needs_json)
    multipart = {**evil, "Content-Type": "multipart/form-data; boundary=x"}
    _refusal(http_request(port, "DELETE", "/_emulator/journal", b"", multipart), 415, needs_json)
    for origin in ("http://evil.example", "null", f"http://localhost:{port}", f"https://127.0.0.1:{port}"):
        _refusal(
            http_request(port, "POST", "/_emulator/rules", RULE, {**JSON, "Origin": origin}),
            403,
            f"Control API writes from another origin ({origin}) are refused.",
        )
    assert _rules(open_server) == []
    assert _journal_total(open_server) == before  # the reset never ran
    assert http_request(port, "POST", invoke_path(NOVA), BODY)[0] == 200  # no rule fires


def test_same_origin_and_originless_json_writes_work(open_server: EmulatorProcess) -> None:
    port = open_server.port
    same = {**JSON, "Origin": f"http://127.0.0.1:{port}"}
    status, _, body = http_request(port, "POST", "/_emulator/rules", RULE, same)
    assert status == 201, body
    assert http_request(port, "POST", "/_emulator/reset", b"", JSON)[0] == 200
    assert _rules(open_server) == []
    control = EmulatorControl(open_server.url)  # sends JSON on every write, and no Origin
    control.add_rule("ThrottlingException", times=1)
    assert control.clear_rules() == 1
    control.reset()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/_emulator/journal", b""),
        ("GET", "/_emulator/config", b""),
        ("GET", "/_emulator/ui/api/entries", b""),
        ("GET", "/_emulator/ui/thumb/1/output/0.png", b""),
        ("POST", "/_emulator/rules", RULE),
        ("POST", "/_emulator/reset", b""),
    ],
)
def test_dns_rebinding_host_names_are_refused(
    open_server: EmulatorProcess, method: str, path: str, body: bytes
) -> None:
    """A page on attacker.example rebinds its name to 127.0.0.1: its requests carry `Host: attacker.example`
    (and no Origin: to the browser they are same-origin)."""
    host = f"attacker.example:{open_server.port}"
    reply = _with_host(open_server, method, path, body, host)
    message = (
        f"Host {host!r} is not one of this emulator's names; add it to the allowed_hosts setting "
        "(NOVA_EMULATOR_ALLOWED_HOSTS) to reach the control API under that name."
    )
    _refusal(reply, 403, message)
    assert _rules(open_server) == []


def _with_host(
    server: EmulatorProcess, method: str, path: str, body: bytes, host: str
) -> tuple[int, dict[str, str], bytes]:
    from tests.support.rawhttp import raw_exchange

    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}",
        "Connection: close",
        f"Content-Length: {len(body)}",
    ]
    if method != "GET":
        lines.append("Content-Type: application/json")
    reply = raw_exchange(server.port, ("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return reply.status, reply.headers, reply.body


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:{port}",
        "localhost:{port}",
        "LOCALHOST",
        "[::1]:{port}",
        "app.localhost:{port}",
        "emulator.test:{port}",
        "10.1.2.3",
    ],
)
def test_names_of_this_server_are_accepted(open_server: EmulatorProcess, host: str) -> None:
    reply = _with_host(
        open_server, "GET", "/_emulator/journal?limit=1", b"", host.format(port=open_server.port)
    )
    assert reply[0] == 200, reply[2][:200]


def test_health_answers_under_any_name(open_server: EmulatorProcess) -> None:
    assert _with_host(open_server, "GET", "/_emulator/health", b"", "emulator-service:8000")[0] == 200


def test_no_cors_grant_and_the_page_keeps_its_csp(open_server: EmulatorProcess) -> None:
    preflight = {
        "Origin": "http://evil.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    status, headers, _ = http_request(open_server.port, "OPTIONS", "/_emulator/rules", b"", preflight)
    assert not any(name.startswith("access-control-allow") for name in headers), headers
    status, headers, _ = http_request(open_server.port, "GET", "/_emulator/ui")
    assert status == 200
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


# --- sizes ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    srv = start_server(tmp_path_factory.mktemp("safety"), "big")
    yield srv
    srv.stop()


def _near_limit_body(i: int) -> bytes:
    """23.7 MB of JSON: a valid request with long extraneous strings (a 400, journaled like any call)."""
    filler = {f"k{j}": chr(97 + (i + j) % 26) * 59_000 for j in range(400)}
    return json.dumps({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"}, **filler}).encode()


def test_near_limit_bodies_add_little_to_the_journal_and_reads_are_paged(big_server: EmulatorProcess) -> None:
    state = big_server.state_path
    assert state is not None
    for i in range(6):
        body = _near_limit_body(i)
        assert 23_000_000 < len(body) < 25_000_000
        assert http_request(big_server.port, "POST", invoke_path(NOVA), body)[0] == 400
    for _ in range(3):
        assert http_request(big_server.port, "POST", invoke_path(NOVA), BODY)[0] == 200
    status, _, reply = http_request(big_server.port, "GET", "/_emulator/journal?limit=1000")
    assert status == 200
    page = json.loads(reply)
    assert (page["total"], page["returned"], page["more"]) == (9, 9, False)
    assert len(reply) < 9 * ENTRY_MAX_BYTES and len(reply) < PAGE_MAX_BYTES
    assert all(len(json.dumps(entry)) < ENTRY_MAX_BYTES for entry in page["entries"])
    stored = sum(path.stat().st_size for path in state.parent.glob(state.name + "*"))
    assert stored < 20_000_000  # 142 MB of bodies received
    control = EmulatorControl(big_server.url)
    assert [e["status"] for e in control.journal()] == [400] * 6 + [200] * 3
    assert len(list(control.iter_journal(status=200))) == 3
    assert big_server.alive()


def _progressive_jpeg_b64(extra_scans: int) -> str:
    ramp = np.linspace(0, 255, 512, dtype=np.uint8)
    pixels = np.stack(np.broadcast_arrays(ramp[None, :], ramp[:, None], np.uint8(90)), -1).copy()
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", progressive=True, quality=85)
    data = buffer.getvalue()
    last, end = data.rindex(b"\xff\xda"), data.rindex(b"\xff\xd9")
    return base64.b64encode(data[:end] + data[last:end] * extra_scans + data[end:]).decode()


def test_a_jpeg_of_many_scans_is_refused_quickly_and_the_server_serves_on(
    big_server: EmulatorProcess,
) -> None:
    """5,000 repeated scans (a few MB): each one costs decode time, and a request may carry five images."""
    image = _progressive_jpeg_b64(5_000)
    body = json.dumps(
        {
            "taskType": "IMAGE_VARIATION",
            "imageVariationParams": {"text": "x", "images": [image]},
            "imageGenerationConfig": {"width": 320, "height": 320},
        }
    ).encode()
    status, headers, reply = http_request(big_server.port, "POST", invoke_path(NOVA), body, timeout=30)
    assert (status, headers["x-amzn-errortype"].split(":")[0]) == (400, "ValidationException")
    assert json.loads(reply)["message"] == (
        "#/imageVariationParams/images/0: must be a PNG or JPEG image, actual: undecodable JPEG"
    )
    assert base64.b64decode(image).count(b"\xff\xda") > MAX_JPEG_SCANS
    assert http_request(big_server.port, "POST", invoke_path(NOVA), BODY)[0] == 200


def test_control_writes_with_the_state_directory_gone(tmp_path: Path) -> None:
    """Deleted under a running server: every control write either succeeds and takes effect, or answers a
    JSON error and changes nothing (never a 500 whose change shows up later)."""
    state_dir = tmp_path / "state"
    server = start_server(
        tmp_path, "gone", env={"NOVA_EMULATOR_STATE_PATH": str(state_dir / "state.sqlite3")}
    )
    try:
        assert http_request(server.port, "POST", invoke_path(NOVA), BODY)[0] == 200
        shutil.rmtree(state_dir)
        added: list[str] = []
        for i in range(8):
            rule = json.dumps({"action": {"latency_ms": 1}, "name": f"r{i}"}).encode()
            status, headers, reply = http_request(server.port, "POST", "/_emulator/rules", rule, JSON)
            assert headers["content-type"] == "application/json", reply[:200]
            assert status in (201, 503), reply[:200]
            if status == 201:
                added.append(f"r{i}")
            else:
                assert json.loads(reply)["message"].endswith("nothing was changed.")
        # Threads that still hold the (deleted) database read it; the others answer 503 and change nothing.
        # Which thread serves a request is up to the server, so a read may find no such thread at all: every
        # read that does must show exactly the rules whose write succeeded, never one that answered 503.
        seen = [http_request(server.port, "GET", "/_emulator/rules") for _ in range(40)]
        assert all(status in (200, 503) for status, _, _ in seen)
        readable = [json.loads(reply)["rules"] for status, _, reply in seen if status == 200]
        assert all([rule["name"] for rule in rules] == added for rules in readable)
        assert server.alive()
    finally:
        server.stop()
