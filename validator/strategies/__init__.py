"""Hypothesis strategies for InvokeModel request bodies, built from `validator.spec` (docs/CONTRACT.md §3-§5).

Hypothesis is an optional extra: `pip install 'nova-canvas-emulator[strategies]'`.

* `valid_requests(model, task)`: bodies Bedrock accepts, with real small PNG/JPEG images and pure black and
  white masks at sizes legal for the model (encoded once and cached, so drawing is fast).
* `invalid_requests(model, task)`: `(body, error)` pairs. Each body is a valid one with exactly one
  mutation (a value out of range, of the wrong type or outside its enum, an extraneous or missing key, an
  empty or too long string, a bad colour, a wrong item count, an illegal output size, a broken image or
  mask, a cross-field rule broken) and `error` is the `BedrockError` Bedrock answers with.

* `valid_stability_requests(model)` / `invalid_stability_requests(model)`: the same for the Stability AI
  models (docs/CONTRACT.md §S4, §S6).

`task=None` draws any task the model serves. Bodies are plain JSON-ready dicts (numbers are `int` or
`float`); pass them to `validate_request` as they are, or `json.dumps` them first.

The expected messages use the validator's wording tables (checked against docs/CONTRACT.md by the fixture
cases; read in `_expected`); the pointer, the rule chosen and the values printed are worked out here,
independently of the validator's own checks. The cross-field rules' name ties come from `TaskSpec`
(`validator.spec`), the same copy the semantic stage reads.

Layout: `_valid` draws valid bodies field by field, `_images` encodes the small images, `_schema_mutations`
and `_semantic_mutations` break one thing each, `_invalid` picks the mutation, `_expected` words the error.
"""

try:
    import hypothesis  # noqa: F401  # the one dependency the rest of the validator does without
except ImportError as exc:
    raise ImportError(
        "validator.strategies needs Hypothesis, which is an optional extra: "
        "pip install 'nova-canvas-emulator[strategies]'"
    ) from exc

from validator.strategies._common import Body
from validator.strategies._images import encoded_image
from validator.strategies._invalid import invalid_requests
from validator.strategies._stability import invalid_stability_requests, valid_stability_requests
from validator.strategies._valid import valid_requests

__all__ = [
    "Body",
    "encoded_image",
    "invalid_requests",
    "invalid_stability_requests",
    "valid_requests",
    "valid_stability_requests",
]
