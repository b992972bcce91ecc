"""Body warnings (docs/CONTRACT.md §8.8, D7, D8, D19): accepted inputs that are probably mistakes.

Warnings never change the verdict. They are computed for bodies that passed the schema stage (so every value
has its schema type); W-CT-OCTET comes from the header check (`validator._headers`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from validator._render import warning
from validator.report import ContractWarning
from validator.spec import ModelSpec, TaskSpec
from validator.types import InputImage

# Whole words, any case (docs/CONTRACT.md §8.8 W-NEGATION). Case-insensitive matching is Unicode's: the `i` of
# `without` also matches `ı` (U+0131) and `İ` (U+0130); every other letter of the three words matches only its
# two ASCII cases.
_NEGATION: Final = re.compile(r"\b(no|not|without)\b", re.IGNORECASE)
#: The params members W-NEGATION looks at.
NEGATION_FIELDS: Final = ("text", "negativeText")
#: Substrings of `text.lower()` that every match of `_NEGATION` contains: `no` (no, not) and `thout`
#: (without, whatever its `i`). A text whose lowered form has neither cannot match.
NEGATION_HINTS: Final = ("no", "thout")


def body_warnings(
    doc: dict[str, Any], task: TaskSpec, spec: ModelSpec, images: Mapping[str, InputImage]
) -> list[ContractWarning]:
    """W-CONFIG-IGNORED, W-DIM-IGNORED, W-SEED-LEGACY and W-NEGATION for a schema-valid body, in order."""
    found: list[ContractWarning] = []
    config = doc.get("imageGenerationConfig")
    # A config whose width/height pair Titan rejects (SEM-SIZE-TITAN) is not "ignored": no warning says so.
    if config is not None and task.config_ignored and not _pair_rejected(config, spec):
        found.append(
            ContractWarning("W-CONFIG-IGNORED", "#/imageGenerationConfig", warning("W-CONFIG-IGNORED"))
        )
    elif config is not None and not task.config_ignored:
        if task.dims_ignored and not _pair_rejected(config, spec):
            found += _dims_ignored(config, task, images)
        found += _legacy_seed(config, spec)
    found += _negations(doc[task.params_key], task.params_key)
    return found


def _legacy_seed(config: dict[str, Any], spec: ModelSpec) -> list[ContractWarning]:
    seed = config.get("seed")
    legacy_max = spec.legacy_seed_max
    if legacy_max is None or seed is None or seed <= legacy_max:
        return []
    message = warning("W-SEED-LEGACY", seed=seed, legacy_max=legacy_max)
    return [ContractWarning("W-SEED-LEGACY", "#/imageGenerationConfig/seed", message)]


def _pair_rejected(config: dict[str, Any], spec: ModelSpec) -> bool:
    """Titan checks the effective width/height pair on every task, even where it then ignores it
    (docs/CONTRACT.md D37)."""
    if spec.titan_sizes is None:
        return False
    pair = (config.get("width", spec.defaults.width), config.get("height", spec.defaults.height))
    return pair not in spec.titan_sizes


def _dims_ignored(
    config: dict[str, Any], task: TaskSpec, images: Mapping[str, InputImage]
) -> list[ContractWarning]:
    assert task.output_from is not None
    image = images.get("#/" + "/".join(task.output_from))
    size = str(image.size) if image is not None else "(undecoded)"
    return [
        ContractWarning(
            "W-DIM-IGNORED",
            f"#/imageGenerationConfig/{name}",
            warning("W-DIM-IGNORED", name=name, task=task.task_type.value, size=size),
        )
        for name in ("width", "height")
        if name in config
    ]


def may_negate(text: str) -> bool:
    """Cheap pre-filter for W-NEGATION: False means the text certainly has no negation word.

    Most prompts contain neither substring, and the word-boundary regex is the slow part. Exact for every
    spelling the case-insensitive regex matches, `wıthout` and `wİthout` included (`NEGATION_HINTS`).
    """
    lower = text.lower()
    return any(hint in lower for hint in NEGATION_HINTS)


def _negations(params: dict[str, Any], params_key: str) -> list[ContractWarning]:
    found = []
    for name, template in zip(NEGATION_FIELDS, ("W-NEGATION-TEXT", "W-NEGATION-NEGATIVE"), strict=True):
        value = params.get(name)
        if not isinstance(value, str):
            continue
        match = _NEGATION.search(value) if may_negate(value) else None
        if match is not None:
            message = warning(template, word=match.group(0))
            found.append(ContractWarning("W-NEGATION", f"#/{params_key}/{name}", message))
    return found
