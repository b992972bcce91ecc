"""Semantic mutations (docs/CONTRACT.md §3.5, §4, §5): output sizes, broken images and masks, cross-field
rules."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Final

from hypothesis import strategies as st

from validator.report import BedrockError
from validator.strategies._common import Body, Ctx, Invalid, Site, get_at, input_sizes, set_at
from validator.strategies._expected import semantic_error
from validator.strategies._images import encoded_image
from validator.strategies._valid import field_value

# --- semantic mutations (docs/CONTRACT.md §4, §5, §3.5) ---


def _legal_side(lim_low: int, lim_high: int, step: int) -> st.SearchStrategy[int]:
    return st.integers(-(-lim_low // step), lim_high // step).map(lambda k: k * step)


def _nova_size(draw: st.DrawFn, ctx: Ctx) -> tuple[int, int, BedrockError]:
    """An output size breaking exactly the first failing rule of docs/CONTRACT.md §4.1 that we aim at."""
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
            return w, h, semantic_error(f"{ptr}/{name}", "SEM-SIZE-RANGE", low=lo, high=hi, value=bad)
        return w, h, semantic_error(f"{ptr}/{name}", "SEM-SIZE-STEP", step=step, value=bad)
    if rule == "ratio":
        short = draw(_legal_side(lo, hi // lim.max_ratio - step, step))
        long = draw(_legal_side(short * lim.max_ratio + step, hi, step))
        w, h = (long, short) if draw(st.booleans()) else (short, long)
        return w, h, semantic_error(ptr, "SEM-SIZE-RATIO", ratio=lim.max_ratio, w=w, h=h)
    w = draw(_legal_side(2064, hi, step))
    h = draw(
        _legal_side(max(-(-w // lim.max_ratio), lim.max_pixels // w + 1), min(hi, w * lim.max_ratio), step)
    )
    w, h = (w, h) if draw(st.booleans()) else (h, w)
    return w, h, semantic_error(ptr, "SEM-SIZE-PIXELS", limit=lim.max_pixels, w=w, h=h, pixels=w * h)


def output_size_bad(draw: st.DrawFn, body: Body, site: Site, ctx: Ctx) -> Invalid:
    if ctx.spec.titan_sizes is not None:
        sizes = ctx.spec.titan_sizes
        w, h = draw(st.tuples(st.integers(1, 5000), st.integers(1, 5000)).filter(lambda p: p not in sizes))
        error = semantic_error("#/imageGenerationConfig", "SEM-SIZE-TITAN", w=w, h=h)
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
    lambda t: "data:image/png;base64," + t,  # docs/CONTRACT.md §5.1: the data-URI prefix is not base64
    lambda t: t[:4] + "-" + t[4:],  # URL-safe alphabet
    lambda t: t[:76] + "\n" + t[76:],  # line breaks
    lambda t: t[: len(t.rstrip("=")) // 4 * 4] + "A",  # a length of 4k+1 cannot be base64
)


def _bad_input_size(ctx: Ctx) -> tuple[tuple[int, int], str, dict[str, object]]:
    """An input size the model refuses (docs/CONTRACT.md §5.2), with its rule and message parts."""
    if ctx.spec.nova_input is None:
        return (1409, 64), "SEM-IMG-TITAN-SIDE", {"limit": ctx.spec.titan_input_max_side, "w": 1409, "h": 64}
    lim = ctx.spec.nova_input
    return (256, 320), "SEM-IMG-SIDES", {"low": lim.min_side, "high": lim.max_side, "w": 256, "h": 320}


def bad_image(draw: st.DrawFn, body: Body, site: Site, ctx: Ctx) -> Invalid:
    is_mask = site.field.mask_of is not None
    w, h = ctx.size
    choice = draw(st.integers(0, 5))
    if choice == 0:
        text = draw(st.sampled_from(_BASE64_BREAKS))(encoded_image("png", w, h))
        return set_at(body, site.path, text), semantic_error(site.pointer, "SEM-IMG-BASE64")
    if choice == 1:
        n = draw(st.integers(1, 300))
        text = encoded_image("holes", w, h, n)
        return set_at(body, site.path, text), semantic_error(site.pointer, "SEM-IMG-ALPHA", n=n)
    if choice == 2:
        size, rule, parts = _bad_input_size(ctx)
        text = encoded_image("mask-png" if is_mask else "png", *size)
        return set_at(body, site.path, text), semantic_error(site.pointer, rule, **parts)
    if choice == 3 and is_mask:
        return _mask_mutation(draw, body, site, ctx)
    table = _BAD_IMAGES + (_BAD_MASKS if is_mask else _BAD_NON_MASKS)
    kind, rule, parts = draw(st.sampled_from(table))
    return set_at(body, site.path, encoded_image(kind, w, h)), semantic_error(site.pointer, rule, **parts)


def _mask_mutation(draw: st.DrawFn, body: Body, site: Site, ctx: Ctx) -> Invalid:
    """docs/CONTRACT.md §5.3: grey pixels in a mask, or a mask whose size differs from its image's."""
    w, h = ctx.size
    assert site.field.mask_of is not None
    if draw(st.booleans()):
        n = draw(st.integers(1, 300))
        return set_at(body, site.path, encoded_image("mask-grey-pixels", w, h, n)), semantic_error(
            site.pointer, "SEM-MASK-COLORS", n=n
        )
    mw, mh = draw(st.sampled_from([s for s in input_sizes(ctx.spec) if s != ctx.size]))
    image = "#/" + "/".join(site.field.mask_of)
    error = semantic_error(site.pointer, "SEM-MASK-SIZE", image=image, iw=w, ih=h, w=mw, h=mh)
    return set_at(body, site.path, encoded_image("mask-png", mw, mh)), error


def cross_field_broken(draw: st.DrawFn, body: Body, site: Site, ctx: Ctx) -> Invalid:
    """Break one docs/CONTRACT.md §3.5 rule of the task's params object (the name ties are TaskSpec data)."""
    out = copy.deepcopy(body)
    params: Body = get_at(out, site.path)
    pointer, task, f = site.pointer, ctx.task, site.field
    if task.mask_pair is not None:
        if draw(st.booleans()):
            for name in task.mask_pair:
                params.pop(name, None)
            return out, semantic_error(pointer, "SEM-MASK-NONE")
        for name in task.mask_pair:
            params.setdefault(name, draw(field_value(f.by_name[name], (*site.path, name), ctx)))
        return out, semantic_error(pointer, "SEM-MASK-BOTH")
    if task.control_image is not None:
        params.pop(task.control_image, None)
        if not any(n in params for n in task.control_fields):
            name = draw(st.sampled_from(task.control_fields))
            params[name] = draw(field_value(f.by_name[name], (*site.path, name), ctx))
        return out, semantic_error(pointer, "SEM-CONTROL-NO-IMAGE")
    mask_type = params["maskType"]
    wanted = task.mask_object(mask_type)
    if draw(st.booleans()):
        del params[wanted]
        return out, semantic_error(pointer, "SEM-VTO-MASK-MISSING", mask_type=mask_type, obj=wanted)
    owner, obj = draw(st.sampled_from([(t, o) for t, o in task.mask_objects if o != wanted]))
    params[obj] = draw(field_value(f.by_name[obj], (*site.path, obj), ctx))
    return out, semantic_error(pointer, "SEM-VTO-MASK-STRAY", obj=obj, owner=owner, mask_type=mask_type)
