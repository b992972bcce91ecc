"""emulator/openapi.yaml describes the Stability AI models: the names it repeats match their sources, and the
bodies the server answers are valid against the documented 200 schema (docs/CONTRACT.md §S3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema
import pytest
import referencing
import referencing.jsonschema
import yaml

from emulator.call import FinishReason
from emulator.testdouble.rules import FAULTS
from tests.support.bodies import gradient_png_b64
from tests.support.rawhttp import http_request
from tests.support.server import EmulatorProcess, start_server
from validator import json_schema
from validator.stability.models import STABILITY_MODELS, Family, Operation, StabilityModel
from validator.stability.response import FILTER_REASONS

SPEC_URI = "urn:nova-canvas-emulator:openapi"
OK_SCHEMA = "/components/responses/InvokeModelOk/content/application~1json/schema"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((resources.files("emulator") / "openapi.yaml").read_text())
    return loaded


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    env = {"NOVA_EMULATOR_HISTORIC_MODELS": "true", "NOVA_EMULATOR_BLOCKED_WORDS": "forbidden"}
    srv = start_server(tmp_path_factory.mktemp("st-openapi"), "st-openapi", env=env)
    yield srv
    srv.stop()


def validate(spec: dict[str, Any], instance: object, pointer: str) -> None:
    resource = referencing.Resource.from_contents(
        spec, default_specification=referencing.jsonschema.DRAFT202012
    )
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(SPEC_URI, resource)
    schema = {"$ref": f"{SPEC_URI}#{pointer}"}
    jsonschema.Draft202012Validator(schema, registry=registry).validate(instance)


def union_of_properties(family: Family) -> set[str]:
    keys: set[str] = set()
    for model, info in STABILITY_MODELS.items():
        if info.family is family:
            keys |= set(json_schema(model.value)["properties"])
    return keys


def test_names_match_their_sources(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["StabilityModelId"]["enum"] == [m.value for m in StabilityModel]
    assert schemas["StabilityOperation"]["enum"] == [o.value for o in Operation]
    reasons = schemas["StabilityFinished"]["properties"]["finish_reasons"]["items"]["enum"]
    assert set(reasons) == {r.value for r in FinishReason} == set(FILTER_REASONS)
    action_faults = schemas["Action"]["oneOf"][1]["properties"]["fault"]["enum"]
    assert action_faults == list(FAULTS)


def test_request_tops_are_the_validators(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert set(schemas["StabilityRequest"]["properties"]) == union_of_properties(Family.V2)
    assert set(schemas["SdxlRequest"]["properties"]) == union_of_properties(Family.V1)


@pytest.mark.parametrize(
    ("model", "body"),
    [
        ("stability.stable-image-core-v1:1", {"prompt": "a lighthouse", "output_format": "jpeg"}),
        ("stability.stable-image-core-v1:1", {"prompt": "a forbidden lighthouse"}),
        ("us.stability.stable-image-erase-object-v1:0", {"image": gradient_png_b64()}),
        ("stability.stable-diffusion-xl-v1", {"text_prompts": [{"text": "a lighthouse"}]}),
    ],
)
def test_answers_are_valid_against_the_documented_200(
    spec: dict[str, Any], server: EmulatorProcess, model: str, body: dict[str, Any]
) -> None:
    status, _, data = http_request(server.port, "POST", f"/model/{model}/invoke", json.dumps(body).encode())
    assert status == 200
    validate(spec, json.loads(data), OK_SCHEMA)
    validate(spec, body, "/components/requestBodies/InvokeModelBody/content/application~1json/schema")


def test_nova_answers_do_not_pass_as_stability_ones(spec: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate(spec, {"images": ["aGVsbG8="]}, "/components/schemas/StabilityResponse")
    with pytest.raises(jsonschema.ValidationError):
        validate(
            spec,
            {"finish_reasons": ["Filter reason: prompt"], "seeds": [1]},
            "/components/schemas/StabilityFinished",
        )
