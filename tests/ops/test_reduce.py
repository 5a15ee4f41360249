"""Reductions (morch/ops/reduce.py): sum, mean, max/min, arg-reductions, var/std, logsumexp, norm, cumsum,
cumprod, median/nanmedian."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import assert_close, requires_torch, torch

from .opcheck import arrays, check_grad, check_gradgrad, check_numpy, check_torch


def _lse(a, axis=None, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


# name: (fn(lib, x), numpy reference); inputs have shape (2, 3, 4)
REDUCE = {
    "sum": (lambda L, x: x.sum(), np.sum),
    "sum_dim0": (lambda L, x: L.sum(x, 0), lambda a: a.sum(0)),
    "sum_dim-1_keep": (lambda L, x: x.sum(-1, keepdim=True), lambda a: a.sum(-1, keepdims=True)),
    "sum_dims": (lambda L, x: x.sum(dim=(0, 2)), lambda a: a.sum((0, 2))),
    "sum_dims_neg_keep": (lambda L, x: x.sum((-1, 0), True), lambda a: a.sum((0, 2), keepdims=True)),
    "prod": (lambda L, x: x.prod(), np.prod),
    "prod_dim": (lambda L, x: L.prod(x, 1), lambda a: a.prod(1)),
    "prod_dim_keep": (lambda L, x: x.prod(-1, keepdim=True), lambda a: a.prod(-1, keepdims=True)),
    "mean": (lambda L, x: x.mean(), np.mean),
    "mean_dim1": (lambda L, x: L.mean(x, 1), lambda a: a.mean(1)),
    "mean_dims_keep": (lambda L, x: x.mean((1, 2), keepdim=True), lambda a: a.mean((1, 2), keepdims=True)),
    "max": (lambda L, x: x.max(), np.max),
    "min": (lambda L, x: L.min(x), np.min),
    "max_dim_values": (lambda L, x: x.max(1).values, lambda a: a.max(1)),
    "max_dim_keep": (lambda L, x: x.max(-1, keepdim=True)[0], lambda a: a.max(-1, keepdims=True)),
    "min_dim_values": (lambda L, x: L.min(x, dim=0).values, lambda a: a.min(0)),
    "amax": (lambda L, x: L.amax(x, (0, 2)), lambda a: a.max((0, 2))),
    "amin_keep": (lambda L, x: x.amin(1, keepdim=True), lambda a: a.min(1, keepdims=True)),
    "var": (lambda L, x: x.var(), lambda a: a.var(ddof=1)),
    "var_dim": (lambda L, x: L.var(x, 1), lambda a: a.var(1, ddof=1)),
    "var_biased_keep": (lambda L, x: x.var(dim=-1, unbiased=False, keepdim=True), lambda a: a.var(-1, keepdims=True)),
    "var_correction": (lambda L, x: L.var(x, dim=(0, 1), correction=2), lambda a: a.var((0, 1), ddof=2)),
    "std": (lambda L, x: x.std(), lambda a: a.std(ddof=1)),
    "std_dim_keep": (lambda L, x: L.std(x, 2, keepdim=True), lambda a: a.std(2, ddof=1, keepdims=True)),
    "logsumexp": (lambda L, x: L.logsumexp(x, 1), lambda a: _lse(a, 1)),
    "logsumexp_dims_keep": (lambda L, x: x.logsumexp((0, 2), keepdim=True), lambda a: _lse(a, (0, 2), True)),
    "norm": (lambda L, x: x.norm(), lambda a: np.sqrt((a * a).sum())),
    "norm_p1_dim": (lambda L, x: L.norm(x, 1, dim=1), lambda a: np.abs(a).sum(1)),
    "norm_p3_dim": (lambda L, x: L.norm(x, 3, dim=-1), lambda a: (np.abs(a) ** 3).sum(-1) ** (1 / 3)),
    "norm_inf": (lambda L, x: L.norm(x, float("inf"), dim=0), lambda a: np.abs(a).max(0)),
    "cumsum": (lambda L, x: x.cumsum(1), lambda a: a.cumsum(1)),
    "cumsum_neg": (lambda L, x: L.cumsum(x, dim=-1), lambda a: a.cumsum(-1)),
    "cumprod": (lambda L, x: x.cumprod(1), lambda a: a.cumprod(1)),
    "cumprod_neg": (lambda L, x: L.cumprod(x, dim=-1), lambda a: a.cumprod(-1)),
    "softmax": (lambda L, x: L.softmax(x, 1), lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True)),
    "log_softmax": (lambda L, x: L.log_softmax(x, -1), lambda a: a - _lse(a, -1, True)),
}


@pytest.mark.parametrize("name", REDUCE)
@pytest.mark.parametrize("dtype", [morch.float32, morch.float64], ids=str)
def test_reduction_forward_matches_numpy(name, dtype):
    fn, np_fn = REDUCE[name]
    check_numpy(fn, np_fn, arrays([(2, 3, 4)]), dtype)


@pytest.mark.parametrize("name", REDUCE)
def test_reduction_gradcheck(name):
    fn, _ = REDUCE[name]
    check_grad(fn, arrays([(2, 3, 2)]))


@pytest.mark.parametrize("name", REDUCE)
def test_reduction_gradgradcheck(name):
    fn, _ = REDUCE[name]
    check_gradgrad(fn, arrays([(2, 2, 2)]))


@requires_torch
@pytest.mark.parametrize("name", REDUCE)
def test_reduction_matches_torch(name):
    fn, _ = REDUCE[name]
    check_torch(fn, arrays([(2, 3, 4)]))


@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 1), ()])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_and_mean_shapes(dim, keepdim):
    a = np.arange(6.0).reshape(2, 3)
    x = morch.tensor(a)
    axis = None if dim in (None, ()) else dim  # () means all dims, as in PyTorch
    expected = np.sum(a, axis=axis, keepdims=keepdim)
    for out in (x.sum(dim, keepdim=keepdim), morch.sum(x, dim=dim, keepdim=keepdim)):
        assert out.shape == expected.shape
        assert_close(out, expected)
    assert_close(x.mean(dim, keepdim=keepdim), np.mean(a, axis=axis, keepdims=keepdim))
    assert x.var(dim, keepdim=keepdim).shape == expected.shape


def test_sum_dtypes_follow_pytorch():
    assert morch.tensor([True, False, True]).sum().dtype == morch.int64
    assert morch.tensor([True, False, True]).sum().item() == 2
    assert morch.tensor([1, 2], dtype=morch.int32).sum().dtype == morch.int64
    assert morch.tensor([1, 2], dtype=morch.uint8).sum().dtype == morch.int64
    assert morch.tensor([1.0, 2.0]).sum().dtype == morch.float32
    assert morch.tensor([1, 2]).sum(dtype=morch.float64).dtype == morch.float64


@pytest.mark.parametrize(
    "values",
    [[[1.0, 0.0, 3.0], [0.0, 0.0, 2.0], [1.5, 2.0, -3.0]], [[0.0, 2.0], [0.0, 0.0]]],
    ids=["one_or_two_zeros_per_row", "zeros"],
)
def test_prod_gradient_with_zeros(values):
    x = morch.tensor(values, dtype=morch.float64, requires_grad=True)
    assert morch.autograd.gradcheck(lambda t: t.prod(1), (x,))
    assert morch.autograd.gradcheck(lambda t: t.prod(), (x,))
    assert morch.autograd.gradgradcheck(lambda t: t.prod(1), (x,))
    assert morch.autograd.gradgradcheck(lambda t: t.prod(), (x,))
    if torch is not None:
        for dim in (None, 0, 1):
            m = morch.tensor(values, dtype=morch.float64, requires_grad=True)
            t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
            (m.prod() if dim is None else m.prod(dim)).sum().backward()
            (t.prod() if dim is None else t.prod(dim)).sum().backward()
            np.testing.assert_array_equal(m.grad.numpy(), t.grad.numpy())


def test_prod_dtypes_and_arguments():
    assert morch.tensor([2, 3]).prod().dtype == morch.int64 and morch.tensor([2, 3]).prod().item() == 6
    assert morch.tensor([True, False]).prod().dtype == morch.int64
    assert morch.tensor([2, 3]).prod(dtype=morch.float64).dtype == morch.float64
    with pytest.raises(TypeError, match="dim must be an int"):
        morch.ones(2, 2).prod((0, 1))


def test_mean_of_integers_is_refused():
    with pytest.raises(TypeError, match="mean"):
        morch.tensor([1, 2]).mean()
    assert morch.tensor([1, 2]).mean(dtype=morch.float32).item() == 1.5


def test_sum_gradient_is_ones_and_mean_gradient_one_over_n():
    x = morch.ones(2, 3, requires_grad=True)
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))
    y = morch.ones(2, 3, requires_grad=True)
    y.mean(1).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), np.full((2, 3), 1 / 3))


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "var", "logsumexp"])
def test_reduction_dim_out_of_range_is_clear(op):
    with pytest.raises(IndexError, match=r"Dimension out of range.*\[-2, 1\].*got 2"):
        getattr(morch, op)(morch.ones(2, 3), 2)


def test_repeated_dim_is_refused():
    with pytest.raises(ValueError, match="multiple times"):
        morch.ones(2, 3).sum((0, 0))
    with pytest.raises(ValueError, match="multiple times"):
        morch.ones(2, 3).sum((1, -1))


def test_reductions_of_0d_tensor():
    x = morch.tensor(3.0, requires_grad=True)
    for out in (x.sum(), x.sum(0), x.mean(-1), x.amax(0), x.max(), x.logsumexp(0)):
        assert out.shape == () and out.item() == pytest.approx(3.0)
    assert x.argmax().item() == 0 and x.argmax(0).item() == 0


# ------------------------------------------------------------------ max / min / arg-reductions
def test_max_with_dim_returns_values_and_indices():
    x = morch.tensor([[1.0, 5.0, 3.0], [7.0, 2.0, 7.0]], requires_grad=True)
    values, indices = x.max(1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert indices.dtype == morch.int64
    out = morch.max(x, dim=1)
    assert out.values.tolist() == [5.0, 7.0] and out.indices.tolist() == [1, 0]
    values.sum().backward()
    # the gradient goes to the selected index only (the first of ties, as the returned index)
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    v, i = x.min(0, keepdim=True)
    assert v.shape == (1, 3) and i.tolist() == [[0, 1, 0]]


@requires_torch
@pytest.mark.parametrize("call", ["x.max(1)", "L.min(x, dim=0)", "x.sort(1)", "L.topk(x, 1)"])
def test_values_indices_results_print_like_torch(call):
    a = np.array([[1.0, 5.0], [7.0, 2.0]])
    out = eval(call, {"L": morch, "x": morch.tensor(a)})
    expected = eval(call, {"L": torch, "x": torch.tensor(a)})
    assert repr(out) == repr(expected).replace("torch.", "morch.")
    values, indices = out
    assert out.values is values and out.indices is indices


def test_max_without_dim_shares_gradient_between_ties():
    x = morch.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0.5, 0.5])


def test_amax_ties_share_gradient_per_slice():
    x = morch.tensor([[2.0, 2.0, 1.0], [0.0, 4.0, 4.0]], requires_grad=True)
    x.amax(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.5, 0.5, 0], [0, 0.5, 0.5]])


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_argmin_match_numpy(op, dim, keepdim):
    a = np.random.default_rng(0).standard_normal((3, 4))
    out = getattr(morch.tensor(a), op)(dim, keepdim=keepdim)
    expected = getattr(np, op)(a, axis=dim, keepdims=keepdim)
    assert out.dtype == morch.int64
    np.testing.assert_array_equal(out.numpy(), expected)


@requires_torch
@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("dim", [None, 0, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_argmin_match_torch(op, dim, keepdim):
    a = np.random.default_rng(0).standard_normal((3, 4))
    out = getattr(morch.tensor(a), op)(dim, keepdim=keepdim)
    expected = getattr(torch.tensor(a), op)(dim, keepdim=keepdim)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_argmax_first_of_ties_and_no_gradient():
    x = morch.tensor([1.0, 3.0, 3.0], requires_grad=True)
    i = x.argmax()
    assert i.item() == 1 and not i.requires_grad


def test_max_of_empty_tensor_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        morch.zeros(0).max()


def test_max_of_integers_keeps_dtype():
    x = morch.tensor([[3, 1], [2, 9]])
    assert x.max().dtype == morch.int64 and x.max().item() == 9
    assert x.max(0).values.tolist() == [3, 9]


def test_max_min_with_other_tensor_are_elementwise():
    a, b = morch.tensor([1.0, 5.0]), morch.tensor([3.0, 2.0])
    assert morch.max(a, b).tolist() == [3.0, 5.0]
    assert morch.min(a, b).tolist() == [1.0, 2.0]


# ------------------------------------------------------------------ var / std / logsumexp details
def test_var_std_match_torch_conventions():
    a = np.arange(6.0).reshape(2, 3)
    x = morch.tensor(a)
    assert x.var().item() == pytest.approx(a.var(ddof=1))
    assert x.var(unbiased=False).item() == pytest.approx(a.var())
    assert x.var(1).tolist() == pytest.approx(a.var(1, ddof=1).tolist())
    assert x.std(0, correction=0).tolist() == pytest.approx(a.std(0).tolist())
    v, m = morch.var_mean(x, 1)
    assert v.tolist() == pytest.approx([1.0, 1.0]) and m.tolist() == pytest.approx([1.0, 4.0])
    s, m = morch.std_mean(x, dim=0, unbiased=False)
    assert s.tolist() == pytest.approx([1.5] * 3) and m.tolist() == pytest.approx([1.5, 2.5, 3.5])
    assert morch.tensor([1, 2, 3]).var().dtype == morch.float32


def test_var_of_single_element_is_nan_not_error():
    with pytest.warns(RuntimeWarning, match="freedom"):
        out = morch.tensor([1.0]).var()
    assert np.isnan(out.item())


def test_logsumexp_is_stable_and_handles_minus_inf():
    x = morch.tensor([1000.0, 1000.0])
    assert x.logsumexp(0).item() == pytest.approx(1000 + np.log(2))
    y = morch.tensor([[-np.inf, -np.inf], [0.0, -np.inf]])
    np.testing.assert_array_equal(y.logsumexp(1).numpy(), [-np.inf, 0.0])


def test_softmax_rows_sum_to_one_and_are_stable():
    x = morch.tensor([[1000.0, 0.0], [-1000.0, -1000.0]])
    p = x.softmax(-1)
    np.testing.assert_allclose(p.numpy(), [[1, 0], [0.5, 0.5]])
    assert np.isfinite(x.log_softmax(1).numpy()).all()


# ------------------------------------------------------------------ all / any / count_nonzero
def test_all_any_count_nonzero():
    x = morch.tensor([[0, 1, 2], [3, 4, 5]])
    assert x.all().item() is False and x.any().item() is True
    assert x.all(1).tolist() == [False, True]
    assert x.any(dim=0, keepdim=True).tolist() == [[True, True, True]]
    assert x.all().dtype == morch.bool
    assert morch.count_nonzero(x).item() == 5
    assert x.count_nonzero(0).tolist() == [1, 2, 2]


def test_norm_p0_counts_nonzeros():
    assert morch.tensor([0.0, 2.0, -1.0]).norm(0).item() == 2.0


# ------------------------------------------------------------------ values and gradients at special points
SPECIAL = {
    "norm_of_zeros": (lambda L, x: x.norm(), [0.0, 0.0]),
    "norm_dim_with_zero_row": (lambda L, x: L.norm(x.reshape(2, 1), dim=1), [0.0, 3.0]),
    "norm_p1_at_0": (lambda L, x: L.norm(x, 1), [0.0, 3.0]),
    "norm_p3_of_zeros": (lambda L, x: L.norm(x, 3), [0.0, 0.0]),
    "norm_inf_tie": (lambda L, x: L.norm(x, float("inf")), [3.0, -3.0]),
    "std_of_constant": (lambda L, x: x.std(), [1.0, 1.0]),
    "var_of_one_element": (lambda L, x: x.var(correction=0), [2.0]),
    "max_tie": (lambda L, x: x.max(), [1.0, 1.0]),
    "min_dim_tie": (lambda L, x: x.reshape(1, 2).min(1).values, [1.0, 1.0]),
    "logsumexp_with_-inf": (lambda L, x: x.logsumexp(0), [-float("inf"), 0.0]),
    "softmax_with_-inf": (lambda L, x: L.softmax(x, 0), [-float("inf"), 0.0]),
    "log_softmax_with_-inf": (lambda L, x: L.log_softmax(x, 0), [-float("inf"), 0.0]),
    "mean_of_empty": (lambda L, x: x[:0].mean(), [1.0]),
    "sum_of_empty": (lambda L, x: x[:0].sum(), [1.0]),
}


@requires_torch
@pytest.mark.parametrize("name", SPECIAL)
def test_special_points_match_torch(name):
    fn, values = SPECIAL[name]
    out = []
    for lib in (morch, torch):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        with np.errstate(all="ignore"):
            y = fn(lib, x)
            y.sum().backward()
        out.append((y.detach().numpy(), x.grad.numpy()))
    for m, t in zip(out[0], out[1]):
        np.testing.assert_allclose(m, t, rtol=1e-12, equal_nan=True)


# ------------------------------------------------------------------ cumprod with zeros, 0-d running ops
WITH_ZEROS = [
    np.array([[1.5, 0.0, 3.0, -2.0], [0.0, 0.0, 2.0, 0.5], [1.2, -0.7, 0.9, 0.0]]),  # one, two and a last zero
    np.array([[0.0], [2.0]]),
]


@pytest.mark.parametrize("a", WITH_ZEROS, ids=["zeros", "column"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumprod_gradients_are_exact_where_the_input_has_zeros(a, dim):
    fn = lambda L, x: L.cumprod(x, dim) * L.arange(x.shape[1], dtype=x.dtype).add(1.0)  # noqa: E731
    check_grad(fn, [a])
    check_gradgrad(fn, [a])
    if torch is not None:
        check_torch(fn, [a], dtype="float64", atol=1e-10, rtol=1e-10)


def test_cumprod_values_dtypes_and_errors():
    x = morch.tensor([[1, 2, 3], [0, 4, 5]], dtype=morch.int32)
    assert morch.cumprod(x, 1).tolist() == [[1, 2, 6], [0, 0, 0]]
    assert morch.cumprod(x, 1).dtype == morch.int64  # integers widen to int64, as in PyTorch
    assert morch.cumprod(x, 0, dtype=morch.float64).dtype == morch.float64
    assert morch.cumprod(morch.tensor([True, True, False]), 0).tolist() == [1, 1, 0]  # bool counts as int64
    assert morch.cumprod(morch.zeros(2, 0), 1).shape == (2, 0) and morch.zeros(0, 3).cumprod(-1).shape == (0, 3)
    e = morch.zeros(0, 3, requires_grad=True)
    e.cumprod(0).sum().backward()
    assert e.grad.shape == (0, 3)
    with pytest.raises(IndexError, match=r"cumprod: Dimension out of range \(expected to be in range of \[-2, 1\]"):
        x.cumprod(2)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_running_ops_keep_a_0d_input_0d(name):
    x = morch.tensor(3.0, requires_grad=True)
    out = getattr(morch, name)(x, 0)
    assert out.shape == () and out.item() == 3.0
    out.backward()
    assert x.grad.item() == 1.0
    assert getattr(x, name)(-1).shape == ()


# ------------------------------------------------------------------ median / nanmedian
def _distinct(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.37 - 3.0  # no ties: the index is unique


@pytest.mark.parametrize("name", ["median", "nanmedian"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), (-1, False)])
def test_median_values_indices_and_gradient(name, dim, keepdim):
    a = _distinct((3, 4))
    x = morch.tensor(a)
    out = getattr(morch, name)(x) if dim is None else getattr(x, name)(dim, keepdim=keepdim)
    if dim is None:
        expected = np.sort(a.reshape(-1))[(a.size - 1) // 2]
        assert out.shape == () and out.item() == expected
    else:
        values, indices = out
        assert out.values is values and out.indices is indices
        srt = np.sort(a, axis=dim)
        k = (a.shape[dim] - 1) // 2
        exp = np.take(srt, [k], axis=dim)
        assert_close(values, exp if keepdim else exp.squeeze(dim))
        assert_close(morch.gather(x, dim, indices if keepdim else indices.unsqueeze(dim)), exp)
        assert indices.dtype == morch.int64
    if dim is None:
        fn = lambda L, t: getattr(L, name)(t)  # noqa: E731
    else:
        fn = lambda L, t: getattr(L, name)(t, dim, keepdim=keepdim)[0]  # noqa: E731
    check_grad(fn, [a])
    check_gradgrad(fn, [a])
    if torch is not None:
        check_torch(fn, [a], dtype="float64", atol=0, rtol=0)
        if dim is not None:
            t_idx = getattr(torch, name)(torch.tensor(a), dim, keepdim=keepdim).indices
            assert getattr(morch, name)(x, dim, keepdim=keepdim).indices.tolist() == t_idx.tolist()


def test_median_with_nan_and_integers_as_pytorch():
    nan = float("nan")
    x = morch.tensor([[1.0, nan, 3.0], [4.0, 2.0, 5.0], [nan, nan, nan]])
    m = morch.median(x, 1)
    assert np.isnan(m.values[0].item()) and m.values[1].item() == 4.0 and np.isnan(m.values[2].item())
    assert m.indices.tolist() == [1, 0, 0]  # the first NaN of a slice
    nm = morch.nanmedian(x, 1)
    assert nm.values[0].item() == 1.0 and nm.values[1].item() == 4.0 and np.isnan(nm.values[2].item())
    assert nm.indices.tolist() == [0, 0, 0]
    assert np.isnan(morch.median(x).item()) and morch.nanmedian(x).item() == 3.0
    assert morch.median(morch.tensor([3, 1, 2, 4])).item() == 2  # the lower middle value
    assert morch.median(morch.tensor([3, 1, 2, 4])).dtype == morch.int64
    zero_d = morch.median(morch.tensor(5.0), 0)
    assert zero_d.values.item() == 5.0 and zero_d.indices.item() == 0
    assert np.isnan(morch.median(morch.tensor([])).item())
    empty_int = morch.median(morch.tensor([], dtype=morch.int32))  # PyTorch's nan, as an integer
    assert empty_int.dtype == morch.int32 and empty_int.item() == np.iinfo(np.int32).min
    empty_rows = morch.median(morch.zeros(0, 3), 1)
    assert empty_rows.values.shape == (0,) and empty_rows.indices.shape == (0,)
    if torch is not None:
        t = torch.tensor(x.numpy())
        assert str(m).replace("morch", "torch") == str(torch.median(t, 1))


def test_median_errors_name_the_problem():
    with pytest.raises(IndexError, match="median\\(\\): Expected reduction dim 1 to have non-zero size"):
        morch.median(morch.zeros(2, 0), 1)
    with pytest.raises(IndexError, match="median"):
        morch.median(morch.zeros(2, 3), 2)
