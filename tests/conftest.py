import os

# tests see only the plugins they install or register themselves
os.environ.setdefault("MORCH_DISABLE_PLUGIN_AUTOLOAD", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import morch  # noqa: E402


@pytest.fixture(autouse=True)
def _seed_and_restore():
    """Each test starts from the same seeds, grad mode on and default dtype float32."""
    morch.manual_seed(0)
    np.random.seed(0)
    yield
    morch.set_grad_enabled(True)
    morch.set_default_dtype(morch.float32)
