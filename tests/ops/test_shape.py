"""Shape ops (morch/ops/shape.py and the functional layer): reshape/view/flatten/squeeze/unsqueeze,
transpose/permute/expand, flip/roll/repeat, cat/stack/split/chunk and friends."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch

from .opcheck import arrays, check_grad, check_gradgrad, check_numpy, check_torch

# name: (fn(lib, x), numpy reference, input shape)
SHAPE_OPS = {
    "reshape": (lambda L, x: x.reshape(4, 3), lambda a: a.reshape(4, 3), (2, 6)),
    "reshape_tuple_-1": (lambda L, x: L.reshape(x, (-1, 2)), lambda a: a.reshape(-1, 2), (2, 6)),
    "view": (lambda L, x: x.view(3, 2, 2), lambda a: a.reshape(3, 2, 2), (2, 6)),
    "view_-1": (lambda L, x: x.view(-1), lambda a: a.reshape(-1), (2, 3, 2)),
    "view_as": (lambda L, x: x.view_as(L.zeros(3, 4)), lambda a: a.reshape(3, 4), (2, 6)),
    "flatten": (lambda L, x: x.flatten(), lambda a: a.reshape(-1), (2, 3, 2)),
    "flatten_1": (lambda L, x: L.flatten(x, 1), lambda a: a.reshape(2, 6), (2, 3, 2)),
    "flatten_0_1": (lambda L, x: x.flatten(0, 1), lambda a: a.reshape(6, 2), (2, 3, 2)),
    "unflatten": (lambda L, x: x.unflatten(1, (2, 3)), lambda a: a.reshape(2, 2, 3, 2), (2, 6, 2)),
    "squeeze": (lambda L, x: x.squeeze(), np.squeeze, (1, 3, 1, 2)),
    "squeeze_dim": (lambda L, x: x.squeeze(2), lambda a: a.squeeze(2), (1, 3, 1, 2)),
    "squeeze_non1": (lambda L, x: L.squeeze(x, 1), lambda a: a, (1, 3, 1, 2)),
    "squeeze_tuple": (lambda L, x: x.squeeze((0, -2)), lambda a: a.reshape(3, 2), (1, 3, 1, 2)),
    "unsqueeze": (lambda L, x: x.unsqueeze(0), lambda a: a[None], (2, 3)),
    "unsqueeze_-1": (lambda L, x: L.unsqueeze(x, -1), lambda a: a[..., None], (2, 3)),
    "unsqueeze_mid": (lambda L, x: x.unsqueeze(1), lambda a: a[:, None], (2, 3)),
    "transpose": (lambda L, x: x.transpose(0, 2), lambda a: a.swapaxes(0, 2), (2, 3, 4)),
    "transpose_neg": (lambda L, x: L.transpose(x, -1, -2), lambda a: a.swapaxes(-1, -2), (2, 3, 4)),
    "t": (lambda L, x: x.t(), lambda a: a.T, (2, 3)),
    "T": (lambda L, x: x.T, lambda a: a.T, (2, 3)),
    "mT": (lambda L, x: x.mT, lambda a: a.swapaxes(-1, -2), (2, 3, 4)),
    "permute": (lambda L, x: x.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), (2, 3, 4)),
    "permute_tuple_neg": (lambda L, x: L.permute(x, (-1, 1, 0)), lambda a: a.transpose(2, 1, 0), (2, 3, 4)),
    "expand": (lambda L, x: x.expand(4, 2, 3), lambda a: np.broadcast_to(a, (4, 2, 3)), (2, 1)),
    "expand_-1": (lambda L, x: x.expand(-1, 5), lambda a: np.broadcast_to(a, (3, 5)), (3, 1)),
    "expand_as": (lambda L, x: x.expand_as(L.zeros(2, 3)), lambda a: np.broadcast_to(a, (2, 3)), (3,)),
    "broadcast_to": (lambda L, x: L.broadcast_to(x, (2, 2, 3)), lambda a: np.broadcast_to(a, (2, 2, 3)), (1, 3)),
    "contiguous": (lambda L, x: x.t().contiguous(), lambda a: a.T, (2, 3)),
    "flip": (lambda L, x: x.flip(0), lambda a: a[::-1], (3, 2)),
    "flip_dims": (lambda L, x: L.flip(x, (0, -1)), lambda a: a[::-1, ::-1], (3, 2)),
    "roll": (lambda L, x: x.roll(1, 0), lambda a: np.roll(a, 1, 0), (3, 2)),
    "roll_flat": (lambda L, x: L.roll(x, 2), lambda a: np.roll(a, 2), (3, 2)),
    "roll_dims": (lambda L, x: x.roll((1, -1), (0, 1)), lambda a: np.roll(a, (1, -1), (0, 1)), (3, 2)),
    "repeat": (lambda L, x: x.repeat(2, 3), lambda a: np.tile(a, (2, 3)), (2, 2)),
    "tril": (lambda L, x: x.tril(), np.tril, (3, 4)),
    "tril_diag": (lambda L, x: L.tril(x, -1), lambda a: np.tril(a, -1), (2, 3, 3)),
    "triu": (lambda L, x: L.triu(x), np.triu, (4, 3)),
    "triu_diag": (lambda L, x: x.triu(diagonal=1), lambda a: np.triu(a, 1), (2, 3, 3)),
    "movedim": (lambda L, x: L.movedim(x, 0, -1), lambda a: np.moveaxis(a, 0, -1), (2, 3, 4)),
    "movedim_many": (lambda L, x: x.movedim((0, 1), (2, 0)), lambda a: np.moveaxis(a, (0, 1), (2, 0)), (2, 3, 4)),
    "repeat_more_dims": (lambda L, x: x.repeat(2, 1, 2), lambda a: np.tile(a, (2, 1, 2)), (2, 2)),
    "tile": (lambda L, x: x.tile((2,)), lambda a: np.tile(a, 2), (2, 2)),
    "narrow": (lambda L, x: x.narrow(1, 1, 2), lambda a: a[:, 1:3], (2, 4)),
    "narrow_neg_start": (lambda L, x: L.narrow(x, 0, -2, 2), lambda a: a[-2:], (3, 2)),
    "select": (lambda L, x: x.select(1, 2), lambda a: a[:, 2], (2, 4)),
    "diff": (lambda L, x: L.diff(x), lambda a: np.diff(a), (2, 4)),
    "diff_n2_dim0": (lambda L, x: x.diff(n=2, dim=0), lambda a: np.diff(a, 2, 0), (4, 2)),
    "cat": (lambda L, x: L.cat([x, x * 2], 0), lambda a: np.concatenate([a, a * 2], 0), (2, 3)),
    "cat_neg_dim": (lambda L, x: L.cat((x, x[:, :1]), dim=-1), lambda a: np.concatenate([a, a[:, :1]], -1), (2, 3)),
    "concat": (lambda L, x: L.concat([x, x], 1), lambda a: np.concatenate([a, a], 1), (2, 3)),
    "stack": (lambda L, x: L.stack([x, -x]), lambda a: np.stack([a, -a]), (2, 3)),
    "stack_-1": (lambda L, x: L.stack([x, -x, x], dim=-1), lambda a: np.stack([a, -a, a], -1), (2, 3)),
    "hstack": (lambda L, x: L.hstack([x, x]), lambda a: np.hstack([a, a]), (2, 3)),
    "vstack": (lambda L, x: L.vstack([x, x[0]]), lambda a: np.vstack([a, a[0]]), (2, 3)),
}


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_op_forward_matches_numpy(name):
    fn, np_fn, shape = SHAPE_OPS[name]
    check_numpy(fn, np_fn, arrays([shape]))


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_op_gradcheck(name):
    fn, _, shape = SHAPE_OPS[name]
    check_grad(fn, arrays([shape]))


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_op_gradgradcheck(name):
    fn, _, shape = SHAPE_OPS[name]
    check_gradgrad(fn, arrays([shape]))


@requires_torch
@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_op_matches_torch(name):
    fn, _, shape = SHAPE_OPS[name]
    check_torch(fn, arrays([shape]))


# ------------------------------------------------------------------ multi-output ops
def _sum_weighted(parts):
    return sum((p * (i + 1)).sum() for i, p in enumerate(parts))


@pytest.mark.parametrize(
    "split",
    [
        lambda L, x: L.split(x, 2, 1),
        lambda L, x: x.split([1, 3, 1], dim=1),
        lambda L, x: x.split(2),
        lambda L, x: L.chunk(x, 3, -1),
        lambda L, x: x.chunk(2, 0),
        lambda L, x: x.unbind(1),
        lambda L, x: L.unbind(x),
    ],
    ids=["split_size", "split_sections", "split_dim0", "chunk3", "chunk2", "unbind1", "unbind0"],
)
def test_split_chunk_unbind(split):
    a = np.arange(15.0).reshape(3, 5)
    parts = split(morch, morch.tensor(a, dtype=morch.float64))
    assert isinstance(parts, tuple)
    if torch is not None:
        expected = split(torch, torch.tensor(a))
        assert len(parts) == len(expected)
        for p, e in zip(parts, expected):
            np.testing.assert_array_equal(p.numpy(), e.numpy())
    x = morch.tensor(a, dtype=morch.float64, requires_grad=True)
    assert morch.autograd.gradcheck(lambda t: _sum_weighted(split(morch, t)), (x,))


def test_split_errors():
    x = morch.ones(3, 5)
    with pytest.raises(ValueError, match=r"sum exactly to 5.*\[1, 2\]"):
        x.split([1, 2], 1)
    with pytest.raises(ValueError, match="positive"):
        x.split(0)
    with pytest.raises(ValueError, match="chunks"):
        x.chunk(0)


def test_chunk_sizes_follow_pytorch():
    assert [p.shape[0] for p in morch.arange(5).chunk(3)] == [2, 2, 1]
    assert [p.shape[0] for p in morch.arange(6).chunk(4)] == [2, 2, 2]
    assert [p.shape[0] for p in morch.arange(2).chunk(5)] == [1, 1]


def test_cat_promotes_dtypes_and_gradient_flows_to_each_part():
    a = morch.tensor([1, 2])
    b = morch.tensor([0.5], requires_grad=True)
    out = morch.cat([a, b])
    assert out.dtype == morch.float32 and out.tolist() == [1, 2, 0.5]
    (out * morch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert b.grad.tolist() == [3.0]


def test_cat_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"cat.*\[2, 3\].*\[2, 4\]"):
        morch.cat([morch.ones(2, 3), morch.ones(2, 4)], 0)
    with pytest.raises(ValueError, match="non-empty"):
        morch.cat([])
    with pytest.raises(ValueError, match=r"stack.*equal size"):
        morch.stack([morch.ones(2), morch.ones(3)])


def test_broadcast_tensors():
    a, b = morch.broadcast_tensors(morch.ones(3, 1), morch.zeros(4))
    assert a.shape == (3, 4) and b.shape == (3, 4)


# ------------------------------------------------------------------ errors
def test_reshape_errors():
    x = morch.ones(2, 3)
    with pytest.raises(ValueError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match="invalid"):
        x.view(-1, -1)
    with pytest.raises(ValueError, match="invalid"):
        x.reshape(-1, 4)


def test_view_accepts_a_size():
    x = morch.arange(6)
    assert x.view(morch.Size([2, 3])).shape == (2, 3)
    assert x.reshape([3, 2]).shape == (3, 2)
    assert x.view(2, -1).shape == (2, 3)


def test_permute_errors():
    with pytest.raises(ValueError, match="number of dims"):
        morch.ones(2, 3).permute(0)
    with pytest.raises(ValueError, match="permutation"):
        morch.ones(2, 3).permute(0, 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        morch.ones(2, 3).permute(0, 2)


def test_expand_errors():
    with pytest.raises(ValueError, match=r"expanded size.*\(4\).*existing size \(3\)"):
        morch.ones(3).expand(2, 4)
    with pytest.raises(ValueError, match="number of sizes"):
        morch.ones(2, 3).expand(3)


def test_transpose_and_t_errors():
    with pytest.raises(IndexError, match="Dimension out of range"):
        morch.ones(2, 3).transpose(0, 2)
    with pytest.raises(ValueError, match="<= 2 dimensions"):
        morch.ones(2, 3, 4).t()
    assert morch.ones(3).t().shape == (3,)


def test_flatten_errors_and_0d():
    assert morch.tensor(3.0).flatten().shape == (1,)
    with pytest.raises(ValueError, match="start_dim"):
        morch.ones(2, 3, 4).flatten(2, 1)


def test_unsqueeze_range():
    x = morch.ones(2, 3)
    assert x.unsqueeze(2).shape == (2, 3, 1)
    assert x.unsqueeze(-3).shape == (1, 2, 3)
    with pytest.raises(IndexError, match=r"\[-3, 2\]"):
        x.unsqueeze(3)


def test_tril_triu_movedim_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        morch.ones(3).tril()
    with pytest.raises(ValueError, match="same length"):
        morch.ones(2, 3).movedim((0, 1), 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        morch.ones(2, 3).movedim(2, 0)
    with pytest.raises(ValueError, match="repeated"):
        morch.ones(2, 3).movedim((0, 0), (0, 1))


def test_expanded_tensor_is_read_only_for_in_place_ops():
    x = morch.ones(3, 1).expand(3, 4)
    with pytest.raises(RuntimeError, match="clone"):
        x.add_(1)
    y = x.clone()
    y.add_(1)
    assert y.sum().item() == 24


@pytest.mark.parametrize(
    "call,ok",
    [
        (lambda x: x.view(3, 2), True),
        (lambda x: x[:1].view(-1), True),
        (lambda x: x[:, :1].view(-1), True),
        (lambda x: x.t().view(-1), False),
        (lambda x: morch.ones(1, 3).expand(2, 3).view(-1), False),
    ],
    ids=["contiguous", "row_slice", "column_slice", "transposed", "expanded"],
)
def test_view_shares_memory_or_refuses_as_pytorch(call, ok):
    x = morch.arange(6.0).reshape(2, 3)
    if not ok:
        with pytest.raises(RuntimeError, match=r"view size is not compatible.*use \.reshape"):
            call(x)
        return
    v = call(x)
    v.mul_(10)  # writes through the view
    assert x.sum().item() > 15.0


def test_reshape_copies_when_it_must_and_view_as():
    x = morch.arange(6.0).reshape(2, 3)
    r = x.t().reshape(-1)
    r.zero_()
    assert x.sum().item() == 15.0
    assert x.view_as(morch.zeros(3, 2)).shape == (3, 2) and x.t().reshape_as(morch.zeros(6)).shape == (6,)
