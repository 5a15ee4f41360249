"""The example plugins under plugins/, registered from their sources: they load without a clash
against the current core (a core function named like one of their ops would show up here first)."""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import morch
from morch.plugins import register_plugin

ROOT = Path(__file__).resolve().parents[2] / "plugins"
EXAMPLES = {
    "activations": ("morch-activations", "morch_activations", ["mish", "softplus", "swish"]),
    "losses": ("morch-losses", "morch_losses", ["pseudo_huber_loss", "sigmoid_focal_loss"]),
}


@pytest.fixture
def examples(fresh, monkeypatch):
    for folder, package, _ in EXAMPLES.values():
        if importlib.util.find_spec(package) is None:
            monkeypatch.syspath_prepend(str(ROOT / folder / "src"))
    infos = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, (_, package, _) in EXAMPLES.items():
            infos[name] = register_plugin(importlib.import_module(f"{package}.plugin"), name=name, strict=True)
    yield infos
    for _, package, _ in EXAMPLES.values():
        for mod in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[mod]


def test_examples_register_without_clashes(examples):
    assert {n: i.ops for n, i in examples.items()} == {n: ops for n, (_, _, ops) in EXAMPLES.items()}
    x = morch.tensor([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(morch.softplus(x).numpy(), np.log1p(np.exp(x.numpy())), rtol=1e-6)
    np.testing.assert_allclose(x.swish().numpy(), x.numpy() / (1 + np.exp(-x.numpy())), rtol=1e-6)
    np.testing.assert_allclose(morch.pseudo_huber_loss(x, 0.0, delta=100.0).item(), 5 / 6, rtol=1e-3)


def test_examples_in_nn_functional(examples):
    F = pytest.importorskip("morch.nn.functional")
    assert F.softplus is morch.softplus and F.mish is morch.mish and F.pseudo_huber_loss is morch.pseudo_huber_loss
    assert F.sigmoid_focal_loss is morch.sigmoid_focal_loss and not hasattr(F, "swish")
    x = morch.tensor([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(x.swish().numpy(), F.silu(x).numpy(), rtol=1e-6)
