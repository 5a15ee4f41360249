"""dtypes (morch/dtypes.py): names, conversions, and PyTorch's type promotion rules."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _values(name: str) -> list:
    return [True, True] if name == "bool" else [1, 2]


def _tensor(lib, name: str, zero_dim: bool = False):
    v = _values(name)
    return lib.tensor(v[0] if zero_dim else v, dtype=getattr(lib, name))


def _name(dtype) -> str:
    return str(dtype).split(".")[1]


# ------------------------------------------------------------------ promotion, against PyTorch
@requires_torch
@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
@pytest.mark.parametrize("dims", ["nd_nd", "nd_0d", "0d_nd", "0d_0d"])
def test_tensor_tensor_promotion_matches_torch(a, b, dims):
    za, zb = dims[:2] == "0d", dims[3:] == "0d"
    for op in ("add", "mul", "maximum", "where"):
        if op == "where":
            expected = torch.where(torch.tensor(True), _tensor(torch, a, za), _tensor(torch, b, zb)).dtype
            out = morch.where(morch.tensor(True), _tensor(morch, a, za), _tensor(morch, b, zb)).dtype
        else:
            expected = getattr(torch, op)(_tensor(torch, a, za), _tensor(torch, b, zb)).dtype
            out = getattr(morch, op)(_tensor(morch, a, za), _tensor(morch, b, zb)).dtype
        assert _name(out) == _name(expected), op


@requires_torch
@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_true_division_and_comparison_dtypes_match_torch(a, b):
    ta, tb = _tensor(torch, a), _tensor(torch, b)
    ma, mb = _tensor(morch, a), _tensor(morch, b)
    assert _name((ma / mb).dtype) == _name((ta / tb).dtype)
    assert (ma < mb).dtype == morch.bool and (ma == mb).dtype == morch.bool


SCALARS = [True, 3, 2.5, np.int64(3), np.float64(2.5), np.float32(2.5), np.int32(3)]


@requires_torch
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scalar", SCALARS, ids=lambda s: f"{type(s).__name__}({s})")
@pytest.mark.parametrize("side", ["left", "right"])
def test_python_and_numpy_scalar_promotion_matches_torch(name, scalar, side):
    t_t, t_m = _tensor(torch, name), _tensor(morch, name)
    for op in ("add", "mul"):
        method = f"__{op}__" if side == "right" else f"__r{op}__"
        out, expected = getattr(t_m, method)(scalar), getattr(t_t, method)(scalar)
        assert _name(out.dtype) == _name(expected.dtype), method


def test_promotion_rules_without_torch():
    i64, f32, f64 = morch.tensor([1, 2]), morch.tensor([1.0, 2.0]), morch.tensor([1.0], dtype=morch.float64)
    b = morch.tensor([True, False])
    assert (i64 + f32).dtype == morch.float32  # numpy would say float64
    assert (i64 + 1.5).dtype == morch.float32
    assert (f32 + f64).dtype == morch.float64
    assert (f32 + morch.tensor(1.0, dtype=morch.float64)).dtype == morch.float32  # 0-d of the same category
    assert (i64 + morch.tensor(1.0, dtype=morch.float64)).dtype == morch.float64  # 0-d of a higher category
    assert (b + b).dtype == morch.bool and (b + 1).dtype == morch.int64 and (b * 1.0).dtype == morch.float32
    assert (morch.tensor([1], dtype=morch.uint8) + morch.tensor([1], dtype=morch.int8)).dtype == morch.int16
    assert (morch.tensor([1], dtype=morch.int32) + 5).dtype == morch.int32
    assert (f32 + np.float64(2.0)).dtype == morch.float32  # numpy scalars are weak, as Python numbers
    assert (f32 + np.array([2.0])).dtype == morch.float64  # numpy arrays are tensors


def test_default_dtype_follows_set_default_dtype():
    morch.set_default_dtype(morch.float64)
    try:
        assert morch.get_default_dtype() == morch.float64
        assert morch.tensor([1.5]).dtype == morch.float64
        assert morch.ones(2).dtype == morch.float64
        assert (morch.tensor([1]) / 2).dtype == morch.float64
        assert (morch.tensor([1]) + 0.5).dtype == morch.float64
        assert repr(morch.tensor([1.5])) == "tensor([1.5000])"
        assert repr(morch.tensor([1.5], dtype=morch.float32)) == "tensor([1.5000], dtype=morch.float32)"
    finally:
        morch.set_default_dtype(morch.float32)
    with pytest.raises(TypeError, match="floating point"):
        morch.set_default_dtype(morch.int64)


# ------------------------------------------------------------------ names and conversions
def test_dtype_objects():
    assert repr(morch.float32) == "morch.float32" and str(morch.int64) == "morch.int64"
    assert morch.float is morch.float32 and morch.double is morch.float64 and morch.long is morch.int64
    assert morch.half is morch.float16 and morch.int is morch.int32 and morch.short is morch.int16
    assert morch.float32.is_floating_point and not morch.int64.is_floating_point
    assert morch.int8.is_signed and not morch.uint8.is_signed and morch.float32.itemsize == 4
    assert isinstance(morch.float32, morch.dtype)
    assert pickle.loads(pickle.dumps(morch.float64)) is morch.float64


@pytest.mark.parametrize(
    "spec,expected",
    [
        (morch.float64, morch.float64),
        (np.float64, morch.float64),
        (np.dtype("int32"), morch.int32),
        ("float32", morch.float32),
        ("morch.int64", morch.int64),
        ("long", morch.int64),
        ("double", morch.float64),
        (float, morch.float64),
        (int, morch.int64),
        (bool, morch.bool),
    ],
)
def test_many_ways_to_name_a_dtype(spec, expected):
    assert morch.zeros(1, dtype=spec).dtype == expected
    if not isinstance(spec, str):  # to() reads a string as a device, as PyTorch does
        assert morch.ones(1).to(spec).dtype == expected


@pytest.mark.parametrize("spec", ["complex64", np.complex128, "float128", "nonsense", object])
def test_unsupported_dtypes_are_clear(spec):
    with pytest.raises(TypeError, match="dtype"):
        morch.zeros(1, dtype=spec)


def test_tensor_conversion_methods():
    t = morch.tensor([1.7, -2.2])
    assert t.double().dtype == morch.float64 and t.float().dtype == morch.float32
    assert t.long().dtype == morch.int64 and t.long().tolist() == [1, -2]  # truncation, as PyTorch
    assert t.int().dtype == morch.int32 and t.half().dtype == morch.float16
    assert t.bool().tolist() == [True, True]
    assert t.to(morch.float64).dtype == morch.float64
    assert t.type_as(morch.tensor([1])).dtype == morch.int64
    assert t.type() == "morch.FloatTensor" and t.long().type() == "morch.LongTensor"
    assert t.type(morch.float64).dtype == morch.float64
    assert t.float() is t  # no copy when the dtype is already right, as PyTorch
    assert t.to(morch.float32, copy=True) is not t


def test_casts_are_differentiable():
    x = morch.tensor([1.5, 2.5], requires_grad=True)
    y = x.double() * 2
    assert y.dtype == morch.float64 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype == morch.float32 and x.grad.tolist() == [2.0, 2.0]
    assert not x.long().requires_grad  # integer results carry no gradient


@requires_torch
def test_casting_float_to_int_truncates_like_torch():
    v = [-2.7, -0.5, 0.5, 2.7]
    assert morch.tensor(v).long().tolist() == torch.tensor(v).long().tolist()
    assert morch.tensor(v).to(morch.uint8).tolist()[2:] == torch.tensor(v).to(torch.uint8).tolist()[2:]
