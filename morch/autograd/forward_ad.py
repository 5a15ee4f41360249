"""``morch.autograd.forward_ad``: forward-mode AD with PyTorch's API (``dual_level``, ``make_dual``,
``unpack_dual``), built on morch's reverse mode.

morch propagates no tangents while ops run. A dual tensor is an ordinary graph-recording tensor
whose tangent is kept in the current level's registry; ``unpack_dual(y)`` then computes
``J t = d/du <vjp(y, u), t>`` by differentiating a vector-Jacobian product with respect to its
vector (two ``grad`` calls, the first with ``create_graph``), summing over the level's duals. Each
``unpack_dual`` of a computed tensor therefore costs about two to three backward passes over the
graph between the duals and that tensor, and ops run under ``no_grad`` carry no tangent.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import NamedTuple

import numpy as np

from morch.autograd import engine, grad_mode
from morch.autograd.function import Function
from morch.tensor import Tensor, _view, _wrap

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual"]

_current_level = -1  # the open level (morch, like PyTorch, supports one at a time); -1: none
_duals: dict[int, tuple] = {}  # id(dual) -> (dual, handle on its node, tangent) for the open level
_cutting = [False]  # set while unpack_dual differentiates: primal views then pass no tangent


class UnpackedDualTensor(NamedTuple):
    """What ``unpack_dual`` returns: the primal (a view of the tensor) and its tangent (or None)."""

    primal: Tensor
    tangent: Tensor | None


class DualView(Function):
    """The identity as a view: the node a dual tensor (or an unpacked primal) hangs from. Reverse-mode
    gradients pass unchanged; while ``unpack_dual`` differentiates they are cut (detached), so a
    tangent never flows from the tensor behind the view into the view."""

    def forward(self, a):
        return a.view()

    def backward(self, grad):
        return grad.detach() if _cutting[0] else grad


def _alias(t: Tensor) -> Tensor:
    """A view of ``t`` through a DualView node (recorded when ``t`` requires grad and grad mode is on)."""
    return _view(DualView.apply(t), t)


def enter_dual_level() -> int:
    """Open a forward-AD level and return its number (0). Only one level can be open at a time."""
    global _current_level
    if _current_level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current_level = 0
    return _current_level


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the forward-AD level: its dual tensors lose their tangents.

    Args:
        level: the level to close (default: the open one); it must be the open one.
    """
    global _current_level
    level = _current_level if level is None else level
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    if level != _current_level:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. This is not supported."
        )
    _duals.clear()
    _current_level = -1


class dual_level(contextlib.ContextDecorator):
    """Context manager (or decorator) that opens a forward-AD level on entry and closes it on exit;
    ``with dual_level() as level:`` gives the level's number."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc) -> None:
        exit_dual_level()


def _check_level(level: int | None, fn: str) -> int:
    if level is not None and level != _current_level:
        raise RuntimeError(f"Invalid level given to {fn}")
    return _current_level


def _check_float(t, what: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"make_dual: the {what} must be a Tensor, got {type(t).__name__}")
    if not (t.is_floating_point() or t.is_complex()):
        raise ValueError(f"Expected {what} to be floating point or complex, but got: {t.dtype}")


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A dual tensor: a view of ``tensor`` whose tangent (directional derivative) is ``tangent``.

    The result records ops (it requires grad, even when ``tensor`` does not), and reverse-mode
    gradients through it reach ``tensor`` as through any view. It is made with grad mode on even
    inside ``no_grad``, but ops run under ``no_grad`` afterwards carry no tangent (a warning says so).

    Args:
        tensor: the primal, a floating-point tensor.
        tangent: its tangent, a floating-point tensor of the same shape.
        level: the level (default: the open one).
    """
    if _current_level < 0:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to enter_dual_level() first."
        )
    level = _check_level(level, "make_dual")
    _check_float(tensor, "primal")
    _check_float(tangent, "tangent")
    if tuple(tensor.shape) != tuple(tangent.shape):
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, this is "
            f"not supported. Tensor is of size {list(tensor.shape)} while the given forward gradient is of size "
            f"{list(tangent.shape)}."
        )
    if id(tensor) in _duals:
        raise RuntimeError(
            f"Making a dual Tensor based on a Tensor that already has a forward gradient at the same level {level} "
            "is not supported."
        )
    if not grad_mode.is_grad_enabled():
        warnings.warn(
            "make_dual under no_grad: morch computes tangents from the recorded graph, so ops run while grad mode "
            "is off give outputs without a tangent",
            stacklevel=2,
        )
    source = tensor if tensor.requires_grad else _view(tensor.detach().requires_grad_(True), tensor)
    with grad_mode.enable_grad():
        dual = _alias(source)
    # the handle keeps the dual's own node: an in-place op on the dual later gives it a new one
    _duals[id(dual)] = (dual, _wrap(dual._data, dual.grad_fn), tangent)
    return dual


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """The primal and tangent of ``tensor`` at the open level, as ``UnpackedDualTensor(primal, tangent)``.

    The primal is a view of ``tensor`` that keeps its reverse-mode graph but carries no tangent.
    The tangent is None when ``tensor`` depends on no dual tensor of the level (or no level is
    open); for a computed tensor it costs about 2-3 backward passes (see the module docstring)
    and is returned without a reverse-mode graph.

    Args:
        tensor: any tensor.
        level: the level (default: the open one).
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"unpack_dual(): argument 'tensor' must be Tensor, not {type(tensor).__name__}")
    if level is not None or _current_level >= 0:
        _check_level(level, "unpack_dual")
    return UnpackedDualTensor(_alias(tensor), _tangent(tensor))


def _tangent(y: Tensor) -> Tensor | None:
    """The sum over the level's duals of J_dual(y) @ tangent (None when y depends on none of them)."""
    if not _duals or not y.requires_grad:
        return None
    entry = _duals.get(id(y))
    if entry is not None and entry[0].grad_fn is entry[1].grad_fn:  # the dual itself, unchanged
        return entry[2]
    from morch.autograd.functional import _grads

    handles = [h for _, h, _ in _duals.values()]
    with grad_mode.enable_grad():
        u = _wrap(np.zeros_like(y._data)).requires_grad_(True)
        _cutting[0] = True
        try:
            vjps = engine.grad(y, handles, u, retain_graph=True, create_graph=True, allow_unused=True)
        finally:
            _cutting[0] = False
        used = [(g, t) for g, (_, _, t) in zip(vjps, _duals.values()) if g is not None and g.requires_grad]
        if not used:
            return None
        tangents = tuple(t if t.dtype == g.dtype else t.to(g.dtype) for g, t in used)
        return _grads(tuple(g for g, _ in used), (u,), tangents, False, False, "unpack_dual", "the tangent")[0]
