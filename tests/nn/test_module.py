"""nn.Module and nn.Parameter: registration, iteration, modes, state dicts, conversion, hooks, repr."""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import morch
import morch.nn as nn
from helpers import requires_torch, torch


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3)
        self.block = nn.Sequential(nn.ReLU(), nn.Linear(3, 2, bias=False))
        self.scale = nn.Parameter(morch.ones(1))
        self.register_buffer("steps", morch.zeros(1))
        self.register_buffer("cache", morch.zeros(2), persistent=False)

    def forward(self, x):
        return self.block(self.bn(self.fc1(x))) * self.scale


def torch_net():
    tnn = torch.nn

    class TNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = tnn.Linear(4, 3)
            self.bn = tnn.BatchNorm1d(3)
            self.block = tnn.Sequential(tnn.ReLU(), tnn.Linear(3, 2, bias=False))
            self.scale = tnn.Parameter(torch.ones(1))
            self.register_buffer("steps", torch.zeros(1))
            self.register_buffer("cache", torch.zeros(2), persistent=False)

    return TNet()


# ---------------------------------------------------------------- Parameter
def test_parameter_is_a_leaf_tensor_that_requires_grad_and_shares_memory():
    data = morch.zeros(2, 3)
    p = nn.Parameter(data)
    assert isinstance(p, morch.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    data[0, 0] = 5.0
    assert p[0, 0].item() == 5.0  # same memory, as torch.nn.Parameter
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)


def test_parameter_repr_and_ops_give_plain_tensors():
    p = nn.Parameter(morch.tensor([1.0, 2.0]))
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.], requires_grad=True)")
    y = p * 2
    assert type(y) is morch.Tensor and y.grad_fn is not None
    assert type(p.data) is morch.Tensor and type(p.detach()) is morch.Tensor


def test_parameter_survives_deepcopy_and_pickle():
    p = nn.Parameter(morch.tensor([1.0, 2.0]))
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(q) is nn.Parameter and q.requires_grad
        assert np.array_equal(q.numpy(force=True), [1.0, 2.0])
        assert q._data is not p._data


# ---------------------------------------------------------------- registration
def test_attributes_register_parameters_buffers_and_submodules():
    net = Net()
    assert list(net._parameters) == ["scale"]
    assert list(net._modules) == ["fc1", "bn", "block"]
    assert list(net._buffers) == ["steps", "cache"]
    assert net.fc1.weight is net._modules["fc1"]._parameters["weight"]
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "block.1.weight"]
    assert [n for n, _ in net.named_buffers()] == [
        "steps", "cache", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
    ]  # fmt: skip
    assert [n for n, _ in net.named_children()] == ["fc1", "bn", "block"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "bn", "block", "block.0", "block.1"]
    assert len(list(net.parameters())) == 6 and len(list(net.modules())) == 6
    assert [type(m).__name__ for m in net.children()] == ["Linear", "BatchNorm1d", "Sequential"]
    assert list(net.parameters(recurse=False)) == [net.scale]


@requires_torch
def test_names_and_order_match_pytorch():
    net, tnet = Net(), torch_net()
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in tnet.named_parameters()]
    assert [n for n, _ in net.named_buffers()] == [n for n, _ in tnet.named_buffers()]
    assert [n for n, _ in net.named_modules()] == [n for n, _ in tnet.named_modules()]
    assert list(net.state_dict()) == list(tnet.state_dict())


def test_shared_parameters_and_modules_are_yielded_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4


def test_reassigning_and_deleting_attributes():
    net = Net()
    net.fc1 = nn.Linear(4, 3, bias=False)
    assert net.fc1.bias is None and "fc1.bias" not in net.state_dict()
    net.scale = None  # a registered parameter may become None
    assert "scale" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="cannot assign 'morch.FloatTensor' as parameter 'scale'"):
        net.scale = morch.ones(1)
    net.steps = morch.ones(1)  # buffers take plain tensors
    assert net.steps.item() == 1.0
    with pytest.raises(TypeError, match="buffer 'steps'"):
        net.steps = 3
    with pytest.raises(TypeError, match="child module 'fc1'"):
        net.fc1 = morch.ones(1)
    del net.bn
    assert "bn" not in net._modules and not hasattr(net, "bn")
    net.plain = 3  # ordinary attributes are ordinary
    assert net.plain == 3 and "plain" in net.__dict__


def test_register_errors_are_pytorchs():
    m = nn.Module()
    with pytest.raises(KeyError, match="can.+t contain"):
        m.register_buffer("a.b", morch.zeros(1))
    with pytest.raises(KeyError, match="empty string"):
        m.register_parameter("", None)
    with pytest.raises(TypeError, match="should be a string"):
        m.register_buffer(3, morch.zeros(1))
    m.x = 1
    with pytest.raises(KeyError, match="attribute 'x' already exists"):
        m.register_buffer("x", morch.zeros(1))
    with pytest.raises(TypeError, match="Parameter or None required"):
        m.register_parameter("w", morch.zeros(1))
    with pytest.raises(ValueError, match="non-leaf Tensor"):
        m.register_parameter("w", _non_leaf_parameter())
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("sub", 3)


def _non_leaf_parameter():
    p = nn.Parameter(morch.zeros(1))
    p.grad_fn = (p * 2).grad_fn  # forged history: a parameter must be a leaf
    return p


def test_assigning_before_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(morch.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_missing_attribute_and_forward():
    net = nn.Module()
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        net.nope
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        net(morch.zeros(1))


def test_get_submodule_parameter_and_buffer():
    net = Net()
    assert net.get_submodule("block.1") is net.block[1]
    assert net.get_submodule("") is net
    assert net.get_parameter("block.1.weight") is net.block[1].weight
    assert net.get_buffer("bn.running_mean") is net.bn.running_mean
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        net.get_submodule("block.nope")
    with pytest.raises(AttributeError, match="`bias` is not an nn.Parameter"):
        net.get_parameter("block.1.bias")


def test_buffer_class_registers_on_assignment():
    m = nn.Module()
    m.stat = nn.Buffer(morch.ones(2))
    m.tmp = nn.Buffer(morch.ones(1), persistent=False)
    assert list(m.state_dict()) == ["stat"]
    assert type(m.stat) is morch.Tensor


# ---------------------------------------------------------------- modes and gradients
def test_train_eval_propagate_and_validate():
    net = Net()
    assert net.training and net.bn.training
    assert net.eval() is net
    assert not net.training and not net.bn.training and not net.block[0].training
    net.train()
    assert net.block[1].training
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")


def test_zero_grad_and_requires_grad_():
    net = Net()
    net(morch.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    assert net.requires_grad_() is net and all(p.requires_grad for p in net.parameters())


def test_apply_visits_children_first():
    seen = []
    net = Net()
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "BatchNorm1d", "ReLU", "Linear", "Sequential", "Net"]


# ---------------------------------------------------------------- conversion
def test_to_double_and_float_keep_parameter_identity():
    net = Net()
    w = net.fc1.weight
    net(morch.randn(3, 4)).sum().backward()
    assert net.double() is net
    assert net.fc1.weight is w and w.dtype == morch.float64 and w.grad.dtype == morch.float64
    assert net.bn.running_mean.dtype == morch.float64
    assert net.bn.num_batches_tracked.dtype == morch.int64  # integer buffers are not cast
    out = net(morch.randn(3, 4, dtype=morch.float64))
    assert out.dtype == morch.float64
    net.float()
    assert w.dtype == morch.float32
    assert net.to(morch.float64) is net and w.dtype == morch.float64
    net.to("cpu")
    net.to(device="cpu", dtype=morch.float32)
    assert w.dtype == morch.float32
    net.to(morch.zeros(1, dtype=morch.float64))
    assert w.dtype == morch.float64
    with pytest.raises(TypeError, match="floating point"):
        net.to(morch.int64)
    with pytest.raises(RuntimeError, match="CPU only"):
        net.to("cuda")
    assert net.cpu() is net


# ---------------------------------------------------------------- state dicts
def test_state_dict_holds_detached_tensors_sharing_memory():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == [
        "scale", "steps", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "bn.running_mean",
        "bn.running_var", "bn.num_batches_tracked", "block.1.weight",
    ]  # fmt: skip
    assert isinstance(sd, OrderedDict)
    assert not sd["fc1.weight"].requires_grad and type(sd["fc1.weight"]) is morch.Tensor
    assert sd["fc1.weight"]._data is net.fc1.weight._data
    kept = net.state_dict(keep_vars=True)
    assert kept["fc1.weight"] is net.fc1.weight
    assert list(net.state_dict(prefix="model."))[0] == "model.scale"


def test_load_state_dict_copies_in_place():
    a, b = Net(), Net()
    w = b.fc1.weight
    arr = w._data
    result = b.load_state_dict(a.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.fc1.weight is w and w._data is arr  # same parameter and memory: optimizers keep working
    assert np.array_equal(w.numpy(force=True), a.fc1.weight.numpy(force=True))
    x = morch.randn(6, 4)
    a.eval(), b.eval()
    assert np.allclose(a(x).detach().numpy(), b(x).detach().numpy())


def test_load_state_dict_names_missing_unexpected_and_mismatched_keys():
    net = Net()
    sd = net.state_dict()
    del sd["fc1.bias"]
    sd["fc1.extra"] = morch.zeros(1)
    sd["block.1.weight"] = morch.zeros(5, 5)
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict(sd)
    msg = str(e.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:")
    assert 'Missing key(s) in state_dict: "fc1.bias".' in msg
    assert 'Unexpected key(s) in state_dict: "fc1.extra".' in msg
    assert "size mismatch for block.1.weight: copying a param with shape morch.Size([5, 5]) from checkpoint, " \
           "the shape in current model is morch.Size([2, 3])." in msg  # fmt: skip
    del sd["block.1.weight"]
    result = net.load_state_dict(sd, strict=False)  # without a shape mismatch, non-strict loading succeeds
    assert result.missing_keys == ["fc1.bias", "block.1.weight"]
    assert result.unexpected_keys == ["fc1.extra"]
    assert "missing_keys=['fc1.bias', 'block.1.weight']" in repr(result)


def test_load_state_dict_rejects_non_mappings_and_non_tensors():
    net = Net()
    with pytest.raises(TypeError, match="dict-like"):
        net.load_state_dict([1, 2])
    sd = net.state_dict()
    sd["scale"] = "text"
    with pytest.raises(RuntimeError, match='parameter named "scale", expected morch.Tensor'):
        net.load_state_dict(sd)


def test_load_state_dict_assign_replaces_tensors():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict(), assign=True)
    assert b.fc1.weight._data is a.fc1.weight._data
    assert isinstance(b.fc1.weight, nn.Parameter) and b.fc1.weight.requires_grad


def test_non_persistent_buffers_stay_out_of_state_dict():
    net = Net()
    assert "cache" not in net.state_dict()
    assert "cache" in dict(net.named_buffers())


@requires_torch
def test_pytorch_state_dict_loads_into_morch_and_back():
    net, tnet = Net(), torch_net()
    net.load_state_dict({k: morch.tensor(v.numpy()) for k, v in tnet.state_dict().items()})
    tnet.load_state_dict({k: torch.tensor(v.numpy()) for k, v in net.state_dict().items()})
    for (k, v), (k2, v2) in zip(net.state_dict().items(), tnet.state_dict().items()):
        assert k == k2 and np.array_equal(v.numpy(), v2.numpy())


def test_module_deepcopy_and_pickle():
    net = Net()
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert clone.fc1.weight is not net.fc1.weight
        assert np.array_equal(clone.fc1.weight.numpy(force=True), net.fc1.weight.numpy(force=True))
        x = morch.randn(3, 4)
        assert np.allclose(clone.eval()(x).detach().numpy(), net.eval()(x).detach().numpy())


# ---------------------------------------------------------------- hooks
def test_forward_hooks_see_and_replace_values_and_can_be_removed():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: calls.append(("pre", args[0].shape)))
    h2 = lin.register_forward_hook(lambda m, args, out: out * 0)
    out = lin(morch.ones(1, 2))
    assert calls == [("pre", (1, 2))] and not out.detach().numpy().any()
    lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h1.remove()
    h2.remove()
    assert np.allclose(lin(morch.ones(1, 2)).detach().numpy(), lin.bias.detach().numpy())
    order = []
    lin.register_forward_hook(lambda m, a, o: order.append(1))
    lin.register_forward_hook(lambda m, a, o: order.append(0), prepend=True)
    lin(morch.ones(1, 2))
    assert order == [0, 1]


# ---------------------------------------------------------------- repr
def test_repr_nests_like_pytorch():
    expected = (
        "Net(\n"
        "  (fc1): Linear(in_features=4, out_features=3, bias=True)\n"
        "  (bn): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n"
        "  (block): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Linear(in_features=3, out_features=2, bias=False)\n"
        "  )\n"
        ")"
    )
    assert repr(Net()) == expected


@requires_torch
def test_repr_matches_pytorch_for_a_zoo_of_layers():
    def zoo(nn):
        return nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),
            nn.Conv2d(8, 8, (3, 5), padding="same", dilation=2, groups=2, padding_mode="reflect"),
            nn.Conv1d(4, 4, 3),
            nn.BatchNorm2d(8, momentum=None),
            nn.MaxPool2d(2),
            nn.MaxPool2d((3, 2), stride=1, padding=1, ceil_mode=True),
            nn.AvgPool2d(2),
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Dropout(0.25),
            nn.Dropout2d(),
            nn.Flatten(),
            nn.Unflatten(1, (2, 4)),
            nn.LayerNorm([4, 5], eps=1e-6),
            nn.GroupNorm(2, 8),
            nn.Embedding(10, 3, padding_idx=0),
            nn.LeakyReLU(0.2, inplace=True),
            nn.ELU(),
            nn.GELU(approximate="tanh"),
            nn.SiLU(),
            nn.Sigmoid(),
            nn.Tanh(),
            nn.Softmax(dim=1),
            nn.LogSoftmax(dim=-1),
            nn.ReLU(inplace=True),
            nn.Identity(),
            nn.LSTM(4, 8, num_layers=2, batch_first=True, bidirectional=True),
            nn.GRU(3, 5),
            nn.RNN(3, 5, bias=False),
            nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()]),
            nn.ModuleDict({"a": nn.Linear(1, 1)}),
            nn.CrossEntropyLoss(),
            nn.PReLU(),
            nn.Hardtanh(-2, 2),
            nn.LSTMCell(3, 4),
        )

    assert repr(zoo(nn)) == repr(zoo(torch.nn))
