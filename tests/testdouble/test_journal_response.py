"""The journal's response view comes from the body the pipeline produced, without re-parsing it."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from typing import Any

import pytest
from PIL import Image

from emulator import pipeline
from emulator.generators import GeneratedImages
from emulator.testdouble.journal_entry import THUMB_SIDE, ResponseSummaries
from tests.support.apps import app_client, post_invoke
from tests.support.bodies import NOVA, text_body
from validator import validate_body
from validator.types import ModelId


def _request(number: int) -> Any:
    report = validate_body(text_body(number=number).encode(), ModelId(NOVA))
    assert report.request is not None
    return report.request


@pytest.mark.parametrize("blocked", [frozenset(), frozenset({1}), frozenset({0, 1, 2})])
@pytest.mark.parametrize("mask", [None, b"m" * 700])
def test_spans_give_the_same_view_as_parsing(
    monkeypatch: pytest.MonkeyPatch, blocked: frozenset[int], mask: bytes | None
) -> None:
    pngs = (b"\x89PNG" + b"a" * 300, b"\x89PNG" + b"b" * 40, b"\x89PNG" + b"c" * 2000)
    kept = tuple(png for index, png in enumerate(pngs) if index not in blocked)
    monkeypatch.setattr(pipeline, "generate", lambda req, skip, caption: GeneratedImages(kept, mask))
    success = pipeline.render_success(_request(3), blocked, caption=True)
    data = json.loads(success.body)
    assert [bytes(view).decode() for view in success.image_views()] == data["images"]
    assert (success.mask_view() is None) == (mask is None) == ("maskImage" not in data)
    if mask is not None:
        assert bytes(success.mask_view() or b"").decode() == data["maskImage"]
    for cap in (0, 100, 1000, 10**9):  # every image elided, some kept, all kept
        summaries = ResponseSummaries(cap)
        assert summaries.summary(success) == summaries.parse(success.body) == summaries.summary(success)


def test_digests_are_computed_once_per_body(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        pipeline, "generate", lambda req, skip, caption: GeneratedImages((b"x" * 99, b"y"), b"z")
    )
    success = pipeline.render_success(_request(2), frozenset(), caption=True)
    hashed: list[int] = []
    sha256 = hashlib.sha256

    def counting_sha256(data: Any) -> Any:
        hashed.append(len(data))
        return sha256(data)

    monkeypatch.setattr(hashlib, "sha256", counting_sha256)  # the module journal_entry uses
    summaries = ResponseSummaries(10)
    first = summaries.summary(success)
    assert summaries.summary(success) == first
    assert len(hashed) == 3  # two images and the mask, hashed for the first request only


def test_cache_hits_journal_the_same_response_view() -> None:
    client = app_client({"journal_image_cap": "100"})
    bodies = [post_invoke(client, text_body()).data for _ in range(2)]
    assert bodies[0] == bodies[1]
    first, second = client.get("/_emulator/journal").get_json()["entries"]
    assert (first["cache_hit"], second["cache_hit"]) == (False, True)
    assert first["response"] == second["response"]
    [image] = json.loads(bodies[0])["images"]
    [journaled] = first["response"]["image_data"]
    thumbnail = journaled["$image"].pop("thumbnail")
    ref = {"sha256": hashlib.sha256(image.encode()).hexdigest(), "length": len(image), "elided": True}
    assert journaled == {"$image": ref}
    with Image.open(io.BytesIO(base64.b64decode(thumbnail))) as small:
        assert (small.format, max(small.size)) == ("JPEG", THUMB_SIDE)
