"""Fixtures for plugin tests: an isolated plugin manager and registry, and fake installed distributions."""

from __future__ import annotations

import sys

import pytest
from plugin_testing import FakeSite

import morch
from morch.ops import registry
from morch.plugins import exports, manager


def _tensor_attrs() -> dict:
    return dict(vars(morch.Tensor))


@pytest.fixture
def fresh():
    """A fresh plugin manager and no plugin ops; afterwards the registry, the exports and Tensor
    are checked to be exactly as before."""
    before = (registry.snapshot(), exports.all_exports(), _tensor_attrs(), manager._records)
    with morch.plugins.isolated() as pm:
        yield pm
    assert registry.snapshot() == before[0]
    assert exports.all_exports() == before[1]
    assert _tensor_attrs() == before[2]
    assert manager._records is before[3]


@pytest.fixture
def site(tmp_path, monkeypatch, fresh):
    """Fake installed plugins, found through real entry points, with autoloading on (in isolation)."""
    monkeypatch.delenv(manager.ENV_DISABLE, raising=False)
    monkeypatch.delenv(manager.ENV_SKIP, raising=False)
    monkeypatch.delenv(manager.ENV_STRICT, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    fake = FakeSite(tmp_path)
    manager._entry_points_read = False  # as if morch had just been imported
    yield fake
    for name in fake.modules:
        sys.modules.pop(name, None)
