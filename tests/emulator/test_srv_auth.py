"""Authentication (docs/CONTRACT.md §2.5.3): recorded forms, the strict-mode order, and SigV4 verification
against requests signed by botocore's own SigV4Auth, the request time included."""

from __future__ import annotations

from datetime import UTC, datetime

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from flask.testing import FlaskClient

from emulator import EmulatorConfig, create_app
from emulator.auth import check_request_time, parse_authorization, path_candidates
from emulator.errors import SIGNATURE_MISMATCH, InvalidSignatureException
from tests.support.apps import RecordingHooks, with_hooks
from tests.support.bodies import NOVA_PATH, THREE_CATS
from tests.support.responses import assert_error_response
from validator import messages

KEY, SECRET, TOKEN = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "good-token"
SIGV4 = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/bedrock/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abcdef0123"
)


def signed_headers(
    path: str, body: bytes, *, secret: str = SECRET, service: str = "bedrock"
) -> dict[str, str]:
    request = AWSRequest("POST", f"http://localhost{path}", data=body)
    SigV4Auth(Credentials(KEY, secret), service, "us-east-1").add_auth(request)
    return dict(request.headers.items())


@pytest.fixture
def strict() -> FlaskClient:
    config = EmulatorConfig(
        access_log=False, strict_auth=True, access_keys={KEY: SECRET}, bearer_tokens=frozenset({TOKEN})
    )
    return create_app(config).test_client()


@pytest.mark.parametrize(
    ("header", "record"),
    [
        (None, {"form": "none"}),
        ("Bearer abc", {"form": "bearer"}),
        (
            SIGV4,
            {"form": "sigv4", "access_key_id": "AKIDEXAMPLE", "region": "eu-west-1", "service": "bedrock"},
        ),
        ("Basic dXNlcjpwYXNz", {"form": "other"}),
    ],
)
def test_forms_are_recorded_by_default(header: str | None, record: dict[str, str]) -> None:
    assert parse_authorization(header).record() == record
    hooks = RecordingHooks()
    client = with_hooks(create_app(EmulatorConfig(access_log=False)), hooks).test_client()
    headers = {"Authorization": header} if header else {}
    assert client.post(NOVA_PATH, data=THREE_CATS, headers=headers).status_code == 200
    assert hooks.calls[0].auth == record


@pytest.mark.parametrize(
    ("headers", "name", "message"),
    [
        ({}, "MissingAuthenticationTokenException", messages.MISSING_AUTH_TOKEN),
        ({"Authorization": "Basic x"}, "MissingAuthenticationTokenException", messages.MISSING_AUTH_TOKEN),
        (
            {"Authorization": SIGV4.replace("/bedrock/", "/s3/")},
            "InvalidSignatureException",
            messages.WRONG_SERVICE_SCOPE,
        ),
        (
            {"Authorization": SIGV4.replace(KEY, "AKIDOTHER")},
            "UnrecognizedClientException",
            messages.INVALID_SECURITY_TOKEN,
        ),
        ({"Authorization": "Bearer bad-token"}, "AccessDeniedException", messages.INVALID_API_KEY),
        ({"Authorization": SIGV4}, "InvalidSignatureException", SIGNATURE_MISMATCH),
    ],
)
def test_strict_mode_cases(strict: FlaskClient, headers: dict[str, str], name: str, message: str) -> None:
    assert_error_response(strict.post(NOVA_PATH, data=THREE_CATS, headers=headers), name, 403, message)


def test_strict_mode_accepts_good_credentials(strict: FlaskClient) -> None:
    assert (
        strict.post(NOVA_PATH, data=THREE_CATS, headers=signed_headers(NOVA_PATH, THREE_CATS)).status_code
        == 200
    )
    assert (
        strict.post(NOVA_PATH, data=THREE_CATS, headers={"Authorization": f"Bearer {TOKEN}"}).status_code
        == 200
    )


def test_signature_covers_the_body(strict: FlaskClient) -> None:
    response = strict.post(NOVA_PATH, data=THREE_CATS + b" ", headers=signed_headers(NOVA_PATH, THREE_CATS))
    assert_error_response(response, "InvalidSignatureException", 403, SIGNATURE_MISMATCH)


def test_wrong_secret(strict: FlaskClient) -> None:
    response = strict.post(
        NOVA_PATH, data=THREE_CATS, headers=signed_headers(NOVA_PATH, THREE_CATS, secret="nope")
    )
    assert_error_response(response, "InvalidSignatureException", 403, SIGNATURE_MISMATCH)


def test_path_candidates() -> None:
    decoded = "/model/arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-canvas-v1:0/invoke"
    encoded = (
        "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Famazon.nova-canvas-v1%3A0/invoke"
    )
    assert path_candidates(None, decoded) == (encoded, decoded)
    assert path_candidates("/model/x%3A1/invoke", "ignored") == ("/model/x%3A1/invoke",)


NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("amz_date", "message"),
    [
        (
            "20260301T115459Z",
            "Signature expired: 20260301T115459Z is now earlier than 20260301T115500Z "
            "(20260301T120000Z - 5 min.)",
        ),
        (
            "20260301T120501Z",
            "Signature not yet current: 20260301T120501Z is still later than 20260301T120500Z "
            "(20260301T120000Z + 5 min.)",
        ),
    ],
)
def test_request_time_outside_five_minutes_is_refused(amz_date: str, message: str) -> None:
    with pytest.raises(InvalidSignatureException) as caught:
        check_request_time(amz_date, now=NOW)
    assert caught.value.message == message


@pytest.mark.parametrize("amz_date", ["20260301T115500Z", "20260301T120500Z", "not a date"])
def test_request_time_at_the_edges_passes_the_time_check(amz_date: str) -> None:
    check_request_time(amz_date, now=NOW)  # an unreadable date is left to the signature check


def test_stale_signature_through_the_app(strict: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Signed by botocore's SigV4Auth at a fixed time in 2020: a correct signature, but expired."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: datetime(2020, 1, 1))
    response = strict.post(NOVA_PATH, data=THREE_CATS, headers=signed_headers(NOVA_PATH, THREE_CATS))
    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"].startswith("InvalidSignatureException")
    assert response.get_json()["message"].startswith(
        "Signature expired: 20200101T000000Z is now earlier than "
    )
