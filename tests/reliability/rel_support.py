"""Helpers for the reliability suite: the REAL server as a subprocess, raw-socket HTTP, response checks.

Everything here talks to 127.0.0.1 only, on a port the test started, and every wait is bounded. The server
is the console script (Granian, `--http auto`), started by `tests/server_process.py` as in every suite: a free
port, output to a log file, readiness from the ready line. Used by the tests in this folder and by
`bench/soak.py` and `bench/slowloris.py`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.server_process import ROOT, EmulatorProcess

IMAGES = ROOT / "fixtures" / "images"
ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
UNKNOWN_OPERATION_TYPE = (
    "UnknownOperationException:http://internal.amazon.com/coral/com.amazon.coral.service/"
)
UNKNOWN_OPERATION_BODY = (
    b'{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}'
)
MALFORMED = "Malformed input request, please reformat your input and try again."
BODY_TOO_LARGE = (
    "1 validation error detected: Value at 'body' failed to satisfy constraint: "
    "Member must have length less than or equal to 25000000"
)
MASK_PROMPT_FAILED = (
    "400 Bad Request: Unable to auto-generate mask image with given input image and mask prompt."
)
MAX_BODY = 25_000_000
NOVA = "amazon.nova-canvas-v1:0"
TITAN_V1 = "amazon.titan-image-generator-v1"
TITAN_V2 = "amazon.titan-image-generator-v2:0"
MODELS = (NOVA, TITAN_V1, TITAN_V2)
# CONTRACT.md §2.9 (+ strict auth's three 403s) and §2.2's 404: the only statuses a client may ever see.
DOCUMENTED_ERRORS = {
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ModelTimeoutException": 408,
    "ModelErrorException": 424,
    "ThrottlingException": 429,
    "ModelNotReadyException": 429,
    "ServiceQuotaExceededException": 400,
    "InternalServerException": 500,
    "ServiceUnavailableException": 503,
    "MissingAuthenticationTokenException": 403,
    "InvalidSignatureException": 403,
    "UnrecognizedClientException": 403,
}


def invoke_path(model: str = NOVA) -> str:
    """`/model/<id>/invoke` with the id percent-encoded as botocore sends it."""
    return "/model/" + model.replace(":", "%3A").replace("/", "%2F") + "/invoke"


class Server(EmulatorProcess):
    """A running `nova-canvas-emulator` (`tests/server_process.py`) with the access log off by default, plus
    liveness and the worker processes seen through /proc."""

    def __init__(
        self, log_path: Path, args: Sequence[str] = (), env: Mapping[str, str | None] | None = None
    ) -> None:
        super().__init__(log_path, args, {"NOVA_EMULATOR_ACCESS_LOG": "false", **(env or {})})

    def alive(self) -> bool:
        """The main process runs and `/_emulator/health` answers 200 within 10 s."""
        if self.proc.poll() is not None:
            return False
        try:
            status, _, _ = http_request(self.port, "GET", "/_emulator/health", timeout=10)
        except OSError:
            return False
        return status == 200

    def worker_pids(self) -> list[int]:
        """Granian's worker processes (children of the main process)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def logged_worker_pids(self) -> list[int]:
        """Every worker PID Granian logged (`Spawning worker-N with PID: P`), respawned ones included."""
        return [int(pid) for pid in re.findall(r"Spawning worker-\d+ with PID: (\d+)", self.log())]

    def leftover_workers(self) -> list[int]:
        """Logged workers still running once the main process has exited; they are killed (our own server's
        processes, by PID) so that no test leaves one behind, and returned."""
        left = [
            pid
            for pid in self.logged_worker_pids()
            if Path(f"/proc/{pid}").exists() and _is_zombie(pid) is False
        ]
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return left

    def rss_kib(self) -> int:
        """Resident memory of the main process and its workers, in KiB (Linux /proc)."""
        return sum(_status_kib(pid, "VmRSS") for pid in [self.proc.pid, *self.worker_pids()])

    def peak_rss_kib(self) -> int:
        """The largest high-water mark (VmHWM) of any worker, in KiB."""
        return max((_status_kib(pid, "VmHWM") for pid in self.worker_pids()), default=0)

    def listening(self) -> list[str]:
        """The local addresses of this server's listening TCP sockets, as `ip:port` (from /proc/net/tcp*)."""
        return listening_addresses(self.port)


def start_server(
    tmp: Path, name: str, args: Sequence[str] = (), env: Mapping[str, str | None] | None = None
) -> Server:
    """Start a server logging to `<tmp>/<name>.log` and wait for its ready line (stopped again if it never
    gets ready). An `env` value of None leaves that setting unset."""
    return Server.start(tmp / f"{name}.log", args, env)


def _is_zombie(pid: int) -> bool | None:
    """True for a zombie, False for a live process, None when there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return None


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def listening_addresses(port: int) -> list[str]:
    """Every listening (state 0A) TCP socket on `port`, as `ip:port`, from /proc/net/tcp and tcp6."""
    found = []
    for name, width in (("tcp", 8), ("tcp6", 32)):
        try:
            lines = Path(f"/proc/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            addr_hex, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port and len(addr_hex) == width:
                found.append(f"{_ip(addr_hex)}:{port}")
    return found


def _ip(addr_hex: str) -> str:
    raw = bytes.fromhex(addr_hex)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


# --- raw HTTP/1.1 over a socket (for bodies and headers no client library will send) ---------------------


@dataclass
class RawResponse:
    """A parsed HTTP/1.1 response; `status` 0 when the connection closed without one."""

    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float

    def json(self) -> Any:
        return json.loads(self.body)


def read_response(sock: socket.socket, started: float) -> RawResponse:
    """Read one response (Content-Length framed, or until close) from `sock`."""
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return RawResponse(0, {}, data, time.monotonic() - started)
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "-1"))
    while length < 0 or len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return RawResponse(status, headers, body, time.monotonic() - started)


def raw_exchange(port: int, data: bytes, *, timeout: float = 30, shut_write: bool = False) -> RawResponse:
    """Send `data` as is (a whole request, however broken), then read one response."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if shut_write:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:  # the server already closed the connection
                return RawResponse(0, {}, b"", time.monotonic() - started)
        return read_response(sock, started)


def http_request(
    port: int,
    method: str,
    path: str,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request with Content-Length and `Connection: close`."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    if method != "GET" or body:
        lines.append(f"Content-Length: {len(body)}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    reply = raw_exchange(port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body, timeout=timeout)
    return reply.status, reply.headers, reply.body


# --- response checks ---------------------------------------------------------------------------------------


def assert_bedrock_error(
    status: int, headers: Mapping[str, str], body: bytes, exception: str, message: str
) -> None:
    """The exact §2.8 error: status, `x-amzn-ErrorType`, JSON content type, body `{"message": ...}`."""
    lower = {k.lower(): v for k, v in headers.items()}
    assert (status, lower.get("x-amzn-errortype")) == (
        DOCUMENTED_ERRORS[exception],
        exception + ERROR_TYPE_SUFFIX,
    ), body[:300]
    assert lower.get("content-type") == "application/json"
    assert json.loads(body) == {"message": message}
    assert body == json.dumps({"message": message}, separators=(",", ":"), ensure_ascii=False).encode()


def documented_problem(
    status: int, headers: Mapping[str, str], body: bytes, *, injected: bool = False
) -> str | None:
    """Why a response is outside the contract (None when it is a documented one).

    Documented: 200 with a JSON `images` list; a §2.9 error with its status, `x-amzn-ErrorType` and a body
    that is exactly `{"message": <str>}`; or the §2.2 unknown-operation 404. 5xx only when `injected`.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    if lower.get("content-type") != "application/json":
        return f"content-type {lower.get('content-type')!r}"
    if body.lstrip()[:1] == b"<":
        return "HTML body"
    if status >= 500 and not injected:
        return f"status {status}"
    if status == 200:
        payload = json.loads(body)
        return None if isinstance(payload.get("images"), list) else "200 without images"
    error_type = lower.get("x-amzn-errortype", "")
    if status == 404 and error_type == UNKNOWN_OPERATION_TYPE:
        return None if body == UNKNOWN_OPERATION_BODY else "unknown-operation body"
    name, _, suffix = error_type.partition(":")
    if DOCUMENTED_ERRORS.get(name) != status or ":" + suffix != ERROR_TYPE_SUFFIX:
        return f"status {status} with x-amzn-ErrorType {error_type!r}"
    try:
        payload = json.loads(body)
    except ValueError:
        return "error body is not JSON"
    if not (
        isinstance(payload, dict) and list(payload) == ["message"] and isinstance(payload["message"], str)
    ):
        return f"error body {body[:200]!r}"
    return None


# --- request bodies ----------------------------------------------------------------------------------------


def image_b64(name: str) -> str:
    """A fixture image (fixtures/images) as base64."""
    return base64.b64encode((IMAGES / name).read_bytes()).decode("ascii")


def valid_bodies() -> dict[str, dict[str, Any]]:
    """One small valid body per (model, task), keyed `<model>/<task>` (320x320 Nova, 512x512 Titan)."""
    photo, mask = image_b64("rgb_320x320.png"), image_b64("mask_320x320.png")
    nova_cfg = {"width": 320, "height": 320, "seed": 7}
    titan_cfg = {"width": 512, "height": 512, "seed": 7}
    edit_cfg = {"seed": 7}
    params: dict[str, tuple[str, dict[str, Any], dict[str, Any] | None]] = {
        "TEXT_IMAGE": (
            "textToImageParams",
            {"text": "a lighthouse at dusk", "negativeText": "fog"},
            nova_cfg,
        ),
        "COLOR_GUIDED_GENERATION": (
            "colorGuidedGenerationParams",
            {"text": "a vase", "colors": ["#FF8800", "#0088ff"]},
            nova_cfg,
        ),
        "IMAGE_VARIATION": ("imageVariationParams", {"images": [photo], "similarityStrength": 0.5}, nova_cfg),
        "INPAINTING": (
            "inPaintingParams",
            {"image": photo, "maskImage": mask, "text": "a red door"},
            edit_cfg,
        ),
        "OUTPAINTING": (
            "outPaintingParams",
            {"image": photo, "maskPrompt": "a house", "text": "a beach"},
            edit_cfg,
        ),
        "BACKGROUND_REMOVAL": ("backgroundRemovalParams", {"image": photo}, None),
        "VIRTUAL_TRY_ON": (
            "virtualTryOnParams",
            {
                "sourceImage": photo,
                "referenceImage": photo,
                "maskType": "GARMENT",
                "garmentBasedMask": {"garmentClass": "UPPER_BODY"},
            },
            edit_cfg,
        ),
    }
    served = {
        NOVA: list(params),
        TITAN_V2: [t for t in params if t != "VIRTUAL_TRY_ON"],
        TITAN_V1: ["TEXT_IMAGE", "IMAGE_VARIATION", "INPAINTING", "OUTPAINTING"],
    }
    bodies = {}
    for model, tasks in served.items():
        for task in tasks:
            key, task_params, config = params[task]
            body: dict[str, Any] = {"taskType": task, key: json.loads(json.dumps(task_params))}
            if config is not None:
                body["imageGenerationConfig"] = dict(
                    titan_cfg if config is nova_cfg and model != NOVA else config
                )
            bodies[f"{model}/{task}"] = body
    return bodies
