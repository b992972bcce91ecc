"""What the validator shows users cites only this repository's docs/CONTRACT.md: --help, the exported JSON
Schemas, the validator's sources and its user guide."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from validator.cli import main
from validator.jsonschema_export import json_schema
from validator.types import ModelId

ROOT = Path(__file__).resolve().parents[2]
# "CONTRACT.md" not preceded by "docs/" (or, in docs/, a link to it), a path outside the repository, or a
# tracker reference.
FOREIGN = re.compile(r"(?<!docs/)(?<!\]\()CONTRACT\.md|\.\./shared|/work/|\b[Ii]ssue \d+|\bstop \d+")
SECTION = re.compile(r"§\d")


def _schemas() -> str:
    schemas = [json_schema(m) for m in ModelId]
    schemas += [json_schema(m, t) for m in ModelId for t in json_schema(m)["$defs"]]
    return "\n".join(json.dumps(s, ensure_ascii=False) for s in schemas)


def test_json_schemas_cite_only_docs_contract() -> None:
    text = _schemas()
    assert "docs/CONTRACT.md §5" in text
    assert FOREIGN.search(text) is None
    # Every section reference in a schema is written out as docs/CONTRACT.md §n.
    assert len(SECTION.findall(text)) == text.count("docs/CONTRACT.md §")


def test_help_cites_only_docs_contract(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "docs/CONTRACT.md" in text
    assert FOREIGN.search(text) is None and SECTION.search(text) is None and re.search(r"\bD\d", text) is None


@pytest.mark.parametrize(
    "path",
    sorted(
        [p for p in (ROOT / "validator").rglob("*.py")]
        + [p for p in (ROOT / "tests" / "validator").glob("*.py") if p.name != "test_references.py"]
        + [p for p in (ROOT / "tests" / "support").glob("*.py")]
        + [ROOT / "docs" / "VALIDATOR.md"]
    ),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_sources_cite_only_docs_contract(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert [m.group(0) for m in FOREIGN.finditer(text)] == []
