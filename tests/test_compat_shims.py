"""The process-level names PyTorch scripts touch even on a CPU: set_printoptions, version,
default device, jit, distributed, cuda memory queries and anomaly detection."""

from __future__ import annotations

import pytest

import morch
from helpers import requires_torch, torch


def test_set_printoptions_changes_reprs_and_resets():
    x = morch.tensor([1.123456, 2.5, 1000.25])
    try:
        morch.set_printoptions(precision=2)
        assert repr(x) == "tensor([   1.12,    2.50, 1000.25])"
        morch.set_printoptions(sci_mode=True)
        assert repr(x) == "tensor([1.12e+00, 2.50e+00, 1.00e+03])"
        morch.set_printoptions(profile="default", threshold=5, edgeitems=2)
        assert repr(morch.arange(10)) == "tensor([0, 1,  ..., 8, 9])"
        with pytest.raises(ValueError, match="profile must be one of"):
            morch.set_printoptions(profile="long")
    finally:
        morch.set_printoptions(profile="default")
    assert repr(x) == "tensor([   1.1235,    2.5000, 1000.2500])"


@requires_torch
def test_printoptions_match_torch():
    cases = [dict(precision=3), dict(sci_mode=True, precision=2), dict(profile="short"), dict(linewidth=30)]
    try:
        for kw in cases:
            for lib in (morch, torch):
                lib.set_printoptions(profile="default")
                lib.set_printoptions(**kw)
            vals = [[0.5, 123.456, 1e-3], [2.0, 3.0, 4.5]]
            assert repr(morch.tensor(vals)) == repr(torch.tensor(vals)), kw
    finally:
        morch.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_shims():
    assert morch.version.cuda is None and morch.version.__version__ == morch.__version__
    assert morch.get_default_device() == morch.device("cpu")
    morch.set_default_device("cpu")
    with pytest.raises(RuntimeError, match="morch runs on the CPU only"):
        morch.set_default_device("cuda")
    assert morch.jit.script(len) is len and morch.jit.trace(len, ()) is len and not morch.jit.is_scripting()

    @morch.jit.ignore
    def helper(x):
        return x + 1

    assert helper(1) == 2 and morch.jit.wait(morch.jit.fork(helper, 2)) == 3
    with pytest.raises(NotImplementedError, match="save a state_dict with morch.save"):
        morch.jit.save(None, "x.pt")
    assert not morch.distributed.is_available() and not morch.distributed.is_initialized()
    with pytest.raises(RuntimeError, match="no distributed backend"):
        morch.distributed.get_rank()
    morch.cuda.empty_cache()
    assert morch.cuda.memory_allocated() == 0 and morch.cuda.max_memory_allocated() == 0
    with pytest.raises(RuntimeError, match="runs on the CPU only"):
        morch.cuda.synchronize()
    assert not morch.autograd.is_anomaly_enabled()
    with morch.autograd.detect_anomaly():
        assert morch.autograd.is_anomaly_enabled()
    morch.autograd.set_detect_anomaly(True)
    assert morch.autograd.is_anomaly_enabled()
    morch.autograd.set_detect_anomaly(False)


def test_memory_formats():
    x = morch.arange(24.0).reshape(1, 2, 3, 4).requires_grad_()
    y = x.contiguous(memory_format=morch.channels_last)
    assert y.is_contiguous(memory_format=morch.channels_last) and not y.is_contiguous()
    assert y.stride() == (24, 1, 8, 2) and morch.equal(x, y)
    assert (
        y.contiguous(memory_format=morch.channels_last) is y and x.contiguous(memory_format=morch.preserve_format) is x
    )
    (y * 2).sum().backward()
    assert x.grad.sum().item() == 48.0
    assert x.to(memory_format=morch.channels_last).stride() == (24, 1, 8, 2)
    assert x.layout is morch.strided and repr(morch.channels_last) == "morch.channels_last"
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use morch.channels_last format"):
        morch.ones(2, 3).contiguous(memory_format=morch.channels_last)
    conv = morch.nn.Conv2d(2, 3, 3).to(memory_format=morch.channels_last)
    assert conv(y).shape == (1, 3, 1, 2)
    assert isinstance(x.data_ptr(), int)
