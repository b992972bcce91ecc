"""In-process apps (no sockets): the emulator from its factory with an in-memory test double, hooks that
record what the request path asks them, and the journal page alone over an in-memory journal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flask import Flask, Response
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from emulator import ui
from emulator.app import create_app
from emulator.call import Call
from emulator.config import EmulatorConfig
from emulator.hooks import NoHooks
from emulator.state import STATE_KEY
from emulator.ui import JournalFilters, Page, Record
from tests.support.bodies import NOVA, half_mask_png_b64, solid_png_b64
from validator.report import BedrockError
from validator.stability.types import StabilityRequest
from validator.types import InvokeRequest

PAGE_TOKEN = "s3cret"


def app_client(settings: Mapping[str, object] | None = None) -> FlaskClient:
    """A test client for an emulator whose test double keeps its state in memory."""
    values: dict[str, object] = {"access_log": "false", "state_path": ":memory:", **(settings or {})}
    return create_app(EmulatorConfig.from_mapping(values)).test_client()


def post_invoke(client: FlaskClient, body: str | bytes, model: str = NOVA, **headers: str) -> TestResponse:
    """POST InvokeModel; returns the test response."""
    return client.post(f"/model/{model}/invoke", data=body, headers=headers)


# --- hooks -------------------------------------------------------------------------------------------------


class RecordingHooks(NoHooks):
    """Hooks that record every call, and can answer with a preset error or blocked set at any point."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.seen: list[str] = []
        self.calls: list[Call] = []

    def _answer(self, name: str) -> Any:
        self.seen.append(name)
        return self.answers.get(name)

    def lifecycle(self, call: Call) -> BedrockError | None:
        return self._answer("lifecycle")  # type: ignore[no-any-return]

    def before_body(self, call: Call) -> BedrockError | None:
        return self._answer("before_body")  # type: ignore[no-any-return]

    def after_parse(self, call: Call, body: Mapping[str, object]) -> BedrockError | None:
        return self._answer("after_parse")  # type: ignore[no-any-return]

    def moderate_input(self, call: Call, request: InvokeRequest | StabilityRequest) -> BedrockError | None:
        return self._answer("moderate_input")  # type: ignore[no-any-return]

    def blocked_images(self, call: Call, request: InvokeRequest | StabilityRequest) -> frozenset[int]:
        return self._answer("blocked_images") or frozenset()

    def finalize(self, call: Call, response: Response) -> Response:
        self.seen.append("finalize")
        self.calls.append(call)
        return response


def with_hooks(app: Flask, hooks: Any) -> Flask:
    """Swap the test double's hooks for `hooks` on a built app."""
    app.extensions[STATE_KEY] = replace(app.extensions[STATE_KEY], hooks=hooks)
    return app


# --- the journal page alone --------------------------------------------------------------------------------


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
        "inPaintingParams": {
            "image": solid_png_b64(),
            "maskImage": half_mask_png_b64(),
            "text": "a red door",
        },
        "imageGenerationConfig": {"seed": 7},
    }
    values: dict[str, object] = {
        "id": entry_id,
        "time": 1_780_000_000.0,
        "status": 200,
        "model": NOVA,
        "task": "INPAINTING",
        "latency_ms": 42.0,
        "request": request,
        "response": {"images": [solid_png_b64(colour=(200, 50, 50))]},
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
        model=NOVA,
        task="TEXT_IMAGE",
        latency_ms=3.0,
        error_type="ValidationException",
        error_message=message,
        errors=(message,),
        request={"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"}},
        response={"message": message},
    )


def journal_page_app(journal: ListJournal, token: str | None = None) -> Flask:
    """A bare Flask app with only the journal page installed (no Bedrock routes needed)."""
    app = Flask("ui-test")
    ui.install(app, journal, token=token)
    return app
