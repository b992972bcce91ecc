"""docker/Dockerfile and docker/compose.yaml, checked without a Docker daemon.

The image's build stage is replayed (its COPY lines honouring .dockerignore, then `pip install .`), and the
final stage's CMD runs with the final stage's ENV, as `docker run` would start it. Readiness is decided by the
image's own HEALTHCHECK command, the compose example client makes its boto3 call against it, and SIGTERM
(`docker stop`) ends it cleanly.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.support.dockerfile import DockerIgnore, Stage, stages
from tests.support.server import free_port

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "docker" / "Dockerfile"
COMPOSE = REPO / "docker" / "compose.yaml"
CLIENT_DIR = REPO / "docker" / "example-client"
VENV_IN_IMAGE = "/opt/venv"
# What python:3.11-slim itself sets; the host's environment does not leak into a container.
BASE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
# Machine-specific BLAS settings some hosts need for numpy to run at all (kept, never changed).
HOST_PASSTHROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def final_stage() -> Stage:
    """The stage `docker build` produces."""
    return stages(DOCKERFILE.read_text())[-1]


def build_stage() -> Stage:
    """The stage that installs the project."""
    return stages(DOCKERFILE.read_text())[0]


def container_env(home: Path, site: Path, **overrides: str) -> dict[str, str]:
    """The final stage's environment, with the image's virtualenv mapped to this interpreter's."""
    base = dict(BASE_ENV, HOME=str(home))
    base.update({name: os.environ[name] for name in HOST_PASSTHROUGH if name in os.environ})
    env = final_stage().env(base)
    env["PATH"] = env["PATH"].replace(VENV_IN_IMAGE, sys.prefix)
    env["PYTHONPATH"] = str(site)  # the package as `pip install .` built it, not this checkout
    env.update(overrides)
    return env


def healthcheck(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the image's HEALTHCHECK command, exec form, as Docker does."""
    command = final_stage().last("HEALTHCHECK").exec_form()
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=10)


def replay_copy(stage: Stage, ignore: DockerIgnore, dest_root: Path) -> list[str]:
    """Copy what the stage's `COPY` lines (not `--from`) take from the context; returns the sources."""
    sources: list[str] = []
    for item in stage.all("COPY"):
        assert "from" not in item.options(), "the build stage copies from the context only"
        *srcs, dest = shlex.split(item.args)
        for src in srcs:
            sources.append(src)
            files = ignore.context_files(REPO, src)
            assert files, f"COPY {src}: nothing in the build context (.dockerignore?)"
            for path in files:
                if (REPO / src).is_dir():
                    target = dest_root / dest / path.relative_to(REPO / src)
                else:
                    assert dest.endswith("/"), f"COPY {src} {dest}: files go into a directory"
                    target = dest_root / dest / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
    return sources


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build stage replayed: the context as Docker sends it, then the stage's `pip install .`."""
    tmp = tmp_path_factory.mktemp("image")
    context = tmp / "src"
    replay_copy(build_stage(), DockerIgnore.parse((REPO / ".dockerignore").read_text()), context)
    run = " ".join(item.args for item in build_stage().all("RUN"))
    assert "pip install --no-cache-dir ." in run
    target = tmp / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-cache-dir",
            "--target",
            str(target),
            ".",
        ],
        cwd=context,
        check=True,
        timeout=300,
        capture_output=True,
    )
    return target


@dataclass
class Container:
    """The image's command running as a subprocess (our own child, stopped by pid)."""

    proc: subprocess.Popen[bytes]
    env: dict[str, str]
    port: int
    log_path: Path

    def log(self) -> str:
        """Everything the server printed."""
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal the server and wait for it."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)


@pytest.fixture(scope="module")
def container(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """`docker run -e NOVA_EMULATOR_PORT=<free port> image`, healthy once the HEALTHCHECK passes."""
    home = tmp_path_factory.mktemp("home")
    port = free_port()
    env = container_env(home, site, NOVA_EMULATOR_PORT=str(port))
    log_path = home / "container.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            final_stage().last("CMD").exec_form(), env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT
        )
    server = Container(proc, env, port, log_path)
    start_period = int(final_stage().last("HEALTHCHECK").options()["start-period"].rstrip("s"))
    deadline = time.monotonic() + start_period
    try:
        while healthcheck(env).returncode != 0:
            assert proc.poll() is None, f"the server exited:\n{server.log()}"
            assert time.monotonic() < deadline, f"not healthy within the start period:\n{server.log()}"
            time.sleep(0.3)
        yield server
    finally:
        server.stop()


def test_final_stage_runs_the_console_script_as_an_unprivileged_user() -> None:
    stage = final_stage()
    assert stage.base == "python:3.11-slim"
    assert stage.last("CMD").exec_form() == ["nova-canvas-emulator"]
    assert not stage.all("ENTRYPOINT")
    user = stage.last("USER").args.split(":")[0]
    assert user not in ("0", "root")
    env = stage.env(BASE_ENV)
    assert env["NOVA_EMULATOR_HOST"] == "0.0.0.0"  # reachable through the published port
    assert int(env["NOVA_EMULATOR_WORKERS"]) >= 2
    assert stage.last("EXPOSE").args == env["NOVA_EMULATOR_PORT"] == "8000"
    assert "curl" not in stage.last("HEALTHCHECK").args  # slim images have none


def test_image_code_is_the_installed_package(container: Container, site: Path) -> None:
    probe = [
        container.env["PATH"].split(":")[0] + "/python",
        "-c",
        "import emulator; print(emulator.__file__)",
    ]
    out = subprocess.run(
        probe, env=container.env, capture_output=True, text=True, check=True, cwd=site.parent
    )
    assert Path(out.stdout.strip()).is_relative_to(site)


def test_every_package_file_is_installed(site: Path) -> None:
    """Data files (the UI's static files, openapi.yaml) must be package data, or the image lacks them."""
    ignore = DockerIgnore.parse((REPO / ".dockerignore").read_text())
    missing = [
        path.relative_to(REPO).as_posix()
        for package in ("emulator", "validator")
        for path in ignore.context_files(REPO, package)
        if not (site / path.relative_to(REPO)).exists()
    ]
    assert missing == []


def test_ready_on_all_interfaces_with_the_configured_workers(container: Container) -> None:
    ready = f"nova-canvas-emulator ready on http://0.0.0.0:{container.port}"
    # The HEALTHCHECK passes once one worker answers; the ready line follows when every worker has built its
    # app, which on a loaded machine can be a moment later.
    deadline = time.monotonic() + 60
    while ready not in container.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ready in container.log()
    assert healthcheck(container.env).returncode == 0


def test_healthcheck_fails_when_nothing_answers(tmp_path: Path, site: Path) -> None:
    env = container_env(tmp_path, site, NOVA_EMULATOR_PORT=str(free_port()))
    assert healthcheck(env).returncode == 1


def test_compose_example_client_succeeds_against_the_image(container: Container, tmp_path: Path) -> None:
    service = yaml.safe_load(COMPOSE.read_text())["services"]["example-client"]
    client_stage = stages((CLIENT_DIR / "Dockerfile").read_text())[-1]
    assert client_stage.last("CMD").exec_form() == ["python", "/app/client.py"]
    env = dict(BASE_ENV, HOME=str(tmp_path), **service["environment"])
    env.update({name: os.environ[name] for name in HOST_PASSTHROUGH if name in os.environ})
    in_compose = f"http://emulator:{final_stage().last('EXPOSE').args}"
    assert env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] == in_compose
    env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = f"http://127.0.0.1:{container.port}"
    result = subprocess.run(
        [sys.executable, str(CLIENT_DIR / "client.py")], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "amazon.nova-canvas-v1:0: 2 images [(512, 512), (512, 512)]" in result.stdout
    assert "ValidationException: #/imageGenerationConfig/width: must be divisible by 16" in result.stdout


def test_docker_stop_exits_cleanly(container: Container) -> None:
    assert container.stop(signal.SIGTERM) == 0
