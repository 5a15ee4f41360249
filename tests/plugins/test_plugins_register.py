"""Plugins registered directly (no installation): what they register, where it appears, and every
way registration can fail."""

from __future__ import annotations

import inspect
import types
import warnings

import numpy as np
import pytest
from plugin_testing import FnPlugin

import morch
from helpers import rand64
from morch.autograd import Function, gradcheck, gradgradcheck
from morch.ops import registry
from morch.plugins import PluginError, PluginWarning, exports, hookimpl, op_function, register_plugin


class Cube(Function):
    """cube(x, *, scale=1.0): scale * x**3."""

    def forward(self, x, *, scale=1.0):
        self.scale = scale
        return x**3 * scale

    def backward(self, grad):
        (x,) = self.inputs
        return grad * 3 * self.scale * x * x


class Affine(Function):
    """affine(x, w, b=None): x * w (+ b), broadcasting; b is an optional tensor input."""

    def forward(self, x, w, b=None):
        return x * w if b is None else x * w + b

    def backward(self, grad):
        x, w = self.inputs[:2]
        grads = (grad * w, grad * x)
        return grads if len(self.inputs) == 2 else (*grads, grad)


class SumAll(Function):
    """sum_all(*xs): the elementwise sum of any number of tensors."""

    def forward(self, *xs):
        return sum(xs[1:], xs[0])

    def backward(self, grad):
        return (grad,) * len(self.inputs)


class NumpyAbs(Function):
    """numpy_abs(x): |x| with a numpy backward."""

    differentiable = False

    def forward(self, x):
        self.sign = np.sign(x)
        return np.abs(x)

    def backward(self, grad):
        return morch.from_numpy(grad.detach().numpy() * self.sign)


class TooManyGrads(Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad):
        return grad * 2, grad


class WrongShapeGrad(Function):
    def forward(self, x):
        return x.sum(axis=0)

    def backward(self, grad):
        return grad  # should be expanded back to x's shape


class NotAListGrad(Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad):
        return "two"


class ForwardFails(Function):
    def forward(self, x, *, mode="a"):
        if mode not in ("a", "b"):
            raise ValueError(f"mode must be 'a' or 'b', got {mode!r}")
        return x

    def backward(self, grad):
        return grad


def plugin(*ops, **options):
    return FnPlugin(lambda register: [register(op, **options) for op in ops])


def register_quietly(obj, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a test that expects no problem gets none
        return register_plugin(obj, name=name)


# ------------------------------------------------------------------ registration and namespaces
def test_ops_appear_as_morch_functions(fresh):
    info = register_quietly(plugin(Cube), "cubes")
    assert (info.name, info.status, info.ops, info.errors, info.error) == ("cubes", "loaded", ["cube"], [], None)
    assert registry.get("cube") is Cube and Cube.provider == "cubes" and Cube.op_name == "cube"
    y = morch.cube(morch.tensor([1.0, 2.0]), scale=2.0)
    np.testing.assert_allclose(y.numpy(), [2.0, 16.0])
    assert y.dtype == morch.float32
    assert morch.plugins.list_plugins()[0].ops == ["cube"]


def test_ops_go_through_the_engine_like_core_ops(fresh):
    register_quietly(plugin(Cube, Affine), "p")
    x = rand64(3, 4)
    assert gradcheck(lambda t: morch.cube(t, scale=0.5), x)
    assert gradgradcheck(lambda t: morch.cube(t, scale=0.5), x)
    w, b = rand64(4, seed=1), rand64(1, seed=2)  # broadcast: the engine reduces the gradients
    assert gradcheck(morch.affine, (x, w, b))
    morch.affine(x, w, b).sum().backward()
    assert w.grad.shape == (4,) and b.grad.shape == (1,)
    np.testing.assert_allclose(b.grad.numpy(), [12.0])


def test_generated_function_signature_doc_and_arguments(fresh):
    register_quietly(plugin(Cube, Affine, SumAll), "p")
    assert str(inspect.signature(morch.cube)) == "(x, *, scale=1.0) -> morch.tensor.Tensor"
    assert str(inspect.signature(morch.affine)).startswith("(x, w, b=None)")
    assert str(inspect.signature(morch.sum_all)).startswith("(*xs)")
    assert morch.cube.__name__ == "cube"
    assert morch.cube.__doc__.startswith("cube(x, *, scale=1.0): scale * x**3.")
    assert "plugin 'p'" in morch.cube.__doc__
    # array-likes become tensors; tensor inputs may be given by keyword; trailing optional inputs may be left out
    np.testing.assert_allclose(morch.cube([1.0, 2.0]).numpy(), [1.0, 8.0])
    np.testing.assert_allclose(morch.affine(x=np.array([1.0, 2.0]), w=3.0).numpy(), [3.0, 6.0])
    np.testing.assert_allclose(morch.affine([1.0], [2.0], None).numpy(), [2.0])
    np.testing.assert_allclose(morch.sum_all([1.0], [2.0], 3.0).numpy(), [6.0])
    with pytest.raises(TypeError, match=r"cube\(\): too many positional arguments \(signature: cube\(x, \*, scale"):
        morch.cube([1.0], 2.0)
    with pytest.raises(TypeError, match=r"cube\(\): got an unexpected keyword argument 'sale'"):
        morch.cube([1.0], sale=2.0)
    with pytest.raises(TypeError, match=r"affine\(\): missing a required argument: 'w'"):
        morch.affine([1.0])
    with pytest.raises(TypeError, match=r"affine\(\): x is None"):
        morch.affine(None, [1.0])


def test_functional_and_method_only_when_asked(fresh):
    register_quietly(FnPlugin(lambda r: (r(Cube, functional=True, method=True), r(Affine))), "p")
    assert op_function("cube", "nn.functional") is morch.cube
    assert op_function("affine", "nn.functional") is None and op_function("affine") is morch.affine
    x = morch.tensor([1.0, -2.0])
    np.testing.assert_allclose(x.cube(scale=2.0).numpy(), [2.0, -16.0])
    assert not hasattr(x, "affine")
    F = exports._nn_functional()
    if F is not None and hasattr(F, "__getattr__"):  # morch.nn.functional looks plugin ops up
        assert F.cube is morch.cube
        assert not hasattr(F, "affine")
    with pytest.raises(ValueError, match="unknown namespace 'torch'"):
        op_function("cube", "torch")


def test_unregister_removes_everything(fresh):
    register_quietly(plugin(Cube, method=True), "p")
    morch.plugins.unregister_plugin("p")
    assert registry.get("cube") is None and not hasattr(morch, "cube") and not hasattr(morch.Tensor, "cube")
    assert "provider" not in vars(Cube)
    assert morch.plugins.list_plugins() == []
    with pytest.raises(KeyError, match="no morch plugin named 'p'"):
        morch.plugins.unregister_plugin("p")


def test_register_can_be_used_as_a_decorator_and_name_set_on_the_class(fresh):
    @hookimpl
    def register_ops(register):
        @register
        class Triple(Function):
            op_name = "times_three"

            def forward(self, x):
                return 3 * x

            def backward(self, grad):
                return 3 * grad

        assert Triple.__name__ == "Triple"

    module = types.ModuleType("deco_plugin")
    module.register_ops = register_ops
    info = register_quietly(module, "deco")
    assert info.ops == ["times_three"] and morch.times_three([1.0]).item() == 3.0


def test_isolated_restores_ops_registered_before(fresh):
    register_quietly(plugin(Cube, method=True), "outer")
    with morch.plugins.isolated():
        assert registry.get("cube") is None and not hasattr(morch.Tensor, "cube")
        register_quietly(plugin(Affine), "inner")
    assert registry.get("affine") is None and registry.get("cube") is Cube and Cube.provider == "outer"
    assert morch.tensor([2.0]).cube().item() == 8.0


def test_plugin_ops_in_static_graphs(fresh):
    static = pytest.importorskip("morch.static")
    register_quietly(plugin(Cube, method=True), "p")
    x = static.Placeholder(shape=(None,))
    w = morch.tensor([2.0], requires_grad=True)
    y = morch.cube(x * w, scale=0.5) + x.cube()
    with static.Session() as s:
        np.testing.assert_allclose(s.run(y, {x: np.array([1.0, 2.0], np.float32)}), [5.0, 40.0])
    out = static.SessionRun(y.sum(), {x: np.array([1.0, 2.0], np.float32)})
    out.backward()
    np.testing.assert_allclose(w.grad.numpy(), [1.5 * 4 * 1 + 1.5 * 4 * 8])


def test_plugin_ops_in_the_tape_view(fresh, capsys):
    tape = pytest.importorskip("morch.tape")
    register_quietly(plugin(Cube), "p")
    tape.reset_tape()
    x = tape.Variable.constant(2.0, name="a")
    y = morch.cube(x, scale=0.5)
    (dx,) = tape.grad(y, [x])
    assert dx.item() == 6.0
    assert "cube" in capsys.readouterr().out


# ------------------------------------------------------------------ errors naming the plugin
def test_backward_returning_the_wrong_number_of_gradients(fresh):
    register_quietly(plugin(TooManyGrads, Cube), "sloppy")
    x = morch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=r"TooManyGradsBackward \(op 'too_many_grads' from plugin 'sloppy'\): backward returned 2 gradients "
        r"but the op has 1 inputs",
    ):
        morch.too_many_grads(x).sum().backward()
    morch.cube(x).sum().backward()  # the plugin's other op, and everything else, still works
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])


def test_backward_returning_a_gradient_of_the_wrong_shape(fresh):
    register_quietly(FnPlugin(lambda r: (r(WrongShapeGrad), r(NotAListGrad, name="not_a_list_grad"))), "sloppy")
    x = morch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=r"WrongShapeGradBackward \(op 'wrong_shape_grad' from plugin 'sloppy'\): backward returned a gradient "
        r"of shape \(2,\) for input 0, which has shape \(3, 2\)",
    ):
        morch.wrong_shape_grad(x).sum().backward()
    with pytest.raises(TypeError, match=r"NotAListGradBackward \(op 'not_a_list_grad' from plugin 'sloppy'\): "):
        morch.not_a_list_grad(x).sum().backward()
    assert (x * 2).sum().item() == 42.0


def test_not_twice_differentiable_names_the_plugin(fresh):
    register_quietly(plugin(NumpyAbs), "numpy_ops")
    x = rand64(4)
    assert gradcheck(morch.numpy_abs, x)
    (g,) = morch.autograd.grad(morch.numpy_abs(x).sum(), x, create_graph=True)
    with pytest.raises(
        RuntimeError,
        match=r"NumpyAbsBackward \(op 'numpy_abs' from plugin 'numpy_ops'\) is not twice differentiable",
    ):
        g.sum().backward()


def test_forward_errors_name_the_plugin(fresh):
    register_quietly(plugin(ForwardFails), "picky")
    with pytest.raises(
        ValueError, match=r"ForwardFails \(op 'forward_fails' from plugin 'picky'\): mode must be 'a' or 'b', got 'c'"
    ):
        morch.forward_fails([1.0], mode="c")


def test_hook_that_raises_registers_nothing_and_warns(fresh):
    def body(register):
        register(Cube)
        raise KeyError("missing config")

    register_quietly(plugin(Affine), "good")
    with pytest.warns(PluginWarning) as rec:
        info = register_plugin(FnPlugin(body), name="bad")
    (w,) = rec
    assert str(w.message).startswith(
        "morch plugin 'bad': register_ops raised KeyError: 'missing config'; none of its ops are registered. "
        "morch and the other plugins keep working (set MORCH_PLUGINS_STRICT=1"
    )
    assert w.filename == __file__  # the warning points at the caller
    assert info.status == "failed" and info.ops == []
    assert registry.get("cube") is None and not hasattr(morch, "cube")
    assert [p.name for p in morch.plugins.list_plugins()] == ["good"]
    assert morch.affine([2.0], [3.0]).item() == 6.0


@pytest.mark.parametrize(
    "bad, message",
    [
        (int, r"<class 'int'> is not a subclass of morch.autograd.Function"),
        (
            type("NoBackward", (Function,), {"forward": lambda self, x: x}),
            r"op class NoBackward does not define backward",
        ),
        (
            type("Defaulted", (Function,), {"forward": lambda self, x, beta=2.0: x, "backward": lambda s, g: g}),
            r"Defaulted.forward: positional parameter 'beta' has the default 2.0; positional parameters are "
            r"tensor inputs",
        ),
        (
            type("NoInputs", (Function,), {"forward": lambda self, *, k=1: 0, "backward": lambda s, g: g}),
            r"NoInputs.forward takes no tensor inputs",
        ),
    ],
)
def test_op_class_contract_errors(fresh, bad, message):
    with pytest.raises(PluginError, match=r"morch plugin 'bad': register_ops raised \w+Error: " + message):
        register_plugin(plugin(bad), name="bad", strict=True)


def test_bad_names_are_refused(fresh):
    with pytest.raises(PluginError, match=r"op name 'class' is not a public Python identifier"):
        register_plugin(FnPlugin(lambda r: r(Cube, name="class")), name="bad", strict=True)
    with pytest.raises(PluginError, match=r"op name '_cube' is not a public Python identifier"):
        register_plugin(FnPlugin(lambda r: r(Cube, name="_cube")), name="bad", strict=True)
    core_exp = registry.get("exp")
    with pytest.raises(PluginError, match=r"is already registered as 'exp' by morch; register a subclass"):
        register_plugin(FnPlugin(lambda r: r(core_exp, name="my_exp")), name="bad", strict=True)
    assert core_exp.provider == "morch"


def test_two_plugins_registering_the_same_name(fresh):
    class OtherCube(Cube):
        pass

    register_quietly(plugin(Cube), "first")
    with pytest.warns(PluginWarning, match=r"morch plugin 'second': op 'cube' \(.*OtherCube\) not registered: the name "
                      r"is already taken by plugin 'first' \(.*test_plugins_register.Cube\)"):  # fmt: skip
        info = register_plugin(FnPlugin(lambda r: (r(OtherCube, name="cube"), r(Affine))), name="second")
    assert info.status == "loaded" and info.ops == ["affine"] and "already taken by plugin 'first'" in info.error
    assert morch.cube.op_class is Cube and morch.affine([1.0], [2.0]).item() == 2.0
    with pytest.raises(PluginError, match="already taken by plugin 'first'"):
        register_plugin(FnPlugin(lambda r: r(OtherCube, name="cube")), name="third", strict=True)


@pytest.mark.parametrize(
    "name, clash",
    [
        ("relu", r"the name is already taken by morch \(morch.ops.elementwise.Relu\)"),
        ("zeros", r"it would shadow morch.zeros of morch"),
        ("optim", r"it would shadow morch.optim of morch"),
        ("static", r"it would shadow (the module )?morch.static of morch"),  # a submodule, maybe not imported yet
        ("numpy", r"it would shadow Tensor.numpy of morch"),
        ("is_leaf", r"it would shadow Tensor.is_leaf of morch"),
        ("sym_shape", r"it would shadow Symbolic.sym_shape \(a Tensor subclass\) of morch"),
    ],
)
def test_core_names_are_never_shadowed(fresh, name, clash):
    import morch.static  # noqa: F401 - its Symbolic tensors have attributes of their own

    with pytest.warns(PluginWarning, match=rf"morch plugin 'shadow': op '{name}' \(.*Cube\) not registered: {clash}"):
        info = register_plugin(FnPlugin(lambda r: (r(Cube, name=name), r(Affine))), name="shadow")
    assert info.ops == ["affine"]
    assert getattr(morch, name, None) is None or not hasattr(getattr(morch, name), "op_class")


def test_nn_functional_names_are_never_shadowed(fresh, monkeypatch):
    fake = types.ModuleType("morch.nn.functional")
    fake.gelu = lambda x: x
    monkeypatch.setattr(exports, "_nn_functional", lambda: fake)
    with pytest.raises(
        PluginError, match=r"op 'gelu' \(.*Cube\) not registered: it would shadow morch.nn.functional.gelu"
    ):
        register_plugin(FnPlugin(lambda r: r(Cube, name="gelu")), name="shadow", strict=True)


def test_strict_mode_from_the_environment(fresh, monkeypatch):
    monkeypatch.setenv("MORCH_PLUGINS_STRICT", "1")
    with pytest.raises(PluginError, match=r"morch plugin 'bad': register_ops raised RuntimeError: boom"):
        register_plugin(FnPlugin(lambda r: (_ for _ in ()).throw(RuntimeError("boom"))), name="bad")
    assert morch.plugins.list_plugins() == []


def test_hook_problems(fresh):
    class Typo:
        @hookimpl
        def register_op(self, register):
            pass

    class WrongArgument:
        @hookimpl
        def register_ops(self, reg):
            pass

    with pytest.raises(PluginError, match=r"'typo': implements unknown hook\(s\) register_op; morch's hooks are: "
                       r"register_ops"):  # fmt: skip
        register_plugin(Typo(), name="typo", strict=True)
    with pytest.raises(PluginError, match=r"'wrong': invalid hook implementation: .*reg"):
        register_plugin(WrongArgument(), name="wrong", strict=True)
    with pytest.raises(PluginError, match=r"'empty': defines no morch hook \(functions decorated with "
                       r"@morch.plugins.hookimpl named register_ops\)"):  # fmt: skip
        register_plugin(object(), name="empty", strict=True)
    register_quietly(plugin(Cube), "p")
    with pytest.raises(PluginError, match=r"not registered: the plugin name 'p' is already used by 'p'"):
        register_plugin(plugin(Affine), name="p", strict=True)
    assert [p.name for p in morch.plugins.list_plugins()] == ["p"]
