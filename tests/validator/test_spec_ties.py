"""The docs/CONTRACT.md §3.5 name ties on TaskSpec name real params members and match the task's rules."""

from __future__ import annotations

import pytest

from validator.spec import MODEL_SPECS, Kind, TaskSpec

TASKS = [
    pytest.param(t, id=f"{m.value}-{k.value}") for m, s in MODEL_SPECS.items() for k, t in s.tasks.items()
]


@pytest.mark.parametrize("task", TASKS)
def test_ties_follow_the_rules(task: TaskSpec) -> None:
    fields = task.params.by_name
    assert (task.mask_pair is not None) == ("SEM-MASK-BOTH" in task.rules) == ("SEM-MASK-NONE" in task.rules)
    assert (
        bool(task.control_fields)
        == (task.control_image is not None)
        == ("SEM-CONTROL-NO-IMAGE" in task.rules)
    )
    assert bool(task.mask_objects) == ("SEM-VTO-MASK-MISSING" in task.rules)
    assert task.tied_fields <= fields.keys()
    if task.control_image is not None:
        assert fields[task.control_image].kind is Kind.IMAGE
    if task.mask_objects:
        assert [t for t, _ in task.mask_objects] == list(fields["maskType"].enum)
        assert all(fields[o].kind is Kind.OBJECT for _, o in task.mask_objects)
        assert task.mask_object("GARMENT") == "garmentBasedMask"
