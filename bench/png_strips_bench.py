"""PNG encoding of new pictures: fpng on the whole picture against `encode_png`'s strips (docs/PERFORMANCE.md,
"Image generation").

Each round draws a new default TEXT_IMAGE picture (a new seed), then, in alternating order, encodes it both
ways, each after a 3 ms pause: as in the server, where the encoder runs once per new request, with other
work in between, not in a tight loop over one picture in the cache. Prints the median and best time of each.

    .venv/bin/python bench/png_strips_bench.py [--rounds 60] [--size 1024]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import fpng

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator.generators import encode_png, render_images  # noqa: E402
from validator import validate_request  # noqa: E402

PAUSE_S = 0.003


def picture(seed: int, size: int) -> object:
    body = {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a lighthouse on a cliff at dusk"},
        "imageGenerationConfig": {"seed": seed, "width": size, "height": size},
    }
    typed = validate_request(json.dumps(body).encode()).request
    assert typed is not None
    return render_images(typed).images[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--size", type=int, default=1024)
    args = parser.parse_args(argv)
    encoders = {"fpng, whole picture": fpng.from_ndarray, "encode_png, strips": encode_png}
    times: dict[str, list[float]] = {name: [] for name in encoders}
    for index in range(args.rounds):
        pixels = picture(1000 + index, args.size)
        names = list(encoders)[index % 2 :] + list(encoders)[: index % 2]
        for name in names:
            time.sleep(PAUSE_S)
            started = time.perf_counter()
            encoders[name](pixels)
            times[name].append((time.perf_counter() - started) * 1000)
    print(f"{args.size}x{args.size}, {args.rounds} new pictures, each encoded both ways after a pause")
    for name, values in times.items():
        print(f"{name:22s} median {statistics.median(values):6.2f} ms   best {min(values):6.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
