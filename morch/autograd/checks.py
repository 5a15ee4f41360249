"""Finite-difference checks of backward, public so plugin authors test their ops as the core does."""

from __future__ import annotations

import warnings

import numpy as np

from morch.autograd import engine, grad_mode
from morch.tensor import Tensor, _wrap


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients disagree."""


def _tuple(x) -> tuple:
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _float_outputs(outputs) -> list:
    return [o for o in _tuple(outputs) if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _numerical(func, inputs, diff, outputs, eps):
    """J[k][j]: d(output k, flattened) / d(input diff[j], flattened), by central differences."""
    jac = [[np.zeros((o._data.size, inputs[j]._data.size)) for j in diff] for o in outputs]
    for jj, j in enumerate(diff):
        t = inputs[j]
        if not (t._data.flags.writeable and t._data.flags.c_contiguous):
            t._data = np.ascontiguousarray(t._data).copy()
        flat = t._data.reshape(-1)
        for e in range(flat.size):
            orig = flat[e].item()
            flat[e] = orig + eps
            with grad_mode.no_grad():
                plus = [o._data.astype(np.float64).ravel() for o in _float_outputs(func(*inputs))]
            flat[e] = orig - eps
            with grad_mode.no_grad():
                minus = [o._data.astype(np.float64).ravel() for o in _float_outputs(func(*inputs))]
            flat[e] = orig
            for k in range(len(outputs)):
                jac[k][jj][:, e] = (plus[k] - minus[k]) / (2 * eps)
    return jac


def _analytical(inputs, diff, outputs):
    jac = [[np.zeros((o._data.size, inputs[j]._data.size)) for j in diff] for o in outputs]
    targets = [inputs[j] for j in diff]
    for k, o in enumerate(outputs):
        if not o._requires_grad:
            continue
        for e in range(o._data.size):
            seed = np.zeros(o._data.size, dtype=o._data.dtype)
            seed[e] = 1
            grads = engine.grad(o, targets, _wrap(seed.reshape(o._data.shape)), retain_graph=True, allow_unused=True)
            for jj, g in enumerate(grads):
                if g is not None:
                    jac[k][jj][e, :] = g._data.astype(np.float64).ravel()
    return jac


def gradcheck(func, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:  # fmt: skip
    """Compare the gradients autograd computes for ``func`` with central finite differences.

    Every input that requires grad is perturbed element by element; use float64 inputs.

    Args:
        func: takes the inputs, returns a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors (and other arguments passed through).
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        raise_exception: raise GradcheckError on mismatch (else return False).

    Returns:
        True when every Jacobian matches.
    """
    inputs = _tuple(inputs)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad")
    for i in diff:
        if inputs[i]._data.dtype != np.float64:
            warnings.warn(
                f"gradcheck: input {i} is {inputs[i].dtype}, not float64; the check may fail from rounding alone",
                stacklevel=2,
            )
    outputs = _float_outputs(func(*inputs))
    analytical = _analytical(inputs, diff, outputs)
    numerical = _numerical(func, inputs, diff, outputs, eps)
    for k in range(len(outputs)):
        for jj, j in enumerate(diff):
            a, n = analytical[k][jj], numerical[k][jj]
            bad = np.abs(a - n) > atol + rtol * np.abs(n)
            if bad.any():
                r, c = np.argwhere(bad)[0]
                msg = (
                    f"Jacobian mismatch for output {k} with respect to input {j}: at (output element {r}, "
                    f"input element {c}) analytical {a[r, c]:.8g} vs numerical {n[r, c]:.8g}; "
                    f"max abs difference {np.abs(a - n).max():.3g}\nnumerical:\n{n}\nanalytical:\n{a}"
                )
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True) -> bool:  # fmt: skip
    """Check second derivatives: gradcheck of the map (inputs, v) -> v^T J, built with ``create_graph=True``.

    Args:
        func, inputs, eps, atol, rtol, raise_exception: as in ``gradcheck``.
        grad_outputs: the vectors v; random float64 ones when omitted.
    """
    inputs = _tuple(inputs)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._requires_grad]
    outputs = _float_outputs(func(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _wrap(rng.standard_normal(o._data.shape).astype(o._data.dtype)).requires_grad_() for o in outputs
        )
    grad_outputs = _tuple(grad_outputs)
    n = len(inputs)

    def first_derivative(*args):
        ins, vs = args[:n], args[n:]
        with grad_mode.enable_grad():  # also when gradcheck evaluates it for finite differences
            outs = _float_outputs(func(*ins))
            grads = engine.grad(outs, [ins[i] for i in diff], list(vs), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, inputs + grad_outputs, eps, atol, rtol, raise_exception)
