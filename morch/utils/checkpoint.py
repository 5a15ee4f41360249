"""``morch.utils.checkpoint``: trade compute for memory by recomputing a block in backward.

``checkpoint(fn, *args)`` runs ``fn`` without recording its graph, so none of its intermediate
results are kept; when the gradient reaches the block, ``fn`` runs again with recording on (and
the random state it first saw, so dropout draws the same masks) and the gradient flows through
that fresh graph into the block's inputs and into any parameters ``fn`` uses.
"""

from __future__ import annotations

import functools
import warnings

from morch import random
from morch.autograd import engine, grad_mode
from morch.autograd.function import Function
from morch.tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


class _Checkpoint(Function):
    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, reentrant, n_args, *inputs):
        args, params = inputs[:n_args], inputs[n_args:]
        ctx.run_function, ctx.reentrant, ctx.n_params = run_function, reentrant, len(params)
        ctx.rng_state = random.get_rng_state() if preserve_rng_state else None
        ctx.tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.args = args
        ctx.save_for_backward(*[args[i] for i in ctx.tensor_positions], *params)
        return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        saved = ctx.saved_tensors
        n_saved_args = len(ctx.tensor_positions)
        params = saved[n_saved_args:]
        args = list(ctx.args)
        for i, t in zip(ctx.tensor_positions, saved[:n_saved_args]):
            args[i] = t.detach().requires_grad_(t.requires_grad)
        outer = random.get_rng_state() if ctx.rng_state is not None else None
        if ctx.rng_state is not None:
            random.set_rng_state(ctx.rng_state)
        try:
            with grad_mode.enable_grad():
                out = ctx.run_function(*args)
        finally:
            if outer is not None:
                random.set_rng_state(outer)
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [(o, g) for o, g in zip(outs, grads) if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        grads_in = [None] * (4 + len(args) + ctx.n_params)
        if ctx.reentrant:  # PyTorch's reentrant form: the recomputed graph accumulates into every leaf
            engine.backward([o for o, _ in pairs], [g for _, g in pairs])
            for i in ctx.tensor_positions:
                grads_in[4 + i] = args[i].grad
            return tuple(grads_in)
        wanted = [i for i in ctx.tensor_positions if args[i].requires_grad]
        targets = [args[i] for i in wanted] + [p for p in params if p.requires_grad]
        found = engine.grad([o for o, _ in pairs], targets, [g for _, g in pairs], allow_unused=True)
        for i, g in zip(wanted, found[: len(wanted)]):
            grads_in[4 + i] = g
        found_params = iter(found[len(wanted) :])
        for k, p in enumerate(params):
            if p.requires_grad:
                grads_in[4 + len(args) + k] = next(found_params)
        return tuple(grads_in)


def _parameters_of(function) -> list | None:
    """The parameters a module (or a module's bound method) uses; None for other callables."""
    from morch.nn.module import Module

    owner = function if isinstance(function, Module) else getattr(function, "__self__", None)
    if isinstance(owner, Module):
        return [p for p in owner.parameters() if p.requires_grad]
    return None


def checkpoint(function, *args, use_reentrant: bool | None = None, context_fn=None, determinism_check: str = "default",
               debug: bool = False, preserve_rng_state: bool = True, **kwargs):  # fmt: skip
    """``function(*args)``, recomputed during backward instead of keeping its intermediate results.

    ``use_reentrant=True`` (PyTorch's default when it is not given, which PyTorch warns about and
    morch does not): gradients reach the tensor arguments and, by accumulation, every parameter
    the function uses, but only if some argument requires grad; no keyword arguments.
    ``use_reentrant=False`` (PyTorch's recommendation): the parameters of a module (or of a
    module's method) get gradients whatever the arguments, and ``autograd.grad`` works through the
    block; for any other callable morch cannot see the tensors it captures, so it runs the block
    normally (the same gradients, without the memory saving). The random state is restored for
    the recomputation, so dropout repeats.

    Args:
        function: the block to run.
        args: its positional arguments.
        use_reentrant: which of PyTorch's two forms (see above); None means True.
        context_fn, determinism_check, debug: accepted and not used.
        preserve_rng_state: restore the random state for the recomputation.
        kwargs: keyword arguments of the function (non-reentrant form only).
    """
    reentrant = True if use_reentrant is None else bool(use_reentrant)
    if kwargs and reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if not grad_mode.is_grad_enabled():  # nothing will be recomputed: just run it
        return function(*args, **kwargs)
    run = functools.partial(function, **kwargs) if kwargs else function
    params: list = []
    if reentrant:
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn(
                "None of the inputs have requires_grad=True. Gradients will be None", UserWarning, stacklevel=2
            )
    else:
        params = _parameters_of(function)
        if params is None:
            return run(*args)
    return _Checkpoint.apply(run, preserve_rng_state, reentrant, len(args), *args, *params)


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None, **kwargs):
    """Run a Sequential (or a list of modules) in ``segments`` checkpointed chunks; the last chunk
    runs normally, as in PyTorch.

    Args:
        functions: a Sequential or a list of modules/functions applied in order.
        segments: the number of chunks.
        input: the input of the first function.
        use_reentrant: accepted.
        kwargs: passed to ``checkpoint`` (``preserve_rng_state``).
    """
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if segments <= 0:
        raise ValueError(f"checkpoint_sequential: segments must be positive, got {segments}")
    size = max(len(functions) // segments, 1)

    def run(start, end):
        def forward(x):
            for fn in functions[start : end + 1]:
                x = fn(x)
            return x

        return forward

    from morch.nn import Module, Sequential

    def block(start, end):  # a Sequential when it can be: the non-reentrant form then sees its parameters
        part = functions[start : end + 1]
        return Sequential(*part) if all(isinstance(f, Module) for f in part) else run(start, end)

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(block(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run(end + 1, len(functions) - 1)(input)
