"""The structure of the contract table in `validator.spec`: field, task and model descriptions.

These frozen classes are re-exported by `validator.spec`, which holds the data; import them from there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from validator.types import ImageGenerationConfig, ModelId, TaskType


class Kind(StrEnum):
    """The JSON type of a field. `IMAGE` is a string at the schema stage, decoded by the semantic stage
    (docs/CONTRACT.md §5).

    `ENUM` fields have no type check of their own: any non-member, whatever its type, gets the enum template
    (docs/CONTRACT.md D27, D32).
    """

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    OBJECT = "object"
    ARRAY = "array"
    ENUM = "enum"
    IMAGE = "image"


#: The everit type name printed in `expected type: <Expected>` for each kind (docs/CONTRACT.md §7.1).
EXPECTED_TYPE_NAME: Final[Mapping[Kind, str]] = MappingProxyType(
    {
        Kind.STRING: "String",
        Kind.IMAGE: "String",
        Kind.INTEGER: "Integer",
        Kind.NUMBER: "Number",
        Kind.BOOLEAN: "Boolean",
        Kind.OBJECT: "JSONObject",
        Kind.ARRAY: "JSONArray",
    }
)


@dataclass(frozen=True)
class Limit:
    """An inclusive numeric bound: its exact value and the form printed in messages (the printed limits of
    docs/CONTRACT.md §7.1)."""

    text: str
    #: The bound as a Decimal (exact, so `1.1` is not a binary approximation).
    value: Decimal = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", Decimal(self.text))


@dataclass(frozen=True)
class Field:
    """One JSON value of the request schema (docs/CONTRACT.md §3). See the module docstring."""

    name: str
    kind: Kind
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    minimum: Limit | None = None
    maximum: Limit | None = None
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    items: Field | None = None
    fields: tuple[Field, ...] = ()
    default: object = None
    mask_of: tuple[str, ...] | None = None
    # Derived lookups, filled by __post_init__ (not part of equality).
    by_name: Mapping[str, Field] = field(init=False, repr=False, compare=False)
    required_names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    enum_set: frozenset[str] = field(init=False, repr=False, compare=False)
    compiled: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # `search`, like everit's Matcher.find(); Python's `$` also matches before a final newline, as Java's.
        object.__setattr__(self, "compiled", re.compile(self.pattern) if self.pattern is not None else None)
        object.__setattr__(self, "by_name", MappingProxyType({f.name: f for f in self.fields}))
        object.__setattr__(self, "required_names", tuple(f.name for f in self.fields if f.required))
        object.__setattr__(self, "enum_set", frozenset(self.enum))


@dataclass(frozen=True)
class SizeLimits:
    """Nova's size rules (docs/CONTRACT.md §4.1 for outputs, §5.2 for inputs). `step` is None for inputs (no
    /16 rule)."""

    min_side: int
    max_side: int
    max_ratio: int
    max_pixels: int
    step: int | None


@dataclass(frozen=True)
class ImageSlot:
    """Where a task carries an image: the path from the root, whether the value is an array of images, and
    for masks the path of the image they must match (docs/CONTRACT.md §5.3)."""

    path: tuple[str, ...]
    array: bool
    mask_of: tuple[str, ...] | None

    @property
    def pointer(self) -> str:
        """The JSON pointer of the field (array items add `/<index>`)."""
        return "#/" + "/".join(self.path)


@dataclass(frozen=True)
class TaskSpec:
    """One task of one model."""

    task_type: TaskType
    params_key: str
    root: Field
    # Ids of the docs/CONTRACT.md §7.3 cross-field rules, in table order (implemented in validator._semantic).
    rules: tuple[str, ...]
    # None: the output size is imageGenerationConfig width x height; otherwise the path of the image whose
    # size the output keeps (docs/CONTRACT.md §4).
    output_from: tuple[str, ...] | None
    dims_ignored: bool  # W-DIM-IGNORED applies (docs/CONTRACT.md D7)
    config_ignored: bool  # W-CONFIG-IGNORED applies (docs/CONTRACT.md D8)
    # The names the docs/CONTRACT.md §3.5 cross-field rules tie together, inside the params object. One copy,
    # read by the semantic stage, the compiled fast path and the Hypothesis strategies.
    #: SEM-MASK-BOTH / SEM-MASK-NONE: exactly one of these two is sent.
    mask_pair: tuple[str, str] | None = None
    #: SEM-CONTROL-NO-IMAGE: any of these needs `control_image`.
    control_fields: tuple[str, ...] = ()
    control_image: str | None = None
    #: SEM-VTO-MASK-MISSING / -STRAY: (maskType value, the object it requires), in maskType enum order.
    mask_objects: tuple[tuple[str, str], ...] = ()
    # Every image field, in docs/CONTRACT.md §3 table order (the order of the §7.3 image checks).
    image_slots: tuple[ImageSlot, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        params = self.root.by_name[self.params_key]
        object.__setattr__(self, "image_slots", tuple(_slots(params, (params.name,))))

    @property
    def params(self) -> Field:
        """The params object field."""
        return self.root.by_name[self.params_key]

    def mask_object(self, mask_type: str) -> str:
        """The params member a VTO `maskType` value requires (SEM-VTO-MASK-MISSING)."""
        return dict(self.mask_objects)[mask_type]

    @property
    def tied_fields(self) -> frozenset[str]:
        """Every params member some cross-field rule looks at."""
        names = (*(self.mask_pair or ()), *self.control_fields, *(o for _, o in self.mask_objects))
        return frozenset((*names, *((self.control_image,) if self.control_image else ())))


@dataclass(frozen=True)
class ModelSpec:
    """One served model."""

    model: ModelId
    tasks: Mapping[TaskType, TaskSpec]
    root_keys: frozenset[str]
    task_field: Field
    # What a request without imageGenerationConfig gets (docs/CONTRACT.md §8.1).
    defaults: ImageGenerationConfig
    text_max: int
    # Output sizes: Titan's list of pairs, or Nova's rules.
    titan_sizes: frozenset[tuple[int, int]] | None
    nova_output: SizeLimits | None
    # Input images: Nova's rules, or Titan's longest side.
    nova_input: SizeLimits | None
    titan_input_max_side: int | None
    #: Seeds above this are valid but draw W-SEED-LEGACY (Nova); None: no seed warning (Titan).
    legacy_seed_max: int | None = None


def _slots(f: Field, path: tuple[str, ...]) -> list[ImageSlot]:
    if f.kind is Kind.IMAGE:
        return [ImageSlot(path, array=False, mask_of=f.mask_of)]
    if f.kind is Kind.ARRAY and f.items is not None and f.items.kind is Kind.IMAGE:
        return [ImageSlot(path, array=True, mask_of=None)]
    return [slot for child in f.fields for slot in _slots(child, (*path, child.name))]
