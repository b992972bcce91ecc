"""Stable request hashing and per-image random generators (docs/CONTRACT.md §8.2).

Image *i* of a batch is drawn from a `numpy.random.Generator` seeded with `(seed, i, request digest)`. The
digest covers the canonical request *without* `numberOfImages` and `seed`, so the first image is the same for
`numberOfImages` 1 and 5, any parameter change gives a new picture, and a new seed changes every image.

The digest is SHA-256 over a canonical JSON rendering of the typed request: enums by value, floats by
`repr`, images by the SHA-256 of their base64 text. Python's `hash()` is salted per process, so it is never
used here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum

import numpy as np

from validator.types import ImageGenerationConfig, InputImage, InvokeRequest

# Bump when the pictures change on purpose: it keeps old and new outputs from being silently confused.
ALGORITHM_VERSION = 1

_EXCLUDED_CONFIG = frozenset({"number_of_images", "seed"})


def _canonical(value: object) -> object:
    """A JSON-ready, order-stable rendering of a request value."""
    if isinstance(value, InputImage):
        return {"sha256": value.sha256}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float | Decimal):
        return repr(value)
    if isinstance(value, bytes):
        return {"sha256": hashlib.sha256(value).hexdigest()}
    if isinstance(value, tuple | list):
        return [_canonical(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, ImageGenerationConfig):
        return {
            f.name: _canonical(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in _EXCLUDED_CONFIG
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"@type": type(value).__name__, **fields}
    raise TypeError(f"cannot canonicalise {type(value).__name__}")


def request_digest(request: InvokeRequest) -> bytes:
    """SHA-256 of the canonical request without `numberOfImages` and `seed`."""
    document = {"version": ALGORITHM_VERSION, "request": _canonical(request)}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).digest()


def image_rng(digest: bytes, seed: int, index: int) -> np.random.Generator:
    """The generator for image `index`: a PCG64 stream keyed by seed, index and request digest."""
    words = np.frombuffer(digest, dtype="<u4").tolist()
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, index, *words])))


def text_rng(*parts: str) -> np.random.Generator:
    """A generator keyed only by text (for looks that should follow the prompt across seeds)."""
    # surrogatepass: JSON may carry lone UTF-16 surrogates ("\ud800"), which strict UTF-8 refuses.
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).digest()
    return np.random.Generator(np.random.PCG64(np.frombuffer(digest, dtype="<u4").tolist()))
