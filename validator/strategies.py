"""Hypothesis strategies for InvokeModel request bodies, built from `validator.spec` (CONTRACT.md §3-§5).

* `valid_requests(model, task)`: bodies Bedrock accepts, with real small PNG/JPEG images and pure black and
  white masks at sizes legal for the model (encoded once and cached, so drawing is fast).
* `invalid_requests(model, task)`: `(body, error)` pairs. Each body is a valid one with exactly one
  mutation (a value out of range, of the wrong type or outside its enum, an extraneous or missing key, an
  empty or too long string, a bad colour, a wrong item count, an illegal output size, a broken image or
  mask, a cross-field rule broken) and `error` is the `BedrockError` Bedrock answers with.

`task=None` draws any task the model serves. Bodies are plain JSON-ready dicts (numbers are `int` or
`float`); pass them to `validate_request` as they are, or `json.dumps` them first.

The expected messages use the wording tables of `validator._render` (checked against CONTRACT.md by the
fixture cases); the pointer, the rule chosen and the values printed are worked out here, independently of
the validator's own checks.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import math
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, Final

import numpy as np
from hypothesis import strategies as st
from PIL import Image

from validator._render import detail, semantic
from validator.messages import MALFORMED_PREFIX, MALFORMED_SUFFIX
from validator.report import BedrockError
from validator.spec import EXPECTED_TYPE_NAME, Field, Kind, ModelSpec, TaskSpec, model_spec
from validator.types import ModelId, TaskType

__all__ = ["Body", "encoded_image", "invalid_requests", "valid_requests"]

Body = dict[str, Any]
Path = tuple[str | int, ...]

# Input sizes legal for each model (§5.2): Nova needs 320-4096 px sides (not /16); Titan has no minimum.
_NOVA_SIZES: Final = ((320, 320), (400, 336), (320, 640))
_TITAN_SIZES: Final = ((64, 64), (80, 48), (48, 96))
_IMAGE_KINDS: Final = ("png", "jpeg", "png-palette", "png-rgba-opaque")
_MASK_KINDS: Final = ("mask-png", "mask-png-grey")
_TEXT: Final = st.characters(codec="utf-8")
# §3.5 cross-field rules: the names they tie together (the rule ids come from TaskSpec.rules).
_MASK_PAIR: Final = ("maskPrompt", "maskImage")
_CONTROL: Final = ("controlMode", "controlStrength")
_VTO_OBJECTS: Final = {"IMAGE": "imageBasedMask", "GARMENT": "garmentBasedMask", "PROMPT": "promptBasedMask"}


# --- images (Pillow-encoded once per kind and size) ---


def _picture(width: int, height: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """A smooth RGB gradient with a square: cheap to make, not flat, identical on every run."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), (x + y) % 256], axis=-1)
    rgb[height // 4 : height // 2, width // 4 : width // 2] = (200, 30, 30)
    return rgb.astype(np.uint8)


def _mask(width: int, height: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """White (kept) with a black (edited) block."""
    grey = np.full((height, width), 255, dtype=np.uint8)
    grey[height // 4 : height * 3 // 4, width // 4 : width * 3 // 4] = 0
    return grey


def _save(img: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def _png_rgb16(width: int, height: int) -> bytes:
    """A 16-bit RGB PNG, written by hand (Pillow cannot write one)."""
    row = b"\x00" + b"\x12\x34" * 3 * width
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    idat = zlib.compress(row * height)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _holes(width: int, height: int, n: int) -> bytes:
    """RGBA PNG whose first `n` pixels (row-major) are fully transparent."""
    rgba = np.dstack([_picture(width, height), np.full((height, width), 255, dtype=np.uint8)])
    rgba.reshape(-1, 4)[:n, 3] = 0
    return _save(Image.fromarray(rgba, "RGBA"), "PNG")


def _grey_mask_pixels(width: int, height: int, n: int) -> bytes:
    """A mask PNG whose first `n` pixels are mid grey (neither pure black nor pure white)."""
    grey = _mask(width, height)
    grey.reshape(-1)[:n] = 128
    return _save(Image.fromarray(grey, "L"), "PNG")


_ENCODERS: Final[dict[str, Callable[[int, int], bytes]]] = {
    "png": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB"), "PNG"),
    "jpeg": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB"), "JPEG", quality=90),
    "png-palette": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB").quantize(64), "PNG"),
    "png-rgba-opaque": lambda w, h: _holes(w, h, 0),
    "mask-png": lambda w, h: _save(Image.fromarray(_mask(w, h), "L").convert("RGB"), "PNG"),
    "mask-png-grey": lambda w, h: _save(Image.fromarray(_mask(w, h), "L"), "PNG"),
    "png-grey": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB").convert("L"), "PNG"),
    "jpeg-grey": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB").convert("L"), "JPEG"),
    "jpeg-cmyk": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB").convert("CMYK"), "JPEG"),
    "png-grey16": lambda w, h: _save(Image.fromarray(_mask(w, h).astype(np.uint16) * 257), "PNG"),
    "png-rgb16": _png_rgb16,
    "png-truncated": lambda w, h: _ENCODERS["png"](w, h)[:-200],
    "gif": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB"), "GIF"),
    "bmp": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB"), "BMP"),
    "tiff": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB"), "TIFF"),
    "webp": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB"), "WEBP"),
    "text": lambda w, h: b"not an image at all",
}


@cache
def encoded_image(kind: str, width: int, height: int, n: int = 0) -> str:
    """Base64 of a small image of one `kind` (`_ENCODERS`, or `holes`/`mask-grey-pixels` with `n`), cached."""
    if kind == "holes":
        data = _holes(width, height, n)
    elif kind == "mask-grey-pixels":
        data = _grey_mask_pixels(width, height, n)
    else:
        data = _ENCODERS[kind](width, height)
    return base64.b64encode(data).decode("ascii")


# --- valid bodies ---


@dataclass(frozen=True)
class _Ctx:
    """What a draw needs besides the field: the model, the task and the size shared by masks and images."""

    spec: ModelSpec
    task: TaskSpec
    size: tuple[int, int]

    @property
    def mask_targets(self) -> frozenset[tuple[str, ...]]:
        return frozenset(f.mask_of for f in _walk_fields(self.task.params) if f.mask_of is not None)


def _walk_fields(f: Field) -> Iterator[Field]:
    yield f
    for child in (*f.fields, *((f.items,) if f.items is not None else ())):
        yield from _walk_fields(child)


def _input_sizes(spec: ModelSpec) -> tuple[tuple[int, int], ...]:
    return _TITAN_SIZES if spec.model.is_titan else _NOVA_SIZES


def _limits(f: Field) -> tuple[Decimal, Decimal]:
    assert f.minimum is not None and f.maximum is not None
    return f.minimum.value, f.maximum.value


def _number(f: Field) -> st.SearchStrategy[int | float]:
    """Integers and two-decimal floats inside the inclusive limits (`1.1` prints back as `1.1`)."""
    low, high = _limits(f)
    ints = st.integers(math.ceil(low), math.floor(high))
    cents = st.integers(math.ceil(low * 100), math.floor(high * 100)).map(lambda c: c / 100)
    return ints | cents if f.kind is Kind.NUMBER else ints


def _image(f: Field, path: Path, ctx: _Ctx) -> st.SearchStrategy[str]:
    named = tuple(p for p in path if isinstance(p, str))
    if f.mask_of is not None:
        return st.sampled_from(_MASK_KINDS).map(lambda k: encoded_image(k, *ctx.size))
    if named in ctx.mask_targets:
        sizes: st.SearchStrategy[tuple[int, int]] = st.just(ctx.size)
    else:
        sizes = st.sampled_from(_input_sizes(ctx.spec))
    return st.tuples(st.sampled_from(_IMAGE_KINDS), sizes).map(lambda ks: encoded_image(ks[0], *ks[1]))


def _value(f: Field, path: Path, ctx: _Ctx) -> st.SearchStrategy[Any]:
    """A schema-valid value for one field (cross-field rules are applied by the parent object)."""
    if f.kind is Kind.STRING:
        if f.pattern is not None:
            return st.from_regex(f.pattern, fullmatch=True)
        low, high = f.min_length or 0, f.max_length or 64
        return st.text(_TEXT, min_size=low, max_size=min(high, 40)) | st.integers(low, high).map("a".__mul__)
    if f.kind is Kind.IMAGE:
        return _image(f, path, ctx)
    if f.kind in (Kind.INTEGER, Kind.NUMBER):
        return _number(f) if f.minimum is not None else st.integers(1, 4096)
    if f.kind is Kind.BOOLEAN:
        return st.booleans()
    if f.kind is Kind.ENUM:
        return st.sampled_from(f.enum)
    if f.kind is Kind.ARRAY:
        assert f.items is not None
        items = _value(f.items, (*path, 0), ctx)
        return st.lists(items, min_size=f.min_items or 0, max_size=min(f.max_items or 3, 5))
    return _object(f, path, ctx)


def _object(f: Field, path: Path, ctx: _Ctx) -> st.SearchStrategy[Body]:
    @st.composite
    def build(draw: st.DrawFn) -> Body:
        out: Body = {}
        for child in f.fields:
            if child.required or draw(st.booleans()):
                out[child.name] = draw(_value(child, (*path, child.name), ctx))
        if f is ctx.task.params:
            _cross_field(draw, out, path, ctx)
        return out

    return build()


def _cross_field(draw: st.DrawFn, params: Body, path: Path, ctx: _Ctx) -> None:
    """Make a params object satisfy its task's §3.5 rules (TaskSpec.rules)."""
    f, rules = ctx.task.params, ctx.task.rules

    def add(name: str) -> None:
        params[name] = draw(_value(f.by_name[name], (*path, name), ctx))

    if "SEM-MASK-BOTH" in rules:
        for name in _MASK_PAIR:
            params.pop(name, None)
        add(draw(st.sampled_from(_MASK_PAIR)))
    if "SEM-CONTROL-NO-IMAGE" in rules and any(n in params for n in _CONTROL):
        if "conditionImage" not in params:
            add("conditionImage")
    if "SEM-VTO-MASK-MISSING" in rules:
        wanted = _VTO_OBJECTS[params["maskType"]]
        for name in _VTO_OBJECTS.values():
            params.pop(name, None)
        add(wanted)


def _output_size(ctx: _Ctx) -> st.SearchStrategy[tuple[int, int]]:
    """A legal output size (§4): one of Titan's pairs, or Nova's rules."""
    if ctx.spec.titan_sizes is not None:
        return st.sampled_from(sorted(ctx.spec.titan_sizes))
    lim = ctx.spec.nova_output
    assert lim is not None and lim.step is not None
    step = lim.step

    @st.composite
    def pair(draw: st.DrawFn) -> tuple[int, int]:
        w = draw(st.integers(lim.min_side // step, lim.max_side // step)) * step
        low = max(lim.min_side, -(-w // lim.max_ratio))
        high = min(lim.max_side, w * lim.max_ratio, lim.max_pixels // w)
        h = draw(st.integers(-(-low // step), high // step)) * step
        return w, h

    return pair()


def _config(ctx: _Ctx) -> st.SearchStrategy[Body]:
    """imageGenerationConfig: width/height both legal or both absent where the task's output uses them."""
    field = ctx.task.root.by_name["imageGenerationConfig"]
    sized = any(r.startswith("SEM-SIZE-") for r in ctx.task.rules)

    @st.composite
    def build(draw: st.DrawFn) -> Body:
        out = draw(_object(field, ("imageGenerationConfig",), ctx))
        if sized:
            out.pop("width", None)
            out.pop("height", None)
            if draw(st.booleans()):
                out["width"], out["height"] = draw(_output_size(ctx))
        return out

    return build()


def _draw_valid(draw: st.DrawFn, spec: ModelSpec, task: TaskSpec) -> tuple[Body, _Ctx]:
    ctx = _Ctx(spec, task, draw(st.sampled_from(_input_sizes(spec))))
    body: Body = {"taskType": task.task_type.value}
    body[task.params_key] = draw(_object(task.params, (task.params_key,), ctx))
    if draw(st.booleans()):
        body["imageGenerationConfig"] = draw(_config(ctx))
    return body, ctx


def _valid_body(spec: ModelSpec, task: TaskSpec) -> st.SearchStrategy[Body]:
    @st.composite
    def build(draw: st.DrawFn) -> Body:
        return _draw_valid(draw, spec, task)[0]

    return build()


def _tasks(model: ModelId | str, task: TaskType | str | None) -> tuple[ModelSpec, list[TaskSpec]]:
    spec = model_spec(ModelId(model))
    if task is None:
        return spec, list(spec.tasks.values())
    chosen = spec.tasks.get(TaskType(task))
    if chosen is None:
        raise ValueError(f"{spec.model.value} does not serve taskType {task}")
    return spec, [chosen]


def valid_requests(
    model: ModelId | str = ModelId.NOVA_CANVAS, task: TaskType | str | None = None
) -> st.SearchStrategy[Body]:
    """Request bodies that `model` accepts, for `task` (any task of the model when None)."""
    spec, tasks = _tasks(model, task)
    return st.one_of([_valid_body(spec, t) for t in tasks])


# --- invalid bodies: one mutation of a valid body, with the error it must produce ---

Invalid = tuple[Body, BedrockError]


@dataclass(frozen=True)
class _Site:
    """A value present in a valid body: where it is and what the spec says about it."""

    path: Path
    field: Field

    @property
    def pointer(self) -> str:
        return "#" + "".join(f"/{p}" for p in self.path)


def _sites(value: Any, f: Field, path: Path) -> Iterator[_Site]:
    yield _Site(path, f)
    if f.kind is Kind.OBJECT and isinstance(value, dict):
        for child in f.fields:
            if child.name in value:
                yield from _sites(value[child.name], child, (*path, child.name))
    elif f.kind is Kind.ARRAY and f.items is not None and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _sites(item, f.items, (*path, index))


def _get(body: Any, path: Path) -> Any:
    for part in path:
        body = body[part]
    return body


def _set(body: Body, path: Path, value: Any) -> Body:
    """A deep copy of `body` with the value at `path` replaced."""
    out = copy.deepcopy(body)
    _get(out, path[:-1])[path[-1]] = value
    return out


def _schema_error(pointer: str, keyword: str, **parts: object) -> BedrockError:
    message = MALFORMED_PREFIX + f"{pointer}: {detail(keyword, **parts)}" + MALFORMED_SUFFIX
    return BedrockError("ValidationException", 400, message)


def _semantic_error(pointer: str, rule: str, **parts: object) -> BedrockError:
    return BedrockError("ValidationException", 400, f"{pointer}: {semantic(rule, **parts)}")


def _java_type(value: Any) -> str:
    """The type name everit prints for a JSON value (§7.1 `<Found>` table)."""
    if value is None or isinstance(value, bool):
        return "Null" if value is None else "Boolean"
    if isinstance(value, int):
        bits = value.bit_length()
        return "Integer" if -(2**31) <= value < 2**31 else "Long" if bits < 64 else "BigInteger"
    if isinstance(value, float):
        return "BigDecimal"
    return "String" if isinstance(value, str) else "JSONObject" if isinstance(value, dict) else "JSONArray"


def _printed(value: Any) -> str:
    """A value as printed in enum/minimum/maximum details: raw strings, decimals as written."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_ANY_JSON: Final[dict[str, st.SearchStrategy[Any]]] = {
    "string": st.text(_TEXT, max_size=12),
    "integer": st.integers(),
    "decimal": st.floats(allow_nan=False, allow_infinity=False),
    "boolean": st.booleans(),
    "null": st.none(),
    "array": st.lists(st.integers() | st.text(_TEXT, max_size=4), max_size=3),
    "object": st.dictionaries(st.text(_TEXT, max_size=4), st.integers(), max_size=2),
}
_ACCEPTS: Final[dict[Kind, frozenset[str]]] = {
    Kind.STRING: frozenset({"string"}),
    Kind.IMAGE: frozenset({"string"}),
    Kind.INTEGER: frozenset({"integer"}),
    Kind.NUMBER: frozenset({"integer", "decimal"}),
    Kind.BOOLEAN: frozenset({"boolean"}),
    Kind.OBJECT: frozenset({"object"}),
    Kind.ARRAY: frozenset({"array"}),
}

_Mutation = Callable[[st.DrawFn, Body, _Site, _Ctx], Invalid]


def _wrong_type(draw: st.DrawFn, body: Body, site: _Site, ctx: _Ctx) -> Invalid:
    kinds = sorted(set(_ANY_JSON) - _ACCEPTS[site.field.kind])
    value = draw(st.sampled_from(kinds).flatmap(_ANY_JSON.__getitem__))
    expected, found = EXPECTED_TYPE_NAME[site.field.kind], _java_type(value)
    return _set(body, site.path, value), _schema_error(site.pointer, "type", expected=expected, found=found)


def _near_misses(f: Field) -> list[str]:
    """Realistic wrong values: another case or a stray space, and (taskType) tasks of other models."""
    near = [m.lower() for m in f.enum] + [m.title() for m in f.enum] + [m + " " for m in f.enum]
    if f.name == "taskType":
        near += [t.value for t in TaskType]
    return sorted(set(near) - f.enum_set)


def _bad_enum(draw: st.DrawFn, body: Body, site: _Site, ctx: _Ctx) -> Invalid:
    members = site.field.enum_set
    anything = st.one_of(list(_ANY_JSON.values())).filter(lambda v: not (isinstance(v, str) and v in members))
    value = draw(st.sampled_from(_near_misses(site.field)) | anything)
    return _set(body, site.path, value), _schema_error(site.pointer, "enum", value=_printed(value))


def _other_task(draw: st.DrawFn, body: Body, site: _Site, ctx: _Ctx) -> Invalid:
    """§3.1: a taskType of another served task makes this task's params key extraneous."""
    others = [t for t in ctx.spec.tasks.values() if t is not ctx.task]
    other = draw(st.sampled_from(others))
    out = _set(body, ("taskType",), other.task_type.value)
    violations = [
        f"#: {detail('required', name=other.params_key)}",
        f"#: {detail('additionalProperties', name=ctx.task.params_key)}",
    ]
    message = MALFORMED_PREFIX + ", ".join(violations) + MALFORMED_SUFFIX
    return out, BedrockError("ValidationException", 400, message)


def _out_of_range(draw: st.DrawFn, body: Body, site: _Site, ctx: _Ctx) -> Invalid:
    f = site.field
    low, high = _limits(f)
    above = draw(st.booleans())
    ints = (
        st.integers(int(high) + 1, int(high) + 10**12)
        if above
        else st.integers(int(low) - 10**12, math.ceil(low) - 1)
    )
    values: st.SearchStrategy[int | float] = ints
    if f.kind is Kind.NUMBER:
        bound = {"min_value": float(high)} if above else {"max_value": float(low)}
        floats = st.floats(allow_nan=False, allow_infinity=False, **bound)  # type: ignore[arg-type]
        values = ints | floats
    value = draw(values.filter(lambda v: (Decimal(repr(v)) > high) if above else (Decimal(repr(v)) < low)))
    keyword, limit = ("maximum", f.maximum) if above else ("minimum", f.minimum)
    assert limit is not None
    return _set(body, site.path, value), _schema_error(
        site.pointer, keyword, value=_printed(value), limit=limit.text
    )


def _extraneous(draw: st.DrawFn, body: Body, site: _Site, ctx: _Ctx) -> Invalid:
    known = site.field.by_name
    key = draw(st.text(_TEXT, min_size=1, max_size=12).filter(lambda k: k not in known))
    out = copy.deepcopy(body)
    _get(out, site.path)[key] = draw(st.one_of(list(_ANY_JSON.values())))
    return out, _schema_error(site.pointer, "additionalProperties", name=key)


def _missing(draw: st.DrawFn, body: Body, site: _Site, ctx: _Ctx) -> Invalid:
    name = draw(st.sampled_from(site.field.required_names))
    out = copy.deepcopy(body)
    del _get(out, site.path)[name]
    return out, _schema_error(site.pointer, "required", name=name)


def _bad_length(draw: st.DrawFn, body: Body, site: _Site, ctx: _Ctx) -> Invalid:
    f = site.field
    options = []
    if f.min_length:
        options.append(("minLength", f.min_length, st.integers(0, f.min_length - 1)))
    if f.max_length is not None:
        options.append(("maxLength", f.max_length, st.integers(f.max_length + 1, f.max_length + 100)))
    keyword, limit, lengths = draw(st.sampled_from(options))
    value = draw(lengths.flatmap(lambda n: st.text(_TEXT, min_size=n, max_size=n)))
    return _set(body, site.path, value), _schema_error(site.pointer, keyword, limit=limit, actual=len(value))


def _bad_pattern(draw: st.DrawFn, body: Body, site: _Site, ctx: _Ctx) -> Invalid:
    f, compiled = site.field, site.field.compiled
    assert compiled is not None
    near = st.from_regex(r"#?[0-9A-Za-z]{0,8}", fullmatch=True)
    value = draw((near | st.text(_TEXT, max_size=10)).filter(lambda v: compiled.search(v) is None))
    return _set(body, site.path, value), _schema_error(
        site.pointer, "pattern", value=value, pattern=f.pattern
    )


def _item_count(draw: st.DrawFn, body: Body, site: _Site, ctx: _Ctx) -> Invalid:
    f = site.field
    assert f.items is not None and f.min_items is not None and f.max_items is not None
    if draw(st.booleans()):
        count, keyword, limit = f.min_items - 1, "minItems", f.min_items
    else:
        count, keyword, limit = f.max_items + draw(st.integers(1, 3)), "maxItems", f.max_items
    items = draw(st.lists(_value(f.items, (*site.path, 0), ctx), min_size=count, max_size=count))
    return _set(body, site.path, items), _schema_error(site.pointer, keyword, limit=limit, actual=count)


# --- semantic mutations (§4, §5, §3.5) ---


def _legal_side(lim_low: int, lim_high: int, step: int) -> st.SearchStrategy[int]:
    return st.integers(-(-lim_low // step), lim_high // step).map(lambda k: k * step)


def _nova_size(draw: st.DrawFn, ctx: _Ctx) -> tuple[int, int, BedrockError]:
    """An output size breaking exactly the first failing rule of §4.1 that we aim at."""
    lim = ctx.spec.nova_output
    assert lim is not None and lim.step is not None
    lo, hi, step, ptr = lim.min_side, lim.max_side, lim.step, "#/imageGenerationConfig"
    rule = draw(st.sampled_from(("range", "step", "ratio", "pixels")))
    if rule in ("range", "step"):
        bad = draw(st.integers(-(10**6), lo - 1) | st.integers(hi + 1, 10**6)) if rule == "range" else (
            draw(st.integers(lo, hi).filter(lambda v: v % step != 0))
        )  # fmt: skip
        on_width = draw(st.booleans())
        # Width is checked before height: a bad height needs a width that passes this rule.
        other = draw(_legal_side(lo, hi, step) if rule == "step" or on_width else st.integers(lo, hi))
        w, h = (bad, other) if on_width else (other, bad)
        name = "width" if on_width else "height"
        if rule == "range":
            return w, h, _semantic_error(f"{ptr}/{name}", "SEM-SIZE-RANGE", low=lo, high=hi, value=bad)
        return w, h, _semantic_error(f"{ptr}/{name}", "SEM-SIZE-STEP", step=step, value=bad)
    if rule == "ratio":
        short = draw(_legal_side(lo, hi // lim.max_ratio - step, step))
        long = draw(_legal_side(short * lim.max_ratio + step, hi, step))
        w, h = (long, short) if draw(st.booleans()) else (short, long)
        return w, h, _semantic_error(ptr, "SEM-SIZE-RATIO", ratio=lim.max_ratio, w=w, h=h)
    w = draw(_legal_side(2064, hi, step))
    h = draw(
        _legal_side(max(-(-w // lim.max_ratio), lim.max_pixels // w + 1), min(hi, w * lim.max_ratio), step)
    )
    w, h = (w, h) if draw(st.booleans()) else (h, w)
    return w, h, _semantic_error(ptr, "SEM-SIZE-PIXELS", limit=lim.max_pixels, w=w, h=h, pixels=w * h)


def _output_size_bad(draw: st.DrawFn, body: Body, site: _Site, ctx: _Ctx) -> Invalid:
    if ctx.spec.titan_sizes is not None:
        sizes = ctx.spec.titan_sizes
        w, h = draw(st.tuples(st.integers(1, 5000), st.integers(1, 5000)).filter(lambda p: p not in sizes))
        error = _semantic_error("#/imageGenerationConfig", "SEM-SIZE-TITAN", w=w, h=h)
    else:
        w, h, error = _nova_size(draw, ctx)
    out = copy.deepcopy(body)
    out.setdefault("imageGenerationConfig", {}).update(width=w, height=h)
    return out, error


# Broken images: (encoder kind, SEM rule, message parts) valid for any image field and any model.
_BadImage = tuple[str, str, dict[str, object]]
_BAD_IMAGES: Final[tuple[_BadImage, ...]] = (
    ("gif", "SEM-IMG-FORMAT", {"kind": "GIF"}),
    ("bmp", "SEM-IMG-FORMAT", {"kind": "BMP"}),
    ("tiff", "SEM-IMG-FORMAT", {"kind": "TIFF"}),
    ("webp", "SEM-IMG-FORMAT", {"kind": "WEBP"}),
    ("text", "SEM-IMG-FORMAT", {"kind": "unknown format"}),
    ("png-truncated", "SEM-IMG-FORMAT", {"kind": "undecodable PNG"}),
    ("png-rgb16", "SEM-IMG-DEPTH", {"kind": "16-bit"}),
    ("jpeg-cmyk", "SEM-IMG-DEPTH", {"kind": "CMYK"}),
)
_BAD_NON_MASKS: Final[tuple[_BadImage, ...]] = (
    ("png-grey", "SEM-IMG-DEPTH", {"kind": "greyscale"}),
    ("jpeg-grey", "SEM-IMG-DEPTH", {"kind": "greyscale"}),
    ("png-grey16", "SEM-IMG-DEPTH", {"kind": "greyscale"}),
)
_BAD_MASKS: Final[tuple[_BadImage, ...]] = (("png-grey16", "SEM-IMG-DEPTH", {"kind": "16-bit"}),)
_BASE64_BREAKS: Final[tuple[Callable[[str], str], ...]] = (
    lambda t: "data:image/png;base64," + t,  # §5.1: the data-URI prefix is not base64
    lambda t: t[:4] + "-" + t[4:],  # URL-safe alphabet
    lambda t: t[:76] + "\n" + t[76:],  # line breaks
    lambda t: t[: len(t.rstrip("=")) // 4 * 4] + "A",  # a length of 4k+1 cannot be base64
)


def _bad_input_size(ctx: _Ctx) -> tuple[tuple[int, int], str, dict[str, object]]:
    """An input size breaking §5.2 for the model, with its rule and message parts (one per call site)."""
    if ctx.spec.nova_input is None:
        return (1409, 64), "SEM-IMG-TITAN-SIDE", {"limit": ctx.spec.titan_input_max_side, "w": 1409, "h": 64}
    lim = ctx.spec.nova_input
    return (256, 320), "SEM-IMG-SIDES", {"low": lim.min_side, "high": lim.max_side, "w": 256, "h": 320}


def _bad_image(draw: st.DrawFn, body: Body, site: _Site, ctx: _Ctx) -> Invalid:
    is_mask = site.field.mask_of is not None
    w, h = ctx.size
    choice = draw(st.integers(0, 5))
    if choice == 0:
        text = draw(st.sampled_from(_BASE64_BREAKS))(encoded_image("png", w, h))
        return _set(body, site.path, text), _semantic_error(site.pointer, "SEM-IMG-BASE64")
    if choice == 1:
        n = draw(st.integers(1, 300))
        text = encoded_image("holes", w, h, n)
        return _set(body, site.path, text), _semantic_error(site.pointer, "SEM-IMG-ALPHA", n=n)
    if choice == 2:
        size, rule, parts = _bad_input_size(ctx)
        text = encoded_image("mask-png" if is_mask else "png", *size)
        return _set(body, site.path, text), _semantic_error(site.pointer, rule, **parts)
    if choice == 3 and is_mask:
        return _mask_mutation(draw, body, site, ctx)
    table = _BAD_IMAGES + (_BAD_MASKS if is_mask else _BAD_NON_MASKS)
    kind, rule, parts = draw(st.sampled_from(table))
    return _set(body, site.path, encoded_image(kind, w, h)), _semantic_error(site.pointer, rule, **parts)


def _mask_mutation(draw: st.DrawFn, body: Body, site: _Site, ctx: _Ctx) -> Invalid:
    """§5.3: grey pixels in a mask, or a mask whose size differs from its image's."""
    w, h = ctx.size
    assert site.field.mask_of is not None
    if draw(st.booleans()):
        n = draw(st.integers(1, 300))
        return _set(body, site.path, encoded_image("mask-grey-pixels", w, h, n)), _semantic_error(
            site.pointer, "SEM-MASK-COLORS", n=n
        )
    mw, mh = draw(st.sampled_from([s for s in _input_sizes(ctx.spec) if s != ctx.size]))
    image = "#/" + "/".join(site.field.mask_of)
    error = _semantic_error(site.pointer, "SEM-MASK-SIZE", image=image, iw=w, ih=h, w=mw, h=mh)
    return _set(body, site.path, encoded_image("mask-png", mw, mh)), error


def _cross_field_broken(draw: st.DrawFn, body: Body, site: _Site, ctx: _Ctx) -> Invalid:
    """Break one §3.5 rule of the task's params object."""
    out = copy.deepcopy(body)
    params: Body = _get(out, site.path)
    pointer, rules, f = site.pointer, ctx.task.rules, site.field
    if "SEM-MASK-BOTH" in rules:
        if draw(st.booleans()):
            for name in _MASK_PAIR:
                params.pop(name, None)
            return out, _semantic_error(pointer, "SEM-MASK-NONE")
        for name in _MASK_PAIR:
            params.setdefault(name, draw(_value(f.by_name[name], (*site.path, name), ctx)))
        return out, _semantic_error(pointer, "SEM-MASK-BOTH")
    if "SEM-CONTROL-NO-IMAGE" in rules:
        params.pop("conditionImage", None)
        if not any(n in params for n in _CONTROL):
            name = draw(st.sampled_from(_CONTROL))
            params[name] = draw(_value(f.by_name[name], (*site.path, name), ctx))
        return out, _semantic_error(pointer, "SEM-CONTROL-NO-IMAGE")
    mask_type = params["maskType"]
    wanted = _VTO_OBJECTS[mask_type]
    if draw(st.booleans()):
        del params[wanted]
        return out, _semantic_error(pointer, "SEM-VTO-MASK-MISSING", mask_type=mask_type, obj=wanted)
    owner, obj = draw(st.sampled_from([(t, o) for t, o in _VTO_OBJECTS.items() if o != wanted]))
    params[obj] = draw(_value(f.by_name[obj], (*site.path, obj), ctx))
    return out, _semantic_error(pointer, "SEM-VTO-MASK-STRAY", obj=obj, owner=owner, mask_type=mask_type)


def _mutations(site: _Site, ctx: _Ctx) -> list[_Mutation]:
    """The mutations that apply to one site of a valid body."""
    f = site.field
    found: list[_Mutation] = []
    if f.kind is not Kind.ENUM and site.path:
        found.append(_wrong_type)
    if f.kind is Kind.ENUM:
        found.append(_bad_enum)
    if site.path == ("taskType",) and len(ctx.spec.tasks) > 1:
        found.append(_other_task)
    if f.minimum is not None:
        found.append(_out_of_range)
    if f.kind is Kind.OBJECT:
        found.append(_extraneous)
        if f.required_names:
            found.append(_missing)
    if f.min_length or f.max_length is not None:
        found.append(_bad_length)
    if f.pattern is not None:
        found.append(_bad_pattern)
    if f.kind is Kind.ARRAY:
        found.append(_item_count)
    if f.kind is Kind.IMAGE:
        found.append(_bad_image)
    if not site.path and any(r.startswith("SEM-SIZE-") for r in ctx.task.rules):
        found.append(_output_size_bad)
    cross = ("SEM-MASK-BOTH", "SEM-CONTROL-NO-IMAGE", "SEM-VTO-MASK-MISSING")
    if f is ctx.task.params and any(r in ctx.task.rules for r in cross):
        found.append(_cross_field_broken)
    return found


def _invalid_body(spec: ModelSpec, task: TaskSpec) -> st.SearchStrategy[Invalid]:
    @st.composite
    def build(draw: st.DrawFn) -> Invalid:
        body, ctx = _draw_valid(draw, spec, task)
        options = [(m, s) for s in _sites(body, task.root, ()) for m in _mutations(s, ctx)]
        mutation, site = draw(st.sampled_from(options))
        return mutation(draw, body, site, ctx)

    return build()


def invalid_requests(
    model: ModelId | str = ModelId.NOVA_CANVAS, task: TaskType | str | None = None
) -> st.SearchStrategy[Invalid]:
    """`(body, error)` pairs: a valid body with one mutation, and the error Bedrock answers it with."""
    spec, tasks = _tasks(model, task)
    return st.one_of([_invalid_body(spec, t) for t in tasks])
