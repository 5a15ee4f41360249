import importlib.util
import pathlib
import sys

import pytest

if importlib.util.find_spec("morch_activations") is None:  # a source checkout, not installed
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "src"))

import morch.plugins  # noqa: E402

import morch_activations.plugin  # noqa: E402


@pytest.fixture
def plugin():
    """The plugin registered directly, isolated from whatever else is installed; removed afterwards."""
    with morch.plugins.isolated():
        yield morch.plugins.register_plugin(morch_activations.plugin, name="activations", strict=True)
