"""Stability AI model ids (docs/CONTRACT.md §S1.2, §S1.5, D-S3, D-S4) and R8 at step 4."""

from __future__ import annotations

import pytest

from validator import BedrockError, ModelId, invocation_error, resolve_model_id, validate_request
from validator.stability.models import STABILITY_MODELS, Invocation, StabilityModel

ACCOUNT = "123456789012"
R8 = (
    "Invocation of model ID {} with on-demand throughput isn\u2019t supported. Retry your request "
    "with the ID "
    "or ARN of an inference profile that contains this model."
)
SERVICES = [m for m, i in STABILITY_MODELS.items() if i.invocation is Invocation.PROFILE_ONLY]
ON_DEMAND = [m for m, i in STABILITY_MODELS.items() if i.invocation is Invocation.ON_DEMAND]


def test_the_table_has_13_services_and_8_on_demand_ids() -> None:
    assert len(SERVICES) == 13
    assert len(ON_DEMAND) == 8


@pytest.mark.parametrize("model", list(StabilityModel))
def test_bare_id_and_foundation_model_arn_resolve(model: StabilityModel) -> None:
    assert resolve_model_id(model.value) is model
    assert resolve_model_id(f"arn:aws:bedrock:us-west-2::foundation-model/{model.value}") is model


@pytest.mark.parametrize("model", SERVICES)
def test_services_resolve_from_us_profile_and_its_arn(model: StabilityModel) -> None:
    assert resolve_model_id(f"us.{model.value}") is model
    arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.{model.value}"
    assert resolve_model_id(arn) is model
    assert invocation_error(f"us.{model.value}", model) is None
    assert invocation_error(arn, model) is None


@pytest.mark.parametrize("geo", ["eu", "apac", "global", "us-gov", "jp"])
@pytest.mark.parametrize("model", SERVICES[:3])
def test_services_in_other_geographies_are_invalid(model: StabilityModel, geo: str) -> None:
    """D-S4."""
    assert resolve_model_id(f"{geo}.{model.value}") is None
    assert (
        resolve_model_id(f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/{geo}.{model.value}") is None
    )


@pytest.mark.parametrize("model", ON_DEMAND)
def test_profiles_of_on_demand_models_are_invalid(model: StabilityModel) -> None:
    """D-S3: `us.stability.sd3-large-v1:0` etc. exist only in doc samples."""
    assert resolve_model_id(f"us.{model.value}") is None
    assert resolve_model_id(f"arn:aws:bedrock:us-west-2:{ACCOUNT}:inference-profile/us.{model.value}") is None
    assert invocation_error(model.value, model) is None


def test_sdxl_alias_and_misspelt_ids() -> None:
    assert resolve_model_id("stability.stable-diffusion-xl") is StabilityModel.SDXL_V0
    for wrong in (
        "stability.stable-image-outpaint-v1:0",  # T6: the real id is stable-outpaint
        "stability.stable-image-search-and-replace-v1:0",
        "us.stability.stable-image-outpaint-v1:0",
        "Stability.stable-image-ultra-v1:1",
        "stability.stable-image-ultra-v1:2",
        "stability.stable-diffusion-xl-v1:0",
    ):
        assert resolve_model_id(wrong) is None, wrong


def test_nova_and_titan_unchanged() -> None:
    assert resolve_model_id("eu.amazon.nova-canvas-v1:0") is ModelId.NOVA_CANVAS
    assert invocation_error("amazon.nova-canvas-v1:0", ModelId.NOVA_CANVAS) is None


def test_aliases_may_name_a_stability_model() -> None:
    arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/abc"
    aliases = {arn: StabilityModel.INPAINT.value}
    assert resolve_model_id(arn, aliases) is StabilityModel.INPAINT
    assert invocation_error(arn, StabilityModel.INPAINT) is None


@pytest.mark.parametrize("model", SERVICES)
def test_r8_for_bare_id_and_foundation_model_arn(model: StabilityModel) -> None:
    expected = BedrockError("ValidationException", 400, R8.format(model.value))
    assert invocation_error(model.value, model) == expected
    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{model.value}"
    assert invocation_error(arn, model) == expected


def test_t5_validate_request_answers_r8_before_reading_the_body() -> None:
    """T5: the bare inpaint id; the body is not even JSON, yet step 4 answers first."""
    report = validate_request(b"not json", "stability.stable-image-inpaint-v1:0")
    assert report.error == BedrockError(
        "ValidationException",
        400,
        "Invocation of model ID stability.stable-image-inpaint-v1:0 with on-demand throughput isn\u2019t "
        "supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
    )
    assert report.model is StabilityModel.INPAINT
    assert report.request is None
    assert report.errors[0].stage == "protocol"


def test_t6_validate_request_answers_invalid_identifier() -> None:
    report = validate_request(b'{"image":"x"}', "stability.stable-image-outpaint-v1:0")
    assert report.error == BedrockError(
        "ValidationException", 400, "The provided model identifier is invalid."
    )
    assert report.model is None
