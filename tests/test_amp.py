"""morch.amp: autocast leaves dtypes alone; GradScaler scales, unscales, skips overflowed steps and
adapts its scale as PyTorch's (compared step by step when torch is installed)."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch


def test_autocast_is_a_context_and_decorator_that_keeps_dtypes():
    assert not morch.is_autocast_enabled()
    with pytest.warns(UserWarning, match="no reduced-precision kernels"):
        morch.amp._warned.discard("cpu")
        region = morch.autocast("cpu", dtype=morch.float16)
    with region:
        assert morch.is_autocast_enabled()
        y = morch.ones(2, 3) @ morch.ones(3, 2)
        with morch.autocast("cpu", enabled=False):
            assert not morch.is_autocast_enabled()
        assert morch.is_autocast_enabled()
    assert y.dtype == morch.float32 and not morch.is_autocast_enabled()

    @morch.autocast("cpu")
    def f(x):
        return morch.is_autocast_enabled(), x * 2

    assert f(morch.ones(1))[0]
    with pytest.warns(UserWarning, match="CUDA is not available. Disabling"):
        with morch.cuda.amp.autocast():
            assert not morch.is_autocast_enabled()
    with pytest.raises(RuntimeError, match="unsupported device_type 'xpu'"):
        morch.autocast("xpu")


def _train(lib, scaler, grads: list):
    """SGD steps on one parameter with the given (pre-scaled-by-hand) gradient values; returns the
    parameter and the scales after each update."""
    p = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
    opt = lib.optim.SGD([p], lr=0.1)
    scales = []
    for g in grads:
        opt.zero_grad()
        loss = scaler.scale((p * lib.tensor(g)).sum())
        loss.backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    return p.detach().numpy(), scales


GRADS = [[1.0, 1.0], [np.inf, 1.0], [0.5, 0.5], [1.0, np.nan], [2.0, 0.0], [1.0, 1.0]]


def test_grad_scaler_skips_overflow_and_adapts_the_scale():
    scaler = morch.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)
    p, scales = _train(morch, scaler, GRADS)
    # steps 1, 3, 5, 6 apply; steps 2 and 4 overflow: skipped, and the scale halves
    np.testing.assert_allclose(p, [1.0 - 0.1 * (1 + 0.5 + 2 + 1), 2.0 - 0.1 * (1 + 0.5 + 0 + 1)], rtol=1e-6)
    assert scales == [8.0, 4.0, 4.0, 2.0, 2.0, 4.0]
    sd = scaler.state_dict()
    other = morch.amp.GradScaler("cpu")
    other.load_state_dict(sd)
    assert other.get_scale() == 4.0 and other.state_dict() == sd


def test_unscale_then_clip_then_step():
    p = morch.nn.Parameter(morch.tensor([3.0, 4.0]))
    opt = morch.optim.SGD([p], lr=1.0)
    scaler = morch.amp.GradScaler("cpu", init_scale=1024.0)
    scaler.scale((p * p).sum() / 2).backward()  # gradient p, scaled
    scaler.unscale_(opt)
    np.testing.assert_allclose(p.grad.numpy(), [3.0, 4.0])
    morch.nn.utils.clip_grad_norm_([p], 1.0)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    scaler.update()
    np.testing.assert_allclose(p.detach().numpy(), [3.0 - 0.6, 4.0 - 0.8], rtol=1e-5)


def test_disabled_scaler_is_a_pass_through():
    with pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = morch.cuda.amp.GradScaler()
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0
    loss = morch.ones(1)
    assert scaler.scale(loss) is loss and scaler.state_dict() == {}
    p, scales = _train(morch, morch.amp.GradScaler("cpu", enabled=False), [[1.0, 1.0]])
    np.testing.assert_allclose(p, [0.9, 1.9], rtol=1e-6)
    with pytest.raises(ValueError, match="growth factor must be > 1.0"):
        morch.amp.GradScaler("cpu", growth_factor=1.0)


@requires_torch
def test_grad_scaler_matches_pytorch():
    ours = _train(morch, morch.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2), GRADS)
    theirs = _train(torch, torch.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2), GRADS)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    assert ours[1] == theirs[1]
