"""Module hooks beyond the basic forward ones: forward hooks with kwargs and always_call, and full
backward (pre) hooks, checked against hand computations and against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import nn


class Two(nn.Module):
    """Two outputs from two inputs: (a * b, a + 2b)."""

    def forward(self, a, b, scale=1.0):
        return a * b * scale, a + 2 * b


def _pair(lib, seed=0, grad=(True, True)):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    return lib.tensor(a, requires_grad=grad[0]), lib.tensor(b, requires_grad=grad[1])


def test_forward_hooks_with_kwargs_and_prepend():
    m, calls = Two(), []

    def pre(mod, args, kwargs):
        calls.append(("pre", dict(kwargs)))
        return args, {**kwargs, "scale": 3.0}

    def post(mod, args, kwargs, out):
        calls.append(("post", kwargs["scale"]))
        return out[0], out[1] * 0

    m.register_forward_pre_hook(pre, with_kwargs=True)
    h = m.register_forward_hook(post, with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: calls.append(("first", None)), prepend=True)
    a, b = _pair(morch)
    p, s = m(a, b, scale=2.0)
    np.testing.assert_allclose(p.detach().numpy(), 3 * a.detach().numpy() * b.detach().numpy())
    assert np.all(s.detach().numpy() == 0)
    assert calls == [("pre", {"scale": 2.0}), ("first", None), ("post", 3.0)]
    h.remove()
    assert not m._forward_hooks_with_kwargs  # removing the handle forgets its options too
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
        m(a, b)


def test_always_call_hook_runs_when_forward_raises():
    seen = []

    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    m.register_forward_hook(lambda mod, args, out: seen.append("never"))
    with pytest.raises(ValueError, match="boom"):
        m(morch.ones(2))
    assert seen == [None]


def test_full_backward_hook_sees_input_and_output_gradients():
    lin = nn.Linear(3, 2).double()
    seen = {}

    def hook(mod, grad_input, grad_output):
        seen["gi"], seen["go"] = grad_input, grad_output

    lin.register_full_backward_hook(hook)
    x = morch.randn(4, 3, dtype=morch.float64, requires_grad=True)
    y = lin(x)
    (y * 2).sum().backward()
    (go,), (gi,) = seen["go"], seen["gi"]
    np.testing.assert_allclose(go.numpy(), np.full((4, 2), 2.0))
    np.testing.assert_allclose(gi.numpy(), 2 * np.ones((4, 2)) @ lin.weight.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), gi.numpy())  # the hook saw what x received
    np.testing.assert_allclose(lin.weight.grad.numpy(), 2 * np.ones((2, 4)) @ x.detach().numpy())


def test_backward_hooks_can_replace_gradients():
    m = Two()
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 10, go[1]))
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0], None))
    a, b = _pair(morch)
    p, s = m(a, b)
    (p.sum() + s.sum()).backward()
    bn = b.detach().numpy()
    np.testing.assert_allclose(a.grad.numpy(), 10 * bn + 1)
    assert b.grad is None  # the hook dropped it


def test_unused_output_and_input_without_grad_give_none():
    m, seen = Two(), {}
    m.register_full_backward_pre_hook(lambda mod, go: seen.setdefault("pre", go) and None)
    m.register_full_backward_hook(lambda mod, gi, go: seen.setdefault("hook", (gi, go)) and None)
    a, b = _pair(morch, grad=(True, False))
    p, s = m(a, b, 2.0)  # three positional arguments: grad_input has three entries
    p.sum().backward()
    assert seen["pre"][1] is None and seen["pre"][0].shape == (2, 3)
    gi, go = seen["hook"]
    assert len(gi) == 3 and gi[1] is None and gi[2] is None
    np.testing.assert_allclose(gi[0].numpy(), 2 * b.numpy())


def test_hook_without_input_gradients_runs_at_the_outputs():
    lin, seen = nn.Linear(3, 2), []
    lin.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go[0].shape)))
    lin(morch.randn(4, 3)).sum().backward()
    assert seen == [((None,), (4, 2))]
    assert lin.weight.grad is not None


def test_no_hook_call_without_grad_and_removal():
    lin, seen = nn.Linear(3, 2), []
    h = lin.register_full_backward_hook(lambda *a: seen.append(1))
    with morch.no_grad():
        lin(morch.randn(1, 3))
    h.remove()
    x = morch.randn(1, 3, requires_grad=True)
    lin(x).sum().backward()
    assert seen == [] and x.grad is not None


def test_bad_hook_result_is_named():
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    x = morch.randn(1, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="full backward hook returned 2 values for grad_input; expected 1"):
        lin(x).sum().backward()


def test_backward_hooks_keep_double_backward_working():
    m = Two()
    m.register_full_backward_hook(lambda mod, gi, go: None)
    a, b = _pair(morch)
    p, _ = m(a, b)
    (ga,) = morch.autograd.grad((p**2).sum(), a, create_graph=True)  # 2 a b^2
    (gb,) = morch.autograd.grad(ga.sum(), b)  # 4 a b
    np.testing.assert_allclose(gb.numpy(), 4 * a.detach().numpy() * b.detach().numpy())


@requires_torch
def test_full_backward_hooks_match_pytorch():
    records = {}
    for lib in (morch, torch):
        m = (Two if lib is morch else _torch_two())()
        log = records[lib.__name__] = []
        m.register_full_backward_pre_hook(lambda mod, go, log=log: log.append(("pre", go)) or (_x3(go[0]), go[1]))
        m.register_full_backward_hook(lambda mod, gi, go, log=log: log.append(("hook", gi, go)) or (gi[0] + 1, gi[1]))
        a, b = _pair(lib, grad=(True, True))
        p, s = m(a, b)
        (p * p).sum().backward(retain_graph=True)
        s.sum().backward()
        log.append(("grads", a.grad, b.grad))
    ours, theirs = records["morch"], records["torch"]
    assert [r[0] for r in ours] == [r[0] for r in theirs]
    for r, q in zip(ours, theirs):
        for x, y in zip(r[1:], q[1:]):
            xs = x if isinstance(x, tuple) else (x,)
            ys = y if isinstance(y, tuple) else (y,)
            assert [v is None for v in xs] == [v is None for v in ys]
            for u, v in zip(xs, ys):
                if u is not None:
                    np.testing.assert_allclose(u.detach().numpy(), v.detach().numpy(), rtol=1e-12)


def _x3(g):
    return None if g is None else g * 3


def _torch_two():
    class TorchTwo(torch.nn.Module):
        def forward(self, a, b, scale=1.0):
            return a * b * scale, a + 2 * b

    return TorchTwo
