"""Image understanding on photos: server latency against a TEXT_IMAGE, memory, start-up (docs/PERFORMANCE.md).

Three measurements, each in one run:

* **latency** (default): the emulator (console script, default settings, one worker) through boto3, each
  round in this order: a default TEXT_IMAGE with an unseen seed (the yardstick), then for BACKGROUND_REMOVAL,
  mask-prompt INPAINTING and VIRTUAL_TRY_ON (GARMENT, UPPER_BODY) a *new* 1024x1024 photo (never sent
  before, so the segmenter runs) followed by the *same* photo again in a request the response cache cannot
  answer (INPAINTING and VTO: a new seed; BACKGROUND_REMOVAL, which takes no seed: the same photo sent to
  Titan v2), so only the per-picture analysis cache can help. The new photos are the development photos
  (fixtures/photos) at 1024x1024, each round shifted, mirrored and re-lit differently, sent as JPEG. Prints
  p50/p99 per target and the p50 ratios to the TEXT_IMAGE.
* **--threads**: the segmenter alone, in this process, with 1 and 2 OpenCV threads alternating (the choice
  behind `subject.MODEL_THREADS`).
* **--memory**: a server with two workers; every task is sent from two client threads, `--rounds` times
  each (new photos every round, so both workers serve every task), while a sampler reads the summed RSS and
  PSS of the server and its workers every 20 ms (the peak of the sum is the server's peak RSS); the sum of
  each process's own peak (VmHWM) is printed too, as an upper bound. Also the time from starting the server
  to its ready line, over a few starts.

    .venv/bin/python bench/photos_bench.py [--rounds 20] [--threads] [--memory [--response-cache-size N]]

The machine the figures come from is shared, so compare ratios within one run and repeat runs.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from server_bench import MODEL, client, percentile, seeded_body, spin  # noqa: E402

from tests.support.server import EmulatorProcess  # noqa: E402

TITAN_V2 = "amazon.titan-image-generator-v2:0"
PHOTOS = sorted(p.stem for p in (ROOT / "fixtures" / "photos").glob("*.jpg"))
SIDE = 1024
PAUSE_S = 0.003


def photo(index: int) -> np.ndarray:
    """A 1024x1024 photo never produced before for this index: shifted, maybe mirrored, re-lit."""
    bgr = cv2.imread(str(ROOT / "fixtures" / "photos" / f"{PHOTOS[index % len(PHOTOS)]}.jpg"))
    square = cv2.resize(bgr, (SIDE + 64, SIDE + 64), interpolation=cv2.INTER_CUBIC)
    dx, dy = (index * 7) % 64, (index * 13) % 64
    out = square[dy : dy + SIDE, dx : dx + SIDE]
    if (index // len(PHOTOS)) % 2:
        out = out[:, ::-1]
    gain = 0.9 + 0.2 * ((index * 37) % 100) / 100
    return np.asarray(np.clip(out.astype(np.float32) * gain, 0, 255), dtype=np.uint8)


def jpeg_b64(bgr: np.ndarray) -> str:
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return base64.b64encode(data.tobytes()).decode("ascii")


def garment_b64() -> str:
    page = np.full((512, 512, 3), 250, np.uint8)
    shirt = np.array([[160, 60], [350, 60], [470, 160], [400, 230], [360, 200], [360, 470], [150, 470],
                      [150, 200], [110, 230], [40, 160]], np.int32)  # fmt: skip
    cv2.fillPoly(page, [shirt], (40, 30, 200))
    return jpeg_b64(page)


def bodies(index: int, garment: str) -> dict[str, tuple[str, bytes]]:
    """The round's requests: (model, body) per target."""
    # A different new photo for each task, so one task's analysis never serves another's "new photo".
    image, edited, source = (jpeg_b64(photo(3 * index + k)) for k in range(3))
    seed = 1000 + 2 * index
    removal = json.dumps({"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": image}})

    def inpaint(s: int) -> bytes:
        params = {"image": edited, "maskPrompt": "the main subject", "text": "a bronze statue"}
        config = {"seed": s}
        return json.dumps(
            {"taskType": "INPAINTING", "inPaintingParams": params, "imageGenerationConfig": config}
        ).encode()

    def try_on(s: int) -> bytes:
        params = {
            "sourceImage": source,
            "referenceImage": garment,
            "maskType": "GARMENT",
            "garmentBasedMask": {"garmentClass": "UPPER_BODY"},
        }
        body = {
            "taskType": "VIRTUAL_TRY_ON",
            "virtualTryOnParams": params,
            "imageGenerationConfig": {"seed": s},
        }
        return json.dumps(body).encode()

    return {
        "TEXT_IMAGE, unseen seed": (MODEL, seeded_body(500_000 + index)),
        "BACKGROUND_REMOVAL, new photo": (MODEL, removal.encode()),
        "BACKGROUND_REMOVAL, same photo (Titan v2)": (TITAN_V2, removal.encode()),
        "INPAINTING maskPrompt, new photo": (MODEL, inpaint(seed)),
        "INPAINTING maskPrompt, same photo, new seed": (MODEL, inpaint(seed + 1)),
        "VIRTUAL_TRY_ON, new photo": (MODEL, try_on(seed)),
        "VIRTUAL_TRY_ON, same photo, new seed": (MODEL, try_on(seed + 1)),
    }


def call(bedrock: Any, model: str, body: bytes) -> float:
    started = time.perf_counter()
    bedrock.invoke_model(modelId=model, body=body)["body"].read()
    return (time.perf_counter() - started) * 1000


def latency(rounds: int) -> str:
    garment = garment_b64()
    with tempfile.TemporaryDirectory() as tmp:
        server = EmulatorProcess.start(Path(tmp) / "server.log")
        try:
            bedrock = client(server.port)
            for warm in range(2):  # the model read, the garment's analysis, code paths warmed
                for model, body in bodies(10_000 + warm, garment).values():
                    call(bedrock, model, body)
            samples: dict[str, list[float]] = {}
            for index in range(rounds):
                for name, (model, body) in bodies(index, garment).items():
                    samples.setdefault(name, []).append(call(bedrock, model, body))
                    spin(PAUSE_S)
        finally:
            server.stop()
    yardstick = percentile(samples["TEXT_IMAGE, unseen seed"], 0.5)
    lines = [
        f"{rounds} rounds, 1024x1024 JPEG photos (quality 90), one worker.",
        "",
        "| Target | p50 ms | p99 ms | mean ms | p50 / TEXT_IMAGE p50 |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in samples.items():
        p50 = percentile(values, 0.5)
        lines.append(
            f"| {name} | {p50:.1f} | {percentile(values, 0.99):.1f} | {statistics.fmean(values):.1f} | "
            f"{p50 / yardstick:.1f}x |"
        )
    return "\n".join(lines)


def threads(rounds: int) -> str:
    from emulator.generators import subject

    pictures = [cv2.cvtColor(photo(i), cv2.COLOR_BGR2RGB) for i in range(len(PHOTOS))]
    subject.probability(pictures[0])  # read the model
    times: dict[int, list[float]] = {1: [], 2: []}
    for index in range(rounds):
        for count in (1, 2) if index % 2 else (2, 1):
            subject.MODEL_THREADS = count
            started = time.perf_counter()
            subject.probability(pictures[index % len(pictures)])
            times[count].append((time.perf_counter() - started) * 1000)
    lines = ["| OpenCV threads | p50 ms | mean ms |", "|---:|---:|---:|"]
    for count, values in times.items():
        lines.append(f"| {count} | {percentile(values, 0.5):.0f} | {statistics.fmean(values):.0f} |")
    return "\n".join(lines)


def _tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid, *(int(p) for p in children.read_text().split())] if children.exists() else [pid]


def _fields(path: Path, names: tuple[str, ...]) -> dict[str, int]:
    """KiB figures from a /proc status-like file."""
    out = dict.fromkeys(names, 0)
    for line in path.read_text().splitlines():
        key = line.split(":")[0]
        if key in out:
            out[key] = int(line.split()[1])
    return out


class Sampler(threading.Thread):
    """Every 20 ms, the server's summed RSS and PSS (all its processes at one moment); keeps the maxima."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.stop = pid, threading.Event()
        self.rss_kib = self.pss_kib = 0

    def run(self) -> None:
        while not self.stop.wait(0.02):
            rss = pss = 0
            try:
                for each in _tree(self.pid):
                    fields = _fields(Path(f"/proc/{each}/smaps_rollup"), ("Rss", "Pss"))
                    rss, pss = rss + fields["Rss"], pss + fields["Pss"]
            except (FileNotFoundError, ProcessLookupError):
                continue
            self.rss_kib, self.pss_kib = max(self.rss_kib, rss), max(self.pss_kib, pss)


def memory(rounds: int, response_cache: int | None) -> str:
    garment = garment_b64()
    starts: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for attempt in range(3):
            began = time.monotonic()
            log = Path(tmp) / f"start{attempt}.log"
            env = {"NOVA_EMULATOR_WORKERS": "2"}
            if response_cache is not None:
                env["NOVA_EMULATOR_RESPONSE_CACHE_SIZE"] = str(response_cache)
            server = EmulatorProcess.start(log, env=env)
            starts.append(time.monotonic() - began)
            if attempt < 2:
                server.stop()
        sampler = Sampler(server.proc.pid)
        sampler.start()
        try:
            every = list(bodies(20_000, garment).values())
            condition = jpeg_b64(photo(3))
            for mode in ("CANNY_EDGE", "SEGMENTATION"):
                params = {"text": "a castle", "conditionImage": condition, "controlMode": mode}
                body = {"taskType": "TEXT_IMAGE", "textToImageParams": params}
                every.append((MODEL, json.dumps(body).encode()))

            def worker(offset: int) -> None:
                for index in range(rounds):
                    # A new client (a new connection) per request: a kept-alive connection stays with one
                    # worker, and both workers must serve every task.
                    for model, body in [*bodies(30_000 + 10 * offset + index, garment).values(), *every]:
                        call(client(server.port), model, body)

            clients = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
            for thread in clients:
                thread.start()
            for thread in clients:
                thread.join()
            pids = _tree(server.proc.pid)
            peaks = [_fields(Path(f"/proc/{p}/status"), ("VmHWM",))["VmHWM"] for p in pids]
        finally:
            sampler.stop.set()
            server.stop()
    return "\n".join(
        [
            f"Peak of the server's summed RSS (all {len(pids)} processes at one moment): "
            f"{sampler.rss_kib / 1024:.0f} MiB; summed PSS: {sampler.pss_kib / 1024:.0f} MiB",
            f"Sum of each process's own peak (VmHWM; an upper bound): {sum(peaks) / 1024:.0f} MiB "
            f"({', '.join(f'{p / 1024:.0f}' for p in peaks)})",
            f"Start-up to the ready line, 3 starts: {', '.join(f'{s:.2f}' for s in starts)} s",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20, help="rounds (--memory: per client thread)")
    parser.add_argument(
        "--response-cache-size",
        type=int,
        help="--memory: the server's response_cache_size (default: its own)",
    )
    parser.add_argument("--threads", action="store_true", help="the segmenter alone, 1 vs 2 OpenCV threads")
    parser.add_argument("--memory", action="store_true", help="peak RSS with two workers, and start-up time")
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.threads:
        print(threads(args.rounds))
    elif args.memory:
        print(memory(args.rounds, args.response_cache_size))
    else:
        print(latency(args.rounds))
    print(f"\nBench wall time: {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
