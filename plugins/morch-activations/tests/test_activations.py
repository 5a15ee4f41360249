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

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def rand64(*shape, scale=3.0, seed=0):
    rng = np.random.default_rng(seed)
    return morch.tensor(rng.uniform(-scale, scale, shape), dtype=morch.float64, requires_grad=True)


def np_softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


def test_registered_names(plugin):
    assert plugin.status == "loaded" and plugin.errors == []
    assert plugin.ops == ["mish", "softplus", "swish"]
    x = morch.tensor([-1.0, 0.5])
    assert morch.softplus(x).shape == (2,)
    assert x.mish().shape == x.swish(beta=2.0).shape == (2,)
    assert "softplus" in morch.softplus.__doc__ and "beta" in str(__import__("inspect").signature(morch.softplus))


def test_forward_values(plugin):
    x = np.linspace(-5, 5, 11).astype(np.float32)
    t = morch.tensor(x)
    np.testing.assert_allclose(morch.softplus(t).numpy(), np_softplus(x), rtol=1e-6)
    np.testing.assert_allclose(morch.softplus(t, beta=2.0, threshold=3.0).numpy(), np_softplus(x, 2.0, 3.0), rtol=1e-6)
    np.testing.assert_allclose(morch.mish(t).numpy(), x * np.tanh(np.log1p(np.exp(x))), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(morch.swish(t, beta=1.5).numpy(), x / (1 + np.exp(-1.5 * x)), rtol=1e-5, atol=1e-7)
    assert morch.softplus(t).dtype == morch.float32
    assert np.isfinite(morch.mish(morch.tensor([-1000.0, 1000.0])).numpy()).all()
    assert np.isfinite(morch.swish(morch.tensor([-1000.0, 1000.0])).numpy()).all()


def test_array_likes_and_functional(plugin):
    np.testing.assert_allclose(morch.softplus([0.0, 1.0]).numpy(), np_softplus(np.array([0.0, 1.0])), rtol=1e-6)
    try:
        import morch.nn.functional as F
    except ImportError:
        pytest.skip("morch.nn.functional is not there")
    if not hasattr(F, "__getattr__"):
        pytest.skip("this morch's nn.functional does not look up plugin ops")
    assert F.softplus is morch.softplus and F.mish is morch.mish
    assert not hasattr(F, "swish")  # not registered with functional=True


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: morch.softplus(x),
        lambda x: morch.softplus(x, beta=2.0, threshold=2.5),  # both branches (no point sits on the kink)
        lambda x: morch.mish(x),
        lambda x: morch.swish(x),
        lambda x: morch.swish(x, beta=0.7),
    ],
    ids=["softplus", "softplus-beta-threshold", "mish", "swish", "swish-beta"],
)
def test_gradcheck_and_gradgradcheck(plugin, fn):
    x = rand64(3, 4)
    assert gradcheck(fn, x)
    assert gradgradcheck(fn, x)


def test_broadcast_and_training_step(plugin):
    w = morch.tensor([0.5, -0.25], requires_grad=True)
    x = morch.tensor([[1.0, 2.0], [3.0, -1.0]])
    loss = morch.mish(x * w).sum() + morch.softplus(x + w).mean()
    loss.backward()
    assert w.grad.shape == (2,)


@requires_torch
@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda x: morch.softplus(x), lambda x: TF.softplus(x)),
        (lambda x: morch.softplus(x, beta=2.0, threshold=4.0), lambda x: TF.softplus(x, beta=2.0, threshold=4.0)),
        (lambda x: morch.mish(x), lambda x: TF.mish(x)),
        (lambda x: morch.swish(x), lambda x: TF.silu(x)),
    ],
    ids=["softplus", "softplus-beta-threshold", "mish", "swish-as-silu"],
)
def test_matches_torch(plugin, ours, theirs):
    x = rand64(4, 5)
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    y, ty = ours(x), theirs(tx)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = np.random.default_rng(1).standard_normal((4, 5))
    (gx,) = morch.autograd.grad(y, x, morch.tensor(seed), create_graph=True)
    (tgx,) = torch.autograd.grad(ty, tx, torch.tensor(seed), create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), tgx.detach().numpy(), rtol=1e-10, atol=1e-12)
    (ggx,) = morch.autograd.grad(gx.sum(), x)  # second order too
    (tggx,) = torch.autograd.grad(tgx.sum(), tx)
    np.testing.assert_allclose(ggx.numpy(), tggx.numpy(), rtol=1e-8, atol=1e-10)


def _installed() -> bool:
    return any(ep.name == "activations" for ep in importlib.metadata.entry_points(group="morch"))


@pytest.mark.skipif(not _installed(), reason="the plugin is not installed (pip install .)")
def test_found_through_the_entry_point(monkeypatch):
    monkeypatch.delenv("MORCH_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("MORCH_SKIP_PLUGINS", raising=False)
    with morch.plugins.isolated(autoload=True):
        assert morch.softplus(morch.tensor([0.0])).item() == pytest.approx(np.log(2))
        (info,) = [p for p in morch.plugins.list_plugins() if p.name == "activations"]
        assert info.distribution == "morch-activations" and info.ops == ["mish", "softplus", "swish"]
