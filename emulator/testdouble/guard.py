"""Keeps other web sites away from `/_emulator/` (the control API and the journal page).

A server a developer leaves running on loopback is reachable from every page their browser opens. Browsers
send a cross-site form POST or a `no-cors` fetch without asking the server first, and after DNS rebinding a
page on a name the attacker controls reads the answers too. So, for every path under `/_emulator/` except
the health check:

* the `Host` header must name this server: an IP address (a rebinding page always uses a DNS name),
  `localhost` or a name under `.localhost`, the host the server binds, or one of `allowed_hosts` (`*` allows
  any name). Otherwise 403.
* a write (any method but GET, HEAD and OPTIONS) must say `Content-Type: application/json`, which a browser
  never sends across origins without a preflight the emulator does not grant (else 415), and must carry no
  `Origin` header or the server's own origin (else 403). Non-browser clients (curl, `EmulatorControl`, the
  pytest plugin) send no `Origin`.

The checks run before the token check, and every refusal is JSON `{"message": ...}`. The journal page keeps
its Content-Security-Policy; its own requests are same-origin reads.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from flask import Flask, Response, request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_ENDPOINTS = frozenset({"bedrock_runtime.health"})  # health checks use whatever name their network gives
LOOPBACK_NAMES = frozenset({"localhost"})
ANY_HOST = "*"

BAD_HOST = (
    "Host {host!r} is not one of this emulator's names; add it to the allowed_hosts setting "
    "(NOVA_EMULATOR_ALLOWED_HOSTS) to reach the control API under that name."
)
NEEDS_JSON = "Control API writes need Content-Type: application/json."
CROSS_ORIGIN = "Control API writes from another origin ({origin}) are refused."


def host_name(host: str) -> str:
    """The name part of a `Host` header value: no port, no IPv6 brackets, lower case, no trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(host: str | None, names: frozenset[str]) -> bool:
    """True when `host` (a `Host` header value) names this server (see the module docstring)."""
    if host is None or ANY_HOST in names:
        return True  # no Host at all: an HTTP/1.0 client, never a browser
    name = host_name(host)
    return _is_ip(name) or name in LOOPBACK_NAMES or name.endswith(".localhost") or name in names


def same_origin(origin: str, host: str | None, scheme: str) -> bool:
    """True when an `Origin` header names the server the request reached: the same scheme and host:port."""
    if host is None or origin == "null":
        return False
    parts = urlsplit(origin)
    return parts.scheme == scheme and parts.netloc.lower() == host.strip().lower()


def _refuse(status: int, message: str) -> Response:
    return Response(json.dumps({"message": message}), status=status, content_type="application/json")


def make_guard(bind_host: str, allowed_hosts: Iterable[str]) -> Callable[[], Response | None]:
    """Flask `before_request` for `/_emulator/`: the checks of the module docstring."""
    names = frozenset(host_name(name) if name != ANY_HOST else ANY_HOST for name in allowed_hosts)
    names |= {host_name(bind_host)}

    def guard() -> Response | None:
        if request.endpoint in OPEN_ENDPOINTS:
            return None
        host = request.headers.get("Host")
        if not host_allowed(host, names):
            return _refuse(403, BAD_HOST.format(host=host))
        if request.method in SAFE_METHODS or request.routing_exception is not None:
            return None  # no route: the app's unknown-operation answer, as for every unroutable request
        if request.mimetype != "application/json":
            return _refuse(415, NEEDS_JSON)
        origin = request.headers.get("Origin")
        if origin is not None and not same_origin(origin, host, request.scheme):
            return _refuse(403, CROSS_ORIGIN.format(origin=origin))
        return None

    return guard


def install(app: Flask, bind_host: str, allowed_hosts: Iterable[str]) -> None:
    """Run the guard before every `/_emulator/` request of `app` (Flask serves nothing else)."""
    app.before_request(make_guard(bind_host, allowed_hosts))
