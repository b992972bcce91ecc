"""The dependency arrows: validator imports nothing of the emulator, Flask or OpenCV; the generators nothing
of the rest of the emulator; the request path nothing of the test double (it plugs in through
`emulator.hooks`, wired by `emulator.app`); and no module imports itself back through others."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The request path, bottom to top (docs/ARCHITECTURE.md): each may import only those before it.
REQUEST_PATH = (
    "emulator.logs",
    "emulator.errors",
    "emulator.call",
    "emulator.hooks",
    "emulator.cache",
    "emulator.gate",
    "emulator.wire",
    "emulator.auth",
    "emulator.state",
    "emulator.pipeline",
    "emulator.routes",
    "emulator.front",
)


def test_validator_imports_without_flask_opencv_or_emulator() -> None:
    code = (
        "import sys\n"
        "for name in ('flask', 'cv2', 'emulator', 'werkzeug', 'granian'):\n"
        "    sys.modules[name] = None\n"
        "import validator, validator.types, validator.report, validator.messages\n"
        "import pkgutil, importlib\n"
        "for mod in pkgutil.iter_modules(validator.__path__):\n"
        "    if mod.name != 'strategies':\n"
        "        importlib.import_module('validator.' + mod.name)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports when it is loaded (not inside functions or `if TYPE_CHECKING:`),
    `from package import name` counted as `package.name` too."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    statements = list(ast.parse(path.read_text()).body)
    while statements:
        node = statements.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.If | ast.Try):
            statements += node.body + node.orelse + getattr(node, "handlers", [])
        elif isinstance(node, ast.ExceptHandler):
            statements += node.body
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def import_graph(top: str) -> dict[str, set[str]]:
    """Module -> the modules of `top` it imports, except its own parent packages (always loaded first)."""
    files = {module_name(path): path for path in (ROOT / top).rglob("*.py")}
    graph = {}
    for name, path in files.items():
        parents = {name.rsplit(".", n)[0] for n in range(1, name.count(".") + 1)}
        graph[name] = {m for m in imports_of(path) if m in files and m not in parents and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_back() -> None:
    assert cycles(import_graph("emulator")) == []
    assert cycles(import_graph("validator")) == []


def test_the_request_path_imports_only_downwards() -> None:
    graph = import_graph("emulator")
    for position, name in enumerate(REQUEST_PATH):
        inside = {m for m in graph[name] if not m.startswith(("emulator.generators", "emulator.config"))}
        assert inside <= set(REQUEST_PATH[:position]), (name, inside - set(REQUEST_PATH[:position]))


def test_the_generators_import_nothing_of_the_rest_of_the_emulator_nor_flask() -> None:
    for path in (ROOT / "emulator" / "generators").rglob("*.py"):
        outside = {
            m
            for m in imports_of(path)
            if m.split(".")[0] in ("flask", "werkzeug")
            or (m.startswith("emulator") and not m.startswith("emulator.generators"))
        }
        assert outside == set(), (path.name, outside)


def test_cycles_are_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_package_imports_itself_back() -> None:
    """The emulator's subpackages, each taken as one node: the journal page reads the journal through its
    own interface, so `ui` imports nothing of `testdouble` (which installs the page)."""
    subpackages = ("emulator.testdouble", "emulator.ui", "emulator.generators")

    def package(module: str) -> str | None:
        return next((p for p in subpackages if module == p or module.startswith(p + ".")), None)

    graph: dict[str, set[str]] = {p: set() for p in subpackages}
    for module, imported in import_graph("emulator").items():
        source = package(module)
        if source is not None:
            graph[source] |= {t for t in map(package, imported) if t is not None and t != source}
    assert cycles(graph) == []
