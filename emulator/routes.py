"""Routing: which Bedrock Runtime operation a request names (docs/CONTRACT.md §2.2), and the Flask routes
outside the test double (the health check, and Bedrock's unknown operation for anything Flask cannot route).

Bedrock requests never reach Flask: `emulator.front` routes them on the raw path with `parse_route` and runs
`emulator.pipeline`. Every path outside `/_emulator/` is a Bedrock path, whatever the method.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import unquote

from flask import Blueprint, Response, request
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from emulator.errors import UnknownOperationException
from emulator.state import current_state
from validator.stability.models import STABILITY_MODELS
from validator.types import ModelId

bp = Blueprint("bedrock_runtime", __name__)

OPERATIONS = ("invoke", "invoke-with-response-stream", "converse", "converse-stream")
CONTROL_PREFIX = "/_emulator/"


@dataclass(frozen=True)
class Route:
    """The operation named by the last path segment and the modelId before it, percent-decoded once."""

    operation: str | None
    model_id: str | None


def parse_route(method: str, path: str, encoded: bool) -> Route:
    """POST `/model/{modelId}/{operation}`: the modelId is greedy (it may hold `/`), no trailing slash, the
    query string is ignored. Anything else is no route (Bedrock's unknown operation).

    An empty modelId (`/model//invoke`) is routed; resolution then rejects it (length 1-2048).
    """
    if method != "POST" or not path.startswith("/model/"):
        return Route(None, None)
    model_part, sep, operation = path[len("/model/") :].rpartition("/")
    if not sep or operation not in OPERATIONS:
        return Route(None, None)
    return Route(operation, unquote(model_part, errors="replace") if encoded else model_part)


@bp.before_app_request
def refuse_unrouted() -> None:
    """Control-side requests werkzeug's rules cannot take (an unlisted method: TRACE, PROPFIND, any token;
    a path its converters refuse; a path werkzeug would redirect to a canonical form, such as a doubled
    slash) are Bedrock's unknown operation, not werkzeug's HTML 404/405 or a redirect."""
    if isinstance(request.routing_exception, (NotFound, MethodNotAllowed, RequestRedirect)):
        raise UnknownOperationException()


def served_models(historic_models: bool) -> list[str]:
    """The canonical ids answered (not refused as retired): Nova, Titan, the active Stability AI models, and
    the historic ones when the settings serve them (docs/CONTRACT.md §S1.3, D-S1)."""
    stability = [
        info.model.value
        for info in STABILITY_MODELS.values()
        if not info.always_eol and (historic_models or not info.historic)
    ]
    return [m.value for m in ModelId] + stability


@bp.route("/_emulator/health", methods=["GET"])
def health() -> Response:
    """Liveness and identity: the version and the models served."""
    st = current_state()
    body = {
        "status": "ok",
        "version": st.version,
        "models": served_models(st.config.historic_models),
        "aliases": dict(st.config.model_aliases),
    }
    return Response(json.dumps(body, separators=(",", ":")), content_type="application/json")
