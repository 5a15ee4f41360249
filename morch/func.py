"""``morch.func``: PyTorch's function transforms, built on morch's reverse-mode autograd.

``grad``, ``grad_and_value``, ``vjp``, ``jacrev``/``jacfwd`` and ``hessian`` differentiate a
function of tensors; ``vmap`` maps one over a batch dimension by calling it once per slice and
stacking the results (the same values as PyTorch's batching rules, not their speed);
``functional_call`` runs a module with parameters and buffers given in a dict.
"""

from __future__ import annotations

import contextlib
import functools

from morch import creation
from morch import functional as F
from morch.autograd import engine, grad_mode
from morch.autograd import functional as AF
from morch.tensor import Tensor

__all__ = ["grad", "grad_and_value", "vjp", "jacrev", "jacfwd", "hessian", "vmap", "functional_call"]


def _argnums_tuple(argnums) -> tuple:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """A function returning ``(gradient, value)`` of ``func`` (which returns a one-element tensor,
    or ``(tensor, aux)`` with ``has_aux``) with respect to the arguments ``argnums``.

    Args:
        func: the function.
        argnums: which positional arguments to differentiate (an int or a tuple).
        has_aux: func returns (output, auxiliary), and the result is (gradient, (value, aux)).
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums_tuple(argnums)
        args = list(args)
        # inside another transform (an argument already tracks gradients) the result must stay
        # differentiable; at the outermost level it is a plain tensor, as torch.func gives
        nested = any(isinstance(a, Tensor) and a.requires_grad for a in args)
        with grad_mode.enable_grad():
            for i in nums:
                if not isinstance(args[i], Tensor):
                    raise TypeError(f"grad: argument {i} must be a Tensor, got {type(args[i]).__name__}")
                args[i] = (
                    args[i].detach().requires_grad_(True) if not args[i].requires_grad else args[i].view_as(args[i])
                )
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError(
                        "grad_and_value(f)(*args): output of function f should be a tuple: (output, aux) "
                        "if has_aux is True"
                    )
                out, aux = out
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor")
            grads = engine.grad([out], [args[i] for i in nums], create_graph=nested, allow_unused=True)
        grads = tuple(creation.zeros_like(args[i]) if g is None else g for i, g in zip(nums, grads))
        if not nested:
            out = out.detach()
            aux = aux.detach() if isinstance(aux, Tensor) else aux
        g = grads[0] if isinstance(argnums, int) else grads
        return (g, (out, aux)) if has_aux else (g, out)

    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """A function returning the gradient of ``func`` (a one-element output) with respect to ``argnums``.

    Args:
        func: the function.
        argnums: which positional arguments to differentiate (an int or a tuple).
        has_aux: func returns (output, auxiliary); the result is then (gradient, aux).
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func, *primals, has_aux: bool = False):
    """``(func(*primals), vjp_fn)``, where ``vjp_fn(cotangent)`` gives one gradient per primal.

    Args:
        func: the function.
        primals: its tensor arguments.
        has_aux: func returns (output, auxiliary); aux is returned third.
    """
    with grad_mode.enable_grad():
        inputs = [p.detach().requires_grad_(True) for p in primals]
        out = func(*inputs)
        aux = None
        if has_aux:
            out, aux = out

    def vjp_fn(*cotangents):
        outs = out if isinstance(out, tuple) else (out,)
        grads = engine.grad(list(outs), inputs, list(cotangents), retain_graph=True, allow_unused=True)
        return tuple(creation.zeros_like(x) if g is None else g for x, g in zip(inputs, grads))

    detached = tuple(o.detach() for o in out) if isinstance(out, tuple) else out.detach()
    return (detached, vjp_fn, aux) if has_aux else (detached, vjp_fn)


def jacrev(func, argnums=0, has_aux: bool = False):
    """A function returning the Jacobian of ``func`` with respect to ``argnums`` (reverse mode).

    Args:
        func: the function.
        argnums: which positional arguments (an int or a tuple).
        has_aux: not supported in morch.
    """
    if has_aux:
        raise NotImplementedError("jacrev(has_aux=True) is not supported by morch")

    @functools.wraps(func)
    def wrapper(*args):
        nums = _argnums_tuple(argnums)

        def partial(*picked):
            full = list(args)
            for i, v in zip(nums, picked):
                full[i] = v
            return func(*full)

        jac = AF.jacobian(partial, tuple(args[i] for i in nums))
        if isinstance(argnums, int):
            return tuple(j[0] for j in jac) if isinstance(jac[0], tuple) else jac[0]
        return jac

    return wrapper


jacfwd = jacrev  # the same Jacobian; morch has no forward mode


def hessian(func, argnums=0):
    """A function returning the Hessian of a one-element ``func`` with respect to ``argnums``.

    Args:
        func: the function.
        argnums: which positional argument (an int).
    """

    @functools.wraps(func)
    def wrapper(*args):
        def partial(x):
            full = list(args)
            full[argnums] = x
            return func(*full)

        return AF.hessian(partial, args[argnums])

    return wrapper


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """``func`` mapped over a batch dimension: called once per slice, the results stacked.

    Args:
        func: the function of unbatched tensors.
        in_dims: the batch dimension of each argument (an int for all, or a tuple with None for
            arguments that are not batched).
        out_dims: where the batch dimension goes in the outputs.
        randomness: accepted ('error', 'different', 'same'; morch's slices draw one after another).
        chunk_size: accepted.
    """

    @functools.wraps(func)
    def wrapper(*args):
        dims = (in_dims,) * len(args) if isinstance(in_dims, int) or in_dims is None else tuple(in_dims)
        if len(dims) != len(args):
            raise ValueError(f"vmap: in_dims has {len(dims)} entries but the function got {len(args)} arguments")
        sizes = {a.shape[d] for a, d in zip(args, dims) if d is not None and isinstance(a, Tensor)}
        if len(sizes) != 1:
            raise ValueError(
                "vmap: expected all batched tensors to have the same size in their batch dimension, "
                f"got {sorted(sizes)}"
            )
        (n,) = sizes
        results = []
        for k in range(n):
            sliced = [a.select(d, k) if d is not None and isinstance(a, Tensor) else a for a, d in zip(args, dims)]
            results.append(func(*sliced))
        first = results[0]
        if isinstance(first, tuple):
            odims = (out_dims,) * len(first) if isinstance(out_dims, int) else tuple(out_dims)
            return tuple(F.stack([r[i] for r in results], d) for i, d in enumerate(odims))
        return F.stack(results, out_dims)

    return wrapper


@contextlib.contextmanager
def _swapped(module, tensors: dict):
    saved = []
    try:
        for name, value in tensors.items():
            owner = module
            *path, leaf = name.split(".")
            for part in path:
                owner = getattr(owner, part)
            table = (
                owner._parameters if leaf in owner._parameters else owner._buffers if leaf in owner._buffers else None
            )
            if table is None:
                raise KeyError(f"functional_call: the module has no parameter or buffer named {name!r}")
            saved.append((table, leaf, table[leaf]))
            table[leaf] = value
        yield
    finally:
        for table, leaf, value in reversed(saved):
            table[leaf] = value


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights: bool = True,
                    strict: bool = False):  # fmt: skip
    """``module(*args, **kwargs)`` with some parameters and buffers replaced by the given tensors
    (which may be results of other computations: gradients flow to them).

    Args:
        module: the module.
        parameter_and_buffer_dicts: a dict (or a tuple of dicts) from dotted names to tensors.
        args: the positional arguments (a tuple, or one tensor).
        kwargs: the keyword arguments.
        tie_weights: accepted (tied weights are one entry in morch's parameter tables anyway).
        strict: require a value for every parameter and buffer.
    """
    dicts = parameter_and_buffer_dicts
    merged: dict = {}
    for d in dicts if isinstance(dicts, (tuple, list)) else (dicts,):
        merged.update(d)
    if strict:
        missing = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
        missing -= set(merged)
        if missing:
            raise RuntimeError(f"functional_call: strict mode, missing keys {sorted(missing)}")
    args = () if args is None else (args if isinstance(args, tuple) else (args,))
    with _swapped(module, merged):
        return module(*args, **(kwargs or {}))
