"""The journal page in a real browser: the REAL server, real boto3 calls, headless Chromium via Playwright.

Skipped when Chromium is absent, unless NOVA_REQUIRE_ALL_CLIENTS=1 (CI), which makes that a failure. Runs with
a control token, so it also covers the page taking `?token=` and sending it as a header, and otherwise the
default settings, so thumbnails must show without raising any journal cap. Saves a screenshot under the
test's temporary directory; `scripts/ui_screenshot` sets `NOVA_UI_SCREENSHOT` to copy it to the docs.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from PIL import Image, ImageDraw

from tests.support.clients import CHROMIUM_ARGS, chromium_path, missing_tool
from tests.support.server import EmulatorProcess

NOVA = "amazon.nova-canvas-v1:0"
TOKEN = "ui-test-token"
SCREENSHOT_ENV = "NOVA_UI_SCREENSHOT"  # where to copy the screenshot (scripts/ui_screenshot sets it)
SIZE = 320
LONG_MODEL_ID = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/" + "x" * 240

try:
    from playwright import sync_api
except ImportError:  # pragma: no cover - the test extra installs it
    sync_api = None  # type: ignore[assignment]  # the fixtures skip (or fail in CI) without it


def _png_b64(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def photo() -> str:
    """A small synthetic scene: sky-to-sand gradient, a sun and a house."""
    image = Image.new("RGB", (SIZE, SIZE))
    draw = ImageDraw.Draw(image)
    for y in range(SIZE):
        t = y / SIZE
        draw.line([(0, y), (SIZE, y)], fill=(int(90 + 140 * t), int(150 + 60 * t), int(230 - 120 * t)))
    draw.ellipse((220, 30, 290, 100), fill=(255, 210, 80))
    draw.rectangle((90, 160, 230, 270), fill=(150, 70, 50))
    draw.polygon([(80, 160), (160, 100), (240, 160)], fill=(90, 40, 30))
    return _png_b64(image)


def door_mask() -> str:
    """White (kept) everywhere but a black rectangle over the house front: INPAINTING edits the black
    (docs/CONTRACT.md §6)."""
    image = Image.new("RGB", (SIZE, SIZE), (255, 255, 255))
    ImageDraw.Draw(image).rectangle((90, 150, 250, 280), fill=(0, 0, 0))
    return _png_b64(image)


def invoke(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    """One InvokeModel call; the decoded response body."""
    response = client.invoke_model(modelId=NOVA, body=json.dumps(body))
    decoded: dict[str, Any] = json.loads(response["body"].read())
    return decoded


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium and Playwright's Python package, or skip (fail in CI, see `chromium_path`)."""
    if sync_api is None:
        missing_tool("the playwright Python package (pip install -e '.[test]')")
    return chromium_path()


@pytest.fixture(scope="module")
def server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """The console-script server with a control token and otherwise default settings."""
    env = {"NOVA_EMULATOR_CONTROL_TOKEN": TOKEN}
    srv = EmulatorProcess.start(tmp_path_factory.mktemp("ui") / "server.log", env=env)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def bedrock(server: EmulatorProcess) -> Any:
    """boto3 bedrock-runtime pointed at the server, one attempt."""
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"mode": "standard", "max_attempts": 1}, read_timeout=60),
    )


@pytest.fixture(scope="module")
def calls(bedrock: Any) -> dict[str, str]:
    """A TEXT_IMAGE, an INPAINTING with a mask image, and a seed out of range; returns the error message."""
    size = {"width": SIZE, "height": SIZE}
    invoke(
        bedrock,
        {
            "taskType": "TEXT_IMAGE",
            "textToImageParams": {"text": "a lighthouse at dusk"},
            "imageGenerationConfig": {**size, "seed": 7},
        },
    )
    invoke(
        bedrock,
        {
            "taskType": "INPAINTING",
            "inPaintingParams": {"image": photo(), "maskImage": door_mask(), "text": "a red door"},
            "imageGenerationConfig": {"seed": 3},
        },
    )
    with pytest.raises(bedrock.exceptions.ValidationException) as failure:
        invoke(
            bedrock,
            {
                "taskType": "TEXT_IMAGE",
                "textToImageParams": {"text": "a cat"},
                "imageGenerationConfig": {**size, "seed": 2_147_483_647},
            },
        )
    return {"seed_error": failure.value.response["Error"]["Message"]}


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (no downloaded browser)."""
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def page_errors() -> list[str]:
    """Script errors and console errors (failed requests included) seen by `page`."""
    return []


@pytest.fixture(scope="module")
def page(
    browser: Any, server: EmulatorProcess, calls: dict[str, str], page_errors: list[str]
) -> Iterator[Any]:
    """The journal page, token given once in the query string."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.on("pageerror", lambda exc: page_errors.append(str(exc)))
    tab.on("console", lambda msg: page_errors.append(msg.text) if msg.type == "error" else None)
    tab.goto(f"{server.url}/_emulator/ui?token={TOKEN}")
    tab.wait_for_selector("#rows tr")
    yield tab
    context.close()


def test_without_the_token_the_page_says_so_and_offers_to_take_it(
    browser: Any, server: EmulatorProcess, calls: dict[str, str]
) -> None:
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(f"{server.url}/_emulator/ui")
    sync_api.expect(tab.locator("#message")).to_contain_text("needs a token", timeout=10_000)
    sync_api.expect(tab.locator("#set-token")).to_be_visible()
    sync_api.expect(tab.locator("#rows tr")).to_have_count(0)
    tab.once("dialog", lambda dialog: dialog.accept(TOKEN))
    tab.click("#set-token")
    sync_api.expect(tab.locator("#rows tr").first).to_be_visible(timeout=10_000)
    context.close()


def rows(page: Any) -> Any:
    return page.locator("#rows tr")


def test_entries_appear_newest_first_and_the_token_leaves_the_address_bar(page: Any) -> None:
    sync_api.expect(rows(page)).to_have_count(3)
    tasks = page.locator("#rows td.task").all_inner_texts()
    assert tasks == ["TEXT_IMAGE", "INPAINTING", "TEXT_IMAGE"]
    assert TOKEN not in page.url


def test_the_failed_call_shows_the_exact_bedrock_message(page: Any, calls: dict[str, str]) -> None:
    failed = rows(page).first
    sync_api.expect(failed.locator(".badge")).to_have_text("400 ValidationException")
    sync_api.expect(failed.locator(".problems li.error").first).to_have_text(calls["seed_error"])


def test_thumbnails_load_with_the_mask_over_its_image(page: Any) -> None:
    inpainting = rows(page).nth(1)
    for kind in ("input", "mask", "output"):
        sync_api.expect(inpainting.locator(f"td.{kind} img")).to_have_count(1)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#rows img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    widths = page.eval_on_selector_all("#rows img", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) == 4 and all(
        w > 0 for w in widths
    )  # TEXT_IMAGE output + inpainting input, mask, output


def test_filters_narrow_the_list_server_side(page: Any) -> None:
    page.select_option("#f-task", "INPAINTING")
    sync_api.expect(rows(page)).to_have_count(1)
    sync_api.expect(page.locator("#rows td.task")).to_have_text(["INPAINTING"])
    assert "task=INPAINTING" in page.url
    page.select_option("#f-task", "")
    page.select_option("#f-status", "400")
    sync_api.expect(rows(page)).to_have_count(1)
    sync_api.expect(page.locator("#rows .badge")).to_have_text(["400 ValidationException"])
    page.select_option("#f-model", "amazon.titan-image-generator-v2:0")
    sync_api.expect(rows(page)).to_have_count(0)
    sync_api.expect(page.locator("#empty")).to_be_visible()
    page.click("button[type=reset]")
    sync_api.expect(rows(page)).to_have_count(3)


def test_the_detail_view_shows_the_request_json_with_images_elided(page: Any) -> None:
    rows(page).nth(1).locator("button.open").click()
    dialog = page.locator("#detail")
    sync_api.expect(dialog).to_be_visible()
    request_json = json.loads(page.locator("#detail-request").inner_text())
    params = request_json["inPaintingParams"]
    assert request_json["taskType"] == "INPAINTING"
    assert params["text"] == "a red door"
    assert re.fullmatch(
        r"<image: \d+ base64 chars, sha256 [0-9a-f]{12}…, (kept|not kept whole: over the journal's cap)>",
        params["maskImage"],
    )
    response_json = json.loads(page.locator("#detail-response").inner_text())
    assert response_json["images"][0].startswith("<image: ")
    page.keyboard.press("Escape")
    sync_api.expect(dialog).to_be_hidden()


def test_paging_walks_the_journal_a_page_at_a_time(
    browser: Any, server: EmulatorProcess, calls: dict[str, str]
) -> None:
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(f"{server.url}/_emulator/ui?token={TOKEN}&limit=2")
    sync_api.expect(tab.locator("#range")).to_have_text("1–2 of 3")
    newest = tab.locator("#rows td.task").all_inner_texts()
    tab.click("#older")
    sync_api.expect(tab.locator("#range")).to_have_text("3–3 of 3")
    sync_api.expect(tab.locator("#rows td.task")).to_have_text(["TEXT_IMAGE"])
    sync_api.expect(tab.locator("#older")).to_be_disabled()
    assert "offset=2" in tab.url
    tab.click("#newer")
    sync_api.expect(tab.locator("#rows td.task")).to_have_text(newest)
    context.close()


def test_new_calls_appear_live_and_a_screenshot_is_saved(
    page: Any, bedrock: Any, page_errors: list[str], tmp_path: Path
) -> None:
    invoke(
        bedrock,
        {
            "taskType": "OUTPAINTING",
            "outPaintingParams": {"image": photo(), "maskImage": door_mask(), "text": "a beach"},
            "imageGenerationConfig": {"seed": 5},
        },
    )
    sync_api.expect(rows(page)).to_have_count(4, timeout=8_000)  # polled every 2 s, no reload
    sync_api.expect(page.locator("#rows td.task").first).to_have_text("OUTPAINTING")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#rows img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    # Default settings: every output (the smallest is 320x320, far over the 64 KiB whole-image cap) has its
    # thumbnail, and so has every input and mask.
    assert page.locator("#rows td.output img").count() == 3
    assert page.locator("#rows td.input img").count() == 2
    assert page.locator("#rows td.mask img").count() == 2
    screenshot = tmp_path / "ui-screenshot.png"
    page.set_viewport_size({"width": 1360, "height": 560})  # full_page grows it to the content
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    if os.environ.get(SCREENSHOT_ENV):
        shutil.copyfile(screenshot, os.environ[SCREENSHOT_ENV])
    assert page_errors == []  # no script errors, no failed requests, all along


def test_a_long_model_id_wraps_instead_of_widening_the_table(
    page: Any, bedrock: Any, page_errors: list[str]
) -> None:
    with pytest.raises(bedrock.exceptions.ClientError):
        bedrock.invoke_model(modelId=LONG_MODEL_ID, body=json.dumps({"taskType": "TEXT_IMAGE"}))
    sync_api.expect(rows(page)).to_have_count(5, timeout=8_000)
    page.set_viewport_size({"width": 1360, "height": 700})
    cell = rows(page).first.locator("td.model")
    sync_api.expect(cell).to_contain_text("application-inference-profile/xxxx")
    widths = page.eval_on_selector(".table-wrap", "el => [el.scrollWidth, el.clientWidth]")
    assert widths[0] <= widths[1], widths  # no horizontal scrolling: every column stays on screen
    box = cell.bounding_box()
    assert box is not None and box["height"] > 3 * 16  # the id wrapped onto several lines
    assert page_errors == []
