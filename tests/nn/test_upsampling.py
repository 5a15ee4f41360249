"""F.interpolate (and the deprecated F.upsample*), nn.Upsample, nn.UpsamplingNearest2d, nn.UpsamplingBilinear2d."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import gradcheck, gradgradcheck


# ------------------------------------------------------------------ an independent per-pixel reference
def _keys(d: float, a: float = -0.75) -> float:
    d = abs(d)
    if d <= 1:
        return (a + 2) * d**3 - (a + 3) * d**2 + 1
    return a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a if d < 2 else 0.0


def _resize_1d(v: np.ndarray, out: int, mode: str, scale, align: bool) -> np.ndarray:
    """One axis, one output value at a time, in float64, from the formulas in PyTorch's documentation."""
    n = len(v)
    s = 1 / scale if scale else n / out
    res = np.empty(out)
    for o in range(out):
        if mode == "nearest":
            res[o] = v[min(math.floor(o * s), n - 1)]
        elif mode == "nearest-exact":
            res[o] = v[min(math.floor((o + 0.5) * s), n - 1)]
        elif mode == "area":
            res[o] = v[(o * n) // out : -(-((o + 1) * n) // out)].mean()
        else:
            x = (o * (n - 1) / (out - 1) if out > 1 else 0.0) if align else (o + 0.5) * s - 0.5
            if mode == "cubic":
                i = math.floor(x)
                res[o] = sum(_keys(x - j) * v[min(max(j, 0), n - 1)] for j in range(i - 1, i + 3))
            else:
                x = max(x, 0.0)
                i = min(math.floor(x), n - 1)
                lam = x - i
                res[o] = (1 - lam) * v[i] + lam * v[min(i + 1, n - 1)]
    return res


def _reference(x: np.ndarray, size, mode: str, scales=None, align: bool = False) -> np.ndarray:
    mode = "cubic" if mode == "bicubic" else "linear" if mode in ("bilinear", "trilinear") else mode
    for i, o in enumerate(size):
        axis = x.ndim - len(size) + i
        sc = scales[i] if scales else None
        x = np.apply_along_axis(_resize_1d, axis, x, o, mode, sc, align)
    return x


REF_CASES = [
    ((2, 3, 5), dict(size=9, mode="nearest")),
    ((2, 3, 5), dict(size=3, mode="nearest-exact")),
    ((2, 3, 5), dict(scale_factor=1.7, mode="linear")),
    ((2, 3, 5), dict(size=8, mode="linear", align_corners=True)),
    ((1, 2, 4, 5), dict(size=(7, 3), mode="bilinear")),
    ((1, 2, 4, 5), dict(scale_factor=(2.5, 0.6), mode="bilinear", align_corners=True)),
    ((1, 2, 4, 5), dict(size=(6, 9), mode="bicubic")),
    ((1, 2, 4, 5), dict(size=(3, 8), mode="bicubic", align_corners=True)),
    ((1, 2, 4, 5), dict(scale_factor=1.5, mode="nearest")),
    ((1, 2, 7, 5), dict(size=(3, 2), mode="area")),
    ((1, 2, 3, 4, 2), dict(size=(5, 2, 3), mode="trilinear")),
    ((1, 2, 3, 4, 2), dict(scale_factor=2, mode="nearest-exact")),
    ((1, 2, 3, 4, 5), dict(size=(2, 3, 2), mode="area")),
]


@pytest.mark.parametrize("shape,kw", REF_CASES, ids=str)
def test_forward_matches_a_per_pixel_reference(shape, kw):
    x = rand64(*shape, requires_grad=False, seed=1)
    out = F.interpolate(x, **kw)
    nd = len(shape) - 2
    if "size" in kw:
        size = kw["size"] if isinstance(kw["size"], tuple) else (kw["size"],) * nd
        scales = None
    else:
        sf = kw["scale_factor"] if isinstance(kw["scale_factor"], tuple) else (kw["scale_factor"],) * nd
        size = tuple(math.floor(n * s) for n, s in zip(shape[2:], sf))
        scales = sf
    expected = _reference(x.numpy(), size, kw["mode"], scales, kw.get("align_corners", False))
    assert out.dtype == morch.float64
    assert_close(out, expected, atol=1e-12, rtol=1e-12)


def test_nearest_uses_float32_source_positions_as_pytorch():
    # 41 * float32(2 / 82) rounds to just below 1: PyTorch (and morch) read pixel 0 there, not 1
    out = F.interpolate(morch.tensor([[[10.0, 20.0]]], dtype=morch.float64), size=82)
    assert out[0, 0, 41].item() == 10.0 and out[0, 0, 42].item() == 20.0


def test_nearest_keeps_integer_dtypes():
    x = morch.arange(4).reshape(1, 1, 2, 2)
    out = F.interpolate(x, scale_factor=2)
    assert out.dtype == morch.int64
    assert out[0, 0].numpy().tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]


def test_same_size_is_a_copy_with_a_gradient():
    x = rand64(1, 2, 3, 3, seed=2)
    out = F.interpolate(x, size=3, mode="bilinear")
    assert_close(out, x, atol=0, rtol=0)
    out.sum().backward()
    assert_close(x.grad, np.ones((1, 2, 3, 3)))


GRAD_CASES = [
    ((1, 2, 4), dict(size=7, mode="nearest")),
    ((1, 2, 5), dict(size=3, mode="nearest-exact")),
    ((1, 2, 4), dict(scale_factor=1.5, mode="linear")),
    ((1, 2, 3, 4), dict(size=(5, 3), mode="bilinear", align_corners=True)),
    ((1, 2, 3, 4), dict(size=(5, 6), mode="bicubic")),
    ((1, 2, 5, 4), dict(size=(3, 3), mode="area")),
    ((1, 1, 2, 3, 2), dict(size=(3, 2, 4), mode="trilinear")),
]


@pytest.mark.parametrize("shape,kw", GRAD_CASES, ids=str)
def test_gradients_and_double_backward(shape, kw):
    x = rand64(*shape, seed=3)
    assert gradcheck(lambda t: F.interpolate(t, **kw), (x,))
    # the resize is linear: composing with a square makes the second derivative non-zero
    assert gradgradcheck(lambda t: F.interpolate(t * t, **kw), (x,))


# ------------------------------------------------------------------ against PyTorch
TORCH_CASES = [
    ((2, 3, 7), dict(size=12, mode="nearest")),
    ((2, 3, 7), dict(scale_factor=0.6, mode="nearest-exact")),
    ((2, 3, 7), dict(scale_factor=2.3, mode="linear")),
    ((2, 3, 7), dict(size=4, mode="linear", align_corners=True)),
    ((2, 3, 7), dict(size=5, mode="area")),
    ((2, 3, 5, 6), dict(scale_factor=2, mode="nearest")),
    ((2, 3, 5, 6), dict(scale_factor=2.01, mode="nearest")),  # a doubled size: PyTorch's 4-d shortcut
    ((2, 3, 5, 6), dict(scale_factor=1.2, mode="nearest")),  # one axis keeps its size: copied
    ((2, 3, 5, 6), dict(size=(9, 4), mode="nearest-exact")),
    ((2, 3, 5, 6), dict(scale_factor=(1.7, 0.7), mode="bilinear")),
    ((2, 3, 5, 6), dict(scale_factor=1.2, mode="bilinear")),
    ((2, 3, 5, 6), dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)),
    ((2, 3, 5, 6), dict(size=(8, 3), mode="bilinear", align_corners=True)),
    ((2, 3, 5, 6), dict(scale_factor=2.5, mode="bicubic")),
    ((2, 3, 5, 6), dict(scale_factor=1.2, mode="bicubic")),
    ((2, 3, 5, 6), dict(size=(3, 11), mode="bicubic", align_corners=True)),
    ((2, 3, 9, 6), dict(size=(4, 5), mode="area")),
    ((2, 3, 9, 6), dict(scale_factor=0.45, mode="area")),
    ((1, 2, 3, 4, 5), dict(scale_factor=(2, 0.5, 1.5), mode="nearest")),
    ((1, 2, 3, 4, 5), dict(size=(4, 6, 3), mode="nearest-exact")),
    ((1, 2, 3, 4, 5), dict(scale_factor=1.6, mode="trilinear")),
    ((1, 2, 3, 4, 5), dict(size=(2, 7, 4), mode="trilinear", align_corners=True)),
    ((1, 2, 3, 4, 5), dict(size=(2, 3, 2), mode="area")),
]


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,kw", TORCH_CASES, ids=str)
def test_matches_pytorch_values_and_gradients(shape, kw, dtype):
    x = np.random.default_rng(4).standard_normal(shape)
    mx = morch.tensor(x, dtype=getattr(morch, dtype), requires_grad=True)
    tx = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    out, tout = F.interpolate(mx, **kw), torch.nn.functional.interpolate(tx, **kw)
    assert tuple(out.shape) == tuple(tout.shape) and str(out.dtype) == str(tout.dtype).replace("torch", "morch")
    tol = 1e-5 if dtype == "float32" else 1e-12
    assert_close(out, tout, atol=tol, rtol=tol)
    g = np.random.default_rng(5).standard_normal(tuple(tout.shape))
    out.backward(morch.tensor(g, dtype=out.dtype))
    tout.backward(torch.tensor(g, dtype=tout.dtype))
    assert_close(mx.grad, tx.grad, atol=10 * tol, rtol=tol)


@requires_torch
def test_nearest_3d_gradient_is_the_adjoint_where_pytorch_is_not():
    # PyTorch's 1-d nearest backward copies when the size is kept, but its forward reads floor(o / 1.2)
    x = morch.tensor([[[1.0, 2.0]]], requires_grad=True)
    out = F.interpolate(x, scale_factor=1.2)
    tout = torch.nn.functional.interpolate(torch.tensor([[[1.0, 2.0]]]), scale_factor=1.2)
    assert out.detach().numpy().tolist() == tout.numpy().tolist() == [[[1.0, 1.0]]]
    out.backward(morch.tensor([[[1.0, 10.0]]]))
    assert x.grad.numpy().tolist() == [[[11.0, 0.0]]]


@requires_torch
@pytest.mark.parametrize(
    "m_module,t_module",
    [
        (lambda: nn.Upsample(scale_factor=2, mode="bilinear"),
         lambda: torch.nn.Upsample(scale_factor=2, mode="bilinear")),
        (lambda: nn.Upsample(size=(3, 7), mode="bicubic", align_corners=True),
         lambda: torch.nn.Upsample(size=(3, 7), mode="bicubic", align_corners=True)),
        (lambda: nn.UpsamplingNearest2d(scale_factor=3), lambda: torch.nn.UpsamplingNearest2d(scale_factor=3)),
        (lambda: nn.UpsamplingBilinear2d(size=(7, 4)), lambda: torch.nn.UpsamplingBilinear2d(size=(7, 4))),
    ],
)  # fmt: skip
def test_modules_match_pytorch(m_module, t_module):
    m, t = m_module(), t_module()
    assert repr(m) == repr(t)
    x = rand64(2, 3, 4, 5, seed=6)
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    out, tout = m(x), t(tx)
    assert_close(out, tout, atol=1e-12, rtol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    assert_close(x.grad, tx.grad, atol=1e-12, rtol=1e-12)


def test_module_attributes_and_repr():
    up = nn.Upsample(scale_factor=(2, 3), mode="nearest")
    assert up.scale_factor == (2.0, 3.0) and up.size is None and up.name == "Upsample"
    assert repr(up) == "Upsample(scale_factor=(2.0, 3.0), mode='nearest')"
    assert repr(nn.UpsamplingBilinear2d(size=4)) == "UpsamplingBilinear2d(size=4, mode='bilinear')"
    assert nn.UpsamplingBilinear2d(size=4).align_corners is True
    assert tuple(up(morch.zeros(1, 1, 2, 2)).shape) == (1, 1, 4, 6)


def test_deprecated_upsample_functions_warn_and_resize():
    x = rand64(1, 1, 2, 3, requires_grad=False, seed=7)
    with pytest.warns(UserWarning, match=r"`nn.functional.upsample` is deprecated"):
        a = F.upsample(x, scale_factor=2, mode="bilinear")
    assert_close(a, F.interpolate(x, scale_factor=2, mode="bilinear"), atol=0, rtol=0)
    with pytest.warns(UserWarning, match="upsample_nearest` is deprecated"):
        b = F.upsample_nearest(x, size=(4, 5))
    assert_close(b, F.interpolate(x, size=(4, 5)), atol=0, rtol=0)
    with pytest.warns(UserWarning, match="upsample_bilinear` is deprecated"):
        c = F.upsample_bilinear(x, scale_factor=2)
    assert_close(c, F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True), atol=0, rtol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.interpolate(x, scale_factor=2, mode="bilinear")  # no warning about align_corners


def test_in_a_static_graph():
    from morch.static import Placeholder, Session

    p = Placeholder(dtype=morch.float64, name="img")
    y = nn.Upsample(scale_factor=2, mode="bicubic")(p) + F.interpolate(p, size=(8, 6), mode="area").sum()
    x = rand64(1, 2, 4, 3, requires_grad=False, seed=8)
    expected = F.interpolate(x, scale_factor=2, mode="bicubic") + F.interpolate(x, size=(8, 6), mode="area").sum()
    np.testing.assert_allclose(Session().run(y, {p: x.numpy()}), expected.numpy(), rtol=1e-12)


# ------------------------------------------------------------------ errors
ERRORS = [
    (dict(size=3, scale_factor=2), ValueError, r"interpolate: only one of size or scale_factor should be defined"),
    (dict(), ValueError, r"interpolate: either size or scale_factor should be defined"),
    (dict(size=3, align_corners=True), ValueError, r"interpolate: align_corners option can only be set with the "
     r"interpolating modes: linear \| bilinear \| bicubic \| trilinear"),
    (dict(size=(2, 3, 4)), ValueError, r"Input and output must have the same number of spatial dimensions, but got "
     r"input with spatial dimensions of \[4, 5\] and output size of \(2, 3, 4\)"),
    (dict(scale_factor=(2,)), ValueError, r"Input and scale_factor must have the same number of spatial dimensions"),
    (dict(size=(2.5, 3)), TypeError, r"expected size to be one of int or Tuple\[int\]"),
    (dict(size=3, recompute_scale_factor=True), ValueError, "recompute_scale_factor is not meaningful with an"),
    (dict(scale_factor=0.1), RuntimeError, r"interpolate: Input and output sizes should be greater than 0, but got "
     r"input \(H: 4, W: 5\) output \(H: 0, W: 0\)"),
    (dict(size=(0, 3), mode="area"), RuntimeError, r"output \(H: 0, W: 3\)"),
    (dict(size=3, mode="linear"), NotImplementedError, "interpolate: Got 4D input, but linear mode needs 3D input"),
    (dict(size=3, mode="trilinear"), NotImplementedError, "Got 4D input, but trilinear mode needs 5D input"),
    (dict(size=3, mode="cubic"), NotImplementedError, r"Only 3D, 4D and 5D input Tensors supported \(got 4D\) for "
     r"the modes: nearest \| linear .* \(got cubic\)"),
    (dict(size=3, antialias=True), ValueError, "Anti-alias option is restricted to bilinear, bicubic"),
]  # fmt: skip


@pytest.mark.parametrize("kw,kind,message", ERRORS, ids=[str(e[0]) for e in ERRORS])
def test_bad_arguments_raise_pytorch_errors(kw, kind, message):
    with pytest.raises(kind, match=message):
        F.interpolate(morch.zeros(1, 2, 4, 5), **kw)


def test_bad_inputs_name_the_function_or_module():
    with pytest.raises(NotImplementedError, match=r"interpolate: .*\(got 2D\)"):
        F.interpolate(morch.zeros(4, 5), size=3)
    with pytest.raises(
        NotImplementedError, match=r"Got 3D input, but bicubic mode needs 4D input \(shape \(1, 2, 5\)\)"
    ):
        F.interpolate(morch.zeros(1, 2, 5), size=3, mode="bicubic")
    with pytest.raises(TypeError, match=r"interpolate: mode 'bilinear' needs a floating point input, got morch.int64"):
        F.interpolate(morch.zeros(1, 1, 2, 2, dtype=morch.int64), size=3, mode="bilinear")
    with pytest.raises(TypeError, match="interpolate: expected input to be a Tensor, got ndarray"):
        F.interpolate(np.zeros((1, 1, 2, 2)), size=3)
    with pytest.raises(ValueError, match=r"^Upsample\(size=\(3, 3\), mode='bilinear'\): Input and output must have"):
        nn.Upsample(size=(3, 3), mode="bilinear")(morch.zeros(1, 1, 4))


# morch only: 'area' to an empty size (PyTorch returns an empty tensor)
SAME_AS_PYTORCH = [e for e in ERRORS[:13] if e[0].get("mode") != "area"]


@requires_torch
@pytest.mark.parametrize("kw,kind,message", SAME_AS_PYTORCH, ids=[str(e[0]) for e in SAME_AS_PYTORCH])
def test_pytorch_raises_the_same_errors(kw, kind, message):
    message = message.replace("interpolate: ", "")
    with pytest.raises(kind, match=message):
        torch.nn.functional.interpolate(torch.zeros(1, 2, 4, 5), **kw)
