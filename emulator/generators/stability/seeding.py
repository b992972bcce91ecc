"""The digest a Stability request's random generator is keyed by (docs/CONTRACT.md §S5.2, D-S15).

The generator is `seeding.image_rng(digest, seed, 0)`: the seed *used* (sent, or derived from the request by
the validator) and the validator's canonical request digest **without** `seed`, `seed_sent` and
`output_format`, mixed with the picture algorithm's version. So a body sent with seed 0 (derived seed s) and
the same body sent with seed s draw the same picture, as re-sending the returned seed must; any other field
but `output_format` changes it (one picture, in whichever format was asked for).
"""

from __future__ import annotations

import hashlib

from validator.stability.build import SEED_FIELDS, request_digest
from validator.stability.types import StabilityRequest

from ..seeding import ALGORITHM_VERSION

# The output format changes the encoding, not the picture.
_WITHOUT = SEED_FIELDS | {"output_format"}


def stability_digest(request: StabilityRequest) -> bytes:
    """SHA-256 of the algorithm version and the canonical request without its seed fields and format."""
    return hashlib.sha256(f"{ALGORITHM_VERSION}:".encode() + request_digest(request, _WITHOUT)).digest()
