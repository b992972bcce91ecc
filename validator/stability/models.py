"""The Stability AI model ids and what each one is (docs/CONTRACT.md §S1).

One row per canonical id: the family of its body, what it does, how it may be invoked (a bare id, or only
through a `us.` inference profile), whether it is still served, and the container's name for it in the
unknown-field message (§S6.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class StabilityModel(StrEnum):
    """Canonical ids of the Stability AI models (docs/CONTRACT.md §S1.2)."""

    SD35_LARGE = "stability.sd3-5-large-v1:0"
    ULTRA = "stability.stable-image-ultra-v1:1"
    CORE = "stability.stable-image-core-v1:1"
    # Historic: retired or past end of life (docs/CONTRACT.md §S1.3, D-S1)
    ULTRA_V1_0 = "stability.stable-image-ultra-v1:0"
    CORE_V1_0 = "stability.stable-image-core-v1:0"
    SD3_LARGE = "stability.sd3-large-v1:0"
    SDXL = "stability.stable-diffusion-xl-v1"
    SDXL_V0 = "stability.stable-diffusion-xl-v0"
    # The thirteen Image Services (reachable only through `us.` inference profiles)
    INPAINT = "stability.stable-image-inpaint-v1:0"
    OUTPAINT = "stability.stable-outpaint-v1:0"
    ERASE = "stability.stable-image-erase-object-v1:0"
    REMOVE_BACKGROUND = "stability.stable-image-remove-background-v1:0"
    SEARCH_REPLACE = "stability.stable-image-search-replace-v1:0"
    SEARCH_RECOLOR = "stability.stable-image-search-recolor-v1:0"
    STYLE_GUIDE = "stability.stable-image-style-guide-v1:0"
    STYLE_TRANSFER = "stability.stable-style-transfer-v1:0"
    CONTROL_SKETCH = "stability.stable-image-control-sketch-v1:0"
    CONTROL_STRUCTURE = "stability.stable-image-control-structure-v1:0"
    CREATIVE_UPSCALE = "stability.stable-creative-upscale-v1:0"
    CONSERVATIVE_UPSCALE = "stability.stable-conservative-upscale-v1:0"
    FAST_UPSCALE = "stability.stable-fast-upscale-v1:0"


class Family(StrEnum):
    """The body and response family (docs/CONTRACT.md §S1.1)."""

    V2 = "v2"  # flat snake_case body; {"seeds", "finish_reasons", "images"}
    V1 = "v1"  # SDXL: text_prompts; {"result", "artifacts"}


class Invocation(StrEnum):
    """How a model id may be invoked (docs/CONTRACT.md §S1.2, D-S3, D-S4)."""

    ON_DEMAND = "on-demand"  # the bare id or its foundation-model ARN; no inference profile
    PROFILE_ONLY = "profile-only"  # only a `us.` inference profile (or its ARN)


class Operation(StrEnum):
    """What a request asks the model to do; one per service, two per image-to-image capable generator."""

    TEXT_TO_IMAGE = "text-to-image"
    IMAGE_TO_IMAGE = "image-to-image"
    INPAINT = "inpaint"
    OUTPAINT = "outpaint"
    ERASE = "erase"
    REMOVE_BACKGROUND = "remove-background"
    SEARCH_REPLACE = "search-and-replace"
    SEARCH_RECOLOR = "search-and-recolor"
    STYLE_GUIDE = "style-guide"
    STYLE_TRANSFER = "style-transfer"
    CONTROL_SKETCH = "control-sketch"
    CONTROL_STRUCTURE = "control-structure"
    CREATIVE_UPSCALE = "creative-upscale"
    CONSERVATIVE_UPSCALE = "conservative-upscale"
    FAST_UPSCALE = "fast-upscale"


@dataclass(frozen=True)
class StabilityModelInfo:
    """One row of docs/CONTRACT.md §S1.2."""

    model: StabilityModel
    name: str  # AWS's model name
    family: Family
    invocation: Invocation
    historic: bool  # retired or end of life: served only with historic models switched on (D-S1)
    always_eol: bool  # answered end-of-life whatever the settings (SDXL 0.8)
    operations: tuple[Operation, ...]  # the first is what a body without an image asks for


_GEN = (Operation.TEXT_TO_IMAGE, Operation.IMAGE_TO_IMAGE)
_T2I = (Operation.TEXT_TO_IMAGE,)
_ACTIVE_SERVICES: Final = {
    StabilityModel.INPAINT: ("Stable Image Inpaint", Operation.INPAINT),
    StabilityModel.OUTPAINT: ("Stable Image Outpaint", Operation.OUTPAINT),
    StabilityModel.ERASE: ("Stable Image Erase Object", Operation.ERASE),
    StabilityModel.REMOVE_BACKGROUND: ("Stable Image Remove Background", Operation.REMOVE_BACKGROUND),
    StabilityModel.SEARCH_REPLACE: ("Stable Image Search and Replace", Operation.SEARCH_REPLACE),
    StabilityModel.SEARCH_RECOLOR: ("Stable Image Search and Recolor", Operation.SEARCH_RECOLOR),
    StabilityModel.STYLE_GUIDE: ("Stable Image Style Guide", Operation.STYLE_GUIDE),
    StabilityModel.STYLE_TRANSFER: ("Stable Image Style Transfer", Operation.STYLE_TRANSFER),
    StabilityModel.CONTROL_SKETCH: ("Stable Image Control Sketch", Operation.CONTROL_SKETCH),
    StabilityModel.CONTROL_STRUCTURE: ("Stable Image Control Structure", Operation.CONTROL_STRUCTURE),
    StabilityModel.CREATIVE_UPSCALE: ("Stable Image Creative Upscale", Operation.CREATIVE_UPSCALE),
    StabilityModel.CONSERVATIVE_UPSCALE: (
        "Stable Image Conservative Upscale",
        Operation.CONSERVATIVE_UPSCALE,
    ),
    StabilityModel.FAST_UPSCALE: ("Stable Image Fast Upscale", Operation.FAST_UPSCALE),
}


def _generator(
    model: StabilityModel, name: str, ops: tuple[Operation, ...], historic: bool
) -> StabilityModelInfo:
    return StabilityModelInfo(model, name, Family.V2, Invocation.ON_DEMAND, historic, False, ops)


STABILITY_MODELS: Final[Mapping[StabilityModel, StabilityModelInfo]] = MappingProxyType(
    {
        info.model: info
        for info in (
            _generator(StabilityModel.SD35_LARGE, "Stable Diffusion 3.5 Large", _GEN, False),
            _generator(StabilityModel.ULTRA, "Stable Image Ultra 1.0", _GEN, False),
            _generator(StabilityModel.CORE, "Stable Image Core 1.0", _T2I, False),
            _generator(StabilityModel.ULTRA_V1_0, "Stable Image Ultra 1.0", _GEN, True),
            _generator(StabilityModel.CORE_V1_0, "Stable Image Core 1.0", _T2I, True),
            _generator(StabilityModel.SD3_LARGE, "SD3 Large 1.0", _GEN, True),
            StabilityModelInfo(
                StabilityModel.SDXL, "SDXL 1.0", Family.V1, Invocation.ON_DEMAND, True, False, _GEN
            ),
            StabilityModelInfo(
                StabilityModel.SDXL_V0, "SDXL 0.8", Family.V1, Invocation.ON_DEMAND, True, True, _GEN
            ),
            *(
                StabilityModelInfo(model, name, Family.V2, Invocation.PROFILE_ONLY, False, False, (op,))
                for model, (name, op) in _ACTIVE_SERVICES.items()
            ),
        )
    }
)

#: Ids that name SDXL 0.8 too (docs/CONTRACT.md §S1.2).
STABILITY_ALIASES: Final[Mapping[str, StabilityModel]] = MappingProxyType(
    {"stability.stable-diffusion-xl": StabilityModel.SDXL_V0}
)
