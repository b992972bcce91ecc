"""Helpers for the journal page's tests: an in-memory journal, sample records and a bare app with the page."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from functools import cache

from flask import Flask
from PIL import Image

from emulator import ui
from emulator.ui import JournalFilters, Page, Record

TOKEN = "s3cret"


@cache
def png_b64(
    size: tuple[int, int] = (320, 320), colour: tuple[int, ...] = (40, 120, 200), mode: str = "RGB"
) -> str:
    """A plain one-colour PNG as base64."""
    image = Image.new(mode, size, colour)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


@cache
def half_mask_b64(size: tuple[int, int] = (320, 320)) -> str:
    """Black on the left half, white on the right (CONTRACT.md §6: inpainting edits the black half)."""
    image = Image.new("RGB", size, (0, 0, 0))
    image.paste((255, 255, 255), (size[0] // 2, 0, size[0], size[1]))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


@dataclass
class ListJournal:
    """A `JournalReader` over a list, newest last (as appended)."""

    records: list[Record] = field(default_factory=list)

    def _matching(self, filters: JournalFilters) -> list[Record]:
        def keep(r: Record) -> bool:
            if filters.model and r.model != filters.model or filters.task and r.task != filters.task:
                return False
            return filters.status is None or r.status == filters.status

        return [r for r in reversed(self.records) if keep(r)]

    def page(self, filters: JournalFilters, limit: int, offset: int) -> Page:
        matching = self._matching(filters)
        return Page(tuple(matching[offset : offset + limit]), len(matching))

    def get(self, entry_id: str) -> Record | None:
        return next((r for r in self.records if r.id == entry_id), None)

    def version(self, filters: JournalFilters) -> str:
        return f"{len(self.records)}:{self.records[-1].id if self.records else ''}"


def inpainting_record(entry_id: str = "1", **extra: object) -> Record:
    """A successful INPAINTING call with its image, mask and one output."""
    request = {
        "taskType": "INPAINTING",
        "inPaintingParams": {"image": png_b64(), "maskImage": half_mask_b64(), "text": "a red door"},
        "imageGenerationConfig": {"seed": 7},
    }
    values: dict[str, object] = {
        "id": entry_id,
        "time": 1_780_000_000.0,
        "status": 200,
        "model": "amazon.nova-canvas-v1:0",
        "task": "INPAINTING",
        "latency_ms": 42.0,
        "request": request,
        "response": {"images": [png_b64(colour=(200, 50, 50))]},
    }
    values.update(extra)
    return Record(**values)  # type: ignore[arg-type]


def failing_record(entry_id: str = "2") -> Record:
    """A TEXT_IMAGE call that failed validation (seed out of range)."""
    message = (
        "Malformed input request: #/imageGenerationConfig/seed: 2147483648 is not less or equal to "
        "2147483646, please reformat your input and try again."
    )
    return Record(
        id=entry_id,
        time=1_780_000_001.0,
        status=400,
        model="amazon.nova-canvas-v1:0",
        task="TEXT_IMAGE",
        latency_ms=3.0,
        error_type="ValidationException",
        error_message=message,
        errors=(message,),
        request={"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"}},
        response={"message": message},
    )


def make_app(journal: ListJournal, token: str | None = None) -> Flask:
    """A bare Flask app with only the page installed (no Bedrock routes needed)."""
    app = Flask("ui-test")
    ui.install(app, journal, token=token)
    return app
