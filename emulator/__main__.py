"""`nova-canvas-emulator` / `python -m emulator`: serve Bedrock Runtime's image models offline.

Settings come from `--config FILE` (YAML or JSON), then `NOVA_EMULATOR_*` environment variables, then the
flags below, each overriding the one before.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from emulator.config import EmulatorConfig


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; flags left out fall back to the environment, the file, then the defaults."""
    parser = argparse.ArgumentParser(
        prog="nova-canvas-emulator",
        description="Offline Amazon Bedrock Runtime for Nova Canvas and Titan Image Generator.",
    )
    parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="TCP port (default 8000)")
    parser.add_argument("--workers", type=int, help="worker processes (default 1)")
    parser.add_argument("--config", metavar="FILE", help="YAML or JSON file of settings")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the config once and run the server until SIGTERM/SIGINT."""
    args = parse_args(argv)
    overrides = {"host": args.host, "port": args.port, "workers": args.workers}
    try:
        config = EmulatorConfig.from_sources(file=args.config, environ=os.environ, overrides=overrides)
    except (OSError, ValueError) as exc:
        print(f"nova-canvas-emulator: {exc}", file=sys.stderr)
        return 2
    from emulator.server import serve  # imports Granian only when actually serving

    return serve(config)


if __name__ == "__main__":
    sys.exit(main())
