"""litellm against the real server, Stability AI models (docs/CONTRACT.md §S7.2).

`litellm.image_generation` (the V2 body for `sd3`/`stable-image` ids, the SDXL body otherwise) and
`litellm.image_edit` (the Image Services), pointed at the emulator with `aws_bedrock_runtime_endpoint` and
fake credentials. What litellm returns (`b64_json`) must decode to the right image; what it raises must carry
the server's text.

litellm must never reach the network: the model cost map is read from the package
(`LITELLM_LOCAL_MODEL_COST_MAP`), `LITELLM_OFFLINE_MODE` turns off every other fetch of its own, and every
test runs with name lookups and connections to anything but loopback refused and recorded.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import json
import socket
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from emulator.client import EmulatorControl
from tests.support.clients import missing_tool
from tests.support.photos import iou, photo_bytes, photo_pixels, reference_mask
from tests.support.server import EmulatorProcess
from tests.support.stability import (
    STABILITY_BLOCKED_WORD,
    Decoded,
    decode_image,
    i2i_size_ok,
    invalid_field,
    on_demand_unsupported,
)

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
OFFLINE = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # the cost map bundled with the package, not GitHub's
    "LITELLM_OFFLINE_MODE": "true",  # no catalog, check or tokenizer download of litellm's own
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",  # fake credentials from the environment: no profile, no IMDS
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "AWS_REGION_NAME": "us-west-2",
}
ULTRA_FIELDS = "prompt, negative_prompt, mode, strength, seed, output_format, image, aspect_ratio"
CORE_FIELDS = "prompt, negative_prompt, mode, aspect_ratio, seed, output_format, style_preset"
INPAINT_FIELDS = "image, prompt, mask, grow_mask, negative_prompt, seed, output_format, style_preset"
# litellm's own types make pydantic warn while it builds them on first use; not this project's concern.
pytestmark = pytest.mark.filterwarnings("ignore:Item .* is using the `ReadOnly` qualifier:UserWarning")
PREFIX = "litellm.BadRequestError: BedrockException - "  # how litellm words a 400 from Bedrock


class NetworkGuard:
    """Refuses, and records, every name lookup and connection that is not to loopback."""

    def __init__(self) -> None:
        self.attempts: list[str] = []
        self._getaddrinfo = socket.getaddrinfo
        self._connect = socket.socket.connect

    def getaddrinfo(self, host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOOPBACK:
            self.attempts.append(f"lookup {host}")
            raise OSError(f"network access refused in this test: {host}")
        return self._getaddrinfo(host, *args, **kwargs)

    def connect(self, sock: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and address[0] not in LOOPBACK:
            self.attempts.append(f"connect {address}")
            raise OSError(f"network access refused in this test: {address}")
        self._connect(sock, address)


@pytest.fixture(scope="module")
def guard() -> Iterator[NetworkGuard]:
    found = NetworkGuard()

    def connect(sock: socket.socket, address: Any) -> None:
        found.connect(sock, address)

    with pytest.MonkeyPatch.context() as patch:
        for name, value in OFFLINE.items():
            patch.setenv(name, value)
        patch.setattr(socket, "getaddrinfo", found.getaddrinfo)
        patch.setattr(socket.socket, "connect", connect)
        yield found


@pytest.fixture(scope="module")
def litellm(guard: NetworkGuard) -> Any:
    """litellm, imported under the guard and the offline settings (its import reads the cost map)."""
    try:
        module: Any = importlib.import_module("litellm")
    except ImportError:
        missing_tool("litellm (pip install 'nova-canvas-emulator[test]')")
    module.suppress_debug_info = True  # no "Give Feedback" banner on every error
    assert guard.attempts == [], guard.attempts
    return module


@pytest.fixture(autouse=True)
def stays_local(guard: NetworkGuard) -> Iterator[None]:
    before = len(guard.attempts)
    yield
    assert guard.attempts[before:] == [], "litellm tried to reach the network"


@pytest.fixture(scope="module")
def endpoint(stability_emulator: EmulatorProcess) -> str:
    return stability_emulator.url


def sent_body(emulator: EmulatorProcess) -> dict[str, Any]:
    """The JSON body of the server's latest call, as its journal keeps it (images as references)."""
    [entry] = EmulatorControl(emulator.url).journal(limit=1, descending=True)
    body: dict[str, Any] = entry["request"]["json"]
    return body


def only_image(response: Any) -> Decoded:
    """The one image of litellm's ImageResponse, from its `b64_json`."""
    assert len(response.data) == 1
    assert response.data[0].url is None
    return decode_image(response.data[0].b64_json)


def bedrock_400(message: str) -> str:
    """What litellm raises for a Bedrock 400: its prefix, then the raw error body as the server wrote it."""
    return PREFIX + json.dumps({"message": message}, separators=(",", ":"), ensure_ascii=False)


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


# --- image_generation ---------------------------------------------------------------------------------------


def test_ultra(litellm: Any, endpoint: str, stability_emulator: EmulatorProcess) -> None:
    response = litellm.image_generation(
        model="bedrock/stability.stable-image-ultra-v1:1",
        prompt="a lighthouse",
        aws_bedrock_runtime_endpoint=endpoint,
    )
    image = only_image(response)
    assert (image.format, image.mode, image.size) == ("png", "RGB", (1024, 1024))
    assert sent_body(stability_emulator) == {"prompt": "a lighthouse"}


@pytest.mark.parametrize(
    ("model", "kwargs", "size", "output_format"),
    [
        ("stability.sd3-5-large-v1:0", {"aspect_ratio": "16:9", "seed": 7}, (1344, 768), "png"),
        (
            "stability.stable-image-core-v1:1",
            {"aspect_ratio": "9:21", "output_format": "jpeg"},
            (640, 1536),
            "jpeg",
        ),
        (
            "stability.stable-image-ultra-v1:1",
            {"negative_prompt": "fog", "seed": 4294967295},
            (1024, 1024),
            "png",
        ),
    ],
    ids=["sd35", "core", "ultra"],
)
def test_provider_kwargs_reach_the_body(
    litellm: Any,
    endpoint: str,
    stability_emulator: EmulatorProcess,
    model: str,
    kwargs: dict[str, Any],
    size: tuple[int, int],
    output_format: str,
) -> None:
    """litellm maps no OpenAI parameter for these models; provider kwargs go into the body verbatim."""
    response = litellm.image_generation(
        model=f"bedrock/{model}", prompt="a lighthouse", aws_bedrock_runtime_endpoint=endpoint, **kwargs
    )
    image = only_image(response)
    assert (image.format, image.size) == (output_format, size)
    assert sent_body(stability_emulator) == {"prompt": "a lighthouse", **kwargs}


@pytest.mark.parametrize(
    ("model", "key", "value", "message"),
    [
        ("stability.stable-image-ultra-v1:1", "style_preset", "photographic",
         invalid_field("style_preset", "ultra", ULTRA_FIELDS)),
        ("stability.stable-image-core-v1:1", "cfg_scale", 7, invalid_field("cfg_scale", "core", CORE_FIELDS)),
    ],
    ids=["ultra", "core"],
)  # fmt: skip
def test_an_extra_kwarg_is_an_invalid_field(
    litellm: Any, endpoint: str, model: str, key: str, value: object, message: str
) -> None:
    """A kwarg litellm does not consume lands in the body (as `aws_region_name` did in litellm 1.61.20, R3):
    the R3-form text, inside the raw `{"message": ...}` body litellm raises with its own prefix."""
    with pytest.raises(litellm.BadRequestError) as info:
        litellm.image_generation(
            model=f"bedrock/{model}",
            prompt="a lighthouse",
            aws_bedrock_runtime_endpoint=endpoint,
            **{key: value},
        )
    assert info.value.status_code == 400
    assert str(info.value) == bedrock_400(message)


def test_sdxl_size_becomes_width_and_height(
    litellm: Any, endpoint: str, stability_emulator: EmulatorProcess
) -> None:
    """The SDXL route (historic models served): `size` is the one OpenAI parameter litellm maps."""
    response = litellm.image_generation(
        model="bedrock/stability.stable-diffusion-xl-v1",
        prompt="a lighthouse",
        size="1152x896",
        aws_bedrock_runtime_endpoint=endpoint,
    )
    image = only_image(response)
    assert (image.format, image.size) == ("png", (1152, 896))
    assert sent_body(stability_emulator) == {
        "text_prompts": [{"text": "a lighthouse", "weight": 1}],
        "width": 1152,
        "height": 896,
    }


def test_filtered_prompt_raises_the_reason(litellm: Any, endpoint: str) -> None:
    """A 200 with a finish reason (docs/CONTRACT.md §S3.2): litellm raises a 400 carrying the reason."""
    with pytest.raises(litellm.BadRequestError) as info:
        litellm.image_generation(
            model="bedrock/stability.sd3-5-large-v1:0",
            prompt=f"a {STABILITY_BLOCKED_WORD} lighthouse",
            aws_bedrock_runtime_endpoint=endpoint,
        )
    assert info.value.status_code == 400
    assert str(info.value) == PREFIX + "Filter reason: prompt"


def test_openai_size_is_refused_before_sending(litellm: Any, endpoint: str) -> None:
    """The V2 config supports no OpenAI parameter: `size` fails in litellm, nothing reaches the server."""
    with pytest.raises(litellm.UnsupportedParamsError):
        litellm.image_generation(
            model="bedrock/stability.stable-image-core-v1:1",
            prompt="a lighthouse",
            size="1024x1024",
            aws_bedrock_runtime_endpoint=endpoint,
        )


def test_endpoint_from_litellms_environment_variable(litellm: Any, endpoint: str, monkeypatch: Any) -> None:
    """litellm reads `AWS_BEDROCK_RUNTIME_ENDPOINT` (not boto3's `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`)."""
    monkeypatch.setenv("AWS_BEDROCK_RUNTIME_ENDPOINT", endpoint)
    response = litellm.image_generation(
        model="bedrock/stability.stable-image-core-v1:1", prompt="a lighthouse"
    )
    assert only_image(response).size == (1024, 1024)


def test_async_client(litellm: Any, endpoint: str) -> None:
    """`aimage_generation` and `aimage_edit` take litellm's async HTTP client."""

    async def both() -> tuple[Any, Any]:
        generated = await litellm.aimage_generation(
            model="bedrock/stability.sd3-5-large-v1:0",
            prompt="a lighthouse",
            aspect_ratio="21:9",
            aws_bedrock_runtime_endpoint=endpoint,
        )
        edited = await litellm.aimage_edit(
            model="bedrock/us.stability.stable-fast-upscale-v1:0",
            image=photo_bytes("rocket"),
            prompt="",
            aws_bedrock_runtime_endpoint=endpoint,
        )
        return generated, edited

    generated, edited = asyncio.run(both())
    assert only_image(generated).size == (1536, 640)
    assert only_image(edited).size == (4 * 576, 4 * 384)


# --- image_edit ---------------------------------------------------------------------------------------------


def edit(litellm: Any, endpoint: str, service: str, image: bytes, prompt: str = "", **kwargs: Any) -> Any:
    return litellm.image_edit(
        model=f"bedrock/us.stability.{service}-v1:0",
        image=image,
        prompt=prompt,
        aws_bedrock_runtime_endpoint=endpoint,
        **kwargs,
    )


def _box_mask(shape: tuple[int, ...], box: tuple[int, int, int, int]) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = 255  # white = edit (docs/CONTRACT.md §S4.5)
    return mask


@pytest.mark.parametrize("service", ["stable-image-inpaint", "stable-image-erase-object"])
def test_mask_services_keep_the_unmasked_pixels(litellm: Any, endpoint: str, service: str) -> None:
    """Inpaint and Erase with litellm's `mask` file: only the white box changes (grown by 5 px, the
    default)."""
    photo = photo_pixels("composite_cat_on_brick")
    box = (180, 100, 420, 340)
    prompt = "a bronze statue" if service == "stable-image-inpaint" else ""
    mask = png(_box_mask(photo.shape, box))
    image = only_image(
        edit(litellm, endpoint, service, photo_bytes("composite_cat_on_brick"), prompt, mask=mask)
    )
    assert (image.format, image.size) == ("png", (640, 480))
    outside = np.ones(photo.shape[:2], bool)
    outside[box[1] - 6 : box[3] + 6, box[0] - 6 : box[2] + 6] = False
    assert np.array_equal(image.pixels[outside], photo[outside])
    assert (
        np.abs(
            image.pixels[box[1] : box[3], box[0] : box[2]].astype(int)
            - photo[box[1] : box[3], box[0] : box[2]]
        ).mean()
        > 8
    )


def test_t11_size_becomes_an_invalid_aspect_ratio(litellm: Any, endpoint: str) -> None:
    """litellm maps `size` to `aspect_ratio`, which Inpaint does not take (docs/CONTRACT.md §S8 T11)."""
    with pytest.raises(litellm.BadRequestError) as info:
        edit(litellm, endpoint, "stable-image-inpaint", photo_bytes("chelsea"), "a cat", size="1024x1024")
    message = invalid_field("aspect_ratio", "inpaint", INPAINT_FIELDS)
    assert str(info.value) == bedrock_400(message)


def test_remove_background(litellm: Any, endpoint: str) -> None:
    image = only_image(edit(litellm, endpoint, "stable-image-remove-background", photo_bytes("coffee")))
    assert (image.format, image.mode, image.size) == ("png", "RGBA", (576, 384))
    assert iou(image.pixels[:, :, 3] > 127, reference_mask("coffee")) >= 0.7


def test_outpaint(litellm: Any, endpoint: str, stability_emulator: EmulatorProcess) -> None:
    """`left`/`up` are cast to int and sent; the input sits at the offset unchanged."""
    image = only_image(edit(litellm, endpoint, "stable-outpaint", photo_bytes("coffee"), left="64", up=32))
    assert image.size == (576 + 64, 384 + 32)
    assert np.array_equal(image.pixels[32:, 64:], photo_pixels("coffee"))
    body = sent_body(stability_emulator)
    assert (body["left"], body["up"], body["output_format"]) == (64, 32, "png")


def test_search_replace(litellm: Any, endpoint: str) -> None:
    response = edit(
        litellm, endpoint, "stable-image-search-replace", photo_bytes("astronaut"), "a golden crown",
        search_prompt="helmet", seed=9,
    )  # fmt: skip
    image = only_image(response)
    assert (image.format, image.size) == ("png", (576, 576))
    assert not np.array_equal(image.pixels, photo_pixels("astronaut"))


def test_style_transfer_sends_init_image(
    litellm: Any, endpoint: str, stability_emulator: EmulatorProcess
) -> None:
    """litellm sends `image` as `init_image` to Style Transfer, and `style_image` as a file."""
    response = edit(
        litellm, endpoint, "stable-style-transfer", photo_bytes("coffee"), "statue",
        style_image=photo_bytes("composite_cat_on_brick"),
    )  # fmt: skip
    image = only_image(response)
    assert image.format == "png" and i2i_size_ok((576, 384), image.size), image.size
    assert list(sent_body(stability_emulator)) == ["output_format", "prompt", "init_image", "style_image"]


def test_fast_upscale(litellm: Any, endpoint: str) -> None:
    image = only_image(edit(litellm, endpoint, "stable-fast-upscale", photo_bytes("rocket")))
    assert (image.format, image.size) == ("png", (4 * 576, 4 * 384))


def test_edit_filtered_raises_the_reason(litellm: Any, endpoint: str) -> None:
    with pytest.raises(litellm.BadRequestError) as info:
        edit(
            litellm,
            endpoint,
            "stable-image-inpaint",
            photo_bytes("chelsea"),
            f"a {STABILITY_BLOCKED_WORD} cat",
        )
    assert str(info.value) == PREFIX + "Bedrock Stability error: Filter reason: prompt"


def test_bare_service_id_from_litellms_docs_is_refused(litellm: Any, endpoint: str) -> None:
    """litellm's docs show `bedrock/stability.stable-fast-upscale-v1:0`; a profile-only model answers R8."""
    with pytest.raises(litellm.BadRequestError) as info:
        litellm.image_edit(
            model="bedrock/stability.stable-fast-upscale-v1:0",
            image=photo_bytes("rocket"),
            prompt="",
            aws_bedrock_runtime_endpoint=endpoint,
        )
    message = on_demand_unsupported("stability.stable-fast-upscale-v1:0")
    assert str(info.value) == bedrock_400(message)
