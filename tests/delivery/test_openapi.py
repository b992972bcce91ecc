"""emulator/openapi.yaml against the app: a valid OpenAPI 3.1 document that describes every route.

Both directions are checked: every route the app registers is documented with its methods, and every
documented operation, called through the Flask test client, answers with a documented status, the documented
content type, a body valid against the documented schema and the required headers. Names the spec repeats
(models, tasks, operations, texts) are compared with their sources.
"""

from __future__ import annotations

import base64
import io
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jsonschema
import pytest
import referencing
import referencing.jsonschema
import yaml
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate as validate_openapi
from PIL import Image

from emulator import EmulatorConfig, create_app, routes
from emulator.testdouble.config import TestDoubleConfig
from validator import messages
from validator.jsonschema_export import json_schema
from validator.types import ModelId, TaskType

SPEC_URI = "urn:nova-canvas-emulator:openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
NOVA = ModelId.NOVA_CANVAS.value
INVOKE = f"/model/{NOVA}/invoke"
TEXT_IMAGE = {
    "taskType": "TEXT_IMAGE",
    "textToImageParams": {"text": "a lighthouse"},
    "imageGenerationConfig": {"width": 320, "height": 320, "numberOfImages": 2},
}


def load_spec() -> dict[str, Any]:
    """The document as the installed package ships it."""
    spec: dict[str, Any] = yaml.safe_load((resources.files("emulator") / "openapi.yaml").read_text())
    return spec


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec()


def openapi_path(rule: str) -> str:
    """A werkzeug rule (`/journal/<int:entry_id>`) as an OpenAPI path template (`/journal/{entry_id}`)."""
    return re.sub(r"<(?:[a-z]+:)?([A-Za-z_]\w*)>", r"{\1}", rule)


def test_spec_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1.")
    validate_openapi(spec)


def test_every_route_the_app_serves_is_documented(spec: dict[str, Any]) -> None:
    app = create_app(EmulatorConfig(access_log=False))
    undocumented = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "bedrock_runtime.dispatch":  # the catch-all
            continue
        item = spec["paths"].get(openapi_path(rule.rule), {})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if method.lower() not in item:
                undocumented.append(f"{method} {rule.rule}")
    assert undocumented == []


def test_every_documented_emulator_path_is_served(spec: dict[str, Any]) -> None:
    app = create_app(EmulatorConfig(access_log=False))
    served = {openapi_path(rule.rule) for rule in app.url_map.iter_rules()}
    documented = {path for path in spec["paths"] if not path.startswith("/model/")}
    assert documented - served == set()


def test_bedrock_operations_are_the_routed_ones(spec: dict[str, Any]) -> None:
    operations = {path.rsplit("/", 1)[1] for path in spec["paths"] if path.startswith("/model/{modelId}/")}
    assert operations == set(routes.OPERATIONS)
    assert spec["components"]["schemas"]["Operation"]["enum"] == list(routes.OPERATIONS)


def test_no_route_outside_the_documented_surface() -> None:
    app = create_app(EmulatorConfig(access_log=False))
    assert "static" not in {rule.endpoint for rule in app.url_map.iter_rules()}


def test_names_match_their_sources(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["ModelId"]["enum"] == [m.value for m in ModelId]
    assert schemas["TaskType"]["enum"] == [t.value for t in TaskType]
    assert schemas["InvokeModelResponse"]["properties"]["error"]["enum"] == [
        messages.SOME_IMAGES_BLOCKED,
        messages.ALL_IMAGES_BLOCKED,
    ]
    error_type = spec["components"]["headers"]["ErrorType"]["schema"]["pattern"]
    assert all(re.match(error_type, name + messages.ERROR_TYPE_SUFFIX) for name in messages.EXCEPTION_STATUS)
    unknown = spec["components"]["responses"]["UnknownOperation"]["headers"]["x-amzn-ErrorType"]["schema"]
    assert unknown["const"] == messages.UNKNOWN_OPERATION_ERROR_TYPE


def test_request_body_top_level_is_the_validators(spec: dict[str, Any]) -> None:
    """The spec fixes only the top level of the body; it must be the union of the validator's schemas."""
    documented = spec["components"]["schemas"]["InvokeModelRequest"]
    keys: set[str] = set()
    config_keys: set[str] = set()
    for model in ModelId:
        schema = json_schema(model.value)
        keys |= set(schema["properties"])
        for task in schema["$defs"].values():
            config = task["properties"].get("imageGenerationConfig", {})
            config_keys |= set(config.get("properties", {}))
    assert set(documented["properties"]) == keys
    assert set(documented["properties"]["imageGenerationConfig"]["properties"]) == config_keys


# --- calling every documented operation -------------------------------------------------------------------


@dataclass
class Checker:
    """Checks responses against the operation the spec documents for them."""

    spec: dict[str, Any]
    registry: referencing.Registry[Any] = field(init=False)
    exercised: set[tuple[str, str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        resource = referencing.Resource.from_contents(
            self.spec, default_specification=referencing.jsonschema.DRAFT202012
        )
        self.registry = referencing.Registry().with_resource(SPEC_URI, resource)

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """Follow a `$ref` to components."""
        while "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def validate(self, instance: object, pointer: str) -> None:
        """Validate against the schema at this JSON pointer of the spec (refs resolve within the spec)."""
        schema = {"$ref": f"{SPEC_URI}#{pointer}"}
        jsonschema.Draft202012Validator(schema, registry=self.registry).validate(instance)

    def check(self, template: str, method: str, response: Any) -> None:
        """The status is documented; content type, body and required headers are as documented."""
        operation = self.spec["paths"][template][method]
        status = str(response.status_code)
        assert status in operation["responses"], f"{method.upper()} {template}: undocumented {status}"
        self.exercised.add((template, method, status))
        documented = self.resolve(operation["responses"][status])
        for name, header in documented.get("headers", {}).items():
            header = self.resolve(header)
            if header.get("required"):
                assert name in response.headers, f"{method.upper()} {template} {status}: no {name}"
                jsonschema.validate(response.headers[name], header["schema"])
        content = documented.get("content")
        if not content:
            return
        mimetype = response.mimetype
        assert mimetype in content, f"{method.upper()} {template} {status}: {mimetype} not documented"
        if mimetype == "application/json":
            response_pointer = (
                operation["responses"][status]["$ref"].removeprefix("#")
                if "$ref" in operation["responses"][status]
                else f"/paths/{template.replace('/', '~1')}/{method}/responses/{status}"
            )
            self.validate(
                json.loads(response.get_data()), f"{response_pointer}/content/application~1json/schema"
            )


@pytest.fixture
def checker(spec: dict[str, Any]) -> Checker:
    return Checker(spec)


@pytest.fixture
def app() -> Flask:
    """The default app, keeping journaled images of any size (so thumbnails exist for the page's routes)."""
    return create_app(
        EmulatorConfig(access_log=False, testdouble=TestDoubleConfig(journal_image_cap=1 << 24))
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_bedrock_operations_answer_documented_responses(client: FlaskClient, checker: Checker) -> None:
    template = "/model/{modelId}/invoke"
    ok = client.post(INVOKE, data=json.dumps(TEXT_IMAGE))
    checker.check(template, "post", ok)
    images = [base64.b64decode(image) for image in ok.get_json()["images"]]
    assert [Image.open(io.BytesIO(png)).size for png in images] == [(320, 320), (320, 320)]
    checker.check(template, "post", client.post(INVOKE, data=b"{"))
    checker.check(
        template, "post", client.post(INVOKE, data=b"{}", content_type="application/json; charset=x")
    )
    checker.check(template, "post", client.post("/model/amazon.nova-lite-v1:0/invoke", data=b"{}"))
    for operation in ("invoke-with-response-stream", "converse", "converse-stream"):
        checker.check(f"/model/{{modelId}}/{operation}", "post", client.post(f"/model/{NOVA}/{operation}"))


def test_injected_faults_and_lifecycle_answer_documented_responses(
    client: FlaskClient, checker: Checker
) -> None:
    template = "/model/{modelId}/invoke"
    for exception in messages.EXCEPTION_STATUS:
        rule = {"match": {"model": NOVA}, "action": exception, "times": 1}
        checker.check("/_emulator/rules", "post", client.post("/_emulator/rules", json=rule))
        response = client.post(INVOKE, data=json.dumps(TEXT_IMAGE))
        assert response.headers["x-amzn-ErrorType"].startswith(exception + ":")
        checker.check(template, "post", response)
    body = {"state": "eol"}
    checker.check(
        "/_emulator/lifecycle/{model}", "put", client.put(f"/_emulator/lifecycle/{NOVA}", json=body)
    )
    checker.check(template, "post", client.post(INVOKE, data=json.dumps(TEXT_IMAGE)))
    checker.check("/model/{modelId}/converse", "post", client.post(f"/model/{NOVA}/converse"))


def test_output_moderation_answers_the_documented_body(client: FlaskClient, checker: Checker) -> None:
    filters = {"output_block": {"mode": "indices", "indices": [1]}}
    checker.check("/_emulator/filters", "put", client.put("/_emulator/filters", json=filters))
    response = client.post(INVOKE, data=json.dumps(TEXT_IMAGE))
    checker.check("/model/{modelId}/invoke", "post", response)
    assert response.get_json()["error"] == messages.SOME_IMAGES_BLOCKED


def test_strict_auth_answers_documented_responses(checker: Checker) -> None:
    client = create_app(EmulatorConfig(access_log=False, strict_auth=True)).test_client()
    response = client.post(INVOKE, data=json.dumps(TEXT_IMAGE))
    assert response.status_code == 403
    checker.check("/model/{modelId}/invoke", "post", response)


def test_every_documented_operation_answers_a_documented_status(
    client: FlaskClient, checker: Checker
) -> None:
    """One call per documented operation (plus its error answers), in an order that creates what it needs."""
    spec = checker.spec
    calls: list[tuple[str, str, str, dict[str, Any]]] = [
        ("/_emulator/health", "get", "/_emulator/health", {}),
        ("/model/{modelId}/invoke", "post", INVOKE, {"data": json.dumps(TEXT_IMAGE)}),
        (
            "/model/{modelId}/invoke-with-response-stream",
            "post",
            f"/model/{NOVA}/invoke-with-response-stream",
            {},
        ),
        ("/model/{modelId}/converse", "post", f"/model/{NOVA}/converse", {}),
        ("/model/{modelId}/converse-stream", "post", f"/model/{NOVA}/converse-stream", {}),
        ("/_emulator/journal", "get", "/_emulator/journal?order=desc&limit=5", {}),
        ("/_emulator/journal", "get", "/_emulator/journal?order=sideways", {}),
        ("/_emulator/journal/{entry_id}", "get", "/_emulator/journal/1", {}),
        ("/_emulator/journal/{entry_id}", "get", "/_emulator/journal/999", {}),
        ("/_emulator/journal/{entry_id}", "get", "/_emulator/journal/-1", {}),  # no route: unknown operation
        ("/_emulator/ui", "get", "/_emulator/ui", {}),
        ("/_emulator/ui/static/{filename}", "get", "/_emulator/ui/static/ui.css", {}),
        ("/_emulator/ui/static/{filename}", "get", "/_emulator/ui/static/ui.js", {}),
        ("/_emulator/ui/api/meta", "get", "/_emulator/ui/api/meta", {}),
        ("/_emulator/ui/api/entries", "get", "/_emulator/ui/api/entries?status=ok", {}),
        ("/_emulator/ui/api/entries", "get", "/_emulator/ui/api/entries?status=maybe", {}),
        ("/_emulator/ui/api/entries/{entry_id}", "get", "/_emulator/ui/api/entries/1", {}),
        ("/_emulator/ui/thumb/{entry_id}/{kind}/{n}.png", "get", "/_emulator/ui/thumb/1/output/0.png", {}),
        (
            "/_emulator/rules",
            "post",
            "/_emulator/rules",
            {"json": spec_example(spec, "/_emulator/rules", "post")},
        ),
        ("/_emulator/rules", "post", "/_emulator/rules", {"json": [{"action": "ok"}, {"action": "stall"}]}),
        ("/_emulator/rules", "post", "/_emulator/rules", {"json": {"action": "NoSuchException"}}),
        ("/_emulator/rules", "get", "/_emulator/rules", {}),
        ("/_emulator/rules/{rule_id}", "get", "/_emulator/rules/1", {}),
        ("/_emulator/rules/{rule_id}", "delete", "/_emulator/rules/1", {"content_type": "application/json"}),
        ("/_emulator/rules/{rule_id}", "get", "/_emulator/rules/1", {}),
        ("/_emulator/rules/{rule_id}", "delete", "/_emulator/rules/1", {"content_type": "application/json"}),
        ("/_emulator/rules", "delete", "/_emulator/rules", {"content_type": "application/json"}),
        ("/_emulator/filters", "get", "/_emulator/filters", {}),
        (
            "/_emulator/filters",
            "put",
            "/_emulator/filters",
            {"json": spec_example(spec, "/_emulator/filters", "put")},
        ),
        ("/_emulator/filters", "put", "/_emulator/filters", {"json": ["not", "an", "object"]}),
        ("/_emulator/lifecycle", "get", "/_emulator/lifecycle", {}),
        ("/_emulator/lifecycle", "put", "/_emulator/lifecycle", {"json": {ModelId.TITAN_V2.value: "eol"}}),
        ("/_emulator/lifecycle", "put", "/_emulator/lifecycle", {"json": {"amazon.nova-lite-v1:0": "eol"}}),
        (
            "/_emulator/lifecycle/{model}",
            "put",
            f"/_emulator/lifecycle/{NOVA}",
            {"json": {"state": "legacy"}},
        ),
        ("/_emulator/lifecycle/{model}", "put", f"/_emulator/lifecycle/{NOVA}", {"json": {"state": "gone"}}),
        ("/_emulator/config", "get", "/_emulator/config", {}),
        ("/_emulator/reset", "post", "/_emulator/reset", {"content_type": "application/json"}),
        ("/_emulator/journal", "delete", "/_emulator/journal", {"content_type": "application/json"}),
    ]
    for template, method, url, kwargs in calls:
        response = client.open(url, method=method.upper(), **kwargs)
        checker.check(template, method, response)
        response.close()  # static files are streamed from an open file
    documented = {
        (path, method) for path, item in spec["paths"].items() for method in item if method in HTTP_METHODS
    }
    assert documented - {(path, method) for path, method, _ in checker.exercised} == set()


def test_journal_page_404s_answer_json(client: FlaskClient, checker: Checker) -> None:
    client.post(INVOKE, data=json.dumps(TEXT_IMAGE))
    for url in ("/_emulator/ui/thumb/1/output/9.png", "/_emulator/ui/thumb/1/sideways/0.png"):
        response = client.get(url)
        assert response.status_code == 404
        checker.check("/_emulator/ui/thumb/{entry_id}/{kind}/{n}.png", "get", response)


def test_missing_static_file_answers_json(client: FlaskClient, checker: Checker) -> None:
    response = client.get("/_emulator/ui/static/nope.css")
    assert response.status_code == 404
    checker.check("/_emulator/ui/static/{filename}", "get", response)


def spec_example(spec: dict[str, Any], path: str, method: str) -> Any:
    """The request-body example the spec gives for an operation."""
    return spec["paths"][path][method]["requestBody"]["content"]["application/json"]["example"]


def test_control_token_answers_documented_401(checker: Checker) -> None:
    config = EmulatorConfig(access_log=False, testdouble=TestDoubleConfig(control_token="s3cret"))
    client = create_app(config).test_client()
    for template, url in (
        ("/_emulator/rules", "/_emulator/rules"),
        ("/_emulator/ui/api/meta", "/_emulator/ui/api/meta"),
    ):
        response = client.get(url)
        assert response.status_code == 401
        checker.check(template, "get", response)
    checker.check("/_emulator/health", "get", client.get("/_emulator/health"))
    authorized = client.get("/_emulator/rules", headers={"Authorization": "Bearer s3cret"})
    checker.check("/_emulator/rules", "get", authorized)
    assert authorized.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", INVOKE),
        ("POST", INVOKE + "/"),
        ("POST", "/model/x"),
        ("PUT", "/"),
        ("POST", "/_emulator/health"),
        ("GET", "/_emulator/nope"),
    ],
)
def test_anything_else_is_the_documented_unknown_operation(
    client: FlaskClient, checker: Checker, method: str, path: str
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 404
    documented = checker.spec["components"]["responses"]["UnknownOperation"]
    header = documented["headers"]["x-amzn-ErrorType"]["schema"]
    jsonschema.validate(response.headers["x-amzn-ErrorType"], header)
    checker.validate(response.get_json(), "/components/schemas/UnknownOperation")


def test_control_api_off_leaves_health_and_unknown_operation(checker: Checker) -> None:
    config = EmulatorConfig(access_log=False, testdouble=TestDoubleConfig(control_api=False))
    client = create_app(config).test_client()
    checker.check("/_emulator/health", "get", client.get("/_emulator/health"))
    for path in ("/_emulator/rules", "/_emulator/ui", "/_emulator/journal"):
        response = client.get(path)
        assert response.status_code == 404
        checker.validate(response.get_json(), "/components/schemas/UnknownOperation")
