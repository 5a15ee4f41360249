"""``morch.utils.checkpoint``: trade compute for memory by recomputing a block in backward.

``checkpoint(fn, *args)`` runs ``fn`` without recording its graph, so none of its intermediate
results are kept; when the gradient reaches the block, ``fn`` runs again with recording on (and
the random state it first saw, so dropout draws the same masks) and the gradient flows through
that fresh graph into the block's inputs and into any parameters ``fn`` uses.
"""

from __future__ import annotations

import warnings

from morch import random
from morch.autograd import engine, grad_mode
from morch.autograd.function import Function
from morch.tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


class _Checkpoint(Function):
    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        ctx.run_function = run_function
        ctx.rng_state = random.get_rng_state() if preserve_rng_state else None
        ctx.tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.args = args
        ctx.save_for_backward(*[args[i] for i in ctx.tensor_positions])
        return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        saved = ctx.saved_tensors
        args = list(ctx.args)
        for i, t in zip(ctx.tensor_positions, saved):
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
        engine.backward([o for o, _ in pairs], [g for _, g in pairs])
        grads_in = [None, None] + [None] * len(args)
        for i in ctx.tensor_positions:
            grads_in[2 + i] = args[i].grad
        return tuple(grads_in)


def checkpoint(function, *args, use_reentrant: bool | None = None, context_fn=None, determinism_check: str = "default",
               debug: bool = False, preserve_rng_state: bool = True, **kwargs):  # fmt: skip
    """``function(*args)``, recomputed during backward instead of keeping its intermediate results.

    As PyTorch's reentrant form: gradients reach the tensor arguments and the parameters the
    function uses; the random state is restored for the recomputation (so dropout repeats).
    ``use_reentrant`` is accepted (both forms give these gradients; PyTorch warns when it is not
    given, morch does not). Keyword arguments to ``function`` are not supported, as in PyTorch's
    reentrant form.

    Args:
        function: the block to run.
        args: its positional arguments.
        use_reentrant: accepted.
        context_fn, determinism_check, debug: accepted and not used.
        preserve_rng_state: restore the random state for the recomputation.
    """
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if not grad_mode.is_grad_enabled():  # nothing will be recomputed: just run it
        return function(*args)
    if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", UserWarning, stacklevel=2)
    return _Checkpoint.apply(function, preserve_rng_state, *args)


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

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run(end + 1, len(functions) - 1)(input)
