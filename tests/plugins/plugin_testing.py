"""Helpers for the plugin tests (a module of its own: conftest modules are not importable by name)."""

from __future__ import annotations

from pathlib import Path

from morch.plugins import hookimpl


class FnPlugin:
    """A plugin object whose ``register_ops`` hook runs ``body(register)``."""

    def __init__(self, body):
        self.body = body

    @hookimpl
    def register_ops(self, register):
        self.body(register)


class FakeSite:
    """A directory on sys.path holding fake installed distributions (``*.dist-info``) and their modules."""

    def __init__(self, root: Path):
        self.root = root
        self.modules: list[str] = []

    def add(self, dist: str, entry_points: dict[str, str], modules: dict[str, str], version: str = "1.2.3"):
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text("[morch]\n" + lines)
        for name, source in modules.items():
            (self.root / f"{name}.py").write_text(source)
            self.modules.append(name)


# the source of a good plugin module; {op} and {cls} are filled in
PLUGIN_SOURCE = '''
import numpy as np
from morch.autograd import Function
from morch.plugins import hookimpl


class {cls}(Function):
    """{op}: 2 * x (a test op)."""

    def forward(self, x, *, k=2.0):
        self.k = k
        return x * k

    def backward(self, grad):
        return grad * self.k


@hookimpl
def register_ops(register):
    register({cls}, name="{op}")
'''
