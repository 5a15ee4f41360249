"""Optimizer step hooks: per optimizer (register_step_pre_hook / _post_hook) and global
(morch.optim.optimizer.register_optimizer_step_pre_hook / _post_hook), in PyTorch's order."""

import pytest

import morch
from morch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook


def _setup(fw, opt_cls="SGD"):
    fw.manual_seed(0)
    lin = fw.nn.Linear(3, 2)
    opt = getattr(fw.optim, opt_cls)(lin.parameters(), lr=0.1)
    lin(fw.ones(4, 3)).sum().backward()
    return lin, opt


def _order_and_args(fw):
    _, opt = _setup(fw)
    seen = []
    mod = __import__(fw.__name__ + ".optim.optimizer", fromlist=["x"])
    handles = [
        mod.register_optimizer_step_pre_hook(lambda o, a, k: seen.append(("global pre", a[0] is o, len(a), dict(k)))),
        opt.register_step_pre_hook(lambda o, a, k: seen.append(("pre", a[0] is o, len(a), dict(k)))),
        opt.register_step_post_hook(lambda o, a, k: seen.append(("post", a[0] is o, len(a), dict(k)))),
        mod.register_optimizer_step_post_hook(lambda o, a, k: seen.append(("global post", a[0] is o, len(a), dict(k)))),
    ]
    try:
        opt.step()
        opt.step(closure=None)
    finally:
        for h in handles:
            h.remove()
    opt.step()  # removed: nothing more is recorded
    return seen


def test_hooks_run_in_pytorch_order_with_the_optimizer_first_in_args():
    seen = _order_and_args(morch)
    names = [s[0] for s in seen]
    assert names == ["global pre", "pre", "post", "global post"] * 2
    assert all(s[1] and s[2] == 1 for s in seen)
    assert seen[-1][3] == {"closure": None}


def test_the_same_as_pytorch():
    torch = pytest.importorskip("torch")
    assert _order_and_args(morch) == _order_and_args(torch)


def test_a_pre_hook_can_replace_the_arguments():
    _, opt = _setup(morch)
    calls = []

    def closure():
        calls.append(1)
        return morch.tensor(0.5)

    opt.register_step_pre_hook(lambda o, a, k: (a, {"closure": closure}))
    assert opt.step().item() == 0.5 and calls == [1]


def test_a_pre_hook_returning_something_else_is_an_error():
    _, opt = _setup(morch)
    opt.register_step_pre_hook(lambda o, a, k: 42)
    with pytest.raises(RuntimeError, match="must return None or a tuple of \\(new_args, new_kwargs\\), but got 42"):
        opt.step()


def test_hooks_see_the_update_and_run_once_for_subclassed_steps():
    lin, opt = _setup(morch, "AdamW")  # AdamW's step builds on Adam's
    before = []
    after = []
    opt.register_step_pre_hook(lambda o, a, k: before.append(lin.weight.detach().clone()))
    opt.register_step_post_hook(lambda o, a, k: after.append(lin.weight.detach().clone()))
    opt.step()
    assert len(before) == len(after) == 1
    assert not morch.equal(before[0], after[0])


def test_handles_work_as_context_managers_and_hooks_survive_state_dict_round_trips():
    lin, opt = _setup(morch)
    seen = []
    with opt.register_step_post_hook(lambda o, a, k: seen.append(1)):
        opt.step()
    opt.step()
    assert seen == [1]
    fresh = morch.optim.SGD(lin.parameters(), lr=0.1)
    fresh.load_state_dict(opt.state_dict())
    fresh.register_step_pre_hook(lambda o, a, k: seen.append(2))
    fresh.step()
    assert seen == [1, 2]


def test_global_hooks_see_every_optimizer():
    _, a = _setup(morch)
    _, b = _setup(morch, "Adam")
    seen = []
    handle = register_optimizer_step_pre_hook(lambda o, args, k: seen.append(type(o).__name__))
    post = register_optimizer_step_post_hook(lambda o, args, k: seen.append("done"))
    try:
        a.step()
        b.step()
    finally:
        handle.remove()
        post.remove()
    assert seen == ["SGD", "done", "Adam", "done"]
