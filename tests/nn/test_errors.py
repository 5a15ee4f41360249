"""The error messages issue #4 asks for: bad input names the layer, the expected and the actual shape."""

from __future__ import annotations

import pytest

import morch
import morch.nn as nn


def test_linear_fed_the_wrong_width():
    with pytest.raises(ValueError) as e:
        nn.Linear(784, 128)(morch.zeros(64, 100))
    assert str(e.value) == (
        "Linear(in_features=784, out_features=128, bias=True): expected input with last dimension 784, "
        "got shape (64, 100)"
    )


def test_conv2d_fed_a_3d_batch_or_the_wrong_channels():
    conv = nn.Conv2d(3, 16, 5)
    for shape in [(8, 32, 32), (8, 1, 32, 32)]:
        with pytest.raises(ValueError) as e:
            conv(morch.zeros(*shape))
        msg = str(e.value)
        assert msg.startswith("Conv2d(3, 16, kernel_size=(5, 5), stride=(1, 1)):")
        assert "expected input of shape (N, 3, H, W) or (3, H, W)" in msg and f"got shape {shape}" in msg


def test_sequential_error_names_the_failing_layer():
    net = nn.Sequential(nn.Flatten(), nn.Linear(10, 5), nn.ReLU(), nn.Linear(4, 2))
    expected = r"Linear\(in_features=4, .*expected input with last dimension 4, got shape \(3, 5\)"
    with pytest.raises(ValueError, match=expected):
        net(morch.zeros(3, 10))


def test_load_state_dict_names_keys_and_shapes():
    net = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    sd = nn.Sequential(nn.Linear(4, 5), nn.Linear(5, 2), nn.ReLU()).state_dict()
    sd["2.weight"] = morch.zeros(1)
    del sd["1.bias"]
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict(sd)
    msg = str(e.value)
    assert 'Missing key(s) in state_dict: "1.bias".' in msg
    assert 'Unexpected key(s) in state_dict: "2.weight".' in msg
    assert "size mismatch for 0.weight: copying a param with shape morch.Size([5, 4]) from checkpoint, the shape " \
           "in current model is morch.Size([3, 4])." in msg  # fmt: skip
    assert "size mismatch for 1.weight" in msg and "size mismatch for 0.bias" in msg


def test_errors_are_catchable_the_pytorch_way_too():
    # shape errors are ValueErrors (morch's convention) and RuntimeErrors (PyTorch's): both except clauses work
    for bad in (lambda: nn.Linear(3, 2)(morch.zeros(2, 4)), lambda: nn.Conv2d(1, 2, 3)(morch.zeros(2, 2, 5, 5)),
                lambda: nn.BatchNorm2d(3)(morch.zeros(2, 3)), lambda: nn.LayerNorm(4)(morch.zeros(4, 3))):  # fmt: skip
        with pytest.raises(RuntimeError):
            bad()
        with pytest.raises(ValueError):
            bad()
