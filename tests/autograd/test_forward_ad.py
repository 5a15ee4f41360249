"""morch.autograd.forward_ad: dual tensors, tangents against closed forms and torch, levels, errors."""

from __future__ import annotations

import numpy as np
import pytest

import morch
import morch.nn.functional as MF
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import forward_ad as fwAD
from morch.autograd.checks import gradcheck, gradgradcheck

# torch.autograd.forward_ad warns through its own use of torch.jit
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")


def _arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def _cases(lib, F):
    """name -> (function of tensors, input shapes); the same code runs on morch and on torch."""
    return {
        "elementwise": (lambda x: lib.sin(x) * lib.exp(x) + x**3 / (1 + x * x) - lib.tanh(x), [(3, 4)]),
        "matmul": (lambda a, b: a @ b, [(3, 4), (4, 2)]),
        "reductions": (lambda x: x.sum(0) * x.mean(1)[:1] + x.prod(1).sum() + x.amax(1).sum(), [(3, 4)]),
        "norm_logsumexp": (lambda x: lib.logsumexp(x, 1) + x.norm(), [(3, 4)]),
        "linear": (lambda x, w, b: F.linear(x, w, b), [(5, 4), (3, 4), (3,)]),
        "conv2d": (lambda x, w: F.conv2d(x, w, padding=1, stride=2), [(2, 3, 6, 6), (4, 3, 3, 3)]),
        "softmax": (lambda x: F.softmax(x, dim=1) * F.log_softmax(x, dim=0), [(3, 5)]),
        "broadcast": (lambda x, y: (x * y).sum(1), [(3, 4), (4,)]),
    }


def _unpack_all(lib, A, fn, arrays, tangents):
    """(primal, tangent) of fn at arrays with every input dual."""
    with A.dual_level():
        duals = [A.make_dual(lib.tensor(a), lib.tensor(t)) for a, t in zip(arrays, tangents)]
        primal, tangent = A.unpack_dual(fn(*duals))
        return primal.detach(), tangent


@requires_torch
@pytest.mark.parametrize("name", list(_cases(morch, MF)))
def test_tangents_match_torch(name):
    fn, shapes = _cases(morch, MF)[name]
    tfn, _ = _cases(torch, torch.nn.functional)[name]
    arrays, tangents = _arrays(*shapes, seed=1), _arrays(*shapes, seed=2)
    p, t = _unpack_all(morch, fwAD, fn, arrays, tangents)
    tp, tt = _unpack_all(torch, torch.autograd.forward_ad, tfn, arrays, tangents)
    assert_close(p, tp, atol=1e-10)
    assert_close(t, tt, atol=1e-9)
    assert t.dtype == morch.float64 and tuple(t.shape) == tuple(tt.shape)


@requires_torch
def test_small_mlp_matches_torch():
    """Tangent of an MLP's output for a direction in the input and one in a weight."""
    morch.manual_seed(0)
    net = morch.nn.Sequential(morch.nn.Linear(4, 8), morch.nn.Tanh(), morch.nn.Linear(8, 3)).double()
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for tp, mp in zip(tnet.parameters(), net.parameters()):
            tp.copy_(torch.tensor(mp.detach().numpy()))
    x, tx = _arrays((5, 4), (5, 4), seed=3)
    tw = _arrays((8, 4), seed=4)[0]

    def run(lib, model):
        A = lib.autograd.forward_ad
        with A.dual_level():
            w = A.make_dual(model[0].weight.detach(), lib.tensor(tw))
            h = lib.tanh(lib.nn.functional.linear(A.make_dual(lib.tensor(x), lib.tensor(tx)), w, model[0].bias))
            return A.unpack_dual(model[2](h)).tangent

    assert_close(run(morch, net), run(torch, tnet), atol=1e-10)


def test_tangent_is_jacobian_times_tangent():
    x, t = _arrays((4,), (4,), seed=5)
    with fwAD.dual_level():
        y = fwAD.make_dual(morch.tensor(x), morch.tensor(t)) ** 2
        assert_close(fwAD.unpack_dual(y).tangent, 2 * x * t, atol=1e-12)
        z = y.sum() * 3  # a scalar output
        assert_close(fwAD.unpack_dual(z).tangent, 6 * (x * t).sum(), atol=1e-12)


def test_tangents_of_several_duals_add_up():
    a, b, ta, tb = _arrays((3,), (3,), (3,), (3,), seed=6)
    with fwAD.dual_level():
        da = fwAD.make_dual(morch.tensor(a), morch.tensor(ta))
        db = fwAD.make_dual(morch.tensor(b), morch.tensor(tb))
        tangent = fwAD.unpack_dual(da * db + da.exp()).tangent
    assert_close(tangent, ta * b + a * tb + np.exp(a) * ta, atol=1e-12)


def test_outputs_without_dual_dependence_have_no_tangent():
    x = rand64(3)
    with fwAD.dual_level():
        d = fwAD.make_dual(rand64(3, requires_grad=False), rand64(3, requires_grad=False))
        assert fwAD.unpack_dual(x * 2).tangent is None  # requires grad, but no dual behind it
        assert fwAD.unpack_dual(morch.ones(3)).tangent is None
        assert fwAD.unpack_dual(d.detach() * 2).tangent is None
        assert_close(fwAD.unpack_dual(d * 0).tangent, np.zeros(3))  # depends, with zero derivative
    assert fwAD.unpack_dual(d).tangent is None  # the level is gone
    assert fwAD.unpack_dual(d * 2).tangent is None


def test_primal_is_unchanged_view_and_carries_no_tangent():
    x, t = morch.tensor(_arrays((2, 3))[0]), morch.tensor(_arrays((2, 3), seed=1)[0])
    before = x.numpy().copy()
    with fwAD.dual_level() as level:
        assert level == 0 and fwAD._current_level == 0
        d = fwAD.make_dual(x, t)
        unpacked = fwAD.unpack_dual(d)
        assert isinstance(unpacked, fwAD.UnpackedDualTensor) and isinstance(unpacked, tuple)
        assert unpacked.tangent is t and unpacked[1] is t
        np.testing.assert_array_equal(unpacked.primal.detach().numpy(), before)
        np.testing.assert_array_equal(d.detach().numpy(), before)
        p = unpacked.primal
        assert fwAD.unpack_dual(p * 2).tangent is None
        assert_close(fwAD.unpack_dual(p * d).tangent, before * t.numpy(), atol=1e-12)  # only d's direction
        y = (d * d).sum()
        fwAD.unpack_dual(y)
        assert np.shares_memory(d.detach().numpy(), x.numpy())
    np.testing.assert_array_equal(x.numpy(), before)
    assert not x.requires_grad and fwAD._current_level == -1


def test_reverse_mode_through_dual_reaches_the_primal():
    x = rand64(3)
    with fwAD.dual_level():
        y = (fwAD.make_dual(x, rand64(3, requires_grad=False)) ** 3).sum()
        fwAD.unpack_dual(y)  # the graph is kept for a later backward
        y.backward()
    assert_close(x.grad, 3 * x.detach().numpy() ** 2, atol=1e-12)


def _through_dual(x):
    with fwAD.dual_level():
        d = fwAD.make_dual(x, morch.ones_like(x).detach())
        out = morch.sin(d) * d
        return fwAD.unpack_dual(out).primal


@pytest.mark.filterwarnings("ignore:make_dual under no_grad")  # gradcheck's evaluations
def test_gradcheck_through_dual_and_primal():
    x = rand64(4)
    assert gradcheck(_through_dual, (x,))
    assert gradgradcheck(_through_dual, (x,))


@requires_torch
def test_in_place_op_on_dual_matches_torch():
    x, t = _arrays((3,), (3,), seed=7)
    res = []
    for lib in (morch, torch):
        A = lib.autograd.forward_ad
        with A.dual_level():
            d = A.make_dual(lib.tensor(x), lib.tensor(t))
            d.mul_(lib.tensor(x))
            res.append(A.unpack_dual(d + 1).tangent)
    assert_close(res[0], res[1], atol=1e-12)
    assert_close(res[0], x * t, atol=1e-12)


def test_float32_primal_with_float64_tangent():
    x = morch.ones(3)
    t = morch.full((3,), 2.0, dtype=morch.float64)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        assert fwAD.unpack_dual(d).tangent.dtype == morch.float64  # kept as given, as torch does
        tangent = fwAD.unpack_dual(d * 3).tangent
    assert tangent.dtype == morch.float32  # computed tangents take the output's dtype
    assert_close(tangent, [6.0, 6.0, 6.0])


def test_dual_level_as_decorator_and_enter_exit():
    @fwAD.dual_level()
    def f(x, t):
        return fwAD.unpack_dual(fwAD.make_dual(x, t) * 2).tangent

    assert_close(f(morch.ones(2), morch.ones(2)), [2.0, 2.0])
    assert fwAD._current_level == -1
    level = fwAD.enter_dual_level()
    try:
        assert fwAD.unpack_dual(fwAD.make_dual(morch.ones(2), morch.ones(2), level=level), level=level).tangent[0] == 1
    finally:
        fwAD.exit_dual_level(level=level)
    assert fwAD._current_level == -1


def test_no_grad_inside_dual_level():
    """Ops under no_grad are not recorded, so their outputs have no tangent (torch would have one);
    make_dual under no_grad warns; unpacking under no_grad a tensor built with grad mode on works."""
    x, t = morch.ones(3), morch.full((3,), 2.0)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        y = d * 3
        with morch.no_grad():
            assert fwAD.unpack_dual(d * 3).tangent is None
            assert_close(fwAD.unpack_dual(y).tangent, [6.0] * 3)
            with pytest.warns(UserWarning, match="under no_grad"):
                d2 = fwAD.make_dual(morch.zeros(3), t)
            assert d2.requires_grad and fwAD.unpack_dual(d2).tangent is t
        assert morch.is_grad_enabled()  # grad mode restored


def test_errors():
    x = morch.ones(2, 3)
    with pytest.raises(RuntimeError, match="no level exists, make sure to enter_dual_level"):
        fwAD.make_dual(x, x)
    with pytest.raises(RuntimeError, match="Dual level must be a positive number"):
        fwAD.exit_dual_level()
    with fwAD.dual_level():
        with pytest.raises(
            RuntimeError, match=r"Tensor is of size \[2, 3\] while the given forward gradient is of size \[3\]"
        ):
            fwAD.make_dual(x, morch.ones(3))
        with pytest.raises(ValueError, match="Expected tangent to be floating point or complex, but got: morch.int64"):
            fwAD.make_dual(x, morch.ones(2, 3, dtype=morch.int64))
        with pytest.raises(ValueError, match="Expected primal to be floating point"):
            fwAD.make_dual(morch.ones(2, dtype=morch.int64), morch.ones(2))
        with pytest.raises(TypeError, match="the tangent must be a Tensor, got int"):
            fwAD.make_dual(x, 3)
        with pytest.raises(TypeError, match="must be Tensor, not int"):
            fwAD.unpack_dual(3)
        d = fwAD.make_dual(x, x)
        with pytest.raises(RuntimeError, match="already has a forward gradient at the same level 0"):
            fwAD.make_dual(d, x)
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
            fwAD.enter_dual_level()
        with pytest.raises(RuntimeError, match="Invalid level given to make_dual"):
            fwAD.make_dual(x, x, level=5)
        with pytest.raises(RuntimeError, match="Invalid level given to unpack_dual"):
            fwAD.unpack_dual(d, level=5)
        with pytest.raises(RuntimeError, match="not the last one that was created"):
            fwAD.exit_dual_level(level=3)
    assert fwAD._current_level == -1


@requires_torch
def test_api_names_match_torch():
    names = {"UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual"}
    assert names <= set(dir(torch.autograd.forward_ad)) and names == set(fwAD.__all__)
    assert fwAD.UnpackedDualTensor._fields == torch.autograd.forward_ad.UnpackedDualTensor._fields
    import morch.autograd.forward_ad as imported

    assert imported is morch.autograd.forward_ad is fwAD
