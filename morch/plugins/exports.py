"""Where plugin ops appear: the generated ``morch.<name>`` functions, nn.functional and Tensor methods.

The op classes themselves live in the one op registry (``morch.ops.registry``); this module keeps,
per plugin op, the function made for it and the namespaces it was asked for, and checks that a
plugin op never shadows a name morch already has.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass

from morch.autograd.function import Function
from morch.creation import as_tensor
from morch.tensor import Tensor

NAMESPACES = ("morch", "nn.functional", "Tensor")

_P = inspect.Parameter


class OpContractError(TypeError):
    """An op class does not follow the op contract (bad base class or ``forward`` signature)."""


@dataclass
class Export:
    """One plugin op and where it is exposed."""

    name: str
    op: type
    plugin: str
    function: Callable
    functional: bool = False
    method: bool = False


_exports: dict[str, Export] = {}


def get(name: str) -> Export | None:
    return _exports.get(name)


def all_exports() -> dict[str, Export]:
    return dict(_exports)


# ------------------------------------------------------------------ the generated function
def _split_forward(op: type) -> tuple[list, _P | None, list, bool]:
    """Tensor inputs, variadic tensor input, keyword-only parameters and ``**params`` of ``op.forward``."""
    try:
        params = list(inspect.signature(op.forward).parameters.values())[1:]  # drop self
    except (TypeError, ValueError) as e:
        raise OpContractError(f"{op.__qualname__}.forward has no readable signature: {e}") from None
    inputs, var, options, var_options = [], None, [], False
    for p in params:
        if p.kind in (_P.POSITIONAL_ONLY, _P.POSITIONAL_OR_KEYWORD):
            if p.default is not _P.empty and p.default is not None:
                raise OpContractError(
                    f"{op.__qualname__}.forward: positional parameter {p.name!r} has the default {p.default!r}; "
                    "positional parameters are tensor inputs (a default of None makes one optional), so put "
                    f"op parameters after '*': forward(self, ..., *, {p.name}={p.default!r})"
                )
            inputs.append(p)
        elif p.kind is _P.VAR_POSITIONAL:
            var = p
        elif p.kind is _P.KEYWORD_ONLY:
            options.append(p)
        else:
            var_options = True
    if var is None and not inputs:
        raise OpContractError(f"{op.__qualname__}.forward takes no tensor inputs; it needs at least one")
    for a, b in zip(inputs, inputs[1:]):
        if a.default is None and b.default is not None:
            raise OpContractError(
                f"{op.__qualname__}.forward: required input {b.name!r} follows optional input {a.name!r}"
            )
    return inputs, var, options, var_options


def make_function(op: type, name: str, plugin: str) -> Callable:
    """The public function for op class ``op``: array-likes in, ``op.apply`` on tensors, a Tensor out.

    Positional parameters of ``forward`` become tensor inputs (array-likes are converted with
    ``morch.as_tensor``), keyword-only ones become keyword-only op parameters.

    Args:
        op: the op class.
        name: its public name.
        plugin: the plugin that provides it (for the docstring).
    """
    inputs, var, options, var_options = _split_forward(op)
    params = [p.replace(kind=_P.POSITIONAL_OR_KEYWORD, annotation=_P.empty) for p in inputs]
    if var is not None:
        params.append(var.replace(annotation=_P.empty))
    params += [p.replace(annotation=_P.empty) for p in options]
    if var_options:
        params.append(_P("params", _P.VAR_KEYWORD))
    sig = inspect.Signature(params, return_annotation=Tensor)
    n_required = sum(p.default is _P.empty for p in inputs)
    n_max = None if var is not None else len(inputs)
    option_names = frozenset(p.name for p in options)
    input_names = [p.name for p in inputs]
    apply = op.apply

    def bind(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        # the slow path: tensor inputs given by keyword, wrong counts, unknown parameters
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{name}(): {e} (signature: {name}{sig})") from None
        given = bound.arguments
        args = tuple(given[n] for n in input_names if n in given)
        if var is not None:
            args += tuple(given.get(var.name, ()))
        kwargs = {n: given[n] for n in option_names if n in given}
        kwargs.update(given.get("params", {}))
        return args, kwargs

    def function(*args, **kwargs):
        if (
            len(args) < n_required
            or (n_max is not None and len(args) > n_max)
            or (not var_options and not option_names.issuperset(kwargs))
        ):
            args, kwargs = bind(args, kwargs)
        while len(args) > n_required and args[-1] is None and n_max is not None:
            args = args[:-1]  # an optional input left out
        tensors = []
        for i, a in enumerate(args):
            if not isinstance(a, Tensor):
                if a is None:
                    what = input_names[i] if i < len(input_names) else f"input {i}"
                    raise TypeError(f"{name}(): {what} is None; only trailing optional inputs may be omitted")
                a = as_tensor(a)
            tensors.append(a)
        return apply(*tensors, **kwargs)

    doc = inspect.cleandoc(op.__doc__) if op.__doc__ else f"The op {op.__qualname__}."
    function.__doc__ = f"{doc}\n\nProvided by the morch plugin {plugin!r} ({op.__module__}.{op.__qualname__})."
    function.__name__ = function.__qualname__ = name
    function.__module__ = op.__module__
    function.__signature__ = sig
    function.op_class = op
    function.morch_plugin = plugin
    return function


# ------------------------------------------------------------------ name clashes with morch itself
def _is_ours(obj) -> bool:
    return getattr(obj, "morch_plugin", None) is not None


def _nn_functional():
    try:
        return importlib.import_module("morch.nn.functional")
    except ImportError:
        return None


def is_submodule(name: str) -> bool:
    """True if ``morch.<name>`` is a submodule (imported or not): ``from morch import <name>`` asks for it."""
    if f"morch.{name}" in sys.modules:
        return True
    try:
        return importlib.util.find_spec(f"morch.{name}") is not None
    except (ImportError, ValueError):
        return False


def _subclasses(cls: type) -> list[type]:
    out, todo = [], list(cls.__subclasses__())
    while todo:
        c = todo.pop()
        out.append(c)
        todo.extend(c.__subclasses__())
    return out


def core_clash(name: str) -> str | None:
    """What morch already calls ``name`` (``"morch.relu"``, ``"Tensor.view"`` ...), or None."""
    morch = sys.modules["morch"]
    obj = vars(morch).get(name)
    if obj is not None and not _is_ours(obj):
        return f"morch.{name}"
    if is_submodule(name):
        return f"the module morch.{name}"
    functional = _nn_functional()
    if functional is not None:
        obj = vars(functional).get(name)
        if obj is not None and not _is_ours(obj):
            return f"morch.nn.functional.{name}"
    for klass in Tensor.__mro__[:-1]:  # Tensor and its bases, not object
        obj = vars(klass).get(name)
        if obj is not None and not _is_ours(obj):
            return f"Tensor.{name}"
    for klass in _subclasses(Tensor):  # Parameter, static-graph and tape tensors, ... (those imported)
        if name in vars(klass) and klass.__module__.startswith("morch."):
            return f"{klass.__name__}.{name} (a Tensor subclass)"
    if hasattr(object, name):
        return f"Tensor.{name} (inherited from object)"
    return None


# ------------------------------------------------------------------ adding and removing
def check_op_class(op) -> None:
    """Raise OpContractError unless ``op`` is a Function subclass with forward, backward and a usable signature.

    Args:
        op: the class a plugin registers.
    """
    if not (isinstance(op, type) and issubclass(op, Function)):
        raise OpContractError(f"{op!r} is not a subclass of morch.autograd.Function")
    for method in ("forward", "backward"):
        if getattr(op, method) is getattr(Function, method):
            raise OpContractError(f"op class {op.__qualname__} does not define {method}()")
    _split_forward(op)


def add(export: Export) -> None:
    """Expose a registered plugin op (the caller has checked the name).

    Args:
        export: the op, its function and namespaces.
    """
    _exports[export.name] = export
    if export.method:
        setattr(Tensor, export.name, export.function)


def remove(name: str) -> None:
    """Stop exposing a plugin op (its Tensor method too).

    Args:
        name: the op name; unknown names are ignored.
    """
    export = _exports.pop(name, None)
    if export is not None and export.method and vars(Tensor).get(name) is export.function:
        delattr(Tensor, name)


def restore(state: dict[str, Export]) -> None:
    """Expose exactly the ops of ``state`` (a value of ``all_exports()``).

    Args:
        state: the exports to restore.
    """
    for name in list(_exports):
        remove(name)
    for export in state.values():
        add(export)
