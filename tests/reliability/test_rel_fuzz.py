"""Fuzz the running server with Hypothesis-mutated real requests.

Every (model, task) valid body is mutated (keys dropped, duplicated, retyped or added; numbers huge; strings
in any script; values nested thousands deep; bytes flipped or cut; NaN spliced in), sent with random headers,
to random model ids and paths (percent-encoded or not), over HTTP/1.1 or h2c. Properties:

* only documented responses: 200 with images, an error of docs/CONTRACT.md §2.9 with `x-amzn-ErrorType` and
  `{"message": ...}`, or the unknown-operation 404 of §2.2; never a 5xx, never HTML;
* when the path is an InvokeModel of a served model, the answer is exactly the validator's (docs/CONTRACT.md:
  the validator's first error is what the emulator returns, byte for byte);
* the server is alive afterwards.

`NOVA_FUZZ_EXAMPLES` raises the example count for a longer run (default 250 per test).
Generated text includes lone UTF-16 surrogates, and paths may hold newlines: both were 500s this fuzz found,
now covered here as well as by their own tests.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.support.bodies import MODELS, valid_bodies
from tests.support.responses import MASK_PROMPT_FAILED, documented_problem
from tests.support.server import EmulatorProcess, start_server
from validator import validate_request

EXAMPLES = int(os.environ.get("NOVA_FUZZ_EXAMPLES", "250"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize="NOVA_FUZZ_EXAMPLES" not in os.environ,  # CI: the same cases every run; longer runs explore
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
BODIES = valid_bodies()
DEEP = re.compile(rb'"\\u0000deep(\d+)"')
KEYS = sorted(BODIES)

ANY_CHAR = st.characters(exclude_categories=[])  # every code point, lone surrogates included
TEXT = st.text(ANY_CHAR, max_size=40)
HUGE_INT = st.one_of(
    st.integers(), st.integers(-(10**40), 10**40), st.sampled_from([2**31, 2**63, -(2**64), 10**300])
)
HUGE_FLOAT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1e308, -1e-308, 5e-324])
)
SCALAR = st.one_of(st.none(), st.booleans(), HUGE_INT, HUGE_FLOAT, TEXT)
JSON_VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


@pytest.fixture(autouse=True, scope="module")
def alive_after(server: EmulatorProcess) -> Iterator[None]:
    yield
    assert server.alive(), server.log()[-3000:]


# --- mutations of the parsed body --------------------------------------------------------------------------


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


@st.composite
def mutated_doc(draw: st.DrawFn, doc: Any) -> Any:
    """Apply one to three structural mutations to a deep copy of `doc`."""
    doc = json.loads(json.dumps(doc))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _parent(doc, path), path[-1]
        action = draw(st.sampled_from(["drop", "retype", "number", "text", "nest", "add", "grow-list"]))
        if action == "drop":
            del parent[last]
        elif action == "retype":
            parent[last] = draw(JSON_VALUE)
        elif action == "number":
            parent[last] = draw(st.one_of(HUGE_INT, HUGE_FLOAT))
        elif action == "text":
            parent[last] = draw(st.one_of(TEXT, st.text(ANY_CHAR, min_size=500, max_size=3000)))
        elif action == "nest":
            # A marker, expanded to `[[[...]]]` by `body_bytes`: Hypothesis cannot print 5000-deep values.
            parent[last] = f"\x00deep{draw(st.sampled_from([1, 2, 50, 900, 5000, 100_000]))}"
        elif action == "add" and isinstance(parent, dict):
            parent[draw(TEXT)] = draw(JSON_VALUE)
        elif action == "grow-list" and isinstance(parent[last], list) and parent[last]:
            parent[last] = parent[last] * draw(st.integers(2, 12))
    return doc


@st.composite
def body_bytes(draw: st.DrawFn, doc: Any) -> bytes:
    """Serialize, then maybe damage at the byte level: duplicate a key, splice NaN, flip or cut bytes."""
    data = json.dumps(doc, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    data = DEEP.sub(lambda m: b"[" * int(m[1]) + b"1" + b"]" * int(m[1]), data)
    action = draw(st.sampled_from(["none", "none", "none", "dup-key", "nan", "flip", "cut", "bytes", "bom"]))
    if action == "dup-key" and data.startswith(b"{") and len(data) > 2:
        key = draw(st.sampled_from(["taskType", "imageGenerationConfig", "textToImageParams", "x"]))
        data = b'{"' + key.encode() + b'":1,' + data[1:]
    elif action == "nan":
        data = data.replace(b"0.5", b"NaN", 1).replace(b":7", b":Infinity", 1)
    elif action == "flip" and data:
        index = draw(st.integers(0, len(data) - 1))
        data = data[:index] + bytes([data[index] ^ draw(st.integers(1, 255))]) + data[index + 1 :]
    elif action == "cut" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif action == "bytes":
        data = draw(st.binary(max_size=2000))
    elif action == "bom":
        data = b"\xef\xbb\xbf" + data
    return data


# --- headers, paths, methods -------------------------------------------------------------------------------

HEADER_VALUE = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=60
).map(str.strip)  # h2 forbids surrounding whitespace, and HTTP/1.1 strips it anyway
HEADER_NAME = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyz-0123456789"), min_size=1, max_size=20
).filter(
    lambda n: n.strip("-") == n and n not in ("content-length", "transfer-encoding", "host", "connection")
)


@st.composite
def headers(draw: st.DrawFn) -> dict[str, str]:
    out: dict[str, str] = {}
    if draw(st.booleans()):
        out["Content-Type"] = draw(
            st.one_of(
                st.sampled_from(
                    [
                        "application/json",
                        "APPLICATION/JSON",
                        "application/octet-stream",
                        "text/plain",
                        "application/json; charset=utf-8",
                        "",
                        "*/*",
                    ]
                ),
                HEADER_VALUE,
            )
        )
    if draw(st.booleans()):
        out["Accept"] = draw(
            st.one_of(
                st.sampled_from(["application/json", "*/*", "image/png", "application/*;q=0, */*"]),
                HEADER_VALUE,
            )
        )
    if draw(st.booleans()):
        out["Authorization"] = draw(
            st.one_of(
                st.just(
                    "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/bedrock/aws4_request, "
                    "SignedHeaders=host, Signature=abcd"
                ),
                st.just("Bearer x"),
                HEADER_VALUE,
            )
        )
    for name, value in draw(st.dictionaries(HEADER_NAME, HEADER_VALUE, max_size=4)).items():
        out[name] = value
    return out


def _encoded(model: str) -> str:
    return quote(model, safe="")


MODEL_IDS = st.one_of(
    st.sampled_from(MODELS).map(_encoded),
    st.sampled_from(MODELS),
    st.sampled_from(
        [
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-canvas-v1:0",
            "us.amazon.nova-canvas-v1:0",
            "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.titan-image-generator-v2:0",
            "amazon.nova-lite-v1:0",
        ]
    ).flatmap(lambda m: st.sampled_from([m, _encoded(m), quote(_encoded(m), safe="")])),
    st.text(ANY_CHAR, max_size=30).map(lambda m: quote(m.encode("utf-8", "surrogatepass"), safe="")),
    st.binary(max_size=20).map(lambda b: quote(b, safe="")),
    st.text(st.sampled_from("abc%/:.-_~+2F3A"), max_size=40),
    st.just("a" * 3000),
)
OPERATION = st.sampled_from(
    ["invoke"] * 6 + ["invoke-with-response-stream", "converse", "converse-stream", "invoke/", "Invoke", "x"]
)


@st.composite
def request_line(draw: st.DrawFn) -> tuple[str, str]:
    method = draw(st.sampled_from(["POST"] * 8 + ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"]))
    shape = draw(st.sampled_from(["model"] * 8 + ["emulator", "random"]))
    if shape == "model":
        path = f"/model/{draw(MODEL_IDS)}/{draw(OPERATION)}"
    elif shape == "emulator":
        path = "/_emulator/" + draw(st.sampled_from(["health", "nope", "", "journal", "../model"]))
    else:
        path = "/" + quote(draw(st.text(ANY_CHAR, max_size=30)).encode("utf-8", "surrogatepass"), safe="/%")
    if draw(st.integers(0, 9)) == 0:
        path += "?" + quote(draw(TEXT), safe="=&")
    return method, path


# --- the properties ----------------------------------------------------------------------------------------


def _send(
    server: EmulatorProcess, method: str, path: str, body: bytes, hdrs: dict[str, str], http2: bool
) -> httpx.Response:
    # httpx writes a whole h2 body before reading: when the server rightly answers early (an unknown path, a
    # bad model id) and resets the stream, a body larger than the 64 KB window fails on the client side.
    http2 = http2 and len(body) < 60_000
    with httpx.Client(base_url=server.url, http1=not http2, http2=http2, timeout=60) as client:
        raw_headers = {name.encode(): value.encode("latin-1") for name, value in hdrs.items()}
        request = client.build_request(method, path, content=body, headers=raw_headers)
        request.url = request.url.copy_with(raw_path=path.encode("ascii"))
        return client.send(request)


def _check(reply: httpx.Response, where: str) -> None:
    if reply.request.url.raw_path.startswith(b"/_emulator/"):
        # The control API's own answers (docs/CONTROL_API.md; Flask answers OPTIONS with an empty 200).
        page = reply.content.lstrip()[:1] == b"<" and reply.request.url.raw_path != b"/_emulator/ui"
        assert reply.status_code < 500 and not page, f"{where}: {reply.status_code} {reply.content[:300]!r}"
        return
    problem = documented_problem(reply.status_code, dict(reply.headers), reply.content)
    assert problem is None, f"{where}: {problem}: {reply.status_code} {reply.content[:300]!r}"


@FUZZ
@given(key=st.sampled_from(KEYS), data=st.data(), http2=st.booleans())
def test_mutated_bodies_get_the_validators_answer(
    server: EmulatorProcess, key: str, data: st.DataObject, http2: bool
) -> None:
    """Mutated bodies to a served model's InvokeModel: a documented answer, exactly the validator's."""
    model = key.rsplit("/", 1)[0]
    body = data.draw(body_bytes(data.draw(mutated_doc(BODIES[key]))))
    reply = _send(server, "POST", "/model/" + _encoded(model) + "/invoke", body, {}, http2)
    _check(reply, key)
    expected = validate_request(body, model).error
    if expected is None:
        assert reply.status_code == 200 or reply.json() == {"message": MASK_PROMPT_FAILED}, reply.content[
            :300
        ]
    else:
        assert (reply.status_code, reply.json()) == (expected.status, {"message": expected.message})


@FUZZ
@given(key=st.sampled_from(KEYS), data=st.data(), line=request_line(), hdrs=headers(), http2=st.booleans())
def test_random_requests_get_documented_answers(
    server: EmulatorProcess,
    key: str,
    data: st.DataObject,
    line: tuple[str, str],
    hdrs: dict[str, str],
    http2: bool,
) -> None:
    """Random methods, paths, model ids and headers around real (sometimes mutated) bodies."""
    doc = data.draw(st.one_of(st.just(BODIES[key]), mutated_doc(BODIES[key])))
    body = data.draw(body_bytes(doc))
    method, path = line
    if method in ("GET", "OPTIONS") and data.draw(st.booleans()):
        body = b""
    reply = _send(server, method, path, body, hdrs, http2)
    _check(reply, f"{method} {path} {hdrs}")


FEATURES = {
    "NOVA_EMULATOR_BLOCKED_WORDS": "lighthouse,vase",
    "NOVA_EMULATOR_MASK_PROMPT_FAILURE_WORDS": "house",
    "NOVA_EMULATOR_OUTPUT_BLOCK_MODE": "probability",
    "NOVA_EMULATOR_OUTPUT_BLOCK_PROBABILITY": "0.4",
    "NOVA_EMULATOR_LIFECYCLE": "amazon.titan-image-generator-v1=legacy",
    "NOVA_EMULATOR_STRICT_CONTENT_TYPE": "true",
    "NOVA_EMULATOR_RULES": json.dumps(
        [
            {
                "match": {"task": "INPAINTING"},
                "action": {"error": "ServiceUnavailableException"},
                "probability": 0.5,
            },
            {"match": {"prompt": "dusk"}, "action": {"latency_ms": [1, 20]}},
            {
                "match": {"model": "amazon.titan-image-generator-v2:0"},
                "action": "ThrottlingException",
                "times": 5,
            },
        ]
    ),
}


@pytest.fixture(scope="module")
def featured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """Test-double features switched on: moderation both ways, lifecycle, fault rules, strict content type."""
    srv = start_server(tmp_path_factory.mktemp("fuzz"), "featured", env=FEATURES)
    yield srv
    assert srv.alive(), srv.log()[-3000:]
    srv.stop()


@settings(FUZZ, max_examples=max(EXAMPLES // 2, 50))
@given(key=st.sampled_from(KEYS), data=st.data(), hdrs=headers(), http2=st.booleans())
def test_features_on_keep_answers_documented(
    featured: EmulatorProcess, key: str, data: st.DataObject, hdrs: dict[str, str], http2: bool
) -> None:
    """The same mutated bodies with moderation, lifecycle and fault rules in play (one keyed on a header the
    fuzz may send): still only documented answers; a 5xx only where a rule injects one."""
    doc = data.draw(st.one_of(st.just(BODIES[key]), mutated_doc(BODIES[key])))
    body = data.draw(body_bytes(doc))
    if data.draw(st.integers(0, 9)) == 0:
        hdrs = {**hdrs, "x-fuzz": "1"}
    model = key.rsplit("/", 1)[0]
    reply = _send(featured, "POST", "/model/" + _encoded(model) + "/invoke", body, hdrs, http2)
    injected = reply.headers.get("x-amzn-errortype", "").split(":")[0] in (
        "ServiceUnavailableException",
        "InternalServerException",
    )
    problem = documented_problem(reply.status_code, dict(reply.headers), reply.content, injected=injected)
    assert problem is None, f"{key} {hdrs}: {problem}: {reply.status_code} {reply.content[:300]!r}"
