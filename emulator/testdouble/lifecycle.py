"""Model lifecycle simulation (docs/CONTRACT.md §8.5, D17): off by default, every model `active`.

Every served model has a state, the Stability AI ids included (docs/CONTRACT.md §S1.3); a retired Stability id
that the settings do not serve answers end of life whatever its state here (`emulator.pipeline`).

`legacy` and `eol` make every operation on the model answer 404 ResourceNotFoundException with the real texts
of docs/CONTRACT.md §7.2, at docs/CONTRACT.md §2.4 step 5 (after model resolution, before operation support
and body checks).
"""

from __future__ import annotations

from collections.abc import Mapping

from emulator.config import SERVED_MODEL_IDS, SERVED_MODEL_IDS_IN_ORDER
from validator import messages
from validator.report import BedrockError
from validator.types import ServedModel

ACTIVE = "active"
STATES = {
    ACTIVE: None,
    "legacy": messages.LIFECYCLE_LEGACY,
    "eol": messages.LIFECYCLE_EOL,
}


def parse_lifecycle(value: object) -> dict[str, str]:
    """A `{model id: state}` mapping; unknown models or states raise ValueError. `active` is dropped."""
    if not isinstance(value, Mapping):
        raise ValueError("lifecycle must map model ids to active, legacy or eol")
    served = SERVED_MODEL_IDS
    result: dict[str, str] = {}
    for model, state in value.items():
        if str(model) not in served:
            raise ValueError(f"lifecycle: {model!r} is not a served model id ({', '.join(sorted(served))})")
        if str(state) not in STATES:
            raise ValueError(f"lifecycle: state for {model} must be active, legacy or eol, not {state!r}")
        if state != ACTIVE:
            result[str(model)] = str(state)
    return result


def full_view(lifecycle: Mapping[str, str]) -> dict[str, str]:
    """Every served model with its state (the control API's view)."""
    return {model: lifecycle.get(model, ACTIVE) for model in SERVED_MODEL_IDS_IN_ORDER}


def check(lifecycle: Mapping[str, str], model: ServedModel | None) -> BedrockError | None:
    """The step-5 error for `model`, or None when it is active."""
    if model is None:
        return None
    text = STATES.get(lifecycle.get(model.value, ACTIVE))
    if text is None:
        return None
    exception = "ResourceNotFoundException"
    return BedrockError(exception, messages.EXCEPTION_STATUS[exception], text)
