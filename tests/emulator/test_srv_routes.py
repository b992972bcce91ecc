"""Routing on the raw path (docs/CONTRACT.md §2.2), response headers (§2.7, §2.8) and the order of checks
(§2.4), through the werkzeug test client (which, unlike Granian, supplies the raw URI as
RAW_URI/REQUEST_URI)."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from emulator import EmulatorConfig, create_app
from emulator.routes import parse_route
from emulator.wire import raw_request_path
from tests.support.bodies import NOVA_PATH, THREE_CATS
from tests.support.responses import assert_error_response
from validator import messages

ARN = "arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Famazon.nova-canvas-v1%3A0"
SMALL = (
    b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"x"},'
    b'"imageGenerationConfig":{"width":320,"height":320}}'
)


@pytest.mark.parametrize(
    "path",
    [
        NOVA_PATH,
        "/model/amazon.nova-canvas-v1:0/invoke",  # litellm: raw colon
        f"/model/{ARN}/invoke",  # botocore: fully encoded ARN
        "/model/arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-canvas-v1:0/invoke",  # raw "/" (D30)
        "/model/us.amazon.nova-canvas-v1%3A0/invoke?ignored=1",  # profile id; query string ignored
    ],
)
def test_model_id_forms_are_served(client: FlaskClient, path: str) -> None:
    response = client.post(path, data=SMALL)
    assert response.status_code == 200, response.data
    assert response.headers["Content-Type"] == "application/json"
    assert len(response.headers["x-amzn-RequestId"]) == 36
    assert response.headers["X-Amzn-Bedrock-Invocation-Latency"].isdigit()
    assert list(json.loads(response.data)) == ["images"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/model/amazon.nova-canvas-v1%3A0/invoke/"),  # trailing slash (rule 4)
        ("GET", NOVA_PATH),  # non-POST method
        ("PUT", NOVA_PATH),
        ("POST", "/model/amazon.nova-canvas-v1%3A0/generate"),
        ("POST", "/invoke"),
        ("GET", "/"),
        ("POST", "/_emulator/nothing-here"),
    ],
)
def test_unknown_operation(client: FlaskClient, method: str, path: str) -> None:
    response = client.open(path, method=method, data=b"{}")
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == messages.UNKNOWN_OPERATION_ERROR_TYPE
    assert response.data == messages.UNKNOWN_OPERATION_BODY.encode()
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("path", ["/model//invoke", "/model/%20/invoke"])
def test_empty_or_blank_model_id(client: FlaskClient, path: str) -> None:
    response = client.post(path, data=SMALL)
    assert_error_response(response, "ValidationException", 400, messages.INVALID_MODEL_ID)


def test_empty_content_type_is_not_absent(client: FlaskClient) -> None:
    response = client.post(NOVA_PATH, data=SMALL, headers={"Content-Type": ""})
    assert_error_response(response, "ValidationException", 400, messages.INVALID_CONTENT_TYPE)


def test_double_encoding_is_decoded_once(client: FlaskClient) -> None:
    assert_error_response(
        client.post("/model/amazon.nova-canvas-v1%253A0/invoke", data=SMALL),
        "ValidationException",
        400,
        messages.INVALID_MODEL_ID,
    )


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ("invoke-with-response-stream", messages.STREAMING_UNSUPPORTED),
        ("converse", messages.CONVERSE_UNSUPPORTED),
        ("converse-stream", messages.CONVERSE_UNSUPPORTED),
    ],
)
def test_unsupported_operations(client: FlaskClient, operation: str, message: str) -> None:
    response = client.post(f"/model/amazon.titan-image-generator-v1/{operation}", data=b"not even json")
    assert_error_response(response, "ValidationException", 400, message)
    unknown = client.post(f"/model/amazon.nova-lite-v1%3A0/{operation}", data=b"{}")
    assert_error_response(unknown, "ValidationException", 400, messages.INVALID_MODEL_ID)


def test_order_model_id_before_headers_and_body(client: FlaskClient) -> None:
    response = client.post("/model/nope/invoke", data=b"[", headers={"Content-Type": "text/plain"})
    assert_error_response(response, "ValidationException", 400, messages.INVALID_MODEL_ID)


def test_order_content_type_before_accept_before_body(client: FlaskClient) -> None:
    bad_both = {"Content-Type": "text/plain", "Accept": "image/png"}
    assert_error_response(client.post(NOVA_PATH, data=b"[", headers=bad_both), "ValidationException", 400,
                 messages.INVALID_CONTENT_TYPE)  # fmt: skip
    bad_accept = {"Accept": "image/png"}
    assert_error_response(client.post(NOVA_PATH, data=b"[", headers=bad_accept), "ValidationException", 400,
                 messages.INVALID_ACCEPT)  # fmt: skip
    assert_error_response(client.post(NOVA_PATH, data=b"["), "ValidationException", 400, messages.MALFORMED)


def test_body_size_from_content_length_comes_before_model_id(client: FlaskClient) -> None:
    response = client.post(
        "/model/nope/invoke",
        data=b"{}",
        environ_overrides={"CONTENT_LENGTH": str(messages.MAX_BODY_BYTES + 1)},
    )
    assert_error_response(response, "ValidationException", 400, messages.BODY_TOO_LARGE)


def test_octet_stream_is_accepted_unless_strict(client: FlaskClient) -> None:
    headers = {"Content-Type": "application/octet-stream"}
    assert client.post(NOVA_PATH, data=SMALL, headers=headers).status_code == 200


def test_strict_content_type() -> None:
    strict = create_app(EmulatorConfig(access_log=False, strict_content_type=True)).test_client()
    response = strict.post(NOVA_PATH, data=SMALL, headers={"Content-Type": "application/octet-stream"})
    assert_error_response(response, "ValidationException", 400, messages.INVALID_CONTENT_TYPE)


def test_success_body_is_compact_and_ordered(client: FlaskClient) -> None:
    response = client.post(NOVA_PATH, data=THREE_CATS)
    assert response.data.startswith(b'{"images":["iVBORw0KGgo')
    assert b" " not in response.data
    assert len(json.loads(response.data)["images"]) == 3


def test_health(client: FlaskClient) -> None:
    response = client.get("/_emulator/health")
    assert response.status_code == 200
    assert response.json is not None and response.json["status"] == "ok"
    assert "x-amzn-RequestId" not in response.headers  # control endpoints are not Bedrock calls


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {"RAW_URI": "/model/a%2Fb/invoke?x", "PATH_INFO": "/model/a/b/invoke"},
            ("/model/a%2Fb/invoke", True),
        ),
        ({"REQUEST_URI": "/model/a%3Ab/invoke"}, ("/model/a%3Ab/invoke", True)),
        ({"PATH_INFO": "/model/caf\xc3\xa9/invoke"}, ("/model/café/invoke", False)),  # Granian: latin-1 bytes
    ],
)
def test_raw_request_path(environ: dict[str, str], expected: tuple[str, bool]) -> None:
    assert raw_request_path(environ) == expected


@pytest.mark.parametrize(
    ("path", "encoded", "operation", "model_id"),
    [
        ("/model/a%2Fb%3Ac/invoke", True, "invoke", "a/b:c"),
        ("/model/a%2Fb%3Ac/invoke", False, "invoke", "a%2Fb%3Ac"),  # already decoded once by the server
        ("/model/x/y/converse-stream", False, "converse-stream", "x/y"),
        ("/model/x/invoke/", True, None, None),
    ],
)
def test_parse_route(path: str, encoded: bool, operation: str | None, model_id: str | None) -> None:
    route = parse_route("POST", path, encoded)
    assert (route.operation, route.model_id) == (operation, model_id)
