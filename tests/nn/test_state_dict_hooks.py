"""State-dict hooks of modules and optimizers: when they run, what they may change, against torch."""

from __future__ import annotations

import pytest

import morch
from helpers import requires_torch, torch


def _module_log(L):
    log = []
    net = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.Linear(2, 1))
    net[0].register_state_dict_pre_hook(lambda m, prefix, keep: log.append(("pre", prefix)))
    net.register_state_dict_post_hook(lambda m, sd, prefix, meta: log.append(("post", prefix, len(sd))))

    def rename(m, sd, prefix, meta, strict, missing, unexpected, errors):
        log.append(("load_pre", prefix))
        if prefix + "w" in sd:
            sd[prefix + "weight"] = sd.pop(prefix + "w")

    net[1].register_load_state_dict_pre_hook(rename)

    def forgive(m, keys):
        log.append(("load_post", sorted(keys.missing_keys)))
        keys.missing_keys.clear()

    net.register_load_state_dict_post_hook(forgive)
    sd = dict(net.state_dict())
    sd["1.w"] = sd.pop("1.weight")
    del sd["0.bias"]
    result = net.load_state_dict(sd)
    log.append(("result", list(result.missing_keys), list(result.unexpected_keys)))
    return log


def test_module_hooks_by_hand():
    log = _module_log(morch)
    assert log[0] == ("pre", "0.") and log[1] == ("post", "", 4)
    assert ("load_pre", "1.") in log and ("load_post", ["0.bias"]) in log
    assert log[-1] == ("result", [], [])  # the renamed key loaded, the forgiven one is not an error


@requires_torch
def test_module_hooks_match_torch():
    assert _module_log(morch) == _module_log(torch)


def test_post_hooks_must_return_none():
    lin = morch.nn.Linear(2, 2)
    lin.register_state_dict_post_hook(lambda m, sd, prefix, meta: sd)
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        lin.state_dict()


def _optimizer_log(L, name):
    p = L.nn.Parameter(L.ones(2))
    opt = getattr(L.optim, name)([p], lr=0.1)
    log = []
    opt.register_state_dict_pre_hook(lambda o: log.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_pre_hook(
        lambda o, sd: log.append(sorted(sd)) or {k: v for k, v in sd.items() if k != "extra"}
    )
    opt.register_load_state_dict_post_hook(lambda o: log.append("post"), prepend=True)
    opt.register_load_state_dict_post_hook(lambda o: log.append("post2"))
    opt.load_state_dict(opt.state_dict())
    return log


@pytest.mark.parametrize("name", ["SGD", "AdamW", "LBFGS"])
def test_optimizer_hooks_run_once(name):
    assert _optimizer_log(morch, name) == ["pre", ["extra", "param_groups", "state"], "post", "post2"]


@requires_torch
@pytest.mark.parametrize("name", ["SGD", "AdamW", "LBFGS"])
def test_optimizer_hooks_match_torch(name):
    assert _optimizer_log(morch, name) == _optimizer_log(torch, name)
