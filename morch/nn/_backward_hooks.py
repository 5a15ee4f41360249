"""The graph wiring behind ``Module.register_full_backward_hook`` and ``register_full_backward_pre_hook``.

A module hook needs the gradients of *all* its outputs (or inputs) at once, but each tensor's
gradient reaches its own node. So when such hooks are registered, the tensors that cross the
module's boundary are packed into one flat array by a ``_Pack`` node and handed on as ``Slice``s
of it (morch/autograd/custom.py). The engine runs a node only after every consumer of its output: ``_Pack``'s backward
therefore sees every slice's gradient together, as one array, and calls the hooks there.
Outputs are packed after forward (their node runs the pre hooks, then the hooks if no input needs
a gradient); inputs are packed before it (their node runs the hooks with the inputs' gradients).
It costs one copy of the tensors, only for modules that have such hooks.
"""

from __future__ import annotations

import numpy as np

from morch.autograd.custom import Slice
from morch.autograd.function import Function
from morch.tensor import Tensor


class HookState:
    """One module call's hooks, and the gradients of its outputs once they arrive."""

    __slots__ = ("module", "n_inputs", "input_positions", "grad_outputs")

    def __init__(self, module, n_inputs: int):
        self.module, self.n_inputs = module, n_inputs
        self.input_positions: list = []  # positional-argument index of each packed input
        self.grad_outputs: tuple = ()

    def run_pre_hooks(self, grad_outputs: tuple) -> tuple:
        for hook in list(self.module._backward_pre_hooks.values()):
            result = hook(self.module, grad_outputs)
            if result is not None:
                grad_outputs = _checked(result, grad_outputs, "full backward pre hook", "grad_output")
        self.grad_outputs = grad_outputs
        return grad_outputs

    def run_hooks(self, grad_inputs: tuple) -> tuple:
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_inputs, self.grad_outputs)
            if result is not None:
                grad_inputs = _checked(result, grad_inputs, "full backward hook", "grad_input")
        return grad_inputs


def _checked(result, old: tuple, who: str, what: str) -> tuple:
    result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    if len(result) != len(old):
        raise RuntimeError(f"{who} returned {len(result)} values for {what}; expected {len(old)} (one per {what})")
    for new, prev in zip(result, old):
        if new is not None and prev is not None and tuple(new.shape) != tuple(prev.shape):
            raise RuntimeError(
                f"{who} returned a {what} of shape {tuple(new.shape)} where the gradient has shape {tuple(prev.shape)}"
            )
    return result


class _Pack(Function):
    """Tensors -> one flat array; backward splits the gradient and runs the module's hooks."""

    def forward(self, *arrays, state, side):
        self.unread_inputs = tuple(range(len(arrays)))  # only shapes are needed
        self.state, self.side = state, side
        self.shapes = [a.shape for a in arrays]
        self.got = [False] * len(arrays)
        return np.concatenate([a.reshape(-1) for a in arrays])

    def backward(self, g):
        parts, start = [], 0
        for shape, got in zip(self.shapes, self.got):
            n = int(np.prod(shape, dtype=np.int64))
            parts.append(g[start : start + n].reshape(shape) if got else None)
            start += n
        self.got = [False] * len(self.shapes)  # for another backward through a retained graph
        state = self.state
        if self.side == "output":
            parts = list(state.run_pre_hooks(tuple(parts)))
            if not state.input_positions and state.module._backward_hooks:  # no input needs a gradient
                state.run_hooks((None,) * state.n_inputs)
            return tuple(parts)
        grad_inputs = [None] * state.n_inputs
        for pos, part in zip(state.input_positions, parts):
            grad_inputs[pos] = part
        grad_inputs = state.run_hooks(tuple(grad_inputs))
        return tuple(grad_inputs[pos] for pos in state.input_positions)


def wire(tensors: list, state: HookState, side: str) -> list:
    """``tensors`` seen through one ``_Pack``; the same list if none of them needs a gradient."""
    picked = [i for i, t in enumerate(tensors) if isinstance(t, Tensor) and t._requires_grad and t.is_floating_point()]
    if not picked:
        return tensors
    if side == "input":
        state.input_positions = picked
    chosen = [tensors[i] for i in picked]
    packed = _Pack.apply(*chosen, state=state, side=side)
    pack = packed.grad_fn
    out, start = list(tensors), 0
    for k, (i, t) in enumerate(zip(picked, chosen)):
        shape = t._data.shape
        out[i] = Slice.apply(packed, node=pack, i=k, start=start, shape=shape, dtype=t._data.dtype)
        start += int(np.prod(shape, dtype=np.int64))
    return out
