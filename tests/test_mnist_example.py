"""examples/mnist_train.py: smoke runs in quick mode, checkpoints, and one-line errors for bad input."""

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import morch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "mnist_train.py"
DATA = ROOT / "examples" / "data" / "mnist"


def train(*args, timeout=300, torchvision=False):
    cmd = [sys.executable, str(SCRIPT), "--quick", "--no-progress", "--test-batch-size", "100", *map(str, args)]
    if not torchvision:
        cmd.append("--no-torchvision")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_quick_run_trains_reports_accuracy_and_writes_a_loadable_checkpoint(tmp_path, model):
    ck = tmp_path / "ck.mpt"
    proc = train("--model", model, "--save", ck)
    assert proc.returncode == 0, proc.stderr
    assert "test accuracy" in proc.stdout and f"final: model {model}" in proc.stdout
    state = morch.load(ck)
    assert state["model"] == model and state["epoch"] == 1
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import mnist_train
    finally:
        sys.path.pop(0)
    net = mnist_train.MODELS[model]()
    assert net.load_state_dict(state["model_state"]) is not None

    resumed = train("--model", model, "--resume", ck, "--epochs", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from" in resumed.stdout and "epoch 2:" in resumed.stdout


def one_line_error(proc) -> str:
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr  # no traceback
    return lines[0]


def test_resume_from_another_models_checkpoint_is_a_one_line_error(tmp_path):
    ck = tmp_path / "mlp.mpt"
    assert train("--model", "mlp", "--save", ck).returncode == 0
    msg = one_line_error(train("--model", "cnn", "--resume", ck))
    assert str(ck) in msg and "checkpoint is for model 'mlp', not 'cnn'" in msg


def test_corrupted_checkpoint_is_a_one_line_error(tmp_path):
    ck = tmp_path / "bad.mpt"
    ck.write_bytes(b"not a checkpoint at all")
    msg = one_line_error(train("--resume", ck))
    assert str(ck) in msg


def test_missing_data_is_a_one_line_error(tmp_path):
    msg = one_line_error(train("--data-dir", tmp_path))
    assert "train-images-idx3-ubyte.gz" in msg and "not found" in msg


@pytest.mark.parametrize("damage", ["truncated", "not_gzip", "wrong_magic"])
def test_corrupted_data_file_is_a_one_line_error(tmp_path, damage):
    for f in DATA.glob("*.gz"):
        shutil.copy(f, tmp_path / f.name)
    target = tmp_path / "train-labels-idx1-ubyte.gz"
    if damage == "truncated":
        target.write_bytes(target.read_bytes()[:-500])
    elif damage == "not_gzip":
        target.write_bytes(b"hello")
    else:
        with gzip.open(target, "wb") as f:
            f.write(b"\x00\x00\x08\x03" + bytes(100))
    msg = one_line_error(train("--data-dir", tmp_path))
    assert "train-labels-idx1-ubyte.gz" in msg


def test_torchvision_loader_is_used_when_installed(tmp_path, monkeypatch):
    pytest.importorskip("torchvision")
    monkeypatch.setenv("MORCH_CACHE", str(tmp_path))  # where the IDX files are unpacked for torchvision
    proc = train("--model", "mlp", torchvision=True)
    assert proc.returncode == 0, proc.stderr
    assert "data: torchvision.datasets.MNIST" in proc.stdout and "test accuracy" in proc.stdout
