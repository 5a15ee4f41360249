"""morch/_index_more.py and morch/ops/index_more.py: take/put/index_put/index_reduce, the *_scatter
functions, as_strided and friends, the *_copy table, histograms and the introspection names."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import morch
from helpers import assert_close, rand64, requires_torch, to_torch, torch
from morch.autograd import gradcheck
from morch.autograd.checks import gradgradcheck


def _idx(*values):
    return morch.tensor(list(values), dtype=morch.int64)


# ------------------------------------------------------------------ take, put, index_put, index_reduce
def test_take_reads_flat_positions_and_counts_negative_from_the_end():
    x = morch.arange(6.0).reshape(2, 3)
    assert morch.take(x, _idx(-1, 0, 4)).tolist() == [5.0, 0.0, 4.0]
    assert x.take(morch.tensor([[1, 2]])).shape == (1, 2)
    with pytest.raises(IndexError, match="out of range: tried to access index 6 on a tensor of 6 elements"):
        morch.take(x, _idx(6))
    with pytest.raises(RuntimeError, match="take.*long tensor for index"):
        morch.take(x, morch.tensor([1.0]))


def test_take_and_put_gradients():
    x = rand64(2, 3)
    assert gradcheck(lambda a: morch.take(a, _idx(0, 5, 5, -2)), (x,))
    src = rand64(3)
    assert gradcheck(lambda a, s: a.put(_idx(0, 4, 0), s, accumulate=True), (x, src))
    assert gradcheck(lambda a, s: a.put(_idx(1, 4, -1), s), (x, src))
    assert gradgradcheck(lambda a, s: a.put(_idx(1, 4, -1), s) ** 2, (x, src))


def test_put_values_errors_and_in_place_twin():
    x = morch.arange(6.0)
    assert morch.put(x, _idx(0, -1), morch.tensor([9.0, 8.0])).tolist() == [9, 1, 2, 3, 4, 8]
    assert x.put(_idx(0, 0), morch.tensor([9.0, 8.0]), accumulate=True).tolist() == [17, 1, 2, 3, 4, 5]
    with pytest.raises(IndexError, match="same number of elements.*source.numel\\(\\) = 3, index.numel\\(\\) = 2"):
        x.put(_idx(0, 1), morch.tensor([9.0, 8.0, 7.0]))
    with pytest.raises(RuntimeError, match="same dtype"):
        x.put(_idx(0), morch.tensor([1.0], dtype=morch.float64))
    assert x.put_(_idx(1), morch.tensor([7.0])) is x and x[1].item() == 7.0


def test_index_put_takes_a_tuple_of_tensors():
    x = morch.zeros(2, 3)
    out = x.index_put((_idx(0, 1), _idx(2, 2)), morch.tensor([1.0, 2.0]))
    assert out.tolist() == [[0, 0, 1], [0, 0, 2]] and x.sum().item() == 0
    acc = x.index_put((_idx(1, 1),), morch.tensor(1.0), accumulate=True)
    assert acc.tolist() == [[0, 0, 0], [2, 2, 2]]
    assert morch.index_put_(x, [_idx(0)], morch.tensor(5.0)) is x and x[0].tolist() == [5, 5, 5]
    with pytest.raises(TypeError, match="must be tuple of Tensors, not Tensor"):
        x.index_put(_idx(0), morch.tensor(1.0))
    with pytest.raises(TypeError, match="expected Tensor as element 0.*NoneType"):
        x.index_put((None, _idx(0)), morch.tensor(1.0))
    with pytest.raises(RuntimeError, match="dtypes match, got morch.float32 for the destination and morch.float64"):
        x.index_put((_idx(0),), morch.tensor(1.0, dtype=morch.float64))
    v = rand64(2)
    assert gradcheck(lambda a, s: a.index_put((_idx(0, 1), _idx(1, 1)), s, accumulate=True), (rand64(2, 3), v))


@requires_torch
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_matches_torch(reduce, include_self):
    x, src = rand64(4, 3, seed=0), rand64(5, 3, seed=1)
    idx = [0, 2, 0, 3, 0]
    out = x.index_reduce(0, _idx(*idx), src, reduce, include_self=include_self)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's "in beta" warning
        tx, tsrc = to_torch(x), to_torch(src)
        expected = tx.index_reduce(0, torch.tensor(idx), tsrc, reduce, include_self=include_self)
    assert_close(out, expected)
    seed = np.random.default_rng(2).standard_normal((4, 3))
    out.backward(morch.tensor(seed))
    expected.backward(torch.tensor(seed))
    assert_close(x.grad, tx.grad)
    assert_close(src.grad, tsrc.grad)


def test_index_reduce_along_dim_1_integers_gradients_and_errors():
    x = morch.ones(3, 2, dtype=morch.int64)
    out = x.index_reduce(0, _idx(0, 0, 2), morch.tensor([[2, 3], [4, 5], [6, 7]]), "mean")
    assert out.tolist() == [[2, 3], [1, 1], [3, 4]]  # integer mean rounds down
    a, s = rand64(2, 3, low=0.5, high=2), rand64(2, 2, low=0.5, high=2)
    assert gradcheck(lambda a, s: morch.index_reduce(a, 1, _idx(2, 0), s, "prod"), (a, s))
    assert gradgradcheck(lambda a, s: morch.index_reduce(a, 1, _idx(2, 2), s, "mean", include_self=False), (a, s))
    y, src3 = morch.ones(3, 2), morch.ones(3, 2)
    with pytest.raises(RuntimeError, match="one of prod, mean, amax or amin but got sum"):
        y.index_reduce(0, _idx(0, 1, 2), src3, "sum")
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        y.index_reduce(0, morch.tensor([[0, 1, 2]]), src3, "prod")
    with pytest.raises(RuntimeError, match=r"Number of indices \(2\) should be equal to source.size\(dim\): \(3\)"):
        y.index_reduce(0, _idx(0, 1), src3, "prod")
    with pytest.raises(IndexError, match="index out of range in self"):
        y.index_reduce(0, _idx(0, 1, 3), src3, "prod")
    with pytest.raises(RuntimeError, match="source tensor shape must match self tensor shape"):
        y.index_reduce(0, _idx(0, 1, 2), morch.ones(3, 3), "prod")
    with pytest.raises(RuntimeError, match="must have the same scalar type"):
        y.index_reduce(0, _idx(0, 1, 2), morch.ones(3, 2, dtype=morch.float64), "prod")
    assert y.index_reduce_(0, _idx(0, 0, 0), morch.full((3, 2), 2.0), "prod") is y and y[0].tolist() == [8, 8]


def test_argwhere_and_unravel_index():
    assert morch.argwhere(morch.tensor([[0, 1], [2, 0]])).tolist() == [[0, 1], [1, 0]]
    assert morch.tensor([0.0, 3.0]).argwhere().tolist() == [[1]]
    rows, cols = morch.unravel_index(_idx(4, -1, 5, 7, -7), (2, 3))
    assert rows.tolist() == [1, 1, 1, 0, 1] and cols.tolist() == [1, 2, 2, 1, 2]  # wraps around as torch
    assert rows.dtype == morch.int64
    (flat,) = morch.unravel_index(_idx(4), 6)
    assert flat.tolist() == [4]
    assert morch.unravel_index(morch.tensor(0), ()) == ()
    with pytest.raises(TypeError, match="expected 'indices' to be integer dtype"):
        morch.unravel_index(morch.tensor([1.0]), (2, 3))
    with pytest.raises(ValueError, match="'shape' cannot have negative values"):
        morch.unravel_index(_idx(1), (2, -3))


@requires_torch
def test_unravel_index_matches_torch():
    idx = [0, 5, 11, -1, -13, 30]
    for m, t in zip(morch.unravel_index(_idx(*idx), (3, 4)), torch.unravel_index(torch.tensor(idx), (3, 4))):
        assert m.tolist() == t.tolist()


# ------------------------------------------------------------------ *_scatter
def test_select_slice_diagonal_scatter_values_and_errors():
    z = morch.zeros(2, 3)
    assert morch.select_scatter(z, morch.ones(3), 0, -1).tolist() == [[0, 0, 0], [1, 1, 1]]
    assert z.slice_scatter(morch.ones(2, 1), 1, 1, None, 2).tolist() == [[0, 1, 0], [0, 1, 0]]
    assert morch.diagonal_scatter(morch.zeros(3, 3), morch.ones(2), 1).tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    with pytest.raises(RuntimeError, match=r"src size = \[2\], slice size = \[3\]"):
        morch.select_scatter(z, morch.ones(2), 0, 1)
    with pytest.raises(IndexError, match="index 2 out of range for tensor of size \\[2, 3\\] at dimension 0"):
        morch.select_scatter(z, morch.ones(3), 0, 2)
    with pytest.raises(RuntimeError, match="slice step must be positive"):
        morch.slice_scatter(z, morch.ones(1, 3), 0, 0, None, 0)
    with pytest.raises(RuntimeError, match=r"src size = \[3\], slice size = \[2\]"):
        morch.diagonal_scatter(morch.zeros(3, 3), morch.ones(3), 1)
    # src is cast to input's dtype, as in PyTorch
    assert morch.select_scatter(z, morch.ones(3, dtype=morch.float64), 0, 0).dtype == morch.float32


def test_scatter_gradients():
    x = rand64(3, 4)
    assert gradgradcheck(lambda a, s: morch.select_scatter(a, s, 1, -2) ** 2, (x, rand64(3)))
    assert gradcheck(lambda a, s: morch.slice_scatter(a, s, 1, 0, 4, 3), (x, rand64(3, 2)))
    assert gradgradcheck(lambda a, s: morch.diagonal_scatter(a, s, -1) ** 2, (x, rand64(2)))
    cube = rand64(2, 3, 3)
    assert gradcheck(lambda a, s: morch.diagonal_scatter(a, s, 0, 0, 2), (cube, rand64(3, 2)))


@requires_torch
def test_diagonal_and_slice_scatter_match_torch():
    x, s = rand64(2, 4, 3, seed=3), rand64(4, 2, seed=4)
    ours = morch.diagonal_scatter(x, s, -1, 2, 0)
    assert_close(ours, torch.diagonal_scatter(to_torch(x), to_torch(s), -1, 2, 0))
    s2 = rand64(2, 2, 3, seed=5)
    assert_close(
        morch.slice_scatter(x, s2, 1, -3, None, 2), torch.slice_scatter(to_torch(x), to_torch(s2), 1, -3, None, 2)
    )


# ------------------------------------------------------------------ as_strided and friends
def test_as_strided_is_a_view_of_the_storage():
    x = morch.arange(6.0)
    v = x.as_strided((2, 2), (1, 2))
    assert v.tolist() == [[0, 2], [1, 3]] and v.stride() == (1, 2)
    v[0, 1] = 100.0
    assert x[2].item() == 100.0  # writes reach the storage
    tail = x[2:].as_strided((2,), (1,))  # storage offset defaults to the input's own
    assert tail.tolist() == [100.0, 3.0] and tail.storage_offset() == 2
    assert x[2:].as_strided((2,), (1,), 0).tolist() == [0.0, 1.0]  # the offset counts from the storage's start
    assert morch.as_strided(x, (0,), (1,), 100).shape == (0,)
    windows = x.as_strided((3, 2), (1, 1))
    with pytest.raises(RuntimeError, match="read-only|shared"):
        windows[0, 0] = 1.0


def test_as_strided_refuses_geometries_outside_the_storage():
    x = morch.arange(6.0)
    with pytest.raises(RuntimeError, match="storage offset 10 need a storage of 13 elements.*storage of 6 elements"):
        x.as_strided((2, 2), (1, 1), 10)
    with pytest.raises(RuntimeError, match="out of bounds"):
        x[4:].as_strided((3,), (1,))  # from offset 4, three elements would end past the storage
    with pytest.raises(RuntimeError, match="Negative strides are not supported"):
        x.as_strided((2, 2), (1, -1))
    with pytest.raises(RuntimeError, match="mismatch in length of strides and shape"):
        x.as_strided((2,), (1, 1))
    with pytest.raises(RuntimeError, match="invalid storage offset -1"):
        x.as_strided((2,), (1,), -1)


def test_as_strided_gradient_adds_overlapping_windows():
    a = morch.arange(6.0, requires_grad=True)
    a.as_strided((3, 2), (1, 1)).backward(morch.arange(6.0).reshape(3, 2))
    assert a.grad.tolist() == [0, 3, 7, 5, 0, 0]
    b = morch.arange(8.0, requires_grad=True)
    b[2:6].as_strided((2,), (2,), 1).backward(morch.tensor([10.0, 20.0]))  # storage 1 lies outside the view
    assert b.grad.tolist() == [0, 0, 0, 20, 0, 0, 0, 0]
    c = morch.tensor([1.0, 2.0], requires_grad=True)
    c[:1].expand(3).as_strided((2,), (1,)).backward(morch.tensor([10.0, 20.0]))
    assert c.grad.tolist() == [10.0, 0.0]  # expanded elements share their place's gradient, as in torch
    x = rand64(3, 4)
    assert gradcheck(lambda t: t.as_strided((2, 3), (3, 2), 1), (x,))
    assert gradgradcheck(lambda t: t.t().as_strided((2, 2), (1, 1)) ** 2, (x,))


@requires_torch
def test_as_strided_scatter_matches_torch():
    for make, args in [
        (lambda t: t, ((2,), (4,))),
        (lambda t: t.t(), ((2,), (1,), 1)),
        (lambda t: t[1:], ((2,), (1,))),
        (lambda t: t, ((2, 2), (1, 1), 2)),
    ]:
        x = rand64(3, 3, seed=6)
        src = rand64(*args[0], seed=7)
        out = morch.as_strided_scatter(make(x), src, *args)
        expected = torch.as_strided_scatter(make(to_torch(x, False)), to_torch(src, False), *args)
        assert_close(out, expected)
    x, src = rand64(3, 3), rand64(2)
    assert gradgradcheck(lambda a, s: morch.as_strided_scatter(a, s, (2,), (4,), 1) ** 2, (x, src))
    with pytest.raises(RuntimeError, match=r"src size = \[3\], slice size = \[2\]"):
        morch.as_strided_scatter(morch.zeros(3, 3), morch.ones(3), (2,), (4,))


def test_as_strided_in_place_and_empty_strided():
    x = morch.arange(6.0)
    assert x.as_strided_((2, 3), (1, 2)) is x and x.shape == (2, 3) and x.stride() == (1, 2)
    assert x.tolist() == [[0, 2, 4], [1, 3, 5]]
    with pytest.raises(RuntimeError, match="requires grad"):
        morch.ones(2, requires_grad=True).as_strided_((1,), (1,))
    e = morch.empty_strided((2, 3), (1, 2), dtype=morch.float64)
    assert e.stride() == (1, 2) and e.dtype == morch.float64 and e.untyped_storage().nbytes() == 48
    assert morch.empty_strided((2, 3), (0, 0)).untyped_storage().nbytes() == 4
    n = x.new_empty_strided((2, 3), (3, 1), dtype=morch.int32)
    assert n.dtype == morch.int32 and n.is_contiguous()


# ------------------------------------------------------------------ splits and copies
def test_split_with_sizes_and_unsafe_forms():
    x = morch.arange(5)
    assert [p.tolist() for p in morch.split_with_sizes(x, [2, 3])] == [[0, 1], [2, 3, 4]]
    assert [p.tolist() for p in x.unsafe_split(2)] == [[0, 1], [2, 3], [4]]
    assert [p.tolist() for p in morch.unsafe_chunk(x, 2)] == [[0, 1, 2], [3, 4]]
    assert [p.tolist() for p in x.unsafe_split_with_sizes([4, 1])] == [[0, 1, 2, 3], [4]]
    with pytest.raises(ValueError, match="split_sizes to sum exactly to 5"):
        morch.split_with_sizes(x, [2, 2])


@requires_torch
@pytest.mark.parametrize(
    "name, args",
    [
        ("alias_copy", ()), ("as_strided_copy", ((2, 2), (1, 3))), ("detach_copy", ()), ("diagonal_copy", (1,)),
        ("expand_copy", ((2, 3, 4),)), ("narrow_copy", (1, -3, 2)), ("permute_copy", ((1, 0),)),
        ("select_copy", (0, 1)), ("slice_copy", (1, 1, None, 2)), ("squeeze_copy", ()), ("t_copy", ()),
        ("transpose_copy", (0, 1)), ("unfold_copy", (1, 2, 1)), ("unsqueeze_copy", (1,)), ("view_copy", ((4, 3),)),
        ("split_copy", (2, 1)), ("split_with_sizes_copy", ([1, 3], 1)), ("unbind_copy", (1,)),
    ],
)  # fmt: skip
def test_copy_functions_match_torch_and_own_their_memory(name, args):
    x = rand64(3, 4, seed=8)
    out = getattr(morch, name)(x, *args)
    expected = getattr(torch, name)(to_torch(x), *args)
    outs, exps = (out, expected) if isinstance(out, tuple) else ((out,), (expected,))
    assert len(outs) == len(exps)
    for o, e in zip(outs, exps):
        assert_close(o, e)
        assert not np.shares_memory(o.detach().numpy(), x.detach().numpy())
    assert all(o.requires_grad == (name != "detach_copy") for o in outs)


def test_copy_functions_pass_gradients_and_narrow_copy_method():
    x = rand64(3, 4)
    assert gradcheck(lambda t: morch.transpose_copy(t, 0, 1) * 2, (x,))
    assert gradcheck(lambda t: morch.split_copy(t, 3, 1)[0], (x,))
    assert x.narrow_copy(1, -2, 2).shape == (3, 2)


# ------------------------------------------------------------------ histograms
@requires_torch
@pytest.mark.parametrize(
    "kwargs",
    [
        {"bins": 4}, {"bins": 3, "range": (-0.5, 0.5)}, {"bins": 5, "density": True},
        {"bins": "edges"}, {"bins": 4, "weight": True}, {"bins": 2, "weight": True, "density": True},
    ],
)  # fmt: skip
def test_histogram_matches_torch(kwargs):
    x = rand64(3, 7, requires_grad=False, seed=9)
    m_kw, t_kw = dict(kwargs), dict(kwargs)
    if kwargs["bins"] == "edges":
        m_kw["bins"] = morch.tensor([-1.0, -0.2, 0.1, 1.0], dtype=morch.float64)
        t_kw["bins"] = torch.tensor([-1.0, -0.2, 0.1, 1.0], dtype=torch.float64)
    if kwargs.get("weight"):
        w = rand64(3, 7, requires_grad=False, low=0, high=2, seed=10)
        m_kw["weight"], t_kw["weight"] = w, to_torch(w)
    hist, edges = morch.histogram(x, **m_kw)
    t_hist, t_edges = torch.histogram(to_torch(x), **t_kw)
    assert_close(hist, t_hist)
    assert_close(edges, t_edges)
    assert hist.dtype == morch.float64
    assert x.histogram(**m_kw).hist.shape == hist.shape


def test_histogram_edge_cases_and_errors():
    hist, edges = morch.histogram(morch.tensor([1.0, 1.0]), bins=2)
    assert hist.tolist() == [0, 2] and edges.tolist() == [0.5, 1.0, 1.5]
    assert morch.histogram(morch.tensor([1.0, 5.0]), bins=2, range=(0.0, 2.0)).hist.tolist() == [0, 1]
    assert morch.histogram(morch.tensor([]), bins=2).bin_edges.tolist() == [0.0, 0.5, 1.0]
    assert "hist=" in repr(morch.histogram(morch.tensor([1.0]), bins=1))
    with pytest.raises(NotImplementedError, match="floating point"):
        morch.histogram(morch.tensor([1, 2]), bins=2)
    with pytest.raises(RuntimeError, match="bins must be > 0, but got 0"):
        morch.histogram(morch.tensor([1.0]), bins=0)
    with pytest.raises(RuntimeError, match="min should not exceed max"):
        morch.histogram(morch.tensor([1.0]), bins=2, range=(3.0, 1.0))
    with pytest.raises(RuntimeError, match="range \\[nan, nan\\] is not finite"):
        morch.histogram(morch.tensor([1.0, float("nan")]), bins=2)


@requires_torch
def test_histogramdd_matches_torch():
    pts = rand64(20, 2, requires_grad=False, seed=11)
    w = rand64(20, requires_grad=False, low=0, high=1, seed=12)
    for kwargs in ({"bins": [3, 2]}, {"bins": 2, "range": [-1.0, 0.0, -1.0, 1.0], "density": True}):
        hist, edges = morch.histogramdd(pts, weight=w, **kwargs)
        t_hist, t_edges = torch.histogramdd(to_torch(pts), weight=to_torch(w), **kwargs)
        assert_close(hist, t_hist)
        assert len(edges) == 2 and all(assert_close(e, te) is None for e, te in zip(edges, t_edges))
    edges = [morch.tensor([0.0, 1.0, 2.0]), morch.tensor([0.0, 1.0, 2.0])]
    hist, _ = morch.histogramdd(morch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]), bins=edges)
    assert hist.tolist() == [[1, 0], [0, 2]]
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        morch.histogramdd(morch.tensor([1.0, 5.0]), bins=2)
    with pytest.raises(RuntimeError, match="range should have 4 elements, but got 2"):
        morch.histogramdd(morch.tensor([[1.0, 5.0]]), bins=2, range=[0.0, 1.0])


# ------------------------------------------------------------------ introspection and compatibility names
def test_tensor_flags_and_introspection():
    x = morch.arange(6.0)
    assert x.is_cpu is True
    for flag in ("is_sparse", "is_sparse_csr", "is_quantized", "is_meta", "is_mkldnn", "is_nested", "is_xpu",
                 "is_mps", "is_vulkan"):  # fmt: skip
        assert getattr(x, flag) is False
    assert x.get_device() == -1 and morch.get_device(x) == -1
    assert x.is_inference() is False and morch.is_inference(x) is False
    assert x.is_shared() is False and x.output_nr == 0 and x.name is None
    assert x.is_set_to(x[:]) and not x.is_set_to(x.view(2, 3)) and not x.is_set_to(morch.arange(6.0))
    assert x.const_data_ptr() == x.data_ptr()
    assert x.dim_order() == (0,) and morch.zeros(2, 3, 4).permute(1, 2, 0).dim_order() == (2, 0, 1)
    assert morch.zeros(2, 3, 4).as_strided((2, 3, 4), (1, 1, 1)).dim_order() == (2, 1, 0)
    with pytest.raises(RuntimeError, match="does not have unique dim order"):
        morch.zeros(2, 1).dim_order(ambiguity_check=True)
    assert morch.zeros(1, 2, 3, 4).dim_order(ambiguity_check=[morch.contiguous_format, morch.channels_last]) == (
        0, 1, 2, 3,
    )  # fmt: skip


@requires_torch
def test_dim_order_matches_torch():
    cases = [((2, 3, 4), (1, 2, 0)), ((2, 3, 5, 7), (0, 2, 1, 3)), ((4, 3), (1, 0))]
    for shape, perm in cases:
        assert morch.zeros(*shape).permute(*perm).dim_order() == torch.zeros(*shape).permute(*perm).dim_order()
    m, t = morch.zeros(3, 1).expand(3, 2), torch.zeros(3, 1).expand(3, 2)
    assert m.dim_order() == t.dim_order()


def test_storage_new_and_resize():
    x = morch.arange(6.0)
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        s = x[2:].storage()
    assert s.size() == 6 and len(s) == 6 and s.element_size() == 4 and s.dtype == morch.float32
    assert s.data_ptr() == x.data_ptr() and s.untyped().nbytes() == 24
    assert x.storage_type().__name__ == "FloatStorage" and isinstance(s, x.storage_type())
    assert morch.is_storage(s) and morch.is_storage(x.untyped_storage()) and not morch.is_storage(x)
    assert x.new(2, 3).shape == (2, 3) and x.new(morch.Size([4])).shape == (4,)
    assert x.new([1, 2]).tolist() == [1.0, 2.0] and x.new([1, 2]).dtype == morch.float32
    assert x.new().shape == (0,)
    alias = x.new(x)
    assert alias.data_ptr() == x.data_ptr()
    with pytest.raises(TypeError, match="data must be a sequence"):
        x.new(2.5)
    with pytest.raises(TypeError, match="dtype"):
        x.new(morch.tensor([1, 2]))
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        assert x.resize(2, 3).shape == (2, 3)
    with pytest.warns(UserWarning, match="non-inplace resize_as is deprecated"):
        assert x.resize_as(morch.zeros(3, 2)).shape == (3, 2)
    with pytest.raises(RuntimeError, match="requested resize to 2x5"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x.resize(2, 5)


def test_top_level_compatibility_names():
    w = morch.ones(2, requires_grad=True)
    assert morch.detach(w).requires_grad is False
    y = w * 2
    assert morch.detach_(y) is y and y.grad_fn is None
    t = morch.ones(3)
    assert morch.zero_(t) is t and t.tolist() == [0, 0, 0]
    assert morch.fill_(t, 2) is t and t.tolist() == [2, 2, 2]
    v = morch.tensor(3.0, requires_grad=True)
    filled = morch.fill(t, v)
    assert filled.tolist() == [3, 3, 3] and t.tolist() == [2, 2, 2]
    filled.sum().backward()
    assert v.grad.item() == 3.0
    with pytest.raises(RuntimeError, match="only supports 0-dimension value tensor"):
        morch.fill(t, morch.ones(1))
    assert morch.typename(morch.zeros(1, dtype=morch.int32)) == "morch.IntTensor"
    assert morch.typename(3) == "int" and morch.typename(len) == "len"
    assert morch.typename(morch.nn.Linear(1, 1)).endswith("Linear")
    assert morch.is_inference_mode_enabled() is False


def test_inference_mode_flag():
    @morch.inference_mode
    def decorated():
        return morch.is_inference_mode_enabled(), morch.is_grad_enabled()

    with morch.inference_mode():
        assert morch.is_inference_mode_enabled() and not morch.is_grad_enabled()
        with morch.inference_mode(False):
            assert not morch.is_inference_mode_enabled()
        assert morch.is_inference_mode_enabled()
    with morch.no_grad():
        assert not morch.is_inference_mode_enabled()
    assert decorated() == (True, False)
    assert not morch.is_inference_mode_enabled() and morch.is_grad_enabled()


def test_switches_and_default_tensor_type():
    morch.set_warn_always(True)
    assert morch.is_warn_always_enabled()
    morch.set_warn_always(False)
    assert not morch.is_warn_always_enabled()
    morch.set_anomaly_enabled(True)
    assert morch.is_anomaly_enabled() and morch.autograd.is_anomaly_enabled()
    morch.set_anomaly_enabled(False)
    with morch.autograd.detect_anomaly():
        assert morch.is_anomaly_enabled()
    assert not morch.is_anomaly_enabled()
    try:
        with pytest.warns(UserWarning, match="deprecated"):
            morch.set_default_tensor_type("torch.DoubleTensor")
        assert morch.get_default_dtype() == morch.float64 and morch.tensor([1.0]).dtype == morch.float64
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            morch.set_default_tensor_type("morch.FloatTensor")
    assert morch.get_default_dtype() == morch.float32
    with pytest.raises(TypeError, match="only floating-point types"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        morch.set_default_tensor_type("torch.LongTensor")
    with pytest.raises(TypeError, match="is not a tensor type"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        morch.set_default_tensor_type(morch.float64)


def test_bound_random_and_activation_methods():
    p = morch.tensor([0.0, 1.0, 1.0])
    assert p.bernoulli().tolist() == [0, 1, 1]
    assert p.bernoulli(0.0).tolist() == [0, 0, 0]
    g = morch.Generator().manual_seed(0)
    assert morch.tensor([0.0, 0.0, 1.0]).multinomial(1, generator=g).tolist() == [2]
    x = morch.tensor([[-2.0, 0.3], [1.0, -0.2]])
    assert x.prelu(morch.tensor([0.25])).tolist() == [[-0.5, 0.30000001192092896], [1.0, -0.05000000074505806]]
    assert x.hardshrink(0.5).tolist() == [[-2.0, 0.0], [1.0, 0.0]]


def test_every_name_is_exported_and_methods_do_not_override():
    from morch import _index_more

    for name in _index_more.__all__:
        assert getattr(morch, name) is getattr(_index_more, name)
    assert morch.Tensor.detach.__module__ == "morch.tensor"  # existing methods kept
    assert morch.Tensor.bernoulli_.__module__ == "morch.tensor"
