"""boto3 `invoke_model` against the real server, Stability AI models (docs/CONTRACT.md §S).

Every client body of fixtures/requests/stability, the test cases of docs/CONTRACT.md §S8 that are an HTTP
matter, and what the returned images are on the development photographs: sizes, formats, the pixels an edit
keeps, the background-removal matte, upscaler sizes and seeds.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError

from emulator.client import EmulatorControl
from tests.support.photos import iou, photo_b64, photo_pixels, reference_mask
from tests.support.stability import (
    CONTROL_SKETCH,
    CONTROL_SKETCH_FIELDS,
    CORE,
    CREATIVE_UPSCALE,
    ERASE,
    FAST_UPSCALE,
    INPAINT,
    INPAINT_FIELDS,
    OUTPAINT,
    R1,
    R4,
    R4_BODY_LENGTH,
    REMOVE_BACKGROUND,
    SD35,
    SDXL,
    SEARCH_REPLACE,
    STABILITY_BLOCKED_WORD,
    STYLE_GUIDE,
    ULTRA,
    ULTRA_FIELDS,
    ClientCase,
    Decoded,
    assert_client_error,
    decode_image,
    detail,
    i2i_size_ok,
    invalid_field,
    load_client_cases,
    on_demand_unsupported,
    png_b64,
    reference_size,
    sdxl_image,
    upscale_4k_size_ok,
    v2_image,
)
from validator import messages

CLIENT_CASES = load_client_cases()
INVALID_ID = "The provided model identifier is invalid."
END_OF_LIFE = (
    "This model version has reached the end of its life. "
    "Please refer to the AWS documentation for more details."
)


def invoke(client: Any, model: str, body: dict[str, Any] | bytes) -> bytes:
    """The raw response body of one InvokeModel call (a dict is sent as Python's `json.dumps` writes it)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    out = client.invoke_model(modelId=model, body=raw)
    assert out["contentType"] == "application/json"
    return bytes(out["body"].read())


def generate(client: Any, model: str, body: dict[str, Any]) -> tuple[int, Decoded]:
    """The seed and the image of a V2 success."""
    parsed = json.loads(invoke(client, model, body))
    return int(parsed["seeds"][0]), v2_image(parsed)


def rejected(
    client: Any,
    model: str,
    body: dict[str, Any] | bytes,
    message: str,
    name: str = "ValidationException",
    status: int = 400,
) -> ClientError:
    with pytest.raises(ClientError) as info:
        invoke(client, model, body)
    assert_client_error(info.value, name, status, message)
    return info.value


# --- every client body of fixtures/requests/stability -------------------------------------------------------


def _send(client: Any, case: ClientCase) -> Any:
    """As the client sends it: the AWS `requests` samples set Content-Type and Accept, boto3 sets neither."""
    headers = case.case.headers or {}
    options = {"contentType": headers["Content-Type"]} if "Content-Type" in headers else {}
    if "Accept" in headers:
        options["accept"] = headers["Accept"]
    return client.invoke_model(modelId=case.case.model, body=case.case.body, **options)


def _check_output(case: ClientCase, body: dict[str, Any]) -> None:
    expected = case.output
    assert expected is not None
    image = sdxl_image(body) if expected["family"] == "v1" else v2_image(body)
    assert image.format == expected["format"]
    assert image.mode == expected.get("mode", "RGB")
    if "width" in expected:
        assert image.size == (expected["width"], expected["height"])
        return
    source = reference_size(case.images["init_image" if "init_image" in case.images else "image"])
    rule = i2i_size_ok if expected["size"] == "i2i" else upscale_4k_size_ok
    assert rule(source, image.size), (expected["size"], source, image.size)


@pytest.mark.parametrize(
    "case", CLIENT_CASES, ids=[c.case.id.removeprefix("stability/") for c in CLIENT_CASES]
)
def test_client_body(stability_bedrock: Any, case: ClientCase) -> None:
    fixture = case.case
    if not fixture.valid:
        assert fixture.exception is not None and fixture.message is not None
        with pytest.raises(ClientError) as info:
            _send(stability_bedrock, case)
        assert_client_error(info.value, fixture.exception, fixture.status, fixture.message)
        return
    out = _send(stability_bedrock, case)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert out["contentType"] == "application/json"
    _check_output(case, json.loads(out["body"].read()))


# --- docs/CONTRACT.md §S8 -----------------------------------------------------------------------------------


def test_t1_ultra_prompt_alone(stability_bedrock: Any) -> None:
    raw = invoke(stability_bedrock, ULTRA, b'{"prompt":"x"}')
    # Compact JSON, keys in the documented order (D-S5).
    assert raw.startswith(b'{"seeds":[') and b'],"finish_reasons":[null],"images":["' in raw
    image = v2_image(json.loads(raw))
    assert (image.format, image.mode, image.size) == ("png", "RGB", (1024, 1024))


def test_t2_nested_detail_is_botocores_message(stability_bedrock: Any) -> None:
    """botocore's Error.Message is the literal `{"detail":...}` text; the whole body is R4's 196 bytes."""
    body = {"text_prompts": [{"text": "a house", "weight": 1}], "cfg_scale": 10, "steps": 30, "seed": 0}
    error = rejected(stability_bedrock, CONTROL_SKETCH, body, R4)
    assert error.response["ResponseMetadata"]["HTTPHeaders"]["content-length"] == str(R4_BODY_LENGTH)
    # What a user sees: "An error occurred (ValidationException) when calling the InvokeModel operation ...: "
    assert str(error).startswith("An error occurred (ValidationException) when calling the InvokeModel")
    assert str(error).endswith(f": {R4}")
    assert json.loads(error.response["Error"]["Message"]) == {
        "detail": f"Invalid field 'text_prompts' in request. Available fields for control-sketch are: "
        f"{CONTROL_SKETCH_FIELDS}"
    }


REJECTIONS = [
    ("T3", ULTRA, {"prompt": "x", "aws_region_name": "us-west-2"},
     invalid_field("aws_region_name", "ultra", ULTRA_FIELDS)),
    ("T4", ULTRA, {"text_prompts": [{"text": "x"}]}, R1),
    ("T5", "stability.stable-image-inpaint-v1:0", {"prompt": "x"},
     on_demand_unsupported("stability.stable-image-inpaint-v1:0")),
    ("T5-arn", "arn:aws:bedrock:us-east-1::foundation-model/stability.stable-image-inpaint-v1:0",
     {"prompt": "x"}, on_demand_unsupported("stability.stable-image-inpaint-v1:0")),
    ("T6", "stability.stable-image-outpaint-v1:0", {"image": "x", "left": 64}, INVALID_ID),
    ("D-S3", "us.stability.stable-image-ultra-v1:1", {"prompt": "x"}, INVALID_ID),
    ("D-S4", "eu.stability.stable-image-inpaint-v1:0", {"prompt": "x"}, INVALID_ID),
    ("T8", ERASE, {"image": [photo_b64("chelsea")], "mask": png_b64(np.zeros((64, 64), np.uint8))},
     detail("Invalid type for field 'image': expected string")),
    ("T9", OUTPAINT, {"image": photo_b64("coffee"), "prompt": "a table"},
     detail("At least one outpaint direction: (left, right, up, or down) must be supplied with a non-zero "
            "value.")),
    ("T11", INPAINT, {"output_format": "png", "prompt": "a cat", "image": photo_b64("chelsea"),
                      "aspect_ratio": "1:1"}, invalid_field("aspect_ratio", "inpaint", INPAINT_FIELDS)),
    ("T12", CORE, {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat"},
                   "imageGenerationConfig": {"numberOfImages": 1, "width": 1024, "height": 1024}}, R1),
    ("D-S10", SD35, {"prompt": "x", "output_format": "PNG"},
     detail("Invalid value for 'output_format': 'PNG'. Allowed values: jpeg, png, webp")),
    ("core-webp", CORE, {"prompt": "x", "output_format": "webp"},
     detail("Invalid value for 'output_format': 'webp'. Allowed values: jpeg, png")),
    ("core-mode", CORE, {"prompt": "x", "mode": "image-to-image"},
     detail("Invalid value for 'mode': 'image-to-image'. Allowed values: text-to-image")),
]  # fmt: skip


@pytest.mark.parametrize(("case", "model", "body", "message"), REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_rejections(
    stability_bedrock: Any, case: str, model: str, body: dict[str, Any], message: str
) -> None:
    rejected(stability_bedrock, model, body, message)


@pytest.mark.parametrize(
    ("model", "extra"),
    [(SD35, {"strength": 0.7}), (ULTRA, {}), (ULTRA, {"mode": "text-to-image", "strength": 0.2})],
    ids=["T7-sd35-without-mode", "ultra-default-strength", "ultra-mode-text-to-image"],
)
def test_an_image_selects_image_to_image(stability_bedrock: Any, model: str, extra: dict[str, Any]) -> None:
    """The AWS SD3.5 sample sends no `mode` (D-S19); Ultra takes `image` with strength 0.35 by default and
    its only `mode` value (D-S12): the output takes the input's aspect ratio (docs/CONTRACT.md §S3.5)."""
    body = {"prompt": "A car made out of fruits", "image": photo_b64("coffee"), **extra}
    _, image = generate(stability_bedrock, model, body)
    assert i2i_size_ok((576, 384), image.size), image.size
    assert image.size != (1024, 1024)


def test_t10_prompt_filter_breaks_the_aws_sample(stability_bedrock: Any) -> None:
    """A blocked prompt is a 200 carrying only the finish reason (D-S6): the AWS sample's `images[0]`
    fails."""
    raw = invoke(stability_bedrock, SD35, {"prompt": f"a {STABILITY_BLOCKED_WORD} crate"})
    assert raw == b'{"finish_reasons":["Filter reason: prompt"]}'
    model_response = json.loads(raw)
    with pytest.raises(KeyError):
        model_response["images"][0]  # what the AWS sample does next


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (ULTRA, {"prompt": "x", "negative_prompt": f"no {STABILITY_BLOCKED_WORD}"}),
        (SEARCH_REPLACE, {"image": "@photo", "prompt": "a hat", "search_prompt": STABILITY_BLOCKED_WORD}),
    ],
    ids=["negative_prompt", "search_prompt"],
)
def test_every_text_field_is_moderated(stability_bedrock: Any, model: str, body: dict[str, Any]) -> None:
    body = {k: photo_b64("astronaut") if v == "@photo" else v for k, v in body.items()}
    assert invoke(stability_bedrock, model, body) == b'{"finish_reasons":["Filter reason: prompt"]}'


def test_sdxl_blocked_words_are_a_400(stability_bedrock: Any) -> None:
    """SDXL refuses a filtered prompt with `invalid_prompts` (R6)."""
    rejected(stability_bedrock, SDXL, {"text_prompts": [{"text": f"a {STABILITY_BLOCKED_WORD} crate"}]},
             "invalid_prompts")  # fmt: skip


@pytest.mark.parametrize("model", [ULTRA, INPAINT, SDXL])
def test_t13_streaming_is_unsupported(stability_bedrock: Any, model: str) -> None:
    with pytest.raises(ClientError) as info:
        stability_bedrock.invoke_model_with_response_stream(modelId=model, body=b'{"prompt":"x"}')
    assert_client_error(info.value, "ValidationException", 400, messages.STREAMING_UNSUPPORTED)


@pytest.mark.parametrize("model", ["stability.stable-diffusion-xl-v0", "stability.stable-diffusion-xl"])
def test_sdxl_v0_is_always_end_of_life(stability_bedrock: Any, model: str) -> None:
    """R7, even with the historic models served (D-S1)."""
    body = {"text_prompts": [{"text": "x"}]}
    error = rejected(stability_bedrock, model, body, END_OF_LIFE, "ResourceNotFoundException", 404)
    assert isinstance(error, stability_bedrock.exceptions.ResourceNotFoundException)


def test_t14_sdxl_under_simulated_end_of_life(stability_emulator: Any, stability_bedrock: Any) -> None:
    """The test double's lifecycle marks SDXL 1.0 end of life: R7 (docs/CONTRACT.md §S8 T14); undone after."""
    control = EmulatorControl(stability_emulator.url)
    control.set_lifecycle(SDXL, "eol")
    try:
        rejected(
            stability_bedrock,
            SDXL,
            {"text_prompts": [{"text": "x"}]},
            END_OF_LIFE,
            "ResourceNotFoundException",
            404,
        )
    finally:
        control.set_lifecycle(SDXL, "active")
    served = json.loads(invoke(stability_bedrock, SDXL, {"text_prompts": [{"text": "x"}]}))
    assert sdxl_image(served).size == (1024, 1024)


# --- the returned images ------------------------------------------------------------------------------------

ASPECT_SIZES = {
    "1:1": (1024, 1024), "16:9": (1344, 768), "21:9": (1536, 640), "2:3": (832, 1216), "3:2": (1216, 832),
    "4:5": (896, 1088), "5:4": (1088, 896), "9:16": (768, 1344), "9:21": (640, 1536),
}  # fmt: skip


@pytest.mark.parametrize("ratio", list(ASPECT_SIZES))
def test_size_per_aspect_ratio(stability_bedrock: Any, ratio: str) -> None:
    """docs/CONTRACT.md §S3.5 (D-S8), the three generators and Style Guide in turn."""
    models = [CORE, ULTRA, SD35, STYLE_GUIDE]
    model = models[list(ASPECT_SIZES).index(ratio) % len(models)]
    body: dict[str, Any] = {"prompt": "a lighthouse", "aspect_ratio": ratio, "output_format": "jpeg"}
    if model == STYLE_GUIDE:
        body["image"] = photo_b64("composite_cat_on_brick")
    _, image = generate(stability_bedrock, model, body)
    assert (image.format, image.size) == ("jpeg", ASPECT_SIZES[ratio])


@pytest.mark.parametrize("output_format", ["png", "jpeg", "webp"])
def test_output_formats_by_magic_bytes(stability_bedrock: Any, output_format: str) -> None:
    _, image = generate(stability_bedrock, SD35, {"prompt": "a red kite", "output_format": output_format})
    assert (image.format, image.size) == (output_format, (1024, 1024))
    assert image.pixels.shape == (1024, 1024, 3) and image.pixels.std() > 5  # a picture, not a blank


def _edit_box(shape: tuple[int, ...], box: tuple[int, int, int, int]) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = 255  # white = edit here (docs/CONTRACT.md §S4.5)
    return mask


def _kept_outside(photo: np.ndarray, out: np.ndarray, box: tuple[int, int, int, int], grown: int) -> None:
    """Every pixel further than the grown margin from the white box is the input's; the box itself changed."""
    x0, y0, x1, y1 = box
    outside = np.ones(photo.shape[:2], bool)
    outside[max(0, y0 - grown) : y1 + grown, max(0, x0 - grown) : x1 + grown] = False
    assert np.array_equal(out[outside], photo[outside])
    inside = np.abs(out[y0:y1, x0:x1].astype(int) - photo[y0:y1, x0:x1].astype(int))
    assert inside.mean() > 8, inside.mean()


@pytest.mark.parametrize(("model", "grow_mask"), [(INPAINT, None), (INPAINT, 0), (ERASE, 12)])
def test_mask_edits_keep_every_other_pixel(stability_bedrock: Any, model: str, grow_mask: int | None) -> None:
    """Inpaint and Erase change the white area of the mask (grown by `grow_mask`, default 5) and nothing else;
    the mask is sent at half size, as Bedrock resizes it (docs/CONTRACT.md §S4.5)."""
    photo = photo_pixels("composite_cat_on_brick")  # 640 x 480
    box = (200, 120, 440, 360)
    half = _edit_box((240, 320), (100, 60, 220, 180))
    body: dict[str, Any] = {"image": photo_b64("composite_cat_on_brick"), "mask": png_b64(half), "seed": 5}
    if model == INPAINT:
        body["prompt"] = "a bronze statue"
    if grow_mask is not None:
        body["grow_mask"] = grow_mask
    _, image = generate(stability_bedrock, model, body)
    assert (image.format, image.size) == ("png", (640, 480))
    # +2: the half-size mask's bilinear enlargement softens the box edge by a pixel or two.
    _kept_outside(photo, image.pixels, box, (5 if grow_mask is None else grow_mask) + 2)


def test_outpaint_grows_the_canvas_around_the_kept_input(stability_bedrock: Any) -> None:
    photo = photo_pixels("coffee")  # 576 x 384
    body = {"image": photo_b64("coffee"), "left": 64, "right": 128, "up": 32, "prompt": "a wooden table"}
    _, image = generate(stability_bedrock, OUTPAINT, body)
    assert image.size == (576 + 64 + 128, 384 + 32)
    assert np.array_equal(image.pixels[32 : 32 + 384, 64 : 64 + 576], photo)
    new_area = np.ones(image.pixels.shape[:2], bool)
    new_area[32 : 32 + 384, 64 : 64 + 576] = False
    assert image.pixels[new_area].std() > 5  # painted, not a flat border


@pytest.mark.parametrize("name", ["chelsea", "coffee", "composite_cat_on_brick"])
def test_remove_background_matte_matches_the_reference(stability_bedrock: Any, name: str) -> None:
    _, image = generate(stability_bedrock, REMOVE_BACKGROUND, {"image": photo_b64(name)})
    photo = photo_pixels(name)
    assert (image.format, image.mode) == ("png", "RGBA")
    assert image.pixels.shape == (*photo.shape[:2], 4)
    assert iou(image.pixels[:, :, 3] > 127, reference_mask(name)) >= 0.7
    assert np.array_equal(image.pixels[:, :, :3], photo)


def test_remove_background_webp_keeps_alpha(stability_bedrock: Any) -> None:
    _, image = generate(
        stability_bedrock, REMOVE_BACKGROUND, {"image": photo_b64("chelsea"), "output_format": "webp"}
    )
    assert (image.format, image.mode, image.size) == ("webp", "RGBA", (576, 383))


def test_remove_background_as_jpeg_has_no_alpha(stability_bedrock: Any) -> None:
    """JPEG cannot carry the matte (docs/CONTRACT.md §S3.4): an RGB JPEG of the input size."""
    body = {"image": photo_b64("chelsea"), "output_format": "jpeg"}
    _, image = generate(stability_bedrock, REMOVE_BACKGROUND, body)
    assert (image.format, image.mode, image.size) == ("jpeg", "RGB", (576, 383))


def test_fast_upscale_is_four_times(stability_bedrock: Any) -> None:
    _, image = generate(
        stability_bedrock, FAST_UPSCALE, {"image": photo_b64("rocket"), "output_format": "jpeg"}
    )
    assert (image.format, image.size) == ("jpeg", (4 * 576, 4 * 384))


def test_creative_upscale_long_side_is_4096(stability_bedrock: Any) -> None:
    small = png_b64(photo_pixels("chelsea")[::3, ::3].copy())  # 192 x 128
    body = {"image": small, "prompt": "a cat", "output_format": "jpeg"}
    _, image = generate(stability_bedrock, CREATIVE_UPSCALE, body)
    assert image.format == "jpeg" and upscale_4k_size_ok((192, 128), image.size), image.size


# --- seeds (docs/CONTRACT.md §S5.2, D-S15) ------------------------------------------------------------------


@pytest.mark.parametrize(("model", "seed"), [(ULTRA, 4294967295), (SD35, 4294967294), (CORE, 12345)])
def test_explicit_seed_is_echoed(stability_bedrock: Any, model: str, seed: int) -> None:
    used, _ = generate(stability_bedrock, model, {"prompt": "a fox", "seed": seed, "output_format": "jpeg"})
    assert used == seed


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (CORE, {"prompt": "a fox in the snow", "output_format": "jpeg"}),
        (SEARCH_REPLACE, {"image": "@photo", "prompt": "a golden crown", "search_prompt": "helmet"}),
    ],
    ids=["core", "search-replace"],
)
def test_seed_zero_is_reproducible_with_the_returned_seed(stability_bedrock: Any, model: str,
                                                          body: dict[str, Any]) -> None:  # fmt: skip
    """Seed 0 (or none) draws a seed and returns it; sending that seed back gives the same bytes."""
    body = {k: photo_b64("astronaut") if v == "@photo" else v for k, v in body.items()}
    absent = json.loads(invoke(stability_bedrock, model, body))
    zero = json.loads(invoke(stability_bedrock, model, {**body, "seed": 0}))
    drawn = absent["seeds"][0]
    assert isinstance(drawn, int) and 0 < drawn <= 4294967295
    assert zero == absent  # a seed of 0 is the same as none (D-S15)
    again = json.loads(invoke(stability_bedrock, model, {**body, "seed": drawn}))
    assert again["seeds"] == [drawn] and again["images"] == absent["images"]
    other = json.loads(
        invoke(stability_bedrock, model, {**body, "seed": drawn + 1 if drawn < 4294967294 else 1})
    )
    assert other["images"] != absent["images"]
    decode_image(other["images"][0])
