"""gradcheck / gradgradcheck (morch/autograd/checks.py), and that every core op passes gradgradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import rand64
from morch.autograd import Function, GradcheckError, gradcheck, gradgradcheck
from morch.ops import registry
from morch.tensor import _wrap


class Square(Function):
    def forward(self, a):
        return a * a

    def backward(self, g):
        return g * 2 * self.inputs[0]


class WrongSquare(Function):
    """Backward off by a factor: gradcheck must notice."""

    def forward(self, a):
        return a * a

    def backward(self, g):
        return g * 3 * self.inputs[0]


class ConstantSlopeSquare(Function):
    """First derivative right, but written with a constant: the second derivative comes out zero."""

    def forward(self, a):
        self.slope = 2 * a
        return a * a

    def backward(self, g):
        return g * _wrap(self.slope)


def test_gradcheck_passes_correct_backward():
    assert gradcheck(Square.apply, (rand64(2, 3),))


def test_gradcheck_catches_wrong_backward_with_a_clear_message():
    with pytest.raises(GradcheckError, match=r"Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(WrongSquare.apply, (rand64(3),))
    assert gradcheck(WrongSquare.apply, (rand64(3),), raise_exception=False) is False


def test_gradgradcheck_catches_wrong_second_derivative():
    x = rand64(3)
    assert gradcheck(ConstantSlopeSquare.apply, (x,))
    with pytest.raises(GradcheckError):
        gradgradcheck(ConstantSlopeSquare.apply, (x,))
    assert gradgradcheck(Square.apply, (x,))


def test_gradcheck_with_several_inputs_outputs_and_passthrough_arguments():
    a, b = rand64(2, 3), rand64(3)
    n = morch.tensor([1, 2, 3])  # integer inputs are not perturbed

    def f(x, y, k, scale):
        return x * y * k * scale, (x - y).sum(1), n > 1

    assert gradcheck(f, (a, b, n, 0.5))
    assert gradgradcheck(f, (a, b, n, 0.5))


def test_gradcheck_only_checks_inputs_that_require_grad():
    a, b = rand64(3), rand64(3, requires_grad=False)
    assert gradcheck(lambda x, y: x * y, (a, b))
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda y: y * 2, (b,))


def test_gradcheck_warns_about_float32_inputs():
    x = morch.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        assert gradcheck(lambda t: t * 2, (x,), eps=1e-2, atol=1e-2, rtol=1e-2)


def test_gradcheck_accepts_a_single_tensor_and_leaves_inputs_unchanged():
    x = rand64(4)
    before = x.detach().numpy().copy()
    assert gradcheck(lambda t: t.sin(), x)
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.grad is None


def test_gradcheck_handles_non_contiguous_inputs():
    x = rand64(3, 2).detach().t().requires_grad_()
    assert not x.detach().numpy().flags.c_contiguous
    assert gradcheck(lambda t: t.exp() @ t.T, (x,))


def test_gradgradcheck_with_given_grad_outputs():
    x = rand64(3)
    v = rand64(3)
    assert gradgradcheck(lambda t: t**3, (x,), grad_outputs=(v,))


def test_gradcheck_of_unused_input_gives_zero_jacobian():
    a, b = rand64(2), rand64(2)
    assert gradcheck(lambda x, y: x * 2, (a, b))


# ------------------------------------------------------------------ every core op, twice differentiable
# op name in the registry -> a function of float64 tensors that exercises it (inputs from the shapes)
_IDX = morch.tensor([[0, 2], [1, 1]])


def _first_derivative(fn, x):
    with morch.enable_grad():  # also while gradcheck evaluates it without grad
        return morch.autograd.grad(fn(), x, create_graph=True)[0]


CORE_OPS = {
    "add": (lambda a, b: a + b, [(2, 3), (3,)]),
    "sub": (lambda a, b: a - b, [(2, 3), (2, 1)]),
    "mul": (lambda a, b: a * b, [(2, 3), (3,)]),
    "div": (lambda a, b: a / (b * b + 1), [(2, 3), (3,)]),
    "neg": (lambda a: -a, [(3,)]),
    "pow": (lambda a, b: (a * a + 1) ** b, [(3,), (3,)]),
    "pow_scalar": (lambda a: a**3, [(3,)]),
    "rpow_scalar": (lambda a: 1.5**a, [(3,)]),
    "exp": (lambda a: a.exp(), [(3,)]),
    "log": (lambda a: (a * a + 0.5).log(), [(3,)]),
    "log1p": (lambda a: (a * a).log1p(), [(3,)]),
    "expm1": (lambda a: a.expm1(), [(3,)]),
    "sqrt": (lambda a: (a * a + 0.5).sqrt(), [(3,)]),
    "abs": (lambda a: (a + 3).abs(), [(3,)]),
    "sin": (lambda a: a.sin(), [(3,)]),
    "cos": (lambda a: a.cos(), [(3,)]),
    "tan": (lambda a: (a * 0.5).tan(), [(3,)]),
    "asin": (lambda a: (a * 0.5).asin(), [(3,)]),
    "acos": (lambda a: (a * 0.5).acos(), [(3,)]),
    "atan": (lambda a: a.atan(), [(3,)]),
    "sinh": (lambda a: a.sinh(), [(3,)]),
    "cosh": (lambda a: a.cosh(), [(3,)]),
    "atan2": (lambda a, b: morch.atan2(a, b + 3), [(3,), (3,)]),
    "prod": (lambda a: a.prod(1), [(2, 3)]),
    "tril": (lambda a: (a**2).tril(), [(3, 3)]),
    "triu": (lambda a: (a**2).triu(1), [(3, 3)]),
    "einsum": (lambda a, b: morch.einsum("ij,jk->ik", a**2, b), [(2, 3), (3, 2)]),
    "tanh": (lambda a: a.tanh(), [(3,)]),
    "sigmoid": (lambda a: a.sigmoid(), [(3,)]),
    "relu": (lambda a: (a + 3).relu() ** 2, [(3,)]),
    "erf": (lambda a: a.erf(), [(3,)]),
    "sign": (lambda a: (a + 3).sign() * a, [(3,)]),
    "floor": (lambda a: (a * 0.1 + 5.5).floor() * a, [(3,)]),
    "ceil": (lambda a: (a * 0.1 + 5.5).ceil() * a, [(3,)]),
    "round": (lambda a: (a * 0.1 + 5.2).round() * a, [(3,)]),
    "trunc": (lambda a: (a * 0.1 + 5.5).trunc() * a, [(3,)]),
    "maximum": (lambda a, b: morch.maximum(a, b + 3) ** 2, [(3,), (3,)]),
    "minimum": (lambda a, b: morch.minimum(a, b + 3) ** 2, [(3,), (3,)]),
    "clamp": (lambda a: (a * 0.1).clamp(-0.5, 0.5) ** 2, [(3,)]),
    "where": (lambda a, b: morch.where(morch.tensor([True, False, True]), a, b) ** 2, [(3,), (3,)]),
    # float32 in the middle: finite differences need a larger step and tolerance
    "cast": (lambda a: a.float().double() ** 2, [(3,)], {"eps": 1e-3, "atol": 1e-3, "rtol": 1e-2}),
    "clone": (lambda a: a.clone() ** 2, [(3,)]),
    "remainder": (lambda a, b: morch.remainder(a * 0.1 + 5.5, b + 3) ** 2, [(3,), (3,)]),
    "fmod": (lambda a, b: morch.fmod(a * 0.1 + 5.5, b + 3) ** 2, [(3,), (3,)]),
    "sum": (lambda a: (a**2).sum(1), [(2, 3)]),
    "mean": (lambda a: (a**2).mean(0), [(2, 3)]),
    "amax": (lambda a: (a**2).amax(1), [(2, 3)]),
    "amin": (lambda a: (a**2).amin(0), [(2, 3)]),
    "logsumexp": (lambda a: a.logsumexp(1), [(2, 3)]),
    "cumsum": (lambda a: (a**2).cumsum(1), [(2, 3)]),
    "cumprod": (lambda a: (a**2).cumprod(1), [(2, 3)]),
    "var": (lambda a: a.var(1), [(2, 3)]),
    "reshape": (lambda a: (a**2).reshape(3, 2), [(2, 3)]),
    "flatten": (lambda a: (a**2).flatten(), [(2, 3)]),
    "squeeze": (lambda a: (a**2).squeeze(), [(2, 1)]),
    "unsqueeze": (lambda a: (a**2).unsqueeze(1), [(3,)]),
    "transpose": (lambda a: (a**2).transpose(0, 1), [(2, 3)]),
    "permute": (lambda a: (a**2).permute(1, 0), [(2, 3)]),
    "expand": (lambda a: (a**2).expand(2, 3), [(1, 3)]),
    "flip": (lambda a: (a**2).flip(1), [(2, 3)]),
    "roll": (lambda a: (a**2).roll(1, 1), [(2, 3)]),
    "repeat": (lambda a: (a**2).repeat(2, 1), [(2, 3)]),
    "cat": (lambda a, b: morch.cat([a**2, b**2], 0), [(2, 3), (1, 3)]),
    "index": (lambda a: (a**2)[[0, 0, 1]], [(2, 3)]),
    "index_grad": (lambda a: _first_derivative(lambda: (a**3)[[0, 0]].sum(), a), [(2, 3)]),
    "index_put": (lambda a, b: morch.index_put(a**2, (1,), b**2), [(2, 3), (3,)]),
    "gather": (lambda a: (a**2).gather(1, _IDX), [(2, 3)]),
    "scatter_add": (lambda a, b: (a**2).scatter_add(1, _IDX, b**2), [(2, 3), (2, 2)]),
    "scatter": (lambda a, b: (a**2).scatter(1, morch.tensor([[0, 2], [1, 0]]), b**2), [(2, 3), (2, 2)]),
    "scatter_reduce": (lambda a, b: (a**2).scatter_reduce(1, _IDX, b**2 + 1, "prod"), [(2, 3), (2, 2)]),
    "diagonal": (lambda a: (a**2).diagonal(1), [(3, 4)]),
    "diagonal_grad": (lambda a: morch.diag(a**2), [(3,)]),
    "constant_pad": (lambda a: registry.get("constant_pad").apply(a**2, widths=((1, 0), (0, 2))), [(2, 3)]),
    "matmul": (lambda a, b: (a**2) @ b, [(2, 3), (3, 2)]),
    "linear": (lambda a, b: morch.functional.linear(a**2, b, b[:, 0]), [(2, 3), (3, 3)]),
    "softmax": (lambda a: morch.softmax(a, 1), [(2, 3)]),
    "log_softmax": (lambda a: morch.log_softmax(a, 1), [(2, 3)]),
}
# ops that carry no gradient: comparisons, logic, integer results
NOT_DIFFERENTIABLE = {
    "eq", "ne", "lt", "le", "gt", "ge", "logical_not", "logical_and", "logical_or", "logical_xor", "bitwise_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "isnan", "isinf", "isfinite", "floor_divide", "argmax", "argmin",
    "all", "any", "trunc_divide",
}  # fmt: skip


# the op families this file covers (morch/ops/nn.py is tested with morch.nn)
FAMILIES = ("morch.ops.elementwise", "morch.ops.reduce", "morch.ops.shape", "morch.ops.index", "morch.ops.matmul")


def test_every_registered_core_op_has_a_double_backward_test():
    core = {n for n in registry.names(provider="morch") if registry.get(n).__module__ in FAMILIES}
    missing = core - set(CORE_OPS) - NOT_DIFFERENTIABLE
    assert not missing, f"core ops without a gradgradcheck entry here: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(CORE_OPS))
def test_core_op_gradcheck_and_gradgradcheck(name):
    assert name in registry.names(provider="morch")
    fn, shapes, *tolerances = CORE_OPS[name]
    kwargs = tolerances[0] if tolerances else {}
    inputs = tuple(rand64(*s, seed=i) for i, s in enumerate(shapes))
    assert gradcheck(fn, inputs, **kwargs)
    assert gradgradcheck(fn, inputs, **kwargs)
