"""Random graphs of ops, differentiated twice, against PyTorch: values, gradients and gradients of
gradients of a few hundred small programs that mix broadcasting, reductions, shape ops and indexing."""

from __future__ import annotations

import random

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch

# each takes (lib, x) and uses only functions morch and PyTorch share
UNARY = [
    lambda L, x: x.exp().clamp(max=50),
    lambda L, x: L.tanh(x),
    lambda L, x: x.sigmoid(),
    lambda L, x: x.relu(),
    lambda L, x: x * x,
    lambda L, x: (x.abs() + 0.5).log(),
    lambda L, x: (x.abs() + 0.5).sqrt(),
    lambda L, x: x.sin(),
    lambda L, x: x**3,
    lambda L, x: 2.0 ** x.clamp(-3, 3),
    lambda L, x: x.clamp(-0.5, 0.5),
    lambda L, x: L.softmax(x, -1) if x.dim() else x,
    lambda L, x: L.log_softmax(x, 0) if x.dim() else x,
    lambda L, x: x.cumsum(0) if x.dim() else x,
    lambda L, x: x.flip(0) if x.dim() else x,
    lambda L, x: x.transpose(0, -1) if x.dim() >= 2 else x,
    lambda L, x: x.unsqueeze(0),
    lambda L, x: x.squeeze(),
    lambda L, x: x.reshape(-1),
    lambda L, x: x.expand(2, *x.shape),
    lambda L, x: x.repeat(2, *([1] * max(x.dim() - 1, 0))) if x.dim() else x,
    lambda L, x: x.roll(1, 0) if x.dim() else x,
    lambda L, x: L.tril(x) if x.dim() >= 2 else x,
    lambda L, x: x.sum(0) if x.dim() else x,
    lambda L, x: x.mean(-1, keepdim=True) if x.dim() else x,
    lambda L, x: x.amax(0) if x.dim() else x,
    lambda L, x: x.max(-1).values if x.dim() else x,
    lambda L, x: x.logsumexp(-1) if x.dim() else x,
    lambda L, x: x.var(0) if x.dim() and x.shape[0] > 1 else x,
    lambda L, x: x.prod(-1) if x.dim() else x,
    lambda L, x: x.sort(-1).values if x.dim() else x,
    lambda L, x: x[..., :1] if x.dim() else x,
    lambda L, x: x[0] if x.dim() else x,
    lambda L, x: x[[0, 0]] if x.dim() else x,
    lambda L, x: L.where(x > 0, x, x * 0.1),
]
BINARY = [
    lambda L, a, b: a + b,
    lambda L, a, b: a - b,
    lambda L, a, b: a * b,
    lambda L, a, b: a / (b.abs() + 1),
    lambda L, a, b: L.maximum(a, b),
    lambda L, a, b: (a.abs() + 0.5) ** b.clamp(-2, 2),
    lambda L, a, b: L.atan2(a, b.abs() + 0.1),
    lambda L, a, b: a @ b if a.dim() and b.dim() and a.shape[-1] == b.shape[max(b.dim() - 2, 0)] else None,
]
SHAPES = [(), (3,), (2, 3), (3, 1), (1, 3), (2, 2, 3), (3, 3)]


def _program(seed: int):
    rng = random.Random(seed)
    data = [np.random.default_rng(seed).uniform(-1.5, 1.5, rng.choice(SHAPES)) for _ in range(3)]
    steps = [
        ("u", rng.randrange(len(UNARY)), rng.randrange(99)) if rng.random() < 0.6
        else ("b", rng.randrange(len(BINARY)), rng.randrange(99), rng.randrange(99))
        for _ in range(rng.randint(3, 8))
    ]  # fmt: skip
    return data, steps


def _run(lib, data, steps):
    """Run a program; return output, gradients and gradients of the squared gradient norm (or None)."""
    leaves = [lib.tensor(d, dtype=lib.float64, requires_grad=True) for d in data]
    values = list(leaves)
    for step in steps:
        if step[0] == "u":
            v = UNARY[step[1]](lib, values[step[2] % len(values)])
        else:
            a, b = values[step[2] % len(values)], values[step[3] % len(values)]
            try:
                v = BINARY[step[1]](lib, a, b)
            except (ValueError, RuntimeError):  # shapes that do not broadcast: skip the step
                v = None
        if v is not None:
            values.append(v)
    loss = (values[-1] ** 2).sum()
    grads = lib.autograd.grad(loss, leaves, allow_unused=True, create_graph=True)
    used = [g for g in grads if g is not None and g.requires_grad]
    second = lib.autograd.grad(sum((g * g).sum() for g in used), leaves, allow_unused=True) if used else ()
    as_np = [t.detach().numpy() if t is not None else None for t in (values[-1], *grads, *second)]
    return as_np


@requires_torch
@pytest.mark.parametrize("block", range(4))
def test_random_programs_match_torch_to_second_order(block):
    for seed in range(block * 60, (block + 1) * 60):
        data, steps = _program(seed)
        with np.errstate(all="ignore"):
            ours, theirs = _run(morch, data, steps), _run(torch, data, steps)
        assert len(ours) == len(theirs), seed
        for m, t in zip(ours, theirs):
            if m is None or t is None:  # an unused input: None in one, zeros in the other is the same
                assert m is None or not np.any(m), seed
                assert t is None or not np.any(t), seed
                continue
            assert m.shape == t.shape, seed
            # PyTorch's norm has a nan second derivative at 0 where morch gives 0: compare where both are finite
            assert not (np.isfinite(t) & ~np.isfinite(m)).any(), f"program {seed}: {steps}"
            both = np.isfinite(m) & np.isfinite(t)
            np.testing.assert_allclose(m[both], t[both], rtol=1e-6, atol=1e-9, err_msg=f"program {seed}: {steps}")
