"""Build the typed, defaulted `InvokeRequest` from a valid body (docs/CONTRACT.md §4, §8.1, D5-D8, D22, D25).

Runs only after the schema and semantic stages passed; defaults come from the `validator.spec` fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, TypeVar

from validator.report import RequestReport
from validator.spec import MODEL_SPECS, Field, ModelSpec, TaskSpec
from validator.types import (
    BackgroundRemovalParams,
    ColorGuidedGenerationParams,
    ControlMode,
    Exclusion,
    GarmentBasedMask,
    GarmentClass,
    GarmentStyling,
    ImageGenerationConfig,
    ImageSize,
    ImageVariationParams,
    InPaintingParams,
    InputImage,
    InvokeRequest,
    LongSleeveStyle,
    MaskExclusions,
    MaskShape,
    MaskType,
    MergeStyle,
    ModelId,
    OuterLayerStyle,
    OutPaintingMode,
    OutPaintingParams,
    PromptBasedMask,
    Quality,
    Style,
    TaskParams,
    TaskType,
    TextToImageParams,
    TuckingStyle,
    VirtualTryOnParams,
)

Json = dict[str, Any]
Images = Mapping[str, InputImage]
T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


def _new(cls: type[T], **values: object) -> T:
    """Build a frozen dataclass without running its generated `__init__`.

    Frozen `__init__` sets each field through `object.__setattr__`, which made object construction the largest
    cost of validating a small body; here every field is always given, so filling `__dict__` directly is
    equivalent (the types have no `__post_init__`). tests/validator/test_api.py (`_all_fields_set`) checks
    that every field is set.
    """
    obj = object.__new__(cls)
    obj.__dict__.update(values)
    return obj


def _by_value(enum_type: type[E]) -> Mapping[str, E]:
    """Wire value → member, a dict lookup instead of the slower `EnumType.__call__`."""
    members: list[E] = list(enum_type.__members__.values())
    return MappingProxyType({member.value: member for member in members})


#: Per model, imageGenerationConfig's wire keys → defaults (docs/CONTRACT.md §8.1), from the spec.
_CONFIG_DEFAULTS: Final[Mapping[ModelId, Mapping[str, Any]]] = MappingProxyType(
    {
        model: MappingProxyType(
            {
                f.name: f.default
                for f in spec.tasks[TaskType.TEXT_IMAGE].root.by_name["imageGenerationConfig"].fields
            }
        )
        for model, spec in MODEL_SPECS.items()
    }
)
_QUALITY: Final = _by_value(Quality)
_STYLE: Final = _by_value(Style)
_CONTROL_MODE: Final = _by_value(ControlMode)
_OUT_PAINTING_MODE: Final = _by_value(OutPaintingMode)


def _get(obj: Json, f: Field, name: str) -> Any:
    """The sent value of `name`, or its spec default."""
    return obj.get(name, f.by_name[name].default)


def _float(value: object) -> float:
    assert isinstance(value, int | float | Decimal)
    return float(value)


def _config(doc: Json, task: TaskSpec, spec: ModelSpec) -> ImageGenerationConfig:
    defaults = _CONFIG_DEFAULTS[spec.model]
    # BACKGROUND_REMOVAL ignores the whole config (docs/CONTRACT.md D8).
    sent = None if task.config_ignored else doc.get("imageGenerationConfig")
    merged: Mapping[str, Any] = defaults if not sent else {**defaults, **sent}
    ignore_dims = task.dims_ignored  # docs/CONTRACT.md D7: sent width/height are ignored on editing tasks
    return _new(
        ImageGenerationConfig,
        width=defaults["width"] if ignore_dims else merged["width"],
        height=defaults["height"] if ignore_dims else merged["height"],
        quality=_QUALITY[merged["quality"]],
        cfg_scale=_float(merged["cfgScale"]),
        number_of_images=merged["numberOfImages"],
        seed=merged["seed"],
    )


def _text_image(p: Json, f: Field, base: str, images: Images) -> TaskParams:
    condition = images.get(f"{base}/conditionImage")
    style = p.get("style")
    return _new(
        TextToImageParams,
        text=p["text"],
        negative_text=p.get("negativeText"),
        style=_STYLE[style] if style is not None else None,
        condition_image=condition,
        # docs/CONTRACT.md D6: control defaults apply only when conditioning is on.
        control_mode=_CONTROL_MODE[_get(p, f, "controlMode")] if condition is not None else None,
        control_strength=_float(_get(p, f, "controlStrength")) if condition is not None else None,
    )


def _color(p: Json, f: Field, base: str, images: Images) -> TaskParams:
    return ColorGuidedGenerationParams(
        text=p["text"],
        colors=tuple(p["colors"]),
        negative_text=p.get("negativeText"),
        reference_image=images.get(f"{base}/referenceImage"),
    )


def _variation(p: Json, f: Field, base: str, images: Images) -> TaskParams:
    return ImageVariationParams(
        images=tuple(images[f"{base}/images/{i}"] for i in range(len(p["images"]))),
        similarity_strength=_float(_get(p, f, "similarityStrength")),
        text=p.get("text"),
        negative_text=p.get("negativeText"),
    )


def _inpainting(p: Json, f: Field, base: str, images: Images) -> TaskParams:
    return InPaintingParams(
        image=images[f"{base}/image"],
        mask_prompt=p.get("maskPrompt"),
        mask_image=images.get(f"{base}/maskImage"),
        text=p.get("text"),
        negative_text=p.get("negativeText"),
        return_mask=p.get("returnMask", False),
    )


def _outpainting(p: Json, f: Field, base: str, images: Images) -> TaskParams:
    return OutPaintingParams(
        image=images[f"{base}/image"],
        mask_prompt=p.get("maskPrompt"),
        mask_image=images.get(f"{base}/maskImage"),
        text=p.get("text"),
        negative_text=p.get("negativeText"),
        out_painting_mode=_OUT_PAINTING_MODE[_get(p, f, "outPaintingMode")],
        return_mask=p.get("returnMask", False),
    )


def _background(p: Json, f: Field, base: str, images: Images) -> TaskParams:
    return BackgroundRemovalParams(image=images[f"{base}/image"])


def _garment(p: Json, f: Field) -> GarmentBasedMask | None:
    g = p.get("garmentBasedMask")
    if g is None:
        return None
    gf = f.by_name["garmentBasedMask"]
    styling: Json = g.get("garmentStyling", {})
    sf = gf.by_name["garmentStyling"]
    sleeve, tuck = styling.get("longSleeveStyle"), styling.get("tuckingStyle")
    return GarmentBasedMask(
        garment_class=GarmentClass(g["garmentClass"]),
        mask_shape=MaskShape(_get(g, gf, "maskShape")),
        garment_styling=GarmentStyling(
            long_sleeve_style=LongSleeveStyle(sleeve) if sleeve is not None else None,
            tucking_style=TuckingStyle(tuck) if tuck is not None else None,
            outer_layer_style=OuterLayerStyle(_get(styling, sf, "outerLayerStyle")),
        ),
    )


def _prompt_mask(p: Json, f: Field) -> PromptBasedMask | None:
    m = p.get("promptBasedMask")
    if m is None:
        return None
    return PromptBasedMask(m["maskPrompt"], MaskShape(_get(m, f.by_name["promptBasedMask"], "maskShape")))


def _exclusions(p: Json, f: Field) -> MaskExclusions:
    e: Json = p.get("maskExclusions", {})
    ef = f.by_name["maskExclusions"]
    return MaskExclusions(
        preserve_body_pose=Exclusion(_get(e, ef, "preserveBodyPose")),
        preserve_hands=Exclusion(_get(e, ef, "preserveHands")),
        preserve_face=Exclusion(_get(e, ef, "preserveFace")),
    )


def _try_on(p: Json, f: Field, base: str, images: Images) -> TaskParams:
    return VirtualTryOnParams(
        source_image=images[f"{base}/sourceImage"],
        reference_image=images[f"{base}/referenceImage"],
        mask_type=MaskType(p["maskType"]),
        image_based_mask=images.get(f"{base}/imageBasedMask/maskImage"),
        garment_based_mask=_garment(p, f),
        prompt_based_mask=_prompt_mask(p, f),
        mask_exclusions=_exclusions(p, f),
        merge_style=MergeStyle(_get(p, f, "mergeStyle")),
        return_mask=p.get("returnMask", False),
    )


_Builder = Callable[[Json, Field, str, Images], TaskParams]

_BUILDERS: Final[Mapping[TaskType, _Builder]] = MappingProxyType(
    {
        TaskType.TEXT_IMAGE: _text_image,
        TaskType.COLOR_GUIDED_GENERATION: _color,
        TaskType.IMAGE_VARIATION: _variation,
        TaskType.INPAINTING: _inpainting,
        TaskType.OUTPAINTING: _outpainting,
        TaskType.BACKGROUND_REMOVAL: _background,
        TaskType.VIRTUAL_TRY_ON: _try_on,
    }
)


def build_request(doc: Json, task: TaskSpec, spec: ModelSpec, images: Images) -> InvokeRequest:
    """The typed request the model would run, with every default filled in."""
    params_field = task.params
    params = _BUILDERS[task.task_type](doc[task.params_key], params_field, f"#/{task.params_key}", images)
    config = _config(doc, task, spec)
    if task.output_from is None:
        size = _new(ImageSize, width=config.width, height=config.height)
    else:
        size = images["#/" + "/".join(task.output_from)].size
    return _new(
        InvokeRequest,
        model=spec.model,
        task_type=task.task_type,
        params=params,
        config=config,
        output_size=size,
    )


# --- plain bodies ---

_NO_IMAGES: Final[Images] = MappingProxyType({})


def plain_report(doc: Json, task: TaskSpec, spec: ModelSpec) -> RequestReport:
    """The report of a body the compiled fast path (`validator._fast`) found plainly valid: no image, no
    error, no warning, so no later stage runs."""
    request = build_request(doc, task, spec, _NO_IMAGES)
    return RequestReport(model=spec.model, error=None, errors=(), warnings=(), request=request, document=doc)
