"""The backward engine: one iterative walk over the graph in topological order.

Gradients are kept per node in a dict; each node runs its backward once, however many paths
reach it. Broadcast gradients are reduced here (``sum_to``), not in each op, and what an op's
backward returns is checked here, so core and plugin ops are held to the same contract.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from morch.autograd import grad_mode
from morch.autograd.function import Function
from morch.tensor import PostAccumulateGradHook, Tensor, _wrap

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time."
)


def sum_to(g: Tensor, shape: tuple) -> Tensor:
    """Sum ``g`` over the dimensions that broadcasting added or stretched, to give ``shape``."""
    gs = g._data.shape
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    if lead < 0 or any(s != 1 and s != gs[i + lead] for i, s in enumerate(shape)):
        raise ValueError(f"gradient of shape {tuple(gs)} cannot be reduced to shape {tuple(shape)}")
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and gs[i + lead] != 1)
    if axes:
        g = g.sum(dim=axes)
    return g.reshape(shape)


def _toposort(roots: list) -> list:
    """Nodes reachable from ``roots``, each consumer before the nodes that produced its inputs."""
    order, seen = [], set()
    stack = [(r, False) for r in roots]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if fn in seen:
            continue
        seen.add(fn)
        if fn.inputs is None:
            raise RuntimeError(_FREED)
        stack.append((fn, True))
        for p in fn._producers:
            if p is not None and p not in seen:
                stack.append((p, False))
    order.reverse()
    return order


def _who(fn: Function) -> str:
    """The node's name for error messages; a plugin op's also names the op and its plugin."""
    cls = type(fn)
    provider = getattr(cls, "provider", None)
    if provider is None or provider == "morch":
        return fn.name()
    return f"{fn.name()} (op {getattr(cls, 'op_name', cls.__name__)!r} from plugin {provider!r})"


class NotDifferentiableTwice(Function):
    """Stands for the gradient of an op whose backward is not differentiable; differentiating it raises."""

    def __init__(self, op: Function):
        self.op_label = _who(op)

    def backward(self, grad):
        raise RuntimeError(
            f"{self.op_label} is not twice differentiable: its backward is marked differentiable=False, "
            "so gradients of its gradients cannot be computed"
        )


def _as_grad(fn: Function, i: int, t: Tensor, g) -> Tensor:
    """Check one gradient returned by ``fn.backward`` against input ``i`` and fit it to its shape and dtype."""
    if not isinstance(g, Tensor):
        if isinstance(g, np.ndarray):
            g = _wrap(g)
        else:
            raise TypeError(
                f"{_who(fn)}: backward returned {type(g).__name__} for input {i}; expected a Tensor or None"
            )
    shape = t._data.shape
    if g._data.shape != shape:
        try:
            g = sum_to(g, shape)
        except ValueError:
            raise RuntimeError(
                f"{_who(fn)}: backward returned a gradient of shape {tuple(g._data.shape)} for input {i}, "
                f"which has shape {tuple(shape)}"
            ) from None
    if g._data.dtype != t._data.dtype:
        g = g.type(t.dtype)
    return g


def _check_versions(fn: Function) -> None:
    """Refuse to backward through ``fn`` if an input whose value its backward reads was changed in place."""
    for i, (t, v) in enumerate(zip(fn.inputs, fn._versions)):
        if t._version != v and i not in fn.unread_inputs:
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: input {i} (shape {tuple(t.shape)}) of {fn.name()} is at version {t._version}; "
                f"expected version {v} instead"
            )


def _node_grads(fn: Function, g: Tensor) -> tuple:
    """Check the inputs' versions, run ``fn.backward`` and return its gradients, one per input."""
    for t, v in zip(fn.inputs, fn._versions):
        if t._version != v:
            _check_versions(fn)
            break
    grads = fn.backward(g)
    if type(grads) is not tuple:
        grads = tuple(grads) if isinstance(grads, list) else (grads,)
    if len(grads) != len(fn.inputs):
        raise RuntimeError(
            f"{_who(fn)}: backward returned {len(grads)} gradients but the op has {len(fn.inputs)} inputs"
        )
    return grads


def _call_backward(fn: Function, g: Tensor, create_graph: bool) -> tuple:
    """Run one node's backward (hooks first) and return one checked gradient (or None) per input."""
    if fn._hooks:
        for hook in fn._hooks:
            r = hook(g)
            if r is not None:
                g = r
    once_differentiable = create_graph and not fn.differentiable
    if once_differentiable:
        with grad_mode.no_grad():
            grads = _node_grads(fn, g)
    else:
        grads = _node_grads(fn, g)
    out = []
    for i, (t, ig, need) in enumerate(zip(fn.inputs, grads, fn.needs_input_grad)):
        if ig is None or not need:
            out.append(None)
            continue
        ig = _as_grad(fn, i, t, ig)
        if once_differentiable:
            node = NotDifferentiableTwice(fn)
            node.inputs, node.needs_input_grad = fn.inputs, fn.needs_input_grad
            node._versions, node._producers, node._hooks = fn._versions, fn._producers, None
            ig = _wrap(ig._data, node)
        out.append(ig)
    return out


def _free(fn: Function) -> None:
    fn.inputs = fn._producers = None
    fn.__dict__.clear()


def run(roots: list, root_grads: list, retain_graph: bool, create_graph: bool, capture: dict | None = None) -> dict:
    """Propagate ``root_grads`` from ``roots`` to every leaf; return {id(leaf): (leaf, grad)}.

    ``capture`` maps nodes to slots: the gradient arriving at each such node is stored there
    (that is how ``grad()`` reads gradients of non-leaf tensors).
    """
    grads: dict = {}
    leaves: dict = {}
    for t, g in zip(roots, root_grads):
        _add(t, t.grad_fn, g, grads, leaves)
    order = _toposort([t.grad_fn for t in roots if t.grad_fn is not None])
    prev = grad_mode._enabled
    grad_mode._enabled = create_graph
    try:
        for fn in order:
            g = grads.pop(fn, None)
            if g is not None:
                if capture is not None and fn in capture:
                    capture[fn] = g
                if create_graph or fn._hooks:
                    in_grads = _call_backward(fn, g, create_graph)
                else:  # the common case: first order, no hooks; _call_backward's fitting is inlined below
                    in_grads = _node_grads(fn, g)
                i = -1
                for t, p, ig, need in zip(fn.inputs, fn._producers, in_grads, fn.needs_input_grad):
                    i += 1
                    if ig is None or not need:
                        continue
                    if type(ig) is not Tensor or ig._data.shape != t._data.shape or ig._data.dtype != t._data.dtype:
                        ig = _as_grad(fn, i, t, ig)
                    if p is not None:  # _add, inlined: this loop runs once per edge of the graph
                        old = grads.get(p)
                        grads[p] = ig if old is None else old + ig
                    else:
                        key = id(t)
                        old = leaves.get(key)
                        leaves[key] = (t, ig) if old is None else (t, old[1] + ig)
            if not retain_graph:
                _free(fn)
    finally:
        grad_mode._enabled = prev
    return leaves


def _add(t: Tensor, fn: Function | None, g: Tensor, grads: dict, leaves: dict) -> None:
    """Add ``g`` to the gradient of ``t``, whose history is ``fn`` (None for a leaf)."""
    if fn is not None:
        old = grads.get(fn)
        grads[fn] = g if old is None else old + g
    else:
        key = id(t)
        old = leaves.get(key)
        leaves[key] = (t, g) if old is None else (t, old[1] + g)


def _root_grads(outputs: Sequence[Tensor], grad_outputs) -> list:
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"got {len(grad_outputs)} gradients for {len(outputs)} outputs")
    result = []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward: output {i} is a {type(t).__name__}, not a Tensor")
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (output {i} has shape {tuple(t.shape)})"
                )
            g = _wrap(np.ones(t._data.shape, t._data.dtype))
        else:
            if not isinstance(g, Tensor):
                g = _wrap(np.asarray(g, dtype=t._data.dtype))
            if g._data.shape != t._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and output[{i}] "
                    f"has a shape of {tuple(t.shape)}"
                )
            if g._data.dtype != t._data.dtype:
                g = g.type(t.dtype)
        result.append(g)
    return result


def _as_list(x) -> list:
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """Accumulate gradients of ``tensors`` into ``.grad`` of the leaves (``torch.autograd.backward``).

    Args:
        tensors: tensors to differentiate.
        grad_tensors: the gradient with respect to each tensor (None for one-element tensors).
        retain_graph: keep the graph for another backward; defaults to ``create_graph``.
        create_graph: record the backward pass to allow higher-order derivatives.
        inputs: if given, accumulate only into these leaf tensors.
    """
    tensors = _as_list(tensors)
    roots = _root_grads(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    leaves = run(tensors, roots, retain_graph, create_graph)
    wanted = None if inputs is None else {id(t) for t in _as_list(inputs)}
    seen_arrays = {id(g._data) for g in roots}
    for key, (leaf, g) in leaves.items():
        if wanted is not None and key not in wanted:
            continue
        if not leaf._hooks:
            _accumulate(leaf, g, create_graph, seen_arrays)
            continue
        for hook in leaf._hooks:
            r = hook(g)
            if r is not None:
                g = r
                seen_arrays.add(id(r._data))  # the hook's tensor may be referenced elsewhere
        _accumulate(leaf, g, create_graph, seen_arrays)
        for hook in list(leaf._hooks):
            if type(hook) is PostAccumulateGradHook:
                hook.fn(leaf)


def _accumulate(leaf: Tensor, g: Tensor, create_graph: bool, seen_arrays: set) -> None:
    """Add ``g`` into ``leaf.grad``. A new ``.grad`` owns its memory: optimizers update it in place."""
    if leaf.grad is None:
        if create_graph:
            g = g.clone()  # recorded, so the copy stays differentiable
        else:
            a = g._data
            if a.base is not None or not a.flags.writeable or id(a) in seen_arrays:
                a = a.copy(order="K")  # keep the layout: it is usually the parameter's
            seen_arrays.add(id(a))
            g = _wrap(a)
        leaf.grad = g
    elif create_graph or leaf.grad._requires_grad:
        leaf.grad = leaf.grad + g
    else:
        old = leaf.grad._data
        if old.flags.writeable and old.shape == g._data.shape:
            old += g._data
            leaf.grad._version += 1
        else:
            leaf.grad = _wrap(old + g._data)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False,
         materialize_grads=False) -> tuple:  # fmt: skip
    """Return d(outputs)/d(inputs) without touching ``.grad`` (``torch.autograd.grad``).

    Args:
        outputs: tensor or sequence of tensors to differentiate.
        inputs: tensors to differentiate with respect to (leaves or intermediate results).
        grad_outputs: gradient with respect to each output (None for one-element outputs).
        retain_graph: keep the graph; defaults to ``create_graph``.
        create_graph: record the computation so the result can be differentiated again.
        allow_unused: return None for an input the outputs do not depend on instead of raising.
        materialize_grads: return zeros instead of None for unused inputs.
    """
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t._requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    roots = _root_grads(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    capture = {t.grad_fn: None for t in inputs if t.grad_fn is not None}
    leaves = run(outputs, roots, retain_graph, create_graph, capture)
    result = []
    for i, t in enumerate(inputs):
        g = capture.get(t.grad_fn) if t.grad_fn is not None else leaves.get(id(t), (None, None))[1]
        if g is not None and t.grad_fn is None and t._hooks:  # a leaf's gradient hooks, as backward() runs them
            for hook in t._hooks:
                r = hook(g)
                if r is not None:
                    g = r
        if g is None:
            if materialize_grads:
                g = _wrap(np.zeros_like(t._data))
            elif not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}, shape {tuple(t.shape)}) appears to not have "
                    "been used in the graph. Set allow_unused=True if this is the desired behavior."
                )
        elif not create_graph and g._requires_grad:
            g = g.detach()
        result.append(g)
    return tuple(result)
