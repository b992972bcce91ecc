"""Model id resolution (docs/CONTRACT.md §2.3)."""

from __future__ import annotations

import pytest

from validator import ModelId, resolve_model_id

NOVA, T1, T2 = ModelId.NOVA_CANVAS, ModelId.TITAN_V1, ModelId.TITAN_V2
ACCOUNT = "123456789012"

RESOLVES = [
    ("amazon.nova-canvas-v1:0", NOVA),
    ("amazon.titan-image-generator-v1", T1),
    ("amazon.titan-image-generator-v2:0", T2),
    ("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-canvas-v1:0", NOVA),
    ("arn:aws-cn:bedrock:cn-north-1::foundation-model/amazon.titan-image-generator-v1", T1),
    ("arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/amazon.titan-image-generator-v2:0", T2),
    ("arn:aws-iso-b:bedrock:us-isob-east-1::foundation-model/amazon.nova-canvas-v1:0", NOVA),
    *(
        (f"{geo}.amazon.nova-canvas-v1:0", NOVA)
        for geo in ("us", "us-gov", "eu", "apac", "jp", "au", "ca", "global")
    ),
    (f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.amazon.nova-canvas-v1:0", NOVA),
    (
        f"arn:aws:bedrock:ap-northeast-1:{ACCOUNT}:inference-profile/apac.amazon.titan-image-generator-v2:0",
        T2,
    ),
]

INVALID = [
    "",
    "a" * 2049,
    "amazon.nova-lite-v1:0",
    "Amazon.nova-canvas-v1:0",
    "amazon.nova-canvas-v1",
    "amazon.nova-canvas-v1%3A0",
    " amazon.nova-canvas-v1:0",
    "amazon.titan-image-generator-v2",
    "us.amazon.nova-lite-v1:0",
    "US.amazon.nova-canvas-v1:0",
    "eu-west.amazon.nova-canvas-v1:0",
    "us.us.amazon.nova-canvas-v1:0",
    f"arn:aws:bedrock:us-east-1:{ACCOUNT}:foundation-model/amazon.nova-canvas-v1:0",
    "arn:aws:bedrock:us-east-1::inference-profile/us.amazon.nova-canvas-v1:0",
    f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/amazon.nova-canvas-v1:0",
    f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/abc",
    f"arn:aws:bedrock:us-east-1:{ACCOUNT}:provisioned-model/abc",
    "arn:aws:s3:us-east-1::foundation-model/amazon.nova-canvas-v1:0",
    "arn:azure:bedrock:us-east-1::foundation-model/amazon.nova-canvas-v1:0",
    "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-canvas-v1:0/invoke",
]


@pytest.mark.parametrize(("raw", "expected"), RESOLVES)
def test_resolves(raw: str, expected: ModelId) -> None:
    assert resolve_model_id(raw) is expected


@pytest.mark.parametrize("raw", INVALID)
def test_invalid(raw: str) -> None:
    assert resolve_model_id(raw) is None


def test_length_limit_is_inclusive() -> None:
    assert len("amazon.nova-canvas-v1:0") <= 2048
    assert resolve_model_id("x" * 2048, {"x" * 2048: "amazon.nova-canvas-v1:0"}) is NOVA
    assert resolve_model_id("x" * 2049, {"x" * 2049: "amazon.nova-canvas-v1:0"}) is None


def test_aliases_by_arn_or_profile_id() -> None:
    arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/a1b2c3"
    assert resolve_model_id(arn) is None
    assert resolve_model_id(arn, {arn: "amazon.titan-image-generator-v1"}) is T1
    assert resolve_model_id(arn, {"a1b2c3": "amazon.nova-canvas-v1:0"}) is NOVA
    assert resolve_model_id("a1b2c3", {"a1b2c3": "amazon.nova-canvas-v1:0"}) is NOVA


def test_alias_to_unserved_model_is_invalid() -> None:
    arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/a1b2c3"
    assert resolve_model_id(arn, {arn: "amazon.nova-lite-v1:0"}) is None


def test_non_string_input_is_invalid() -> None:
    assert resolve_model_id(None) is None  # type: ignore[arg-type]
    assert resolve_model_id(b"amazon.nova-canvas-v1:0") is None  # type: ignore[arg-type]
