"""The digest a Stability request's random generator is keyed by (docs/CONTRACT.md §S5.2, D-S15).

The generator is `seeding.image_rng(digest, seed, 0)`: the seed *used* (sent, or derived from the request by
the validator) and a SHA-256 over the canonical request **without** `seed` and `seed_sent`. So a body sent
with seed 0 (derived seed s) and the same body sent with seed s draw the same picture, as re-sending the
returned seed must; any other field but `output_format` changes it (one picture, in whichever format was
asked for). Images count by the SHA-256 of their base64 text, floats by
`repr`, enums by value.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from enum import Enum

from validator.stability.types import StabilityImage, StabilityRequest

from ..seeding import ALGORITHM_VERSION

# The seed fields (see above), and the output format: it changes the encoding, not the picture.
_EXCLUDED = frozenset({"seed", "seed_sent", "output_format"})


def _canonical(value: object) -> object:
    """A JSON-ready, order-stable rendering of a request value."""
    if isinstance(value, StabilityImage):
        return {"sha256": hashlib.sha256(value.base64.encode("ascii")).hexdigest()}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, tuple | list):
        return [_canonical(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"@type": type(value).__name__, **fields}
    raise TypeError(f"cannot canonicalise {type(value).__name__}")


def stability_digest(request: StabilityRequest) -> bytes:
    """SHA-256 of the canonical request without its seed fields and output format."""
    fields = {
        f.name: _canonical(getattr(request, f.name))
        for f in dataclasses.fields(request)
        if f.name not in _EXCLUDED
    }
    document = {"version": ALGORITHM_VERSION, "stability": fields}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).digest()
