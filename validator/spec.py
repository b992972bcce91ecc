"""The request contract as data: per model and task type, every field with its type, limits and default.

This module is the single source of truth for docs/CONTRACT.md §3 (schema), §4 (output sizes), §5.2 (input
image sizes) and §8.1 (defaults). The schema stage (`validator._schema`), the semantic stage
(`validator._semantic`), the JSON Schema export and the Hypothesis strategies all read these tables; none of
them hard-codes a field.

Shape of the data:

* `Field` describes one JSON value: its `kind` (see `Kind`), whether it is `required` in its parent object,
  its limits, enum values, pattern, children (`fields`, for objects, in docs/CONTRACT.md table order, which is
  also the schema-traversal order of docs/CONTRACT.md §7.1) or item spec (`items`, for arrays), its `default`
  (§8.1) and, for mask images, `mask_of` (the path of the image it masks).
* `TaskSpec` is one task of one model: its `root` object field (taskType, the params key and
  imageGenerationConfig), the names of its cross-field `rules` (ids of the docs/CONTRACT.md §7.3 table, run in
  that order by the semantic stage), where the output size comes from (`output_from`), and the warning
  switches of docs/CONTRACT.md §8.8.
* `ModelSpec` is one model: its tasks (in the order of its `taskType` enum), its `root_keys` (the keys
  allowed at the root when `taskType` is invalid, docs/CONTRACT.md §3.1), its output size rule and its input
  image rule.

Accessors: `MODEL_SPECS`, `model_spec(model)`, `task_spec(model, task)`. The classes are defined in
`validator._spec_types` and re-exported here; import them from this module.

Everything here is frozen; the per-object lookups (`Field.by_name`, `Field.required_names`, ...) are
computed once at import time so that validation never rebuilds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from validator._spec_types import (
    EXPECTED_TYPE_NAME,
    Field,
    ImageSlot,
    Kind,
    Limit,
    ModelSpec,
    SizeLimits,
    TaskSpec,
)
from validator.types import (
    ControlMode,
    Exclusion,
    GarmentClass,
    ImageGenerationConfig,
    LongSleeveStyle,
    MaskShape,
    MaskType,
    MergeStyle,
    ModelId,
    OuterLayerStyle,
    OutPaintingMode,
    Quality,
    Style,
    TaskType,
    TuckingStyle,
)

__all__ = [
    "COLOR_PATTERN",
    "EXPECTED_TYPE_NAME",
    "MODEL_SPECS",
    "NOVA_INPUT",
    "NOVA_OUTPUT",
    "TITAN_INPUT_MAX_SIDE",
    "TITAN_SIZES",
    "Field",
    "ImageSlot",
    "Kind",
    "Limit",
    "ModelSpec",
    "SizeLimits",
    "TaskSpec",
    "model_spec",
    "task_spec",
]


# --- constants ---

COLOR_PATTERN: Final = "^#[0-9A-Fa-f]{6}$"  # docs/CONTRACT.md §3.3 colors (D33)

NOVA_OUTPUT: Final = SizeLimits(
    min_side=320, max_side=4096, max_ratio=4, max_pixels=4_194_304, step=16
)  # docs/CONTRACT.md §4.1
NOVA_INPUT: Final = SizeLimits(
    min_side=320, max_side=4096, max_ratio=4, max_pixels=4_194_304, step=None
)  # docs/CONTRACT.md §5.2
TITAN_INPUT_MAX_SIDE: Final = 1408  # docs/CONTRACT.md §5.2

#: docs/CONTRACT.md §4.2: the 25 Titan (width, height) pairs, in the published order.
TITAN_SIZES: Final[tuple[tuple[int, int], ...]] = (
    (1024, 1024), (768, 768), (512, 512), (768, 1152), (384, 576), (1152, 768), (576, 384),
    (768, 1280), (384, 640), (1280, 768), (640, 384), (896, 1152), (448, 576), (1152, 896), (576, 448),
    (768, 1408), (384, 704), (1408, 768), (704, 384), (640, 1408), (320, 704), (1408, 640), (704, 320),
    (1152, 640), (1173, 640),
)  # fmt: skip

_SEED_MAX: Final = "2147483646"  # both models (docs/CONTRACT.md D1 in docs/CONTRACT.md §10)
#: Nova seeds above this are accepted but draw W-SEED-LEGACY: earlier revisions of the Nova API, AWS's SDK
#: examples and AWS's Nova MCP server cap the seed here (docs/CONTRACT.md D1).
NOVA_LEGACY_SEED_MAX: Final = 858_993_459


# --- field builders ---


def _values(enum_type: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum_type)


def _text(name: str, max_len: int, *, required: bool = False) -> Field:
    return Field(name, Kind.STRING, required=required, min_length=1, max_length=max_len)


def _image(name: str, *, required: bool = False, mask_of: tuple[str, ...] | None = None) -> Field:
    return Field(name, Kind.IMAGE, required=required, mask_of=mask_of)


def _enum(name: str, enum_type: type[StrEnum], *, required: bool = False, default: object = None) -> Field:
    return Field(name, Kind.ENUM, required=required, enum=_values(enum_type), default=default)


def _number(name: str, low: str, high: str, default: object) -> Field:
    return Field(name, Kind.NUMBER, minimum=Limit(low), maximum=Limit(high), default=default)


def _object(name: str, *fields: Field, required: bool = False) -> Field:
    return Field(name, Kind.OBJECT, required=required, fields=fields)


def _config(seed_max: str, defaults: ImageGenerationConfig) -> Field:
    """docs/CONTRACT.md §3.2: the same six keys for every task that takes the object."""
    return _object(
        "imageGenerationConfig",
        # No range here: the size rules of docs/CONTRACT.md §4 are semantic.
        Field("width", Kind.INTEGER, default=defaults.width),
        Field("height", Kind.INTEGER, default=defaults.height),
        _enum("quality", Quality, default=defaults.quality),
        _number("cfgScale", "1.1", "10", defaults.cfg_scale),
        Field(
            "numberOfImages",
            Kind.INTEGER,
            minimum=Limit("1"),
            maximum=Limit("5"),
            default=defaults.number_of_images,
        ),
        Field("seed", Kind.INTEGER, minimum=Limit("0"), maximum=Limit(seed_max), default=defaults.seed),
    )


def _control_fields() -> tuple[Field, ...]:
    """Image conditioning (Nova, Titan v2; docs/CONTRACT.md §3.3, §3.4). Defaults apply only with
    conditionImage (docs/CONTRACT.md D6)."""
    return (
        _image("conditionImage"),
        _enum("controlMode", ControlMode, default=ControlMode.CANNY_EDGE),
        _number("controlStrength", "0", "1.0", 0.7),
    )


def _text_to_image(model: ModelId, text_max: int) -> Field:
    text = (_text("text", text_max, required=True), _text("negativeText", text_max))
    if model is ModelId.NOVA_CANVAS:
        extra: tuple[Field, ...] = (_enum("style", Style), *_control_fields())
    elif model is ModelId.TITAN_V2:
        extra = _control_fields()
    else:
        extra = ()
    return _object("textToImageParams", *text, *extra, required=True)


def _color_guided(text_max: int) -> Field:
    colors = Field(
        "colors",
        Kind.ARRAY,
        required=True,
        min_items=1,
        max_items=10,
        items=Field("", Kind.STRING, pattern=COLOR_PATTERN),
    )
    return _object(
        "colorGuidedGenerationParams",
        colors,
        _image("referenceImage"),
        _text("text", text_max, required=True),
        _text("negativeText", text_max),
        required=True,
    )


def _variation(model: ModelId, text_max: int) -> Field:
    images = Field("images", Kind.ARRAY, required=True, min_items=1, max_items=5, items=_image(""))
    similarity = _number("similarityStrength", "0.2", "1.0", 0.7)  # default docs/CONTRACT.md D5
    texts = (_text("text", text_max), _text("negativeText", text_max))  # text optional (docs/CONTRACT.md D3)
    # Field order follows each model's table: Nova docs/CONTRACT.md §3.3, Titan §3.4.
    if model is ModelId.NOVA_CANVAS:
        return _object("imageVariationParams", images, similarity, *texts, required=True)
    return _object("imageVariationParams", images, *texts, similarity, required=True)


def _editing(model: ModelId, key: str, text_max: int, *, outpainting: bool) -> Field:
    """INPAINTING / OUTPAINTING params (docs/CONTRACT.md §3.3, §3.4). Titan OUTPAINTING requires text
    (docs/CONTRACT.md D4)."""
    fields: list[Field] = [
        _image("image", required=True),
        _text("maskPrompt", text_max),  # docs/CONTRACT.md D36
        _image("maskImage", mask_of=(key, "image")),
        _text("text", text_max, required=outpainting and model.is_titan),
        _text("negativeText", text_max),
    ]
    if outpainting:
        fields.append(_enum("outPaintingMode", OutPaintingMode, default=OutPaintingMode.DEFAULT))
    if model.is_titan:
        fields.append(Field("returnMask", Kind.BOOLEAN, default=False))  # docs/CONTRACT.md D11
    return _object(key, *fields, required=True)


def _virtual_try_on(text_max: int) -> Field:
    """docs/CONTRACT.md §3.3 VIRTUAL_TRY_ON (Nova user guide, *Virtual try-on*)."""
    garment_styling = _object(
        "garmentStyling",
        _enum("longSleeveStyle", LongSleeveStyle),
        _enum("tuckingStyle", TuckingStyle),
        _enum("outerLayerStyle", OuterLayerStyle, default=OuterLayerStyle.CLOSED),
    )
    return _object(
        "virtualTryOnParams",
        _image("sourceImage", required=True),
        _image("referenceImage", required=True),
        _enum("maskType", MaskType, required=True),
        _object(
            "imageBasedMask",
            _image("maskImage", required=True, mask_of=("virtualTryOnParams", "sourceImage")),
        ),
        _object(
            "garmentBasedMask",
            _enum("garmentClass", GarmentClass, required=True),
            _enum("maskShape", MaskShape, default=MaskShape.DEFAULT),
            garment_styling,
        ),
        _object(
            "promptBasedMask",
            _text("maskPrompt", text_max, required=True),
            _enum("maskShape", MaskShape, default=MaskShape.BOUNDING_BOX),
        ),
        _object(
            "maskExclusions",
            _enum("preserveBodyPose", Exclusion, default=Exclusion.DEFAULT),
            _enum("preserveHands", Exclusion, default=Exclusion.DEFAULT),
            _enum("preserveFace", Exclusion, default=Exclusion.DEFAULT),
        ),
        _enum("mergeStyle", MergeStyle, default=MergeStyle.BALANCED),  # docs/CONTRACT.md D25
        Field("returnMask", Kind.BOOLEAN, default=False),
        required=True,
    )


# --- per-model tables ---

#: Tasks each model serves, in the order of its taskType enum (docs/CONTRACT.md §1.2, §3.1).
_TASKS: Final[Mapping[ModelId, tuple[TaskType, ...]]] = MappingProxyType(
    {
        ModelId.NOVA_CANVAS: tuple(TaskType),
        ModelId.TITAN_V2: tuple(t for t in TaskType if t is not TaskType.VIRTUAL_TRY_ON),
        ModelId.TITAN_V1: (
            TaskType.TEXT_IMAGE,
            TaskType.IMAGE_VARIATION,
            TaskType.INPAINTING,
            TaskType.OUTPAINTING,
        ),
    }
)

_SIZE_RULES: Final = (
    "SEM-SIZE-RANGE",
    "SEM-SIZE-STEP",
    "SEM-SIZE-RATIO",
    "SEM-SIZE-PIXELS",
    "SEM-SIZE-TITAN",
)
_MASK_RULES: Final = ("SEM-MASK-BOTH", "SEM-MASK-NONE")


def _params(model: ModelId, task: TaskType, text_max: int) -> Field:
    if task is TaskType.TEXT_IMAGE:
        return _text_to_image(model, text_max)
    if task is TaskType.COLOR_GUIDED_GENERATION:
        return _color_guided(text_max)
    if task is TaskType.IMAGE_VARIATION:
        return _variation(model, text_max)
    if task is TaskType.INPAINTING:
        return _editing(model, "inPaintingParams", text_max, outpainting=False)
    if task is TaskType.OUTPAINTING:
        return _editing(model, "outPaintingParams", text_max, outpainting=True)
    if task is TaskType.BACKGROUND_REMOVAL:
        return _object("backgroundRemovalParams", _image("image", required=True), required=True)
    return _virtual_try_on(text_max)


def _rules(model: ModelId, task: TaskType) -> tuple[str, ...]:
    """The docs/CONTRACT.md §7.3 rules of a task, in table order (image rules always run last, per image
    field)."""
    rules: tuple[str, ...] = ()
    if task is TaskType.VIRTUAL_TRY_ON:
        rules = ("SEM-VTO-MASK-MISSING", "SEM-VTO-MASK-STRAY")
    elif task in (TaskType.INPAINTING, TaskType.OUTPAINTING):
        rules = _MASK_RULES
    elif task is TaskType.TEXT_IMAGE and model is not ModelId.TITAN_V1:
        rules = ("SEM-CONTROL-NO-IMAGE",)
    if model.is_titan:
        # Titan checks the effective width/height pair on every task, the editing tasks and background
        # removal included, although those then ignore a valid pair (docs/CONTRACT.md D37).
        rules += _SIZE_RULES[-1:]
    elif task in (TaskType.TEXT_IMAGE, TaskType.COLOR_GUIDED_GENERATION, TaskType.IMAGE_VARIATION):
        rules += _SIZE_RULES[:-1]
    return rules


def _output_from(params_key: str, task: TaskType) -> tuple[str, ...] | None:
    if task in (TaskType.INPAINTING, TaskType.OUTPAINTING, TaskType.BACKGROUND_REMOVAL):
        return (params_key, "image")
    if task is TaskType.VIRTUAL_TRY_ON:
        return (params_key, "sourceImage")
    return None


def _task_spec(model: ModelId, task: TaskType, task_field: Field, config: Field, text_max: int) -> TaskSpec:
    params = _params(model, task, text_max)
    root = _object("", task_field, params, config)
    rules = _rules(model, task)
    return TaskSpec(
        task_type=task,
        params_key=params.name,
        root=root,
        rules=rules,
        output_from=_output_from(params.name, task),
        dims_ignored=task in (TaskType.INPAINTING, TaskType.OUTPAINTING, TaskType.VIRTUAL_TRY_ON),
        config_ignored=task is TaskType.BACKGROUND_REMOVAL,
        **_ties(rules),
    )


#: docs/CONTRACT.md §3.5: the params members each cross-field rule ties together.
_MASK_PAIR: Final = ("maskPrompt", "maskImage")
_CONTROL_FIELDS: Final = ("controlMode", "controlStrength")
_CONTROL_IMAGE: Final = "conditionImage"
_VTO_MASK_OBJECTS: Final = (
    (MaskType.IMAGE.value, "imageBasedMask"),
    (MaskType.GARMENT.value, "garmentBasedMask"),
    (MaskType.PROMPT.value, "promptBasedMask"),
)


def _ties(rules: tuple[str, ...]) -> dict[str, Any]:
    """TaskSpec's cross-field name ties for the rules a task runs."""
    ties: dict[str, Any] = {}
    if "SEM-MASK-BOTH" in rules:
        ties["mask_pair"] = _MASK_PAIR
    if "SEM-CONTROL-NO-IMAGE" in rules:
        ties["control_fields"], ties["control_image"] = _CONTROL_FIELDS, _CONTROL_IMAGE
    if "SEM-VTO-MASK-MISSING" in rules:
        ties["mask_objects"] = _VTO_MASK_OBJECTS
    return ties


def _model_spec(model: ModelId) -> ModelSpec:
    titan = model.is_titan
    defaults = ImageGenerationConfig(  # docs/CONTRACT.md §8.1, D22
        width=1024,
        height=1024,
        quality=Quality.STANDARD,
        cfg_scale=8.0 if titan else 6.5,
        number_of_images=1,
        seed=42 if titan else 12,
    )
    text_max = 512 if titan else 1024  # docs/CONTRACT.md §3.3, §3.4
    tasks = _TASKS[model]
    task_field = Field("taskType", Kind.ENUM, required=True, enum=tuple(t.value for t in tasks))
    config = _config(_SEED_MAX, defaults)
    specs = {t: _task_spec(model, t, task_field, config, text_max) for t in tasks}
    root_keys = frozenset({"taskType", "imageGenerationConfig", *(s.params_key for s in specs.values())})
    return ModelSpec(
        model=model,
        tasks=MappingProxyType(specs),
        root_keys=root_keys,
        task_field=task_field,
        defaults=defaults,
        text_max=text_max,
        titan_sizes=frozenset(TITAN_SIZES) if titan else None,
        nova_output=None if titan else NOVA_OUTPUT,
        nova_input=None if titan else NOVA_INPUT,
        titan_input_max_side=TITAN_INPUT_MAX_SIDE if titan else None,
        legacy_seed_max=None if titan else NOVA_LEGACY_SEED_MAX,
    )


#: Every served model's spec, keyed by canonical id.
MODEL_SPECS: Final[Mapping[ModelId, ModelSpec]] = MappingProxyType({m: _model_spec(m) for m in ModelId})


def model_spec(model: ModelId) -> ModelSpec:
    """The spec of one served model."""
    return MODEL_SPECS[model]


def task_spec(model: ModelId, task: TaskType) -> TaskSpec | None:
    """The spec of one task on one model, or None when the model does not serve the task (docs/CONTRACT.md
    §1.2)."""
    return MODEL_SPECS[model].tasks.get(task)
