"""docs/plugins.md stays true: its example plugin runs and prints what the guide says."""

from __future__ import annotations

import inspect
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import morch
from morch.autograd import gradcheck, gradgradcheck
from morch.plugins import register_plugin

DOC = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text()


def _block(first_line: str) -> str:
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", DOC, re.S) if b.startswith(first_line)]
    return block


@pytest.fixture
def softclip(fresh, monkeypatch):
    package = types.ModuleType("morch_softclip")
    package.__path__ = []
    ops = types.ModuleType("morch_softclip.ops")
    monkeypatch.setitem(sys.modules, "morch_softclip", package)
    monkeypatch.setitem(sys.modules, "morch_softclip.ops", ops)
    exec(_block("# src/morch_softclip/ops.py"), ops.__dict__)
    plugin = types.ModuleType("morch_softclip.plugin")
    exec(_block("# src/morch_softclip/plugin.py"), plugin.__dict__)
    return register_plugin(plugin, name="softclip", strict=True)


def test_the_guides_example(softclip):
    assert softclip.ops == ["soft_clip"]
    assert f"<Signature {inspect.signature(morch.soft_clip)}>" in DOC
    assert repr(morch.soft_clip([0.5, 3.0], bound=2.0)) in DOC
    with pytest.raises(ValueError) as e:
        morch.soft_clip(morch.tensor([1.0, 2.0, 3.0]), bound=0)
    assert f"ValueError: {e.value}" in DOC
    with pytest.raises(TypeError) as e:
        morch.soft_clip([1.0], 2.0)
    assert f"TypeError: {str(e.value).replace('[1.0]', 'x')}" in DOC
    x = morch.tensor(np.random.default_rng(0).uniform(-3, 3, (3, 4)), dtype=morch.float64, requires_grad=True)
    assert gradcheck(lambda t: morch.soft_clip(t, bound=1.5), x)
    assert gradgradcheck(lambda t: morch.soft_clip(t, bound=1.5), x)
    assert morch.tensor([1.0]).soft_clip().shape == (1,)
