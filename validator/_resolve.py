"""Model identifier resolution (docs/CONTRACT.md §2.3, D15, D31; Stability AI: §S1.2, §S1.5, D-S3, D-S4).

The input is the modelId after percent-decoding (done once, by the caller). Resolution is exact and
case-sensitive; every failure is reported by the caller as `The provided model identifier is invalid.`

Nova Canvas and Titan resolve from any §2.3 form. The Stability AI models narrow it:

* on-demand models (the generators, SDXL): the bare id or its foundation-model ARN; every `<geo>.` inference
  profile form is invalid (D-S3);
* the Image Services: a `us.` profile id or `us.` inference-profile ARN; other geographies are invalid (D-S4).
  Their bare id and foundation-model ARN resolve too, so that `invocation_error` can answer with Bedrock's
  on-demand text (R8) rather than the invalid-identifier one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from validator.report import BedrockError
from validator.stability.messages import text
from validator.stability.models import STABILITY_ALIASES, STABILITY_MODELS, Invocation, StabilityModel
from validator.types import ModelId, ServedModel

_MAX_LENGTH: Final = 2048  # Doc: modelId length 1-2048
#: Canonical id string → ModelId (a dict lookup; calling the enum is several times slower).
SERVED_IDS: Final[Mapping[str, ModelId]] = MappingProxyType({m.value: m for m in ModelId})
#: Canonical Stability id (and the SDXL 0.8 alias) → StabilityModel (docs/CONTRACT.md §S1.2).
STABILITY_IDS: Final[Mapping[str, StabilityModel]] = MappingProxyType(
    {**{m.value: m for m in StabilityModel}, **STABILITY_ALIASES}
)

# docs/CONTRACT.md D31: geography prefixes of system inference profiles.
_GEOGRAPHIES: Final = ("us", "us-gov", "eu", "apac", "jp", "au", "ca", "global")
_PROFILE: Final = re.compile(r"(?P<geo>" + "|".join(re.escape(g) for g in _GEOGRAPHIES) + r")\.(?P<model>.+)")
# docs/CONTRACT.md D-S4: the only geography whose profiles carry the Stability Image Services.
_STABILITY_GEOGRAPHY: Final = "us"

# arn:<partition>:bedrock:<region>:<account>:<resource-type>/<resource-id>; partition `aws` or `aws-<x>`.
_ARN: Final = re.compile(
    r"arn:aws(?:-[a-z0-9]+)*:bedrock:(?P<region>[a-z0-9-]+):(?P<account>[0-9]*)"
    r":(?P<type>[a-z-]+)/(?P<resource>.+)"
)
_ACCOUNT: Final = re.compile(r"[0-9]{12}")


def resolve_model_id(raw: str, aliases: Mapping[str, str] | None = None) -> ServedModel | None:
    """Resolve a decoded modelId (any form of docs/CONTRACT.md §2.3) to a served canonical id, or None when it
    is invalid.

    `aliases` maps application-inference-profile ARNs (or other ARNs, or bare profile ids) to canonical ids;
    a key may be the whole ARN or its resource id.
    """
    if not isinstance(raw, str) or not 1 <= len(raw) <= _MAX_LENGTH:
        return None
    if aliases and raw in aliases:
        return _served(aliases[raw])
    served = _bare(raw)
    if served is not None:
        return served
    profile = _PROFILE.fullmatch(raw)
    if profile is not None:
        return _profiled(profile)
    arn = _ARN.fullmatch(raw)
    if arn is None:
        return None
    return _resolve_arn(arn, aliases)


def _resolve_arn(arn: re.Match[str], aliases: Mapping[str, str] | None) -> ServedModel | None:
    kind, resource, account = arn["type"], arn["resource"], arn["account"]
    if kind == "foundation-model" and account == "":
        return _bare(resource)
    if kind == "inference-profile" and _ACCOUNT.fullmatch(account):
        profile = _PROFILE.fullmatch(resource)
        return _profiled(profile) if profile is not None else None
    if aliases and resource in aliases:
        return _served(aliases[resource])
    return None


def _bare(candidate: str) -> ServedModel | None:
    """A bare id (or a foundation-model ARN's resource): every served model, profile-only ones included."""
    return SERVED_IDS.get(candidate) or STABILITY_IDS.get(candidate)


def _profiled(profile: re.Match[str]) -> ServedModel | None:
    """A system inference profile `<geo>.<id>`: Nova/Titan in every geography; Stability Image Services in
    `us.` only (D-S4); no Stability on-demand model at all (D-S3)."""
    nova = SERVED_IDS.get(profile["model"])
    if nova is not None:
        return nova
    stability = STABILITY_IDS.get(profile["model"])
    if stability is None or profile["geo"] != _STABILITY_GEOGRAPHY:
        return None
    return stability if STABILITY_MODELS[stability].invocation is Invocation.PROFILE_ONLY else None


def _served(candidate: object) -> ServedModel | None:
    return _bare(candidate) if isinstance(candidate, str) else None


def invocation_error(raw: str, model: ServedModel) -> BedrockError | None:
    """Bedrock's answer to invoking a profile-only model on demand (docs/CONTRACT.md §S1.5, R8), or None.

    `raw` is the decoded modelId that resolved to `model`: R8 applies when it is the model's bare id or its
    foundation-model ARN and the model is reachable only through an inference profile.
    """
    if not isinstance(model, StabilityModel) or STABILITY_MODELS[model].invocation is Invocation.ON_DEMAND:
        return None
    if raw != model.value:
        arn = _ARN.fullmatch(raw) if isinstance(raw, str) else None
        if (
            arn is None
            or arn["type"] != "foundation-model"
            or arn["account"]
            or arn["resource"] != model.value
        ):
            return None
    return BedrockError("ValidationException", 400, text("R8", model_id=model.value))
