"""The test double on the Stability AI models through the real server over raw HTTP (docs/CONTRACT.md §S5.3,
docs/CONTROL_API.md): content filters with the models' own answers, the simulated model failure, rules,
lifecycle, the journal and the journal page.

Expected texts are written out here, not imported from the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.support.bodies import gradient_png_b64, half_mask_png_b64, solid_png_b64
from tests.support.rawhttp import http_request
from tests.support.server import EmulatorProcess, start_server
from validator import validate_request, validate_response

ULTRA = "stability.stable-image-ultra-v1:1"
CORE = "stability.stable-image-core-v1:1"
SD35 = "stability.sd3-5-large-v1:0"
SDXL = "stability.stable-diffusion-xl-v1"
INPAINT = "us.stability.stable-image-inpaint-v1:0"
SEARCH_REPLACE = "us.stability.stable-image-search-replace-v1:0"
SEARCH_RECOLOR = "us.stability.stable-image-search-recolor-v1:0"
STYLE_TRANSFER = "us.stability.stable-style-transfer-v1:0"
NOVA = "amazon.nova-canvas-v1:0"

FILTERED_PROMPT = b'{"finish_reasons":["Filter reason: prompt"]}'
FILTERED_INPUT = b'{"finish_reasons":["Filter reason: input image"]}'
FILTERED_OUTPUT = b'{"finish_reasons":["Filter reason: output image"]}'
INFERENCE_ERROR = b'{"finish_reasons":["Inference error"]}'
NOVA_TEXT_BLOCKED = (
    "This request has been blocked by our content filters. "
    "Please adjust your text prompt to submit a new request."
)
EOL = (
    "This model version has reached the end of its life. "
    "Please refer to the AWS documentation for more details."
)
LEGACY = (
    "Access denied. This Model is marked by provider as Legacy and you have not been actively using the "
    "model in the last 30 days. Please upgrade to an active model on Amazon Bedrock"
)
V2_SUCCESS = re.compile(rb'\{"seeds":\[(\d+)\],"finish_reasons":\[null\],"images":\["([A-Za-z0-9+/]+=*)"\]\}')
SDXL_ARTIFACT = re.compile(
    rb'\{"result":"success","artifacts":\[\{"seed":(\d+),"base64":"([A-Za-z0-9+/]*=*)","finishReason":"(\w+)"\}\]\}'
)
SDXL_BODY = {"text_prompts": [{"text": "a lighthouse at dusk"}], "seed": 21}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    env = {"NOVA_EMULATOR_HISTORIC_MODELS": "true"}  # SDXL's answers too
    srv = start_server(tmp_path_factory.mktemp("st-testdouble"), "st-testdouble", env=env)
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def clean(server: EmulatorProcess) -> None:
    assert control(server, "POST", "/reset")[0] == 200


def control(srv: EmulatorProcess, method: str, path: str, body: object = None) -> tuple[int, Any]:
    data = json.dumps(body if body is not None else {}).encode() if method != "GET" else b""
    headers = {"Content-Type": "application/json"} if method != "GET" else {}
    status, _, reply = http_request(srv.port, method, "/_emulator" + path, data, headers)
    return status, json.loads(reply) if reply else None


def post(srv: EmulatorProcess, model: str, body: object) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode()
    return http_request(
        srv.port, "POST", f"/model/{model}/invoke", data, {"Content-Type": "application/json"}
    )


def set_filters(srv: EmulatorProcess, **filters: object) -> None:
    status, _ = control(srv, "PUT", "/filters", filters)
    assert status == 200


def last_entry(srv: EmulatorProcess, **query: str) -> dict[str, Any]:
    params = "&".join(f"{k}={v}" for k, v in {"order": "desc", "limit": "1", **query}.items())
    status, page = control(srv, "GET", f"/journal?{params}")
    assert status == 200 and page["entries"]
    entry: dict[str, Any] = page["entries"][0]
    return entry


def assert_honours_contract(model: str, request: object, response: bytes) -> None:
    """The validator's response check (docs/CONTRACT.md §S3) passes on what the server answered."""
    typed = validate_request(json.dumps(request).encode(), model).request
    assert typed is not None
    assert validate_response(response, typed).errors == ()


def pixels(b64: bytes | str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB"), dtype=np.int16)


def roughness(image: np.ndarray) -> float:
    """Mean absolute difference between horizontal neighbours: a blur lowers it."""
    return float(np.abs(np.diff(image, axis=1)).mean())


# --- content filters (docs/CONTRACT.md §S5.3) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (ULTRA, {"prompt": "a Forbidden castle"}),
        (SD35, {"prompt": "a castle", "negative_prompt": "forbidden things"}),
        (
            SEARCH_REPLACE,
            {"prompt": "a hat", "search_prompt": "the forbidden sweater", "image": gradient_png_b64()},
        ),
        (
            SEARCH_RECOLOR,
            {"prompt": "pink", "select_prompt": "forbidden jacket", "image": gradient_png_b64()},
        ),
    ],
)
def test_blocked_words_in_any_prompt_field_are_filter_reason_prompt(
    server: EmulatorProcess, model: str, body: dict[str, Any]
) -> None:
    set_filters(server, blocked_words=["forbidden"])
    status, headers, data = post(server, model, body)
    assert (status, data) == (200, FILTERED_PROMPT)
    assert_honours_contract(model, body, data)
    assert "x-amzn-errortype" not in headers
    assert post(server, model, {**body, **{k: "fine" for k in body if k.endswith("prompt")}})[0] == 200


def test_nova_keeps_its_own_text_on_the_same_filters(server: EmulatorProcess) -> None:
    set_filters(server, blocked_words=["forbidden"])
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "forbidden"}}
    status, _, data = post(server, NOVA, body)
    assert (status, json.loads(data)) == (400, {"message": NOVA_TEXT_BLOCKED})


def test_sdxl_refuses_blocked_words_with_invalid_prompts(server: EmulatorProcess) -> None:
    set_filters(server, blocked_words=["forbidden"])
    body = {"text_prompts": [{"text": "a castle"}, {"text": "FORBIDDEN", "weight": -1}]}
    status, headers, data = post(server, SDXL, body)
    assert (status, headers["x-amzn-errortype"].split(":")[0], data) == (
        400,
        "ValidationException",
        b'{"message":"invalid_prompts"}',
    )


@pytest.mark.parametrize("field", ["init_image", "style_image"])
def test_blocked_input_image_is_filter_reason_input_image(server: EmulatorProcess, field: str) -> None:
    blocked = solid_png_b64(colour=(200, 10, 10))
    images = {"init_image": gradient_png_b64(), "style_image": solid_png_b64(), field: blocked}
    set_filters(server, blocked_image_hashes=[hashlib.sha256(blocked.encode()).hexdigest()])
    status, _, data = post(server, STYLE_TRANSFER, {**images, "prompt": "statue"})
    assert (status, data) == (200, FILTERED_INPUT)


def test_blocked_mask_by_marker(server: EmulatorProcess) -> None:
    set_filters(server, blocked_image_marker="BLOCK-ME")
    body = {"prompt": "a door", "image": gradient_png_b64(), "mask": solid_png_b64(text_chunk="BLOCK-ME")}
    assert post(server, INPAINT, body)[2] == FILTERED_INPUT


def test_output_block_is_filter_reason_output_image(server: EmulatorProcess) -> None:
    set_filters(server, output_block={"mode": "all", "words": ["storm"]})
    assert post(server, ULTRA, {"prompt": "a storm at sea", "seed": 4})[2] == FILTERED_OUTPUT
    assert V2_SUCCESS.fullmatch(post(server, ULTRA, {"prompt": "a calm sea", "seed": 4})[2]) is not None


def test_sdxl_output_block_returns_the_picture_blurred(server: EmulatorProcess) -> None:
    status, _, plain = post(server, SDXL, SDXL_BODY)
    clear = SDXL_ARTIFACT.fullmatch(plain)
    assert status == 200 and clear is not None and clear[3] == b"SUCCESS"
    set_filters(server, output_block={"mode": "all"})
    status, _, data = post(server, SDXL, SDXL_BODY)
    assert_honours_contract(SDXL, SDXL_BODY, data)
    filtered = SDXL_ARTIFACT.fullmatch(data)
    assert status == 200 and filtered is not None
    assert (filtered[1], filtered[3]) == (b"21", b"CONTENT_FILTERED")
    sharp, soft = pixels(clear[2]), pixels(filtered[2])
    assert sharp.shape == soft.shape
    assert roughness(soft) < 0.7 * roughness(sharp)


# --- simulated model failure --------------------------------------------------------------------------------


def test_inference_error_rule_fails_once_then_generates(server: EmulatorProcess) -> None:
    rule = {"match": {"model": CORE}, "action": "inference_error", "times": 1}
    status, stored = control(server, "POST", "/rules", rule)
    assert status == 201 and stored["action"] == {"fault": "inference_error"}
    status, headers, data = post(server, CORE, {"prompt": "a bridge"})
    assert (status, data) == (200, INFERENCE_ERROR)
    assert_honours_contract(CORE, {"prompt": "a bridge"}, data)
    assert "x-amzn-errortype" not in headers
    assert V2_SUCCESS.fullmatch(post(server, CORE, {"prompt": "a bridge"})[2]) is not None
    entry = last_entry(server, model=CORE, status="200")
    assert entry["response"]["stability"]["finish_reason"] is None
    first = control(server, "GET", f"/journal?model={CORE}&limit=1")[1]["entries"][0]
    assert (first["fault"], first["rules"]) == ("inference_error", [stored["id"]])
    assert first["response"]["stability"]["finish_reason"] == "Inference error"


def test_inference_error_comes_after_validation(server: EmulatorProcess) -> None:
    control(server, "POST", "/rules", {"match": {"model": ULTRA}, "action": "inference_error"})
    status, _, data = post(server, ULTRA, {"prompt": "x", "style_preset": "anime"})
    assert status == 400 and b"Invalid field 'style_preset'" in data


def test_sdxl_inference_error_is_an_error_artifact(server: EmulatorProcess) -> None:
    control(server, "POST", "/rules", {"match": {"model": SDXL}, "action": {"fault": "inference_error"}})
    status, _, data = post(server, SDXL, SDXL_BODY)
    assert (status, data) == (
        200,
        b'{"result":"success","artifacts":[{"seed":21,"base64":"","finishReason":"ERROR"}]}',
    )
    assert_honours_contract(SDXL, SDXL_BODY, data)


def test_inference_error_leaves_nova_alone(server: EmulatorProcess) -> None:
    control(server, "POST", "/rules", {"action": "inference_error"})
    body = {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "x"},
        "imageGenerationConfig": {"width": 320, "height": 320},
    }
    status, _, data = post(server, NOVA, body)
    assert status == 200 and list(json.loads(data)) == ["images"]


# --- rules, lifecycle ---------------------------------------------------------------------------------------


def test_fault_rules_match_stability_ids_and_prompts(server: EmulatorProcess) -> None:
    rules = [
        {"match": {"model": ULTRA, "prompt": "^a storm"}, "action": "ThrottlingException"},
        {"match": {"model": SDXL, "prompt": "lighthouse"}, "action": {"error": "ModelTimeoutException"}},
    ]
    assert control(server, "POST", "/rules", rules)[0] == 201
    status, headers, data = post(server, ULTRA, {"prompt": "a storm"})
    assert (status, headers["x-amzn-errortype"].split(":")[0]) == (429, "ThrottlingException")
    assert json.loads(data) == {"message": "Too many requests, please wait before trying again."}
    assert post(server, ULTRA, {"prompt": "the storm", "seed": 1})[0] == 200
    assert post(server, CORE, {"prompt": "a storm", "seed": 1})[0] == 200
    assert post(server, SDXL, SDXL_BODY)[0] == 408


def test_latency_and_connection_faults_on_a_profile_id(server: EmulatorProcess) -> None:
    model = "stability.stable-image-inpaint-v1:0"  # rules name canonical ids; the call uses the profile
    rule = {"match": {"model": model}, "sequence": [{"latency_ms": 400}, "reset"]}
    assert control(server, "POST", "/rules", rule)[0] == 201
    body = {"prompt": "a door", "image": gradient_png_b64(), "mask": half_mask_png_b64()}
    slow = http_request(server.port, "POST", f"/model/{INPAINT}/invoke", json.dumps(body).encode())
    assert slow[0] == 200 and V2_SUCCESS.fullmatch(slow[2]) is not None
    assert last_entry(server)["latency_ms"] >= 400
    status, _, data = http_request(server.port, "POST", f"/model/{INPAINT}/invoke", json.dumps(body).encode())
    assert (status, data) == (0, b"")  # the connection closed without a response


def test_lifecycle_covers_the_stability_ids(server: EmulatorProcess) -> None:
    """T14 on SDXL 1.0, served here because historic models are on; Legacy on a service."""
    status, states = control(server, "PUT", f"/lifecycle/{SDXL}", {"state": "eol"})
    assert status == 200 and states[SDXL] == "eol" and states[ULTRA] == "active"
    status, headers, data = post(server, SDXL, SDXL_BODY)
    assert (status, headers["x-amzn-errortype"].split(":")[0], json.loads(data)) == (
        404,
        "ResourceNotFoundException",
        {"message": EOL},
    )
    control(server, "PUT", "/lifecycle/stability.stable-image-inpaint-v1:0", {"state": "legacy"})
    status, _, data = post(server, INPAINT, {"prompt": "x", "image": gradient_png_b64()})
    assert (status, json.loads(data)) == (404, {"message": LEGACY})
    assert (
        control(server, "PUT", "/lifecycle/stability.stable-image-outpaint-v1:0", {"state": "eol"})[0] == 400
    )


# --- the journal and its page -------------------------------------------------------------------------------


def test_journal_entry_of_a_stability_call(server: EmulatorProcess) -> None:
    body = {
        "prompt": "a door",
        "image": gradient_png_b64(),
        "mask": half_mask_png_b64(),
        "output_format": "jpeg",
    }
    status, _, data = post(server, INPAINT, body)
    assert status == 200
    entry = last_entry(server, model="stability.stable-image-inpaint-v1:0")
    assert (entry["model"], entry["raw_model_id"], entry["task"]) == (
        "stability.stable-image-inpaint-v1:0",
        INPAINT,
        "inpaint",
    )
    seed = int(json.loads(data)["seeds"][0])
    assert entry["response"]["stability"] == {
        "family": "v2",
        "operation": "inpaint",
        "seeds": [seed],
        "seed_sent": 0,
        "finish_reason": None,
        "output_format": "jpeg",
        "output_size": "320x320",
    }
    (output,) = entry["response"]["image_data"]
    assert output["$image"]["sha256"] == hashlib.sha256(json.loads(data)["images"][0].encode()).hexdigest()
    assert pixels(output["$image"]["thumbnail"]).shape == (160, 160, 3)
    request = entry["request"]["json"]
    assert pixels(request["image"]["$image"]["thumbnail"]).shape == (160, 160, 3)
    mask = pixels(request["mask"]["$image"]["thumbnail"])
    assert mask[:, :70].max() < 40 and mask[:, 90:].min() > 215  # black left, white right
    assert request["prompt"] == "a door"


def test_journal_of_a_filtered_call_and_filter_by_model(server: EmulatorProcess) -> None:
    set_filters(server, blocked_words=["forbidden"])
    post(server, SD35, {"prompt": "forbidden", "seed": 8})
    post(server, ULTRA, {"prompt": "fine", "seed": 8})
    entry = last_entry(server, model=SD35)
    assert entry["response"]["stability"]["finish_reason"] == "Filter reason: prompt"
    assert (entry["response"]["images"], entry["response"]["blocked"], entry["response"]["image_data"]) == (
        0,
        1,
        [],
    )
    assert "error" not in entry["response"]
    status, page = control(server, "GET", f"/journal?model={SD35}")
    assert status == 200 and [e["model"] for e in page["entries"]] == [SD35]


def test_the_page_shows_a_stability_call(server: EmulatorProcess) -> None:
    images = {"init_image": gradient_png_b64(), "style_image": solid_png_b64()}
    status, _, data = post(server, STYLE_TRANSFER, {**images, "prompt": "statue", "seed": 12})
    assert status == 200
    status, _, meta = http_request(server.port, "GET", "/_emulator/ui/api/meta")
    assert (
        status == 200
        and ULTRA in json.loads(meta)["models"]
        and "style-transfer" in json.loads(meta)["tasks"]
    )
    query = "/_emulator/ui/api/entries?model=stability.stable-style-transfer-v1:0"
    status, _, rows = http_request(server.port, "GET", query)
    (row,) = json.loads(rows)["entries"]
    assert row["task"] == "style-transfer"
    assert [t["label"] for t in row["thumbs"]["input"]] == ["init_image", "style_image"]
    assert [t["label"] for t in row["thumbs"]["output"]] == ["images[0]"]
    for thumb in row["thumbs"]["input"] + row["thumbs"]["output"]:
        status, headers, png = http_request(server.port, "GET", thumb["url"])
        assert (status, headers["content-type"], png[:8]) == (200, "image/png", b"\x89PNG\r\n\x1a\n")
    status, _, detail = http_request(server.port, "GET", f"/_emulator/ui/api/entries/{row['id']}")
    shown = json.loads(detail)
    assert shown["facts"]["Seed"] == "12"
    assert shown["facts"]["Output"] == "png, " + shown["facts"]["Output"].split(", ")[1]
    assert list(shown["response"]) == ["seeds", "finish_reasons", "images"]
    assert shown["response"]["seeds"] == [12] and shown["response"]["finish_reasons"] == [None]


def test_the_page_shows_an_sdxl_artifact_and_a_filtered_row(server: EmulatorProcess) -> None:
    post(server, SDXL, SDXL_BODY)
    set_filters(server, blocked_words=["forbidden"])
    post(server, CORE, {"prompt": "forbidden"})
    _, _, rows = http_request(server.port, "GET", "/_emulator/ui/api/entries?limit=2")
    filtered, sdxl = json.loads(rows)["entries"]
    assert filtered["warnings"] == ["finish reason: Filter reason: prompt"]
    assert filtered["thumbs"]["output"] == []
    assert [t["label"] for t in sdxl["thumbs"]["output"]] == ["artifacts[0].base64"]
    status, _, png = http_request(server.port, "GET", sdxl["thumbs"]["output"][0]["url"])
    assert status == 200 and png.startswith(b"\x89PNG")
