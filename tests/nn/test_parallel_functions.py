"""morch.nn.parallel's replicate / scatter / scatter_kwargs / gather / parallel_apply.

PyTorch's versions need GPUs, so the torch comparisons patch its device kernels (Scatter and Gather) with
chunk / cat and compare the structures the rest of PyTorch's code builds around them."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import morch
import morch.nn as nn
from helpers import requires_torch, torch
from morch.nn.parallel import gather, parallel_apply, replicate, scatter, scatter_kwargs

Pair = namedtuple("Pair", "x y")
X = np.arange(20.0).reshape(5, 4)


def _plain(obj):
    """A comparable form: tensors as ("T", values), containers keep their kind."""
    if hasattr(obj, "detach") and hasattr(obj, "shape"):
        return ("T", obj.detach().numpy().tolist())
    if isinstance(obj, dict):
        return ("dict", {k: _plain(v) for k, v in obj.items()})
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return ("namedtuple", [_plain(v) for v in obj])
    if isinstance(obj, (tuple, list)):
        return (type(obj).__name__, [_plain(v) for v in obj])
    return obj


def _structures(lib):
    x = lib.tensor(X)
    return {
        "tensor": x,
        "tuple": (x, x[:, :2], "s"),
        "list": [x, 3],
        "dict": {"a": x, "b": None},
        "nested": (x, {"k": [x, Pair(x, x)]}),
        "namedtuple": Pair(x, 7),
        "empty": (),
    }


@pytest.fixture
def patched_torch(monkeypatch):
    from torch.nn.parallel import scatter_gather

    def fake_scatter(target_gpus, chunk_sizes, dim, t):
        return t.chunk(len(target_gpus), dim)

    def fake_gather(target_device, dim, *ts):
        if all(t.dim() == 0 for t in ts):
            return torch.stack(ts)
        return torch.cat(ts, dim)

    monkeypatch.setattr(scatter_gather.Scatter, "apply", staticmethod(fake_scatter))
    monkeypatch.setattr(scatter_gather.Gather, "apply", staticmethod(fake_gather))
    return scatter_gather


@requires_torch
@pytest.mark.parametrize("kind", ["tensor", "tuple", "list", "dict", "nested", "namedtuple", "empty"])
@pytest.mark.parametrize(("n", "dim"), [(2, 0), (3, 1), (8, 0)])
def test_scatter_matches_torch(patched_torch, kind, n, dim):
    expected = patched_torch.scatter(_structures(torch)[kind], list(range(n)), dim)
    got = scatter(_structures(morch)[kind], ["cpu"] * n, dim)
    assert _plain(got) == _plain(expected)


@requires_torch
@pytest.mark.parametrize("kind", ["tensor", "tuple", "dict", "nested", "namedtuple"])
def test_gather_inverts_scatter_like_torch(patched_torch, kind):
    pieces_t = patched_torch.scatter(_structures(torch)[kind], [0, 1], 0)
    pieces_m = scatter(_structures(morch)[kind], [0, 1], 0)
    if kind == "tensor":
        pieces_t, pieces_m = list(pieces_t), list(pieces_m)
    else:  # gather wants tensors or None at the leaves
        pieces_t = [_only_tensors(p) for p in pieces_t]
        pieces_m = [_only_tensors(p) for p in pieces_m]
    expected = patched_torch.gather(pieces_t, "cpu", 0)
    got = gather(pieces_m, "cpu", 0)
    assert _plain(got) == _plain(expected)


def _only_tensors(obj):
    if isinstance(obj, dict):
        return type(obj)((k, _only_tensors(v)) for k, v in obj.items())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_only_tensors(v) for v in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(_only_tensors(v) for v in obj)
    return obj if hasattr(obj, "shape") else None


@requires_torch
def test_scatter_kwargs_matches_torch(patched_torch):
    def run(lib, fn):
        x = lib.tensor(X)
        return fn((x,), {"w": x, "flag": True}, [0, 1, 2], 0), fn((), {"w": x}, [0, 1], 0), fn((x,), None, [0, 1], 0)

    assert _plain(run(morch, scatter_kwargs)) == _plain(run(torch, patched_torch.scatter_kwargs))


def test_scatter_closed_form():
    x = morch.tensor(X)
    a, b = scatter(x, [0, 1])
    np.testing.assert_array_equal(a.numpy(), X[:3])
    np.testing.assert_array_equal(b.numpy(), X[3:])


def test_gather_scalars_warn_and_stack():
    with pytest.warns(UserWarning, match="scalars"):
        r = gather([morch.tensor(1.0), morch.tensor(2.0)], "cpu")
    assert r.tolist() == [1.0, 2.0]


def test_gather_errors_and_dim():
    x = morch.tensor(X)
    assert gather([x, x], "cpu", dim=1).shape == (5, 8)
    with pytest.raises(ValueError, match="same number of keys"):
        gather([{"a": x}, {"a": x, "b": x}], "cpu")


def test_gather_keeps_gradient():
    x = morch.tensor(X, requires_grad=True)
    pieces = scatter(x, [0, 1])
    out = gather([p * 2 for p in pieces], "cpu")
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full_like(X, 2.0))


def test_replicate_copies():
    net = nn.Linear(4, 2)
    reps = replicate(net, ["cpu", None, morch.device("cpu")])
    assert len(reps) == 3 and all(r is not net for r in reps)
    x = morch.tensor(X, dtype=morch.float32)
    for r in reps:
        np.testing.assert_array_equal(r(x).detach().numpy(), net(x).detach().numpy())
        assert r.weight is not net.weight
    with pytest.raises(RuntimeError, match="replicate: morch has no GPUs"):
        replicate(net, [0])


def test_parallel_apply():
    net = nn.Linear(4, 2)
    x = morch.tensor(X, dtype=morch.float32)
    pieces = scatter(x, [0, 1])
    outs = parallel_apply(replicate(net, ["cpu", "cpu"]), [(p,) for p in pieces])
    np.testing.assert_allclose(gather(outs, "cpu").detach().numpy(), net(x).detach().numpy(), rtol=1e-6)
    # single inputs, keyword inputs, devices
    calls = []

    class Rec(nn.Module):
        def forward(self, a, scale=1):
            calls.append(scale)
            return a * scale

    r = parallel_apply([Rec(), Rec()], [x, [x]], [{"scale": 2}, {}], devices=["cpu", None])
    assert calls == [2, 1]
    np.testing.assert_array_equal(r[0].numpy(), 2 * X)
    with pytest.raises(ValueError, match="2 modules but 1 inputs"):
        parallel_apply([Rec(), Rec()], [x])
    with pytest.raises(RuntimeError, match="parallel_apply: morch has no GPUs"):
        parallel_apply([Rec()], [x], devices=[1])
