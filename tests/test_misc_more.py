"""autograd.Variable, anomaly_mode and the multithreading flag; nn.utils.skip_init, stateless and the
convolution-weight memory formats; utils.swap_tensors and set_module."""

import importlib
import warnings

import numpy as np
import pytest

import morch
from helpers import rand64, requires_torch, torch
from morch import nn
from morch.autograd import Variable


# ---------------------------------------------------------------- autograd.Variable
def test_variable_returns_a_detached_tensor_sharing_memory():
    w = rand64(3)
    y = w * 2
    v = Variable(y)
    assert type(v) is morch.Tensor and v is not y
    assert v.grad_fn is None and not v.requires_grad
    v.add_(1)  # shares y's memory
    np.testing.assert_array_equal(y.detach().numpy(), v.numpy())
    r = Variable(w.detach(), requires_grad=True)
    assert r.requires_grad and r.is_leaf
    (r * r).sum().backward()
    np.testing.assert_allclose(r.grad.numpy(), 2 * w.detach().numpy())


def test_variable_isinstance_and_errors():
    assert isinstance(morch.ones(2), Variable) and isinstance(nn.Parameter(morch.ones(2)), Variable)
    assert not isinstance(np.ones(2), Variable) and not isinstance(1.0, Variable)
    empty = Variable()
    assert tuple(empty.shape) == (0,) and empty.dtype == morch.float32
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        Variable([1.0])
    with pytest.warns(UserWarning, match="volatile was removed"):
        Variable(morch.ones(2), volatile=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="can't be volatile and require_grad"):
            Variable(morch.ones(2), requires_grad=True, volatile=True)
    with pytest.raises(RuntimeError, match="floating point"):
        Variable(morch.ones(2, dtype=morch.int64), requires_grad=True)


@requires_torch
def test_variable_behaves_as_torchs():
    for lib in (morch, torch):
        t = lib.ones(2)
        v = lib.autograd.Variable(t, requires_grad=True)
        assert (v is t, v.requires_grad, t.requires_grad) == (False, True, False)
        assert isinstance(t, lib.autograd.Variable)


def test_autograd_submodule_aliases():
    anomaly_mode = importlib.import_module("morch.autograd.anomaly_mode")
    assert anomaly_mode is morch.autograd.anomaly_mode
    assert anomaly_mode.detect_anomaly is morch.autograd.detect_anomaly
    assert anomaly_mode.set_detect_anomaly is morch.autograd.set_detect_anomaly
    with anomaly_mode.detect_anomaly():
        assert morch.autograd.is_anomaly_enabled()
    assert not morch.autograd.is_anomaly_enabled()
    from morch.autograd.variable import Variable as legacy

    assert legacy is Variable


def test_multithreading_flag():
    assert morch.autograd.is_multithreading_enabled()
    with morch.autograd.set_multithreading_enabled(False):
        assert not morch.autograd.is_multithreading_enabled()
        w = rand64(2)
        (w * w).sum().backward()  # backward runs as always
        assert w.grad is not None
    assert morch.autograd.is_multithreading_enabled()
    morch.autograd.set_multithreading_enabled(False)
    assert not morch.autograd.is_multithreading_enabled()
    morch.autograd.set_multithreading_enabled(True)
    assert morch.autograd.is_multithreading_enabled()


# ---------------------------------------------------------------- nn.utils.skip_init
class _Counted(nn.Module):
    def __init__(self, n, *, scale=1.0):
        super().__init__()
        self.weight = nn.Parameter(morch.zeros(n))
        self.scale = scale
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.constant_(self.weight, self.scale)


def test_skip_init_skips_reset_parameters():
    normal = _Counted(3, scale=2.0)
    assert normal.weight.detach().numpy().tolist() == [2.0, 2.0, 2.0]
    m = nn.utils.skip_init(_Counted, 3, scale=2.0)
    assert type(m) is _Counted and m.scale == 2.0
    assert m.weight.detach().numpy().tolist() == [0.0, 0.0, 0.0]  # as allocated: never reset
    m.reset_parameters()  # the method itself is the class's again
    assert m.weight.detach().numpy().tolist() == [2.0, 2.0, 2.0]


def test_skip_init_builds_working_layers():
    lin = nn.utils.skip_init(nn.Linear, 4, 2, bias=True, device="cpu")
    assert type(lin) is nn.Linear and tuple(lin.weight.shape) == (2, 4) and lin.weight.requires_grad
    nn.init.ones_(lin.weight)
    nn.init.zeros_(lin.bias)
    np.testing.assert_allclose(lin(morch.ones(1, 4)).detach().numpy(), [[4.0, 4.0]])
    conv = nn.utils.skip_init(nn.Conv2d, 2, 3, kernel_size=3)
    assert type(conv) is nn.Conv2d and tuple(conv.weight.shape) == (3, 2, 3, 3)
    assert "Conv2d(2, 3" in repr(conv)


def test_skip_init_refuses_non_modules():
    with pytest.raises(RuntimeError, match="Expected a Module; got <class 'int'>"):
        nn.utils.skip_init(int)
    if torch is not None:
        with pytest.raises(RuntimeError, match="Expected a Module; got <class 'int'>"):
            torch.nn.utils.skip_init(int)


def test_stateless_functional_call_is_funcs():
    from morch.nn.utils import stateless

    assert stateless.functional_call is morch.func.functional_call
    lin = nn.Linear(2, 1)
    out = stateless.functional_call(lin, {"weight": morch.ones(1, 2), "bias": morch.zeros(1)}, (morch.ones(1, 2),))
    assert out.item() == 2.0


# ---------------------------------------------------------------- nn.utils memory formats
def test_convert_conv2d_weight_memory_format():
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Sequential(nn.ConvTranspose2d(3, 2, 2)), nn.Linear(4, 4))
    params = list(model.parameters())
    values = [p.detach().numpy().copy() for p in params]
    x = morch.randn(1, 2, 5, 5)
    before = model[:3](x).detach().numpy()
    assert nn.utils.convert_conv2d_weight_memory_format(model, morch.channels_last) is model
    assert list(model.parameters()) == params and all(a is b for a, b in zip(model.parameters(), params))
    for m in (model[0], model[2][0]):
        assert m.weight.is_contiguous(memory_format=morch.channels_last)
        assert not m.weight.is_contiguous()
    assert model[3].weight.is_contiguous()  # not a 2-d convolution: untouched
    for p, v in zip(model.parameters(), values):
        np.testing.assert_array_equal(p.detach().numpy(), v)
    np.testing.assert_allclose(model[:3](x).detach().numpy(), before, rtol=1e-6, atol=1e-6)
    nn.utils.convert_conv2d_weight_memory_format(model, morch.contiguous_format)
    assert model[0].weight.is_contiguous()


def test_convert_conv3d_weight_memory_format_and_errors():
    conv = nn.Conv3d(2, 2, 2)
    nn.utils.convert_conv3d_weight_memory_format(conv, morch.channels_last_3d)
    assert conv.weight.is_contiguous(memory_format=morch.channels_last_3d)
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use morch.channels_last format"):
        nn.utils.convert_conv3d_weight_memory_format(conv, morch.channels_last)
    with pytest.raises(RuntimeError, match="unsupported memory format morch.preserve_format"):
        nn.utils.convert_conv2d_weight_memory_format(nn.Conv2d(1, 1, 1), morch.preserve_format)


def test_conv_weight_layout_survives_training():
    conv = nn.utils.convert_conv2d_weight_memory_format(nn.Conv2d(2, 2, 3), morch.channels_last)
    opt = morch.optim.Adam(conv.parameters(), lr=0.1)
    before = conv.weight.detach().numpy().copy()
    conv(morch.randn(2, 2, 4, 4)).square().sum().backward()
    opt.step()
    assert conv.weight.is_contiguous(memory_format=morch.channels_last)
    assert not np.array_equal(conv.weight.detach().numpy(), before)


# ---------------------------------------------------------------- utils.swap_tensors / set_module
def test_swap_tensors_swaps_everything_but_identity():
    a = nn.Parameter(morch.ones(2))
    b = morch.zeros(3, requires_grad=True)
    b.grad = morch.ones(3)
    ida, idb = id(a), id(b)
    morch.utils.swap_tensors(a, b)
    assert (id(a), id(b)) == (ida, idb)
    assert type(a) is morch.Tensor and type(b) is nn.Parameter
    assert a.tolist() == [0.0, 0.0, 0.0] and b.tolist() == [1.0, 1.0]
    assert a.grad.tolist() == [1.0, 1.0, 1.0] and b.grad is None


def test_swap_tensors_swaps_versions_and_history():
    x = morch.ones(2)
    x.add_(1)
    assert x._version == 1
    morch.utils.swap_tensors(x, morch.zeros(2))
    assert x._version == 0 and x.tolist() == [0.0, 0.0]
    w = rand64(2)
    z, y = w * 3, morch.ones(2)
    morch.utils.swap_tensors(z, y)
    assert z.grad_fn is None and not z.requires_grad and y.grad_fn is not None
    y.sum().backward()  # the history travelled with the contents
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 3.0])


@requires_torch
def test_swap_tensors_matches_torch():
    for lib in (morch, torch):
        x, y = lib.ones(2), lib.zeros(2)
        x.add_(1)
        lib.utils.swap_tensors(x, y)
        assert (x._version, y._version) == (0, 1)
        assert x.tolist() == [0.0, 0.0] and y.tolist() == [2.0, 2.0]


def test_swap_tensors_errors():
    with pytest.raises(TypeError, match="t2 must be a Tensor, got int"):
        morch.utils.swap_tensors(morch.ones(1), 1)
    t = morch.ones(4)
    view = t[:2]
    with pytest.raises(RuntimeError, match="Cannot swap t1 because it has weakref associated with it"):
        morch.utils.swap_tensors(t, morch.ones(4))
    del view
    with pytest.raises(RuntimeError, match="Cannot swap t1 and t2 if they have different slots"):
        morch.utils.swap_tensors(nn.Buffer(morch.ones(1)), morch.ones(1))


def test_set_module():
    def f():
        pass

    morch.utils.set_module(f, "morch.somewhere")
    assert f.__module__ == "morch.somewhere"
    with pytest.raises(TypeError, match="The mod argument should be a string"):
        morch.utils.set_module(f, 3)
