"""Tensor methods PyTorch scripts use: in-place twins of ops, sum_to_size, resize_, unfold, random
fills, storage introspection, H/mH, apply_/map_, post-accumulate-grad hooks, dtype queries."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import morch
from helpers import rand64, requires_torch, torch
from morch.autograd import gradcheck
from morch.autograd.checks import gradgradcheck

RNG = np.random.default_rng(7)
A = RNG.uniform(0.2, 0.9, (3, 4))
B = RNG.uniform(0.2, 0.9, (3, 4))

# name -> the arguments after self ("B" stands for a tensor of B, "I" for an index tensor)
IN_PLACE = {
    "acos": (), "arcsin": (), "atan": (), "atan2": ("B",), "cos": (), "cosh": (), "sin": (), "sinh": (), "tan": (),
    "ceil": (), "floor": (), "round": (), "trunc": (), "frac": (), "erf": (), "exp2": (), "expm1": (), "log10": (),
    "log1p": (), "log2": (), "reciprocal": (), "rsqrt": (), "square": (), "negative": (), "mvlgamma": (1,),
    "polygamma": (1,), "cumsum": (1,), "cumprod": (0,), "tril": (), "triu": (1,), "eq": ("B",), "ne": (0.5,),
    "lt": ("B",), "le": ("B",), "gt": ("B",), "ge": ("B",), "logical_and": ("B",), "logical_or": ("B",),
    "logical_xor": ("B",), "floor_divide": ("B",), "true_divide": ("B",), "remainder": ("B",), "fmod": ("B",),
    "float_power": (2,), "index_add": (0, "I", "B2"), "abs": (), "neg": (), "log": (), "logical_not": (), "sgn": (),
}  # fmt: skip


def _args(args, lib):
    table = {"B": lambda: lib.tensor(B), "I": lambda: lib.tensor([2, 0]), "B2": lambda: lib.tensor(B[:2])}
    return [table[a]() if isinstance(a, str) else a for a in args]


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_twin_matches_out_of_place(name):
    x = morch.tensor(A)
    expected = getattr(x, name)(*_args(IN_PLACE[name], morch)).type(x.dtype).numpy()
    out = getattr(x, name + "_")(*_args(IN_PLACE[name], morch))
    assert out is x and x._version == 1 and x.dtype == morch.float64
    np.testing.assert_allclose(x.numpy(), expected)


@requires_torch
def test_in_place_twins_match_torch():
    for name, args in IN_PLACE.items():
        m, t = morch.tensor(A), torch.tensor(A)
        getattr(m, name + "_")(*_args(args, morch))
        getattr(t, name + "_")(*_args(args, torch))
        np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-6, err_msg=name)


def test_in_place_twins_follow_pytorch_rules():
    with pytest.raises(RuntimeError, match="result type morch.float32 can.t be cast to the desired output type"):
        morch.ones(2, dtype=morch.int64).sin_()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        morch.ones(2, requires_grad=True).cos_()
    with pytest.raises(RuntimeError, match="float_power_ has dtype float32 but the operation's result requires"):
        morch.ones(2).float_power_(2)
    x = rand64(5)
    y = x * 1
    y.sin_()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(x.detach().numpy()))
    # a view sees an untracked in-place write
    base = morch.tensor([0.25, 0.5, 1.0])
    base[1:].reciprocal_()
    assert base.tolist() == [0.25, 2.0, 1.0] and base._version == 1


def test_sum_to_size():
    x = rand64(2, 3, 4)
    a = x.detach().numpy()
    np.testing.assert_allclose(x.sum_to_size(3, 1).detach().numpy(), a.sum(axis=(0, 2)).reshape(3, 1))
    np.testing.assert_allclose(x.sum_to_size((1, 1, 4)).detach().numpy(), a.sum(axis=(0, 1), keepdims=True))
    assert x.sum_to_size(2, 3, 4) is x
    assert gradcheck(lambda t: t.sum_to_size(1, 3, 1), (x,))
    with pytest.raises(RuntimeError, match=r"sum_to_size: size \{\[4, 3\]\} is not expandable to size \{\[2, 3, 4\]\}"):
        x.sum_to_size(4, 3)


def test_resize():
    x = morch.arange(6.0)
    v = x.resize_(2, 2)
    assert v is x and x.tolist() == [[0.0, 1.0], [2.0, 3.0]] and x._version == 1
    owner = morch.arange(6.0)
    part = owner[1:]
    part.resize_(2, 2)  # shrinking a contiguous view keeps its memory
    part.fill_(9.0)
    assert owner.tolist() == [0.0, 9.0, 9.0, 9.0, 9.0, 5.0]
    y = morch.arange(4.0).reshape(2, 2).t()
    y.resize_(3, 2)  # grows: new memory, the new elements are zeros
    assert y.tolist() == [[0.0, 2.0], [1.0, 3.0], [0.0, 0.0]] and y.is_contiguous()
    z = morch.zeros(5).resize_as_(morch.ones(2, 3))
    assert z.shape == (2, 3) and z.sum().item() == 0.0
    with pytest.raises(RuntimeError, match="resize_: cannot resize variables that require grad"):
        morch.ones(2, requires_grad=True).resize_(1)


@requires_torch
def test_resize_matches_torch_on_contiguous_tensors():
    for shape in [(2, 3), (6,), (1, 4), (3, 1, 1)]:
        m, t = morch.arange(6.0), torch.arange(6.0)
        np.testing.assert_array_equal(m.resize_(*shape).numpy(), t.resize_(*shape).numpy())


def test_unfold_is_a_view_and_twice_differentiable():
    x = morch.arange(6.0)
    w = x.unfold(0, 2, 2)  # windows that do not overlap can be written through
    w[1].fill_(-1.0)
    assert x.tolist() == [0.0, 1.0, -1.0, -1.0, 4.0, 5.0] and x._version == 1
    assert w.storage_offset() == 0 and w.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    with pytest.raises(RuntimeError, match="read-only"):
        x.unfold(0, 3, 1).fill_(0.0)
    assert morch.tensor(5.0).unfold(0, 1, 1).tolist() == [5.0] and morch.tensor(5.0).unfold(0, 0, 1).shape == (0,)
    assert morch.ones(3).unfold(0, 0, 1).shape == (4, 0)
    y = rand64(3, 5, 2)
    for dim, size, step in [(1, 2, 1), (1, 3, 2), (0, 3, 1), (-1, 1, 3)]:
        windows = lambda t, d=dim, n=size, k=step: t.unfold(d, n, k)  # noqa: E731
        assert gradcheck(windows, (y,))
        assert gradgradcheck(lambda t, w=windows: w(t) ** 2, (y,))
    s = morch.tensor(2.0, dtype=morch.float64, requires_grad=True)
    assert gradgradcheck(lambda t: t.unfold(0, 1, 1) ** 3, (s,))
    with pytest.raises(RuntimeError, match="unfold: size is -1 but must be >= 0"):
        x.unfold(0, -1, 1)
    with pytest.raises(IndexError, match="unfold: Dimension out of range"):
        x.unfold(1, 1, 1)


@requires_torch
def test_unfold_gradient_matches_torch():
    a = RNG.standard_normal((4, 7))
    seed = RNG.standard_normal((4, 3, 3))
    m, t = morch.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    m.unfold(1, 3, 2).backward(morch.tensor(seed))
    t.unfold(1, 3, 2).backward(torch.tensor(seed))
    np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy())


def test_random_bounds_and_arguments():
    morch.manual_seed(3)
    assert set(morch.empty(500).random_(4).tolist()) == {0.0, 1.0, 2.0, 3.0}
    v = morch.empty(500, dtype=morch.int8).random_(-5, 3)
    assert v.min().item() == -5 and v.max().item() == 2
    assert set(morch.empty(200).random_(**{"from": 2, "to": 4}).tolist()) == {2.0, 3.0}
    assert set(morch.empty(200).random_(to=2).tolist()) == {0.0, 1.0}
    f = morch.empty(2000).random_()
    assert 0 <= f.min().item() and f.max().item() <= 2**24 and f.max().item() > 2**23
    assert morch.empty(2000, dtype=morch.uint8).random_().max().item() == 255
    assert set(morch.empty(100, dtype=morch.bool).random_().tolist()) == {False, True}
    assert morch.empty(100, dtype=morch.int64).random_(2, None).min().item() >= 2
    morch.manual_seed(5)
    first = morch.empty(10).random_(100)
    morch.manual_seed(5)
    assert morch.equal(first, morch.empty(10).random_(100))
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got from=0 >= to=-3"):
        morch.empty(2).random_(-3)
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for uint8"):
        morch.empty(2, dtype=morch.uint8).random_(0, 300)
    with pytest.raises(RuntimeError, match="from is out of bounds for int8"):
        morch.empty(2, dtype=morch.int8).random_(-200, 3)
    with pytest.warns(UserWarning, match="cannot hold every integer"):
        morch.empty(2).random_(0, 2**30)


def test_other_random_fills():
    morch.manual_seed(0)
    p = morch.tensor([0.0, 1.0, 0.0, 1.0])
    assert morch.empty(4).bernoulli_(p).tolist() == [0.0, 1.0, 0.0, 1.0]
    u = morch.empty(3000).uniform_(-2.0, 2.0)
    assert u.min().item() >= -2.0 and u.max().item() < 2.0
    assert morch.empty(3000).normal_(1.0, 0.5).std().item() == pytest.approx(0.5, abs=0.03)
    assert morch.empty(3000).cauchy_(2.0, 0.1).median().item() == pytest.approx(2.0, abs=0.03)
    with pytest.raises(ValueError, match="geometric_ expects p to be in"):
        morch.empty(2).geometric_(1.5)


@requires_torch
def test_storage_introspection_matches_torch():
    m, t = morch.arange(12.0).reshape(3, 4), torch.arange(12.0).reshape(3, 4)
    views = [lambda x: x[1:], lambda x: x[1], lambda x: x[:, 2], lambda x: x.t(), lambda x: x[1:][1:],
             lambda x: x.view(-1)[5:], lambda x: x.narrow(1, 1, 2), lambda x: x.unfold(1, 2, 1)]  # fmt: skip
    for view in views:
        mv, tv = view(m), view(t)
        assert mv.storage_offset() == tv.storage_offset()
        assert mv.untyped_storage().data_ptr() == m.untyped_storage().data_ptr() == m.data_ptr()
        assert mv.untyped_storage().nbytes() == tv.untyped_storage().nbytes() == 48
    storage = m.clone().untyped_storage()
    assert storage.size() == len(storage) == 48 and storage.element_size() == 1 and storage.data_ptr() != m.data_ptr()
    x = morch.ones(3, dtype=morch.int16)
    assert (x.element_size(), x.itemsize, x.nbytes) == (2, 2, 6)


def test_pinning_sharing_and_truth():
    x = morch.ones(2)
    assert not x.is_pinned() and x.share_memory_() is x
    with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
        x.pin_memory()
    assert morch.tensor([3]).is_nonzero() and not morch.tensor([[0.0]]).is_nonzero()
    with pytest.raises(RuntimeError, match="Tensor with more than one value is ambiguous"):
        x.is_nonzero()
    with pytest.raises(RuntimeError, match="Tensor with no values is ambiguous"):
        morch.ones(0).is_nonzero()


def test_conjugate_transposes():
    m = morch.arange(6.0).reshape(2, 3)
    assert m.H.tolist() == m.t().tolist() and m.mH.tolist() == m.mT.tolist() == m.t().tolist()
    b = morch.arange(24.0).reshape(2, 3, 4)
    assert b.mH.shape == (2, 4, 3) and b.adjoint().shape == (2, 4, 3)
    assert morch.tensor(2.0).H.item() == 2.0
    with pytest.raises(RuntimeError, match="tensor.H is only supported on matrices \\(2-D tensors\\). Got 3-D tensor"):
        b.H
    with pytest.raises(RuntimeError, match="tensor.mH is only supported on matrices or batches of matrices. Got 1-D"):
        morch.ones(3).mH
    with pytest.raises(RuntimeError, match="tensor.mT is only supported on matrices or batches of matrices. Got 0-D"):
        morch.tensor(1.0).mT
    x = rand64(3, 2)
    assert gradcheck(lambda t: t.H * 2, (x,))


def test_apply_and_map():
    x = morch.tensor([[1.0, 2.0], [3.0, 4.0]])
    view = x[1]
    view.apply_(lambda v: v * 10)
    assert x.tolist() == [[1.0, 2.0], [30.0, 40.0]] and x._version == 1
    assert morch.tensor([1, 2]).apply_(lambda v: v * 2.7).tolist() == [2, 5]  # cast back, truncating
    x.map_(morch.tensor([1.0, -1.0]), lambda a, b: a * b)
    assert x.tolist() == [[1.0, -2.0], [30.0, -40.0]]
    with pytest.raises(RuntimeError, match="Can't call apply_\\(\\) on Variable that requires grad"):
        morch.ones(2, requires_grad=True).apply_(abs)
    with pytest.raises(RuntimeError, match="Can't call map_\\(\\) on Variable that requires grad"):
        x.map_(morch.ones(2, requires_grad=True), max)
    with pytest.raises(TypeError, match="map_: expected morch.FloatTensor for 'other' \\(got morch.LongTensor\\)"):
        x.map_(morch.tensor([1, 2]), max)
    with pytest.raises(ValueError, match="The expanded size of the tensor \\(2\\) must match the existing size"):
        x.map_(morch.ones(3), max)


def test_post_accumulate_grad_hook_runs_after_gradient_hooks():
    w = morch.ones(2, requires_grad=True)
    order = []
    w.register_hook(lambda g: order.append(("grad", g.tolist())) or g * 10)
    w.register_post_accumulate_grad_hook(lambda t: order.append(("post", t.grad.tolist())))
    (w * 2 + w).sum().backward()  # two paths: the hooks still run once
    assert order == [("grad", [3.0, 3.0]), ("post", [30.0, 30.0])]
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        morch.ones(2).register_post_accumulate_grad_hook(print)


@requires_torch
def test_result_type_matches_torch_for_tensors_and_numbers():
    names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]

    def make(lib, name, zero_dim):
        return lib.ones(() if zero_dim else (2,), dtype=getattr(lib, name))

    def same(m, t):
        return str(m).split(".")[1] == str(t).split(".")[1]

    for a, b, za, zb in itertools.product(names, names, (False, True), (False, True)):
        expected = torch.result_type(make(torch, a, za), make(torch, b, zb))
        assert same(morch.result_type(make(morch, a, za), make(morch, b, zb)), expected)
    for a, s in itertools.product(names, (True, 2, 2.5)):
        assert same(morch.result_type(make(morch, a, False), s), torch.result_type(make(torch, a, False), s))
        assert same(morch.result_type(s, make(morch, a, True)), torch.result_type(s, make(torch, a, True)))
    for s1, s2 in itertools.product((True, 2, 2.5), repeat=2):
        assert same(morch.result_type(s1, s2), torch.result_type(s1, s2))
    f = morch.finfo(morch.float16)
    assert (f.eps, f.max, f.tiny, f.resolution) == (0.0009765625, 65504.0, 2.0**-14, 0.001)
