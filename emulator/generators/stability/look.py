"""How a Stability prompt looks: the Nova look (`..look`) with Stability's `style_preset` and model traits.

The palette comes from the prompt and negative prompt exactly as for Nova's TEXT_IMAGE (`palette_for`); the
17 presets (docs/CONTRACT.md §S4.0) set how it is drawn. The model sets the amount of detail (Ultra draws the
most, Core the least); SDXL's `cfg_scale` sets contrast as Nova's cfgScale does, and its `steps` the detail.
Like Nova's, the look depends on text and settings only, never on the seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from validator.stability.models import StabilityModel
from validator.stability.types import StabilityRequest, StylePreset

from ..look import Look, palette_for

# Preset -> (shape factor, outline, blur, contrast, gradient sky, grain), on the scale of Nova's style table.
_PRESET_TRAITS: Mapping[StylePreset | None, tuple[float, int, float, float, bool, int]] = MappingProxyType(
    {
        None: (1.0, 0, 0.6, 1.0, True, 6),
        StylePreset.MODEL_3D: (0.8, 0, 2.0, 1.15, True, 3),
        StylePreset.ANALOG_FILM: (1.0, 0, 1.2, 0.85, True, 10),
        StylePreset.ANIME: (0.9, 2, 0.0, 1.2, True, 0),
        StylePreset.CINEMATIC: (1.0, 0, 1.5, 1.3, True, 6),
        StylePreset.COMIC_BOOK: (1.0, 3, 0.0, 1.3, True, 4),
        StylePreset.DIGITAL_ART: (1.1, 0, 0.8, 1.15, True, 4),
        StylePreset.ENHANCE: (1.0, 0, 0.4, 1.1, True, 6),
        StylePreset.FANTASY_ART: (1.3, 0, 1.8, 1.2, True, 5),
        StylePreset.ISOMETRIC: (1.2, 1, 0.0, 1.0, False, 0),
        StylePreset.LINE_ART: (1.2, 2, 0.0, 0.5, False, 2),
        StylePreset.LOW_POLY: (0.9, 1, 0.0, 1.1, False, 0),
        StylePreset.MODELING_COMPOUND: (0.8, 0, 2.5, 1.0, False, 6),
        StylePreset.NEON_PUNK: (1.2, 1, 0.6, 1.5, True, 4),
        StylePreset.ORIGAMI: (1.0, 1, 0.0, 0.9, False, 3),
        StylePreset.PHOTOGRAPHIC: (1.0, 0, 2.5, 1.0, True, 8),
        StylePreset.PIXEL_ART: (0.9, 0, 0.0, 1.1, False, 0),
        StylePreset.TILE_TEXTURE: (2.2, 0, 0.0, 1.0, False, 6),
    }
)
# Detail per generator; the services draw at 1.0.
_MODEL_DETAIL: Mapping[StabilityModel, float] = MappingProxyType(
    {
        StabilityModel.ULTRA: 1.4,
        StabilityModel.ULTRA_V1_0: 1.4,
        StabilityModel.SD35_LARGE: 1.25,
        StabilityModel.SD3_LARGE: 1.15,
        StabilityModel.CORE: 1.0,
        StabilityModel.CORE_V1_0: 1.0,
    }
)
NOVA_DEFAULT_CFG = 6.5  # the contrast of Nova's default look, used for every V2 model (they take no cfg)


def positive_prompt(request: StabilityRequest) -> str:
    """The prompt: `prompt`, or SDXL's text prompts of weight >= 0 joined."""
    if request.sdxl is not None and not request.prompt:
        return " ".join(p.text for p in request.sdxl.text_prompts if p.weight >= 0)
    return request.prompt


def negative_prompt(request: StabilityRequest) -> str | None:
    """The negative prompt: `negative_prompt`, or SDXL's text prompts of negative weight joined."""
    if request.sdxl is not None:
        negative = " ".join(p.text for p in request.sdxl.text_prompts if p.weight < 0)
        return negative or request.negative_prompt
    return request.negative_prompt


def stability_look(request: StabilityRequest, text: str | None = None) -> Look:
    """The look of `text` (default: the prompt) under the request's preset, model and SDXL settings."""
    factor, outline, blur, contrast, sky, grain = _PRESET_TRAITS[request.style_preset]
    detail = _MODEL_DETAIL.get(request.model, 1.0)
    cfg = NOVA_DEFAULT_CFG
    if request.sdxl is not None:
        # SDXL: 30 steps (the default) draws at 1.0; cfg_scale runs 0-35, Nova's formula is tuned for 1-10.
        detail = min(1.6, max(0.7, 0.7 + request.sdxl.steps / 100))
        cfg = min(10.0, max(1.0, request.sdxl.cfg_scale))
    prompt = positive_prompt(request) if text is None else text
    words = max(1, len(prompt.split()))
    shapes = int(round((6 + min(words, 12)) * factor * detail))
    palette = palette_for(prompt, negative_prompt(request))
    return Look(
        palette=contrasted(palette, contrast * (0.7 + 0.06 * cfg)),
        shapes=shapes,
        outline=outline,
        outline_colour=(20.0, 20.0, 28.0),
        blur=blur,
        sky=sky,
        grain=grain,
    )


def contrasted(palette: npt.NDArray[np.float32], amount: float) -> npt.NDArray[np.float32]:
    """The palette spread about its mean by `amount` (1 = unchanged)."""
    mean = palette.mean(axis=0, keepdims=True)
    return np.asarray(np.clip(mean + (palette - mean) * np.float32(amount), 0, 255), dtype=np.float32)


def blend_palettes(
    own: npt.NDArray[np.float32], other: npt.NDArray[np.float32], share: float
) -> npt.NDArray[np.float32]:
    """`own` moved towards `other` by `share` (0..1), colours paired by brightness rank.

    Pairing darkest with darkest keeps the picture's light and shade while its colours change.
    """
    luma = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    mine = np.argsort(own @ luma, kind="stable")
    theirs = np.argsort(other @ luma, kind="stable")
    out = own.copy()
    for rank in range(len(own)):
        target = other[theirs[round(rank * (len(other) - 1) / max(1, len(own) - 1))]]
        out[mine[rank]] = (1 - share) * own[mine[rank]] + share * target
    return out.astype(np.float32)
