"""The journal page package depends on nothing of the test double: the test double installs the page over an
adapter of its store (`emulator.testdouble.journal_reader`), so the dependency runs one way only."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).parents[2] / "emulator" / "ui"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_ui_imports_nothing_from_the_test_double() -> None:
    sources = sorted(UI.glob("*.py"))
    assert sources
    for path in sources:
        offending = {name for name in imported_modules(path) if name.startswith("emulator.testdouble")}
        assert offending == set(), (path.name, offending)


def test_the_package_imports_alone_in_a_fresh_interpreter() -> None:
    """No import-order trick holds it up: `emulator.ui` imports first, in a fresh interpreter."""
    import subprocess
    import sys

    code = "import emulator.ui, emulator.ui.views; print(emulator.ui.install.__name__)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=UI.parents[1], timeout=60)
