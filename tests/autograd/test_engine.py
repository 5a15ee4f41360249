"""The backward engine (morch/autograd/engine.py): Tensor.backward, autograd.grad, accumulation,
graph walking and freeing, hooks, higher derivatives and its error messages."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import morch
from helpers import assert_close, requires_torch, torch
from morch.autograd import Function, grad


def f64(*values, requires_grad: bool = True):
    return morch.tensor(
        list(values) if len(values) != 1 else values[0], dtype=morch.float64, requires_grad=requires_grad
    )


class Counted(Function):
    """Identity that counts how often its backward runs, and refuses to run more than ``limit`` times."""

    calls = 0
    limit = 10**9

    def forward(self, a):
        return a.copy()

    def backward(self, g):
        Counted.calls += 1
        if Counted.calls > Counted.limit:
            raise AssertionError("a node's backward ran more often than there are nodes")
        return g


@pytest.fixture
def counted():
    Counted.calls, Counted.limit = 0, 10**9
    yield Counted
    Counted.calls, Counted.limit = 0, 10**9


# ------------------------------------------------------------------ backward basics
def test_backward_of_scalar_fills_leaf_grads():
    x, y = f64(2.0), f64(5.0)
    f = morch.log(x) + x * y - morch.sin(y)
    f.backward()
    assert x.grad.item() == pytest.approx(0.5 + 5.0)
    assert y.grad.item() == pytest.approx(2.0 - math.cos(5.0))
    assert x.grad.dtype == morch.float64 and x.grad.shape == ()


def test_backward_with_gradient_argument():
    x = f64([1.0, 2.0, 3.0])
    y = x * x
    y.backward(morch.tensor([1.0, 0.5, 0.0], dtype=morch.float64))
    assert x.grad.tolist() == [2.0, 2.0, 0.0]


def test_backward_gradient_may_be_numpy_or_of_other_float_dtype():
    x = morch.ones(2, requires_grad=True)
    (x * 3).backward(np.array([1.0, 2.0]))
    assert x.grad.dtype == morch.float32 and x.grad.tolist() == [3.0, 6.0]


def test_backward_on_leaf_itself():
    x = morch.ones(3, requires_grad=True)
    g = morch.tensor([1.0, 2.0, 3.0])
    x.backward(g)
    assert x.grad.tolist() == [1.0, 2.0, 3.0]


def test_gradients_accumulate_into_leaves_until_zeroed():
    x = f64([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad.zero_()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_non_leaf_grad_is_not_kept_without_retain_grad():
    x = f64(3.0)
    y = x * 2
    (y * y).backward()
    assert y.grad is None and x.grad.item() == 24.0


def test_retain_grad_keeps_grad_of_non_leaf_and_accumulates():
    x = f64(3.0)
    y = x * 2
    y.retain_grad()
    assert y.retains_grad
    z = y * y
    z.backward(retain_graph=True)
    assert y.grad.item() == 12.0
    z.backward()
    assert y.grad.item() == 24.0 and x.grad.item() == 48.0


def test_retain_grad_on_leaf_is_a_no_op_and_needs_requires_grad():
    x = f64(1.0)
    x.retain_grad()
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        morch.ones(2).retain_grad()


def test_backward_inputs_argument_limits_accumulation():
    x, y = f64(2.0), f64(3.0)
    (x * y).backward(inputs=[x])
    assert x.grad.item() == 3.0 and y.grad is None


def test_autograd_backward_function_with_several_roots():
    x = f64([1.0, 2.0])
    a, b = x * 2, (x * x).sum()
    morch.autograd.backward([a, b], [morch.ones(2, dtype=morch.float64), None])
    assert x.grad.tolist() == [4.0, 6.0]


def test_unused_leaves_get_no_grad_and_integer_inputs_none():
    x, unused = f64(1.0), f64(1.0)
    (x * 2).backward()
    assert unused.grad is None


def test_gradient_through_no_grad_part_is_cut():
    x = f64(2.0)
    with morch.no_grad():
        c = x * 10
    y = x * c
    y.backward()
    assert x.grad.item() == 20.0 and not c.requires_grad


def test_detach_cuts_the_graph_and_shares_memory():
    x = f64([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.numpy(), y.detach().numpy())
    z = (y * d).sum()
    z.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_detach_in_place_and_requires_grad_():
    y = f64([1.0]) * 2
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad
    t = morch.zeros(2)
    assert t.requires_grad_() is t and t.requires_grad
    t.requires_grad_(False)
    assert not t.requires_grad


# ------------------------------------------------------------------ graph walking
def test_shared_subexpression_used_a_thousand_times(counted):
    x = f64(2.0)
    s = Counted.apply(x * x)
    total = s
    for _ in range(999):
        total = total + s
    Counted.limit = 1
    total.backward()
    assert counted.calls == 1
    assert x.grad.item() == pytest.approx(1000 * 4.0)


def test_diamond_of_diamonds_is_linear_not_exponential(counted):
    # every level: y -> (a, b) -> a + b; a naive walk would visit the bottom 2**60 times
    depth = 60
    x = f64(1.0)
    y = x
    for _ in range(depth):
        y = Counted.apply(y)
        y = (y * 0.5) + (y * 0.5)
    Counted.limit = depth
    y.backward()
    assert counted.calls == depth
    assert x.grad.item() == pytest.approx(1.0)


def test_chain_of_100000_ops_backward_is_iterative():
    assert sys.getrecursionlimit() < 100_000
    x = morch.tensor(1.0, dtype=morch.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y = y * 2.0
    y.backward()
    assert x.grad.item() == 2.0


def test_deep_graph_is_freed_without_recursion():
    x = morch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    del y  # dropping a deep graph must not overflow the stack either
    assert x.grad is None


# ------------------------------------------------------------------ graph freeing and retain_graph
def test_graph_is_freed_after_backward():
    x = f64([1.0, 2.0])
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    assert node.inputs is None and not node.__dict__


def test_second_backward_through_freed_graph_is_a_clear_error():
    x = f64(2.0)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match=r"backward through the graph a second time.*retain_graph=True"):
        y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        grad(y, x)


def test_partly_freed_graph_is_an_error_too():
    x = f64(2.0)
    shared = x.exp()
    (shared * 2).backward()
    with pytest.raises(RuntimeError, match="second time"):
        (shared * 3).backward()


def test_retain_graph_allows_a_second_backward():
    x = f64(2.0)
    y = x**3
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 24.0


# ------------------------------------------------------------------ autograd.grad
def test_grad_returns_tuple_and_leaves_dot_grad_alone():
    x, y = f64(2.0), f64(3.0)
    gx, gy = grad(x * y, [x, y])
    assert gx.item() == 3.0 and gy.item() == 2.0
    assert x.grad is None and y.grad is None
    (gx,) = grad(x * x, x)
    assert gx.item() == 4.0 and not gx.requires_grad


def test_grad_with_respect_to_intermediate_tensor():
    x = f64(2.0)
    h = x * 3
    y = h * h
    (gh,) = grad(y, h, retain_graph=True)
    assert gh.item() == 12.0
    gh, gx = grad(y, [h, x])
    assert gh.item() == 12.0 and gx.item() == 36.0


def test_grad_outputs_and_several_outputs():
    x = f64([1.0, 2.0])
    a, b = x * 2, x * x
    seeds = [morch.ones(2, dtype=morch.float64), morch.tensor([1.0, 0.0], dtype=morch.float64)]
    (g,) = grad([a, b], x, grad_outputs=seeds)
    assert g.tolist() == [4.0, 2.0]


def test_grad_unused_input():
    x, z = f64(1.0), f64(1.0)
    with pytest.raises(RuntimeError, match=r"not have been used in the graph.*allow_unused=True"):
        grad(x * 2, [x, z], retain_graph=True)
    gx, gz = grad(x * 2, [x, z], allow_unused=True, retain_graph=True)
    assert gx.item() == 2.0 and gz is None
    gx, gz = grad(x * 2, [x, z], materialize_grads=True)
    assert gz.item() == 0.0


def test_grad_input_must_require_grad():
    x = f64(1.0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        grad(x * 2, morch.ones(1))


def test_grad_retain_graph_default_follows_create_graph():
    x = f64(2.0)
    y = x**3
    (g,) = grad(y, x, create_graph=True)
    assert g.requires_grad
    (g2,) = grad(y, x)  # the graph was kept because create_graph=True
    assert g2.item() == 12.0


# ------------------------------------------------------------------ higher derivatives
SECOND = {
    "cube": (lambda x: x**3, lambda v: 6 * v),
    "sin": (lambda x: morch.sin(x), lambda v: -math.sin(v)),
    "exp": (lambda x: morch.exp(x), math.exp),
    "log": (lambda x: morch.log(x), lambda v: -1 / v**2),
    "tanh": (lambda x: morch.tanh(x), lambda v: -2 * math.tanh(v) * (1 - math.tanh(v) ** 2)),
    "sigmoid": (lambda x: x.sigmoid(), lambda v: (s := 1 / (1 + math.exp(-v))) * (1 - s) * (1 - 2 * s)),
    "sqrt": (lambda x: x.sqrt(), lambda v: -0.25 * v**-1.5),
    "x_exp_x": (lambda x: x * morch.exp(x), lambda v: (v + 2) * math.exp(v)),
    "div": (lambda x: 1 / x, lambda v: 2 / v**3),
}


@pytest.mark.parametrize("name", SECOND)
@pytest.mark.parametrize("via", ["grad", "backward"])
def test_second_derivatives_match_analytic_values(name, via):
    fn, d2 = SECOND[name]
    v = 0.7
    x = f64(v)
    (g,) = grad(fn(x), x, create_graph=True)
    assert g.requires_grad
    if via == "grad":
        (gg,) = grad(g, x)
        assert gg.item() == pytest.approx(d2(v), rel=1e-10)
    else:
        g.backward()
        # x.grad was not touched by grad(); backward of the first derivative gives the second
        assert x.grad.item() == pytest.approx(d2(v), rel=1e-10)


def test_third_derivative_of_cube_and_of_sin():
    x = f64(0.3)
    (g1,) = grad(x**3, x, create_graph=True)
    (g2,) = grad(g1, x, create_graph=True)
    (g3,) = grad(g2, x)
    assert (g1.item(), g2.item(), g3.item()) == pytest.approx((3 * 0.09, 6 * 0.3, 6.0))
    (s1,) = grad(morch.sin(x), x, create_graph=True)
    (s2,) = grad(s1, x, create_graph=True)
    (s3,) = grad(s2, x)
    assert s3.item() == pytest.approx(-math.cos(0.3))


def test_hessian_of_softmax_style_composite():
    # f(x) = log(sum(exp(x))): gradient softmax(x), Hessian diag(p) - p p^T
    x = morch.tensor([0.1, -0.4, 0.8], dtype=morch.float64, requires_grad=True)
    f = morch.log(morch.exp(x).sum())
    (g,) = grad(f, x, create_graph=True)
    p = np.exp(x.detach().numpy()) / np.exp(x.detach().numpy()).sum()
    np.testing.assert_allclose(g.detach().numpy(), p)
    rows = [grad(g[i], x, retain_graph=True)[0].numpy() for i in range(3)]
    np.testing.assert_allclose(np.stack(rows), np.diag(p) - np.outer(p, p), atol=1e-12)
    # the built-in softmax and logsumexp give the same second derivatives
    (g2,) = grad(x.logsumexp(0), x, create_graph=True)
    h = [grad(g2[i], x, retain_graph=True)[0].numpy() for i in range(3)]
    np.testing.assert_allclose(np.stack(h), np.diag(p) - np.outer(p, p), atol=1e-12)
    s = morch.softmax(x, 0)
    (gs,) = grad(s[0], x, create_graph=True)
    (gss,) = grad(gs[0], x)
    # d2 p0 / dx0 dx = p0 (1 - p0)(e0 - p) - p0 * p0 (e0 - p)
    e0 = np.eye(3)[0]
    np.testing.assert_allclose(gss.numpy(), p[0] * (1 - 2 * p[0]) * (e0 - p), atol=1e-12)


@requires_torch
def test_double_backward_matches_torch():
    a = np.array([[0.3, -1.2], [0.5, 2.0]])
    results = []
    for lib in (morch, torch):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        y = (lib.tanh(x) @ x).sigmoid().sum() + (x**3).mean()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        results.append(gg.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10)


def test_backward_with_create_graph_builds_graph_of_grad():
    x = f64(1.5)
    (x**3).backward(create_graph=True)
    assert x.grad.requires_grad
    (g2,) = grad(x.grad, x)
    assert g2.item() == pytest.approx(9.0)


def test_op_marked_not_differentiable_twice_says_so():
    class NumpyBackward(Function):
        differentiable = False

        def forward(self, a):
            return a**2

        def backward(self, g):
            return g * morch.tensor(2 * self.inputs[0].detach().numpy())

    x = f64(3.0)
    (g,) = grad(NumpyBackward.apply(x), x, create_graph=True)
    assert g.item() == 6.0
    with pytest.raises(RuntimeError, match="NumpyBackwardBackward.*not twice differentiable"):
        grad(g, x)


# ------------------------------------------------------------------ hooks
def test_hook_on_leaf_sees_and_replaces_the_total_gradient():
    x = f64(2.0)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.item()) or g * 10)
    (x * 3 + x * 4).backward()
    assert seen == [7.0] and x.grad.item() == 70.0
    handle.remove()
    x.grad = None
    (x * 3).backward()
    assert seen == [7.0] and x.grad.item() == 3.0


def test_hook_on_non_leaf_changes_what_flows_further():
    x = f64(2.0)
    y = x * 3
    y.register_hook(lambda g: g * 0.5)
    seen = []
    y.register_hook(lambda g: seen.append(g.item()))
    (y * y).backward()
    assert seen == [6.0]  # hooks run in order; the second sees the first one's result
    assert x.grad.item() == 18.0


def test_hook_needs_requires_grad():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        morch.ones(2).register_hook(lambda g: g)


# ------------------------------------------------------------------ .grad memory
def _grads_are_independent(*tensors, others=()):
    arrays = [t.grad.numpy() for t in tensors]
    for i, a in enumerate(arrays):
        assert a.flags.writeable and a.flags.owndata
        for b in arrays[i + 1 :] + [o.numpy() for o in others]:
            assert not np.shares_memory(a, b)


@pytest.mark.parametrize(
    "build",
    [
        lambda a, b: a + b,
        lambda a, b: (a - b) * 1,
        lambda a, b: a.reshape(2, 2).reshape(4) + b.clone(),
        lambda a, b: a.expand(4) + b if a.shape == (1,) else a + b.expand(4),
        lambda a, b: a + b + 0 * a,
        lambda a, b: morch.where(morch.tensor([True, False, True, False]), a, b),
    ],
)
@pytest.mark.parametrize("create_graph", [False, True])
def test_grads_never_alias_each_other_or_the_users_gradient(build, create_graph):
    a, b = morch.ones(4, requires_grad=True), morch.ones(4, requires_grad=True)
    user = morch.ones(4)
    build(a, b).backward(user, create_graph=create_graph)
    _grads_are_independent(a, b, others=[user])
    a.grad.add_(100) if not create_graph else None
    assert user.tolist() == [1.0] * 4


def test_grad_of_sum_is_writable_memory():
    a = morch.ones(3, requires_grad=True)
    a.sum().backward()
    a.grad.mul_(2)  # optimizers update .grad in place
    assert a.grad.tolist() == [2.0] * 3


def test_grad_of_leaf_backward_does_not_alias_gradient():
    a = morch.ones(3, requires_grad=True)
    g = morch.ones(3)
    a.backward(g)
    a.grad.add_(1)
    assert g.tolist() == [1.0] * 3


def test_retained_grad_and_hook_results_do_not_alias():
    a = morch.ones(2, requires_grad=True)
    y = a * 1
    y.retain_grad()
    user = morch.ones(2)
    (y + 0).backward(user)
    assert not np.shares_memory(y.grad.numpy(), user.numpy())
    assert not np.shares_memory(y.grad.numpy(), a.grad.numpy())
    other = morch.zeros(2, requires_grad=True)
    replacement = morch.full((2,), 5.0)
    other.register_hook(lambda g: replacement)
    (other * 1).sum().backward()
    other.grad.add_(1)
    assert replacement.tolist() == [5.0, 5.0] and other.grad.tolist() == [6.0, 6.0]


# ------------------------------------------------------------------ errors
def test_backward_on_non_scalar_needs_gradient():
    y = morch.ones(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"grad can be implicitly created only for scalar outputs.*\(3,\)"):
        y.backward()


def test_backward_gradient_shape_must_match():
    y = morch.ones(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"Mismatch in shape.*\(2,\).*\(3,\)"):
        y.backward(morch.ones(2))


def test_backward_on_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        morch.ones(1).backward()


def test_requires_grad_on_integer_tensor_is_refused():
    with pytest.raises(RuntimeError, match="floating point.*int64"):
        morch.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point.*bool"):
        morch.tensor([True]).requires_grad_()


def test_requires_grad_false_on_non_leaf_is_refused():
    y = morch.ones(1, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf variables.*detach"):
        y.requires_grad = False


def test_modifying_a_saved_tensor_in_place_is_detected():
    x = morch.ones(3, requires_grad=True)
    y = x * 2
    z = y * y  # saves y
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"inplace operation.*MulBackward.*version 1; expected version 0"):
        z.sum().backward()


def test_modifying_a_saved_tensor_in_place_under_no_grad_is_detected():
    x = morch.ones(3, requires_grad=True)
    w = morch.ones(3, requires_grad=True)
    z = (x * w).sum()
    with morch.no_grad():
        w.mul_(2)  # an optimizer step before backward
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_modifying_an_input_whose_value_backward_does_not_need_is_allowed():
    # as in PyTorch: Add saves nothing, and each node keeps its inputs' history from when it ran
    x = morch.ones(3, requires_grad=True)
    y = x * 2
    z = y + 1
    y.mul_(3)
    (z + y).sum().backward()
    assert x.grad.tolist() == [8.0] * 3


def test_detach_in_place_keeps_the_history_of_ops_that_used_the_tensor():
    x = morch.ones(3, requires_grad=True)
    y = x * 2
    z = y * 3
    y.detach_()
    assert not y.requires_grad and y.grad_fn is None
    z.sum().backward()
    assert x.grad.tolist() == [6.0] * 3


def _sigmoid_first_columns(p):
    p[..., :2] = p[..., :2].sigmoid()


def _scale_a_column(p):
    p[:, 0] *= 2


def _mix_columns(p):
    p[:, 1] = p[:, 1] + p[:, 0]


def _scale_by_detached_self(p):
    p.mul_(p.detach() + 1)


@pytest.mark.parametrize("modify", [_sigmoid_first_columns, _scale_a_column, _mix_columns, _scale_by_detached_self])
def test_in_place_updates_from_own_values_match_torch(modify):
    results = []
    for lib in (morch, torch) if torch is not None else (morch,):
        x = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]], requires_grad=True)
        p = x * 1.5
        modify(p)
        (p * p).sum().backward()
        results.append((p.detach().numpy().copy(), x.grad.numpy().copy()))
    if len(results) == 2:
        for m, t in zip(results[0], results[1]):
            np.testing.assert_allclose(m, t, rtol=1e-6)


def test_augmented_assignment_on_a_slice_of_a_result():
    x = morch.ones(2, 3, requires_grad=True)
    h = x * 1
    h[:, 0] *= 2  # Python: tmp = h[:, 0]; tmp *= 2; h[:, 0] = tmp
    h.sum().backward()
    assert x.grad.tolist() == [[2.0, 1.0, 1.0]] * 2


@pytest.mark.parametrize(
    "alias",
    [lambda t: t[0:2], lambda t: t.view(3), lambda t: t.detach(), lambda t: t.T.T, lambda t: t.detach()[1:]],
    ids=["slice", "view", "detach", "transposes", "slice_of_detach"],
)
def test_untracked_write_through_a_view_or_detached_alias_counts_for_the_owner(alias):
    w = morch.ones(3, requires_grad=True)
    y = (w * w).sum()  # saves w
    with morch.no_grad():
        alias(w).zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_writes_to_copies_do_not_count_for_the_source():
    x = morch.arange(6.0).reshape(2, 3)
    for copy_of in (lambda t: t[[0, 1]], lambda t: t.flip(0), lambda t: t.t().reshape(6), lambda t: t.clone()):
        before = x._version
        copy_of(x).zero_()
        assert x._version == before and x.sum().item() == 15.0


def test_untracked_write_through_a_view_changes_the_owner():
    x = morch.zeros(2, 3)
    x[0].add_(1)
    x.t()[1].fill_(5)
    x.view(6)[5] = 7
    assert x.tolist() == [[1.0, 5.0, 1.0], [0.0, 5.0, 7.0]]


def test_in_place_ops_on_non_leaf_tensors_are_differentiated():
    x = morch.tensor([1.0, 2.0, 3.0], dtype=morch.float64, requires_grad=True)

    def f(t):
        y = t * 2
        y.add_(1)
        y.mul_(t)
        y.pow_(2)
        y[0] = 0.5 * t[1] ** 3
        y.clamp_(max=1000.0)
        y.sub_(t, alpha=2)
        y.div_(3)
        return y

    y = f(x)
    assert y.grad_fn is not None
    v = np.array([1.0, 2.0, 3.0])
    expected = ((2 * v + 1) * v) ** 2
    expected[0] = 0.5 * v[1] ** 3
    np.testing.assert_allclose(y.detach().numpy(), (np.minimum(expected, 1000) - 2 * v) / 3)
    assert morch.autograd.gradcheck(f, (x,))
    assert morch.autograd.gradgradcheck(f, (x,))


@requires_torch
def test_in_place_ops_on_non_leaf_tensors_match_torch():
    grads = []
    for lib in (morch, torch):
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = x * 1.5
        y.mul_(2).add_(x).sigmoid_()
        z = x * 1
        z.zero_()
        z += y * y
        z.sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


def test_untracked_in_place_write_keeps_saved_outputs_intact():
    x = morch.tensor([0.0, 1.0], dtype=morch.float64, requires_grad=True)
    y = x.exp()  # Exp keeps its output for backward
    with morch.no_grad():
        y.add_(100)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.0, 1.0]))


def test_in_place_on_leaf_requiring_grad_is_refused():
    x = morch.ones(3, requires_grad=True)
    for op in (lambda: x.add_(1), lambda: x.mul_(2), lambda: x.zero_(), lambda: x.copy_(morch.zeros(3))):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad.*in-place"):
            op()
    with morch.no_grad():
        x.add_(1)
    assert x.tolist() == [2.0] * 3


def test_backward_returning_wrong_number_or_shape_of_gradients_is_clear():
    class TwoGrads(Function):
        def forward(self, a):
            return a * 2

        def backward(self, g):
            return g, g

    class WrongShape(Function):
        def forward(self, a):
            return a * 2

        def backward(self, g):
            return morch.ones(5)

    class NotATensor(Function):
        def forward(self, a):
            return a * 2

        def backward(self, g):
            return 1.0

    x = morch.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="TwoGradsBackward: backward returned 2 gradients but the op has 1 inputs"):
        TwoGrads.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match=r"WrongShapeBackward.*shape \(5,\) for input 0.*\(2, 3\)"):
        WrongShape.apply(x).sum().backward()
    with pytest.raises(TypeError, match="NotATensorBackward: backward returned float"):
        NotATensor.apply(x).sum().backward()


def test_backward_may_return_broadcast_shaped_gradients_and_arrays():
    class Sloppy(Function):
        def forward(self, a):
            return a * 2

        def backward(self, g):
            return np.full((4, 2, 3), 0.5)  # the engine sums broadcast dims away

    x = morch.ones(2, 3, requires_grad=True)
    Sloppy.apply(x).sum().backward()
    assert x.grad.tolist() == [[2.0] * 3] * 2


def test_errors_in_forward_name_the_op_and_input_shapes():
    class Bad(Function):
        def forward(self, a, b):
            return a + b

        def backward(self, g):
            return g, g

    with pytest.raises(ValueError, match=r"Bad: .*\(inputs: \(2,\) float32, \(3,\) float32\)"):
        Bad.apply(morch.ones(2), morch.ones(3))


def test_error_in_backward_propagates_and_grad_mode_is_restored():
    class Boom(Function):
        def forward(self, a):
            return a.copy()

        def backward(self, g):
            raise ZeroDivisionError("boom")

    x = morch.ones(1, requires_grad=True)
    with pytest.raises(ZeroDivisionError):
        Boom.apply(x).sum().backward()
    assert morch.is_grad_enabled()


def test_grad_fn_name_and_next_functions():
    x = morch.ones(2, requires_grad=True)
    y = (x * 2).sum()
    assert y.grad_fn.name() == "SumBackward"
    ((mul, _),) = y.grad_fn.next_functions
    assert mul.name() == "MulBackward"
    assert [f for f, _ in mul.next_functions] == [None, None]
    assert "grad_fn=<SumBackward>" in repr(y)


@requires_torch
def test_mlp_like_graph_matches_torch():
    rng = np.random.default_rng(0)
    xs, w1, b1, w2 = (rng.standard_normal(s) for s in [(5, 4), (4, 8), 8, (8, 3)])
    out = {}
    for lib in (morch, torch):
        params = [lib.tensor(a, requires_grad=True) for a in (w1, b1, w2)]
        x = lib.tensor(xs)
        h = lib.relu(x @ params[0] + params[1])
        logits = h @ params[2]
        loss = (logits.logsumexp(1) - logits[:, 0]).mean() + 0.01 * (params[0] ** 2).sum()
        loss.backward()
        out[lib.__name__] = [loss.item()] + [p.grad.numpy().copy() for p in params]
    assert out["morch"][0] == pytest.approx(out["torch"][0], rel=1e-5)
    for m, t in zip(out["morch"][1:], out["torch"][1:]):
        assert_close(m, t, atol=1e-5)


def test_leaf_hooks_run_in_autograd_grad_too():
    x = morch.ones(2, requires_grad=True)
    x.register_hook(lambda g: g * 2)
    assert morch.autograd.grad((x * 3).sum(), x)[0].tolist() == [6.0, 6.0]
    x.register_post_accumulate_grad_hook(lambda t: (_ for _ in ()).throw(AssertionError("not in grad()")))
    assert morch.autograd.grad((x * 3).sum(), x)[0].tolist() == [6.0, 6.0]  # post-accumulate hooks are backward's
