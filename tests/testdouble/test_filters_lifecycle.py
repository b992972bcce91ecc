"""Content filters and lifecycle (docs/CONTRACT.md §8.3, §8.4, §8.5): exact texts, through the pipeline."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.support.apps import app_client, post_invoke
from tests.support.bodies import NOVA, TITAN_V2, solid_png_b64, text_body, titan_body, variation_body
from tests.support.responses import error_message, error_type
from validator import messages


@pytest.mark.parametrize(
    ("body", "model", "text"),
    [
        (text_body("a Forbidden castle"), NOVA, messages.NOVA_TEXT_BLOCKED),
        (text_body("a castle", negativeText="FORBIDDEN things"), NOVA, messages.NOVA_TEXT_BLOCKED),
        (titan_body("forbidden!"), TITAN_V2, messages.TITAN_TEXT_BLOCKED),
    ],
)
def test_blocked_word_gives_the_models_real_text(body: str, model: str, text: str) -> None:
    client = app_client({"blocked_words": "forbidden,other"})
    response = post_invoke(client, body, model)
    assert (response.status_code, error_type(response), error_message(response)) == (
        400,
        "ValidationException",
        text,
    )


def test_blocked_words_match_whole_words_only() -> None:
    client = app_client({"blocked_words": "cat"})
    assert post_invoke(client, text_body("a catalogue of cats")).status_code == 200


def test_blocked_image_by_hash_and_by_marker() -> None:
    image = solid_png_b64()
    marked = solid_png_b64(text_chunk="NOVA-BLOCK-ME")
    digest = hashlib.sha256(image.encode()).hexdigest()
    client = app_client({"blocked_image_hashes": digest, "blocked_image_marker": "NOVA-BLOCK-ME"})
    for body in (variation_body(image), variation_body(marked)):
        response = post_invoke(client, body)
        assert (response.status_code, error_message(response)) == (400, messages.IMAGE_BLOCKED)
    assert post_invoke(client, variation_body(solid_png_b64(328, 320))).status_code == 200


def test_mask_prompt_failure_trigger() -> None:
    client = app_client({"mask_prompt_failure_words": "unicorn"})
    params = {"image": solid_png_b64(), "maskPrompt": "the unicorn", "text": "a horse"}
    body = json.dumps({"taskType": "INPAINTING", "inPaintingParams": params})
    response = post_invoke(client, body)
    assert (response.status_code, error_message(response)) == (400, messages.MASK_PROMPT_FAILED)


def test_input_moderation_runs_after_validation() -> None:
    client = app_client({"blocked_words": "forbidden"})
    body = json.dumps({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "forbidden", "bogus": 1}})
    assert error_message(post_invoke(client, body)).startswith(messages.MALFORMED_PREFIX)


def test_output_block_all_returns_empty_images_and_the_all_text() -> None:
    client = app_client({"output_block_mode": "all"})
    response = post_invoke(client, text_body(number=2))
    assert response.status_code == 200
    assert json.loads(response.data) == {"images": [], "error": messages.ALL_IMAGES_BLOCKED}


def test_output_block_indices_returns_the_rest_and_the_some_text() -> None:
    client = app_client({"output_block_mode": "indices", "output_block_indices": "1"})
    data = json.loads(post_invoke(client, text_body(number=3)).data)
    assert len(data["images"]) == 2 and data["error"] == messages.SOME_IMAGES_BLOCKED
    assert list(data) == ["images", "error"]
    entry = client.get("/_emulator/journal").get_json()["entries"][0]
    assert (entry["response"]["images"], entry["response"]["blocked"]) == (2, 1)


def test_output_block_probability_is_deterministic_per_request_and_index() -> None:
    settings = {"output_block_mode": "probability", "output_block_probability": "0.5", "seed": "7"}
    first, second = app_client(settings), app_client(settings)
    counts = [
        len(json.loads(post_invoke(c, text_body(f"scene {i}", number=5)).data)["images"])
        for c in (first,)
        for i in range(6)
    ]
    again = [
        len(json.loads(post_invoke(second, text_body(f"scene {i}", number=5)).data)["images"])
        for i in range(6)
    ]
    assert counts == again
    assert len(set(counts)) > 1  # not all-or-nothing


def test_output_block_words_limit_blocking_to_matching_prompts() -> None:
    client = app_client({"output_block_mode": "all", "output_block_words": "gore"})
    assert "error" not in json.loads(post_invoke(client, text_body("a garden")).data)
    assert json.loads(post_invoke(client, text_body("some GORE")).data)["images"] == []


@pytest.mark.parametrize(
    ("state", "text"), [("legacy", messages.LIFECYCLE_LEGACY), ("eol", messages.LIFECYCLE_EOL)]
)
def test_lifecycle_answers_404_with_the_real_text(state: str, text: str) -> None:
    client = app_client()
    assert client.put(f"/_emulator/lifecycle/{NOVA}", json={"state": state}).status_code == 200
    for path in (f"/model/{NOVA}/invoke", f"/model/{NOVA}/converse"):
        response = client.post(path, data=text_body())
        assert (response.status_code, error_type(response), error_message(response)) == (
            404,
            "ResourceNotFoundException",
            text,
        )
    assert post_invoke(client, titan_body(), TITAN_V2).status_code == 200


def test_lifecycle_is_off_by_default_and_configurable_at_start() -> None:
    assert post_invoke(app_client(), text_body()).status_code == 200
    client = app_client({"lifecycle": f"{TITAN_V2}=eol"})
    assert error_message(post_invoke(client, titan_body(), TITAN_V2)) == messages.LIFECYCLE_EOL
    assert client.get("/_emulator/lifecycle").get_json()[TITAN_V2] == "eol"
