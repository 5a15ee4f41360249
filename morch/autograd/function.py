"""Function: the base of every op, core or plugin. One instance is one node of the graph."""

from __future__ import annotations

import functools
import itertools

import numpy as np

from morch.autograd import grad_mode
from morch.tensor import Tensor, _wrap

# Front ends hook in here (None when unused, so the hot path pays one comparison):
#   _symbolic(fn, args, kwargs) builds a static-graph node for the call fn(*args, **kwargs) when
#     an input is symbolic (has no data yet); fn is an op's apply or a @deferrable function;
#   _on_apply(fn, inputs, out) sees every op that runs, e.g. to write the tape view's Wengert list.
_symbolic = None
_on_apply = None


class Function:
    """Base class of ops.

    Subclasses define::

        def forward(self, *arrays, **params) -> np.ndarray   # numpy in, numpy out
        def backward(self, grad: Tensor) -> Tensor | tuple   # one gradient (or None) per input

    ``forward`` may keep on ``self`` what backward needs (shapes, masks; ``self.out = result`` to
    use the output through ``self.output()``). ``backward`` receives and returns Tensors and should
    compute with morch ops, so gradients of gradients work; ``self.inputs`` are the input tensors.
    The engine reduces a broadcast gradient to its input's shape and checks count and shapes.
    Set ``differentiable = False`` if backward is written with raw numpy: double backward through
    it then raises a clear error instead of silently returning zeros. List in ``unread_inputs``
    the positions of inputs whose values backward never reads (only shapes): changing those in
    place after the op ran is then allowed, as in PyTorch; other inputs are version-checked.

    A subclass written for PyTorch (``@staticmethod forward(ctx, ...)`` and ``backward(ctx, ...)``
    on tensors, or ``setup_context``) works too: it gets the ``apply`` of ``custom.py``.
    """

    # _producers: each input's grad_fn when the op ran (a later in-place op may give the input a new one)
    __slots__ = ("inputs", "needs_input_grad", "_versions", "_producers", "_hooks", "__dict__", "__weakref__")

    differentiable = True
    unread_inputs: tuple = ()
    symbol: str | None = None  # infix symbol for printing (``+``), else the op's name is used

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # written PyTorch's way (static forward(ctx, ...) on tensors, or setup_context): see custom.py
        if isinstance(cls.__dict__.get("forward"), staticmethod) or "setup_context" in cls.__dict__:
            from morch.autograd.custom import ctx_apply

            cls.apply = classmethod(ctx_apply)

    def forward(self, *arrays, **params):
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, grad):
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def output(self) -> Tensor:
        """The op's output as a graph-connected tensor (forward must have set ``self.out``)."""
        return _wrap(self.out, self)

    def name(self) -> str:
        return type(self).__name__ + "Backward"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple:
        """The nodes feeding this one, as PyTorch's ``grad_fn.next_functions`` (leaves give None)."""
        return tuple((p, 0) for p in self._producers or ())

    @classmethod
    def apply(cls, *inputs: Tensor, **params) -> Tensor:
        """Run the op on tensors: forward on their arrays, and record a node if grad is needed."""
        fn = _new(cls)
        arrays = [t._data for t in inputs]
        if _symbolic is not None:  # static graphs are in use: an input may have no value yet
            for a in arrays:
                if a is None:
                    return _symbolic(cls.apply, inputs, params)
        try:
            out = fn.forward(*arrays, **params)
        except (ValueError, TypeError, IndexError, np.exceptions.AxisError) as e:
            raise _op_error(cls, e, arrays) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        result = _new(Tensor)  # _wrap inlined: this is the hottest path in morch
        result._data = out
        result.grad = None
        result._version = 0
        result._hooks = None
        result._base = None
        if grad_mode._enabled:
            needs = tuple([t._requires_grad for t in inputs])
            if True in needs and out.dtype.kind == "f":  # only float results carry gradients
                fn.inputs = inputs
                fn.needs_input_grad = _SHARED.get(needs, needs)
                versions = tuple([t._version for t in inputs])
                fn._versions = _SHARED_ZEROS.get(versions, versions)
                fn._producers = tuple([t.grad_fn for t in inputs])
                fn._hooks = None
                result._requires_grad = True
                result.grad_fn = fn
                if _on_apply is not None:
                    return _on_apply(fn, inputs, params, result)
                return result
        result._requires_grad = False
        result.grad_fn = None
        if _on_apply is not None:
            result = _on_apply(fn, inputs, params, result)
        return result


_new = object.__new__

# Every node would otherwise keep its own small tuples of flags and version numbers; sharing the
# common ones (every pattern of up to 4 flags, all-zero versions) leaves the garbage collector
# fewer objects to track: a node and its output tensor cost 4 tracked objects instead of 6.
_SHARED = {bits: bits for n in range(1, 5) for bits in itertools.product((False, True), repeat=n)}
_SHARED_ZEROS = {(0,) * n: (0,) * n for n in range(1, 5)}


def _has_symbolic(args, kwargs) -> bool:
    for a in (*args, *kwargs.values()):
        if isinstance(a, Tensor) and a._data is None:
            return True
        if isinstance(a, (list, tuple)) and any(isinstance(x, Tensor) and x._data is None for x in a):
            return True
    return False


def deferrable(fn):
    """Decorate composite functions whose Python code reads shapes or values (conv2d, losses ...).

    Called with a symbolic static-graph tensor, the whole call becomes one graph node that runs
    when the graph runs; called with ordinary tensors it is the plain function.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _symbolic is not None and _has_symbolic(args, kwargs):
            return _symbolic(wrapper, args, kwargs)
        return fn(*args, **kwargs)

    return wrapper


class OpError(Exception):
    """Marker: an error already worded by morch, which ``apply`` passes through unchanged."""


class OpValueError(ValueError, OpError):
    pass


class OpTypeError(TypeError, OpError):
    pass


class OpIndexError(IndexError, OpError):
    pass


_KINDS = {ValueError: OpValueError, TypeError: OpTypeError, IndexError: OpIndexError}


def op_error(kind: type, message: str) -> Exception:
    """An error of type ``kind`` (ValueError, TypeError or IndexError) that ``apply`` will not re-word."""
    return _KINDS[kind](message)


def _op_error(cls, e: Exception, arrays) -> Exception:
    if isinstance(e, OpError):
        return e
    kind = IndexError if isinstance(e, np.exceptions.AxisError) else type(e)
    if kind not in _KINDS:
        kind = ValueError
    shapes = ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in arrays)
    provider = getattr(cls, "provider", "morch")
    who = cls.__name__ if provider == "morch" else f"{cls.__name__} (op {cls.op_name!r} from plugin {provider!r})"
    return op_error(kind, f"{who}: {e} (inputs: {shapes})")


def __getattr__(name: str):
    # torch.autograd.function's helpers for PyTorch-style Functions, which live in custom.py
    if name in ("FunctionCtx", "once_differentiable"):
        from morch.autograd import custom

        return getattr(custom, name)
    raise AttributeError(f"module 'morch.autograd.function' has no attribute {name!r}")
