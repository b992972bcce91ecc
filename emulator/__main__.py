"""`nova-canvas-emulator` / `python -m emulator`: serve Bedrock Runtime's image models offline.

Settings come from `--config FILE` (YAML or JSON), then `NOVA_EMULATOR_*` environment variables, then the
flags below, each overriding the one before; `--help` lists every setting with its variable and default.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _forget_the_working_directory() -> None:
    """`python -m emulator` puts the working directory first on the import path, where a user's own
    `validator.py` would shadow this project's `validator` package. Drop it, unless this very package was
    found there (running from a checkout without installing)."""
    here = Path(__file__).resolve().parents[1]
    for entry in list(sys.path):
        folder = Path(entry or ".").resolve()
        if folder == Path.cwd().resolve() and folder != here:
            sys.path.remove(entry)


if __name__ == "__main__":
    _forget_the_working_directory()

import argparse  # noqa: E402
import os  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from importlib import metadata  # noqa: E402

from emulator.config import SETTINGS, ConfigError, EmulatorConfig  # noqa: E402

PROG = "nova-canvas-emulator"


def version() -> str:
    """The installed distribution's version."""
    try:
        return metadata.version("nova-canvas-emulator")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout without installing
        return "unknown (not installed)"


def settings_help() -> str:
    """Every setting, its environment variable and default (the README has the full reference)."""
    lines = ["settings (file key, environment variable, default):"]
    for setting in SETTINGS:
        default = setting.default
        if setting.name == "state_path":
            shown = "a new temporary file per start"
        elif isinstance(default, bool):
            shown = str(default).lower()
        elif default in (None, "", (), {}, frozenset()):
            shown = "none"
        else:
            shown = str(default)
        lines.append(f"  {setting.name:<26} {setting.env_var:<40} {shown}")
    lines.append("")
    lines.append("Each setting is described in README.md, section Configuration reference.")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; flags left out fall back to the environment, the file, then the defaults."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Offline Amazon Bedrock Runtime for Nova Canvas and Titan Image Generator.",
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", help="TCP port (default 8000; 0 picks a free port)")
    parser.add_argument("--workers", help="worker processes (default 1)")
    parser.add_argument("--config", metavar="FILE", help="YAML or JSON file of settings")
    parser.add_argument("--version", action="version", version=f"{PROG} {version()}")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the config once and run the server until SIGTERM/SIGINT/SIGHUP."""
    args = parse_args(argv)
    overrides = {"host": args.host, "port": args.port, "workers": args.workers}
    try:
        config = EmulatorConfig.from_sources(file=args.config, environ=os.environ, overrides=overrides)
    except ConfigError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    from emulator.server import serve  # imports Granian only when actually serving

    return serve(config)


if __name__ == "__main__":
    sys.exit(main())
