"""``morch.autograd.functional``: Jacobians, Hessians and their products with vectors, as
``torch.autograd.functional``, built on ``grad`` (reverse mode, one backward pass per row).

``vectorize`` and the forward-mode strategies are accepted for compatibility; morch always walks
the rows one by one in reverse mode, which gives the same numbers.
"""

from __future__ import annotations

import numpy as np

from morch.autograd import engine, grad_mode
from morch.tensor import Tensor, _wrap

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(x, what: str, fn: str) -> tuple[bool, tuple]:
    """(was it a tuple, the tensors as a tuple), refusing anything but tensors."""
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            where = f"{what}[{i}]" if is_tuple else what
            raise TypeError(f"The {where} given to {fn} must be a Tensor, got {type(t).__name__}")
    return is_tuple, items


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    """Inputs that track gradients from here on: detached copies of the caller's (a view that
    stays in the caller's graph when create_graph, so the result can be differentiated further)."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(True))
    return tuple(out)


def _outputs(func, inputs: tuple, fn: str) -> tuple[bool, tuple]:
    with grad_mode.enable_grad():
        out = func(*inputs)
    return _as_tuple(out, "outputs of the user-provided function", fn)


def _grads(outputs, inputs, grad_outputs, create_graph: bool, strict: bool, fn: str, what: str) -> tuple:
    """d(outputs)/d(inputs) contracted with grad_outputs; zeros (or an error if strict) where an
    input does not influence the outputs."""
    wanted = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if wanted:
        res = engine.grad(
            [o for o, _ in wanted], list(inputs), [g for _, g in wanted],
            retain_graph=True, create_graph=create_graph, allow_unused=True,
        )  # fmt: skip
    else:
        res = (None,) * len(inputs)
    out = []
    for i, (r, t) in enumerate(zip(res, inputs)):
        if r is None:
            if strict:
                raise RuntimeError(
                    f"{fn}: the output of the user-provided function is independent of input {i}. This is not "
                    f"allowed in strict mode (computing {what})."
                )
            r = _wrap(np.zeros(t._data.shape, t._data.dtype))
        out.append(r if create_graph else r.detach())
    return tuple(out)


def _finish(x, create_graph: bool):
    if isinstance(x, tuple):
        return tuple(_finish(t, create_graph) for t in x)
    return x if create_graph or x is None else x.detach()


def _check_v(v, outputs: tuple, fn: str, what: str) -> tuple:
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError(
                f"The vector v can only be None if the {what} is a single Tensor with a single element ({fn})"
            )
        return (_wrap(np.ones(outputs[0]._data.shape, outputs[0]._data.dtype)),)
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(outputs):
        raise RuntimeError(f"{fn}: v has {len(vs)} tensors but the {what} has {len(outputs)}")
    for i, (a, b) in enumerate(zip(vs, outputs)):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(
                f"{fn}: mismatch in shape: v[{i}] has a shape of {tuple(a.shape)} and the {what}[{i}] has a "
                f"shape of {tuple(b.shape)}"
            )
    return vs


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product of ``func`` at ``inputs``.

    Args:
        func: a function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors.
        v: the vector(s), shaped like the outputs (may be None for a one-element output).
        create_graph: make the result differentiable.
        strict: raise if an input does not influence the outputs (else its product is zero).
    """
    in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    inputs = _prepare(inputs, create_graph)
    out_tuple, outputs = _outputs(func, inputs, "vjp")
    vs = _check_v(v, outputs, "vjp", "output")
    res = _grads(outputs, inputs, vs, create_graph, strict, "vjp", "the vector-Jacobian product")
    outputs = _finish(outputs, create_graph)
    return (outputs if out_tuple else outputs[0]), (res if in_tuple else res[0])


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by differentiating a vector-Jacobian
    product with respect to its vector (the double-backward trick).

    Args:
        func: a function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors.
        v: the vector(s), shaped like the inputs (may be None for a one-element input).
        create_graph: make the result differentiable.
        strict: raise if the outputs do not depend on the inputs.
    """
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    inputs = _prepare(inputs, create_graph)
    out_tuple, outputs = _outputs(func, inputs, "jvp")
    vs = _check_v(v, inputs, "jvp", "input")
    with grad_mode.enable_grad():
        us = tuple(_wrap(np.zeros(o._data.shape, o._data.dtype)).requires_grad_(True) for o in outputs)
        g = _grads(outputs, inputs, us, True, strict, "jvp", "the Jacobian-vector product")
        res = _grads(g, us, vs, create_graph, strict, "jvp", "the Jacobian-vector product")
    outputs = _finish(outputs, create_graph)
    return (outputs if out_tuple else outputs[0]), (res if out_tuple else res[0])


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):  # fmt: skip
    """The Jacobian of ``func`` at ``inputs``: for output i and input j, a tensor of shape
    ``outputs[i].shape + inputs[j].shape`` (nested tuples when either side is a tuple, as PyTorch).

    Args:
        func: a function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors.
        create_graph: make the result differentiable.
        strict: raise if an input does not influence an output (else that block is zero).
        vectorize: accepted (morch computes the rows one by one).
        strategy: 'reverse-mode' or 'forward-mode' (same numbers here).
    """
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError('torch.autograd.functional.jacobian: `strategy="forward-mode"` needs vectorize=True')
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    inputs = _prepare(inputs, create_graph)
    out_tuple, outputs = _outputs(func, inputs, "jacobian")
    blocks = []
    for i, out in enumerate(outputs):
        flat = out.reshape(-1)
        rows = [[] for _ in inputs]
        for k in range(flat.shape[0]):
            onehot = np.zeros(out._data.size, out._data.dtype)
            onehot[k] = 1
            seed = _wrap(onehot.reshape(out._data.shape))
            grads = _grads((out,), inputs, (seed,), create_graph, strict, "jacobian", f"the Jacobian of output {i}")
            for j, g in enumerate(grads):
                rows[j].append(g)
        per_input = []
        for j, t in enumerate(inputs):
            shape = tuple(out.shape) + tuple(t.shape)
            if rows[j]:
                from morch import functional as F

                per_input.append(F.stack(rows[j]).reshape(shape))
            else:  # an empty output: an empty Jacobian
                per_input.append(_wrap(np.zeros(shape, t._data.dtype)))
        blocks.append(tuple(per_input) if in_tuple else per_input[0])
    return tuple(blocks) if out_tuple else blocks[0]


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):  # fmt: skip
    """The Hessian of a function with a one-element output: for inputs i and j, a tensor of shape
    ``inputs[i].shape + inputs[j].shape``.

    Args:
        func: a function of tensors returning a tensor with one element.
        inputs: a tensor or a tuple of tensors.
        create_graph: make the result differentiable.
        strict: raise if an input does not influence the gradient.
        vectorize: accepted (morch computes the rows one by one).
        outer_jacobian_strategy: 'reverse-mode' or 'forward-mode' (same numbers here).
    """
    in_tuple, items = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out_tuple, outs = _outputs(func, xs, "hessian")
        if out_tuple or outs[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element")
        return _grads(outs, xs, (_wrap(np.ones(outs[0]._data.shape, outs[0]._data.dtype)),), True, strict,
                      "hessian", "the gradient")  # fmt: skip

    res = jacobian(gradient, items, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)  # fmt: skip
    return res if in_tuple else res[0][0]


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T H)``: a vector times the Hessian of a one-element function.

    Args:
        func: a function of tensors returning a tensor with one element.
        inputs: a tensor or a tuple of tensors.
        v: the vector(s), shaped like the inputs.
        create_graph: make the result differentiable.
        strict: raise if an input does not influence the gradient.
    """
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)``: the Hessian times a vector. The Hessian of a twice-differentiable
    function is symmetric, so this is computed as ``vhp`` (PyTorch uses a double-backward trick;
    the two agree up to rounding).

    Args:
        func: a function of tensors returning a tensor with one element.
        inputs: a tensor or a tuple of tensors.
        v: the vector(s), shaped like the inputs.
        create_graph: make the result differentiable.
        strict: raise if an input does not influence the gradient.
    """
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph: bool, strict: bool, fn: str):
    in_tuple, items = _as_tuple(inputs, "inputs", fn)
    items = _prepare(items, create_graph)
    out_tuple, outputs = _outputs(func, items, fn)
    if out_tuple or outputs[0].numel() != 1:
        raise RuntimeError(f"The function given to {fn} should return a single Tensor with a single element")
    vs = _check_v(v, items, fn, "input")
    with grad_mode.enable_grad():
        ones = (_wrap(np.ones(outputs[0]._data.shape, outputs[0]._data.dtype)),)
        g = _grads(outputs, items, ones, True, strict, fn, "the gradient")
        res = _grads(g, items, vs, create_graph, strict, fn, "the Hessian product")
    out = _finish(outputs, create_graph)[0]
    return out, (res if in_tuple else res[0])
