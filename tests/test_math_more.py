"""PyTorch's remaining math names (morch/_math_more.py): inverse hyperbolic functions, shifts, gcd/lcm,
ldexp/frexp/nextafter, aliases, gradient, windows, constants, top-level in-place functions, the
uint16/32/64 dtypes, and their Tensor methods; against numpy, closed forms and torch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import morch
from helpers import assert_close, compare_with_torch, rand64, requires_torch, to_torch, torch
from morch.autograd import gradcheck, gradgradcheck


def _t(values, dtype):
    return morch.tensor(values, dtype=getattr(morch, dtype))


# ------------------------------------------------------------------ Tensor methods of existing functions
def test_methods_of_existing_functions():
    x, y = morch.tensor([1.0, -2.0, 3.0]), morch.tensor([2.0, 2.0, 2.0])
    assert x.absolute().tolist() == [1.0, 2.0, 3.0]
    assert x.multiply(y).tolist() == [2.0, -4.0, 6.0]
    assert x.divide(y, rounding_mode="floor").tolist() == [0.0, -1.0, 1.0]
    assert x.subtract(y, alpha=2).tolist() == [-3.0, -6.0, -1.0]
    assert [x.greater(0).tolist(), x.greater_equal(1).tolist(), x.less(1).tolist()] == [
        [True, False, True], [True, False, True], [False, True, False]]  # fmt: skip
    assert x.less_equal(1).tolist() == [True, True, False] and x.not_equal(1).tolist() == [False, True, True]
    assert x.isclose(x + 1e-9).all() and morch.ones(2, 3).swapdims(0, 1).shape == (3, 2)
    i = morch.tensor([12, 10])
    assert i.bitwise_and(6).tolist() == [4, 2] and i.bitwise_or(1).tolist() == [13, 11]
    assert i.bitwise_xor(3).tolist() == [15, 9] and i.bitwise_not().tolist() == [-13, -11]
    morch.manual_seed(0)
    assert morch.tensor([0.0, 1.0]).bernoulli().tolist() == [0.0, 1.0]
    assert morch.tensor([0.0, 1.0]).multinomial(1).tolist() == [1]


def test_in_place_twins_of_existing_functions():
    x = morch.tensor([1.0, -2.0])
    assert x.multiply_(3) is x and x.tolist() == [3.0, -6.0]
    x.absolute_().subtract_(1, alpha=2).divide_(2, rounding_mode="trunc")
    assert x.tolist() == [0.0, 2.0]
    x.greater_(1)
    assert x.tolist() == [0.0, 1.0] and x.dtype == morch.float32  # the tensor keeps its dtype
    i = morch.tensor([12, 10])
    i.bitwise_and_(6).bitwise_or_(1).bitwise_xor_(2).bitwise_not_()
    assert i.tolist() == [-8, -2]
    m = morch.ones(2, 3)
    assert m.swapdims_(0, 1) is m and m.shape == (3, 2)


# ------------------------------------------------------------------ inverse hyperbolic functions
def test_inverse_hyperbolic_values_and_integer_promotion():
    x = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    assert_close(morch.asinh(morch.tensor(x, dtype=morch.float64)), np.arcsinh(x), atol=1e-12)
    assert_close(morch.tensor([1.0, 2.0, 5.0]).acosh(), np.arccosh([1.0, 2.0, 5.0]))
    assert_close(morch.arctanh(morch.tensor([-0.9, 0.0, 0.5])), np.arctanh([-0.9, 0.0, 0.5]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the domain edges give inf/NaN without numpy's warnings
        assert morch.atanh(morch.tensor([1.0, -1.0, 2.0])).tolist()[:2] == [math.inf, -math.inf]
        assert math.isnan(morch.acosh(morch.tensor([0.5])).item())
    for fn in (morch.asinh, morch.arccosh, morch.atanh):
        assert fn(morch.tensor([1, 2])).dtype == morch.float32 and fn(morch.tensor([True])).dtype == morch.float32
    assert morch.arcsinh is morch.asinh and morch.Tensor.arccosh is morch.Tensor.acosh
    y = morch.tensor([1.0, 4.0])
    assert y.asinh_() is y and y.tolist() == pytest.approx(np.arcsinh([1.0, 4.0]).tolist(), rel=1e-6)
    with pytest.raises(RuntimeError, match="result"):
        morch.tensor([1, 2]).asinh_()  # a float result does not fit an integer tensor, as in PyTorch


def test_inverse_hyperbolic_gradients():
    for fn, low, high in ((morch.asinh, -2.0, 2.0), (morch.acosh, 1.2, 3.0), (morch.atanh, -0.8, 0.8)):
        x = rand64(5, low=low, high=high, seed=1)
        assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


@requires_torch
def test_inverse_hyperbolic_match_torch():
    for name, low, high in (("asinh", -2.0, 2.0), ("acosh", 1.2, 3.0), ("atanh", -0.8, 0.8)):
        x = rand64(6, low=low, high=high, seed=2)
        compare_with_torch(getattr(morch, name), getattr(torch, name), x)
        i = [1, 2, 3] if name == "acosh" else [0, 1, -1]
        assert_close(getattr(morch, name)(morch.tensor(i)), getattr(torch, name)(torch.tensor(i)))


# ------------------------------------------------------------------ integer ops
SHIFT_CASES = [
    ("int8", [1, -8, 5, 127, -100, 100, -1, 5], [1, 2, 8, 9, 7, 7, 8, -3]),
    ("uint8", [200, 3, 255, 1], [9, 7, 8, 200]),
    ("int64", [-100, -100, 1, 1, 7], [63, 64, 63, 64, -1]),
    ("int32", [1 << 20, -(1 << 20), 3], [11, 31, 32]),
]


def test_shifts_follow_pytorch_at_the_edges():
    a, b = _t([1, -8, 5, 127, -1], "int8"), _t([1, 2, 8, 9, -1], "int8")
    assert (a << b).tolist() == [2, -32, 0, 0, 0]  # counts >= 8 or < 0 give 0
    assert (a >> b).tolist() == [0, -2, 0, 0, -1]  # ... or only the sign
    assert (_t([200], "uint8") >> 9).tolist() == [0] and (_t([3], "uint8") << 7).tolist() == [128]
    assert (1 << morch.tensor([3, 4])).tolist() == [8, 16] and (64 >> morch.tensor([3])).tolist() == [8]
    x = morch.tensor([1, 2])
    x <<= 2
    assert x.tolist() == [4, 8]
    x >>= morch.tensor([1, 3])
    assert x.tolist() == [2, 1]
    assert morch.bitwise_left_shift(morch.tensor([True]), 1).tolist() == [2]  # bool promotes to int64
    assert morch.tensor([5]).bitwise_right_shift_(1).tolist() == [2]


def test_integer_ops_refuse_floats_and_bools():
    for fn in (morch.bitwise_left_shift, morch.bitwise_right_shift, morch.gcd, morch.lcm):
        with pytest.raises(
            NotImplementedError, match=f"{fn.__name__}: only integer tensors are supported, got morch.float32"
        ):
            fn(morch.tensor([1.0]), 1)
        with pytest.raises(NotImplementedError, match="got morch.bool"):
            fn(morch.tensor([True]), morch.tensor([True]))
    with pytest.raises(NotImplementedError, match="bitwise_left_shift"):
        morch.tensor([3]) << 1.5  # promotes to float, as in PyTorch


def test_gcd_lcm():
    a, b = morch.tensor([-12, 0, 7, 9]), morch.tensor([18, 0, -21, 4])
    assert morch.gcd(a, b).tolist() == [6, 0, 7, 1] and a.lcm(b).tolist() == [36, 0, 21, 36]
    assert morch.gcd(_t([4], "uint8"), _t([6], "int8")).dtype == morch.int16
    c = morch.tensor([4, 9])
    assert c.gcd_(morch.tensor([6, 6])) is c and c.tolist() == [2, 3] and c.lcm_(4).tolist() == [4, 12]


@requires_torch
def test_integer_ops_match_torch():
    for dtype, a, b in SHIFT_CASES:
        ma, mb = _t(a, dtype), _t(b, dtype)
        ta, tb = torch.tensor(a, dtype=getattr(torch, dtype)), torch.tensor(b, dtype=getattr(torch, dtype))
        assert (ma << mb).tolist() == (ta << tb).tolist(), dtype
        assert (ma >> mb).tolist() == (ta >> tb).tolist(), dtype
    rng = np.random.default_rng(3)
    a, b = rng.integers(-50, 50, 20), rng.integers(-50, 50, 20)
    assert morch.gcd(morch.tensor(a), morch.tensor(b)).tolist() == torch.gcd(torch.tensor(a), torch.tensor(b)).tolist()
    assert morch.lcm(morch.tensor(a), morch.tensor(b)).tolist() == torch.lcm(torch.tensor(a), torch.tensor(b)).tolist()


# ------------------------------------------------------------------ ldexp, frexp, nextafter
def test_ldexp_values_dtypes_and_gradients():
    x = morch.tensor([1.0, 3.0, -0.5])
    assert morch.ldexp(x, morch.tensor([3, -1, 2])).tolist() == [8.0, 1.5, -2.0]
    assert morch.ldexp(morch.tensor([1, 2]), morch.tensor([3, -1])).tolist() == [8.0, 1.0]
    assert morch.ldexp(morch.tensor([1, 2]), 1).dtype == morch.float32
    assert morch.ldexp(x.half(), morch.tensor([1, 1, 1])).dtype == morch.float16
    assert_close(morch.ldexp(x, morch.tensor([1.5, 0.0, 0.5])), [2**1.5, 3.0, -(2**0.5) / 2])
    tiny = morch.tensor([1e-300], dtype=morch.float64)
    assert morch.ldexp(tiny, morch.tensor([1000])).item() == math.ldexp(1e-300, 1000)  # exact, no 2**1000 overflow
    assert morch.ldexp(morch.tensor([1.0]), morch.tensor([1 << 40])).item() == math.inf
    y = morch.tensor([1.0, 2.0])
    assert y.ldexp_(morch.tensor([2, 3])) is y and y.tolist() == [4.0, 16.0]
    v, k = rand64(4, seed=4), morch.tensor([0, 3, -2, 7])
    assert gradcheck(lambda t: morch.ldexp(t, k), (v,)) and gradgradcheck(lambda t: morch.ldexp(t, k), (v,))
    assert gradcheck(morch.ldexp, (v, rand64(4, seed=5)))


def test_frexp():
    x = morch.tensor([8.0, 0.3, 0.0, -5.0, math.inf, math.nan])
    m, e = morch.frexp(x)
    assert e.dtype == morch.int32 and e.tolist() == [4, -1, 0, 3, 0, 0]
    assert m.tolist()[:5] == [0.5, 0.6000000238418579, 0.0, -0.625, math.inf] and math.isnan(m.tolist()[5])
    r = x.frexp()
    assert r.mantissa is r[0] and type(r).__name__ == "frexp" and repr(r).startswith("morch.return_types.frexp(")
    assert_close(morch.ldexp(m[:4], e[:4]), x[:4], atol=0)  # exact round trip
    assert morch.frexp(x.double()).exponent.dtype == morch.int32
    with pytest.raises(RuntimeError, match="frexp: only floating point tensors are supported, got morch.int64"):
        morch.frexp(morch.tensor([8]))
    v = rand64(5, low=0.3, high=9.0, seed=6)
    assert gradcheck(lambda t: morch.frexp(t).mantissa, (v,))


def test_nextafter():
    one = morch.tensor([1.0, 1.0])
    assert (morch.nextafter(one, morch.tensor([2.0, 0.0])) - 1).tolist() == [2.0**-23, -(2.0**-24)]
    assert (morch.nextafter(one.double(), 2.0) - 1).tolist() == [2.0**-52] * 2
    with pytest.raises(
        NotImplementedError, match="nextafter: only floating point tensors are supported, got morch.int64"
    ):
        morch.nextafter(morch.tensor([1]), morch.tensor([2]))
    x, y = rand64(3, seed=7), rand64(3, seed=8)
    (morch.nextafter(x, y) * morch.tensor([1.0, 2.0, 3.0], dtype=morch.float64)).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 3.0] and y.grad.tolist() == [0.0, 0.0, 0.0]
    z = morch.tensor([1.0])
    assert z.nextafter_(morch.tensor([2.0])) is z and z.item() > 1


@requires_torch
def test_ldexp_frexp_nextafter_match_torch():
    x = rand64(5, low=-4.0, high=4.0, seed=9)
    k = morch.tensor([3, 1, 0, 2, 5])  # PyTorch's gradient is 0 for negative integer exponents (morch's is exact)
    compare_with_torch(lambda t: morch.ldexp(t, k), lambda t: torch.ldexp(t, torch.tensor(k.tolist())), x)
    m, e = morch.frexp(x)
    tm, te = torch.frexp(to_torch(x))
    assert_close(m, tm, atol=0) and e.tolist() == te.tolist()
    y = rand64(5, seed=10, requires_grad=False)
    assert_close(morch.nextafter(x, y), torch.nextafter(to_torch(x), to_torch(y)), atol=0, rtol=0)


# ------------------------------------------------------------------ aliases and small composites
def test_aliases_and_composites():
    x = morch.tensor([-1.5, 2.7])
    assert morch.fix(x).tolist() == [-1.0, 2.0] and x.fix().tolist() == [-1.0, 2.0] and morch.fix is morch.trunc
    assert x.clone().fix_().tolist() == [-1.0, 2.0]
    assert morch.positive(x) is x and x.positive() is x
    with pytest.raises(RuntimeError, match="positive: the `\\+` operator, on a bool tensor is not supported"):
        morch.positive(morch.tensor([True]))
    assert morch.rsub(morch.tensor([1, 2]), 10, alpha=2).tolist() == [8, 6]
    assert morch.rsub(morch.tensor([1.0]), morch.tensor([5.0])).tolist() == [4.0]
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
        morch.rsub(morch.tensor([True]), True)
    m = morch.arange(6.0).reshape(2, 3)
    assert morch.ravel(m.t()).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0] and m.ravel().shape == (6,)
    assert morch.row_stack([morch.ones(2), morch.zeros(2)]).tolist() == [[1.0, 1.0], [0.0, 0.0]]
    assert morch.trapz(morch.tensor([1.0, 2.0, 3.0]), dx=2.0).item() == 8.0
    assert morch.trapz(morch.tensor([1.0, 2.0, 3.0]), morch.tensor([0.0, 1.0, 3.0])).item() == 6.5
    assert morch.ger(morch.tensor([1.0, 2.0]), morch.tensor([3.0, 4.0])).tolist() == [[3.0, 4.0], [6.0, 8.0]]
    assert morch.tensor([1.0, 2.0]).ger(morch.tensor([1.0])).shape == (2, 1)
    v = rand64(3, seed=11)
    assert gradcheck(lambda t: morch.rsub(t, 2.0, alpha=3), (v,)) and gradcheck(morch.ravel, (v,))


def test_vdot_and_chain_matmul():
    a, b = morch.tensor([1.0, 2.0]), morch.tensor([3.0, 4.0])
    assert morch.vdot(a, b).item() == 11.0 and a.vdot(b).item() == 11.0
    assert morch.vdot(morch.tensor([1, 2]), morch.tensor([3, 4])).dtype == morch.int64
    with pytest.raises(
        RuntimeError,
        match="vdot: expected both vectors to have the same dtype, but found morch.float32 and morch.int64",
    ):
        morch.vdot(a, morch.tensor([1, 2]))
    with pytest.raises(ValueError, match="vdot: 1st argument must be a 1D tensor, got 2D"):
        morch.vdot(morch.ones(2, 2), morch.ones(2, 2))
    u, w = rand64(3, seed=12), rand64(3, seed=13)
    assert gradcheck(morch.vdot, (u, w))
    m1, m2, m3 = rand64(2, 3, seed=14), rand64(3, 4, seed=15), rand64(4, 2, seed=16)
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        out = morch.chain_matmul(m1, m2, m3)
    assert_close(out, m1.detach().numpy() @ m2.detach().numpy() @ m3.detach().numpy(), atol=1e-12)
    with pytest.warns(UserWarning):
        single = morch.chain_matmul(m1)
        assert single is not m1 and morch.equal(single, m1)
        with pytest.raises(RuntimeError, match="chain_matmul\\(\\): expected one or more matrices"):
            morch.chain_matmul()
        with pytest.raises(ValueError, match="chain_matmul: matrix 1 must be a 2D tensor, got 1D"):
            morch.chain_matmul(m1, morch.ones(3))
        assert gradcheck(morch.chain_matmul, (m1, m2, m3))


def test_addr():
    out = morch.addr(morch.ones(2, 2), morch.tensor([1.0, 2.0]), morch.tensor([3.0, 4.0]), beta=2, alpha=0.5)
    assert out.tolist() == [[3.5, 4.0], [5.0, 6.0]]
    nan = morch.full((2, 1), math.nan)
    assert morch.addr(nan, morch.ones(2), morch.ones(1), beta=0).tolist() == [[1.0], [1.0]]
    m = morch.zeros(2, 2)
    assert m.addr_(morch.ones(2), morch.ones(2)) is m and m.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(ValueError, match="addr: vec1 must be a 1D tensor, got 2D"):
        morch.addr(m, morch.ones(2, 1), morch.ones(2))
    assert gradcheck(
        lambda i, a, b: morch.addr(i, a, b, beta=0.5, alpha=2),
        (rand64(3, 2, seed=1), rand64(3, seed=2), rand64(2, seed=3)),
    )


def test_value_and_tensor_tests():
    x = morch.tensor([math.inf, -math.inf, 1.0, math.nan])
    assert morch.isposinf(x).tolist() == [True, False, False, False]
    assert x.isneginf().tolist() == [False, True, False, False]
    assert morch.isposinf(morch.tensor([1, 2])).tolist() == [False, False] and morch.isreal(x).all()
    assert morch.isreal(morch.tensor([True])).dtype == morch.bool
    signed = {"float32": True, "int8": True, "uint8": False, "bool": False, "uint32": False, "float16": True}
    for name, expected in signed.items():
        t = morch.zeros(1, dtype=getattr(morch, name))
        assert morch.is_signed(t) is expected and t.is_signed() is expected, name
    assert not morch.is_complex(x) and not x.is_complex()
    assert morch.is_same_size(x, morch.zeros(4)) and not x.is_same_size(morch.zeros(4, 1))
    assert morch.is_nonzero(morch.tensor([2.0])) and not morch.is_nonzero(morch.tensor(0))
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        morch.is_nonzero(x)


def test_scalar_tensor_and_constants():
    s = morch.scalar_tensor(3)
    assert s.shape == () and s.dtype == morch.float32 and s.item() == 3.0
    assert morch.scalar_tensor(True).item() == 1.0 and morch.scalar_tensor(3.7, dtype=morch.int64).item() == 3
    assert morch.scalar_tensor(morch.tensor(2.0), requires_grad=True).requires_grad
    assert (morch.pi, morch.e, morch.inf) == (math.pi, math.e, math.inf) and math.isnan(morch.nan)
    assert morch.newaxis is None and morch.ones(2)[morch.newaxis].shape == (1, 2)


# ------------------------------------------------------------------ gradient
def test_gradient_values():
    x = morch.tensor([[1.0, 2, 4, 8], [10, 20, 40, 80]])
    g0, g1 = morch.gradient(x)
    assert g0.tolist() == [[9.0, 18, 36, 72]] * 2 and g1.tolist()[0] == [1.0, 1.5, 3.0, 4.0]
    (h,) = morch.gradient(x, spacing=[2.0], dim=1)
    assert h.tolist()[1] == [5.0, 7.5, 15.0, 20.0]
    (c,) = morch.gradient(x, spacing=(morch.tensor([0.0, 1, 3, 4]),), dim=-1, edge_order=2)
    assert_close(c[0], [1.0, 1.0, 3.0, 5.0])
    assert_close(morch.gradient(x, dim=1, edge_order=2)[0][0], [0.5, 1.5, 3.0, 5.0])
    f = np.random.default_rng(0).standard_normal((5, 6))
    coords = np.cumsum(np.random.default_rng(1).uniform(0.5, 2.0, 6))
    for order in (1, 2):
        got = morch.gradient(morch.tensor(f), spacing=(1.5, morch.tensor(coords)), edge_order=order)
        want = np.gradient(f, 1.5, coords, edge_order=order)
        for a, b in zip(got, want):
            assert_close(a, b, atol=1e-10)
    assert morch.gradient(morch.tensor([1, 4, 9]))[0].tolist() == [3.0, 4.0, 5.0]
    assert morch.gradient(morch.tensor(3.0)) == ()
    assert morch.gradient(morch.tensor([1.0, 3.0]))[0].tolist() == [2.0, 2.0]


def test_gradient_errors():
    x = morch.ones(2, 4)
    with pytest.raises(
        RuntimeError, match="gradient: each dimension needs at least edge_order \\+ 1 = 3 samples, dimension 0 has 2"
    ):
        morch.gradient(x, edge_order=2)
    with pytest.raises(RuntimeError, match="only edge_order=1 and edge_order=2 are supported, got 3"):
        morch.gradient(x, edge_order=3)
    with pytest.raises(RuntimeError, match="one entry per dimension \\(2\\), got a list of length 3"):
        morch.gradient(x, spacing=[1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="must be 1-D of length 4 \\(dimension 1\\), got shape \\[3\\]"):
        morch.gradient(x, spacing=[morch.tensor([0.0, 1, 3])], dim=1)
    with pytest.raises(TypeError, match="gradient: spacing must hold numbers or 1-D tensors, got str"):
        morch.gradient(x, spacing="a")


def test_gradient_is_differentiable():
    f, coords = rand64(3, 5, seed=20), morch.tensor([0.0, 0.5, 1.7, 2.0, 3.1], dtype=morch.float64)
    for order in (1, 2):
        assert gradcheck(lambda t, k=order: morch.gradient(t, spacing=(0.5, coords), edge_order=k), (f,))
    assert gradgradcheck(lambda t: morch.gradient(t, dim=1)[0], (f,))


@requires_torch
def test_gradient_matches_torch():
    f = rand64(4, 5, seed=21)
    coords = [0.0, 0.5, 1.7, 2.0, 3.1]
    for kwargs in ({}, {"spacing": 2.0}, {"spacing": [3.0], "dim": 0}, {"dim": 1, "edge_order": 2}):
        for a, b in zip(morch.gradient(f, **kwargs), torch.gradient(to_torch(f), **kwargs)):
            assert_close(a, b, atol=1e-12)
    for order in (1, 2):
        m = morch.gradient(f, spacing=(morch.tensor(coords, dtype=morch.float64),), dim=1, edge_order=order)
        t = torch.gradient(to_torch(f), spacing=(torch.tensor(coords, dtype=torch.float64),), dim=1, edge_order=order)
        assert_close(m[0], t[0], atol=1e-12)
    compare_with_torch(lambda t: morch.gradient(t, dim=1)[0], lambda t: torch.gradient(t, dim=1)[0], f)


# ------------------------------------------------------------------ windows
WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


def test_windows_closed_forms_and_arguments():
    k = np.arange(5)
    assert_close(morch.hann_window(5), 0.5 - 0.5 * np.cos(2 * np.pi * k / 5))
    assert_close(morch.hann_window(5, periodic=False), 0.5 - 0.5 * np.cos(2 * np.pi * k / 4))
    assert_close(morch.hamming_window(5, False, alpha=0.5, beta=0.5), morch.hann_window(5, False))
    assert_close(morch.bartlett_window(5, False), [0.0, 0.5, 1.0, 0.5, 0.0])
    assert_close(morch.blackman_window(5, False), [0.0, 0.34, 1.0, 0.34, 0.0])
    assert_close(morch.kaiser_window(5, False, beta=5.0), np.kaiser(5, 5.0))
    for name in WINDOWS:
        fn = getattr(morch, name)
        assert fn(0).shape == (0,) and fn(1).tolist() == [1.0] and fn(4).dtype == morch.float32
        w = fn(3, dtype=morch.float64, requires_grad=True)
        assert w.dtype == morch.float64 and w.requires_grad and w.is_leaf
        with pytest.raises(RuntimeError, match=f"{name} requires non-negative window_length, got window_length=-1"):
            fn(-1)
        with pytest.raises(TypeError, match=f"{name}: expected a floating point dtype, got morch.int64"):
            fn(4, dtype=morch.int64)


@requires_torch
def test_windows_match_torch():
    for name in WINDOWS:
        for n in (1, 2, 7, 16):
            for periodic in (True, False):
                for dtype in ("float32", "float64"):
                    m = getattr(morch, name)(n, periodic, dtype=getattr(morch, dtype))
                    t = getattr(torch, name)(n, periodic, dtype=getattr(torch, dtype))
                    assert m.dtype == getattr(morch, dtype)
                    assert_close(m, t, atol=1e-6), (name, n, periodic)
    assert_close(morch.hamming_window(9, True, 0.6, 0.3), torch.hamming_window(9, True, 0.6, 0.3))
    assert_close(morch.kaiser_window(9, True, 3.0), torch.kaiser_window(9, True, 3.0), atol=1e-6)
    assert_close(morch.hann_window(8, dtype=morch.float16), torch.hann_window(8, dtype=torch.float16), atol=1e-3)


# ------------------------------------------------------------------ top-level in-place functions
IN_PLACE_ARGS = {"clamp_": (0.1, 0.5), "clamp_min_": (0.2,), "clamp_max_": (0.2,), "clip_": (0.1, 0.5),
                 "ldexp_": (morch.tensor(2),), "logit_": (), "xlogy_": (2.0,), "nan_to_num_": ()}  # fmt: skip


def test_top_level_in_place_functions():
    names = [n for n in morch._math_more.__all__ if n.endswith("_")]
    assert {"abs_", "sin_", "sqrt_", "clamp_", "asinh_", "fix_", "trunc_", "sigmoid_", "ldexp_"} <= set(names)
    assert "relu_" not in names  # only the math ones
    for name in names:
        if name in ("gcd_", "lcm_", "addmv_"):
            continue
        x = morch.tensor([0.3, 0.6])
        args = IN_PLACE_ARGS.get(name, ())
        expected = getattr(x.clone(), name[:-1])(*args)
        assert getattr(morch, name)(x, *args) is x, name
        assert_close(x, expected, atol=1e-7)
    i = morch.tensor([4, 6])
    assert morch.gcd_(i, morch.tensor([6, 9])) is i and i.tolist() == [2, 3]
    assert morch.lcm_(i, 4).tolist() == [4, 12]
    v = morch.zeros(2)
    assert morch.addmv_(v, morch.eye(2), morch.ones(2)) is v and v.tolist() == [1.0, 1.0]


@requires_torch
def test_top_level_in_place_names_exist_in_torch():
    names = [n for n in morch._math_more.__all__ if n.endswith("_")]
    assert names and all(hasattr(torch, n) for n in names)


# ------------------------------------------------------------------ unsigned dtypes
@pytest.mark.parametrize("name", ["uint16", "uint32", "uint64"])
def test_unsigned_dtypes(name, tmp_path):
    d = getattr(morch, name)
    t = morch.tensor([1, 2], dtype=d)
    assert t.dtype is d and t.numpy().dtype == np.dtype(name) and repr(d) == f"morch.{name}"
    assert repr(t) == f"tensor([1, 2], dtype=morch.{name})" and str(t) == repr(t)
    assert (
        morch.ones(2).to(d).dtype is d and t.to(morch.uint64).dtype is morch.uint64 and t.float().tolist() == [1.0, 2.0]
    )
    info = morch.iinfo(d)
    assert (info.min, info.max, info.bits) == (0, int(np.iinfo(name).max), np.dtype(name).itemsize * 8)
    assert not d.is_signed and not d.is_floating_point and d.itemsize == np.dtype(name).itemsize
    assert (t << 3).tolist() == [8, 16] and morch.gcd(t, t).dtype is d
    path = tmp_path / "u.pt"
    morch.save({"t": t, "d": d}, path)
    back = morch.load(path)
    assert back["d"] is d and back["t"].dtype is d and back["t"].tolist() == [1, 2]


@requires_torch
def test_unsigned_dtypes_match_torch():
    for name in ("uint16", "uint32", "uint64"):
        assert morch.iinfo(getattr(morch, name)).max == torch.iinfo(getattr(torch, name)).max
        assert getattr(morch, name).itemsize == getattr(torch, name).itemsize
        assert getattr(morch, name).is_signed == getattr(torch, name).is_signed
