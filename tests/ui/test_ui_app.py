"""The journal page inside the real app factory, over the test double's SQLite journal (no sockets)."""

from __future__ import annotations

import io
import json

from PIL import Image

from emulator import EmulatorConfig, create_app
from emulator.testdouble.api import EXTENSION
from emulator.testdouble.journal_reader import StoreReader, to_record
from emulator.testdouble.store import JournalQuery, Store
from emulator.ui.source import JournalFilters
from tests.support.bodies import half_mask_png_b64, solid_png_b64

NOVA = "/model/amazon.nova-canvas-v1:0/invoke"


def _app(**testdouble: object):
    """The app with default test-double settings: thumbnails must show without raising any cap."""
    config = EmulatorConfig.from_mapping({"access_log": False, **testdouble})
    return create_app(config)


def _text_image(seed: int = 7) -> bytes:
    body = {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a lighthouse"},
        "imageGenerationConfig": {"width": 320, "height": 320, "seed": seed},
    }
    return json.dumps(body).encode()


def _inpainting() -> bytes:
    params = {"image": solid_png_b64(), "maskImage": half_mask_png_b64(), "text": "a red door"}
    body = {"taskType": "INPAINTING", "inPaintingParams": params, "imageGenerationConfig": {"seed": 3}}
    return json.dumps(body).encode()


def test_calls_show_up_newest_first_with_thumbnails_and_the_exact_error() -> None:
    client = _app().test_client()
    assert client.post(NOVA, data=_text_image()).status_code == 200
    assert client.post(NOVA, data=_inpainting()).status_code == 200
    failed = client.post(NOVA, data=_text_image(seed=2147483647))
    assert failed.status_code == 400
    rows = client.get("/_emulator/ui/api/entries").json["entries"]
    assert [r["task"] for r in rows] == ["TEXT_IMAGE", "INPAINTING", "TEXT_IMAGE"]
    assert rows[0]["error"] == {"type": "ValidationException", "message": failed.json["message"]}
    inpainting = rows[1]
    assert [len(inpainting["thumbs"][k]) for k in ("input", "mask", "output")] == [1, 1, 1]
    for kind in ("input", "mask", "output"):
        png = client.get(inpainting["thumbs"][kind][0]["url"])
        assert png.status_code == 200
        assert max(Image.open(io.BytesIO(png.data)).size) <= 160
    detail = client.get(f"/_emulator/ui/api/entries/{inpainting['id']}").json
    assert detail["request"]["inPaintingParams"]["text"] == "a red door"
    assert detail["request"]["inPaintingParams"]["image"].startswith("<image: ")
    assert detail["response"]["images"][0].startswith("<image: ")


def test_the_page_follows_the_control_api_switch_and_token() -> None:
    off = _app(control_api=False).test_client()
    assert off.get("/_emulator/ui").status_code == 404
    assert off.get("/_emulator/ui/api/entries").status_code == 404
    guarded = _app(control_token="tok").test_client()
    assert guarded.get("/_emulator/ui").status_code == 200  # the shell; it asks for the token itself
    assert guarded.get("/_emulator/ui/api/entries").status_code == 401
    wrong = guarded.get("/_emulator/ui/api/entries", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    ok = guarded.get("/_emulator/ui/api/entries", headers={"Authorization": "Bearer tok"})
    assert ok.status_code == 200


def test_store_reader_filters_and_pages_server_side() -> None:
    app = _app()
    client = app.test_client()
    for seed in range(3):
        client.post(NOVA, data=_text_image(seed))
    client.post(NOVA, data=_text_image(seed=2147483647))
    reader = StoreReader(app.extensions[EXTENSION]["store"])
    assert reader.page(JournalFilters(), 2, 0).total == 4
    assert [r.status for r in reader.page(JournalFilters(status=400), 10, 0).records] == [400]
    assert len(reader.page(JournalFilters(task="TEXT_IMAGE"), 2, 1).records) == 2
    assert reader.page(JournalFilters(model="amazon.titan-image-generator-v1"), 10, 0).total == 0
    before = reader.version(JournalFilters())
    client.post(NOVA, data=_text_image(9))
    assert reader.version(JournalFilters()) != before
    assert reader.get("nope") is None


def test_first_page_stays_small_with_thousands_of_entries() -> None:
    app = _app()
    store: Store = app.extensions[EXTENSION]["store"]
    entry = _sample_entry(store, app)
    for _ in range(3000):
        store.record({"model": entry["model"], "task": entry["task"], "status": 200}, entry)
    client = app.test_client()
    response = client.get("/_emulator/ui/api/entries")
    assert response.json["total"] == 3001
    assert len(response.json["entries"]) == 50
    assert len(response.data) < 64_000
    etag = response.headers["ETag"]
    assert client.get("/_emulator/ui/api/entries", headers={"If-None-Match": etag}).status_code == 304


def _sample_entry(store: Store, app) -> dict[str, object]:
    """A real journal entry (an inpainting call with its images), to copy thousands of times."""
    app.test_client().post(NOVA, data=_inpainting())
    page = store.journal(JournalQuery(limit=1))
    entry = dict(page.entries[0])
    entry.pop("id")
    assert to_record({"id": 1, **entry}).task == "INPAINTING"
    return entry


def test_returned_masks_and_transparent_outputs_get_thumbnails() -> None:
    client = _app().test_client()
    vto = {
        "taskType": "VIRTUAL_TRY_ON",
        "virtualTryOnParams": {
            "sourceImage": solid_png_b64(),
            "referenceImage": solid_png_b64(colour=(200, 200, 40)),
            "maskType": "IMAGE",
            "imageBasedMask": {"maskImage": half_mask_png_b64()},
            "returnMask": True,
        },
    }
    removal = {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": solid_png_b64()}}
    for body in (vto, removal):
        assert client.post(NOVA, data=json.dumps(body)).status_code == 200
    removal_row, vto_row = client.get("/_emulator/ui/api/entries").json["entries"]
    assert [t["label"] for t in vto_row["thumbs"]["mask"]] == [
        "virtualTryOnParams.imageBasedMask.maskImage",
        "maskImage",
    ]
    urls = [
        t["url"]
        for row in (vto_row, removal_row)
        for kind in ("input", "mask", "output")
        for t in row["thumbs"][kind]
    ]
    assert len(urls) == 7
    for url in urls:
        png = client.get(url)
        assert png.status_code == 200, url
        assert Image.open(io.BytesIO(png.data)).mode == "RGB"
