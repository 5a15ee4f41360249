"""Tensor (morch/tensor.py): attributes, conversions, repr, devices, iteration and in-place ops."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch


# ------------------------------------------------------------------ attributes
def test_attributes_of_a_leaf():
    t = morch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert t.shape == (2, 3) and isinstance(t.shape, morch.Size) and isinstance(t.shape, tuple)
    assert t.size() == (2, 3) and t.size(0) == 2 and t.size(-1) == 3 and t.size(dim=1) == 3
    assert t.dim() == 2 and t.ndim == 2 and t.ndimension() == 2
    assert t.numel() == 6 and t.nelement() == 6 and morch.numel(t) == 6
    assert t.dtype == morch.float32 and t.element_size() == 4
    assert t.requires_grad and t.is_leaf and t.grad_fn is None and t.grad is None
    assert t.is_floating_point() and morch.is_floating_point(t) and morch.is_tensor(t)
    assert t.device == morch.device("cpu") and t.device.type == "cpu" and not t.is_cuda


def test_attributes_of_a_result():
    x = morch.ones(3, requires_grad=True)
    y = x * 2
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None
    c = morch.ones(3) * 2
    assert c.is_leaf and not c.requires_grad and c.grad_fn is None


def test_size_repr_and_numel():
    s = morch.ones(2, 3, 4).shape
    assert repr(s) == "morch.Size([2, 3, 4])" and s.numel() == 24 and s[1:] == (3, 4)
    assert morch.tensor(1.0).shape == () and morch.tensor(1.0).numel() == 1


def test_size_dim_out_of_range():
    with pytest.raises(IndexError, match=r"Dimension out of range.*\[-2, 1\].*got 2"):
        morch.ones(2, 3).size(2)


def test_T_and_mT():
    t = morch.arange(24).reshape(2, 3, 4)
    assert t.T.shape == (4, 3, 2) and np.array_equal(t.T.numpy(), t.numpy().T)
    assert t.mT.shape == (2, 4, 3)
    assert morch.ones(3).T.shape == (3,)


def test_data_is_a_detached_alias_and_can_be_assigned():
    x = morch.ones(3, requires_grad=True)
    d = x.data
    assert not d.requires_grad and d.grad_fn is None
    d[0] = 5.0  # changes x, untracked, as in PyTorch
    assert x.tolist() == [5.0, 1.0, 1.0]
    x.data = morch.zeros(3)
    assert x.tolist() == [0.0] * 3 and x.requires_grad


def test_grad_can_be_set_and_cleared():
    x = morch.ones(2, requires_grad=True)
    x.grad = morch.tensor([1.0, 2.0])
    (x * 1).sum().backward()
    assert x.grad.tolist() == [2.0, 3.0]
    x.grad = None
    assert x.grad is None


# ------------------------------------------------------------------ conversions
def test_item():
    assert morch.tensor(2.5).item() == 2.5 and isinstance(morch.tensor(2.5).item(), float)
    assert morch.tensor([[7]]).item() == 7 and isinstance(morch.tensor([7]).item(), int)
    assert morch.tensor(True).item() is True
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        morch.ones(2).item()


def test_numpy_shares_memory_and_refuses_grad_tensors():
    t = morch.zeros(3)
    a = t.numpy()
    a[0] = 7
    assert t.tolist() == [7.0, 0.0, 0.0]
    x = morch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"requires grad.*detach\(\)\.numpy\(\)"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]
    assert x.numpy(force=True).tolist() == [1.0, 1.0]


def test_tolist():
    assert morch.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert morch.tensor(3.5).tolist() == 3.5
    assert isinstance(morch.tensor([1.0]).tolist()[0], float)


def test_array_protocol():
    t = morch.tensor([1.0, 2.0])
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.tolist() == [1.0, 2.0]
    assert np.array(t, dtype=np.float64).dtype == np.float64
    assert np.array(t, copy=True) is not t.numpy()
    assert np.asarray(morch.ones(2, requires_grad=True) * 2).tolist() == [2.0, 2.0]


def test_len_and_iteration():
    t = morch.tensor([[1, 2], [3, 4], [5, 6]])
    assert len(t) == 3
    rows = list(t)
    assert len(rows) == 3 and rows[1].tolist() == [3, 4]
    assert [int(v) for v in morch.tensor([4, 5])] == [4, 5]
    with pytest.raises(TypeError, match="0-d"):
        len(morch.tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        iter(morch.tensor(1.0))


def test_iteration_keeps_the_graph():
    x = morch.tensor([1.0, 2.0], requires_grad=True)
    total = sum(v * v for v in x)
    total.backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_python_number_conversions():
    assert float(morch.tensor([2.5])) == 2.5 and int(morch.tensor(3.9)) == 3
    assert bool(morch.tensor([1])) and not bool(morch.tensor(0.0))
    assert [10, 20, 30][morch.tensor(1)] == 20  # __index__
    assert f"{morch.tensor(3.14159):.2f}" == "3.14"
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(morch.ones(2))
    with pytest.raises(TypeError, match="integer"):
        [1, 2][morch.tensor(1.0)]


def test_comparison_with_non_numbers_falls_back_to_identity():
    t = morch.ones(2)
    assert (t == None) is False and (t != None) is True  # noqa: E711
    assert (t == "a") is False
    assert t in [None, t]


def test_tensors_are_hashable_by_identity():
    a, b = morch.ones(1), morch.ones(1)
    assert len({a, b}) == 2 and {a: 1}[a] == 1


# ------------------------------------------------------------------ repr
REPR_CASES = [
    "L.tensor([1., 2., 3.])",
    "L.tensor([1.5, 2.25])",
    "L.tensor([[1, 2], [3, 4]])",
    "L.tensor([True, False])",
    "L.tensor(3.0)",
    "L.tensor(3)",
    "L.tensor(1e-5)",
    "L.tensor([1e10, 1.])",
    "L.tensor([0.1, 1000.5])",
    "L.tensor([1., 2.], dtype=L.float64)",
    "L.tensor([1., 2.], requires_grad=True) * 2",
    "L.tensor([1., 2.], requires_grad=True) + 2",
    "L.zeros(0)",
    "L.zeros(2, 0)",
    "L.tensor([], dtype=L.int64)",
    "L.zeros(2, 0, dtype=L.int32)",
    "L.arange(2000)",
    "L.arange(3000.).reshape(100, 30)",
    "L.arange(5000.).reshape(10, 10, 50)",
    "L.arange(30.) / 7",
    "L.ones(2, requires_grad=True)",
    "L.tensor([-0., 1.5])",
    "L.tensor([-1., 2.])",
    "L.tensor([float('nan'), 2.5])",
    "L.tensor([float('nan'), float('inf'), -float('inf'), 1.0])",
    "L.tensor([[True], [False]])",
    "L.arange(8).reshape(2, 2, 2)",
    "L.arange(24.).reshape(2, 3, 4) / 3",
    "L.tensor([1., 2.], dtype=L.float16)",
    "L.tensor([1, 2], dtype=L.int32)",
    "L.tensor(1.5, requires_grad=True) * 2",
    "L.tensor([-1e-5, 1.])",
    "L.tensor([10**12, -3])",
    "L.tensor([[1.5, -2.0], [3., 4.]])",
    "L.tensor([0., 0.])",
    "L.tensor([0.5] * 40, dtype=L.float64, requires_grad=True) * 1",
    "L.ones(3, 25, dtype=L.float64, requires_grad=True)",
]


@requires_torch
@pytest.mark.parametrize("case", REPR_CASES)
def test_repr_matches_torch(case):
    expected = repr(eval(case, {"L": torch})).replace("torch.", "morch.").replace("Backward0>", "Backward>")
    assert repr(eval(case, {"L": morch})) == expected


def test_repr_without_torch():
    x = morch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward>)"
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(morch.tensor([1.5, -2.0])) == "tensor([ 1.5000, -2.0000])"
    assert repr(morch.tensor([1, 2], dtype=morch.int32)) == "tensor([1, 2], dtype=morch.int32)"
    assert repr(morch.tensor(0.5, dtype=morch.float64)) == "tensor(0.5000, dtype=morch.float64)"
    assert repr(morch.zeros(2, 0)) == "tensor([], size=(2, 0))"
    assert str(morch.tensor([1])) == "tensor([1])"
    assert repr(morch.arange(2000)) == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    assert "\n        [" in repr(morch.ones(2, 2))


# ------------------------------------------------------------------ devices
def test_devices():
    assert repr(morch.device("cpu")) == "device(type='cpu')" and str(morch.device("cpu")) == "cpu"
    assert morch.device("cpu") == "cpu" and morch.device("cpu:0") == morch.device("cpu")
    t = morch.ones(2)
    assert t.to("cpu") is t and t.cpu() is t and t.to(morch.device("cpu")) is t
    assert t.to("cpu", morch.float64).dtype == morch.float64
    assert t.to(device="cpu", dtype=morch.int64).dtype == morch.int64
    assert t.to(morch.zeros(1, dtype=morch.float64)).dtype == morch.float64
    assert morch.zeros(2, device="cpu").device.type == "cpu"
    for bad in ("cuda", "cuda:0", "mps"):
        with pytest.raises(RuntimeError, match="CPU only"):
            morch.device(bad)
        with pytest.raises(RuntimeError, match="CPU only"):
            t.to(bad)
    with pytest.raises(RuntimeError, match="CPU only"):
        t.cuda()
    with pytest.raises(TypeError, match="unexpected keyword"):
        t.to(dtype=morch.float64, foo=1)


# ------------------------------------------------------------------ in-place ops
@pytest.mark.parametrize(
    "op,expected",
    [
        (lambda t: t.add_(2), [3, 4, 5]),
        (lambda t: t.add_(morch.tensor([1.0, 1.0, 1.0]), alpha=2), [3, 4, 5]),
        (lambda t: t.sub_(1), [0, 1, 2]),
        (lambda t: t.sub_(morch.tensor(1.0), alpha=0.5), [0.5, 1.5, 2.5]),
        (lambda t: t.mul_(3), [3, 6, 9]),
        (lambda t: t.div_(2), [0.5, 1, 1.5]),
        (lambda t: t.pow_(2), [1, 4, 9]),
        (lambda t: t.zero_(), [0, 0, 0]),
        (lambda t: t.fill_(7), [7, 7, 7]),
        (lambda t: t.fill_(morch.tensor(2.5)), [2.5, 2.5, 2.5]),
        (lambda t: t.copy_(morch.tensor([9.0, 8.0, 7.0])), [9, 8, 7]),
        (lambda t: t.copy_(morch.tensor([4])), [4, 4, 4]),
        (lambda t: t.copy_(np.array([1.5, 2.5, 3.5])), [1.5, 2.5, 3.5]),
        (lambda t: t.clamp_(1.5, 2.5), [1.5, 2, 2.5]),
        (lambda t: t.neg_(), [-1, -2, -3]),
        (lambda t: t.masked_fill_(t > 1, 0), [1, 0, 0]),
        (lambda t: t.addcmul_(t, t, value=2), [3, 10, 21]),
        (lambda t: t.lerp_(morch.zeros(3), 0.5), [0.5, 1, 1.5]),
        (lambda t: t.__iadd__(1), [2, 3, 4]),
        (lambda t: t.__imul__(2), [2, 4, 6]),
        (lambda t: t.__isub__(1), [0, 1, 2]),
        (lambda t: t.__itruediv__(4), [0.25, 0.5, 0.75]),
    ],
)
def test_in_place_ops_modify_memory_and_return_self(op, expected):
    t = morch.tensor([1.0, 2.0, 3.0])
    alias = t.numpy()
    version = t._version
    out = op(t)
    assert out is t
    np.testing.assert_allclose(t.numpy(), expected)
    np.testing.assert_allclose(alias, expected)  # written into the same memory
    assert t._version > version


def test_augmented_assignment_is_in_place():
    t = morch.ones(2)
    before = t
    t += 1
    t *= 3
    assert t is before and t.tolist() == [6.0, 6.0]


def test_in_place_views_see_untracked_writes():
    t = morch.zeros(2, 3)
    row = t[0]
    t.add_(1)
    assert row.tolist() == [1.0, 1.0, 1.0]
    row.mul_(5)  # a basic-index result shares memory, as a PyTorch view
    assert t.tolist() == [[5.0] * 3, [1.0] * 3]
    t[1, 2].fill_(7)  # also a single element (numpy would give a detached scalar)
    v = morch.zeros(3)
    v[0].add_(2)
    assert t[1].tolist() == [1.0, 1.0, 7.0] and v.tolist() == [2.0, 0.0, 0.0]


def test_in_place_dtype_rules():
    i = morch.tensor([1, 2])
    i.add_(1)
    assert i.dtype == morch.int64 and i.tolist() == [2, 3]
    with pytest.raises(RuntimeError, match="result type morch.float32 can't be cast to the desired output type"):
        i.add_(0.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.div_(2)
    i.copy_(morch.tensor([1.7, -1.7]))  # copy_ casts like PyTorch: truncation
    assert i.tolist() == [1, -1]
    f = morch.zeros(2)
    f.add_(morch.tensor([1, 2]))
    assert f.dtype == morch.float32 and f.tolist() == [1.0, 2.0]


def test_in_place_broadcast_errors_are_clear():
    t = morch.zeros(3)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        t.add_(morch.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"copy_.*\[4\].*\[3\]"):
        t.copy_(morch.ones(4))
    with pytest.raises(RuntimeError, match="0-dimension"):
        t.fill_(morch.ones(2))


def test_in_place_on_tensor_requiring_grad_inside_graph():
    x = morch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.mul_(x)
    y.add_(1)
    assert y.grad_fn.name() == "AddBackward" and y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_in_place_can_make_a_tensor_require_grad():
    w = morch.ones(2, requires_grad=True)
    acc = morch.zeros(2)
    acc.add_(w * 3)
    assert acc.requires_grad
    acc.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


def test_copy_from_tensor_requiring_grad_does_not_alias():
    src = morch.tensor([1.0, 2.0], requires_grad=True)
    dst = morch.zeros(2)
    dst.copy_(src)
    assert not np.shares_memory(dst.detach().numpy(), src.detach().numpy())
    (dst * 3).sum().backward()
    assert src.grad.tolist() == [3.0, 3.0]


def test_zero_fill_on_values_with_inf_under_autograd():
    x = morch.tensor([float("inf"), 1.0], requires_grad=True)
    y = x * 2
    y.zero_()
    assert y.tolist() == [0.0, 0.0] and y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_random_in_place_fills():
    t = morch.empty(1000)
    t.uniform_(2, 3)
    assert 2 <= t.min().item() and t.max().item() < 3
    t.normal_(5, 0.1)
    assert abs(t.mean().item() - 5) < 0.05
    t.bernoulli_(0.3)
    assert set(np.unique(t.numpy()).tolist()) <= {0.0, 1.0}
    i = morch.empty(100, dtype=morch.int64).random_(0, 4)
    assert set(np.unique(i.numpy()).tolist()) <= {0, 1, 2, 3}
    with pytest.raises(RuntimeError, match="leaf Variable"):
        morch.ones(2, requires_grad=True).uniform_()


# ------------------------------------------------------------------ copying and pickling
def test_clone_copies_and_keeps_gradient():
    x = morch.ones(2, requires_grad=True)
    c = x.clone()
    assert not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    (c * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_deepcopy_and_pickle_of_leaves():
    x = morch.tensor([1.0, 2.0], requires_grad=True)
    x.grad = morch.tensor([0.5, 0.5])
    for y in (copy.deepcopy(x), pickle.loads(pickle.dumps(x))):
        assert y.tolist() == [1.0, 2.0] and y.requires_grad and y is not x
        assert not np.shares_memory(y.detach().numpy(), x.detach().numpy())
    assert copy.deepcopy(x).grad.tolist() == [0.5, 0.5]
    with pytest.raises(RuntimeError, match="leaves"):
        copy.deepcopy(x * 2)


def test_new_factories_keep_dtype():
    t = morch.ones(2, dtype=morch.float64)
    assert t.new_zeros(3).dtype == morch.float64 and t.new_zeros(3).shape == (3,)
    assert t.new_ones((2, 2)).shape == (2, 2)
    assert t.new_full((2,), 7).tolist() == [7.0, 7.0] and t.new_full((2,), 7).dtype == morch.float64
    assert t.new_empty(4).shape == (4,)
    assert t.new_tensor([1, 2]).dtype == morch.float64
    assert t.new_zeros(2, dtype=morch.int64).dtype == morch.int64


def test_legacy_constructor():
    assert morch.Tensor([1, 2]).dtype == morch.float32 and morch.Tensor([1, 2]).tolist() == [1.0, 2.0]
    assert morch.Tensor(2, 3).shape == (2, 3) and morch.Tensor(2, 3).dtype == morch.float32
    assert morch.Tensor().shape == (0,)
    a = np.array([1.0, 2.0], dtype=np.float32)
    t = morch.Tensor(a)
    a[0] = 5
    assert t.tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="numbers only"):
        morch.Tensor(["x"])
