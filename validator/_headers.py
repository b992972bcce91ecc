"""Content-Type and Accept checks (docs/CONTRACT.md §2.5.1, §2.5.2; D16, D20, D34).

Header names are case-insensitive. Content-Type: absent or bare `application/json` (any case, no parameters)
is JSON; `application/octet-stream` is accepted with warning W-CT-OCTET unless the strict setting is on;
anything else is rejected. Accept: absent, or any media range `application/json` or `*/*` not weighted
`q=0`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from validator._render import warning
from validator.messages import INVALID_ACCEPT, INVALID_CONTENT_TYPE
from validator.report import BedrockError, ContractWarning

_JSON: Final = "application/json"
_OCTET: Final = "application/octet-stream"
_ACCEPTABLE: Final = frozenset({_JSON, "*/*"})
_OWS: Final = " \t"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive lookup; None when absent."""
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name:
            return value if isinstance(value, str) else str(value)
    return None


def check_headers(
    headers: Mapping[str, str], *, strict_content_type: bool = False
) -> tuple[BedrockError | None, tuple[ContractWarning, ...]]:
    """Check Content-Type then Accept (docs/CONTRACT.md §2.4 steps 7-8). Returns the first error, and any
    warnings."""
    warnings: tuple[ContractWarning, ...] = ()
    content_type = _header(headers, "content-type")
    if content_type is not None:
        media = content_type.strip(_OWS).lower()
        if media == _OCTET and not strict_content_type:
            warnings = (ContractWarning("W-CT-OCTET", "Content-Type", warning("W-CT-OCTET")),)
        elif media != _JSON:
            return _validation(INVALID_CONTENT_TYPE), ()
    accept = _header(headers, "accept")
    if accept is not None and not _accepts_json(accept):
        return _validation(INVALID_ACCEPT), warnings
    return None, warnings


def _accepts_json(accept: str) -> bool:
    for media_range in accept.split(","):
        media, *params = (part.strip(_OWS) for part in media_range.split(";"))
        if media.lower() in _ACCEPTABLE and not any(_is_q_zero(p) for p in params):
            return True
    return False


def _is_q_zero(param: str) -> bool:
    name, _, value = param.partition("=")
    if name.strip(_OWS).lower() != "q":
        return False
    try:
        return float(value.strip(_OWS)) == 0.0
    except ValueError:
        return False


def _validation(message: str) -> BedrockError:
    return BedrockError(exception="ValidationException", status=400, message=message)
