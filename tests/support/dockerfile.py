"""Just enough of the Dockerfile and .dockerignore formats to run an image's command outside Docker.

There is no Docker daemon in CI, so the delivery tests read `docker/Dockerfile` as the builder does (line
continuations, comments, stages, `ARG` before `FROM`, `ENV` with `$VAR` expansion, exec-form `CMD` and
`HEALTHCHECK`) and `.dockerignore` as the CLI does (last matching pattern wins, `!` re-includes, a pattern
matching a directory covers everything below it).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

_VAR = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword in upper case and the rest of its (joined) line."""

    keyword: str
    args: str

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form `CMD`/`ENTRYPOINT` (or of `HEALTHCHECK ... CMD [...]`)."""
        text = self.args.split("CMD", 1)[1] if self.keyword == "HEALTHCHECK" else self.args
        value = json.loads(text.strip())
        if not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
            raise ValueError(f"{self.keyword} is not in exec form: {self.args}")
        return value

    def options(self) -> dict[str, str]:
        """`--name=value` options before the command (`HEALTHCHECK`, `COPY --from=...`)."""
        found: dict[str, str] = {}
        for token in shlex.split(self.args):
            if not token.startswith("--"):
                break
            name, _, value = token[2:].partition("=")
            found[name] = value
        return found


@dataclass(frozen=True)
class Stage:
    """One build stage: its base image, its name and its instructions after `FROM`."""

    base: str
    name: str | None
    instructions: tuple[Instruction, ...] = field(default_factory=tuple)

    def all(self, keyword: str) -> list[Instruction]:
        """Every instruction with this keyword, in order."""
        return [item for item in self.instructions if item.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        """The instruction that takes effect (the last one) with this keyword."""
        matches = self.all(keyword)
        if not matches:
            raise LookupError(f"no {keyword} in stage {self.name or self.base}")
        return matches[-1]

    def env(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` updated by the stage's `ENV` instructions, `$VAR` expanded as the builder does."""
        env = dict(base)
        for item in self.all("ENV"):
            for token in shlex.split(item.args):
                name, sep, value = token.partition("=")
                if not sep:
                    raise ValueError(f"use ENV name=value, not the legacy form: {item.args}")
                env[name] = expand(value, env)
        return env


def expand(text: str, env: Mapping[str, str]) -> str:
    """Replace `$NAME` and `${NAME}` with their values (empty when unset)."""
    return _VAR.sub(lambda m: env.get(m.group(1) or m.group(2), ""), text)


def instructions(text: str) -> list[Instruction]:
    """Instructions of a Dockerfile: comment lines dropped, `\\` continuations joined."""
    found: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        found.append(Instruction(keyword.upper(), args.strip()))
        pending = ""
    return found


def stages(text: str) -> list[Stage]:
    """The build stages, with global `ARG` defaults substituted into `FROM`."""
    args: dict[str, str] = {}
    result: list[Stage] = []
    current: list[Instruction] = []
    for item in instructions(text):
        if item.keyword == "ARG" and not result:
            name, _, default = item.args.partition("=")
            args[name] = default
        elif item.keyword == "FROM":
            words = expand(item.args, args).split()
            stage_name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            current = []
            result.append(Stage(words[0], stage_name))
        elif result:
            current.append(item)
            last = result[-1]
            result[-1] = Stage(last.base, last.name, tuple(current))
    return result


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A `.dockerignore` pattern (Go `filepath.Match` plus `**`) as a regex over slash-separated paths."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out += "[" + pattern[i + 1 : end].replace("!", "^", 1) + "]"
            i = end + 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"\Z")


@dataclass(frozen=True)
class DockerIgnore:
    """The patterns of a `.dockerignore`, in order, each with its `!` flag."""

    patterns: tuple[tuple[bool, re.Pattern[str]], ...]

    @classmethod
    def parse(cls, text: str) -> DockerIgnore:
        """Comment lines dropped; patterns cleaned as the CLI does (no leading `/`, no trailing `/`)."""
        found: list[tuple[bool, re.Pattern[str]]] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            pattern = line[1:].strip() if negated else line
            found.append((negated, _pattern_regex(pattern.strip("/"))))
        return cls(tuple(found))

    def excluded(self, path: str) -> bool:
        """Whether the file at this context-relative path stays out of the build context."""
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        verdict = False
        for negated, regex in self.patterns:
            if any(regex.match(prefix) for prefix in prefixes):
                verdict = not negated
        return verdict

    def context_files(self, root: Path, source: str) -> list[Path]:
        """The files under `root/source` that reach the build context."""
        start = root / source
        candidates = [start] if start.is_file() else sorted(p for p in start.rglob("*") if p.is_file())
        return [p for p in candidates if not self.excluded(p.relative_to(root).as_posix())]
