"""The subject of a picture: one salient-object segmenter for every task that needs "the subject".

**Model.** U2-Net-p (`models/u2netp.onnx`, 4.6 MB, Apache-2.0 weights by Qin et al., see `NOTICE`), a
salient-object detector, run by OpenCV's DNN module (no extra runtime). The picture is shrunk to
`MODEL_SIDE` x `MODEL_SIDE` (area averaging), divided by its brightest value and normalised with the ImageNet
mean and deviation (the recipe the weights were trained with); the first output is the subject probability
per pixel. The network is read once per process, on first use (start-up stays fast; forked workers each read
their own copy), and runs under a lock (an OpenCV `Net` is not safe to share between threads).

**Matte.** The probability map is enlarged to the picture and refined by a guided filter (He, Sun and Tang)
with the picture's grey levels as the guide, so the edge follows the picture's own edges and is graded over
a few pixels; a contrast stretch then makes the interior exactly 255 and the far background exactly 0, and a
sub-pixel blur grades even a perfectly hard edge over a pixel or two.

**No subject.** A picture whose grey levels barely vary (standard deviation below `FLAT_DEVIATION` at model
size), or whose subject covers less than `MIN_SUBJECT` of the frame, has no subject: background removal
makes it fully transparent and a mask prompt naming an object fails.

**Cache.** Analyses of input pictures are kept per process in a small LRU keyed by a digest of the pixels
(bounded in entries and in bytes), so a picture sent again (other seeds, prompts or tasks) is analysed once.
`cached` serves every generator: subjects here, people in `tryon`, fills from the surroundings in `editing`
and `tryon`, condition-image segments and edges in `text_image`.

**Determinism.** The network's output is identical for 1 and 2 OpenCV threads (tested), and the same on
every run on one machine; the probability map is rounded to 1/255 steps before anything else uses it, so a
difference in the last bits of the float arithmetic (another CPU's kernels) rarely reaches the output.
"""

from __future__ import annotations

import hashlib
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import cv2
import numpy as np
import numpy.typing as npt

from validator.types import Pixels

from .layout import BoolMask

MODEL_PATH = Path(__file__).resolve().parent / "models" / "u2netp.onnx"
MODEL_SHA256 = "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8"
# Agreement with the full U2-Net on the development photos (fixtures/photos, mean IoU of the masks): 0.885 at
# 320, 0.892 at 256, 0.861 at 224, 0.80 at 192. 224 takes 0.74x the time of 256 (and 40 MiB less memory in
# the network's buffers), which keeps a new 1024x1024 photo within 20x of a text-to-image request.
MODEL_SIDE = 224
# OpenCV threads for the network. Measured on 2 cores (bench/photos_bench.py --threads, and two processes
# at once): a lone inference takes 141 ms with 2 threads against 258 ms with 1; two workers inferring at the
# same moment take 7% longer with 2 threads each than with 1. So two where there are two CPUs to use, and
# never more, which bounds the oversubscription of a many-worker server on a big machine.
MODEL_THREADS = min(
    2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)
FLAT_DEVIATION = 2.0  # grey-level standard deviation (8-bit) below which a picture counts as flat
MIN_SUBJECT = 0.002  # share of the frame the subject must cover
CACHE_ENTRIES = 16  # analyses (subjects, people, cleared try-on sources) kept per process, at most ...
CACHE_BYTES = 40 * 1024 * 1024  # ... and at most this many bytes of arrays (a 1024x1024 subject is 2 MiB)
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_DEVIATION = np.array([0.229, 0.224, 0.225], dtype=np.float32)
_GUIDE_SIDE = 512  # the guided filter's coefficients are computed at most this size, then enlarged
_GUIDE_EPS = 1e-3
_STRETCH = 3.0  # contrast stretch of the filtered map: the graded band is a few pixels wide
_EDGE_SIGMA = 0.8


@dataclass(frozen=True, eq=False)
class Subject:
    """What the segmenter found in one picture (arrays are read-only: they are shared through the cache)."""

    alpha: npt.NDArray[np.uint8]  # full-size matte, 0 background .. 255 subject
    mask: BoolMask  # alpha > 127
    present: bool  # False for a flat picture or one whose subject is too small to count


_model_lock = threading.Lock()
_network: Any = None
_cache_lock = threading.Lock()
_cache: OrderedDict[bytes, tuple[object, int]] = OrderedDict()
_cache_bytes = 0


def _net() -> Any:
    """The network, read on first use (callers hold `_model_lock`)."""
    global _network
    if _network is None:
        _network = cv2.dnn.readNetFromONNX(str(MODEL_PATH))
    return _network


def probability(pixels: Pixels) -> npt.NDArray[np.float32]:
    """Subject probability at `MODEL_SIDE` x `MODEL_SIDE`, in 1/255 steps."""
    small = cv2.resize(pixels, (MODEL_SIDE, MODEL_SIDE), interpolation=cv2.INTER_AREA).astype(np.float32)
    small /= max(float(small.max()), 1.0)
    blob = ((small - _MEAN) / _DEVIATION).transpose(2, 0, 1)[None]
    with _model_lock:
        net = _net()
        threads = cv2.getNumThreads()
        cv2.setNumThreads(MODEL_THREADS)
        try:
            net.setInput(np.ascontiguousarray(blob, dtype=np.float32))
            out = np.asarray(net.forward(), dtype=np.float32)[0, 0]
        finally:
            cv2.setNumThreads(threads)
    return np.asarray(np.rint(np.clip(out, 0.0, 1.0) * 255.0) / 255.0, dtype=np.float32)


def _box_mean(values: npt.NDArray[np.float32], radius: int) -> npt.NDArray[np.float32]:
    size = 2 * radius + 1
    return np.asarray(cv2.boxFilter(values, cv2.CV_32F, (size, size), borderType=cv2.BORDER_REFLECT))


def guided_filter(
    guide: npt.NDArray[np.float32], source: npt.NDArray[np.float32], radius: int, eps: float
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """The grey-guide guided filter's linear coefficients (a, b): output = a * guide + b, locally."""
    mean_i = _box_mean(guide, radius)
    mean_p = _box_mean(source, radius)
    cov_ip = _box_mean(guide * source, radius) - mean_i * mean_p
    var_i = _box_mean(guide * guide, radius) - mean_i * mean_i
    a = np.asarray(cov_ip / (var_i + np.float32(eps)), dtype=np.float32)
    b = np.asarray(mean_p - a * mean_i, dtype=np.float32)
    return _box_mean(a, radius), _box_mean(b, radius)


def matte(pixels: Pixels, prob: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
    """Full-size alpha from the model-size probability map (the fast guided filter: coefficients small)."""
    h, w = pixels.shape[:2]
    factor = min(1.0, _GUIDE_SIDE / max(h, w))
    sw, sh = max(1, round(w * factor)), max(1, round(h * factor))
    grey_full = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY).astype(np.float32) / np.float32(255.0)
    grey_small = np.asarray(cv2.resize(grey_full, (sw, sh), interpolation=cv2.INTER_AREA), dtype=np.float32)
    prob_small = np.asarray(cv2.resize(prob, (sw, sh), interpolation=cv2.INTER_LINEAR), dtype=np.float32)
    radius = max(2, round(max(sw, sh) / 128))
    a, b = guided_filter(grey_small, prob_small, radius, _GUIDE_EPS)
    # In place from here on: a 2048x2048 picture would otherwise hold several 16 MiB float planes at once.
    refined = np.asarray(cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.float32)
    refined *= grey_full
    del grey_full
    refined += cv2.resize(b, (w, h), interpolation=cv2.INTER_LINEAR)
    # Stretch about 0.5 and scale to 0..255 in one multiply-add, then clip.
    refined *= np.float32(_STRETCH * 255.0)
    refined += np.float32(127.5 - _STRETCH * 127.5)
    np.clip(refined, 0.0, 255.0, out=refined)
    stretched = np.asarray(np.rint(refined), dtype=np.uint8)
    # A hard edge in the picture (a drawn shape) keeps the filtered edge hard; a sub-pixel blur gives every
    # edge the one or two graded pixels a photographic matte has, and leaves flat 0 and 255 areas exact.
    return np.asarray(cv2.GaussianBlur(stretched, (0, 0), _EDGE_SIGMA), dtype=np.uint8)


def _flat(pixels: Pixels) -> bool:
    small = cv2.resize(pixels, (MODEL_SIDE, MODEL_SIDE), interpolation=cv2.INTER_AREA)
    return float(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).std()) < FLAT_DEVIATION


def _analyse(pixels: Pixels) -> Subject:
    h, w = pixels.shape[:2]
    if _flat(pixels):
        alpha = np.zeros((h, w), dtype=np.uint8)
    else:
        alpha = matte(pixels, probability(pixels))
    mask = alpha > 127
    present = bool(mask.mean() >= MIN_SUBJECT)
    if not present:
        alpha, mask = np.zeros_like(alpha), np.zeros_like(mask)
    alpha.flags.writeable = False
    mask.flags.writeable = False
    return Subject(alpha=alpha, mask=mask, present=present)


_known_digests: dict[int, tuple[weakref.ref[Pixels], bytes]] = {}


def _digest(pixels: Pixels) -> bytes:
    """SHA-256 of the shape and the pixels (SHA-256 has CPU instructions on current x86 and ARM: about 2 ms
    for a 1024x1024 picture, where BLAKE2 took 7).

    An array over immutable bytes (decoded input images are: Pillow hands NumPy a `bytes` buffer) cannot
    change, so its digest is remembered for as long as the array lives: one request asks for the subject, the
    person and the cleared picture of one source.
    """
    immutable = not pixels.flags.writeable and isinstance(pixels.base, bytes)
    if immutable:
        known = _known_digests.get(id(pixels))
        if known is not None and known[0]() is pixels:
            return known[1]
    digest = hashlib.sha256(",".join(str(n) for n in pixels.shape).encode("ascii"))
    digest.update(np.ascontiguousarray(pixels).data)
    value = digest.digest()
    if immutable:
        key = id(pixels)
        _known_digests[key] = (weakref.ref(pixels, lambda _: _known_digests.pop(key, None)), value)
    return value


def mask_key(mask: BoolMask) -> str:
    """A short text naming a mask's pixels, for analyses that depend on a picture and a mask."""
    return hashlib.sha256(np.packbits(mask).data).hexdigest()[:32] + f"{mask.shape}"


T = TypeVar("T")


def _nbytes(value: object) -> int:
    """Bytes of the arrays in an analysis (an array, or a dataclass holding arrays)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is None:
        return 0
    return sum(_nbytes(getattr(value, name)) for name in fields)


def cached(kind: str, pixels: Pixels, analyse: Callable[[Pixels], T]) -> T:
    """`analyse(pixels)`, kept in the per-process LRU under (kind, digest of the pixels).

    The result must not be modified by callers (arrays in it should be read-only). The LRU is bounded by
    `CACHE_ENTRIES` and `CACHE_BYTES`; an analysis bigger than the byte bound is returned but not kept.
    """
    global _cache_bytes
    key = kind.encode("utf-8") + b"\x00" + _digest(pixels)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return cast(T, found[0])
    # Analysed outside the lock: two threads may both analyse a new picture, and get equal results.
    result = analyse(pixels)
    size = _nbytes(result)
    with _cache_lock:
        if size <= CACHE_BYTES and key not in _cache:
            _cache[key] = (result, size)
            _cache_bytes += size
            while len(_cache) > CACHE_ENTRIES or _cache_bytes > CACHE_BYTES:
                _cache_bytes -= _cache.popitem(last=False)[1][1]
    return result


def subject_of(pixels: Pixels) -> Subject:
    """The picture's subject, from the per-process cache when this picture was analysed before."""
    return cached("subject", pixels, _analyse)


def cached_analyses() -> tuple[int, int]:
    """How many analyses this process holds, and their bytes (for tests and the bench)."""
    with _cache_lock:
        return len(_cache), _cache_bytes
