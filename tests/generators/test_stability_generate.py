"""Stability generators: formats, sizes, determinism, and the generating operations (text-to-image,
image-to-image, Style Guide, Style Transfer, Control Sketch/Structure, the upscalers, SDXL)."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from emulator.generators.segment import main_colours
from emulator.generators.stability import OPERATIONS, generate_stability, render_stability
from emulator.generators.stability.pipeline import KEEPS_INPUT_PIXELS
from tests.support.scenes import disc_scene, edge_overlap
from tests.support.stability_scenes import (
    ASPECT_SIZES,
    decode,
    grey_mask,
    stability_image,
    stability_request,
)
from validator.stability.models import Operation, StabilityModel
from validator.stability.types import OutputFormat, SdxlParams, SdxlPrompt, StabilityRequest, StylePreset

SCENE, _ = disc_scene(320, 240)
IMAGE = stability_image(SCENE)
STYLE = stability_image(np.dstack([np.full((96, 128), c, np.uint8) for c in (40, 170, 90)]), "#/style_image")
MAGIC = {
    OutputFormat.PNG: b"\x89PNG\r\n\x1a\n",
    OutputFormat.JPEG: b"\xff\xd8\xff",
    OutputFormat.WEBP: b"RIFF",
}


def _every_operation() -> dict[Operation, StabilityRequest]:
    """One small request per operation."""
    mask = np.zeros((240, 320), np.uint8)
    mask[60:180, 80:240] = 255
    build = stability_request
    return {
        Operation.TEXT_TO_IMAGE: build(Operation.TEXT_TO_IMAGE, prompt="a red fox", size=(256, 192)),
        Operation.IMAGE_TO_IMAGE: build(
            Operation.IMAGE_TO_IMAGE, prompt="a fox", image=IMAGE, strength=0.6, size=(256, 192)
        ),
        Operation.INPAINT: build(Operation.INPAINT, prompt="a cat", image=IMAGE, mask=grey_mask(mask)),
        Operation.OUTPAINT: build(Operation.OUTPAINT, prompt="a beach", image=IMAGE, left=40, down=24),
        Operation.ERASE: build(Operation.ERASE, image=IMAGE, mask=grey_mask(mask)),
        Operation.REMOVE_BACKGROUND: build(Operation.REMOVE_BACKGROUND, image=IMAGE),
        Operation.SEARCH_REPLACE: build(
            Operation.SEARCH_REPLACE, prompt="a ball", image=IMAGE, search_prompt="the disc"
        ),
        Operation.SEARCH_RECOLOR: build(
            Operation.SEARCH_RECOLOR, prompt="green", image=IMAGE, select_prompt="the objects"
        ),
        Operation.STYLE_GUIDE: build(Operation.STYLE_GUIDE, prompt="a tower", image=IMAGE, size=(256, 192)),
        Operation.STYLE_TRANSFER: build(
            Operation.STYLE_TRANSFER, prompt="a tower", image=IMAGE, style_image=STYLE, size=(256, 192)
        ),
        Operation.CONTROL_SKETCH: build(
            Operation.CONTROL_SKETCH, prompt="a tower", image=IMAGE, size=(256, 192)
        ),
        Operation.CONTROL_STRUCTURE: build(
            Operation.CONTROL_STRUCTURE, prompt="a tower", image=IMAGE, size=(256, 192)
        ),
        Operation.CREATIVE_UPSCALE: build(
            Operation.CREATIVE_UPSCALE, prompt="a disc", image=IMAGE, size=(640, 480)
        ),
        Operation.CONSERVATIVE_UPSCALE: build(
            Operation.CONSERVATIVE_UPSCALE, prompt="a disc", image=IMAGE, size=(640, 480)
        ),
        Operation.FAST_UPSCALE: build(Operation.FAST_UPSCALE, image=IMAGE),
    }


REQUESTS = _every_operation()


def test_every_operation_has_a_generator() -> None:
    assert set(OPERATIONS) == set(Operation) == set(REQUESTS)


@pytest.mark.parametrize("operation", list(Operation))
@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_output_is_the_requested_format_and_size(operation: Operation, fmt: OutputFormat) -> None:
    request = dataclasses.replace(REQUESTS[operation], output_format=fmt)
    out = generate_stability(request)
    assert out.image.startswith(MAGIC[fmt])
    if fmt is OutputFormat.WEBP:
        assert out.image[8:12] == b"WEBP"
    pixels = decode(out.image)
    size = request.output_size
    alpha = operation is Operation.REMOVE_BACKGROUND and fmt is not OutputFormat.JPEG
    assert pixels.shape == (size.height, size.width, 4 if alpha else 3)
    assert out.preview.shape[2] == pixels.shape[2] and max(out.preview.shape[:2]) <= 160


def test_fast_upscale_is_four_times_each_side_and_the_others_reach_output_size() -> None:
    assert decode(generate_stability(REQUESTS[Operation.FAST_UPSCALE]).image).shape == (960, 1280, 3)
    request = stability_request(Operation.CONSERVATIVE_UPSCALE, prompt="", image=IMAGE, size=(4096, 3072))
    assert render_stability(request).shape == (3072, 4096, 3)


@pytest.mark.parametrize("aspect", sorted(ASPECT_SIZES))
def test_text_to_image_fills_each_aspect_size(aspect: str) -> None:
    width, height = ASPECT_SIZES[aspect]
    request = stability_request(Operation.TEXT_TO_IMAGE, prompt="a harbour", size=(width, height))
    assert render_stability(request).shape == (height, width, 3)


def test_same_request_same_bytes_and_a_derived_seed_resent_draws_the_same_image() -> None:
    derived = stability_request(Operation.TEXT_TO_IMAGE, prompt="a lighthouse", seed=2130420379, seed_sent=0)
    resent = dataclasses.replace(derived, seed_sent=2130420379)
    first = generate_stability(derived).image
    assert generate_stability(derived).image == first
    assert generate_stability(resent).image == first
    assert generate_stability(dataclasses.replace(derived, seed=5)).image != first
    assert generate_stability(dataclasses.replace(derived, prompt="a lighthouse.")).image != first


@pytest.mark.parametrize("operation", [op for op in Operation if op is not Operation.REMOVE_BACKGROUND])
def test_every_operation_is_byte_stable(operation: Operation) -> None:
    request = REQUESTS[operation]
    assert generate_stability(request).image == generate_stability(dataclasses.replace(request)).image


def test_every_prompt_setting_changes_the_picture() -> None:
    base = stability_request(Operation.TEXT_TO_IMAGE, prompt="a castle", size=(256, 256))
    pixels = render_stability(base, caption=False).astype(int)
    changes = {
        "negative prompt": {"negative_prompt": "blue"},
        "style preset": {"style_preset": StylePreset.COMIC_BOOK},
        "model": {"model": StabilityModel.CORE},
        "seed": {"seed": 8},
    }
    for name, change in changes.items():
        other = render_stability(dataclasses.replace(base, **change), caption=False)  # type: ignore[arg-type]
        assert np.abs(pixels - other).mean() > 10, name


def test_named_colours_lead_the_palette() -> None:
    red = render_stability(stability_request(Operation.TEXT_TO_IMAGE, prompt="red red red", size=(256, 256)))
    blue = render_stability(
        stability_request(Operation.TEXT_TO_IMAGE, prompt="blue blue blue", size=(256, 256))
    )
    assert red[:, :, 0].mean() > red[:, :, 2].mean()
    assert blue[:, :, 2].mean() > blue[:, :, 0].mean()


def test_image_to_image_strength_zero_keeps_the_input_and_one_ignores_it() -> None:
    keep = stability_request(Operation.IMAGE_TO_IMAGE, prompt="a fox", image=IMAGE, strength=0.0)
    assert np.array_equal(render_stability(keep, caption=False), SCENE)
    input_edges = cv2.Canny(cv2.cvtColor(SCENE, cv2.COLOR_RGB2GRAY), 80, 160) > 0
    ignored = render_stability(dataclasses.replace(keep, strength=1.0), caption=False)
    assert edge_overlap(ignored, input_edges) < 0.3, "no trace of the input's outlines"
    distances = [
        np.abs(
            render_stability(dataclasses.replace(keep, strength=s), caption=False).astype(int) - SCENE
        ).mean()
        for s in (0.0, 0.3, 0.6, 0.9)
    ]
    assert distances == sorted(distances) and distances[-1] > 30, distances


def test_image_to_image_resizes_the_input_to_the_output_size() -> None:
    request = stability_request(
        Operation.IMAGE_TO_IMAGE, prompt="x", image=IMAGE, strength=0.0, size=(512, 384)
    )
    out = render_stability(request, caption=False)
    assert out.shape == (384, 512, 3)
    assert np.abs(cv2.resize(out, (320, 240), interpolation=cv2.INTER_AREA).astype(int) - SCENE).mean() < 4


def _sdxl(**fields: object) -> StabilityRequest:
    prompts = (SdxlPrompt("a red barn"), SdxlPrompt("fog", -1.0))
    params = SdxlParams(text_prompts=prompts, **fields)  # type: ignore[arg-type]
    return stability_request(
        Operation.TEXT_TO_IMAGE,
        model=StabilityModel.SDXL,
        size=(256, 256),
        sdxl=params,
        output_format=OutputFormat.JPEG,
    )


def test_sdxl_answers_png_reads_its_text_prompts_and_steps_and_image_strength() -> None:
    request = _sdxl()
    assert generate_stability(request).image.startswith(MAGIC[OutputFormat.PNG])
    pixels = render_stability(request, caption=False)
    assert pixels[:, :, 0].mean() > pixels[:, :, 2].mean(), "the positive prompt names red"
    more_steps = render_stability(_sdxl(steps=120), caption=False)
    assert np.abs(pixels.astype(int) - more_steps).mean() > 10
    assert request.sdxl is not None
    prompts = request.sdxl.text_prompts
    i2i = dataclasses.replace(
        request, operation=Operation.IMAGE_TO_IMAGE, image=IMAGE, output_size=IMAGE.size
    )
    near = render_stability(
        dataclasses.replace(i2i, sdxl=SdxlParams(prompts, image_strength=0.95)), caption=False
    )
    far = render_stability(
        dataclasses.replace(i2i, sdxl=SdxlParams(prompts, image_strength=0.1)), caption=False
    )
    assert np.abs(near.astype(int) - SCENE).mean() < np.abs(far.astype(int) - SCENE).mean() / 3


def test_blur_is_a_strongly_blurred_picture() -> None:
    request = _sdxl()
    sharp = render_stability(request)
    soft = render_stability(request, blur=True)
    assert soft.shape == sharp.shape
    laplacian = [
        float(cv2.Laplacian(cv2.cvtColor(p, cv2.COLOR_RGB2GRAY), cv2.CV_32F).var()) for p in (sharp, soft)
    ]
    assert laplacian[1] < laplacian[0] / 20, laplacian
    assert np.abs(soft.astype(np.float32).mean(axis=(0, 1)) - sharp.mean(axis=(0, 1))).max() < 8, (
        "same colours"
    )


def test_caption_names_operation_seed_and_prompt_and_can_be_switched_off() -> None:
    request = stability_request(Operation.TEXT_TO_IMAGE, prompt="a lighthouse", size=(512, 512))
    on, off = render_stability(request), render_stability(request, caption=False)
    changed = np.any(on != off, axis=2)
    assert changed.any() and changed[: 512 // 2].sum() == 0, "a caption, at the bottom"


@pytest.mark.parametrize("operation", [Operation.CONTROL_SKETCH, Operation.CONTROL_STRUCTURE])
def test_control_follows_the_input_edges_more_as_control_strength_rises(operation: Operation) -> None:
    resized = cv2.resize(SCENE, (512, 384), interpolation=cv2.INTER_AREA)
    condition_edges = cv2.Canny(cv2.cvtColor(resized, cv2.COLOR_RGB2GRAY), 80, 160) > 0
    overlaps = []
    for strength in (0.0, 0.35, 0.7, 1.0):
        request = stability_request(
            operation, prompt="a tower", image=IMAGE, control_strength=strength, size=(512, 384)
        )
        overlaps.append(edge_overlap(render_stability(request, caption=False), condition_edges))
    # Rising with the strength; once nearly every edge is followed (about 0.7 and up) the overlap saturates
    # and may wobble by a fraction of a percent with the picture drawn.
    steps = zip(overlaps, overlaps[1:], strict=False)
    assert all(later >= earlier - 0.01 for earlier, later in steps), overlaps
    assert overlaps[1] > overlaps[0] + 0.2, overlaps
    assert overlaps[-1] > 0.9 and overlaps[-1] - overlaps[0] > 0.4, overlaps


def _palette_distance(pixels: np.ndarray, palette: np.ndarray) -> float:
    """Mean distance of the picture's main colours to their nearest colour of `palette`."""
    colours = main_colours(pixels, 6).astype(float)
    return float(np.mean([np.min(np.linalg.norm(palette - c, axis=1)) for c in colours]))


def test_style_guide_carries_the_style_image_palette_by_fidelity() -> None:
    style_pixels = np.zeros((120, 160, 3), np.uint8)
    style_pixels[:, :80] = (230, 200, 40)
    style_pixels[:, 80:] = (30, 60, 140)
    style = stability_image(style_pixels)
    palette = main_colours(style_pixels, 2).astype(float)
    distances = []
    for fidelity in (0.0, 0.5, 1.0):
        request = stability_request(
            Operation.STYLE_GUIDE, prompt="a pink flamingo", image=style, fidelity=fidelity, size=(256, 256)
        )
        distances.append(_palette_distance(render_stability(request, caption=False), palette))
    assert distances == sorted(distances, reverse=True) and distances[-1] < distances[0] / 2, distances


def test_style_transfer_keeps_the_content_and_takes_the_style_colours() -> None:
    request = REQUESTS[Operation.STYLE_TRANSFER]
    out = render_stability(request, caption=False)
    content = cv2.resize(SCENE, (256, 192), interpolation=cv2.INTER_AREA)
    style_mean = STYLE.pixels.reshape(-1, 3).mean(axis=0)
    assert np.linalg.norm(out.reshape(-1, 3).mean(axis=0) - style_mean) < 0.5 * np.linalg.norm(
        content.reshape(-1, 3).mean(axis=0) - style_mean
    )
    grey_out = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY).astype(float).ravel()
    grey_in = cv2.cvtColor(content, cv2.COLOR_RGB2GRAY).astype(float).ravel()
    assert np.corrcoef(grey_out, grey_in)[0, 1] > 0.6, "the content's structure shows through"
    unchanged = render_stability(dataclasses.replace(request, change_strength=0.0), caption=False)
    assert np.abs(unchanged.astype(int) - content).max() <= 1


def test_conservative_upscale_adds_no_variation_and_creative_a_small_seeded_one() -> None:
    conservative = REQUESTS[Operation.CONSERVATIVE_UPSCALE]
    assert np.array_equal(
        render_stability(conservative, caption=False),
        render_stability(dataclasses.replace(conservative, seed=99), caption=False),
    )
    creative = REQUESTS[Operation.CREATIVE_UPSCALE]
    a = render_stability(creative, caption=False).astype(int)
    b = render_stability(dataclasses.replace(creative, seed=99), caption=False)
    enlarged = cv2.resize(SCENE, (640, 480), interpolation=cv2.INTER_CUBIC)
    assert 0 < np.abs(a - b).mean() < 20 and np.abs(a - enlarged).mean() < 25
    fast = render_stability(REQUESTS[Operation.FAST_UPSCALE], caption=False)
    assert np.abs(cv2.resize(fast, (320, 240), interpolation=cv2.INTER_AREA).astype(int) - SCENE).mean() < 3


def test_webp_is_lossless_where_input_pixels_are_kept_and_lossy_for_new_pictures() -> None:
    for operation, request in REQUESTS.items():
        data = generate_stability(dataclasses.replace(request, output_format=OutputFormat.WEBP)).image
        if operation in KEEPS_INPUT_PIXELS:  # RGBA adds a VP8X header before the lossless VP8L chunk
            assert b"VP8L" in data[12:64] and b"VP8 " not in data[12:64], operation
        else:
            assert data[12:16] == b"VP8 ", operation


@pytest.mark.parametrize("operation", [Operation.TEXT_TO_IMAGE, Operation.INPAINT, Operation.OUTPAINT])
def test_the_output_format_changes_the_encoding_not_the_picture(operation: Operation) -> None:
    request = REQUESTS[operation]
    png = decode(generate_stability(request).image)
    webp = decode(generate_stability(dataclasses.replace(request, output_format=OutputFormat.WEBP)).image)
    jpeg = decode(generate_stability(dataclasses.replace(request, output_format=OutputFormat.JPEG)).image)
    if operation in KEEPS_INPUT_PIXELS:
        assert np.array_equal(webp, png)
    else:
        assert np.abs(webp.astype(int) - png).mean() < 3
    assert np.abs(jpeg.astype(int) - png).mean() < 4
