"""README.md: the generated configuration reference is current and complete, and the recipes it gives work.

The CI recipes are checked as far as this machine allows: the GitHub Actions workflow against the workflow
JSON Schema, and the background-process recipe by running it (on a free port).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest
import yaml

from emulator import config as emulator_config
from emulator.config import EmulatorConfig
from tests.support.server import free_port

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
TOP_COMMANDS = """\
```sh
python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/nova-canvas-emulator   # serves :8000
./scripts/test                            # lint, types and the whole test suite, in the same .venv
```"""


def load_generator() -> ModuleType:
    """scripts/gen_config_reference.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "gen_config_reference", REPO / "scripts" / "gen_config_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up by name
    spec.loader.exec_module(sys.modules[spec.name])
    return sys.modules[spec.name]


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return load_generator()


@pytest.fixture(scope="module")
def settings(generator: ModuleType) -> list[object]:
    rows: list[object] = generator.settings()
    return rows


def marked_block(marker: str) -> str:
    """The fenced code block right after `<!-- check: <marker> -->` in the README."""
    match = re.search(rf"<!-- check: {marker} -->\n```\w*\n(.*?)\n```", README.read_text(), re.S)
    assert match, f"README.md has no code block marked {marker}"
    return match.group(1)


def test_first_two_commands_stay_at_the_top() -> None:
    text = README.read_text()
    assert text.startswith("# nova-canvas-emulator\n\n" + TOP_COMMANDS + "\n")


def test_configuration_table_is_up_to_date(generator: ModuleType, settings: list[object]) -> None:
    text = README.read_text()
    assert generator.replace_table(text, generator.render_table(settings)) == text, (
        "README.md's configuration reference is out of date: run python scripts/gen_config_reference.py"
    )


def test_every_setting_has_a_description(settings: list[object]) -> None:
    """Each entry of the table of settings carries its documentation, the text of its row."""
    assert [row.key for row in settings if not row.description] == []  # type: ignore[attr-defined]


def test_a_setting_without_doc_fails_the_generator(generator: ModuleType) -> None:
    """No fallback text: a table entry without documentation gives a row the check above refuses."""
    bare = emulator_config.Setting("undocumented", emulator_config.parse_text, "x", doc="")
    assert generator.row(bare, set()).description == ""


def test_every_documented_setting_is_accepted(settings: list[object]) -> None:
    for row in settings:
        key = row.key  # type: ignore[attr-defined]
        try:
            EmulatorConfig.from_env({f"NOVA_EMULATOR_{key.upper()}": "1"}).testdouble.remove_owned_state()
        except ValueError as exc:  # a value of the wrong kind is fine here; an unknown key is not
            assert "unknown setting" not in str(exc), key


def test_every_accepted_setting_is_documented(settings: list[object]) -> None:
    """The reference has one row per entry of the table every source is parsed with."""
    documented = {row.key for row in settings if row.description}  # type: ignore[attr-defined]
    assert set(emulator_config.BY_NAME) == documented


def test_documented_defaults_are_the_running_defaults(settings: list[object]) -> None:
    rows = {row.key: row for row in settings}  # type: ignore[attr-defined]
    defaults = EmulatorConfig()
    assert rows["host"].default == f"`{defaults.host}`"  # type: ignore[attr-defined]
    assert rows["port"].default == f"`{defaults.port}`"  # type: ignore[attr-defined]
    assert rows["state_path"].default == "a new temporary file per start"  # type: ignore[attr-defined]


def test_every_command_line_option_is_shown(generator: ModuleType) -> None:
    shown = set(re.findall(r"--([a-z][a-z0-9-]*)", marked_block("cli-options")))
    assert shown == generator.cli_flags()


def test_relative_links_exist() -> None:
    links = re.findall(r"\]\(((?!https?:|#)[^)#]+)(?:#[^)]*)?\)", README.read_text())
    assert links
    assert [link for link in links if not (REPO / link).exists()] == []


def test_github_actions_workflow_is_valid() -> None:
    workflow = yaml.safe_load(marked_block("github-workflow"))
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as a boolean; GitHub reads YAML 1.2
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "github-workflows.json"
    jsonschema.validate(workflow, json.loads(schema_file.read_text()))
    service = workflow["jobs"]["test"]["services"]["bedrock"]
    assert service["ports"] == ["8000:8000"]
    assert workflow["jobs"]["test"]["env"]["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] == "http://localhost:8000"


def test_background_process_recipe_runs(tmp_path: Path) -> None:
    """The recipe as written (the package is installed already), moved from port 8000 to a free port."""
    lines = marked_block("background-process").splitlines()
    assert lines[0].startswith("pip install ") and lines[1].endswith("&")
    port = str(free_port())
    lines = [lines[1], 'echo "$!" > emulator.pid', *lines[2:]]  # the server's pid, to stop it afterwards
    script = "\n".join(lines).replace("8000", port)
    script += '\nprintf %s "$AWS_ENDPOINT_URL_BEDROCK_RUNTIME" > endpoint\n'
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOVA_EMULATOR_")}
    env["NOVA_EMULATOR_PORT"] = port
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        ["bash", "-e", "-c", script], cwd=tmp_path, env=env, timeout=90, capture_output=True
    )
    pid = int((tmp_path / "emulator.pid").read_text()) if (tmp_path / "emulator.pid").exists() else None
    try:
        assert result.returncode == 0, result.stderr.decode() + (tmp_path / "emulator.log").read_text()
        assert (tmp_path / "endpoint").read_text() == f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/health", timeout=5) as response:
            assert json.load(response)["status"] == "ok"
        # The server prints its ready line right after its own health probe answers; a client's probe can win
        # that race, so give the line a moment to reach the log.
        log = tmp_path / "emulator.log"
        deadline = time.monotonic() + 10
        while "nova-canvas-emulator ready on" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "nova-canvas-emulator ready on" in log.read_text()
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGTERM)  # the server the recipe started, by its pid
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.1)


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_openapi_version_is_the_package_version() -> None:
    spec = yaml.safe_load((REPO / "emulator" / "openapi.yaml").read_text())
    assert spec["info"]["version"] == metadata.version("nova-canvas-emulator")


# --- the README's snippets against a real server -------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """A running emulator: its URL and its log file."""

    url: str
    log_path: Path

    def log(self) -> str:
        """Everything it printed."""
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`python -m emulator` on a free port (our own child, stopped by pid)."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOVA_EMULATOR_")}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + 60
        while "nova-canvas-emulator ready on" not in log.read_text(errors="replace"):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.1)
        yield Server(f"http://127.0.0.1:{port}", log)
    finally:
        proc.terminate()
        proc.wait(20)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def client_env(url: str, home: Path) -> dict[str, str]:
    """What the README tells users to export, pointed at the test server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "NOVA_EMULATOR_"))}
    env.update(
        HOME=str(home),
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=url,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
    )
    return env


def run_script(text: str, server: Server, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run Python `text` in `tmp_path` with the README's client environment; it must exit 0."""
    script = tmp_path / "snippet.py"
    script.write_text(text)
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=client_env(server.url, tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_python_snippets_run(server: Server, tmp_path: Path) -> None:
    quickstart = marked_block("python-quickstart").replace("http://127.0.0.1:8000", server.url)
    errors = marked_block("python-errors")
    expected = errors.splitlines()[-1].strip().removeprefix("# ")
    result = run_script(quickstart + "\n" + errors + "\n", server, tmp_path)
    assert png_size(tmp_path / "lighthouse.png") == (512, 512)
    assert result.stdout.strip() == expected


def test_stability_snippet_runs(server: Server, tmp_path: Path) -> None:
    """The Stability AI example: Ultra at 16:9, a background removed through the `us.` profile, and the
    model's nested unknown-field message exactly as the comment shows it."""
    snippet = marked_block("python-stability")
    expected = snippet.splitlines()[-1].strip().removeprefix("# ")
    result = run_script(snippet.replace("http://127.0.0.1:8000", server.url) + "\n", server, tmp_path)
    assert png_size(tmp_path / "ultra.png") == (1344, 768)
    cutout = (tmp_path / "cutout.png").read_bytes()
    assert png_size(tmp_path / "cutout.png") == (1344, 768)
    assert cutout[25] == 6  # IHDR colour type 6: RGBA
    assert result.stdout.strip() == expected


def shell_block(marker: str, server: Server) -> str:
    """A README shell block pointed at the test server; skipped when its tools are missing."""
    for tool in ("curl", "jq", "base64"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    return "set -euo pipefail\n" + marked_block(marker).replace("http://127.0.0.1:8000", server.url)


def test_curl_snippet_runs(server: Server, tmp_path: Path) -> None:
    script = shell_block("curl", server)
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert png_size(tmp_path / "lighthouse.png") == (1024, 1024)


def test_control_api_snippet_runs(server: Server, tmp_path: Path) -> None:
    script = shell_block("control-curl", server)
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    decoder = json.JSONDecoder()
    answers, text = [], result.stdout.strip()
    while text:
        value, end = decoder.raw_decode(text)
        answers.append(value)
        text = text[end:].strip()
    rule, journal, reset = answers
    assert rule["action"] == {"error": "ThrottlingException"} and rule["times"] == 2
    assert set(journal) == {"entries", "total", "returned", "more", "size_limited"}
    assert reset == {"reset": True}


def test_javascript_snippet_runs_over_http2(server: Server, tmp_path: Path) -> None:
    """The JS SDK's default handler (HTTP/2 with prior knowledge); uses tests/clients' `npm ci` install."""
    modules = REPO / "tests" / "clients" / "js" / "node_modules"
    if shutil.which("node") is None or not (modules / "@aws-sdk" / "client-bedrock-runtime").is_dir():
        pytest.skip("node or the JS SDK (tests/clients/js, npm ci) is not installed")
    (tmp_path / "node_modules").symlink_to(modules)
    snippet = marked_block("javascript").replace("http://127.0.0.1:8000", server.url)
    (tmp_path / "snippet.mjs").write_text(snippet + "\nconsole.log(JSON.stringify({ n: images.length }));\n")
    result = subprocess.run(["node", "snippet.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"n": 1}
    assert re.search(r'"POST /model/amazon\.nova-canvas-v1(:|%3A)0/invoke HTTP/2" 200', server.log())


def test_pytest_plugin_example_passes(tmp_path: Path) -> None:
    """The example as a user's test file, run by pytest with only the installed plugin (no conftest)."""
    (tmp_path / "test_example.py").write_text(marked_block("pytest-plugin") + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOVA_EMULATOR_", "PYTEST_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_example.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
