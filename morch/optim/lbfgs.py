"""L-BFGS: a quasi-Newton method with a limited history, optionally with a strong-Wolfe line search."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from morch.optim.optimizer import Optimizer, check_nonnegative
from morch.tensor import Tensor, _wrap


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
    ``bounds`` (default: the interval between x1 and x2); its midpoint if the cubic has no minimum."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1**2 - g1 * g2
    if disc < 0:
        return (lo + hi) / 2.0
    d2 = np.sqrt(disc)
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x, lo), hi)


def _strong_wolfe(obj_func, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Find a step ``t`` along ``d`` that satisfies the strong Wolfe conditions (a bracketing phase,
    then a zoom phase by cubic interpolation). ``obj_func(t)`` returns the loss and flat gradient at
    ``x + t d``. Returns ``(loss, flat_grad, t, number_of_evaluations)``."""
    d_norm = np.abs(d).max()
    f_new, g_new = obj_func(t)
    evals = 1
    gtd_new = g_new.dot(d)

    # bracketing: grow t until an interval is known to hold an acceptable step
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    bracket = None
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, bf, bg, bgtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bf, bg = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bf, bg, bgtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        # extrapolate: the next trial lies between a little past t and ten times t
        t_next = _cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(t + 0.01 * (t - t_prev), t * 10)
        )
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = obj_func(t)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if bracket is None:  # out of evaluations while still descending
        bracket, bf, bg = [0, t], [f, f_new], [g, g_new]

    # zoom: shrink the bracket until a point satisfies the conditions
    insufficient_progress = False
    low, high = (0, 1) if bf[0] <= bf[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bf[0], bgtd[0], bracket[1], bf[1], bgtd[1])
        # a trial too close to an end of the bracket twice in a row (or outside it) is moved
        # a tenth of the bracket inside, so the bracket keeps shrinking
        b_lo, b_hi = min(bracket), max(bracket)
        eps = 0.1 * (b_hi - b_lo)
        if min(b_hi - t, t - b_lo) < eps:
            if insufficient_progress or t >= b_hi or t <= b_lo:
                t = b_hi - eps if abs(t - b_hi) < abs(t - b_lo) else b_lo + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = obj_func(t)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bf[low]:
            # not enough decrease: t becomes the high end
            bracket[high], bf[high], bg[high], bgtd[high] = t, f_new, g_new, gtd_new
            low, high = (0, 1) if bf[0] <= bf[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bf[high], bg[high], bgtd[high] = bracket[low], bf[low], bg[low], bgtd[low]
            bracket[low], bf[low], bg[low], bgtd[low] = t, f_new, g_new, gtd_new
    return bf[low], bg[low], bracket[low], evals


def _pack(value):
    # state values as torch keeps them: vectors and scalars as tensors
    if isinstance(value, (np.ndarray, np.generic)):
        return _wrap(np.asarray(value))
    if isinstance(value, list):
        return [_pack(v) for v in value]
    return value


def _unpack(value):
    if isinstance(value, Tensor):
        return value._data if value._data.ndim else value._data[()]
    if isinstance(value, list):
        return [_unpack(v) for v in value]
    return value


def _copy_state(value, dtype):
    if isinstance(value, Tensor):
        arr = value._data
        return _wrap(np.array(arr, dtype if arr.dtype.kind == "f" else arr.dtype))
    if isinstance(value, list):
        return [_copy_state(v, dtype) for v in value]
    return value


class LBFGS(Optimizer):
    """L-BFGS, as ``torch.optim.LBFGS``.

    Each ``step(closure)`` runs up to ``max_iter`` iterations over all parameters flattened into
    one vector x with gradient g: the direction ``d = -H g`` comes from the two-loop recursion over
    the last ``history_size`` pairs ``(s = x_{k+1} - x_k, y = g_{k+1} - g_k)`` (pairs with
    ``y.s <= 1e-10`` are skipped), with ``H_0 = (y.s / y.y) I`` (``d = -g`` at the first iteration),
    and ``x += t d``, where ``t = lr`` (``min(1, 1 / |g|_1) * lr`` at the first iteration) or the
    step found by a strong-Wolfe line search. It stops early when ``max|g| <= tolerance_grad``,
    when the step or the loss change falls below ``tolerance_change``, or after ``max_eval``
    evaluations of the closure. Its state lives under the first parameter, as in torch.
    Unlike torch, complex and sparse parameters are not supported.

    Args:
        params: tensors to optimize (one parameter group only).
        lr: learning rate (the step length, or the line search's first trial).
        max_iter: maximal number of iterations per ``step``.
        max_eval: maximal number of closure evaluations per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when the largest gradient component is at most this.
        tolerance_change: stop when the step or the loss change is below this.
        history_size: the number of (s, y) pairs kept.
        line_search_fn: None (a fixed step) or ``'strong_wolfe'``.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _validate(self, group: dict) -> None:
        check_nonnegative(group, "lr")

    def _gather_flat_grad(self) -> np.ndarray:
        # a parameter without a gradient counts as a zero gradient
        parts = [
            np.zeros(p._data.size, p._data.dtype) if p.grad is None else p.grad._data.ravel() for p in self._params
        ]
        return np.concatenate(parts)

    def _add_grad(self, step_size, update: np.ndarray) -> None:
        offset = 0
        for p in self._params:
            a = p._data
            a += step_size * update[offset : offset + a.size].reshape(a.shape)
            offset += a.size
            p._version += 1

    def _directional_evaluate(self, closure, x: list[np.ndarray], t, d: np.ndarray):
        self._add_grad(t, d)
        loss = float(self._run_closure(closure))
        flat_grad = self._gather_flat_grad()
        for p, saved in zip(self._params, x):
            np.copyto(p._data, saved)
            p._version += 1
        return loss, flat_grad

    def step(self, closure: Callable[[], Any]):  # type: ignore[override]
        """Perform one optimization step (up to ``max_iter`` iterations).

        Args:
            closure: a function that re-evaluates the model (zeroing and recomputing the
                gradients) and returns the loss; required.
        """
        if closure is None or not callable(closure):
            raise TypeError("LBFGS.step needs a closure that re-evaluates the model and returns the loss")
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        group = self.param_groups[0]
        self._params = group["params"]
        lr = group["lr"]
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._run_closure(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d, t = _unpack(state.get("d")), _unpack(state.get("t"))
        old_dirs, old_stps, ro = (
            _unpack(state.get("old_dirs")),
            _unpack(state.get("old_stps")),
            _unpack(state.get("ro")),
        )
        h_diag = _unpack(state.get("H_diag"))
        prev_flat_grad, prev_loss = _unpack(state.get("prev_flat_grad")), state.get("prev_loss")
        al = _unpack(state.get("al"))

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:  # keep only pairs that preserve a positive-definite approximation
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / y.dot(y)
                # two-loop recursion: d = -H g with H the L-BFGS inverse-Hessian approximation
                if al is None:
                    al = state["al"] = [None] * history_size  # filed now: torch's key order
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q += -al[i] * old_dirs[i]
                d = r = q * h_diag
                for i in range(len(old_dirs)):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                np.copyto(prev_flat_grad, flat_grad)
            prev_loss = loss

            t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction (any more)
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = [p._data.copy() for p in self._params]

                def obj_func(step, x_init=x_init, d=d):
                    return self._directional_evaluate(closure, x_init, step, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    # the last iteration's loss is not needed (and in a stochastic setting not useful)
                    loss = float(self._run_closure(closure))
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break  # no progress

        state["d"] = _pack(d)
        state["t"] = _pack(t)
        state["old_dirs"] = _pack(old_dirs)
        state["old_stps"] = _pack(old_stps)
        state["ro"] = _pack(ro)
        state["H_diag"] = _pack(h_diag)
        state["prev_flat_grad"] = _pack(prev_flat_grad)
        state["prev_loss"] = prev_loss
        if al is not None:
            state["al"] = _pack(al)
        return orig_loss

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict from ``state_dict()``.

        The state's vectors are flat (all parameters together), not shaped like the first
        parameter they are filed under, so they are copied here (floating ones in its dtype).

        Args:
            state_dict: the optimizer state, as returned by ``state_dict``.
        """
        if not isinstance(state_dict, dict) or "state" not in state_dict:
            raise ValueError("optimizer state dict must be a dict with 'state' and 'param_groups' entries")
        super().load_state_dict({**state_dict, "state": {}})
        self._params = self.param_groups[0]["params"]
        for k, saved in state_dict["state"].items():
            p = self._params[k] if isinstance(k, int) and 0 <= k < len(self._params) else None
            dtype = p._data.dtype if p is not None else None
            self.state[p if p is not None else k] = {name: _copy_state(v, dtype) for name, v in saved.items()}
