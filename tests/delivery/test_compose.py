"""docker/compose.yaml: valid against the Compose Specification, wired to the Dockerfile it builds.

The example client's real call is made in test_docker.py, against the image's command.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.support.dockerfile import stages

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker" / "compose.yaml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The compose file as Docker Compose reads it."""
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    # check-jsonschema vendors the Compose Specification's JSON Schema.
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    jsonschema.validate(compose, schema, format_checker=jsonschema.FormatChecker())


def test_emulator_is_built_from_the_repository_dockerfile(compose: dict[str, Any]) -> None:
    build = compose["services"]["emulator"]["build"]
    context = (COMPOSE.parent / build["context"]).resolve()
    assert context == REPO
    assert (context / build["dockerfile"]).resolve() == REPO / "docker" / "Dockerfile"


def test_emulator_healthcheck_is_the_image_healthcheck(compose: dict[str, Any]) -> None:
    image_check = stages((REPO / "docker" / "Dockerfile").read_text())[-1].last("HEALTHCHECK").exec_form()
    assert compose["services"]["emulator"]["healthcheck"]["test"] == ["CMD", *image_check]


def test_published_port_is_the_exposed_port(compose: dict[str, Any]) -> None:
    exposed = stages((REPO / "docker" / "Dockerfile").read_text())[-1].last("EXPOSE").args
    assert compose["services"]["emulator"]["ports"] == [f"{exposed}:{exposed}"]


def test_example_client_waits_for_a_healthy_emulator(compose: dict[str, Any]) -> None:
    client = compose["services"]["example-client"]
    assert client["depends_on"] == {"emulator": {"condition": "service_healthy"}}
    assert (COMPOSE.parent / client["build"] / "Dockerfile").is_file()
    assert client["environment"]["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"].startswith("http://emulator:")


def test_environment_values_are_strings(compose: dict[str, Any]) -> None:
    """Quoted in the file, so YAML cannot turn `2` or `true` into a number or a boolean on the way."""
    for service in compose["services"].values():
        for value in service.get("environment", {}).values():
            assert isinstance(value, str)
