"""Deterministic placeholder images for every task type (docs/CONTRACT.md §2.7, §4, §6, §8.1-§8.3).

`generate(request)` returns PNG bytes for each image of a typed `InvokeRequest`; `render_images` returns
the pixels before encoding; `encode_png` is the one PNG encoder. See `pipeline` for the flow, `seeding` for
determinism, `subject` for the one subject segmenter and `segment` for the mask-prompt rule behind
`MaskPromptError`.
"""

from .errors import MaskPromptError
from .pipeline import TASKS, GeneratedImages, RenderedImages, generate, mask_pixels, render_images
from .png import encode_png

__all__ = [
    "TASKS",
    "GeneratedImages",
    "MaskPromptError",
    "RenderedImages",
    "encode_png",
    "generate",
    "mask_pixels",
    "render_images",
]
