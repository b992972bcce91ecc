"""Rules shared by every task: determinism, batch independence, seeds, sizes, modes, counts, skips, masks."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from emulator.generators import generate, render_images
from emulator.generators.seeding import request_digest
from tests.support.scenes import disc_scene, image, mask_image, person_scene, request
from validator.types import (
    BackgroundRemovalParams,
    ColorGuidedGenerationParams,
    ControlMode,
    GarmentBasedMask,
    GarmentClass,
    ImageVariationParams,
    InPaintingParams,
    InvokeRequest,
    MaskType,
    ModelId,
    OutPaintingParams,
    TaskType,
    TextToImageParams,
    VirtualTryOnParams,
)

SCENE, FOREGROUND = disc_scene(320, 256)
PERSON = person_scene(192, 320)


def _requests(count: int = 1, seed: int = 12) -> dict[str, InvokeRequest]:
    scene = image(SCENE)
    return {
        "text": request(
            TextToImageParams(text="a lighthouse at dusk"), width=384, height=320, count=count, seed=seed
        ),
        "canny": request(
            TextToImageParams(
                text="a lighthouse",
                condition_image=scene,
                control_mode=ControlMode.CANNY_EDGE,
                control_strength=0.7,
            ),
            width=320,
            height=320,
            count=count,
            seed=seed,
        ),
        "segmentation": request(
            TextToImageParams(
                text="a lighthouse",
                condition_image=scene,
                control_mode=ControlMode.SEGMENTATION,
                control_strength=0.7,
            ),
            width=320,
            height=320,
            count=count,
            seed=seed,
        ),
        "colour": request(
            ColorGuidedGenerationParams(text="a kite", colors=("#112233", "#EEDD00", "#C03030")),
            width=320,
            height=384,
            count=count,
            seed=seed,
        ),
        "variation": request(
            ImageVariationParams(images=(scene,)), width=320, height=320, count=count, seed=seed
        ),
        "inpainting": request(
            InPaintingParams(image=scene, mask_image=mask_image(FOREGROUND), text="a cat"),
            count=count,
            seed=seed,
        ),
        "inpainting-fill": request(
            InPaintingParams(image=scene, mask_prompt="the disc"), count=count, seed=seed
        ),
        "outpainting": request(
            OutPaintingParams(image=scene, mask_prompt="disc", text="a beach"), count=count, seed=seed
        ),
        "background": request(BackgroundRemovalParams(image=scene), seed=seed),
        "try-on": request(
            VirtualTryOnParams(
                source_image=image(PERSON),
                reference_image=scene,
                mask_type=MaskType.GARMENT,
                garment_based_mask=GarmentBasedMask(GarmentClass.UPPER_BODY),
                return_mask=True,
            ),
            count=count,
            seed=seed,
        ),
    }


BATCHES = _requests(count=3)
SINGLES = _requests(count=1)
GENERATED = {name: generate(req) for name, req in BATCHES.items()}


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_same_request_gives_identical_bytes(name: str) -> None:
    again = generate(BATCHES[name])
    assert again == GENERATED[name]


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_first_image_does_not_depend_on_number_of_images(name: str) -> None:
    assert generate(SINGLES[name]).images[0] == GENERATED[name].images[0]


@pytest.mark.parametrize("name", sorted(set(BATCHES) - {"background"}))
def test_images_of_a_batch_differ(name: str) -> None:
    images = GENERATED[name].images
    assert len(set(images)) == len(images) == 3


@pytest.mark.parametrize("name", sorted(set(BATCHES) - {"background"}))
def test_new_seed_changes_every_image(name: str) -> None:
    reseeded = generate(_requests(count=3, seed=13)[name])
    assert all(a != b for a, b in zip(reseeded.images, GENERATED[name].images, strict=True))


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_size_mode_and_count(name: str) -> None:
    req = BATCHES[name]
    images = GENERATED[name].images
    expected_count = 1 if req.task_type is TaskType.BACKGROUND_REMOVAL else 3
    assert len(images) == expected_count
    for png in images:
        decoded = Image.open(io.BytesIO(png))
        assert decoded.format == "PNG"
        assert decoded.size == (req.output_size.width, req.output_size.height)
        assert decoded.mode == ("RGBA" if req.task_type is TaskType.BACKGROUND_REMOVAL else "RGB")


@pytest.mark.parametrize("name", ["text", "inpainting", "try-on"])
def test_skipped_indices_are_left_out_and_the_rest_unchanged(name: str) -> None:
    partial = generate(BATCHES[name], skip=frozenset({1}))
    assert partial.images == (GENERATED[name].images[0], GENERATED[name].images[2])
    assert partial.mask == GENERATED[name].mask
    assert generate(BATCHES[name], skip=frozenset({0, 1, 2})).images == ()


def test_mask_is_returned_exactly_when_requested() -> None:
    assert GENERATED["try-on"].mask is not None
    assert GENERATED["inpainting"].mask is None
    params = BATCHES["inpainting"].params
    assert isinstance(params, InPaintingParams)
    titan = dataclasses.replace(
        BATCHES["inpainting"], model=ModelId.TITAN_V2, params=dataclasses.replace(params, return_mask=True)
    )
    mask = generate(titan).mask
    assert mask is not None
    pixels = np.asarray(Image.open(io.BytesIO(mask)).convert("RGB"))
    assert set(np.unique(pixels)) <= {0, 255}
    assert np.array_equal(pixels[:, :, 0] == 0, FOREGROUND)  # black marks the edited area


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_caption_changes_only_a_small_box(name: str) -> None:
    req = SINGLES[name]
    with_caption = render_images(req).images[0]
    without = render_images(req, caption=False).images[0]
    changed = np.any(with_caption != without, axis=2)
    if name in {"background"}:
        assert not changed.any()
        return
    assert changed.any(), "caption is on by default"
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    box = (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1)
    assert box < 0.2 * changed.size


def test_digest_ignores_count_and_seed_but_not_parameters() -> None:
    base = SINGLES["text"]
    assert request_digest(base) == request_digest(BATCHES["text"])
    assert request_digest(base) == request_digest(_requests(seed=99)["text"])
    changed = dataclasses.replace(base, params=TextToImageParams(text="a lighthouse at dawn"))
    assert request_digest(changed) != request_digest(base)


def test_digest_is_stable_across_processes() -> None:
    """Python's str hash is salted per process; the digest must not depend on it."""
    code = (
        "from tests.support.scenes import request\n"
        "from validator.types import TextToImageParams\n"
        "from emulator.generators.seeding import request_digest\n"
        "print(request_digest(request(TextToImageParams(text='salt'))).hex())\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(salt), "PATH": ""},
        ).stdout
        for salt in (1, 2)
    }
    assert len(outputs) == 1


def test_lone_surrogates_in_text_are_generated() -> None:
    """JSON allows `"\\ud800"`; strict UTF-8 does not, so hashing must not depend on it."""
    req = request(TextToImageParams(text="\ud800 fox", negative_text="x\udfff"))
    assert generate(req) == generate(req)
