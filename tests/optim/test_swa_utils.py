"""optim.swa_utils: AveragedModel (SWA and EMA, with and without buffers), SWALR and update_bn,
against hand computations and torch."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch


def _run(L):
    su = L.optim.swa_utils
    L.manual_seed(0)
    net = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.BatchNorm1d(4), L.nn.Linear(4, 1))
    with L.no_grad():
        for i, p in enumerate(net.parameters()):
            p.copy_(L.ones_like(p) * 0.1 * (i + 1))
    opt = L.optim.SGD(net.parameters(), lr=0.5)
    swa = su.AveragedModel(net)
    ema = su.AveragedModel(net, multi_avg_fn=su.get_ema_multi_avg_fn(0.9), use_buffers=True)
    single = su.AveragedModel(net, avg_fn=su.get_ema_avg_fn(0.5))
    sched = su.SWALR(opt, swa_lr=[0.05], anneal_epochs=3, anneal_strategy="cos")
    lrs = []
    for step in range(6):
        with L.no_grad():
            for p in net.parameters():
                p.mul_(0.9).add_(0.01 * step)
        opt.step()  # no gradients: nothing moves, but the scheduler sees a step
        for avg in (swa, ema, single):
            avg.update_parameters(net)
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    x = L.tensor(np.random.default_rng(0).standard_normal((8, 3)), dtype=L.float32)
    su.update_bn([(x[:4], None), (x[4:], None)], swa)
    out = [np.array(lrs), swa.module[1].running_mean.numpy(), swa.module[1].running_var.numpy()]
    out += [p.detach().numpy() for m in (swa, ema, single) for p in m.parameters()]
    return out, int(swa.n_averaged.item())


def test_swa_average_by_hand():
    su = morch.optim.swa_utils
    lin = morch.nn.Linear(1, 1, bias=False)
    avg = su.AveragedModel(lin)
    for v in (1.0, 2.0, 6.0):
        with morch.no_grad():
            lin.weight.fill_(v)
        avg.update_parameters(lin)
    assert avg.module.weight.item() == pytest.approx(3.0) and avg.n_averaged.item() == 3
    assert avg(morch.ones(1, 1)).item() == pytest.approx(3.0)
    with pytest.raises(ValueError, match="anneal_strategy must by one of 'cos' or 'linear'"):
        su.SWALR(morch.optim.SGD(lin.parameters(), lr=0.1), 0.01, anneal_strategy="step")
    with pytest.raises(ValueError, match="Invalid decay value 2"):
        su.get_ema_avg_fn(2)


@requires_torch
def test_matches_torch():
    (ours, n_ours), (theirs, n_theirs) = _run(morch), _run(torch)
    assert n_ours == n_theirs == 6
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
