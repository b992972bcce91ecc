#!/usr/bin/env python3
"""Draw docs/gallery.jpg and docs/gallery-stability.jpg: for each Nova Canvas task and each Stability AI
service that reads an input image, a real photo and the emulator's answer.

Run from the repository root: `.venv/bin/python scripts/make_gallery.py [OUTPUT [STABILITY_OUTPUT]]`. The
inputs are the development photos in fixtures/photos (public domain / CC0, see fixtures/photos/LICENSES.md).
Each request goes through the validator and the generators exactly as the server runs them (caption on, as
the server's default), so the right-hand picture is the emulator's answer byte for byte; background-removal
output is shown over a checkerboard so its transparency is visible. The test suite never rewrites the file.
"""

from __future__ import annotations

import base64
import io
import json
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator.generators import render_images  # noqa: E402
from emulator.generators.stability import render_stability  # noqa: E402
from validator import validate_request  # noqa: E402

PHOTOS = ROOT / "fixtures" / "photos"
NOVA = "amazon.nova-canvas-v1:0"
TILE_HEIGHT = 300
LABEL_HEIGHT = 34


def b64(name: str) -> str:
    return base64.b64encode((PHOTOS / f"{name}.jpg").read_bytes()).decode("ascii")


def pixels(name: str) -> np.ndarray:
    with Image.open(PHOTOS / f"{name}.jpg") as image:
        return np.asarray(image.convert("RGB"))


def garment() -> tuple[str, np.ndarray]:
    """A red T-shirt drawn on a white page: the try-on reference."""
    page = np.full((480, 480, 3), 250, np.uint8)
    shirt = np.array([[150, 60], [330, 60], [440, 150], [380, 210], [340, 180], [340, 440], [140, 440],
                      [140, 180], [100, 210], [40, 150]], np.int32)  # fmt: skip
    cv2.fillPoly(page, [shirt], (200, 30, 40))
    buffer = io.BytesIO()
    Image.fromarray(page).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii"), page


def answer(body: dict[str, Any]) -> np.ndarray:
    report = validate_request(json.dumps(body).encode(), NOVA)
    assert report.request is not None, report
    return np.asarray(render_images(report.request).images[0])


def stability_answer(model: str, body: dict[str, Any]) -> np.ndarray:
    report = validate_request(json.dumps(body).encode(), model)
    assert report.request is not None, report
    return np.asarray(render_stability(report.request))


def over_checkerboard(rgba: np.ndarray) -> np.ndarray:
    h, w = rgba.shape[:2]
    rows, cols = np.indices((h, w)) // 16
    board = np.where(((rows + cols) % 2 == 0)[:, :, None], 235, 190).astype(np.float32)
    alpha = rgba[:, :, 3:4].astype(np.float32) / 255.0
    return np.asarray(np.rint(alpha * rgba[:, :, :3] + (1 - alpha) * board), dtype=np.uint8)


def tile(image: np.ndarray, label: str) -> np.ndarray:
    scale = TILE_HEIGHT / image.shape[0]
    width = round(image.shape[1] * scale)
    body = cv2.resize(image[:, :, :3], (width, TILE_HEIGHT), interpolation=cv2.INTER_AREA)
    head = np.full((LABEL_HEIGHT, width, 3), 255, np.uint8)
    cv2.putText(head, label, (8, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (30, 30, 30), 1, cv2.LINE_AA)
    return np.concatenate([head, body])


def row(tiles: list[np.ndarray], width: int) -> np.ndarray:
    gap = np.full((LABEL_HEIGHT + TILE_HEIGHT, 12, 3), 255, np.uint8)
    parts: list[np.ndarray] = []
    for each in tiles:
        parts += [each, gap]
    line = np.concatenate(parts[:-1], axis=1)
    pad = np.full((line.shape[0], width - line.shape[1], 3), 255, np.uint8)
    return np.concatenate([line, pad], axis=1)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "gallery.jpg"
    shirt_b64, shirt = garment()
    config = {"seed": 12, "numberOfImages": 1}
    rows: list[list[np.ndarray]] = []

    removed = answer(
        {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": b64("astronaut")}}
    )
    rows.append([tile(pixels("astronaut"), "input"), tile(over_checkerboard(removed), "BACKGROUND_REMOVAL")])

    inpainted = answer({
        "taskType": "INPAINTING",
        "inPaintingParams": {"image": b64("chelsea"), "maskPrompt": "the cat", "text": "a bronze statue"},
        "imageGenerationConfig": config,
    })  # fmt: skip
    rows.append([tile(pixels("chelsea"), "input"), tile(inpainted, 'INPAINTING maskPrompt "the cat"')])

    outpainted = answer({
        "taskType": "OUTPAINTING",
        "outPaintingParams": {"image": b64("coffee"), "maskPrompt": "the coffee cup",
                              "text": "a blue marble table", "outPaintingMode": "PRECISE"},
        "imageGenerationConfig": config,
    })  # fmt: skip
    rows.append(
        [tile(pixels("coffee"), "input"), tile(outpainted, 'OUTPAINTING maskPrompt "the coffee cup"')]
    )

    background = answer({
        "taskType": "INPAINTING",
        "inPaintingParams": {"image": b64("camera"), "maskPrompt": "the background", "text": "a sunny beach"},
        "imageGenerationConfig": config,
    })  # fmt: skip
    rows.append([tile(pixels("camera"), "input"), tile(background, 'INPAINTING maskPrompt "the background"')])

    tried = answer({
        "taskType": "VIRTUAL_TRY_ON",
        "virtualTryOnParams": {"sourceImage": b64("astronaut"), "referenceImage": shirt_b64,
                               "maskType": "GARMENT", "garmentBasedMask": {"garmentClass": "UPPER_BODY"}},
        "imageGenerationConfig": config,
    })  # fmt: skip
    rows.append(
        [
            tile(pixels("astronaut"), "source"),
            tile(shirt, "reference"),
            tile(tried, "VIRTUAL_TRY_ON UPPER_BODY"),
        ]
    )

    for mode, name, prompt in (
        ("CANNY_EDGE", "chelsea", "a purple dragon"),
        ("SEGMENTATION", "coffee", "a mosaic"),
    ):
        conditioned = answer({
            "taskType": "TEXT_IMAGE",
            "textToImageParams": {"text": prompt, "conditionImage": b64(name), "controlMode": mode,
                                  "controlStrength": 0.9},
            "imageGenerationConfig": {**config, "width": 768, "height": 512},
        })  # fmt: skip
        rows.append([tile(pixels(name), "condition image"), tile(conditioned, f'{mode} "{prompt}"')])

    save_sheet(rows, out)
    save_sheet(stability_rows(), Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "gallery-stability.jpg")
    return 0


def stability_rows() -> list[list[np.ndarray]]:
    """One row per Stability AI service that reads a photo, through its `us.` inference profile."""
    rows: list[list[np.ndarray]] = []
    for service, name, extra, label in (
        ("remove-background", "astronaut", {}, "remove-background"),
        ("search-replace", "chelsea", {"search_prompt": "the cat", "prompt": "a bronze statue"},
         'search-and-replace "the cat"'),
        ("search-recolor", "coffee", {"select_prompt": "the cup", "prompt": "a purple cup"},
         'search-and-recolor "the cup" -> purple'),
        ("erase-object", "camera", {"mask": None}, "erase (mask: the subject)"),
        ("control-sketch", "chelsea", {"prompt": "a purple dragon", "control_strength": 0.9},
         'control-sketch "a purple dragon"'),
        ("style-guide", "coffee", {"prompt": "a city at night", "aspect_ratio": "16:9"},
         'style-guide "a city at night" 16:9'),
    ):  # fmt: skip
        body: dict[str, Any] = {"image": b64(name), **extra}
        if service != "remove-background":  # it takes no seed
            body["seed"] = 12
        if "mask" in body:
            body["mask"] = subject_mask(name)
        model = f"us.stability.stable-image-{service}-v1:0"
        result = stability_answer(model, body)
        shown = over_checkerboard(result) if result.shape[2] == 4 else result
        rows.append([tile(pixels(name), "input"), tile(shown, label)])
    grown = stability_answer(
        "us.stability.stable-outpaint-v1:0",
        {"image": b64("rocket"), "left": 300, "right": 300, "prompt": "a desert at dawn", "seed": 12},
    )
    rows.append([tile(pixels("rocket"), "input"), tile(grown, "outpaint left/right 300")])
    styled = stability_answer(
        "us.stability.stable-style-transfer-v1:0",
        {"init_image": b64("chelsea"), "style_image": b64("coffee"), "prompt": "a cat", "seed": 12},
    )
    rows.append([tile(pixels("chelsea"), "init_image"), tile(pixels("coffee"), "style_image"),
                 tile(styled, "style-transfer")])  # fmt: skip
    return rows


def subject_mask(name: str) -> str:
    """A white-on-black mask of the photo's subject (its reference mask), as a base64 PNG."""
    reference = PHOTOS / "reference" / f"{name}.png"
    with Image.open(reference) as image:
        mask = image.convert("L")
        buffer = io.BytesIO()
        mask.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def save_sheet(rows: list[list[np.ndarray]], out: Path) -> None:
    width = max(sum(t.shape[1] for t in r) + 12 * (len(r) - 1) for r in rows)
    gap = np.full((14, width, 3), 255, np.uint8)
    sheet = np.concatenate([part for r in rows for part in (row(r, width), gap)][:-1])
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(out, quality=80, optimize=True)
    print(f"wrote {out} ({sheet.shape[1]}x{sheet.shape[0]})")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
