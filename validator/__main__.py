"""`python -m validator`: the `nova-canvas-validate` CLI."""

import sys

from validator.cli import main

if __name__ == "__main__":  # guarded: tooling may import every module of the package
    sys.exit(main())
