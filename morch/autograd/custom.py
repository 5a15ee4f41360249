"""PyTorch-style custom autograd Functions: ``forward(ctx, *args)`` / ``backward(ctx, *grads)`` on tensors.

morch's own ops subclass ``Function`` with instance methods on numpy arrays. A subclass written
for PyTorch instead has static methods on tensors and a ``ctx``; ``Function.__init_subclass__``
recognises it and gives it the ``apply`` below. That ``apply`` runs the user's forward without
recording, then records one node (``CustomNode``) whose backward calls the user's backward. When
the forward returns several tensors, they are packed into one array (one node, one gradient) and
handed out as slices, so the user's backward receives every output's gradient at once.
"""

from __future__ import annotations

import functools

import numpy as np

from morch.autograd import grad_mode
from morch.autograd.function import Function
from morch.tensor import Tensor, _wrap


class FunctionCtx:
    """What ``forward`` hands to ``backward``: saved tensors, flags and any attributes set on it."""

    def __init__(self):
        self.needs_input_grad: tuple = ()
        self.materialize_grads = True
        self._saved: tuple = ()
        self._non_differentiable: set = set()
        self._dirty: tuple = ()

    def save_for_backward(self, *tensors) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument is a {type(t).__name__}")
        self._saved = tuple((t, None if t is None else t._version) for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        for i, (t, v) in enumerate(self._saved):
            if t is not None and t._version != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: saved tensor {i} (shape {tuple(t.shape)}) is at version {t._version}; "
                    f"expected version {v} instead"
                )
        return tuple(t for t, _ in self._saved)

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


def once_differentiable(backward):
    """Decorate a custom Function's ``backward`` that cannot itself be differentiated: it then runs
    without recording, and differentiating its result again raises a clear error."""

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with grad_mode.no_grad():
            return backward(ctx, *grads)

    wrapper._once_differentiable = True
    return wrapper


def is_ctx_style(cls) -> bool:
    """Whether a Function subclass is written PyTorch's way (static forward with a ctx, or setup_context)."""
    return isinstance(cls.__dict__.get("forward"), staticmethod) or "setup_context" in cls.__dict__


def ctx_apply(cls, *args, **kwargs):
    """``MyFunction.apply(*args)`` for a PyTorch-style Function."""
    from morch.autograd import function as _function

    if _function._symbolic is not None and _function._has_symbolic(args, kwargs):
        return _function._symbolic(functools.partial(ctx_apply, cls), args, kwargs)
    ctx = FunctionCtx()
    ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
    with grad_mode.no_grad():
        if "setup_context" in _own_or_inherited(cls):
            out = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, out)
        else:
            out = cls.forward(ctx, *args, **kwargs)
    if not (grad_mode._enabled and True in ctx.needs_input_grad):
        return out
    outs = out if isinstance(out, tuple) else (out,)
    picked = [
        i
        for i, o in enumerate(outs)
        if isinstance(o, Tensor) and o._data.dtype.kind == "f" and id(o) not in ctx._non_differentiable
    ]
    if not picked:
        return out
    tensors = [a for a in args if isinstance(a, Tensor)]
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    arrays = [outs[i]._data for i in picked]
    # what backward receives for the outputs the node does not carry: zeros for tensors (None if
    # the ctx does not materialize gradients), None for other values
    others = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None for o in outs]
    node_out = CustomNode.apply(
        *tensors, fn_cls=cls, ctx=ctx, outs=arrays, positions=positions, n_args=len(args), picked=picked, others=others
    )
    result = list(outs)
    if len(picked) == 1:
        result[picked[0]] = node_out
    else:
        start = 0
        for k, i in enumerate(picked):
            a = arrays[k]
            result[i] = Slice.apply(node_out, node=node_out.grad_fn, i=k, start=start, shape=a.shape, dtype=a.dtype)
            start += a.size
    for i, o in enumerate(outs):  # outputs the node does not carry are plain results, as in PyTorch
        if i not in picked and isinstance(o, Tensor) and o._requires_grad:
            result[i] = o.detach()
    return tuple(result) if isinstance(out, tuple) else result[0]


def _own_or_inherited(cls) -> set:
    names: set = set()
    for klass in cls.__mro__:
        if klass is Function:
            break
        names.update(klass.__dict__)
    return names


class CustomNode(Function):
    """The graph node of one call of a PyTorch-style Function (its outputs packed if several)."""

    def forward(self, *arrays, fn_cls, ctx, outs, positions, n_args, picked, others):
        self.unread_inputs = tuple(range(len(arrays)))  # the user's ctx keeps what backward reads
        self.fn_cls, self.ctx, self.positions, self.n_args = fn_cls, ctx, positions, n_args
        self.picked, self.others = picked, others
        self.shapes = [(a.shape, a.dtype) for a in outs]
        self.got = [False] * len(outs)  # which outputs' slices received a gradient
        backward = fn_cls.backward
        if getattr(backward, "_once_differentiable", False):
            self.differentiable = False
        if len(outs) == 1:
            return outs[0]
        return np.concatenate([a.reshape(-1) for a in outs])

    def name(self) -> str:
        return self.fn_cls.__name__ + "Backward"

    def backward(self, g):
        if len(self.shapes) == 1:
            grads = (g,)
        else:
            grads, start = [], 0
            for (shape, _), got in zip(self.shapes, self.got):
                n = int(np.prod(shape, dtype=np.int64))
                grads.append(g[start : start + n].reshape(shape) if got or self.ctx.materialize_grads else None)
                start += n
            self.got = [False] * len(self.shapes)  # for another backward through a retained graph
        materialize = self.ctx.materialize_grads
        every = [
            None if o is None or not materialize else _wrap(np.zeros(o[0], o[1] if o[1].kind == "f" else g._data.dtype))
            for o in self.others
        ]
        for i, gi in zip(self.picked, grads):
            every[i] = gi
        result = self.fn_cls.backward(self.ctx, *every)
        result = result if isinstance(result, tuple) else (result,)
        who = self.fn_cls.__name__
        if len(result) < self.n_args or any(r is not None for r in result[self.n_args :]):
            raise RuntimeError(
                f"function {who}Backward returned an incorrect number of gradients (expected {self.n_args}, "
                f"got {len(result)})"
            )
        out = []
        for pos in self.positions:
            r = result[pos]
            if r is not None and not isinstance(r, Tensor):
                raise TypeError(
                    f"function {who}Backward returned a {type(r).__name__} for input {pos}; expected a Tensor or None"
                )
            out.append(r)
        return tuple(out)


class Slice(Function):
    """Output ``i`` of a node whose outputs are packed into one flat array: its slice, in its own
    shape and dtype. Its backward marks ``node.got[i]`` (so the node can tell an unused output from
    a zero gradient) and gives the packed array a gradient that is zero outside the slice."""

    unread_inputs = (0,)

    def forward(self, p, node, i, start, shape, dtype):
        self.node, self.i, self.start = node, i, start
        return p[start : start + int(np.prod(shape, dtype=np.int64))].reshape(shape).astype(dtype, copy=False)

    def backward(self, g):
        self.node.got[self.i] = True
        p = self.inputs[0]._data
        flat = g.reshape(-1)
        before, after = self.start, p.shape[0] - self.start - flat._data.shape[0]
        if not (before or after):
            return flat
        from morch import functional as F

        parts = ([_wrap(np.zeros(before, p.dtype))] if before else []) + [flat]
        return F.cat(parts + ([_wrap(np.zeros(after, p.dtype))] if after else []))
