"""Legacy tensor types, asarray/frombuffer/DLPack, poisson/binomial, cond/while_loop, the real forms
of the complex helpers, nonzero_static and process switches (morch/_compat_more.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch.autograd import gradcheck


def test_legacy_tensor_types_construct_check_and_cast():
    t = morch.FloatTensor(2, 3)
    assert t.shape == (2, 3) and t.dtype is morch.float32
    assert isinstance(t, morch.FloatTensor) and not isinstance(t, morch.DoubleTensor)
    assert not isinstance(np.zeros(2, np.float32), morch.FloatTensor)
    assert morch.LongTensor([1, 2]).tolist() == [1, 2] and morch.LongTensor([1, 2]).dtype is morch.int64
    assert morch.BoolTensor([True]).dtype is morch.bool and morch.ByteTensor(3).dtype is morch.uint8
    assert morch.DoubleTensor().shape == (0,) and morch.HalfTensor(morch.Size([4])).shape == (4,)
    x = morch.ones(2)
    assert x.type(morch.DoubleTensor).dtype is morch.float64 and x.type("torch.IntTensor").dtype is morch.int32
    assert x.type() == "morch.FloatTensor" and x.type(morch.float16).dtype is morch.float16
    with pytest.raises(TypeError, match="expected sizes"):
        morch.FloatTensor([1.0], 2)


def test_asarray_shares_memory_when_it_can():
    a = np.arange(3.0)
    t = morch.asarray(a)
    a[0] = 9
    assert t.tolist() == [9.0, 1.0, 2.0] and t.dtype is morch.float64
    assert morch.asarray(t) is t and morch.asarray(t, copy=True)._data is not t._data
    assert morch.asarray(t, dtype=morch.float32).dtype is morch.float32
    assert morch.asarray([[1, 2]]).dtype is morch.int64 and morch.asarray(2.5).item() == 2.5
    assert morch.asarray([1.0], requires_grad=True).requires_grad
    with pytest.raises(ValueError, match="needs a copy"):
        morch.asarray(a, dtype=morch.float32, copy=False)
    with pytest.raises(ValueError, match="without a copy"):
        morch.asarray([1, 2], copy=False)


def test_frombuffer():
    buf = bytearray(np.arange(4, dtype=np.int32).tobytes())
    t = morch.frombuffer(buf, dtype=morch.int32, offset=4, count=2)
    assert t.tolist() == [1, 2]
    buf[4] = 7
    assert t.tolist() == [7, 2]  # shares the buffer
    with pytest.raises(ValueError, match="whole int32 elements"):
        morch.frombuffer(bytearray(6), dtype=morch.int32)
    with pytest.raises(ValueError, match="greater than 0"):
        morch.frombuffer(bytearray(), dtype=morch.int32)


@requires_torch
def test_dlpack_both_ways_shares_memory():
    tt = torch.arange(4.0)
    m = morch.from_dlpack(tt)
    tt[0] = 7
    assert m.tolist() == [7.0, 1.0, 2.0, 3.0]
    src = morch.arange(3.0)
    back = torch.from_dlpack(src)
    src[1] = 5
    assert back.tolist() == [0.0, 5.0, 2.0]
    assert torch.from_dlpack(morch.to_dlpack(src)).tolist() == [0.0, 5.0, 2.0]  # a capsule, as torch's


def test_poisson_and_binomial_moments():
    morch.manual_seed(0)
    p = morch.poisson(morch.full((20000,), 3.0))
    assert p.dtype is morch.float32 and abs(p.mean().item() - 3.0) < 0.06 and abs(p.var().item() - 3.0) < 0.15
    b = morch.binomial(morch.full((20000,), 10.0), morch.full((20000,), 0.3))
    assert abs(b.mean().item() - 3.0) < 0.06 and b.max().item() <= 10
    morch.manual_seed(1)
    first = morch.poisson(morch.ones(5))
    morch.manual_seed(1)
    assert morch.poisson(morch.ones(5)).tolist() == first.tolist()
    with pytest.raises(ValueError, match="non-negative"):
        morch.poisson(morch.tensor([-1.0]))
    with pytest.raises(ValueError, match="prob in"):
        morch.binomial(morch.tensor([2.0]), morch.tensor([1.5]))


def test_cond_and_while_loop():
    x = morch.tensor([1.0, 2.0], requires_grad=True)
    out = morch.cond(x.sum() > 2, lambda a: a * 3, lambda a: a - 1, (x,))
    out.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert morch.cond(False, lambda: 1, lambda: 2) == 2
    i, acc = morch.while_loop(lambda i, a: i < 4, lambda i, a: (i + 1, a * 2), (morch.tensor(0), morch.tensor(1.0)))
    assert i.item() == 4 and acc.item() == 16.0
    with pytest.raises(RuntimeError, match="one-element tensor"):
        morch.cond(morch.ones(2), lambda: 1, lambda: 2)
    with pytest.raises(RuntimeError, match="returned 1 values for 2"):
        morch.while_loop(lambda i, a: i < 1, lambda i, a: (i + 1,), (morch.tensor(0), morch.tensor(0)))


def test_complex_helpers_on_real_tensors():
    x = morch.tensor([-1.5, 0.0, 2.0])
    assert x.conj() is x and morch.conj_physical(x) is x and x.resolve_conj() is x and morch.resolve_neg(x) is x
    assert x.real is x and not morch.is_conj(x) and not morch.is_neg(x)
    with pytest.raises(RuntimeError, match="non-complex"):
        x.imag
    assert morch.angle(x).tolist() == [pytest.approx(math.pi), 0.0, 0.0]
    assert math.isnan(morch.angle(morch.tensor([float("nan")])).item())
    assert gradcheck(morch.angle, (morch.tensor([-0.5, 0.7], dtype=morch.float64, requires_grad=True),))


@requires_torch
def test_angle_and_nonzero_static_match_torch():
    v = [-1.0, 2.0, float("nan"), -0.0, 3]
    np.testing.assert_allclose(morch.angle(morch.tensor(v)).numpy(), torch.angle(torch.tensor(v)).numpy())
    np.testing.assert_allclose(morch.angle(morch.tensor([-2, 3])).numpy(), torch.angle(torch.tensor([-2, 3])).numpy())
    a = np.array([[0, 1], [2, 0], [3, 4]])
    for size, fill in ((2, -1), (6, 9), (0, -1)):
        got = morch.nonzero_static(morch.tensor(a), size=size, fill_value=fill)
        want = torch.nonzero_static(torch.tensor(a), size=size, fill_value=fill)
        assert got.tolist() == want.tolist() and got.dtype is morch.int64


def test_switches_aliases_and_as_subclass():
    assert morch.set_flush_denormal(True) is False
    morch.set_deterministic_debug_mode("warn")
    assert morch.get_deterministic_debug_mode() == 1
    morch.set_deterministic_debug_mode(0)
    with pytest.raises(RuntimeError, match="debug_mode"):
        morch.set_deterministic_debug_mode("loud")
    assert morch.vmap is morch.func.vmap and morch.GradScaler is morch.amp.GradScaler
    assert morch.default_generator is morch.random.default_generator

    class Marked(morch.Tensor):
        pass

    x = morch.ones(2, requires_grad=True)
    y = (x * 2).as_subclass(Marked)
    assert type(y) is Marked and y.tolist() == [2.0, 2.0]
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="not a subclass of Tensor"):
        x.as_subclass(int)
