"""Speed and memory of the image generators (issue 4), against a PNG-encoding floor.

    .venv/bin/python bench/generators_bench.py [--repeat N] [--check]

For each task at 1024 x 1024 it times generation (`render_images`: layout + pixels + caption) and encoding
(`encode_png`) separately, and compares their sum with the *floor*: the fastest PNG encoder found on PyPI
encoding the same pixels. Then it serves the largest request (Nova, 2048 x 2048, 5 images, TEXT_IMAGE:
generation, PNG and base64) and measures the peak RSS of a fresh process doing the same.

Targets (checked with --check, exit status 1 if one is missed):
  * default TEXT_IMAGE: (generation + encoding) <= 2 x floor;
  * the largest request served in < 1 s;
  * peak RSS while serving it < 1 GiB.
Times are medians over --repeat runs after one warm-up; the machine is shared, so expect some noise.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from emulator.generators import encode_png, render_images
from validator.types import (
    BackgroundRemovalParams,
    ColorGuidedGenerationParams,
    ControlMode,
    GarmentBasedMask,
    GarmentClass,
    ImageGenerationConfig,
    ImageSize,
    ImageVariationParams,
    InPaintingParams,
    InputImage,
    InvokeRequest,
    MaskType,
    ModelId,
    OutPaintingParams,
    Quality,
    TaskParams,
    TaskType,
    TextToImageParams,
    VirtualTryOnParams,
)

PROMPT = "a lighthouse on a rocky coast at sunset, waves, seagulls, dramatic sky"
GIB = 1 << 30


def _input(pixels: np.ndarray) -> InputImage:
    stand_in = base64.b64encode(hashlib.sha256(pixels.tobytes()).digest()).decode("ascii")
    return InputImage(pointer="#/image", base64=stand_in, pixels=pixels)


def _scene(side: int = 1024) -> np.ndarray:
    """A pale, noisy ground with a figure-like subject (for the editing tasks)."""
    rng = np.random.default_rng(0)
    pixels = np.clip(rng.normal(215, 4, (side, side, 3)), 0, 255).astype(np.uint8)
    c = side // 2
    cv2.circle(pixels, (c, side // 8), side // 14, (224, 172, 140), -1)
    cv2.rectangle(pixels, (c - side // 5, side // 6), (c + side // 5, side // 2), (40, 150, 60), -1)
    cv2.rectangle(pixels, (c - side // 6, side // 2), (c + side // 6, side * 9 // 10), (30, 40, 90), -1)
    return pixels


def _request(params: TaskParams, task: TaskType, size: int = 1024, count: int = 1) -> InvokeRequest:
    config = ImageGenerationConfig(size, size, Quality.STANDARD, 6.5, count, 12)
    return InvokeRequest(ModelId.NOVA_CANVAS, task, params, config, ImageSize(size, size))


def task_requests() -> dict[str, InvokeRequest]:
    """One default-ish request per task (and conditioning mode) at 1024 x 1024."""
    scene = _input(_scene())
    mask = np.full((1024, 1024, 3), 255, np.uint8)
    mask[300:700, 300:700] = 0
    t2i = TaskType.TEXT_IMAGE
    return {
        "TEXT_IMAGE": _request(TextToImageParams(text=PROMPT), t2i),
        "TEXT_IMAGE canny": _request(
            TextToImageParams(
                text=PROMPT, condition_image=scene, control_mode=ControlMode.CANNY_EDGE, control_strength=0.7
            ),
            t2i,
        ),
        "TEXT_IMAGE segmentation": _request(
            TextToImageParams(
                text=PROMPT,
                condition_image=scene,
                control_mode=ControlMode.SEGMENTATION,
                control_strength=0.7,
            ),
            t2i,
        ),
        "COLOR_GUIDED_GENERATION": _request(
            ColorGuidedGenerationParams(
                text=PROMPT, colors=("#0B1D51", "#F2C14E", "#E03E36"), reference_image=scene
            ),
            TaskType.COLOR_GUIDED_GENERATION,
        ),
        "IMAGE_VARIATION": _request(
            ImageVariationParams(images=(scene,), text=PROMPT), TaskType.IMAGE_VARIATION
        ),
        "INPAINTING mask": _request(
            InPaintingParams(image=scene, mask_image=_input(mask), text=PROMPT), TaskType.INPAINTING
        ),
        "INPAINTING prompt, no text": _request(
            InPaintingParams(image=scene, mask_prompt="the person"), TaskType.INPAINTING
        ),
        "OUTPAINTING": _request(
            OutPaintingParams(image=scene, mask_prompt="the person", text=PROMPT), TaskType.OUTPAINTING
        ),
        "BACKGROUND_REMOVAL": _request(BackgroundRemovalParams(image=scene), TaskType.BACKGROUND_REMOVAL),
        "VIRTUAL_TRY_ON": _request(
            VirtualTryOnParams(
                source_image=scene,
                reference_image=_input(_scene(768)),
                mask_type=MaskType.GARMENT,
                garment_based_mask=GarmentBasedMask(GarmentClass.UPPER_BODY),
                return_mask=True,
            ),
            TaskType.VIRTUAL_TRY_ON,
        ),
    }


def largest_request() -> InvokeRequest:
    """The largest Nova request: 2048 x 2048 (w*h = 4,194,304, the D2 limit), 5 images."""
    return _request(TextToImageParams(text=PROMPT), TaskType.TEXT_IMAGE, size=2048, count=5)


def floor_encoders() -> dict[str, Callable[[np.ndarray], bytes]]:
    """PNG encoders from PyPI at their fastest settings; the fastest on the same pixels is the floor."""
    import fpng
    from PIL import Image

    def pillow(pixels: np.ndarray) -> bytes:
        import io

        out = io.BytesIO()
        Image.fromarray(pixels).save(out, format="PNG", compress_level=1)
        return out.getvalue()

    encoders: dict[str, Callable[[np.ndarray], bytes]] = {
        "fpng": lambda p: bytes(fpng.from_ndarray(p)),
        "cv2-level1": lambda p: cv2.imencode(".png", p, [cv2.IMWRITE_PNG_COMPRESSION, 1])[1].tobytes(),
        "pillow-level1": pillow,
    }
    try:
        import imagecodecs

        encoders["imagecodecs-level1"] = lambda p: bytes(imagecodecs.png_encode(p, level=1))
    except ImportError:  # optional: only widens the search for the floor
        pass
    return encoders


def median_ms(action: Callable[[], object], repeat: int) -> float:
    """Median wall time of `action` in milliseconds, after one warm-up run."""
    action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


@dataclass
class Row:
    name: str
    generate_ms: float
    encode_ms: float
    floor_ms: float
    floor_name: str

    @property
    def ratio(self) -> float:
        return (self.generate_ms + self.encode_ms) / self.floor_ms


def measure_task(name: str, request: InvokeRequest, repeat: int) -> Row:
    """Generation and encoding of one request, and the floor on the same pixels."""
    pixels = render_images(request).images
    generate_ms = median_ms(lambda: render_images(request), repeat)
    encode_ms = median_ms(lambda: [encode_png(p) for p in pixels], repeat)
    floors = {
        label: median_ms(lambda enc=enc: [enc(p) for p in pixels], repeat)
        for label, enc in floor_encoders().items()
    }
    floor_name = min(floors, key=floors.__getitem__)
    return Row(name, generate_ms, encode_ms, floors[floor_name], floor_name)


def serve_largest() -> None:
    """What the emulator does for the largest request: pixels, PNG, base64."""
    rendered = render_images(largest_request())
    for pixels in rendered.images:
        base64.b64encode(encode_png(pixels))


_RSS_PROBE = (
    "import resource, sys\n"
    "sys.path.insert(0, 'bench')\n"
    "import generators_bench as b\n"
    "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "b.serve_largest()\n"
    "print(base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
)


def peak_rss() -> tuple[float, float]:
    """(RSS after imports, peak RSS while serving the largest request) of a fresh process, in MiB."""
    out = subprocess.run([sys.executable, "-c", _RSS_PROBE], capture_output=True, text=True, check=True)
    base_kib, peak_kib = (int(v) for v in out.stdout.split())
    return base_kib / 1024, peak_kib / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    print(
        f"{'task (1024x1024, 1 image)':32} {'gen ms':>8} {'enc ms':>8} {'floor ms':>9} {'floor by':>18} {'ratio':>6}"
    )
    rows = [measure_task(name, req, args.repeat) for name, req in task_requests().items()]
    for r in rows:
        print(
            f"{r.name:32} {r.generate_ms:8.1f} {r.encode_ms:8.1f} {r.floor_ms:9.1f} {r.floor_name:>18} {r.ratio:6.2f}"
        )

    big = largest_request()
    big_pixels = render_images(big).images
    big_row = measure_task("TEXT_IMAGE 2048x2048 x5", big, max(3, args.repeat // 2))
    served_ms = median_ms(serve_largest, max(3, args.repeat // 2))
    b64_ms = median_ms(lambda: [base64.b64encode(encode_png(p)) for p in big_pixels], 3) - big_row.encode_ms
    print(
        f"{big_row.name:32} {big_row.generate_ms:8.1f} {big_row.encode_ms:8.1f} {big_row.floor_ms:9.1f} "
        f"{big_row.floor_name:>18} {big_row.ratio:6.2f}"
    )
    print(
        f"largest request served (pixels + PNG + base64): {served_ms:.0f} ms (base64 ~{max(b64_ms, 0):.0f} ms)"
    )
    base_mib, peak_mib = peak_rss()
    print(f"peak RSS serving it in a fresh process: {peak_mib:.0f} MiB (after imports: {base_mib:.0f} MiB)")

    default_ratio = rows[0].ratio
    misses = []
    if default_ratio > 2.0:
        misses.append(f"default TEXT_IMAGE is {default_ratio:.2f} x floor (target <= 2)")
    if served_ms >= 1000:
        misses.append(f"largest request took {served_ms:.0f} ms (target < 1000)")
    if peak_mib * (1 << 20) >= GIB:
        misses.append(f"peak RSS {peak_mib:.0f} MiB (target < 1024)")
    print("targets: " + ("all met" if not misses else "; ".join(misses)))
    return 1 if (args.check and misses) else 0


if __name__ == "__main__":
    sys.exit(main())
