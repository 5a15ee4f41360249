"""F.interpolate(antialias=True): 'bilinear', 'bicubic' and 'lanczos' with PIL's separable resampling."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
import morch.nn.functional as F
from helpers import assert_close, compare_with_torch, rand64, requires_torch, torch
from morch.autograd import gradcheck
from morch.autograd.checks import gradgradcheck

RADIUS = {"bilinear": 1, "bicubic": 2, "lanczos": 3}


# ------------------------------------------------------------------ an independent per-pixel reference
def _filter(x: float, mode: str) -> float:
    x = abs(x)
    if mode == "bilinear":
        return max(0.0, 1.0 - x)
    if mode == "lanczos":
        if x == 0:
            return 1.0
        return 3 * math.sin(math.pi * x) * math.sin(math.pi * x / 3) / (math.pi * x) ** 2 if x < 3 else 0.0
    a = -0.5
    if x < 1:
        return (a + 2) * x**3 - (a + 3) * x**2 + 1
    return a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a if x < 2 else 0.0


def _resize_1d(v: np.ndarray, out: int, mode: str, scale, align: bool) -> np.ndarray:
    """One output at a time in float64: a window of inputs around the centre, weights normalised."""
    n = len(v)
    if out == n:
        return v.copy()
    if align:
        s = (n - 1) / (out - 1) if out > 1 else 0.0
    else:
        s = 1 / scale if scale else n / out
    stretch = max(s, 1.0)
    res = np.empty(out)
    for o in range(out):
        centre = s * (o + 0.5)
        lo = max(int(centre - RADIUS[mode] * stretch + 0.5), 0)
        hi = min(int(centre + RADIUS[mode] * stretch + 0.5), n)
        w = np.array([_filter((j + 0.5 - centre) / stretch, mode) for j in range(lo, hi)])
        res[o] = (w / w.sum()) @ v[lo:hi]
    return res


def _reference(x: np.ndarray, size, mode: str, scales=None, align: bool = False) -> np.ndarray:
    for i, o in enumerate(size):
        sc = scales[i] if scales else None
        x = np.apply_along_axis(_resize_1d, x.ndim - 2 + i, x, o, mode, sc, align)
    return x


REF_CASES = [
    ("bilinear", (6, 9), dict(size=(3, 4))),
    ("bilinear", (6, 9), dict(size=(10, 2), align_corners=True)),
    ("bilinear", (7, 5), dict(scale_factor=(0.4, 1.7))),
    ("bicubic", (9, 8), dict(size=(4, 3))),
    ("bicubic", (5, 4), dict(size=(11, 9))),
    ("bicubic", (8, 7), dict(size=(3, 1), align_corners=True)),
    ("bicubic", (9, 10), dict(scale_factor=0.3)),
    ("lanczos", (12, 7), dict(size=(5, 13))),
    ("lanczos", (1, 9), dict(size=(4, 2))),
]  # fmt: skip


@pytest.mark.parametrize("mode,hw,kw", REF_CASES, ids=[f"{m}-{hw}-{kw}" for m, hw, kw in REF_CASES])
def test_matches_a_per_pixel_reference(mode, hw, kw):
    x = rand64(2, 3, *hw, requires_grad=False, seed=0)
    out = F.interpolate(x, mode=mode, antialias=True, **kw)
    sf = kw.get("scale_factor")
    size = kw.get("size") or [math.floor(n * s) for n, s in zip(hw, sf if isinstance(sf, tuple) else (sf, sf))]
    scales = (sf if isinstance(sf, tuple) else (sf, sf)) if sf else None
    expected = _reference(x.numpy(), size, mode, scales, kw.get("align_corners", False))
    assert out.shape == (2, 3, *size) and out.dtype == morch.float64
    assert_close(out, expected, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
def test_downsampling_averages_and_keeps_constants(mode):
    ones = morch.ones(1, 1, 17, 13)
    assert_close(F.interpolate(ones, size=(3, 5), mode=mode, antialias=True), np.ones((1, 1, 3, 5)), atol=1e-6)
    # every input pixel reaches the output when shrinking (no pixel is skipped, unlike plain bilinear)
    x = rand64(1, 1, 16, 16, requires_grad=True, seed=1)
    F.interpolate(x, size=(3, 3), mode=mode, antialias=True).sum().backward()
    assert (x.grad.numpy() != 0).all()
    if mode != "lanczos":  # plain bilinear / bicubic read only some of the inputs
        plain = rand64(1, 1, 16, 16, requires_grad=True, seed=1)
        F.interpolate(plain, size=(3, 3), mode=mode).sum().backward()
        assert (plain.grad.numpy() == 0).any()


def test_bilinear_upsampling_is_the_plain_resize():
    x = rand64(2, 2, 5, 7, requires_grad=False, seed=2)
    plain = F.interpolate(x, size=(11, 16), mode="bilinear")
    assert_close(F.interpolate(x, size=(11, 16), mode="bilinear", antialias=True), plain, atol=1e-14)
    # but the antialiased bicubic uses A = -0.5 and renormalises at the borders, so it differs
    cubic = F.interpolate(x, size=(11, 16), mode="bicubic", antialias=True)
    assert np.abs(cubic.numpy() - F.interpolate(x, size=(11, 16), mode="bicubic").numpy()).max() > 1e-3


def test_same_size_copies_and_float32_stays_float32():
    x = morch.randn(1, 2, 6, 5)
    out = F.interpolate(x, size=(6, 5), mode="bicubic", antialias=True)
    assert out.dtype == morch.float32
    assert_close(out, x, atol=0)
    assert F.interpolate(x, size=(3, 5), mode="lanczos", antialias=True).dtype == morch.float32


GRAD_CASES = [
    ("bilinear", dict(size=(3, 7))),
    ("bicubic", dict(size=(2, 9), align_corners=True)),
    ("bicubic", dict(scale_factor=0.45)),
    ("lanczos", dict(size=(3, 8))),
]


@pytest.mark.parametrize("mode,kw", GRAD_CASES, ids=[f"{m}-{kw}" for m, kw in GRAD_CASES])
def test_gradients_and_double_backward(mode, kw):
    x = rand64(2, 1, 7, 6, seed=3)
    assert gradcheck(lambda t: F.interpolate(t, mode=mode, antialias=True, **kw), (x,))
    assert gradgradcheck(lambda t: F.interpolate(t * t, mode=mode, antialias=True, **kw), (x,))


# ------------------------------------------------------------------ against PyTorch
SHAPES = [(7, 9), (16, 15), (32, 33), (1, 6), (40, 13)]
SIZES = [
    dict(size=(3, 4)),
    dict(size=(5, 70)),
    dict(size=(1, 1)),
    dict(scale_factor=0.3),
    dict(scale_factor=0.77, recompute_scale_factor=True),
    dict(scale_factor=(0.5, 2.7)),
    dict(scale_factor=1.5),
    dict(scale_factor=2.7, recompute_scale_factor=True),
]
MODES = [("bilinear", False), ("bilinear", True), ("bicubic", False), ("bicubic", True), ("lanczos", False)]


def _both(x: np.ndarray, mode: str, align: bool, kw: dict):
    m = F.interpolate(morch.tensor(x), mode=mode, align_corners=align, antialias=True, **kw)
    t = torch.nn.functional.interpolate(torch.tensor(x), mode=mode, align_corners=align, antialias=True, **kw)
    return m, t


@requires_torch
@pytest.mark.parametrize("mode,align", MODES, ids=[f"{m}-align{a}" for m, a in MODES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_match_pytorch(mode, align, dtype):
    rng = np.random.default_rng(4)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    for hw in SHAPES:
        x = rng.standard_normal((2, 3, *hw)).astype(dtype)
        for kw in SIZES:
            if min(math.floor(n * s) for n, s in zip(hw, np.broadcast_to(kw.get("scale_factor", 1), 2))) == 0:
                continue  # an empty output: an error in both
            m, t = _both(x, mode, align, kw)
            assert m.shape == tuple(t.shape) and m.dtype.name == str(t.dtype).split(".")[1], (hw, kw)
            assert_close(m, t, atol=tol, rtol=tol)


@requires_torch
@pytest.mark.parametrize("mode,align", MODES, ids=[f"{m}-align{a}" for m, a in MODES])
def test_gradients_match_pytorch(mode, align):
    for hw, kw in [((11, 9), dict(size=(4, 13))), ((8, 10), dict(scale_factor=0.35)), ((5, 6), dict(size=(9, 2)))]:
        kw = dict(kw, mode=mode, align_corners=align, antialias=True)
        compare_with_torch(
            lambda t, kw=kw: F.interpolate(t, **kw),
            lambda t, kw=kw: torch.nn.functional.interpolate(t, **kw),
            rand64(2, 2, *hw, seed=5),
            atol=1e-12,
            rtol=1e-12,
        )


# ------------------------------------------------------------------ errors
ERRORS = [
    ((1, 2, 4, 5), dict(size=3, antialias=True), ValueError, "Anti-alias option is restricted to bilinear, bicubic, "
     "and lanczos modes and requires a 4-D tensor as input"),
    ((1, 2, 4, 5), dict(size=3, mode="area", antialias=True), ValueError, "Anti-alias option is restricted"),
    ((1, 2, 5), dict(size=3, mode="bilinear", antialias=True), ValueError, "requires a 4-D tensor as input"),
    ((2, 4, 5), dict(size=3, mode="bicubic", antialias=True), ValueError, "requires a 4-D tensor as input"),
    ((1, 2, 4, 5, 6), dict(size=3, mode="lanczos", antialias=True), ValueError, "requires a 4-D tensor as input"),
    ((1, 2, 4, 5), dict(size=3, mode="lanczos"), ValueError, "Lanczos mode requires antialias=True"),
    ((1, 2, 4, 5), dict(size=3, mode="lanczos", antialias=True, align_corners=True), ValueError,
     "Lanczos mode does not support align_corners=True"),
    ((1, 2, 5), dict(size=3, mode="lanczos"), NotImplementedError, r"Only 3D, 4D and 5D input Tensors supported "
     r"\(got 3D\) for the modes: .* \(got lanczos\)"),
    ((1, 2, 4, 5), dict(scale_factor=0.1, mode="bicubic", antialias=True), RuntimeError,
     r"Input and output sizes should be greater than 0"),
]  # fmt: skip
ERROR_IDS = [f"{s}-{kw}" for s, kw, _, _ in ERRORS]


@pytest.mark.parametrize("shape,kw,kind,message", ERRORS, ids=ERROR_IDS)
def test_bad_arguments_raise_pytorch_errors(shape, kw, kind, message):
    with pytest.raises(kind, match=message) as info:
        F.interpolate(morch.zeros(*shape), **kw)
    assert str(info.value).startswith("interpolate: ")


@requires_torch
@pytest.mark.parametrize("shape,kw,kind,message", ERRORS, ids=ERROR_IDS)
def test_pytorch_raises_the_same_errors(shape, kw, kind, message):
    with pytest.raises(kind, match=message):
        torch.nn.functional.interpolate(torch.zeros(*shape), **kw)


def test_integer_input_is_refused():
    with pytest.raises(TypeError, match="interpolate: mode 'bicubic' needs a floating point input, got morch.int64"):
        F.interpolate(morch.zeros(1, 1, 4, 4, dtype=morch.int64), size=2, mode="bicubic", antialias=True)
