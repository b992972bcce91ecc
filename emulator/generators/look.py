"""How a prompt looks: palette, amount of detail and drawing style, derived from the text parameters.

The look depends only on the text, style, quality and cfgScale (not on the seed), so different seeds of one
prompt share a family resemblance, as they do on the real model, while the seed moves the composition.
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from validator.types import Quality, Style

from .seeding import text_rng

# Hue (0..1), saturation, value for colour words a prompt may name. Small on purpose: it only needs to make
# "a red car" come out reddish.
COLOUR_WORDS: Mapping[str, tuple[float, float, float]] = MappingProxyType(
    {
        "red": (0.0, 0.85, 0.85),
        "orange": (0.08, 0.85, 0.95),
        "yellow": (0.15, 0.8, 0.95),
        "gold": (0.12, 0.75, 0.85),
        "green": (0.33, 0.7, 0.7),
        "forest": (0.3, 0.6, 0.45),
        "teal": (0.47, 0.7, 0.6),
        "blue": (0.6, 0.75, 0.85),
        "ocean": (0.56, 0.7, 0.7),
        "sky": (0.55, 0.45, 0.95),
        "purple": (0.77, 0.6, 0.7),
        "violet": (0.75, 0.55, 0.8),
        "pink": (0.92, 0.45, 0.95),
        "brown": (0.07, 0.6, 0.45),
        "sunset": (0.05, 0.75, 0.95),
        "night": (0.65, 0.6, 0.25),
        "snow": (0.58, 0.05, 0.97),
        "white": (0.0, 0.0, 0.96),
        "black": (0.0, 0.0, 0.1),
        "grey": (0.0, 0.0, 0.55),
        "gray": (0.0, 0.0, 0.55),
    }
)


@dataclass(frozen=True, eq=False)
class Look:
    """Drawing parameters for one prompt."""

    palette: npt.NDArray[np.float32]  # k x 3 RGB in 0..255
    shapes: int  # how many shapes to draw
    outline: int  # outline thickness at working resolution, 0 for none
    outline_colour: tuple[float, float, float]
    blur: float  # Gaussian sigma at working resolution, 0 for crisp
    sky: bool  # gradient background (False: paper-flat background)
    grain: int  # amplitude of fine texture at working resolution, 0 for none


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def hsv_to_rgb(h: float, s: float, v: float) -> tuple[float, float, float]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0.0), 1.0), min(max(v, 0.0), 1.0))
    return (r * 255.0, g * 255.0, b * 255.0)


def palette_for(text: str, negative: str | None, count: int = 6) -> npt.NDArray[np.float32]:
    """A palette seeded by the prompt, led by the colours it names, away from colours the negative names."""
    rng = text_rng("palette", text, negative or "")
    named = [COLOUR_WORDS[w] for w in _words(text) if w in COLOUR_WORDS]
    avoided = {COLOUR_WORDS[w][0] for w in _words(negative or "") if w in COLOUR_WORDS}
    # A prompt that names colours is built around the first one; otherwise the prompt picks the hue.
    base = named[0][0] if named and named[0][1] > 0.2 else float(rng.random())
    while any(abs((base - h + 0.5) % 1.0 - 0.5) < 0.12 for h in avoided):
        base = (base + 0.21) % 1.0  # walk around the wheel until clear of every unwanted hue
    colours = [hsv_to_rgb(*hsv) for hsv in named[:count]]
    # An analogous-plus-accent scheme reads as a deliberate palette rather than confetti.
    offsets = (0.0, 0.06, -0.07, 0.5, 0.12, 0.45, -0.15, 0.3)
    for offset in offsets[: count - len(colours)]:
        s = 0.45 + 0.45 * float(rng.random())
        v = 0.45 + 0.5 * float(rng.random())
        colours.append(hsv_to_rgb(base + offset, s, v))
    return np.asarray(colours, dtype=np.float32)


# Style -> (shape factor, outline, blur, contrast, sky, grain). Tuned by eye to make the styles distinct.
_STYLE_TRAITS: Mapping[Style | None, tuple[float, int, float, float, bool, int]] = MappingProxyType(
    {
        None: (1.0, 0, 0.6, 1.0, True, 6),
        Style.ANIMATED_FAMILY_FILM_3D: (0.8, 0, 2.0, 1.15, True, 3),
        Style.DESIGN_SKETCH: (1.2, 2, 0.0, 0.55, False, 4),
        Style.FLAT_VECTOR_ILLUSTRATION: (0.9, 0, 0.0, 1.1, False, 0),
        Style.GRAPHIC_NOVEL_ILLUSTRATION: (1.0, 3, 0.0, 1.3, True, 5),
        Style.MAXIMALISM: (2.2, 1, 0.0, 1.25, True, 6),
        Style.MIDCENTURY_RETRO: (0.9, 0, 0.6, 0.8, False, 8),
        Style.PHOTOREALISM: (1.0, 0, 2.5, 1.0, True, 8),
        Style.SOFT_DIGITAL_PAINTING: (1.0, 0, 3.0, 0.9, True, 3),
    }
)


def look_for(
    text: str,
    negative: str | None = None,
    style: Style | None = None,
    quality: Quality = Quality.STANDARD,
    cfg_scale: float = 6.5,
) -> Look:
    """The look of a prompt. Premium quality draws more detail; a higher cfgScale raises contrast."""
    factor, outline, blur, contrast, sky, grain = _STYLE_TRAITS[style]
    detail = 1.5 if quality is Quality.PREMIUM else 1.0
    words = max(1, len(_words(text)))
    shapes = int(round((6 + min(words, 12)) * factor * detail))
    # cfgScale runs 1.1-10: low values drift towards grey, high values saturate, as on the real model.
    # Contrast is applied to the palette, not the picture, which keeps it free for any picture size.
    palette = palette_for(text, negative)
    mean = palette.mean(axis=0, keepdims=True)
    contrasted = np.clip(mean + (palette - mean) * np.float32(contrast * (0.7 + 0.06 * cfg_scale)), 0, 255)
    return Look(
        palette=contrasted.astype(np.float32),
        shapes=shapes,
        outline=outline,
        outline_colour=(20.0, 20.0, 28.0) if style is not Style.DESIGN_SKETCH else (60.0, 60.0, 70.0),
        blur=blur,
        sky=sky,
        grain=grain,
    )
