"""boto3 against the real server (docs/CONTRACT.md §2, §9).

endpoint_url and AWS_ENDPOINT_URL_BEDROCK_RUNTIME, every task type, ARN ids, every modelled exception as its
`client.exceptions` class, and the unsupported operations.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest

from tests.support.bodies import NOVA, TITAN_V1, TITAN_V2, image_size, task_body, text_image
from tests.support.clients import FAULT_HEADER, add_header, bedrock_client
from tests.support.responses import check_success
from tests.support.server import subprocess_env
from validator import messages

ERROR_TYPE = "x-amzn-errortype"
NOVA_TASKS = [
    "TEXT_IMAGE",
    "COLOR_GUIDED_GENERATION",
    "IMAGE_VARIATION",
    "INPAINTING",
    "OUTPAINTING",
    "BACKGROUND_REMOVAL",
    "VIRTUAL_TRY_ON",
]
TITAN_V2_TASKS = NOVA_TASKS[:-1]
TITAN_V1_TASKS = ["TEXT_IMAGE", "IMAGE_VARIATION", "INPAINTING", "OUTPAINTING"]
CASES = (
    [(NOVA, t) for t in NOVA_TASKS]
    + [(TITAN_V2, t) for t in TITAN_V2_TASKS]
    + [(TITAN_V1, t) for t in TITAN_V1_TASKS]
)


def assert_client_error(exc: Any, name: str, status: int, message: str) -> None:
    """Status, x-amzn-ErrorType and exact message of a botocore ClientError."""
    response = exc.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert response["ResponseMetadata"]["HTTPHeaders"][ERROR_TYPE] == name + messages.ERROR_TYPE_SUFFIX
    assert response["Error"]["Code"] == name
    assert response["Error"]["Message"] == message


@pytest.mark.parametrize(("model_id", "task"), CASES, ids=[f"{m}-{t}" for m, t in CASES])
def test_every_task_type(bedrock: Any, model_id: str, task: str) -> None:
    body = json.dumps(task_body(task, titan=model_id != NOVA)).encode()
    out = bedrock.invoke_model(modelId=model_id, body=body)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert out["contentType"] == "application/json"
    headers = out["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-invocation-latency"].isdigit()
    check_success(model_id, body, out["body"].read())


def test_titan_return_mask(bedrock: Any) -> None:
    body = task_body("INPAINTING", titan=True)
    body["inPaintingParams"]["returnMask"] = True
    raw = json.dumps(body).encode()
    parsed = check_success(TITAN_V2, raw, bedrock.invoke_model(modelId=TITAN_V2, body=raw)["body"].read())
    assert image_size(parsed["maskImage"])[:2] == (320, 320)


def test_several_images_keep_their_order_and_size(bedrock: Any) -> None:
    raw = text_image(seed=3, width=384, height=320, count=3)
    parsed = check_success(NOVA, raw, bedrock.invoke_model(modelId=NOVA, body=raw)["body"].read())
    assert [image_size(b64) for b64 in parsed["images"]] == [(384, 320, "RGB")] * 3


@pytest.mark.parametrize(
    "model_id",
    [
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-canvas-v1:0",
        "arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/amazon.nova-canvas-v1:0",
        "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-canvas-v1:0",
        "us.amazon.nova-canvas-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
    ],
)
def test_arn_and_profile_model_ids(bedrock: Any, model_id: str) -> None:
    """botocore percent-encodes the whole ARN (%3A, %2F); all forms resolve to the canonical model."""
    raw = text_image()
    out = bedrock.invoke_model(modelId=model_id, body=raw)
    check_success(NOVA, raw, out["body"].read())


@pytest.mark.parametrize(
    "model_id",
    [
        "amazon.nova-lite-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/unmapped",
        "arn:aws:bedrock:us-east-1:123456789012:foundation-model/amazon.nova-canvas-v1:0",
        "amazon.nova-canvas-v1%3A0",  # botocore encodes it again: %253A decodes once to %3A, then fails
    ],
)
def test_invalid_model_ids(bedrock: Any, model_id: str) -> None:
    with pytest.raises(bedrock.exceptions.ValidationException) as info:
        bedrock.invoke_model(modelId=model_id, body=text_image())
    assert_client_error(info.value, "ValidationException", 400, messages.INVALID_MODEL_ID)


def test_endpoint_from_environment_variable(emulator: Any) -> None:
    """AWS_ENDPOINT_URL_BEDROCK_RUNTIME alone redirects boto3 (a fresh process, as users run it)."""
    code = (
        "import boto3, json\n"
        "c = boto3.client('bedrock-runtime')\n"
        f"out = c.invoke_model(modelId='amazon.nova-canvas-v1:0', body={text_image().decode()!r})\n"
        "print(json.dumps([out['contentType'], len(json.loads(out['body'].read())['images'])]))\n"
    )
    env = subprocess_env(
        {
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emulator.url,
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_DEFAULT_REGION": "us-west-2",
        }
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["application/json", 1]


@pytest.mark.parametrize("name", sorted(messages.EXCEPTION_STATUS))
def test_each_modelled_exception_is_its_class(emulator: Any, name: str) -> None:
    """A fault rule (the test double's control API) forces each of the ten exceptions of docs/CONTRACT.md
    §2.9."""
    client = bedrock_client(emulator.url)
    add_header(client, FAULT_HEADER, name)
    with pytest.raises(getattr(client.exceptions, name)) as info:
        client.invoke_model(modelId=NOVA, body=text_image())
    status, message = messages.EXCEPTION_STATUS[name], messages.DEFAULT_EXCEPTION_MESSAGE[name]
    assert_client_error(info.value, name, status, message)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"body": b"not json"}, messages.MALFORMED),
        ({"body": b"{}", "contentType": "application/json; charset=utf-8"}, messages.INVALID_CONTENT_TYPE),
        ({"body": b"{}", "accept": "image/png"}, messages.INVALID_ACCEPT),
        (
            {"body": b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"x","images":[]}}'},
            "Malformed input request: #/textToImageParams: extraneous key [images] is not permitted, "
            "please reformat your input and try again.",
        ),
    ],
)
def test_validation_errors(bedrock: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(bedrock.exceptions.ValidationException) as info:
        bedrock.invoke_model(modelId=NOVA, **kwargs)
    assert_client_error(info.value, "ValidationException", 400, message)


def test_streaming_is_unsupported(bedrock: Any) -> None:
    with pytest.raises(bedrock.exceptions.ValidationException) as info:
        bedrock.invoke_model_with_response_stream(modelId=NOVA, body=text_image())
    assert_client_error(info.value, "ValidationException", 400, messages.STREAMING_UNSUPPORTED)


@pytest.mark.parametrize("operation", ["converse", "converse_stream"])
def test_converse_is_unsupported(bedrock: Any, operation: str) -> None:
    with pytest.raises(bedrock.exceptions.ValidationException) as info:
        getattr(bedrock, operation)(modelId=NOVA, messages=[{"role": "user", "content": [{"text": "hi"}]}])
    assert_client_error(info.value, "ValidationException", 400, messages.CONVERSE_UNSUPPORTED)


def test_unsupported_operation_on_unknown_model_gets_the_model_error(bedrock: Any) -> None:
    with pytest.raises(bedrock.exceptions.ValidationException) as info:
        bedrock.invoke_model_with_response_stream(modelId="amazon.nova-lite-v1:0", body=text_image())
    assert_client_error(info.value, "ValidationException", 400, messages.INVALID_MODEL_ID)


def test_litellm_style_raw_colon_path(emulator: Any) -> None:
    """litellm (httpx) sends the id with a raw `:`, JSON content type, `Accept: */*` and gzip
    (docs/CONTRACT.md §9)."""
    headers = {"Content-Type": "application/json", "Accept": "*/*", "Accept-Encoding": "gzip, deflate"}
    raw = text_image()
    response = httpx.post(f"{emulator.url}/model/{NOVA}/invoke", content=raw, headers=headers, timeout=60)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "content-encoding" not in response.headers
    check_success(NOVA, raw, response.content)


def test_bearer_token_is_accepted_by_default(emulator: Any) -> None:
    """`Authorization: Bearer` (litellm `api_key=`, Vercel AI SDK) is accepted without checks by default.

    boto3 itself refuses to send a bearer token (AWS_BEARER_TOKEN_BEDROCK) over plain http, so it is sent here
    the way litellm does.
    """
    headers = {"Authorization": "Bearer token-123", "Content-Type": "application/json", "Accept": "*/*"}
    raw = text_image()
    response = httpx.post(f"{emulator.url}/model/{NOVA}/invoke", content=raw, headers=headers, timeout=60)
    assert response.status_code == 200
    check_success(NOVA, raw, response.content)
