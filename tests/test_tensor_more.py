"""Conversion and in-place shape methods, sgn, nbytes/itemsize, and the dtype queries finfo, iinfo,
promote_types, result_type, can_cast (against torch where installed)."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch


def test_in_place_shape_changes_keep_the_memory():
    v = morch.ones(4)
    w = v[:2]
    assert w.unsqueeze_(0) is w and w.shape == (1, 2)
    w.fill_(3)
    assert v.tolist() == [3.0, 3.0, 1.0, 1.0]
    x = morch.arange(6.0).reshape(2, 3)
    x.t_()
    assert x.shape == (3, 2) and x[0].tolist() == [0.0, 3.0]
    x.transpose_(0, 1).unsqueeze_(1).squeeze_()
    assert x.shape == (2, 3)
    with pytest.raises(RuntimeError, match="unsqueeze_: morch cannot change the shape of a tensor that requires grad"):
        morch.ones(2, requires_grad=True).unsqueeze_(0)


def test_conversions_and_sizes():
    x = morch.tensor([-1.5, 0.0, 300.0])
    assert x.short().dtype == morch.int16 and x.char().dtype == morch.int8 and x.byte().dtype == morch.uint8
    assert x.nbytes == 12 and x.itemsize == 4 and x.double().nbytes == 24
    assert x.sgn().tolist() == [-1.0, 0.0, 1.0]
    y = x.clone()
    y.abs_()
    assert y.tolist() == [1.5, 0.0, 300.0]
    with pytest.raises(TypeError, match="morch has no bfloat16 dtype"):
        x.bfloat16()


def test_dtype_queries():
    f = morch.finfo(morch.float32)
    assert (f.bits, f.eps, f.resolution, f.dtype) == (32, float(np.finfo(np.float32).eps), 1e-06, "float32")
    assert morch.finfo().dtype == "float32" and morch.iinfo(morch.int64).max == 2**63 - 1
    assert morch.promote_types(morch.int64, morch.float16) == morch.float16
    assert morch.result_type(morch.ones(2, dtype=morch.int32), 2.5) == morch.float32
    assert not morch.can_cast(morch.float64, morch.int64) and morch.can_cast(morch.int8, morch.float16)
    with pytest.raises(TypeError, match="finfo\\(\\) requires a floating point input type"):
        morch.finfo(morch.int32)
    with pytest.raises(TypeError, match="iinfo\\(\\) requires an integer input type"):
        morch.iinfo(morch.float32)


@requires_torch
def test_dtype_queries_match_torch():
    names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
    for a in names:
        ma, ta = getattr(morch, a), getattr(torch, a)
        if a.startswith("float"):
            mf, tf = morch.finfo(ma), torch.finfo(ta)
            assert (mf.bits, mf.eps, mf.max, mf.min, mf.tiny, mf.resolution) == (
                tf.bits, tf.eps, tf.max, tf.min, tf.tiny, tf.resolution
            )  # fmt: skip
        elif a != "bool":
            mi, ti = morch.iinfo(ma), torch.iinfo(ta)
            assert (mi.bits, mi.max, mi.min) == (ti.bits, ti.max, ti.min)
        for b in names:
            mb, tb = getattr(morch, b), getattr(torch, b)
            assert str(morch.promote_types(ma, mb)).split(".")[1] == str(torch.promote_types(ta, tb)).split(".")[1]
            assert morch.can_cast(ma, mb) == torch.can_cast(ta, tb), (a, b)


def test_unfold_windows_and_gradient():
    x = morch.arange(6.0, requires_grad=True)
    w = x.unfold(0, 3, 2)
    assert w.tolist() == [[0.0, 1.0, 2.0], [2.0, 3.0, 4.0]]
    w.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 2.0, 1.0, 1.0, 0.0]  # the shared element counts twice
    y = morch.arange(24.0, dtype=morch.float64).reshape(2, 3, 4)
    assert morch.autograd.gradcheck(lambda t: t.unfold(2, 2, 1) ** 2, (y.requires_grad_(),))
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 0 is 6 but size is 7"):
        x.unfold(0, 7, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        x.unfold(0, 2, 0)


def test_fill_diagonal_and_random_fills():
    y = morch.zeros(5, 3)
    y.fill_diagonal_(2.0, wrap=True)
    assert y[:, 0].tolist() == [2.0, 0.0, 0.0, 0.0, 2.0] and y.sum().item() == 8.0
    cube = morch.zeros(2, 2, 2).fill_diagonal_(1.0)
    assert cube.sum().item() == 2.0 and cube[1, 1, 1].item() == 1.0
    with pytest.raises(ValueError, match="all dimensions of input must be of equal length"):
        morch.zeros(2, 3, 2).fill_diagonal_(1.0)
    morch.manual_seed(0)
    assert morch.empty(4000).exponential_(2.0).mean().item() == pytest.approx(0.5, abs=0.03)
    g = morch.empty(4000).geometric_(0.25)
    assert g.min().item() >= 1 and g.mean().item() == pytest.approx(4.0, abs=0.2)
    assert morch.empty(4000).log_normal_(0.0, 0.5).log().std().item() == pytest.approx(0.5, abs=0.03)
    assert morch.empty(3).cauchy_(1.0, 0.1).shape == (3,)
    with pytest.raises(ValueError, match="exponential_ expects lambda > 0.0"):
        morch.empty(2).exponential_(0.0)


def test_post_accumulate_grad_hook():
    w = morch.ones(3, requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (w * 2).sum().backward()
    (w * 3).sum().backward()
    handle.remove()
    w.sum().backward()
    assert seen == [[2.0] * 3, [5.0] * 3] and w.grad.tolist() == [6.0] * 3
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (w * 2).register_post_accumulate_grad_hook(print)


@requires_torch
def test_unfold_matches_torch():
    a = np.arange(60.0).reshape(3, 4, 5)
    for dim, size, step in [(0, 2, 1), (1, 3, 1), (2, 2, 3), (-1, 5, 1)]:
        np.testing.assert_array_equal(
            morch.tensor(a).unfold(dim, size, step).numpy(), torch.tensor(a).unfold(dim, size, step).numpy()
        )
