"""The Stability AI models through the real server over raw HTTP (docs/CONTRACT.md §S1-§S3, §S6, §S8):
model ids (R8, invalid ids), retired ids with and without `historic_models`, streaming and Converse, the
nested-detail error byte for byte, and the V2 and SDXL success bodies with their key order and headers.

Expected texts are written out here, not imported from the code under test.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterator

import pytest
from PIL import Image

from tests.support.rawhttp import http_request
from tests.support.server import EmulatorProcess, start_server
from validator import validate_request, validate_response

ULTRA = "stability.stable-image-ultra-v1:1"
CORE = "stability.stable-image-core-v1:1"
INPAINT = "stability.stable-image-inpaint-v1:0"
SKETCH_PROFILE = "us.stability.stable-image-control-sketch-v1:0"
SDXL = "stability.stable-diffusion-xl-v1"
HISTORIC = (
    "stability.stable-image-core-v1:0",
    "stability.stable-image-ultra-v1:0",
    "stability.sd3-large-v1:0",
    SDXL,
)
ALWAYS_EOL = ("stability.stable-diffusion-xl-v0", "stability.stable-diffusion-xl")

ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
INVALID_ID = "The provided model identifier is invalid."
EOL = (
    "This model version has reached the end of its life. "
    "Please refer to the AWS documentation for more details."
)
STREAMING = "The model is unsupported for streaming."
CONVERSE = (
    "This action doesn't support the model that you provided. Try again with a supported text or chat model."
)
# R4, byte for byte as Bedrock sent it (Content-Length: 196)
R4_BODY = (
    b'{"message":"{\\"detail\\":\\"Invalid field \'text_prompts\' in request. Available fields for '
    b"control-sketch are: image, prompt, control_strength, negative_prompt, seed, output_format, "
    b'style_preset\\"}"}'
)
V2_SUCCESS = re.compile(rb'\{"seeds":\[(\d+)\],"finish_reasons":\[null\],"images":\["([A-Za-z0-9+/]+=*)"\]\}')
SDXL_SUCCESS = re.compile(
    rb'\{"result":"success","artifacts":\[\{"seed":(\d+),"base64":"([A-Za-z0-9+/]+=*)","finishReason":"SUCCESS"\}\]\}'
)


def r8(model: str) -> str:
    return (
        f"Invocation of model ID {model} with on-demand throughput isn\u2019t supported. Retry your request "
        "with the ID or ARN of an inference profile that contains this model."
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    srv = start_server(tmp_path_factory.mktemp("stability"), "stability")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def historic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    env = {"NOVA_EMULATOR_HISTORIC_MODELS": "true"}
    srv = start_server(tmp_path_factory.mktemp("historic"), "historic", env=env)
    yield srv
    srv.stop()


def post(
    srv: EmulatorProcess, model: str, body: object, operation: str = "invoke"
) -> tuple[int, dict[str, str], bytes]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    return http_request(srv.port, "POST", f"/model/{model}/{operation}", data, headers)


def message(body: bytes) -> str:
    data = json.loads(body)
    assert list(data) == ["message"]
    text: str = data["message"]
    return text


def assert_honours_contract(model: str, request: object, response: bytes) -> None:
    """The validator's response check (docs/CONTRACT.md §S3) passes on what the server answered."""
    typed = validate_request(json.dumps(request).encode(), model).request
    assert typed is not None
    assert validate_response(response, typed).errors == ()


def decoded(b64: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


# --- model ids ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [INPAINT, f"arn:aws:bedrock:us-east-1::foundation-model/{INPAINT}"],
)
def test_profile_only_service_by_bare_id_gets_r8(server: EmulatorProcess, raw: str) -> None:
    """T5: the on-demand text names the canonical id, and comes before the body is read."""
    status, headers, body = post(server, raw, b"{not json")
    assert (status, headers["x-amzn-errortype"]) == (400, "ValidationException" + ERROR_TYPE_SUFFIX)
    assert message(body) == r8(INPAINT)


@pytest.mark.parametrize(
    "raw",
    [
        "stability.stable-image-outpaint-v1:0",  # T6: the misspelt outpaint id
        "stability.stable-image-search-and-replace-v1:0",
        "us.stability.stable-image-ultra-v1:1",  # D-S3: generators have no inference profile
        "eu.stability.stable-image-inpaint-v1:0",  # D-S4: only `us.` profiles
    ],
)
def test_unknown_stability_ids_are_invalid(server: EmulatorProcess, raw: str) -> None:
    status, headers, body = post(server, raw, {"prompt": "x"})
    assert (status, headers["x-amzn-errortype"], message(body)) == (
        400,
        "ValidationException" + ERROR_TYPE_SUFFIX,
        INVALID_ID,
    )


@pytest.mark.parametrize(
    ("operation", "text"),
    [
        ("invoke-with-response-stream", STREAMING),
        ("converse", CONVERSE),
        ("converse-stream", CONVERSE),
    ],
)
@pytest.mark.parametrize("model", [ULTRA, "us.stability.stable-image-erase-object-v1:0"])
def test_streaming_and_converse_answer_their_usual_texts(
    server: EmulatorProcess, operation: str, text: str, model: str
) -> None:
    """T13."""
    status, _, body = post(server, model, {"prompt": "x"}, operation)
    assert (status, message(body)) == (400, text)


def test_streaming_on_a_bare_service_id_still_gets_r8_first(server: EmulatorProcess) -> None:
    status, _, body = post(server, INPAINT, {"prompt": "x"}, "invoke-with-response-stream")
    assert (status, message(body)) == (400, r8(INPAINT))


# --- retired ids (D-S1) -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", HISTORIC + ALWAYS_EOL)
def test_retired_ids_answer_end_of_life_by_default(server: EmulatorProcess, model: str) -> None:
    status, headers, body = post(server, model, {"prompt": "x"})
    assert (status, headers["x-amzn-errortype"], message(body)) == (
        404,
        "ResourceNotFoundException" + ERROR_TYPE_SUFFIX,
        EOL,
    )


@pytest.mark.parametrize("model", ALWAYS_EOL)
def test_sdxl_0_8_is_end_of_life_even_with_historic_models(historic: EmulatorProcess, model: str) -> None:
    status, _, body = post(historic, model, {"text_prompts": [{"text": "x"}]})
    assert (status, message(body)) == (404, EOL)


def test_historic_models_serve_the_retired_generators(historic: EmulatorProcess) -> None:
    status, _, body = post(historic, "stability.stable-image-core-v1:0", {"prompt": "a harbour", "seed": 5})
    assert status == 200
    match = V2_SUCCESS.fullmatch(body)
    assert match is not None and match[1] == b"5"


def test_health_lists_what_is_served(server: EmulatorProcess, historic: EmulatorProcess) -> None:
    _, _, plain = http_request(server.port, "GET", "/_emulator/health")
    _, _, wider = http_request(historic.port, "GET", "/_emulator/health")
    plain_models, wider_models = json.loads(plain)["models"], json.loads(wider)["models"]
    assert ULTRA in plain_models and INPAINT in plain_models
    assert not set(HISTORIC) & set(plain_models)
    assert set(wider_models) - set(plain_models) == set(HISTORIC)
    assert "stability.stable-diffusion-xl-v0" not in wider_models


# --- errors -------------------------------------------------------------------------------------------------


def test_container_error_is_r4_byte_for_byte(server: EmulatorProcess) -> None:
    """T2: an SDXL-shaped body to Control Sketch through its profile id."""
    body = {"text_prompts": [{"text": "a sketch"}], "cfg_scale": 7, "steps": 30}
    status, headers, data = post(server, SKETCH_PROFILE, body)
    assert status == 400
    assert (
        headers["x-amzn-errortype"]
        == "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"
    )
    assert headers["content-type"] == "application/json"
    assert data == R4_BODY
    assert len(data) == int(headers["content-length"]) == 196


def test_missing_prompt_on_ultra_is_the_schema_layer_text(server: EmulatorProcess) -> None:
    """T4 (R1)."""
    status, _, body = post(server, ULTRA, {"text_prompts": [{"text": "x"}]})
    assert (status, message(body)) == (
        400,
        "Malformed input request: #: required key [prompt] not found, "
        "please reformat your input and try again.",
    )


# --- success bodies -----------------------------------------------------------------------------------------


def test_ultra_text_to_image_is_the_compact_v2_body(server: EmulatorProcess) -> None:
    """T1: keys in the order seeds, finish_reasons, images; an integer seed; a 1024x1024 PNG; the same
    headers as Nova's."""
    request = {"prompt": "A car made out of vegetables."}
    status, headers, body = post(server, ULTRA, request)
    assert status == 200
    assert_honours_contract(ULTRA, request, body)
    match = V2_SUCCESS.fullmatch(body)
    assert match is not None, body[:200]
    assert list(json.loads(body)) == ["seeds", "finish_reasons", "images"]
    image = decoded(match[2])
    assert (image.format, image.size) == ("PNG", (1024, 1024))
    assert headers["content-type"] == "application/json"
    assert len(headers["x-amzn-requestid"]) == 36
    assert headers["x-amzn-bedrock-invocation-latency"].isdigit()
    assert int(headers["content-length"]) == len(body)


def test_the_reported_seed_reproduces_the_image(server: EmulatorProcess) -> None:
    """D-S15: a seedless request reports the seed it used; sending that seed gives the same bytes."""
    _, _, first = post(server, CORE, {"prompt": "a red kite over dunes", "aspect_ratio": "16:9"})
    match = V2_SUCCESS.fullmatch(first)
    assert match is not None
    seed = int(match[1])
    assert 0 < seed <= 4_294_967_295
    _, _, again = post(
        server, CORE, {"prompt": "a red kite over dunes", "aspect_ratio": "16:9", "seed": seed}
    )
    assert again == first
    assert decoded(match[2]).size == (1344, 768)


def test_output_format_picks_the_encoding(server: EmulatorProcess) -> None:
    request = {"prompt": "a lighthouse", "seed": 9, "output_format": "jpeg"}
    status, _, body = post(server, CORE, request)
    assert_honours_contract(CORE, request, body)
    match = V2_SUCCESS.fullmatch(body)
    assert status == 200 and match is not None and match[1] == b"9"
    assert decoded(match[2]).format == "JPEG"


def test_a_service_through_its_profile_id(server: EmulatorProcess) -> None:
    image = Image.new("RGB", (320, 256), (30, 140, 90))
    buf = io.BytesIO()
    image.save(buf, "WEBP")
    body = {"image": base64.b64encode(buf.getvalue()).decode(), "output_format": "webp"}
    status, _, data = post(server, "us.stability.stable-image-remove-background-v1:0", body)
    assert_honours_contract("us.stability.stable-image-remove-background-v1:0", body, data)
    match = V2_SUCCESS.fullmatch(data)
    assert status == 200 and match is not None
    output = decoded(match[2])
    assert (output.format, output.size, output.mode) == ("WEBP", (320, 256), "RGBA")


def test_sdxl_success_body(historic: EmulatorProcess) -> None:
    """docs/CONTRACT.md §S3.3: result, then one artifact with seed, base64 (PNG) and finishReason."""
    body = {"text_prompts": [{"text": "a lighthouse"}], "seed": 11, "width": 1152, "height": 896}
    status, headers, data = post(historic, SDXL, body)
    assert status == 200
    assert_honours_contract(SDXL, body, data)
    match = SDXL_SUCCESS.fullmatch(data)
    assert match is not None, data[:200]
    assert match[1] == b"11"
    image = decoded(match[2])
    assert (image.format, image.size) == ("PNG", (1152, 896))
    assert headers["x-amzn-bedrock-invocation-latency"].isdigit()
