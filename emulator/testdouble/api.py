"""The control API under `/_emulator/` (docs/CONTROL_API.md): journal, rules, filters, lifecycle, reset.

JSON in and out; errors are `{"message": ...}` with 400 (bad input), 401 (missing or wrong bearer token, when
one is configured), 404 (no such rule or entry), 403/415 from `emulator.testdouble.guard` (another site's
request), or 503 when the state store cannot be read or written. Every write is one SQLite transaction, so
an error means nothing changed. `GET /_emulator/health` belongs to the server (`emulator.routes`), not
to the test double, and is never behind the token.
"""

from __future__ import annotations

import hmac
import json
import logging
import sqlite3
from collections.abc import Mapping

from flask import Blueprint, Response, current_app, request

from emulator.testdouble.config import MEMORY, TestDoubleConfig
from emulator.testdouble.filters import filters_from_json
from emulator.testdouble.lifecycle import full_view, parse_lifecycle
from emulator.testdouble.rules import Rule, RuleError, parse_rule
from emulator.testdouble.store import INT_MAX, JOURNAL_FILTERS, JournalQuery, Store

logger = logging.getLogger("nova_canvas_emulator")

EXTENSION = "nova_canvas_emulator.testdouble"
STORE_FAILED = "The emulator's state store could not be used ({reason}); nothing was changed."
PREFIX = "/_emulator"
MAX_PAGE = 1000

bp = Blueprint("testdouble_control", __name__, url_prefix=PREFIX)


class ApiError(Exception):
    """A control-API error: HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data, separators=(",", ":")), status=status, content_type="application/json")


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    response = _json({"message": error.message}, error.status)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="nova-canvas-emulator"'
    return response


@bp.errorhandler(sqlite3.Error)
def _store_error(error: sqlite3.Error) -> Response:
    """The state file is gone, unwritable or locked past the busy timeout: the transaction rolled back."""
    logger.warning("control API: state store error: %s", error)
    return _json({"message": STORE_FAILED.format(reason=error)}, 503)


def _store() -> Store:
    store: Store = current_app.extensions[EXTENSION]["store"]
    return store


def _config() -> TestDoubleConfig:
    config: TestDoubleConfig = current_app.extensions[EXTENSION]["config"]
    return config


@bp.before_request
def _check_token() -> None:
    """With `control_token` set, every control endpoint needs `Authorization: Bearer <token>`."""
    token = _config().control_token
    if token is None:
        return
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
        raise ApiError(401, "The control API needs Authorization: Bearer <control token>.")


def _body() -> object:
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "The request body must be JSON.")
    return data


# --- journal -----------------------------------------------------------------------------------------------


@bp.get("/journal")
def get_journal() -> Response:
    """Journal entries, filtered (`model`, `task`, `status`, ...), paged (`since_id`, `limit`, `offset`)."""
    args = request.args
    filters: dict[str, object] = {name: args[name] for name in JOURNAL_FILTERS if name in args}
    if "status" in filters:
        filters["status"] = _int_arg("status", 0)
    order = args.get("order", "asc")
    if order not in ("asc", "desc"):
        raise ApiError(400, "order must be asc or desc.")
    query = JournalQuery(
        filters=filters,
        since_id=_int_arg("since_id", 0) if "since_id" in args else None,
        limit=min(_int_arg("limit", 1, default=100, maximum=None), MAX_PAGE),
        offset=_int_arg("offset", 0, default=0),
        descending=order == "desc",
    )
    page = _store().journal_text(query)
    returned = len(page.entries)
    more = query.offset + returned < page.total
    head = f'{{"total":{page.total},"returned":{returned},"more":{"true" if more else "false"},'
    head += f'"size_limited":{"true" if page.size_limited else "false"},"entries":['
    # The stored texts are sent as they are: no parse, no second serialisation, one page in memory.
    body = head + ",".join(page.entries) + "]}"
    return Response(body, status=200, content_type="application/json")


def _int_arg(name: str, minimum: int, default: int | None = None, maximum: int | None = INT_MAX) -> int:
    raw = request.args.get(name)
    if raw is None and default is not None:
        return default
    try:
        value = int(str(raw))
    except ValueError:
        raise ApiError(400, f"{name} must be an integer.") from None
    if value < minimum:
        raise ApiError(400, f"{name} must be at least {minimum}.")
    if maximum is not None and value > maximum:  # by default: the journal is SQLite, its integers are 64-bit
        raise ApiError(400, f"{name} must be at most {maximum}.")
    return value


@bp.get("/journal/<int:entry_id>")
def get_journal_entry(entry_id: int) -> Response:
    """One journal entry."""
    entry = _store().journal_entry(entry_id)
    if entry is None:
        raise ApiError(404, f"No journal entry {entry_id}.")
    return _json(entry)


@bp.delete("/journal")
def delete_journal() -> Response:
    """Empty the journal."""
    return _json({"deleted": _store().clear_journal()})


# --- rules -------------------------------------------------------------------------------------------------


def _rule_view(rule: Rule, counters: Mapping[int, tuple[int, int]]) -> dict[str, object]:
    matched, fired = counters.get(rule.id or 0, (0, 0))
    return {**rule.to_json(), "matched": matched, "fired": fired}


@bp.get("/rules")
def get_rules() -> Response:
    """Every rule, in evaluation order, with how often it matched and fired."""
    counters = _store().rule_counters()
    return _json({"rules": [_rule_view(rule, counters) for rule in _store().snapshot().rules]})


@bp.post("/rules")
def post_rules() -> Response:
    """Add one rule (an object) or several (a list); 201 with the stored rule(s) and their ids."""
    data = _body()
    items = data if isinstance(data, list) else [data]
    try:
        parsed = [parse_rule(item, rule_id=None) for item in items]
    except RuleError as exc:
        raise ApiError(400, f"Invalid rule: {exc}") from None
    stored = [_store().add_rule(rule).to_json() for rule in parsed]
    return _json({"rules": stored} if isinstance(data, list) else stored[0], 201)


@bp.get("/rules/<int:rule_id>")
def get_rule(rule_id: int) -> Response:
    """One rule with its counters."""
    for rule in _store().snapshot().rules:
        if rule.id == rule_id:
            return _json(_rule_view(rule, _store().rule_counters()))
    raise ApiError(404, f"No rule {rule_id}.")


@bp.delete("/rules/<int:rule_id>")
def delete_rule(rule_id: int) -> Response:
    """Remove one rule."""
    if not _store().delete_rule(rule_id):
        raise ApiError(404, f"No rule {rule_id}.")
    return _json({"deleted": 1})


@bp.delete("/rules")
def delete_rules() -> Response:
    """Remove every rule (the configured start rules come back with reset)."""
    return _json({"deleted": _store().clear_rules()})


# --- filters, lifecycle, reset, config ---------------------------------------------------------------------


@bp.get("/filters")
def get_filters() -> Response:
    """The content-filter settings in force."""
    return _json(_store().snapshot().filters.to_json())


@bp.put("/filters")
def put_filters() -> Response:
    """Replace the content-filter settings (keys left out are off)."""
    data = _body()
    if not isinstance(data, Mapping):
        raise ApiError(400, "The filter settings must be a JSON object.")
    try:
        filters = filters_from_json(data)
    except (ValueError, TypeError) as exc:
        raise ApiError(400, f"Invalid filter settings: {exc}") from None
    _store().set_filters(filters)
    return _json(filters.to_json())


@bp.get("/lifecycle")
def get_lifecycle() -> Response:
    """Every served model with its lifecycle state."""
    return _json(full_view(_store().snapshot().lifecycle))


@bp.put("/lifecycle")
def put_lifecycle() -> Response:
    """Replace the lifecycle map: `{model id: active|legacy|eol}`; models left out are active."""
    lifecycle = _parse_lifecycle(_body())
    _store().set_lifecycle(lifecycle)
    return _json(full_view(lifecycle))


@bp.put("/lifecycle/<path:model>")
def put_model_lifecycle(model: str) -> Response:
    """Set one model's state: body `{"state": "legacy"}`."""
    data = _body()
    state = data.get("state") if isinstance(data, Mapping) else None
    current = dict(_store().snapshot().lifecycle)
    current[model] = str(state)
    lifecycle = _parse_lifecycle(current)
    _store().set_lifecycle(lifecycle)
    return _json(full_view(lifecycle))


def _parse_lifecycle(data: object) -> dict[str, str]:
    try:
        return parse_lifecycle(data)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None


@bp.post("/reset")
def post_reset() -> Response:
    """Back to the start state: configured rules, filters and lifecycle; counters and journal emptied."""
    _store().reset()
    return _json({"reset": True})


@bp.get("/config")
def get_config() -> Response:
    """The test double's settings (the token itself is never shown)."""
    config = _config()
    return _json(
        {
            "storage": "memory" if config.state_path == MEMORY else "sqlite",
            "state_path": config.state_path,
            "journal_image_cap": config.journal_image_cap,
            "journal_limit": config.journal_limit,
            "control_token_required": config.control_token is not None,
            "seed": config.seed,
            "start_state": json.loads(config.start_state_json()),
        }
    )
