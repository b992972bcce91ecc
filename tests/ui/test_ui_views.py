"""The journal page's blueprint through Flask's test client: page, list, detail, thumbnails, token, paging."""

from __future__ import annotations

import io

from PIL import Image

from tests.support.apps import PAGE_TOKEN, ListJournal, failing_record, inpainting_record, journal_page_app


def test_page_shell_and_assets_are_served_without_a_token() -> None:
    client = journal_page_app(ListJournal(), PAGE_TOKEN).test_client()
    page = client.get("/_emulator/ui")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert b'src="/_emulator/ui/static/ui.js"' in page.data
    assert client.get("/_emulator/ui/").status_code == 200
    for asset in ("ui.js", "ui.css"):
        response = client.get(f"/_emulator/ui/static/{asset}")
        response.close()
        assert response.status_code == 200


def test_data_needs_the_token_when_the_control_api_has_one() -> None:
    client = journal_page_app(ListJournal([inpainting_record()]), PAGE_TOKEN).test_client()
    denied = client.get("/_emulator/ui/api/entries")
    assert denied.status_code == 401
    assert "token" in denied.get_json()["message"]
    assert client.get("/_emulator/ui/thumb/1/input/0.png").status_code == 401
    allowed = client.get("/_emulator/ui/api/entries", headers={"Authorization": f"Bearer {PAGE_TOKEN}"})
    assert allowed.status_code == 200
    assert allowed.get_json()["total"] == 1


def test_list_is_newest_first_with_errors_and_thumbnail_urls(client) -> None:
    body = client.get("/_emulator/ui/api/entries").json
    assert body["total"] == 2
    first, second = body["entries"]
    assert first["status"] == 400
    assert first["error"]["type"] == "ValidationException"
    assert first["error"]["message"].startswith("Malformed input request: #/imageGenerationConfig/seed")
    assert second["task"] == "INPAINTING"
    assert [t["label"] for t in second["thumbs"]["input"]] == ["inPaintingParams.image"]
    assert [t["label"] for t in second["thumbs"]["mask"]] == ["inPaintingParams.maskImage"]
    assert [t["label"] for t in second["thumbs"]["output"]] == ["images[0]"]
    assert second["thumbs"]["output"][0]["url"].startswith("/_emulator/ui/thumb/1/output/0.png?v=")
    assert "request" not in second  # bodies only in the detail view


def test_filters_by_status_model_and_task(client) -> None:
    def ids(query: str) -> list[str]:
        return [e["id"] for e in client.get(f"/_emulator/ui/api/entries?{query}").get_json()["entries"]]

    assert ids("status=200") == ["1"]
    assert ids("status=400") == ["2"]
    assert ids("task=INPAINTING") == ["1"]
    assert ids("model=amazon.titan-image-generator-v1") == []
    assert client.get("/_emulator/ui/api/entries?status=bogus").status_code == 400
    assert client.get("/_emulator/ui/api/entries?limit=x").status_code == 400


def test_detail_has_request_and_response_json_with_images_elided(client) -> None:
    body = client.get("/_emulator/ui/api/entries/1").json
    params = body["request"]["inPaintingParams"]
    assert params["text"] == "a red door"
    assert params["image"].startswith("<image: ") and params["image"].endswith(" base64 chars>")
    assert body["response"]["images"][0].startswith("<image: ")
    assert client.get("/_emulator/ui/api/entries/nope").status_code == 404


def test_thumbnails_are_small_pngs_cached_by_etag(client) -> None:
    url = client.get("/_emulator/ui/api/entries").get_json()["entries"][1]["thumbs"]["input"][0]["url"]
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "image/png"
    assert "immutable" in first.headers["Cache-Control"]
    assert max(Image.open(io.BytesIO(first.data)).size) <= 160
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    missing = client.get("/_emulator/ui/thumb/1/output/5.png")
    assert missing.status_code == 404
    assert missing.json == {"message": "entry 1 has no output image 5"}
    assert client.get("/_emulator/ui/thumb/1/other/0.png").status_code == 404


def _rgb(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    pixel = image.getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel


def test_inpainting_mask_is_red_where_black_means_edited(client) -> None:
    png = client.get("/_emulator/ui/thumb/1/mask/0.png").data
    image = Image.open(io.BytesIO(png)).convert("RGB")
    left, right = _rgb(image, (10, 80)), _rgb(image, (150, 80))
    assert left[0] > 120 and left[0] > left[2]  # black half (edited): reddened
    assert right == (40, 120, 200)  # white half (kept): the image as it was


def test_outpainting_mask_is_red_where_white_means_edited() -> None:
    record = inpainting_record(task="OUTPAINTING")
    params = record.request["inPaintingParams"]  # type: ignore[index]
    request = {"taskType": "OUTPAINTING", "outPaintingParams": params}
    client = journal_page_app(ListJournal([inpainting_record(request=request)])).test_client()
    image = Image.open(io.BytesIO(client.get("/_emulator/ui/thumb/1/mask/0.png").data)).convert("RGB")
    assert image.getpixel((10, 80)) == (40, 120, 200)
    right = _rgb(image, (150, 80))
    assert right[0] > 120 and right[0] > right[2]


def test_images_over_the_cap_have_no_thumbnail_url() -> None:
    record = inpainting_record(response={"images": ["<elided: 5000000 bytes>"]})
    client = journal_page_app(ListJournal([record])).test_client()
    output = client.get("/_emulator/ui/api/entries").get_json()["entries"][0]["thumbs"]["output"]
    assert output == [{"label": "images[0]", "url": None}]


def test_list_answers_304_until_the_journal_changes(journal: ListJournal) -> None:
    client = journal_page_app(journal).test_client()
    first = client.get("/_emulator/ui/api/entries")
    etag = first.headers["ETag"]
    assert client.get("/_emulator/ui/api/entries", headers={"If-None-Match": etag}).status_code == 304
    journal.records.append(failing_record("3"))
    assert client.get("/_emulator/ui/api/entries", headers={"If-None-Match": etag}).status_code == 200


def test_first_page_of_thousands_stays_small() -> None:
    records = [inpainting_record(str(i)) if i % 2 else failing_record(str(i)) for i in range(3000)]
    journal = ListJournal(records)
    client = journal_page_app(journal).test_client()
    response = client.get("/_emulator/ui/api/entries")
    assert response.get_json()["total"] == 3000
    assert len(response.get_json()["entries"]) == 50
    assert len(response.data) < 64_000  # no images in the list: thumbnails are separate, lazy requests
    assert len(client.get("/_emulator/ui/api/entries?limit=100000").get_json()["entries"]) == 200
    last = client.get("/_emulator/ui/api/entries?offset=2990").get_json()
    assert [e["id"] for e in last["entries"]] == [str(i) for i in range(9, -1, -1)]


def test_the_journal_references_become_short_markers() -> None:
    ref = {"$image": {"sha256": "ab" * 32, "length": 90000, "elided": True}}
    text = {"$text": {"sha256": "cd" * 32, "length": 70000, "preview": "a very long prompt " * 30}}
    request = {"taskType": "INPAINTING", "inPaintingParams": {"image": ref, "text": text}}
    client = journal_page_app(ListJournal([inpainting_record(request=request)])).test_client()
    params = client.get("/_emulator/ui/api/entries/1").get_json()["request"]["inPaintingParams"]
    assert (
        params["image"]
        == "<image: 90000 base64 chars, sha256 abababababab…, not kept whole: over the journal's cap, "
        "no thumbnail>"
    )
    assert params["text"].startswith(
        "<string: 70000 chars, not kept: over the journal's cap, starts \"a very long"
    )
    row = client.get("/_emulator/ui/api/entries").get_json()["entries"][0]
    assert row["thumbs"]["input"] == [{"label": "inPaintingParams.image", "url": None}]


def test_long_prompts_are_not_mistaken_for_images() -> None:
    prompt = "a lighthouse at dusk with waves crashing on the rocks and seagulls flying overhead"
    request = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": prompt}}
    journal = ListJournal([inpainting_record(request=request, task="TEXT_IMAGE")])
    client = journal_page_app(journal).test_client()
    entry = client.get("/_emulator/ui/api/entries/1").get_json()
    assert entry["request"]["textToImageParams"]["text"] == prompt
