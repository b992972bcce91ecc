"""The semantic stage (docs/CONTRACT.md §2.4 step 11, §3.5, §4, §5, §7.3).

Runs only on bodies that passed the schema stage, so every value has its schema type. The cross-field rules
listed in `TaskSpec.rules` run first, in docs/CONTRACT.md §7.3 table order; then every image field, in §3
table order (array items by index), each through BASE64 → FORMAT → DEPTH → ALPHA → size → MASK-SIZE →
MASK-COLORS. Every independent failure is collected (at most one per image, and at most one output-size
failure); the first is the one Bedrock reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from validator._images import check_image
from validator._render import semantic
from validator.report import ContractError
from validator.spec import ImageSlot, ModelSpec, TaskSpec
from validator.types import ImageSize, InputImage

Json = dict[str, Any]


class SemanticResult(NamedTuple):
    """All semantic failures, plus every decoded image keyed by pointer (for building the typed request)."""

    errors: tuple[ContractError, ...]
    images: Mapping[str, InputImage]


def _error(pointer: str, rule: str, **parts: object) -> ContractError:
    return ContractError(stage="semantic", pointer=pointer, keyword=rule, detail=semantic(rule, **parts))


# --- cross-field rules (docs/CONTRACT.md §3.5), each returning its failures; names tied are TaskSpec data ---


def _vto_missing(params: Json, config: Json, task: TaskSpec, spec: ModelSpec) -> list[ContractError]:
    mask_type = params["maskType"]
    obj = task.mask_object(mask_type)
    if obj in params:
        return []
    return [_error("#/virtualTryOnParams", "SEM-VTO-MASK-MISSING", mask_type=mask_type, obj=obj)]


def _vto_stray(params: Json, config: Json, task: TaskSpec, spec: ModelSpec) -> list[ContractError]:
    mask_type = params["maskType"]
    return [
        _error("#/virtualTryOnParams", "SEM-VTO-MASK-STRAY", obj=obj, owner=owner, mask_type=mask_type)
        for owner, obj in task.mask_objects
        if owner != mask_type and obj in params
    ]


def _mask_both(params: Json, config: Json, task: TaskSpec, spec: ModelSpec) -> list[ContractError]:
    assert task.mask_pair is not None
    if all(name in params for name in task.mask_pair):
        return [_error("", "SEM-MASK-BOTH")]  # pointer filled in by _cross_field
    return []


def _mask_none(params: Json, config: Json, task: TaskSpec, spec: ModelSpec) -> list[ContractError]:
    assert task.mask_pair is not None
    if not any(name in params for name in task.mask_pair):
        return [_error("", "SEM-MASK-NONE")]
    return []


def _control(params: Json, config: Json, task: TaskSpec, spec: ModelSpec) -> list[ContractError]:
    if any(name in params for name in task.control_fields) and task.control_image not in params:
        return [_error("#/textToImageParams", "SEM-CONTROL-NO-IMAGE")]
    return []


def output_size_ok(w: int, h: int, spec: ModelSpec) -> bool:
    """docs/CONTRACT.md §4: True when width x height is a valid output size for the model."""
    if spec.titan_sizes is not None:
        return (w, h) in spec.titan_sizes
    lim = spec.nova_output
    assert lim is not None and lim.step is not None
    low, high, step = lim.min_side, lim.max_side, lim.step
    return (
        low <= w <= high and low <= h <= high and not w % step and not h % step
        and max(w, h) <= lim.max_ratio * min(w, h) and w * h <= lim.max_pixels
    )  # fmt: skip


def output_size_error(config: Mapping[str, Any], spec: ModelSpec) -> ContractError | None:
    """The first failing output-size rule: Nova's in order, width before height; Titan's list of pairs
    (docs/CONTRACT.md §4.1, §4.2)."""
    w = config.get("width", spec.defaults.width)
    h = config.get("height", spec.defaults.height)
    if output_size_ok(w, h, spec):
        return None
    if spec.titan_sizes is not None:
        return _error("#/imageGenerationConfig", "SEM-SIZE-TITAN", w=w, h=h)
    lim = spec.nova_output
    assert lim is not None and lim.step is not None
    for name, value in (("width", w), ("height", h)):
        if not lim.min_side <= value <= lim.max_side:
            pointer = f"#/imageGenerationConfig/{name}"
            return _error(pointer, "SEM-SIZE-RANGE", low=lim.min_side, high=lim.max_side, value=value)
    for name, value in (("width", w), ("height", h)):
        if value % lim.step:
            return _error(f"#/imageGenerationConfig/{name}", "SEM-SIZE-STEP", step=lim.step, value=value)
    if max(w, h) > lim.max_ratio * min(w, h):
        return _error("#/imageGenerationConfig", "SEM-SIZE-RATIO", ratio=lim.max_ratio, w=w, h=h)
    if w * h > lim.max_pixels:
        return _error(
            "#/imageGenerationConfig", "SEM-SIZE-PIXELS", limit=lim.max_pixels, w=w, h=h, pixels=w * h
        )
    return None


def _sizes(params: Json, config: Json, task: TaskSpec, spec: ModelSpec) -> list[ContractError]:
    error = output_size_error(config, spec)
    return [] if error is None else [error]


def _covered(params: Json, config: Json, task: TaskSpec, spec: ModelSpec) -> list[ContractError]:
    """Nova's later size rules: `_sizes` checks them in order under SEM-SIZE-RANGE (one error at most)."""
    return []


_Rule = Callable[[Json, Json, TaskSpec, ModelSpec], list[ContractError]]

#: Rule id (docs/CONTRACT.md §7.3) → check. The SEM-SIZE-* ids share one check, which reports only the first
#: failing size rule.
RULES: Final[Mapping[str, _Rule]] = MappingProxyType(
    {
        "SEM-VTO-MASK-MISSING": _vto_missing,
        "SEM-VTO-MASK-STRAY": _vto_stray,
        "SEM-MASK-BOTH": _mask_both,
        "SEM-MASK-NONE": _mask_none,
        "SEM-CONTROL-NO-IMAGE": _control,
        "SEM-SIZE-RANGE": _sizes,
        "SEM-SIZE-STEP": _covered,
        "SEM-SIZE-RATIO": _covered,
        "SEM-SIZE-PIXELS": _covered,
        "SEM-SIZE-TITAN": _sizes,
    }
)


_COVERED: Final = frozenset({"SEM-SIZE-STEP", "SEM-SIZE-RATIO", "SEM-SIZE-PIXELS"})
_EMPTY: Final[Json] = {}  # never mutated: stands in for an absent imageGenerationConfig


def _cross_field(doc: Json, task: TaskSpec, spec: ModelSpec) -> list[ContractError]:
    params: Json = doc[task.params_key]
    config: Json = doc.get("imageGenerationConfig", _EMPTY)
    errors: list[ContractError] = []
    for rule_id in task.rules:
        if rule_id not in _COVERED:
            errors += RULES[rule_id](params, config, task, spec)
    if not errors:
        return errors
    # Rules that belong to a params object with several possible names get their pointer here.
    return [replace(e, pointer=f"#/{task.params_key}") if not e.pointer else e for e in errors]


# --- image fields (docs/CONTRACT.md §5) ---


def _image_values(doc: Json, slot: ImageSlot) -> list[tuple[str, object]]:
    """(pointer, value) of every image present in one slot; the body passed the schema stage."""
    value: Any = doc
    for key in slot.path:
        value = value.get(key)
        if value is None:
            return []
    if slot.array:
        return [(f"{slot.pointer}/{index}", item) for index, item in enumerate(value)]
    return [(slot.pointer, value)]


def _check_images(
    doc: Json, task: TaskSpec, spec: ModelSpec, errors: list[ContractError]
) -> dict[str, InputImage]:
    images: dict[str, InputImage] = {}
    sizes: dict[str, ImageSize] = {}
    for slot in task.image_slots:
        for pointer, text in _image_values(doc, slot):
            checked = check_image(str(text), pointer, spec, mask=slot.mask_of is not None)
            if checked.size is not None:
                sizes[pointer] = checked.size
            if checked.error is not None:
                errors.append(checked.error)
                continue
            assert checked.image is not None and checked.size is not None
            mask_error = _mask_error(slot, pointer, checked.size, checked.bad_mask_pixels, sizes)
            if mask_error is not None:
                errors.append(mask_error)
                continue
            images[pointer] = checked.image
    return images


def _mask_error(
    slot: ImageSlot, pointer: str, size: ImageSize, bad: int, sizes: Mapping[str, ImageSize]
) -> ContractError | None:
    if slot.mask_of is None:
        return None
    image_pointer = "#/" + "/".join(slot.mask_of)
    target = sizes.get(image_pointer)
    if target is not None and target != size:
        return _error(
            pointer, "SEM-MASK-SIZE", image=image_pointer, iw=target.width, ih=target.height,
            w=size.width, h=size.height,
        )  # fmt: skip
    if bad:
        return _error(pointer, "SEM-MASK-COLORS", n=bad)
    return None


def check_semantic(doc: Json, task: TaskSpec, spec: ModelSpec) -> SemanticResult:
    """Run every docs/CONTRACT.md §7.3 rule on a schema-valid body."""
    errors = _cross_field(doc, task, spec)
    images = _check_images(doc, task, spec, errors) if task.image_slots else {}
    return SemanticResult(tuple(errors) if errors else (), images)
