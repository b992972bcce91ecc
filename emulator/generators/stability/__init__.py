"""Placeholder pictures for the Stability AI models (docs/CONTRACT.md §S3.4, §S3.5, §S4, §S5).

`generate_stability(request)` returns the encoded image and a preview; `render_stability` the pixels before
encoding. One `prepare`/`render` pair per `Operation` (`OPERATIONS`), pure functions of the typed request and
a seeded generator; encoding is `..encoding`.
"""

from .pipeline import OPERATIONS, StabilityOutput, generate_stability, output_format, render_stability

__all__ = ["OPERATIONS", "StabilityOutput", "generate_stability", "output_format", "render_stability"]
