"""Strict authentication against real clients (docs/CONTRACT.md §2.5.3): the four 403 cases in order, and
real SigV4 verification with boto3, raw botocore signing (litellm-style paths) and the JS SDK over h2c.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.auth
import httpx
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from emulator.errors import SIGNATURE_MISMATCH
from tests.support.bodies import NOVA, text_image
from tests.support.clients import ACCESS_KEY, SECRET_KEY, bedrock_client, run_js_cases
from tests.support.responses import check_success
from tests.support.server import EmulatorProcess, start_server
from validator import messages

SUFFIX = messages.ERROR_TYPE_SUFFIX
TOKEN = "bedrock-api-key-good"


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    tmp = tmp_path_factory.mktemp("strict")
    config = tmp / "strict.json"
    settings = {"strict_auth": True, "access_keys": {ACCESS_KEY: SECRET_KEY}, "bearer_tokens": [TOKEN]}
    config.write_text(json.dumps(settings))
    server = start_server(tmp, "strict", ["--config", str(config)], access_log=True)
    yield server
    server.stop()


def assert_auth_error(exc: ClientError, name: str, message: str) -> None:
    meta = exc.response["ResponseMetadata"]
    assert (meta["HTTPStatusCode"], meta["HTTPHeaders"]["x-amzn-errortype"]) == (403, name + SUFFIX)
    assert (exc.response["Error"]["Code"], exc.response["Error"]["Message"]) == (name, message)


def invoke(client: Any, model_id: str = NOVA) -> Any:
    return client.invoke_model(modelId=model_id, body=text_image())


@pytest.mark.parametrize(
    "model_id",
    [NOVA, "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-canvas-v1:0"],
    ids=["id", "arn"],
)
def test_right_secret_is_accepted(strict: EmulatorProcess, model_id: str) -> None:
    """The signature is recomputed over the encoded path botocore sent (%3A, %2F) and verified."""
    out = invoke(bedrock_client(strict.url), model_id)
    check_success(NOVA, text_image(), out["body"].read())


def test_wrong_secret_is_an_invalid_signature(strict: EmulatorProcess) -> None:
    with pytest.raises(ClientError) as info:
        invoke(bedrock_client(strict.url, aws_secret_access_key="not-the-secret"))
    assert_auth_error(info.value, "InvalidSignatureException", SIGNATURE_MISMATCH)


def test_unknown_access_key(strict: EmulatorProcess) -> None:
    with pytest.raises(ClientError) as info:
        invoke(bedrock_client(strict.url, aws_access_key_id="AKIDUNKNOWN"))
    assert_auth_error(info.value, "UnrecognizedClientException", messages.INVALID_SECURITY_TOKEN)


def test_missing_authentication(strict: EmulatorProcess) -> None:
    config = Config(signature_version=UNSIGNED, retries={"mode": "standard", "max_attempts": 1})
    with pytest.raises(ClientError) as info:
        invoke(bedrock_client(strict.url, config=config))
    assert_auth_error(info.value, "MissingAuthenticationTokenException", messages.MISSING_AUTH_TOKEN)


def signed(url: str, body: bytes, *, service: str = "bedrock", secret: str = SECRET_KEY) -> dict[str, str]:
    """Headers of a request signed by botocore's own SigV4Auth, for sending with httpx."""
    request = AWSRequest("POST", url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(ACCESS_KEY, secret), service, "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_wrong_service_scope(strict: EmulatorProcess) -> None:
    url = f"{strict.url}/model/{NOVA}/invoke"
    response = httpx.post(
        url, content=text_image(), headers=signed(url, text_image(), service="bedrock-runtime")
    )
    assert (response.status_code, response.headers["x-amzn-errortype"]) == (
        403,
        "InvalidSignatureException" + SUFFIX,
    )
    assert response.json() == {"message": messages.WRONG_SERVICE_SCOPE}


def test_litellm_style_raw_colon_path_verifies(strict: EmulatorProcess) -> None:
    url = f"{strict.url}/model/{NOVA}/invoke"
    response = httpx.post(url, content=text_image(), headers=signed(url, text_image()))
    assert response.status_code == 200


def test_tampered_body_is_an_invalid_signature(strict: EmulatorProcess) -> None:
    url = f"{strict.url}/model/{NOVA}/invoke"
    response = httpx.post(url, content=text_image(seed=99), headers=signed(url, text_image()))
    assert response.status_code == 403
    assert response.json() == {"message": SIGNATURE_MISMATCH}


@pytest.mark.parametrize(
    ("token", "status"), [(TOKEN, 200), ("bedrock-api-key-bad", 403)], ids=["allowed", "unknown"]
)
def test_bearer_tokens(strict: EmulatorProcess, token: str, status: int) -> None:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    response = httpx.post(f"{strict.url}/model/{NOVA}/invoke", content=text_image(), headers=headers)
    assert response.status_code == status
    if status == 403:
        assert response.headers["x-amzn-errortype"] == "AccessDeniedException" + SUFFIX
        assert response.json() == {"message": messages.INVALID_API_KEY}


def test_unknown_route_answers_before_authentication(strict: EmulatorProcess) -> None:
    """Step 1 (route) comes before step 2 (auth)."""
    response = httpx.post(f"{strict.url}/model/{NOVA}/nope", content=b"{}")
    assert response.status_code == 404
    assert response.text == messages.UNKNOWN_OPERATION_BODY


def test_authentication_answers_before_the_model_id(strict: EmulatorProcess) -> None:
    response = httpx.post(f"{strict.url}/model/amazon.nova-lite-v1:0/invoke", content=b"{}")
    assert response.status_code == 403
    assert response.json() == {"message": messages.MISSING_AUTH_TOKEN}


@pytest.mark.parametrize(("secret", "ok"), [(SECRET_KEY, True), ("wrong", False)], ids=["right", "wrong"])
def test_js_sdk_signatures_over_h2c(
    strict: EmulatorProcess, node_modules: Path, tmp_path: Path, secret: str, ok: bool
) -> None:
    cases = [{"id": "one", "modelId": NOVA, "body": text_image().decode()}]
    creds = {"accessKeyId": ACCESS_KEY, "secretAccessKey": secret}
    result = run_js_cases(node_modules, strict.url, cases, tmp_path, credentials=creds)["one"]
    if ok:
        assert result["ok"], result
    else:
        assert (result["name"], result["status"], result["message"]) == (
            "InvalidSignatureException",
            403,
            SIGNATURE_MISMATCH,
        )


@pytest.mark.parametrize(
    ("skew", "template"),
    [
        (timedelta(minutes=-6), "Signature expired: {signed} is now earlier than "),
        (timedelta(days=-365 * 6), "Signature expired: {signed} is now earlier than "),
        (timedelta(minutes=6), "Signature not yet current: {signed} is still later than "),
        (timedelta(days=365), "Signature not yet current: {signed} is still later than "),
    ],
    ids=["6-min-stale", "2020", "6-min-ahead", "a-year-ahead"],
)
def test_skewed_client_clock_is_refused_like_bedrock(
    strict: EmulatorProcess, monkeypatch: pytest.MonkeyPatch, skew: timedelta, template: str
) -> None:
    """boto3 signing with a clock off by more than 5 minutes: 403 InvalidSignatureException, AWS's words."""
    skewed = datetime.now(UTC).replace(tzinfo=None) + skew
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: skewed)
    with pytest.raises(ClientError) as caught:
        invoke(bedrock_client(strict.url))
    signed = skewed.strftime("%Y%m%dT%H%M%SZ")
    error = caught.value.response["Error"]
    assert (error["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InvalidSignatureException",
        403,
    )
    assert error["Message"].startswith(template.format(signed=signed))
    sign = "-" if skew < timedelta(0) else "+"
    assert re.fullmatch(
        re.escape(template.format(signed=signed)) + rf"\d{{8}}T\d{{6}}Z \(\d{{8}}T\d{{6}}Z \{sign} 5 min\.\)",
        error["Message"],
    )


def test_clock_within_five_minutes_is_accepted(
    strict: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    for skew in (timedelta(minutes=-4), timedelta(minutes=4)):
        skewed = datetime.now(UTC).replace(tzinfo=None) + skew
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda at=skewed: at)
        check_success(NOVA, text_image(), invoke(bedrock_client(strict.url))["body"].read())
