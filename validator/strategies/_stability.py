"""Hypothesis strategies for Stability AI request bodies (docs/CONTRACT.md §S4, §S6), from
`validator.stability.spec`.

* `valid_stability_requests(model)`: bodies the validator accepts, with real small images of legal sizes.
* `invalid_stability_requests(model)`: `(body, error)` pairs: a valid body with exactly one mutation (an
  unknown key, a missing required field, a value of the wrong type, out of range or outside its enum, a
  broken image) and the `BedrockError` it draws, worded from the message table.
"""

from __future__ import annotations

from typing import Any, Final

from hypothesis import strategies as st

from validator.report import BedrockError
from validator.stability.messages import EXPECTED, container, text
from validator.stability.models import StabilityModel
from validator.stability.spec import (
    SDXL_CLIP,
    SDXL_MODELS,
    SDXL_PAIRS,
    SDXL_SAMPLERS,
    STABILITY_SPECS,
    ImageRules,
    StabilitySpec,
    StField,
    StKind,
)
from validator.strategies._images import encoded_image

Body = dict[str, Any]
Invalid = tuple[Body, BedrockError]
_PROMPTS: Final = st.text(st.characters(codec="utf-8"), max_size=40)


def _sizes(rules: ImageRules) -> tuple[tuple[int, int], ...]:
    """Small sizes legal under the rules (docs/CONTRACT.md §S4.5)."""
    if rules.min_side >= 640:
        return ((640, 640), (704, 640))
    if rules.min_side >= 64 or rules.min_pixels:
        return ((64, 64), (96, 80), (64, 128))
    return ((32, 48), (64, 64), (48, 32))


@st.composite
def _image(draw: st.DrawFn, rules: ImageRules) -> str:
    width, height = draw(st.sampled_from(_sizes(rules)))
    kind = draw(st.sampled_from(("mask-png-grey", "mask-png") if rules.mask else ("png", "jpeg", "webp")))
    return encoded_image(kind, width, height)


def _value(f: StField) -> st.SearchStrategy[Any]:
    if f.kind is StKind.ENUM:
        return st.sampled_from(f.enum)
    if f.kind is StKind.STRING:
        return _PROMPTS
    if f.kind is StKind.INTEGER:
        assert f.low is not None and f.high is not None
        return st.integers(int(f.low), int(f.high))
    if f.kind is StKind.NUMBER:
        assert f.low is not None and f.high is not None
        return (
            st.floats(float(f.low), float(f.high), allow_nan=False)
            .map(lambda v: round(v, 3))
            .filter(lambda v: float(f.low or 0) <= v <= float(f.high or 0))
        )
    assert f.image is not None
    return _image(f.image)


@st.composite
def _v2(draw: st.DrawFn, spec: StabilitySpec) -> Body:
    body: Body = {}
    for f in spec.fields:
        if f.required or draw(st.booleans()):
            body[f.name] = draw(_value(f))
    if spec.mode_selects and "image" in body:  # image-to-image needs strength (D-S19)
        body.setdefault("strength", draw(_value(spec.by_name["strength"])))
        if body.get("mode") == "text-to-image":
            del body["mode"]
    if spec.mode_selects and body.get("mode") == "image-to-image" and "image" not in body:
        del body["mode"]
    if spec.outpaint and not any(body.get(d) for d in ("left", "right", "up", "down")):
        body[draw(st.sampled_from(("left", "right", "up", "down")))] = draw(st.integers(1, 64))
    order = draw(st.permutations(list(body)))
    return {key: body[key] for key in order}


@st.composite
def _sdxl(draw: st.DrawFn) -> Body:
    body: Body = {"text_prompts": [{"text": draw(_PROMPTS.map(lambda t: t[:2000]))}]}
    if draw(st.booleans()):
        body["text_prompts"].append({"text": "blurry", "weight": -1.0})
    options: dict[str, st.SearchStrategy[Any]] = {
        "cfg_scale": st.integers(0, 35),
        "steps": st.integers(10, 150),
        "seed": st.integers(0, 4_294_967_295),
        "sampler": st.sampled_from(SDXL_SAMPLERS),
        "clip_guidance_preset": st.sampled_from(SDXL_CLIP),
        "samples": st.just(1),
    }
    for key, values in options.items():
        if draw(st.booleans()):
            body[key] = draw(values)
    if draw(st.booleans()):
        body["width"], body["height"] = draw(st.sampled_from(SDXL_PAIRS))
    return body


def valid_stability_requests(model: StabilityModel | str) -> st.SearchStrategy[Body]:
    """Bodies the validator accepts for `model`."""
    stability = StabilityModel(model)
    if stability in SDXL_MODELS:
        return _sdxl()
    return _v2(STABILITY_SPECS[stability])


def _error(detail: str) -> BedrockError:
    return BedrockError("ValidationException", 400, container(detail))


@st.composite
def _mutate(draw: st.DrawFn, spec: StabilitySpec) -> Invalid:
    body = dict(draw(_v2(spec)))
    kinds = ["unknown", "type"]
    if any(f.required for f in spec.fields):
        kinds.append("required")
    if any(f.low is not None for f in spec.fields):
        kinds.append("range")
    if any(f.enum for f in spec.fields):
        kinds.append("enum")
    if any(f.kind is StKind.IMAGE for f in spec.fields):
        kinds.append("image")
    kind = draw(st.sampled_from(kinds))
    if kind == "unknown":
        key = draw(st.sampled_from(("cfg_scale", "text_prompts", "aws_region_name", "model", "Prompt")))
        body[key] = 1
        return body, _error(text("R4", key=key, name=spec.name, fields=spec.available))
    if kind == "required":
        f = draw(st.sampled_from([f for f in spec.fields if f.required]))
        del body[f.name]
        if spec.schema_prompt and f.name == "prompt":
            return body, BedrockError("ValidationException", 400, text("R1"))
        return body, _error(text("ST-REQUIRED", key=f.name))
    if kind == "type":
        f = draw(st.sampled_from(spec.fields))
        body[f.name] = draw(
            st.sampled_from(([], {}, True) if f.kind is not StKind.STRING else ([], 7, False))
        )
        return body, _error(text("ST-TYPE", key=f.name, expected=EXPECTED[f.kind.value]))
    if kind == "range":
        f = draw(st.sampled_from([f for f in spec.fields if f.low is not None]))
        assert f.high is not None
        value: int | float = int(f.high) + 1 if f.kind is StKind.INTEGER else float(f.high) + 0.5
        body[f.name] = value
        return body, _error(text("ST-RANGE", key=f.name, value=value, low=f.low, high=f.high))
    if kind == "enum":
        f = draw(st.sampled_from([f for f in spec.fields if f.enum]))
        body[f.name] = "PNG" if f.name == "output_format" else "none-of-these"
        allowed = ", ".join(f.enum)
        return body, _error(text("ST-ENUM", key=f.name, value=body[f.name], allowed=allowed))
    f = draw(st.sampled_from([f for f in spec.fields if f.kind is StKind.IMAGE]))
    body[f.name] = "data:image/png;base64," + encoded_image("png", 64, 64)
    if spec.mode_selects and f.name == "image":
        body.setdefault("strength", 0.5)
        body.pop("mode", None)
    return body, _error(text("ST-IMG-BASE64", key=f.name))


def invalid_stability_requests(model: StabilityModel | str) -> st.SearchStrategy[Invalid]:
    """`(body, error)` pairs for a V2 model: one mutation each, with the error Bedrock answers."""
    stability = StabilityModel(model)
    if stability in SDXL_MODELS:
        raise ValueError("invalid SDXL bodies are drawn by the everit strategies; pass a V2 model")
    return _mutate(STABILITY_SPECS[stability])
