"""The journal bounded in bytes: each entry, the whole journal, and each read; thumbnails at default settings;
JPEG decoding bounded in scans for request images and thumbnails alike; control writes atomic."""

from __future__ import annotations

import base64
import io
import json
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from emulator.testdouble import store
from emulator.testdouble.config import TestDoubleConfig
from emulator.testdouble.journal_entry import ENTRY_MAX_BYTES, MAX_TEXT_CHARS, REQUEST_MAX_BYTES, fit_entry
from emulator.testdouble.store import PAGE_MAX_BYTES, JournalQuery, Store
from emulator.ui import thumbs
from tests.support.apps import app_client, post_invoke
from tests.support.bodies import NOVA, text_body
from tests.support.responses import error_message, error_type
from validator._images import MAX_JPEG_SCANS

JSON: dict[str, Any] = {"content_type": "application/json"}


def stored_sizes(client: Any) -> list[int]:
    """The stored JSON size of every journal entry, read through the control API."""
    page = client.get("/_emulator/journal?limit=1000").get_json()
    return [len(json.dumps(e, separators=(",", ":")).encode()) for e in page["entries"]]


def test_a_near_limit_body_is_journaled_in_a_bounded_entry() -> None:
    """A 20 MB body of long strings and wide arrays: the entry stays under the per-entry cap."""
    client = app_client()
    filler = {f"k{i}": "y" * 60_000 for i in range(300)}  # 18 MB of extraneous keys
    body = json.dumps(
        {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x" * 1_000_000}, **filler, "list": [1] * 10}
    )
    assert len(body) > 18_000_000
    assert post_invoke(client, body).status_code == 400
    [size] = stored_sizes(client)
    assert size < ENTRY_MAX_BYTES
    entry = client.get("/_emulator/journal").get_json()["entries"][0]
    request_json = entry["request"]["json"]
    assert len(json.dumps(request_json)) < REQUEST_MAX_BYTES + 8_192
    assert request_json["textToImageParams"]["text"]["$text"]["length"] == 1_000_000
    assert request_json["$more"] > 0  # members past the budget are counted, not kept


def test_strings_over_the_text_cap_become_previews() -> None:
    client = app_client()
    post_invoke(client, text_body("a" * MAX_TEXT_CHARS))
    post_invoke(client, text_body("b" * (MAX_TEXT_CHARS + 1)))
    kept, previewed = (e["request"]["json"]["textToImageParams"]["text"] for e in _entries(client))
    assert kept == "a" * MAX_TEXT_CHARS
    assert previewed["$text"]["length"] == MAX_TEXT_CHARS + 1


def _entries(client: Any) -> list[dict[str, Any]]:
    return list(client.get("/_emulator/journal").get_json()["entries"])


def test_fit_entry_drops_whole_images_then_the_request_then_thumbnails() -> None:
    image = {
        "$image": {"sha256": "0" * 64, "length": 400_000, "thumbnail": "T" * 8_000, "base64": "A" * 400_000}
    }
    entry: dict[str, object] = {
        "request": {"bytes": 1, "json": {"image": image}},
        "response": {"image_data": [image]},
    }
    fitted = fit_entry(entry)
    assert fitted["trimmed"] == ["images"]
    assert len(json.dumps(fitted)) < ENTRY_MAX_BYTES
    refs = [fitted["request"]["json"]["image"]["$image"], fitted["response"]["image_data"][0]["$image"]]  # type: ignore[index]
    assert all(ref["elided"] and "base64" not in ref and ref["thumbnail"] == "T" * 8_000 for ref in refs)
    huge: dict[str, object] = {"request": {"bytes": 1, "json": {"x": ["z" * 4000] * 200}}, "response": {}}
    thumbs = {"$image": {"sha256": "0", "length": 1, "thumbnail": "T" * 300_000}}
    huge["response"] = {"image_data": [thumbs, thumbs]}
    fitted = fit_entry(huge)
    assert fitted["trimmed"] == ["images", "request", "thumbnails"]
    assert len(json.dumps(fitted)) < ENTRY_MAX_BYTES


def test_the_journal_is_pruned_by_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Smaller caps than the defaults so the test writes a few MB, not 256 MB; the same code prunes."""
    monkeypatch.setattr(store, "JOURNAL_MAX_BYTES", 2_000_000)
    monkeypatch.setattr(store, "PRUNE_BYTES", 500_000)
    journal = Store(TestDoubleConfig())
    entry = {"blob": "x" * 100_000}
    for _ in range(60):  # 6 MB written
        journal.record({"status": 200}, entry)
    page = journal.journal(JournalQuery(limit=1000))
    kept_bytes = sum(len(json.dumps({k: v for k, v in e.items() if k != "id"})) for e in page.entries)
    assert kept_bytes <= 2_000_000 + 500_000  # the cap plus at most one prune interval
    assert page.entries[-1]["id"] == 60  # the newest are kept
    assert 15 <= page.total < 60


def test_reads_are_paged_by_size() -> None:
    journal = Store(TestDoubleConfig())
    entry = {"blob": "x" * 400_000}
    for _ in range(30):  # 12 MB
        journal.record({"status": 200}, entry)
    page = journal.journal(JournalQuery(limit=1000))
    assert page.size_limited and page.total == 30
    assert len(page.entries) == PAGE_MAX_BYTES // 400_030
    assert (
        journal.journal(JournalQuery(limit=1000, offset=len(page.entries))).entries[0]["id"]
        == len(page.entries) + 1
    )
    one = Store(TestDoubleConfig())
    one.record(
        {"status": 200}, {"blob": "x" * (PAGE_MAX_BYTES + 1)}
    )  # never stored this big, but read anyway
    assert len(one.journal(JournalQuery()).entries) == 1  # a page always holds at least one entry


def test_the_control_api_says_when_a_page_was_cut_by_size() -> None:
    client = app_client()
    journal: Store = client.application.extensions["nova_canvas_emulator.testdouble"]["store"]
    for _ in range(30):
        journal.record({"status": 200}, {"blob": "x" * 400_000})
    page = client.get("/_emulator/journal?limit=1000").get_json()
    assert (page["total"], page["more"], page["size_limited"]) == (30, True, True)
    assert page["returned"] == len(page["entries"]) < 30
    assert len(json.dumps(page)) < PAGE_MAX_BYTES + 65_536
    rest = client.get(f"/_emulator/journal?limit=1000&offset={page['returned']}").get_json()
    assert rest["more"] is False and page["returned"] + rest["returned"] == 30


# --- thumbnails ------------------------------------------------------------------------------------------


def _thumbnail_of(ref: dict[str, Any]) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(ref["$image"]["thumbnail"])))


def test_default_settings_keep_a_thumbnail_of_every_output() -> None:
    """The smallest Nova output (320x320) is far over the 64 KiB whole-image cap: its thumbnail is kept."""
    client = app_client()
    response = post_invoke(client, text_body(number=2))
    assert response.status_code == 200
    [entry] = _entries(client)
    refs = entry["response"]["image_data"]
    assert len(refs) == 2 and all(ref["$image"]["elided"] for ref in refs)
    for ref, image in zip(refs, json.loads(response.data)["images"], strict=True):
        small = _thumbnail_of(ref)
        assert (small.format, small.size) == ("JPEG", (160, 160))
        full = Image.open(io.BytesIO(base64.b64decode(image))).convert("RGB").resize((160, 160))
        difference = np.abs(np.asarray(small.convert("RGB"), dtype=int) - np.asarray(full, dtype=int))
        assert difference.mean() < 12  # the same picture, shrunk (JPEG and resampling differ a little)
    rows = client.get("/_emulator/ui/api/entries").get_json()["entries"]
    urls = [thumb["url"] for thumb in rows[0]["thumbs"]["output"]]
    assert len(urls) == 2 and all(urls)
    png = client.get(urls[0])
    assert png.status_code == 200 and png.mimetype == "image/png"


def progressive_jpeg(extra_scans: int, size: int = 512) -> bytes:
    """A real progressive JPEG (Pillow, libjpeg's scan script: 10 scans) with its last scan repeated
    `extra_scans` times: still decodable, each scan costing decode time."""
    ramp = np.linspace(0, 255, size, dtype=np.uint8)
    pixels = np.stack(np.broadcast_arrays(ramp[None, :], ramp[:, None], np.uint8(128)), -1).copy()
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", progressive=True, quality=90)
    data = buffer.getvalue()
    last_scan = data.rindex(b"\xff\xda")
    end = data.rindex(b"\xff\xd9")
    return data[:end] + data[last_scan:end] * extra_scans + data[end:]


def _variation(image: bytes) -> str:
    params = {"text": "a lighthouse", "images": [base64.b64encode(image).decode()]}
    config = {"width": 320, "height": 320}
    return json.dumps(
        {"taskType": "IMAGE_VARIATION", "imageVariationParams": params, "imageGenerationConfig": config}
    )


def test_a_jpeg_with_too_many_scans_is_refused_before_decoding() -> None:
    many = progressive_jpeg(MAX_JPEG_SCANS)  # 10 + 256 scans
    assert many.count(b"\xff\xda") == MAX_JPEG_SCANS + 10
    with Image.open(io.BytesIO(many)) as decoded:  # a valid image: Pillow decodes it
        decoded.load()
        assert decoded.size == (512, 512)
    client = app_client()
    refused = post_invoke(client, _variation(many))
    # The same answer as any image Pillow cannot decode (SEM-IMG-FORMAT, undecodable JPEG).
    assert (refused.status_code, error_type(refused), error_message(refused)) == (
        400,
        "ValidationException",
        "#/imageVariationParams/images/0: must be a PNG or JPEG image, actual: undecodable JPEG",
    )
    accepted = post_invoke(client, _variation(progressive_jpeg(MAX_JPEG_SCANS - 10)))
    assert accepted.status_code == 200, accepted.data[:300]
    refused_entry, accepted_entry = _entries(client)
    refused_ref = refused_entry["request"]["json"]["imageVariationParams"]["images"][0]["$image"]
    accepted_ref = accepted_entry["request"]["json"]["imageVariationParams"]["images"][0]["$image"]
    assert "thumbnail" not in refused_ref  # refused: never decoded again, not even for the page
    assert _thumbnail_of({"$image": accepted_ref}).size == (160, 160)


def test_a_refused_image_is_not_decoded_for_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small JPEG whose header declares 8000x8000: refused from its header, and the journal page shows no
    thumbnail for it and decodes nothing however often it is viewed."""
    small = bytearray(progressive_jpeg(0, size=320))
    frame = small.index(b"\xff\xc2")  # the progressive start-of-frame: length, precision, height, width
    small[frame + 5 : frame + 9] = (8000).to_bytes(2, "big") * 2
    client = app_client()
    assert post_invoke(client, _variation(bytes(small))).status_code == 400
    loads: list[object] = []
    real_load = Image.Image.load

    def counting_load(self: Image.Image) -> Any:
        loads.append(self)
        return real_load(self)

    monkeypatch.setattr(Image.Image, "load", counting_load)
    for _ in range(3):
        [row] = client.get("/_emulator/ui/api/entries").get_json()["entries"]
        assert [thumb["url"] for thumb in row["thumbs"]["input"]] == [None]
        assert client.get(f"/_emulator/ui/thumb/{row['id']}/input/0.png").status_code == 404
    assert loads == []


# --- atomic control writes -------------------------------------------------------------------------------


def test_a_failed_control_write_changes_nothing(tmp_path: Path) -> None:
    """The state directory deleted under a running emulator: a thread that must open the database again gets
    a JSON 503 and nothing changes; a thread still holding it writes and the change takes effect."""
    state = tmp_path / "state" / "state.sqlite3"
    client = app_client({"state_path": str(state)})
    assert client.get("/_emulator/rules").status_code == 200  # this thread's connection is open
    shutil.rmtree(state.parent)
    answers: list[Any] = []

    def from_another_thread() -> None:  # a new thread has no connection yet: it must open the file
        answers.append(
            client.post("/_emulator/rules", json={"action": "ThrottlingException", "name": "lost"})
        )

    worker = threading.Thread(target=from_another_thread)
    worker.start()
    worker.join()
    [failed] = answers
    assert failed.status_code == 503 and failed.mimetype == "application/json"
    assert error_message(failed).startswith("The emulator's state store could not be used (")
    assert error_message(failed).endswith("); nothing was changed.")
    assert client.get("/_emulator/rules").get_json() == {"rules": []}
    assert post_invoke(client, text_body(), NOVA).status_code == 200  # no rule fires
    added = client.post("/_emulator/rules", json={"action": "ThrottlingException", "times": 1})
    assert added.status_code == 201
    assert post_invoke(client, text_body(), NOVA).status_code == 429  # an answered write took effect


def test_writes_need_json_even_without_a_body() -> None:
    client = app_client()
    for method, path in (
        ("POST", "/_emulator/reset"),
        ("DELETE", "/_emulator/journal"),
        ("DELETE", "/_emulator/rules"),
    ):
        refused = client.open(path, method=method)
        assert (
            refused.status_code == 415
            and error_message(refused) == "Control API writes need Content-Type: application/json."
        )
        assert client.open(path, method=method, **JSON).status_code == 200


def test_output_thumbnails_come_from_the_pipelines_pixels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decoding a generated PNG costs about as much as generating it: the journal never does it on the
    request path's behalf, it shrinks the pixels the pipeline hands over."""
    decoded: list[object] = []
    real_decode = thumbs.decode_image

    def counting_decode(data: bytes) -> Any:
        decoded.append(data)
        return real_decode(data)

    monkeypatch.setattr(thumbs, "decode_image", counting_decode)
    client = app_client()
    assert post_invoke(client, text_body(number=3)).status_code == 200
    [entry] = _entries(client)
    assert [_thumbnail_of(ref).size for ref in entry["response"]["image_data"]] == [(160, 160)] * 3
    assert decoded == []
