"""Model identifier resolution (docs/CONTRACT.md §2.3, D15, D31).

The input is the modelId after percent-decoding (done once, by the caller). Resolution is exact and
case-sensitive; every failure is reported by the caller as `The provided model identifier is invalid.`
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from validator.types import ModelId

_MAX_LENGTH: Final = 2048  # Doc: modelId length 1-2048
#: Canonical id string → ModelId (a dict lookup; calling the enum is several times slower).
SERVED_IDS: Final[Mapping[str, ModelId]] = MappingProxyType({m.value: m for m in ModelId})

# docs/CONTRACT.md D31: geography prefixes of system inference profiles.
_GEOGRAPHIES: Final = ("us", "us-gov", "eu", "apac", "jp", "au", "ca", "global")
_PROFILE: Final = re.compile(r"(?:" + "|".join(re.escape(g) for g in _GEOGRAPHIES) + r")\.(?P<model>.+)")

# arn:<partition>:bedrock:<region>:<account>:<resource-type>/<resource-id>; partition `aws` or `aws-<x>`.
_ARN: Final = re.compile(
    r"arn:aws(?:-[a-z0-9]+)*:bedrock:(?P<region>[a-z0-9-]+):(?P<account>[0-9]*)"
    r":(?P<type>[a-z-]+)/(?P<resource>.+)"
)
_ACCOUNT: Final = re.compile(r"[0-9]{12}")


def resolve_model_id(raw: str, aliases: Mapping[str, str] | None = None) -> ModelId | None:
    """Resolve a decoded modelId (any form of docs/CONTRACT.md §2.3) to a served canonical id, or None when it
    is invalid.

    `aliases` maps application-inference-profile ARNs (or other ARNs, or bare profile ids) to canonical ids;
    a key may be the whole ARN or its resource id.
    """
    if not isinstance(raw, str) or not 1 <= len(raw) <= _MAX_LENGTH:
        return None
    if aliases and raw in aliases:
        return _served(aliases[raw])
    served = SERVED_IDS.get(raw)
    if served is not None:
        return served
    profile = _PROFILE.fullmatch(raw)
    if profile is not None:
        return _served(profile["model"])
    arn = _ARN.fullmatch(raw)
    if arn is None:
        return None
    return _resolve_arn(arn, aliases)


def _resolve_arn(arn: re.Match[str], aliases: Mapping[str, str] | None) -> ModelId | None:
    kind, resource, account = arn["type"], arn["resource"], arn["account"]
    if kind == "foundation-model" and account == "":
        return _served(resource)
    if kind == "inference-profile" and _ACCOUNT.fullmatch(account):
        profile = _PROFILE.fullmatch(resource)
        return _served(profile["model"]) if profile is not None else None
    if aliases and resource in aliases:
        return _served(aliases[resource])
    return None


def _served(candidate: object) -> ModelId | None:
    return SERVED_IDS.get(candidate) if isinstance(candidate, str) else None
