"""The 3-d layer family (adaptive 3-d pooling, 3-d padding, InstanceNorm3d, LPPool3d, max_pool3d with
indices and MaxUnpool3d, ConvTranspose3d), fractional max pooling and the lazy layers that complete
the set: values, indices and gradients against closed forms, finite differences and torch; errors."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import rand64, requires_torch, torch
from morch import nn
from morch.autograd import gradcheck
from morch.autograd.checks import gradgradcheck
from morch.nn import functional as F

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 5, 6, 7))
X4 = RNG.standard_normal((2, 4, 3, 4, 3))
W_T = RNG.standard_normal((4, 2, 2, 3, 2))
B4 = RNG.standard_normal(4)
W_T2 = RNG.standard_normal((3, 4, 3, 3, 3))
X2D = RNG.standard_normal((2, 3, 9, 8))

# name -> (call with (functional, library, *tensors), inputs); each is run in morch and in torch
CALLS = {
    "adaptive_avg": (lambda f, L, x: f.adaptive_avg_pool3d(x, (2, 4, 3)), (X,)),
    "adaptive_avg_none_unbatched": (lambda f, L, x: f.adaptive_avg_pool3d(x, (None, 1, 3)), (X[0],)),
    "adaptive_avg_one": (lambda f, L, x: f.adaptive_avg_pool3d(x, 1), (X,)),
    "adaptive_max": (lambda f, L, x: f.adaptive_max_pool3d(x, (2, 4, 3), True), (X,)),
    "adaptive_max_unbatched": (lambda f, L, x: f.adaptive_max_pool3d_with_indices(x, 3), (X[1],)),
    "max_pool_indices": (lambda f, L, x: f.max_pool3d(x, 3, 2, 1, return_indices=True), (X,)),
    "max_pool_ceil_dilated": (
        lambda f, L, x: f.max_pool3d_with_indices(x, 2, (2, 1, 2), (1, 0, 1), (1, 2, 1), True),
        (X,),
    ),  # fmt: skip
    "lp_pool": (lambda f, L, x: f.lp_pool3d(x, 2, (2, 2, 3), 1), (X,)),
    "lp_pool_p3_unbatched": (lambda f, L, x: f.lp_pool3d(x, 3, 2), (np.abs(X[0]),)),
    "lp_pool_inf": (lambda f, L, x: f.lp_pool3d(x, float("inf"), 2), (X,)),
    "conv_transpose": (
        lambda f, L, x, w, b: f.conv_transpose3d(x, w, b, (2, 1, 3), (1, 0, 1), (1, 0, 2), 2, (1, 2, 1)),
        (X4, W_T, B4),
    ),
    "conv_transpose_unbatched": (lambda f, L, x, w: f.conv_transpose3d(x, w, None, 2, 2, 1), (X[0], W_T2)),
    "conv_transpose_big_padding": (lambda f, L, x, w: f.conv_transpose3d(x, w, padding=(2, 1, 0)), (X[:1], W_T2)),
}


def _run(lib, name):
    call, arrays = CALLS[name]
    tensors = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = call(lib.nn.functional, lib, *tensors)
    values, idx = out if isinstance(out, tuple) else (out, None)
    seed = np.random.default_rng(1).standard_normal(tuple(values.shape))
    values.backward(lib.tensor(seed))
    return values.detach().numpy(), None if idx is None else idx.numpy(), [t.grad.numpy() for t in tensors]


@requires_torch
@pytest.mark.parametrize("name", sorted(CALLS))
def test_matches_torch(name):
    (mv, mi, mg), (tv, ti, tg) = _run(morch, name), _run(torch, name)
    np.testing.assert_allclose(mv, tv, rtol=1e-10, atol=1e-12)
    if ti is not None:
        assert mi.dtype == np.int64 and np.array_equal(mi, ti)
    for a, b in zip(mg, tg):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_adaptive_windows_closed_form():
    x = morch.arange(5.0).reshape(1, 1, 5, 1, 1)
    # windows of 5 -> 3: [0, 2), [1, 4), [3, 5)
    np.testing.assert_allclose(F.adaptive_avg_pool3d(x, (3, 1, 1)).flatten().numpy(), [0.5, 2.0, 3.5])
    out, idx = F.adaptive_max_pool3d(x, (3, 1, 1), return_indices=True)
    assert out.flatten().tolist() == [1.0, 3.0, 4.0] and idx.flatten().tolist() == [1, 3, 4]


def test_max_pool3d_indices_ties_and_nan():
    x = morch.zeros(1, 1, 2, 2, 2)
    out, idx = F.max_pool3d_with_indices(x, 2)
    assert idx.item() == 0  # the first of tied maxima
    x = morch.tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2))
    x.data[0, 0, 0, 0, 1] = float("nan")
    x.data[0, 0, 1, 0, 0] = float("nan")
    assert F.max_pool3d(x, 2, return_indices=True)[1].item() == 4  # the last NaN, as PyTorch's kernel
    v, i = nn.MaxPool3d(2, return_indices=True)(morch.arange(8.0).reshape(1, 2, 2, 2))
    assert v.item() == 7.0 and i.item() == 7


def test_gradients_by_finite_differences():
    x = rand64(1, 2, 3, 4, 3, seed=1)
    assert gradcheck(lambda a: F.adaptive_avg_pool3d(a, (2, 3, 2)), (x,))
    assert gradgradcheck(lambda a: F.adaptive_avg_pool3d(a, (2, 3, 2)), (x,))
    assert gradcheck(lambda a: F.adaptive_max_pool3d(a, (2, 3, 2)), (x,))
    assert gradcheck(lambda a: F.max_pool3d_with_indices(a, 2, 1, 1)[0], (x,))
    assert gradcheck(lambda a: F.lp_pool3d(a, 2, 2, 1), (rand64(1, 1, 3, 3, 3, low=0.5, high=2.0, seed=2),))
    w, b = rand64(2, 2, 2, 2, 2, seed=3), rand64(4, seed=4)
    assert gradcheck(lambda a, ww, bb: F.conv_transpose3d(a, ww, bb, 2, 1, 1, 2), (x, w, b))
    assert gradgradcheck(lambda a, ww: F.conv_transpose3d(a, ww, stride=(1, 2, 1)), (x, w[:, :1]))
    u = morch.tensor([[[0.3, 0.7, 0.1], [0.9, 0.2, 0.5]]], dtype=morch.float64)
    assert gradcheck(lambda a: F.fractional_max_pool3d(a, 2, (2, 3, 2), _random_samples=u), (x,))
    for cls in (nn.ReflectionPad3d, nn.ReplicationPad3d, nn.CircularPad3d):
        assert gradcheck(cls((1, 2, 0, 1, 2, 1)), (x,))


def test_conv_transpose3d_is_the_adjoint_of_conv3d():
    x, w = rand64(2, 4, 4, 3, 3, seed=5), rand64(4, 3, 2, 3, 2, seed=6)
    y = rand64(2, 3, 7, 5, 6, seed=7)  # <conv3d(y), x> = <y, conv_transpose3d(x)>
    lhs = (F.conv3d(y, w, stride=2, padding=(1, 1, 0)) * x).sum()
    rhs = (y * F.conv_transpose3d(x, w, stride=2, padding=(1, 1, 0), output_padding=(1, 0, 0))).sum()
    np.testing.assert_allclose(lhs.item(), rhs.item(), rtol=1e-12)


@requires_torch
def test_conv_transpose3d_layer_loads_a_torch_state_dict():
    kw = dict(stride=(2, 1, 2), padding=1, output_padding=(1, 0, 0), groups=2, dilation=(1, 2, 1))
    t = torch.nn.ConvTranspose3d(4, 6, (3, 2, 2), **kw).double()
    m = nn.ConvTranspose3d(4, 6, (3, 2, 2), **kw).double()
    assert str(m) == str(t) and m.weight.shape == tuple(t.weight.shape)
    m.load_state_dict({k: morch.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = X4[:, :, :, :3]
    np.testing.assert_allclose(m(morch.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), atol=1e-12)
    out = m(morch.tensor(x), output_size=(6, 3, 5))
    assert out.shape == t(torch.tensor(x), output_size=(6, 3, 5)).shape == (2, 6, 6, 3, 5)
    with pytest.raises(ValueError, match="requested an output size of"):
        m(morch.tensor(x), output_size=(9, 9, 9))


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fractional_max_pool_equals_torch_with_the_same_samples(dtype):
    x3 = RNG.standard_normal((2, 3, 11, 9, 13)).astype(dtype)
    u3 = torch.rand(2, 3, 3, dtype=getattr(torch, dtype))
    for kw in ({"output_size": (4, 5, 6)}, {"output_ratio": (0.5, 0.6, 0.7)}):
        mv, mi = F.fractional_max_pool3d(morch.tensor(x3), (2, 3, 2), return_indices=True,
                                         _random_samples=morch.tensor(u3.numpy()), **kw)  # fmt: skip
        tv, ti = torch.nn.functional.fractional_max_pool3d(torch.tensor(x3), (2, 3, 2), return_indices=True,
                                                           _random_samples=u3, **kw)  # fmt: skip
        assert np.array_equal(mv.numpy(), tv.numpy()) and np.array_equal(mi.numpy(), ti.numpy())
    x2, u2 = X2D.astype(dtype), torch.rand(2, 3, 2, dtype=getattr(torch, dtype))
    m = nn.FractionalMaxPool2d(3, output_ratio=0.5, return_indices=True, _random_samples=morch.tensor(u2.numpy()))
    t = torch.nn.FractionalMaxPool2d(3, output_ratio=0.5, return_indices=True, _random_samples=u2)
    (mv, mi), (tv, ti) = m(morch.tensor(x2)), t(torch.tensor(x2))
    assert np.array_equal(mv.numpy(), tv.numpy()) and np.array_equal(mi.numpy(), ti.numpy())
    # unbatched input takes (1, C, 2) samples
    mv = F.fractional_max_pool2d(morch.tensor(x2[0]), 2, 4, _random_samples=morch.tensor(u2[:1].numpy()))
    tv = torch.nn.functional.fractional_max_pool2d(torch.tensor(x2[0]), 2, 4, _random_samples=u2[:1])
    assert np.array_equal(mv.numpy(), tv.numpy())


def test_fractional_max_pool_draws_and_unpools():
    morch.manual_seed(0)
    x = morch.randn(2, 3, 8, 8, 8)
    out, idx = nn.FractionalMaxPool3d(2, output_size=5, return_indices=True)(x)
    assert out.shape == idx.shape == (2, 3, 5, 5, 5)
    assert np.array_equal(out.numpy(), x.reshape(2, 3, -1).gather(-1, idx.reshape(2, 3, -1)).reshape(out.shape).numpy())
    back = nn.MaxUnpool3d(2)(out, idx, output_size=x.shape)
    assert back.shape == x.shape and (back != 0).sum().item() == sum(
        len(np.unique(r)) for r in idx.numpy().reshape(6, -1)
    )
    np.testing.assert_array_equal(back.reshape(2, 3, -1).gather(-1, idx.reshape(2, 3, -1)).numpy(),
                                  out.reshape(2, 3, -1).numpy())  # fmt: skip
    assert not np.array_equal(nn.FractionalMaxPool3d(2, output_size=5)(x).numpy(), out.numpy())  # a new draw


def test_padding_layers_values():
    x = morch.arange(8.0).reshape(1, 2, 2, 2)
    z = nn.ZeroPad3d((1, 0, 0, 0, 0, 1))(x)
    assert z.shape == (1, 3, 2, 3) and z[0, 2].sum().item() == 0 and z[0, 0, :, 0].sum().item() == 0
    c = nn.ConstantPad3d(1, 9.0)(x)
    assert c.shape == (1, 4, 4, 4) and c.sum().item() == 28 + 9 * (64 - 8)
    assert nn.ConstantPad3d((-1, 0, 0, 0, 0, 0), 0.0)(x).shape == (1, 2, 2, 1)
    r = nn.ReplicationPad3d((0, 0, 0, 0, 2, 0))(x)
    assert r[0, 0].tolist() == r[0, 2].tolist() == x[0, 0].tolist()
    assert nn.CircularPad3d((0, 0, 0, 0, 1, 0))(x)[0, 0].tolist() == x[0, 1].tolist()
    assert nn.ReflectionPad3d((0, 0, 0, 0, 1, 0))(x)[0, 0].tolist() == x[0, 1].tolist()


def test_instance_norm3d():
    x = rand64(2, 3, 2, 3, 4, seed=8)
    out = nn.InstanceNorm3d(3)(x).detach().numpy()
    xa = x.detach().numpy()
    mean, var = xa.mean((2, 3, 4), keepdims=True), xa.var((2, 3, 4), keepdims=True)
    np.testing.assert_allclose(out, (xa - mean) / np.sqrt(var + 1e-5), atol=1e-12)
    m = nn.InstanceNorm3d(3, affine=True, track_running_stats=True, dtype=morch.float64)
    assert m(x[0]).shape == (3, 2, 3, 4) and m.running_mean.shape == (3,)
    np.testing.assert_allclose(m.running_mean.numpy(), 0.1 * mean[0].ravel(), atol=1e-12)
    assert gradcheck(lambda a: nn.InstanceNorm3d(3)(a), (x[:1],))


def test_lazy_layers_materialize_and_become_their_layer():
    for lazy, real, x, wshape in [
        (nn.LazyConv3d(4, 2), nn.Conv3d, morch.randn(1, 3, 3, 3, 3), (4, 3, 2, 2, 2)),
        (nn.LazyConvTranspose1d(4, 3, stride=2), nn.ConvTranspose1d, morch.randn(5, 6), (5, 4, 3)),
        (nn.LazyConvTranspose2d(4, 3, groups=2), nn.ConvTranspose2d, morch.randn(2, 6, 4, 4), (6, 2, 3, 3)),
        (nn.LazyConvTranspose3d(2, 2, bias=False), nn.ConvTranspose3d, morch.randn(3, 2, 2, 2), (3, 2, 2, 2, 2)),
    ]:
        weight = lazy.weight
        assert isinstance(weight, nn.UninitializedParameter)
        opt = morch.optim.SGD(lazy.parameters(), lr=0.1)
        lazy(x).sum().backward()
        opt.step()
        assert type(lazy) is real and lazy.weight is weight and weight.shape == wshape and weight.grad is not None
    for lazy, real, x in [
        (nn.LazyBatchNorm3d(), nn.BatchNorm3d, morch.randn(2, 3, 2, 2, 2)),
        (nn.LazyInstanceNorm1d(), nn.InstanceNorm1d, morch.randn(3, 5)),  # unbatched: C from dim 0
        (nn.LazyInstanceNorm2d(affine=False), nn.InstanceNorm2d, morch.randn(2, 3, 4, 4)),
        (nn.LazyInstanceNorm3d(track_running_stats=False), nn.InstanceNorm3d, morch.randn(2, 3, 2, 2, 2)),
    ]:
        rm = lazy.running_mean
        assert rm is None or isinstance(rm, nn.UninitializedBuffer)
        lazy(x)
        assert type(lazy) is real and lazy.num_features == 3
        if rm is not None:
            assert lazy.running_mean is rm and type(rm) is morch.Tensor and rm.shape == (3,)


def test_uninitialized_buffer():
    b = nn.UninitializedBuffer(dtype=morch.float64)
    assert repr(b) == "<UninitializedBuffer>" and not b.requires_grad
    b.materialize((2, 3))
    assert type(b) is morch.Tensor and b.shape == (2, 3) and b.dtype == morch.float64
    p = nn.UninitializedParameter()
    p.materialize((4,), dtype=morch.float64)
    assert type(p) is nn.Parameter and p.shape == (4,) and p.dtype == morch.float64 and p.requires_grad


@requires_torch
def test_reprs_and_state_dict_keys_match_torch():
    layers = [
        lambda n: n.ConvTranspose3d(2, 4, 3, stride=2, output_padding=1, groups=2, bias=False),
        lambda n: n.InstanceNorm3d(3), lambda n: n.LPPool3d(2, 3), lambda n: n.MaxUnpool3d(2, 1),
        lambda n: n.FractionalMaxPool2d(3, output_ratio=0.5), lambda n: n.FractionalMaxPool3d(2, output_size=3),
        lambda n: n.AdaptiveAvgPool3d((2, None, 3)), lambda n: n.AdaptiveMaxPool3d(2), lambda n: n.ZeroPad3d(1),
        lambda n: n.ConstantPad3d((1, 2, 3, 4, 5, 6), 2.5), lambda n: n.ReflectionPad3d(2),
        lambda n: n.CircularPad3d(1), lambda n: n.ReplicationPad3d((1, 1, 1, 1, 1, 1)),
        lambda n: n.LazyConv3d(4, 3), lambda n: n.LazyConvTranspose1d(4, 3, stride=2, output_padding=1),
        lambda n: n.LazyConvTranspose3d(4, 2, dilation=2), lambda n: n.LazyBatchNorm3d(),
        lambda n: n.LazyInstanceNorm1d(), lambda n: n.LazyInstanceNorm2d(affine=False),
    ]  # fmt: skip
    for make in layers:
        m, t = make(nn), make(torch.nn)
        assert str(m) == str(t)
        assert sorted(m.state_dict()) == sorted(t.state_dict())
    m, t = nn.LazyInstanceNorm3d(), torch.nn.LazyInstanceNorm3d()
    m(morch.randn(2, 3, 2, 2, 2))
    t(torch.randn(2, 3, 2, 2, 2))
    assert str(m) == str(t)


def test_errors():
    with pytest.raises(ValueError, match=r"adaptive_avg_pool3d: expected 4-D \(C, D, H, W\) or 5-D"):
        F.adaptive_avg_pool3d(morch.randn(3, 3, 3), 2)
    with pytest.raises(TypeError, match="adaptive_avg_pool3d: expected a floating-point input"):
        F.adaptive_avg_pool3d(morch.ones(1, 2, 2, 2, dtype=morch.int64), 1)
    with pytest.raises(ValueError, match="output_size must have 3 entries"):
        F.adaptive_max_pool3d(morch.randn(1, 2, 2, 2), (1, 1))
    with pytest.raises(ValueError, match="pad should be at most half"):
        F.max_pool3d(morch.randn(1, 1, 4, 4, 4), 2, padding=2, return_indices=True)
    with pytest.raises(ValueError, match=r"conv_transpose3d: expected input of shape \(N, 4, D, H, W\)"):
        F.conv_transpose3d(morch.randn(1, 3, 2, 2, 2), morch.randn(4, 2, 1, 1, 1))
    with pytest.raises(ValueError, match="output_padding must be smaller than either stride or dilation"):
        F.conv_transpose3d(morch.randn(1, 2, 2, 2, 2), morch.randn(2, 2, 1, 1, 1), output_padding=1)
    with pytest.raises(TypeError, match="does not match the weight dtype"):
        F.conv_transpose3d(morch.randn(1, 2, 2, 2, 2), morch.randn(2, 2, 1, 1, 1, dtype=morch.float64))
    with pytest.raises(ValueError, match="pool size 3 too large relative to input size 7 along H"):
        F.fractional_max_pool2d(morch.randn(1, 1, 7, 8), 3, output_size=6)
    with pytest.raises(ValueError, match="requires specifying either an output_size or an output_ratio"):
        F.fractional_max_pool3d(morch.randn(1, 1, 4, 4, 4), 2)
    with pytest.raises(ValueError, match=r"expected _random_samples of shape \(1, 2, 2\)"):
        F.fractional_max_pool2d(morch.randn(1, 2, 6, 6), 2, 3, _random_samples=morch.rand(1, 2, 3))
    with pytest.raises(TypeError, match="expected _random_samples of the input's dtype"):
        F.fractional_max_pool2d(morch.randn(1, 2, 6, 6), 2, 3, _random_samples=morch.rand(1, 2, 2).double())
    with pytest.raises(ValueError, match="only one of output_size and output_ratio"):
        nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5)
    with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
        nn.FractionalMaxPool3d(2, output_ratio=1.5)
    with pytest.raises(NotImplementedError, match="Padding size 6 is not supported for 3D input"):
        nn.ReflectionPad3d(1)(morch.randn(3, 3, 3))
    with pytest.raises(ValueError, match="Padding size should be less than the corresponding input dimension"):
        nn.ReflectionPad3d(2)(morch.randn(1, 2, 2, 2))
    with pytest.raises(ValueError, match="max_unpool3d: expected indices of shape"):
        F.max_unpool3d(morch.randn(1, 1, 2, 2, 2), morch.zeros(1, 1, 2, 2, dtype=morch.int64), 2)
    with pytest.raises(ValueError, match="lp_pool3d: norm_type must not be 0"):
        F.lp_pool3d(morch.randn(1, 1, 2, 2, 2), 0, 2)
