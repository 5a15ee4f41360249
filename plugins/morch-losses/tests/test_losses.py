import importlib.metadata

import morch
import numpy as np
import pytest
from morch.autograd import gradcheck, gradgradcheck

try:
    import torch
    import torch.nn.functional as TF
except ImportError:
    torch = None
try:
    from torchvision.ops import sigmoid_focal_loss as tv_focal
except ImportError:
    tv_focal = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def rand64(*shape, low=-3.0, high=3.0, seed=0, requires_grad=True):
    rng = np.random.default_rng(seed)
    return morch.tensor(rng.uniform(low, high, shape), dtype=morch.float64, requires_grad=requires_grad)


def np_pseudo_huber(x, t, delta=1.0):
    d = x - t
    return delta**2 * (np.sqrt(1 + (d / delta) ** 2) - 1)


def np_focal(x, t, alpha=0.25, gamma=2.0):
    p = 1 / (1 + np.exp(-x))
    ce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    pt = p * t + (1 - p) * (1 - t)
    loss = ce * (1 - pt) ** gamma
    return loss * (alpha * t + (1 - alpha) * (1 - t)) if alpha >= 0 else loss


def test_registered_names(plugin):
    assert plugin.status == "loaded" and plugin.errors == []
    assert plugin.ops == ["pseudo_huber_loss", "sigmoid_focal_loss"]


def test_pseudo_huber_forward(plugin):
    x, t = rand64(3, 4, requires_grad=False), rand64(3, 4, seed=1, requires_grad=False)
    ref = np_pseudo_huber(x.numpy(), t.numpy(), 0.8)
    np.testing.assert_allclose(morch.pseudo_huber_loss(x, t, delta=0.8, reduction="none").numpy(), ref)
    np.testing.assert_allclose(morch.pseudo_huber_loss(x, t, delta=0.8).item(), ref.mean())
    np.testing.assert_allclose(morch.pseudo_huber_loss(x, t, delta=0.8, reduction="sum").item(), ref.sum())
    assert morch.pseudo_huber_loss([1.0, 2.0], [1.5, 0.0]).dtype == morch.float32
    # quadratic near 0, linear with slope delta far away
    np.testing.assert_allclose(morch.pseudo_huber_loss([1e-3], [0.0], delta=2.0).item(), 0.5e-6, rtol=1e-4)
    big = morch.pseudo_huber_loss(morch.tensor([1e4, 1e4 + 1], dtype=morch.float64), 0.0, delta=2.0, reduction="none")
    np.testing.assert_allclose((big[1] - big[0]).item(), 2.0, rtol=1e-6)


def test_focal_forward(plugin):
    x, t = rand64(5, requires_grad=False), morch.tensor([0.0, 1.0, 1.0, 0.0, 0.3], dtype=morch.float64)
    for alpha, gamma in [(0.25, 2.0), (-1, 0.0), (0.6, 1.5)]:
        out = morch.sigmoid_focal_loss(x, t, alpha=alpha, gamma=gamma)
        np.testing.assert_allclose(out.numpy(), np_focal(x.numpy(), t.numpy(), alpha, gamma), rtol=1e-10)
    big = morch.sigmoid_focal_loss(morch.tensor([-800.0, 800.0]), morch.tensor([0.0, 1.0]), reduction="sum")
    assert np.isfinite(big.item())


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_pseudo_huber_gradcheck_and_gradgradcheck(plugin, reduction):
    x, t = rand64(3, 4), rand64(3, 4, seed=1)
    fn = lambda a, b: morch.pseudo_huber_loss(a, b, reduction=reduction, delta=0.9)  # noqa: E731
    assert gradcheck(fn, (x, t))
    assert gradgradcheck(fn, (x, t))


def test_pseudo_huber_broadcasts_target(plugin):
    x, t = rand64(3, 4), rand64(4, seed=1)
    assert gradcheck(lambda a, b: morch.pseudo_huber_loss(a, b, reduction="sum"), (x, t))
    morch.pseudo_huber_loss(x, t).backward()
    assert t.grad.shape == (4,)


@pytest.mark.parametrize(
    "alpha, gamma, reduction", [(0.25, 2.0, "none"), (-1.0, 0.0, "mean"), (0.7, 1.0, "sum"), (0.25, 0.5, "mean")]
)
def test_focal_gradcheck(plugin, alpha, gamma, reduction):
    x = rand64(2, 3)
    t = rand64(2, 3, low=0.05, high=0.95, seed=1)  # soft targets, so both gradients are checked
    assert gradcheck(lambda a, b: morch.sigmoid_focal_loss(a, b, alpha=alpha, gamma=gamma, reduction=reduction), (x, t))


def test_focal_is_not_twice_differentiable(plugin):
    x = rand64(4)
    t = morch.tensor([0.0, 1.0, 1.0, 0.0], dtype=morch.float64)
    (g,) = morch.autograd.grad(morch.sigmoid_focal_loss(x, t, reduction="sum"), x, create_graph=True)
    with pytest.raises(RuntimeError, match=r"SigmoidFocalLossBackward .*plugin 'losses'.* not twice differentiable"):
        g.sum().backward()


def test_errors_name_the_op_and_plugin(plugin):
    x = morch.tensor([1.0])
    with pytest.raises(ValueError, match=r"plugin 'losses'.*reduction must be one of"):
        morch.pseudo_huber_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="delta must be positive"):
        morch.pseudo_huber_loss(x, x, delta=0.0)
    with pytest.raises(TypeError, match=r"pseudo_huber_loss\(\): missing a required argument: 'target'"):
        morch.pseudo_huber_loss(x)


@requires_torch
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_pseudo_huber_matches_torch_autograd(plugin, reduction):
    # torch has no pseudo-Huber loss: compare with torch's autograd of the formula, to second order
    x, t = rand64(4, 5), rand64(4, 5, seed=1)
    tx, tt = (torch.tensor(a.detach().numpy(), requires_grad=True) for a in (x, t))
    y = morch.pseudo_huber_loss(x, t, reduction=reduction, delta=1.3)
    tl = 1.3**2 * (torch.sqrt(1 + ((tx - tt) / 1.3) ** 2) - 1)
    ty = {"none": tl, "mean": tl.mean(), "sum": tl.sum()}[reduction]
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    seed = np.random.default_rng(2).standard_normal(tuple(y.shape))
    gx, gt = morch.autograd.grad(y, (x, t), morch.tensor(seed), create_graph=True)
    tgx, tgt = torch.autograd.grad(ty, (tx, tt), torch.tensor(seed), create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), tgx.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gt.detach().numpy(), tgt.detach().numpy(), rtol=1e-12)
    (ggx,) = morch.autograd.grad((gx * gx).sum(), x)
    (tggx,) = torch.autograd.grad((tgx * tgx).sum(), tx)
    np.testing.assert_allclose(ggx.numpy(), tggx.numpy(), rtol=1e-10)


def _torch_focal(x, t, alpha, gamma, reduction):
    # torchvision's formula, when torchvision itself is not installed
    if tv_focal is not None:
        return tv_focal(x, t, alpha=alpha, gamma=gamma, reduction=reduction)
    p = torch.sigmoid(x)
    ce = TF.binary_cross_entropy_with_logits(x, t, reduction="none")
    loss = ce * (1 - (p * t + (1 - p) * (1 - t))) ** gamma
    if alpha >= 0:
        loss = loss * (alpha * t + (1 - alpha) * (1 - t))
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


@requires_torch
@pytest.mark.parametrize("alpha, gamma, reduction", [(0.25, 2.0, "none"), (-1.0, 1.5, "mean"), (0.4, 3.0, "sum")])
def test_focal_matches_torch(plugin, alpha, gamma, reduction):
    x = rand64(4, 5)
    t = rand64(4, 5, low=0.0, high=1.0, seed=1)
    tx, tt = (torch.tensor(a.detach().numpy(), requires_grad=True) for a in (x, t))
    y = morch.sigmoid_focal_loss(x, t, alpha=alpha, gamma=gamma, reduction=reduction)
    ty = _torch_focal(tx, tt, alpha, gamma, reduction)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-10)
    seed = np.random.default_rng(2).standard_normal(tuple(y.shape))
    gx, gt = morch.autograd.grad(y, (x, t), morch.tensor(seed))
    tgx, tgt = torch.autograd.grad(ty, (tx, tt), torch.tensor(seed))
    np.testing.assert_allclose(gx.numpy(), tgx.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gt.numpy(), tgt.numpy(), rtol=1e-9, atol=1e-12)


def _installed() -> bool:
    return any(ep.name == "losses" for ep in importlib.metadata.entry_points(group="morch"))


@pytest.mark.skipif(not _installed(), reason="the plugin is not installed (pip install .)")
def test_found_through_the_entry_point(monkeypatch):
    monkeypatch.delenv("MORCH_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("MORCH_SKIP_PLUGINS", raising=False)
    with morch.plugins.isolated(autoload=True):
        assert morch.pseudo_huber_loss(morch.tensor([0.0]), morch.tensor([3.0])).item() == pytest.approx(10**0.5 - 1)
        (info,) = [p for p in morch.plugins.list_plugins() if p.name == "losses"]
        assert info.distribution == "morch-losses" and info.ops == ["pseudo_huber_loss", "sigmoid_focal_loss"]
