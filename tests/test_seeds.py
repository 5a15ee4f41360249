"""The seed notebooks' examples, run as scripts, print the seeds' numbers."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import requires_torch, torch

ROOT = Path(__file__).resolve().parents[1]


def run_example(name: str) -> str:
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "seeds" / name)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_seed000_prints_the_forward_wengert_list_and_gradients():
    out = run_example("seed000_tape.py").splitlines()
    assert out[:8] == [
        "v-1 = 2.0",
        "v0 = 5.0",
        "v1 = log(v-1)",
        "v2 = v-1 * v0",
        "v3 = v1 + v2",
        "v4 = sin(v0)",
        "v5 = v3 - v4",
        "11.652071455223084",
    ]
    assert out[-2:] == ["dx 5.5", "dy 1.7163378145367738"]


def _matrices(text: str) -> list[np.ndarray]:
    """The 3x3 matrices printed after 'dt/da' and 'dt/db'."""
    found = []
    for label in ("dt/da", "dt/db"):
        block = text.split(label, 1)[1]
        nums = [float(x) for x in re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", block)[:9]]
        found.append(np.array(nums).reshape(3, 3))
    return found


SEED004_DA = np.array([[0.09375, 0.29492, 0.27561], [0.01694, 0.02649, 0.01745], [0.00092, 0.00137, 0.00088]])
SEED004_DB = np.repeat([[2.4501], [2.71216], [2.87377]], 3, axis=1)


def test_seed004_prints_the_seed_numbers():
    out = run_example("seed004_static.py")
    static = out.split("静态图版本")[1]
    assert "tensor(12.5307, grad_fn=<SumBackward>)" in static
    da, db = _matrices(static)
    np.testing.assert_allclose(da, SEED004_DA, atol=1e-4)  # morch prints 4 decimals
    np.testing.assert_allclose(db, SEED004_DB, atol=1e-4)


@requires_torch
def test_seed004_static_graph_matches_pytorch_to_1e5():
    import morch
    from morch.static import Placeholder, SessionRun

    value = np.arange(9.0).reshape(3, 3)
    mul_value = np.linspace(0, 1, 9).reshape(3, 3)
    a = Placeholder()
    b = morch.Tensor(mul_value)
    out = SessionRun(morch.sum(1 / (1 + morch.exp(-a)) @ b), {a: value})
    out.backward()

    ta = torch.tensor(value, dtype=torch.float32, requires_grad=True)
    tb = torch.tensor(mul_value, dtype=torch.float32, requires_grad=True)
    tt = torch.sum(1 / (1 + torch.exp(-ta)) @ tb)
    tt.backward()
    assert abs(out.item() - tt.item()) < 1e-5
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), atol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), atol=1e-5)


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
def test_seed004_script_prints_pytorch_half_too():
    out = run_example("seed004_static.py")
    assert "动态图版本" in out and "tensor(12.5307, grad_fn=<SumBackward0>)" in out
