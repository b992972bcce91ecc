"""Where each task's images sit (emulator.ui.images): inputs, masks over their image, outputs."""

from __future__ import annotations

import pytest

from emulator.ui.images import Kind, all_slots, elide, image_data, json_path

IMG = "iVBORw0KGgo" + "A" * 61  # base64-looking, 72 chars
REF = {"$image": {"sha256": "0" * 64, "length": 72, "thumbnail": IMG}}


def _labels(request: object, response: object = None) -> dict[str, list[str]]:
    return {kind.value: [s.label for s in slots] for kind, slots in all_slots(request, response).items()}


@pytest.mark.parametrize(
    ("request_body", "inputs", "masks"),
    [
        ({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"}}, [], []),
        (
            {"taskType": "TEXT_IMAGE", "textToImageParams": {"conditionImage": IMG}},
            ["request.textToImageParams.conditionImage"],
            [],
        ),
        (
            {"taskType": "IMAGE_VARIATION", "imageVariationParams": {"images": [IMG, REF]}},
            ["request.imageVariationParams.images[0]", "request.imageVariationParams.images[1]"],
            [],
        ),
        (
            {"taskType": "OUTPAINTING", "outPaintingParams": {"image": REF, "maskPrompt": "a dog"}},
            ["request.outPaintingParams.image"],
            [],
        ),
        (
            {
                "taskType": "VIRTUAL_TRY_ON",
                "virtualTryOnParams": {
                    "sourceImage": IMG,
                    "referenceImage": IMG,
                    "imageBasedMask": {"maskImage": IMG},
                },
            },
            ["request.virtualTryOnParams.sourceImage", "request.virtualTryOnParams.referenceImage"],
            ["request.virtualTryOnParams.imageBasedMask.maskImage"],
        ),
        ({"taskType": "NOPE"}, [], []),
        ([1, 2], [], []),
    ],
)
def test_request_slots_per_task(request_body: object, inputs: list[str], masks: list[str]) -> None:
    labels = _labels(request_body)
    assert labels["input"] == inputs
    assert labels["mask"] == masks


def test_mask_colours_follow_contract_section_6() -> None:
    inpaint = all_slots(
        {"taskType": "INPAINTING", "inPaintingParams": {"image": IMG, "maskImage": IMG}}, None
    )
    outpaint = all_slots(
        {"taskType": "OUTPAINTING", "outPaintingParams": {"image": IMG, "maskImage": IMG}}, None
    )
    assert inpaint[Kind.MASK][0].edited_is_white is False
    assert inpaint[Kind.MASK][0].base == ("request", "inPaintingParams", "image")
    assert outpaint[Kind.MASK][0].edited_is_white is True


def test_a_returned_mask_sits_over_the_source_image_black_edited() -> None:
    request = {"taskType": "VIRTUAL_TRY_ON", "virtualTryOnParams": {"sourceImage": IMG}}
    slots = all_slots(request, {"images": [REF], "maskImage": REF})
    assert [s.label for s in slots[Kind.OUTPUT]] == ["response.images[0]"]
    (mask,) = [s for s in slots[Kind.MASK] if s.path[0] == "response"]
    assert mask.base == ("request", "virtualTryOnParams", "sourceImage")
    assert mask.edited_is_white is False


def test_image_data_and_elide() -> None:
    assert image_data(IMG) == IMG
    assert image_data(REF) == IMG
    assert image_data({"$image": {"length": 9, "elided": True}}) is None
    # A reference without the journal's thumbnail (an image the validator refused) is never decoded.
    assert image_data({"$image": {"sha256": "0" * 64, "length": 72, "base64": IMG}}) is None
    assert image_data("a prompt") is None
    assert elide({"a": [IMG], "b": "text"}) == {"a": ["<image: 72 base64 chars>"], "b": "text"}
    assert json_path(("images", 0, "x")) == "images[0].x"
