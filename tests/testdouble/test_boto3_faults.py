"""Every fault kind through boto3 against the real server: the exception, the attempts, the journal."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import (
    ConnectionClosedError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from emulator.client import EmulatorControl
from emulator.pytest_plugin import EmulatorServer
from tests.support.bodies import text_body
from tests.support.clients import invoke, wait_for_journal
from validator import messages

RETRYABLE = {
    "ThrottlingException",
    "ModelNotReadyException",
    "InternalServerException",
    "ServiceUnavailableException",
}


def test_fail_twice_then_succeed_with_standard_retries(
    bedrock_runtime: Any, nova_emulator_control: EmulatorControl
) -> None:
    nova_emulator_control.add_rule(
        sequence=["ThrottlingException", "ThrottlingException", "ok"], count="call", name="flaky"
    )
    result = invoke(bedrock_runtime, text_body())
    assert len(result["images"]) == 1
    entries = nova_emulator_control.journal()
    assert [e["status"] for e in entries] == [429, 429, 200]
    assert [e["attempt"] for e in entries] == [1, 2, 3]
    assert len({e["invocation_id"] for e in entries}) == 1
    assert entries[0]["response"]["error_type"] == "ThrottlingException"
    # Counted per call: the next SDK call starts the sequence again.
    invoke(bedrock_runtime, text_body())
    assert [e["status"] for e in nova_emulator_control.journal()][3:] == [429, 429, 200]


@pytest.mark.parametrize("name", sorted(messages.EXCEPTION_STATUS))
def test_each_exception_surfaces_as_its_class(
    nova_emulator: EmulatorServer, nova_emulator_control: EmulatorControl, name: str
) -> None:
    client = nova_emulator.bedrock_client(total_attempts=2)
    nova_emulator_control.add_rule(name)
    with pytest.raises(getattr(client.exceptions, name)) as caught:
        invoke(client, text_body())
    error = caught.value.response
    assert error["Error"]["Code"] == name
    assert error["Error"]["Message"] == messages.DEFAULT_EXCEPTION_MESSAGE[name]
    assert error["ResponseMetadata"]["HTTPStatusCode"] == messages.EXCEPTION_STATUS[name]
    attempts = nova_emulator_control.journal()
    assert len(attempts) == (2 if name in RETRYABLE else 1)


def test_custom_message_and_matching_on_prompt(
    bedrock_runtime: Any, nova_emulator_control: EmulatorControl
) -> None:
    nova_emulator_control.add_rule(
        {"error": "ModelErrorException", "message": "boom"},
        match={"prompt": "(?i)volcano", "task": "TEXT_IMAGE"},
    )
    invoke(bedrock_runtime, text_body("a quiet meadow"))
    with pytest.raises(bedrock_runtime.exceptions.ModelErrorException, match="boom"):
        invoke(bedrock_runtime, text_body("A Volcano erupting"))


def test_stall_past_read_timeout_raises_read_timeout(
    nova_emulator: EmulatorServer, nova_emulator_control: EmulatorControl
) -> None:
    client = nova_emulator.bedrock_client(total_attempts=1, read_timeout=1)
    nova_emulator_control.add_rule({"stall_s": 2})
    with pytest.raises(ReadTimeoutError):
        invoke(client, text_body())
    assert len(wait_for_journal(nova_emulator_control, 1)) == 1


def test_stall_then_ok_is_retried(
    nova_emulator: EmulatorServer, nova_emulator_control: EmulatorControl
) -> None:
    client = nova_emulator.bedrock_client(total_attempts=3, read_timeout=1)
    nova_emulator_control.add_rule(sequence=[{"stall_s": 2}, "ok"], count="call")
    assert len(invoke(client, text_body())["images"]) == 1
    entries = wait_for_journal(nova_emulator_control, 2)
    assert sorted(e["attempt"] for e in entries) == [1, 2]


@pytest.mark.parametrize("fault", ["reset", "empty"])
def test_connection_faults_raise_connection_closed(
    nova_emulator: EmulatorServer, nova_emulator_control: EmulatorControl, fault: str
) -> None:
    client = nova_emulator.bedrock_client(total_attempts=1)
    nova_emulator_control.add_rule({"fault": fault})
    with pytest.raises(ConnectionClosedError):
        invoke(client, text_body())
    [entry] = nova_emulator_control.journal()
    assert entry["fault"] == fault


def test_connection_reset_is_retried(bedrock_runtime: Any, nova_emulator_control: EmulatorControl) -> None:
    nova_emulator_control.add_rule(sequence=["reset", "empty", "ok"], count="call")
    assert len(invoke(bedrock_runtime, text_body())["images"]) == 1
    assert [e["fault"] for e in nova_emulator_control.journal()] == ["reset", "empty", None]


def test_truncated_body_fails_while_reading(
    bedrock_runtime: Any, nova_emulator_control: EmulatorControl
) -> None:
    nova_emulator_control.add_rule({"fault": "truncate"})
    response = bedrock_runtime.invoke_model(modelId="amazon.nova-canvas-v1:0", body=text_body())
    with pytest.raises((IncompleteReadError, ResponseStreamingError)):
        response["body"].read()
    assert len(nova_emulator_control.journal()) == 1


def test_invalid_json_body(bedrock_runtime: Any, nova_emulator_control: EmulatorControl) -> None:
    nova_emulator_control.add_rule({"fault": "invalid_json"})
    response = bedrock_runtime.invoke_model(modelId="amazon.nova-canvas-v1:0", body=text_body())
    raw = response["body"].read()
    assert raw.startswith(b'{"images":["')
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)


def test_fixed_latency_is_added_and_reported(
    bedrock_runtime: Any, nova_emulator_control: EmulatorControl
) -> None:
    nova_emulator_control.add_rule({"latency_ms": 300})
    started = time.monotonic()
    response = bedrock_runtime.invoke_model(modelId="amazon.nova-canvas-v1:0", body=text_body())
    assert time.monotonic() - started >= 0.3
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-invocation-latency"]) >= 300
    assert nova_emulator_control.journal()[0]["latency_ms"] >= 300


def test_legacy_retry_mode_makes_five_attempts_under_throttling(
    nova_emulator: EmulatorServer, nova_emulator_control: EmulatorControl
) -> None:
    client = nova_emulator.bedrock_client(mode="legacy", total_attempts=5)
    nova_emulator_control.add_rule("ThrottlingException")
    with pytest.raises(client.exceptions.ThrottlingException):
        invoke(client, text_body())
    entries = nova_emulator_control.journal()
    assert [e["attempt"] for e in entries] == [1, 2, 3, 4, 5]
    assert nova_emulator_control.rules()[0]["fired"] == 5


def test_output_and_input_moderation_through_boto3(
    bedrock_runtime: Any, nova_emulator_control: EmulatorControl
) -> None:
    nova_emulator_control.set_filters(blocked_words=["forbidden"], output_block={"mode": "all"})
    assert invoke(bedrock_runtime, text_body(number=2)) == {
        "images": [],
        "error": messages.ALL_IMAGES_BLOCKED,
    }
    with pytest.raises(bedrock_runtime.exceptions.ValidationException) as caught:
        invoke(bedrock_runtime, text_body("forbidden fruit"))
    assert caught.value.response["Error"]["Message"] == messages.NOVA_TEXT_BLOCKED
    assert [e["response"].get("blocked") for e in nova_emulator_control.journal()] == [2, None]


def test_lifecycle_through_boto3(bedrock_runtime: Any, nova_emulator_control: EmulatorControl) -> None:
    nova_emulator_control.set_lifecycle("amazon.nova-canvas-v1:0", "eol")
    with pytest.raises(bedrock_runtime.exceptions.ResourceNotFoundException) as caught:
        invoke(bedrock_runtime, text_body())
    assert caught.value.response["Error"]["Message"] == messages.LIFECYCLE_EOL
