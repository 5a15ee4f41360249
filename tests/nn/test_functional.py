"""morch.nn.functional: namespace, pad, normalize, plugin lookup, and static graphs through layers."""

from __future__ import annotations

import ast
import inspect
import sys
import types

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import Function, gradcheck

REQUIRED = (
    "relu softmax log_softmax one_hot pad dropout linear conv1d conv2d max_pool2d avg_pool2d adaptive_avg_pool2d "
    "batch_norm layer_norm embedding cross_entropy nll_loss mse_loss l1_loss smooth_l1_loss binary_cross_entropy "
    "binary_cross_entropy_with_logits kl_div leaky_relu elu gelu silu sigmoid tanh unfold fold dropout2d"
).split()


def test_the_namespace_has_pytorchs_functions_and_signatures():
    for name in REQUIRED:
        assert callable(getattr(F, name)), name
    assert set(F.__all__) <= set(dir(F))
    import morch.nn.functional as F2  # the import form PyTorch code uses

    assert F2 is F and nn.functional is F


def _torch_parameters(fn) -> list[tuple[str, object]]:
    """(name, default) of a PyTorch function, from its signature or, for builtins, its docstring's first line."""
    try:
        sig = inspect.signature(fn)
        if list(sig.parameters) != ["args", "kwargs"]:  # boolean-dispatch wrappers document the signature
            return [(p.name, p.default) for p in sig.parameters.values()]
    except ValueError:
        pass
    doc = fn.__doc__.strip()
    start = doc.index("(")  # the signature on the docstring's first lines, possibly wrapped
    line = " ".join(doc[start : doc.index(")", start) + 1].split())
    tree = ast.parse("def f" + line + ": pass")
    args = tree.body[0].args
    defaults = [inspect.Parameter.empty] * (len(args.args) - len(args.defaults))
    defaults += [eval(compile(ast.Expression(d), "<doc>", "eval"), {}) for d in args.defaults]  # e.g. 1./8
    return [(a.arg, d) for a, d in zip(args.args, defaults)]


@requires_torch
def test_argument_names_and_defaults_follow_pytorch():
    for name in F.__all__:
        if name == "relu_" or not hasattr(torch.nn.functional, name):
            continue
        ours = [(p.name, p.default) for p in inspect.signature(getattr(F, name)).parameters.values()]
        theirs = _torch_parameters(getattr(torch.nn.functional, name))
        assert [n for n, _ in ours] == [n for n, _ in theirs], name
        for (n, d), (_, td) in zip(ours, theirs):
            if td is not inspect.Parameter.empty and n != "_stacklevel":
                assert d == td, (name, n, d, td)


def test_composites_are_deferrable_for_static_graphs():
    single_ops = {"relu", "relu_", "linear", "sigmoid", "tanh", "leaky_relu", "elu", "selu", "celu", "logsigmoid"}
    plain = {"hardtanh", "relu6", "gelu", "silu", "softsign", "tanhshrink", "hardsigmoid", "hardswish", "threshold",
             "softmax", "log_softmax", "softmin", "hardshrink", "softshrink", "elu_", "celu_", "selu_", "leaky_relu_",
             "hardtanh_", "threshold_", "rrelu_"}  # fmt: skip
    # plain: compositions of ops that never read shapes or values, which static graphs record op by op
    for name in F.__all__:
        fn = getattr(F, name)
        if name in single_ops or name in plain:
            continue
        assert hasattr(fn, "__wrapped__"), f"{name} reads shapes but is not @deferrable"


def test_static_graph_through_layers_matches_eager():
    from morch.static import Placeholder, SessionRun

    net = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.0),
        nn.Linear(36, 5), nn.LogSoftmax(1),
    )  # fmt: skip
    x, y = Placeholder(), Placeholder(dtype=morch.int64)
    loss = F.nll_loss(net(x), y)
    xv, yv = morch.randn(2, 1, 8, 8), morch.tensor([1, 3])
    static = SessionRun(loss, {x: xv, y: yv})
    static.backward()
    grads = [p.grad.numpy().copy() for p in net.parameters()]
    net.zero_grad()
    eager = F.nll_loss(net(xv), yv)
    eager.backward()
    assert_close(static, eager, atol=1e-6)
    for g, p in zip(grads, net.parameters()):
        assert_close(g, p.grad, atol=1e-6)


def test_static_graph_runs_update_batch_norm_statistics_each_time():
    from morch.static import Placeholder, SessionRun

    bn = nn.BatchNorm1d(2, momentum=None)
    x = Placeholder()
    y = bn(x)
    xs = [morch.randn(5, 2, generator=morch.Generator().manual_seed(s)) for s in range(3)]
    for xv in xs:
        SessionRun(y, {x: xv})
    assert bn.num_batches_tracked.item() == 3
    assert_close(bn.running_mean, np.mean([xv.numpy().mean(0) for xv in xs], axis=0), atol=1e-6)


# ---------------------------------------------------------------- pad
@requires_torch
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad,shape", [((1, 2), (2, 3, 5)), ((2, 1), (3, 5)), ((2, 1, 0, 3), (2, 3, 4, 5)),
                                       ((1, 1, 2, 2, 1, 0), (2, 3, 4, 5, 3))], ids=str)  # fmt: skip
def test_pad_matches_pytorch(mode, pad, shape):
    x = rand64(*shape)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    kw = dict(value=1.5) if mode == "constant" else {}
    y, yt = F.pad(x, pad, mode, **kw), torch.nn.functional.pad(xt, pad, mode, **kw)
    assert_close(y, yt)
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape))
    y.backward(morch.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(x.grad, xt.grad)


@requires_torch
def test_negative_constant_padding_crops_as_pytorch():
    x = rand64(3, 6)
    xt = torch.tensor(x.detach().numpy())
    assert_close(F.pad(x, (-1, 2, 1, -2)), torch.nn.functional.pad(xt, (-1, 2, 1, -2)))


def test_pad_gradients_and_errors():
    x = rand64(1, 2, 3, 4)
    for mode in ("constant", "reflect", "replicate", "circular"):
        assert gradcheck(lambda x, mode=mode: F.pad(x, (1, 2, 2, 1), mode), (x,))
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="Padding size should be less than the corresponding input dimension"):
        F.pad(x, (4, 0, 0, 0), "reflect")
    with pytest.raises(NotImplementedError, match="unsupported padding mode"):
        F.pad(x, (1, 1), "mirror")
    with pytest.raises(ValueError, match="less than or equal to two times"):
        F.pad(morch.zeros(3), (1, 1, 1, 1))
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 4D input"):
        F.pad(x, (1, 1), "replicate")


# ---------------------------------------------------------------- normalize and friends
@requires_torch
def test_normalize_matches_pytorch():
    x = rand64(3, 4)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    for kw in ({}, dict(p=1.0, dim=0), dict(p=3.0, dim=-1)):
        assert_close(F.normalize(x, **kw), torch.nn.functional.normalize(xt, **kw))
    assert_close(F.normalize(morch.zeros(2, 3)), np.zeros((2, 3)))  # eps keeps zeros finite
    assert gradcheck(lambda x: F.normalize(x, dim=1), (x,))


# ---------------------------------------------------------------- plugin ops
def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="module 'morch.nn.functional' has no attribute 'no_such_fn'"):
        F.no_such_fn
    assert not hasattr(F, "softplus") or "softplus" not in vars(F)


def test_plugin_ops_registered_for_nn_functional_appear_there(monkeypatch):
    from morch.plugins import hookimpl, isolated, register_plugin

    class DoubleIt(Function):
        def forward(self, x):
            return x * 2

        def backward(self, g):
            return g * 2

    class TripleIt(DoubleIt):
        def forward(self, x):
            return x * 3

        def backward(self, g):
            return g * 3

    plugin = types.ModuleType("nn_test_plugin")

    @hookimpl
    def register_ops(register):
        register(DoubleIt, functional=True)
        register(TripleIt)

    plugin.register_ops = register_ops
    monkeypatch.setitem(sys.modules, "nn_test_plugin", plugin)
    with isolated():
        register_plugin(plugin, name="nn-test", strict=True)
        assert F.double_it(morch.ones(2)).numpy().tolist() == [2.0, 2.0]
        with pytest.raises(AttributeError):
            F.triple_it  # registered without functional=True: only morch.triple_it
        assert morch.triple_it(morch.ones(1)).item() == 3.0
