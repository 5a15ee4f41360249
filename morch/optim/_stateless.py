"""``swap_in_optimizer_params_and_state``: run an optimizer on other parameters and state for a while."""

from __future__ import annotations

import contextlib
from collections import defaultdict

from morch.tensor import Tensor


def _swap_error(message: str) -> RuntimeError:
    return RuntimeError(f"swap_in_optimizer_params_and_state: {message}")


def _check_state(state) -> dict:
    if not isinstance(state, dict):
        raise _swap_error(f"swapin_optim_state['state'] must be a dict keyed by packed parameter ids, got "
                          f"{type(state).__name__}")  # fmt: skip
    if any(isinstance(k, Tensor) for k in state):
        raise _swap_error("swapin_optim_state['state'] must be keyed by packed parameter ids, not tensors")
    if any(isinstance(k, int) and not isinstance(v, dict) for k, v in state.items()):
        raise _swap_error("each parameter's entry in swapin_optim_state['state'] must be a dict")
    return state


def _check_group(i: int, live: dict, saved) -> list:
    """The packed ids of saved group ``i``, after checking it against the live group."""
    if not isinstance(saved, dict):
        raise _swap_error(f"param group {i} of swapin_optim_state must be a dict, got {type(saved).__name__}")
    ids = saved.get("params")
    if not isinstance(ids, list) or not all(isinstance(k, int) for k in ids):
        raise _swap_error(f"param group {i}'s 'params' must be a list of packed parameter ids (as state_dict())")
    if len(ids) != len(live["params"]):
        raise _swap_error(f"param group {i} has {len(ids)} params, the live optimizer's group {len(live['params'])}")
    only_saved, only_live = sorted(set(saved) - set(live)), sorted(set(live) - set(saved))
    if only_saved or only_live:
        raise _swap_error(
            f"param group {i}'s keys must be the live group's: only in swap-in {only_saved}, only in live {only_live}"
        )
    return ids


@contextlib.contextmanager
def swap_in_optimizer_params_and_state(optimizer, swapin_parameters: dict, swapin_optim_state: dict):
    """Within the ``with`` block, ``optimizer`` works on the given parameters, hyperparameters and
    state instead of its own; its own are back on exit (even after an error).

    Unlike ``load_state_dict``, this swaps the parameters too, so ``step()`` updates the given
    tensors. The per-parameter state dicts are shallow copies: in-place updates of their tensors
    reach ``swapin_optim_state``, anything else done to them stays inside the block.

    Args:
        optimizer: an optimizer whose state already exists (it has stepped).
        swapin_parameters: a dict of tensors, in the order of the optimizer's parameters (e.g.
            ``dict(model.named_parameters())``); the keys are not used.
        swapin_optim_state: a dict shaped like ``optimizer.state_dict()`` whose groups have the same
            keys as the optimizer's.
    """
    if not optimizer.state:
        raise _swap_error("the optimizer's state must exist (step it once first)")
    if not isinstance(swapin_optim_state, dict):
        raise _swap_error(f"swapin_optim_state must be a state dict, got {type(swapin_optim_state).__name__}")
    state = _check_state(swapin_optim_state.get("state"))
    saved_groups = swapin_optim_state.get("param_groups")
    if not isinstance(saved_groups, list) or len(saved_groups) != len(optimizer.param_groups):
        raise _swap_error(f"swapin_optim_state['param_groups'] must be a list of {len(optimizer.param_groups)} dicts")
    tensors = list(swapin_parameters.values())
    groups, seen, start = [], set(), 0
    for i, (live, saved) in enumerate(zip(optimizer.param_groups, saved_groups)):
        ids = _check_group(i, live, saved)
        if start + len(ids) > len(tensors):
            raise _swap_error(f"{len(tensors)} swap-in parameters are fewer than the optimizer's param groups hold")
        groups.append((saved, tensors[start : start + len(ids)]))
        seen.update(ids)
        start += len(ids)
    extra = [k for k in state if k not in seen]
    if extra:
        raise _swap_error(f"swapin_optim_state['state'] has keys {extra!r} that no param group lists")

    own_state, own_groups = optimizer.state, [dict(g) for g in optimizer.param_groups]
    try:
        swapped: defaultdict = defaultdict(dict)
        for live, (saved, params) in zip(optimizer.param_groups, groups):
            live.update({k: v for k, v in saved.items() if k != "params"}, params=params)
            for p, k in zip(params, saved["params"]):
                swapped[p] = dict(state.get(k, {}))
        optimizer.state = swapped
        yield
    finally:
        for live, own in zip(optimizer.param_groups, own_groups):
            live.clear()
            live.update(own)
        optimizer.state = own_state
