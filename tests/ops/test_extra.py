"""morch/ops/extra.py and its functions: sinc, i0 (and morch.special's i0e, i1, i1e, erfcx),
combinations and renorm: values against numpy and math, gradients by finite differences, values
and gradients against torch, edge cases and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import special

from .opcheck import arrays, check_grad, check_gradgrad, check_numpy, check_torch


def _i1_series(x: float) -> float:
    terms = [x / 2]
    for k in range(1, 150):
        terms.append(terms[-1] * (x / 2) ** 2 / (k * (k + 1)))
    return math.fsum(terms)


# name: (fn(L, *tensors), input shapes, domain) — differentiable, compared with torch and gradchecked
DIFFERENTIABLE = {
    "sinc": (lambda L, a: L.sinc(a * 2), [(2, 3)], "real"),
    "sinc_method": (lambda L, a: a.sinc(), [(4,)], "nonzero"),
    "i0": (lambda L, a: L.i0(a * 3), [(2, 3)], "real"),
    "i0_method": (lambda L, a: a.i0(), [(3,)], "real"),
    "i1": (lambda L, a: L.special.i1(a * 3), [(2, 3)], "real"),
    "i0e": (lambda L, a: L.special.i0e(a * 20), [(2, 3)], "nonzero"),
    "i1e": (lambda L, a: L.special.i1e(a * 20), [(2, 3)], "nonzero"),
    "erfcx": (lambda L, a: L.special.erfcx(a * 3), [(2, 3)], "real"),
    "combinations": (lambda L, a: L.combinations(a), [(4,)], "real"),
    "combinations_r3_replacement": (lambda L, a: L.combinations(a, 3, with_replacement=True), [(3,)], "real"),
    "renorm_p2_dim0": (lambda L, a: L.renorm(a, 2, 0, 1.5), [(3, 4)], "real"),
    "renorm_p1_dim1": (lambda L, a: a.renorm(1, 1, 1.0), [(2, 3, 2)], "real"),
    "renorm_p3_last": (lambda L, a: L.renorm(a, 3.0, -1, 1.2), [(2, 3, 2)], "real"),
}


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_gradients_by_finite_differences(name):
    fn, shapes, domain = DIFFERENTIABLE[name]
    check_grad(fn, arrays(shapes, domain))
    check_gradgrad(fn, arrays(shapes, domain))


@requires_torch
@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_matches_torch(name):
    fn, shapes, domain = DIFFERENTIABLE[name]
    check_torch(fn, arrays(shapes, domain), dtype="float64", atol=1e-12, rtol=1e-10)
    check_torch(fn, arrays(shapes, domain, seed=1), dtype="float32", atol=1e-5, rtol=1e-5)


def test_values_against_numpy_and_math():
    x = [np.array([-3.5, -1.0, -0.25, 0.0, 1e-9, 0.5, 2.0, 7.0])]
    check_numpy(lambda L, a: L.sinc(a), np.sinc, x, atol=0, rtol=1e-14)
    big = [np.array([-800.0, -40.0, -29.99, -5.0, 0.0, 0.3, 12.0, 30.0, 30.01, 75.0, 700.0])]
    with np.errstate(over="ignore"):
        check_numpy(lambda L, a: L.i0(a), np.i0, big, atol=0, rtol=1e-13)
    mid = [big[0][1:-1]]  # numpy's i0 overflows at +-800
    check_numpy(lambda L, a: special.i0e(a), lambda a: np.i0(a) * np.exp(-np.abs(a)), mid, atol=0, rtol=1e-13)
    pts = np.array([-40.0, -29.99, -2.0, 0.0, 0.1, 1.0, 8.0, 29.99, 30.0, 45.0])
    ref = np.array([math.copysign(_i1_series(abs(v)), v) for v in pts])
    check_numpy(lambda L, a: special.i1(a), lambda a: ref, [pts], atol=0, rtol=1e-13)
    check_numpy(lambda L, a: special.i1e(a), lambda a: ref * np.exp(-np.abs(a)), [pts], atol=0, rtol=1e-13)
    ex = np.array([-3.0, -0.5, 0.0, 1.0, 5.0, 20.0, 25.9])
    ref = np.array([math.exp(v * v) * math.erfc(v) for v in ex])
    check_numpy(lambda L, a: special.erfcx(a), lambda a: ref, [ex], atol=0, rtol=1e-12)
    # past 26 exp(x^2) erfc(x) under/overflows: the asymptotic series 1/(x sqrt pi) (1 - 1/(2x^2) + ...)
    far = special.erfcx(morch.tensor([26.0, 1e3, 1e200, math.inf], dtype=morch.float64)).tolist()
    np.testing.assert_allclose(far[1], (1 - 1 / 2e6 + 3 / 4e12) / (1e3 * math.sqrt(math.pi)), rtol=1e-15)
    assert far[2] == pytest.approx(1 / (1e200 * math.sqrt(math.pi)), rel=1e-15) and far[3] == 0.0
    assert far[0] == pytest.approx(math.exp(26.0**2) * math.erfc(26.0), rel=1e-12)


def test_special_values_dtypes_and_shapes():
    nan, inf = math.nan, math.inf
    t = morch.tensor([nan, inf, -inf])
    assert np.isnan(morch.sinc(t).numpy()).all()  # as PyTorch
    # PyTorch gives NaN for I0(+-inf) and I1(+-inf); morch the limits
    assert morch.i0(t).tolist()[1:] == [inf, inf] and special.i1(t).tolist()[1:] == [inf, -inf]
    assert special.i0e(t).tolist()[1:] == [0.0, 0.0] and special.i1e(t).tolist()[1:] == [0.0, -0.0]
    assert special.erfcx(t).tolist()[1:] == [0.0, inf]
    assert all(np.isnan(f(t).numpy()[0]) for f in (morch.i0, special.i1, special.i0e, special.i1e, special.erfcx))
    ints = morch.tensor([0, 1, 2])
    for f in (morch.sinc, morch.i0, special.i0e, special.i1, special.i1e, special.erfcx, special.sinc):
        assert f(ints).dtype == morch.float32
        assert f(morch.zeros(0, 3)).shape == (0, 3) and f(morch.tensor(0.5)).shape == ()
    assert morch.sinc(ints).tolist()[0] == 1.0 and morch.i0(morch.tensor(0.0)).item() == 1.0
    assert special.i0 is morch.i0 and special.sinc is morch.sinc
    assert special.modified_bessel_i0(morch.tensor(1.0)).item() == morch.i0(morch.tensor(1.0)).item()
    assert special.modified_bessel_i1(morch.tensor(1.0)).item() == special.i1(morch.tensor(1.0)).item()
    # the derivatives at 0: sinc'(0) = 0, i1'(0) = i1e'(0) = 1/2
    for f, slope in ((morch.sinc, 0.0), (special.i1, 0.5), (special.i1e, 0.5), (morch.i0, 0.0)):
        z = morch.tensor(0.0, dtype=morch.float64, requires_grad=True)
        f(z).backward()
        assert z.grad.item() == slope


def test_in_place_and_methods():
    x = morch.tensor([[3.0, 4.0], [0.3, 0.4]])
    np.testing.assert_allclose(x.clone().renorm_(2, 0, 1.0).numpy(), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    y = x.clone()
    assert y.sinc_() is y
    np.testing.assert_allclose(y.numpy(), morch.sinc(x).numpy())
    np.testing.assert_allclose(x.clone().i0_().numpy(), morch.i0(x).numpy())
    np.testing.assert_allclose(x.cov().numpy(), np.cov(x.numpy()), rtol=1e-6)
    np.testing.assert_allclose(x.corrcoef().numpy(), np.corrcoef(x.numpy()), rtol=1e-6)


def test_combinations_and_renorm_by_hand():
    t = morch.tensor([1, 2, 3])
    assert morch.combinations(t).tolist() == [[1, 2], [1, 3], [2, 3]] and morch.combinations(t).dtype == morch.int64
    assert morch.combinations(t, 3, with_replacement=True).shape == (10, 3)
    assert morch.combinations(t, 1).tolist() == [[1], [2], [3]]
    assert morch.combinations(t, 0).shape == (0,) and morch.combinations(t, 4).shape == (0, 4)
    assert morch.combinations(morch.tensor([]), 2).shape == (0, 2)
    x = morch.tensor([[3.0, 4.0], [0.3, 0.4]], requires_grad=True)
    y = morch.renorm(x, 2, 0, 1.0)
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), [[0.032, -0.024], [1.0, 1.0]], rtol=1e-5)
    np.testing.assert_allclose(morch.renorm(x, math.inf, 1, 1.0).detach().numpy(), [[1, 1], [0.1, 0.1]], rtol=1e-6)
    assert morch.renorm(morch.zeros(0, 3), 2, 0, 1.0).shape == (0, 3)
    assert morch.renorm(morch.ones(2, 3, dtype=morch.float64), 1, 1, 5.0).dtype == morch.float64


def test_errors_name_the_function():
    with pytest.raises(RuntimeError, match=r"combinations: Expect a 1D vector, but got shape \[2, 2\]"):
        morch.combinations(morch.ones(2, 2))
    with pytest.raises(RuntimeError, match="combinations: Expect a non-negative number, but got -1"):
        morch.combinations(morch.ones(3), -1)
    with pytest.raises(RuntimeError, match="renorm: input needs at least 2 dimensions, got 1 dimensions"):
        morch.renorm(morch.ones(3), 2, 0, 1.0)
    with pytest.raises(RuntimeError, match="renorm: non-positive-norm not supported"):
        morch.renorm(morch.ones(3, 2), 0, 0, 1.0)
    with pytest.raises(RuntimeError, match="renorm: expected maxnorm to be >= 0 but got -1"):
        morch.renorm(morch.ones(3, 2), 2, 0, -1.0)
    with pytest.raises(RuntimeError, match="renorm: expected a floating point tensor"):
        morch.renorm(morch.ones(3, 2, dtype=morch.int64), 2, 0, 1.0)
    with pytest.raises(IndexError, match="renorm"):
        morch.renorm(morch.ones(3, 2), 2, 2, 1.0)


@requires_torch
def test_special_functions_match_torch_over_a_wide_range():
    x = np.concatenate([np.linspace(-60, 60, 241), [-700.0, 0.0, 1e-6, 29.999, 30.0, 700.0, 1e4]])
    for name in ("i0e", "i1e", "i1", "erfcx"):
        with np.errstate(over="ignore"):
            ours = getattr(special, name)(morch.tensor(x, dtype=morch.float64)).numpy()
        theirs = getattr(torch.special, name)(torch.tensor(x, dtype=torch.float64)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0, err_msg=name)
    ours = morch.i0(morch.tensor(x, dtype=morch.float32)).numpy()
    np.testing.assert_allclose(ours, torch.i0(torch.tensor(x, dtype=torch.float32)).numpy(), rtol=1e-5)
    c = np.arange(5.0)
    for r, rep in ((2, False), (3, True), (5, False), (6, False)):
        ours, theirs = morch.combinations(morch.tensor(c), r, rep), torch.combinations(torch.tensor(c), r, rep)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_logcumsumexp_is_stable_for_far_apart_values():
    x = morch.tensor([1.0, 1000.0, 1.0, -5.0], dtype=morch.float64, requires_grad=True)
    y = morch.logcumsumexp(x, 0)
    np.testing.assert_allclose(y.detach().numpy(), np.logaddexp.accumulate(x.detach().numpy()))
    check_grad(lambda L, a: L.logcumsumexp(a, 1), [np.array([[1.0, 1000.0, 1.0, -5.0], [0.0, -800.0, 3.0, 2.0]])])
    check_gradgrad(lambda L, a: L.logcumsumexp(a, 0), [np.array([[1.0, 900.0], [-700.0, 2.0], [0.5, 0.0]])])
    z = morch.tensor([-math.inf, 0.0, 1.0], requires_grad=True)
    morch.logcumsumexp(z, 0).sum().backward()
    assert z.grad.tolist()[0] == 0.0 and morch.logcumsumexp(z, 0).tolist()[0] == -math.inf
    assert morch.logcumsumexp(morch.zeros(0, 3), 0).shape == (0, 3) and morch.logcumsumexp(morch.tensor(2.0), 0) == 2


def test_fixes_to_earlier_functions():
    # fmax/fmin ties send the whole gradient to input, as PyTorch
    a, b = morch.ones(3, requires_grad=True), morch.ones(3, requires_grad=True)
    morch.fmin(a, b).backward(morch.tensor([1.0, 2.0, 3.0]))
    assert a.grad.tolist() == [1.0, 2.0, 3.0] and b.grad.tolist() == [0.0, 0.0, 0.0]
    # copysign reads the sign bit of -0.0 numbers and of NaN
    assert morch.copysign(morch.tensor([1.0, 2.0]), -0.0).tolist() == [-1.0, -2.0]
    assert morch.copysign(morch.tensor([1.0, 2.0]), morch.tensor([math.nan, math.inf])).tolist() == [1.0, 2.0]
    assert morch.mul(morch.tensor([1.0]), -0.0).tolist() == [-0.0] and morch.signbit(morch.mul(morch.ones(1), -0.0))
    assert np.isnan(morch.unique(morch.tensor([1.0, math.nan, math.nan, 1.0])).numpy()[1:]).all()
    assert morch.block_diag(morch.tensor([[1, 2]]), morch.tensor([3.0]), morch.tensor(4)).dtype == morch.float32
    assert morch.block_diag(morch.tensor([[1]], dtype=morch.int32), morch.tensor(4)).dtype == morch.int32
    assert morch.index_fill(morch.zeros(3, dtype=morch.int64), 0, morch.tensor([1]), 2.7).tolist() == [0, 2, 0]
    assert morch.msort(morch.tensor(3)).shape == ()
    assert morch.diff(morch.tensor([1, 3, 6]), prepend=morch.tensor([0]), append=morch.tensor([10])).tolist() == [
        1, 2, 3, 4
    ]  # fmt: skip
    assert morch.diff(morch.tensor([True, False, False])).tolist() == [True, False]
    assert morch.diff(morch.ones(3), n=5).shape == (0,)
    with pytest.raises(RuntimeError, match="diff expects prepend or append to be the same dimension as input"):
        morch.diff(morch.ones(2, 3), prepend=morch.ones(3))
    with pytest.raises(RuntimeError, match="order must be non-negative but got -1"):
        morch.diff(morch.ones(3), n=-1)
    with pytest.raises(RuntimeError, match="diff expects input to be at least one-dimensional"):
        morch.diff(morch.tensor(1.0))
    with pytest.raises(RuntimeError, match="vsplit attempted to split along dimension 0, but the size of the dim"):
        morch.vsplit(morch.ones(3, 2), 2)
    with pytest.raises(RuntimeError, match="torch.dsplit requires a tensor with at least 3 dimension"):
        morch.dsplit(morch.ones(3, 2), 1)
    with pytest.raises(RuntimeError, match="index_fill_ only supports a 0-dimensional value tensor"):
        morch.index_fill(morch.zeros(3), 0, morch.tensor([1]), morch.ones(1))
    with pytest.raises(RuntimeError, match="dist: input dtype should be floating point"):
        morch.dist(morch.tensor([1, 2]), morch.tensor([3, 5]))


@requires_torch
def test_fixes_match_torch():
    x = np.array([[0.5, -1.0, 2.0, 0.0], [3.0, 3.0, -2.0, 1.0]])
    check_torch(lambda L, a: L.logcumsumexp(a * 300, 1), [x], dtype="float64", atol=1e-10, rtol=1e-10)
    check_torch(lambda L, a, b: L.fmax(a, b.round()), [x, x], dtype="float64")
    check_torch(lambda L, a, b: L.fmin(a, b.round()), [x, x], dtype="float64")
    check_torch(lambda L, a: L.diff(a, 2, 1, prepend=a[:, :1] * 2, append=a.exp()), [x], dtype="float64")
    check_torch(lambda L, a: L.index_fill(a, 1, L.tensor([0, 2]), a[0, 1]), [x], dtype="float64")


@pytest.mark.parametrize(
    "call",
    [
        "L.sinc(a)",
        "L.i0(a)",
        "L.special.i1e(a)",
        "L.special.erfcx(a)",
        "L.logcumsumexp(a, 1)",
        "L.renorm(a, 2, 0, 1.0)",
        "L.combinations(a.reshape(-1))",
        "L.copysign(a, -a)",
        "L.index_fill(a, 1, L.tensor([0]), 2.0)",
        "L.msort(a)",
    ],
)
def test_static_graphs(call):
    from morch.static import Placeholder, SessionRun

    v = np.arange(8.0).reshape(2, 4) - 3
    a = Placeholder()
    out = SessionRun(eval(call, {"L": morch, "a": a}), {a: v})
    expected = eval(call, {"L": morch, "a": morch.tensor(v, dtype=morch.float32)})
    np.testing.assert_allclose(out.detach().numpy(), expected.numpy())
