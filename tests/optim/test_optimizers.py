"""Optimizers: trajectories against PyTorch, state dicts, param groups, validation, zero_grad."""

import copy
import io
import math

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import optim

SHAPES = [(3, 4), (4,), (2, 3, 2)]
STEPS = 20

# every optimizer with its important option combinations
CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-3}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.2, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("AdamW", {"lr": 0.05, "amsgrad": True, "maximize": True, "betas": (0.5, 0.6)}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4}),
    ("Adadelta", {"weight_decay": 0.1}),
    ("Adadelta", {"maximize": True, "weight_decay": 0.05}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"lr": 0.1, "maximize": True, "eps": 1e-3}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.1, "eps": 1e-4}),
    ("RMSprop", {"lr": 0.01, "maximize": True, "momentum": 0.3}),
]


def _case_id(case):
    name, kw = case
    return name + "-" + ("-".join(f"{k}={v}" for k, v in kw.items()) or "defaults")


def _inits(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in SHAPES]


def _grad(arr: np.ndarray, c: np.ndarray) -> np.ndarray:
    # a bounded, parameter-dependent gradient: trajectories depend on every update so far
    return np.sin(arr) * c + 0.1 * arr


def _coefs(seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in SHAPES]


def _morch_params(inits):
    return [morch.tensor(a.copy(), dtype=morch.float64, requires_grad=True) for a in inits]


def _set_grads(params, coefs, skip=()):
    for i, (p, c) in enumerate(zip(params, coefs)):
        p.grad = None if i in skip else morch.tensor(_grad(p.detach().numpy(), c), dtype=morch.float64)


def _set_torch_grads(params, coefs, skip=()):
    for i, (p, c) in enumerate(zip(params, coefs)):
        p.grad = None if i in skip else torch.tensor(_grad(p.detach().numpy(), c))


def _skip_at(k):
    # parameter 1 has no gradient on some steps: it must be skipped (state untouched), as in torch
    return (1,) if k % 5 == 3 else ()


@requires_torch
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_trajectory_matches_torch(case):
    name, kw = case
    inits, coefs = _inits(), _coefs()
    mp = _morch_params(inits)
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in inits]
    mo, to = getattr(optim, name)(mp, **kw), getattr(torch.optim, name)(tp, **kw)
    for k in range(STEPS):
        _set_grads(mp, coefs, _skip_at(k))
        _set_torch_grads(tp, coefs, _skip_at(k))
        mo.step()
        to.step()
        for m, t in zip(mp, tp):
            np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=0, atol=1e-6)
    _assert_state_dicts_match(mo.state_dict(), to.state_dict())


def _assert_state_dicts_match(ms, ts):
    assert [sorted(g) for g in ms["param_groups"]] == [sorted(g) for g in ts["param_groups"]]
    for mg, tg in zip(ms["param_groups"], ts["param_groups"]):
        for key, value in tg.items():
            assert mg[key] == value, key
    assert sorted(ms["state"]) == sorted(ts["state"])
    for k, tstate in ts["state"].items():
        mstate = ms["state"][k]
        assert list(mstate) == list(tstate)
        for name, tv in tstate.items():
            mv = mstate[name]
            assert isinstance(mv, morch.Tensor)
            assert tuple(mv.shape) == tuple(tv.shape), name
            np.testing.assert_allclose(mv.numpy(), tv.numpy(), rtol=0, atol=1e-6, err_msg=name)


@requires_torch
def test_param_groups_with_own_options_match_torch():
    inits, coefs = _inits(), _coefs()
    mp = _morch_params(inits)
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in inits]
    mo = optim.SGD([{"params": mp[:2]}, {"params": mp[2:], "lr": 0.01, "nesterov": True}], lr=0.1, momentum=0.9)
    to = torch.optim.SGD([{"params": tp[:2]}, {"params": tp[2:], "lr": 0.01, "nesterov": True}], lr=0.1, momentum=0.9)
    for _ in range(STEPS):
        _set_grads(mp, coefs)
        _set_torch_grads(tp, coefs)
        mo.step()
        to.step()
    for m, t in zip(mp, tp):
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=0, atol=1e-6)
    _assert_state_dicts_match(mo.state_dict(), to.state_dict())
    assert mo.param_groups[1]["lr"] == 0.01 and mo.param_groups[0]["lr"] == 0.1


@requires_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_closure_with_autograd_matches_torch(name):
    # the loss and its gradients come from autograd, through a closure as in torch
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    w0, b0 = rng.standard_normal((3, 1)), np.zeros(1)
    mw, mb = (morch.tensor(a, dtype=morch.float64, requires_grad=True) for a in (w0, b0))
    tw, tb = (torch.tensor(a, requires_grad=True) for a in (w0, b0))
    kw = {"lr": 0.05, "momentum": 0.5} if name != "Adam" else {"lr": 0.05}
    mo, to = getattr(optim, name)([mw, mb], **kw), getattr(torch.optim, name)([tw, tb], **kw)
    mx, my = morch.tensor(x, dtype=morch.float64), morch.tensor(y, dtype=morch.float64)
    tx, ty = torch.tensor(x), torch.tensor(y)

    def m_closure():
        mo.zero_grad()
        loss = ((mx @ mw + mb - my) ** 2).mean()
        loss.backward()
        return loss

    def t_closure():
        to.zero_grad()
        loss = ((tx @ tw + tb - ty) ** 2).mean()
        loss.backward()
        return loss

    for _ in range(STEPS):
        ml, tl = mo.step(m_closure), to.step(t_closure)
        assert ml.item() == pytest.approx(tl.item(), abs=1e-9)
    np.testing.assert_allclose(mw.detach().numpy(), tw.detach().numpy(), atol=1e-6)


def test_float32_parameters_stay_float32():
    p = morch.randn(5, requires_grad=True)
    for cls in (optim.SGD, optim.Adam, optim.AdamW, optim.Adadelta, optim.Adagrad, optim.RMSprop):
        o = cls([p], lr=0.01)
        p.grad = morch.randn(5)
        o.step()
        assert p.dtype == morch.float32
        assert all(v.dtype == morch.float32 for k, v in o.state[p].items() if k != "step")


def test_step_updates_in_place_and_bumps_version():
    p = morch.randn(4, requires_grad=True)
    arr, version = p._data, p._version
    o = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = morch.ones(4)
    o.step()
    assert p._data is arr
    assert p._version > version
    np.testing.assert_allclose(o.state[p]["momentum_buffer"].numpy(), np.ones(4))


def test_step_does_not_modify_the_gradient():
    p = morch.randn(4, requires_grad=True)
    for cls, kw in [(optim.SGD, {"momentum": 0.9, "weight_decay": 0.1, "maximize": True}), (optim.Adam, {})]:
        g = morch.randn(4)
        p.grad = g.clone()
        o = cls([p], lr=0.1, **kw)
        o.step()
        o.step()
        np.testing.assert_array_equal(p.grad.numpy(), g.numpy())


def test_stale_graph_is_detected_after_step():
    # the step bumps the version, so a graph that saved the old value refuses to backward
    p = morch.randn(3, requires_grad=True)
    loss = (p * p).sum()
    o = optim.SGD([p], lr=0.1)
    p.grad = morch.ones(3)
    o.step()
    with pytest.raises(RuntimeError, match="modified by an inplace"):
        loss.backward()


def test_parameters_without_grad_are_skipped():
    a, b = morch.randn(3, requires_grad=True), morch.randn(3, requires_grad=True)
    before = b.detach().clone()
    o = optim.Adam([a, b], lr=0.1)
    a.grad = morch.ones(3)
    o.step()
    np.testing.assert_array_equal(b.numpy(force=True), before.numpy())
    assert b not in o.state and len(o.state) == 1


def test_non_tensor_gradient_is_a_clear_error():
    p = morch.randn(3, requires_grad=True)
    p.grad = np.ones(3)
    with pytest.raises(TypeError, match=r"\.grad must be a Tensor, got ndarray"):
        optim.Adam([p]).step()


def test_wrong_gradient_shape_is_a_clear_error():
    p = morch.randn(3, requires_grad=True)
    p.grad = morch.ones(1)
    with pytest.raises(RuntimeError, match=r"gradient of shape \(1,\) does not match its parameter of shape \(3,\)"):
        optim.SGD([p], lr=0.1).step()


# ---------------------------------------------------------------- zero_grad
def test_zero_grad_sets_to_none_by_default():
    p = morch.randn(3, requires_grad=True)
    p.grad = morch.ones(3)
    optim.SGD([p], lr=0.1).zero_grad()
    assert p.grad is None


def test_zero_grad_set_to_none_false_zeroes_in_place():
    p = morch.randn(3, requires_grad=True)
    (p * 2).sum().backward()
    g = p.grad
    optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert p.grad is g
    np.testing.assert_array_equal(g.numpy(), np.zeros(3))
    (p * 3).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), np.full(3, 3.0))


# ---------------------------------------------------------------- params argument and groups
def test_params_may_be_a_generator_and_named():
    ps = [morch.randn(2, requires_grad=True) for _ in range(3)]
    o = optim.SGD((p for p in ps), lr=0.1)
    assert o.param_groups[0]["params"] == ps
    named = optim.SGD([("a", ps[0]), ("b", ps[1])], lr=0.1)
    assert named.param_groups[0]["param_names"] == ["a", "b"]
    assert named.state_dict()["param_groups"][0]["param_names"] == ["a", "b"]


@pytest.mark.parametrize(
    "params, error, match",
    [
        ([], ValueError, "optimizer got an empty parameter list"),
        (morch.randn(2, requires_grad=True), TypeError, "iterable of Tensors or dicts"),
        ([np.zeros(2)], TypeError, "optimizer can only optimize Tensors, but one of the params is ndarray"),
        ({1, 2}, TypeError, "ordered collections"),
        (3, TypeError, "iterable of Tensors or dicts, but got int"),
    ],
)
def test_bad_params_argument(params, error, match):
    with pytest.raises(error, match=match):
        optim.SGD(params, lr=0.1)


def test_non_leaf_parameter_is_refused():
    p = morch.randn(2, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([p * 2], lr=0.1)


def test_add_param_group():
    a, b = morch.randn(2, requires_grad=True), morch.randn(2, requires_grad=True)
    o = optim.Adam([a], lr=0.1, betas=(0.8, 0.9))
    o.add_param_group({"params": b, "lr": 0.01})
    assert o.param_groups[1]["params"] == [b]
    assert o.param_groups[1]["lr"] == 0.01 and o.param_groups[1]["betas"] == (0.8, 0.9)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        o.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        o.add_param_group([a])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        o.add_param_group({"params": [morch.randn(2, requires_grad=True)], "lr": -1})
    assert len(o.param_groups) == 2


def test_duplicate_parameters_warn():
    a = morch.randn(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([a, a], lr=0.1)


def test_group_added_later_gets_state_lazily():
    a, b = morch.randn(2, requires_grad=True), morch.randn(2, requires_grad=True)
    o = optim.Adagrad([a], lr=0.1, initial_accumulator_value=0.5)
    assert set(o.state[a]) == {"step", "sum"}
    o.add_param_group({"params": [b]})
    a.grad, b.grad = morch.ones(2), morch.ones(2)
    o.step()
    np.testing.assert_allclose(o.state[b]["sum"].numpy(), np.full(2, 1.5))


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "name, kwargs, match",
    [
        ("SGD", {"lr": -0.1}, "Invalid learning rate: -0.1"),
        ("SGD", {"lr": 0.1, "momentum": -0.5}, "Invalid momentum value: -0.5"),
        ("SGD", {"lr": 0.1, "weight_decay": -1}, "Invalid weight_decay value: -1"),
        ("SGD", {"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
        ("SGD", {"lr": 0.1, "nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov momentum requires"),
        ("Adam", {"lr": -1e-3}, "Invalid learning rate: -0.001"),
        ("Adam", {"betas": (1.5, 0.9)}, "Invalid beta parameter at index 0: 1.5"),
        ("Adam", {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
        ("Adam", {"betas": (0.9,)}, "betas must be a pair"),
        ("Adam", {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
        ("Adam", {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
        ("AdamW", {"betas": (-0.1, 0.9)}, "Invalid beta parameter at index 0: -0.1"),
        ("Adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
        ("Adadelta", {"eps": -1}, "Invalid epsilon value: -1"),
        ("Adagrad", {"lr_decay": -1}, "Invalid lr_decay value: -1"),
        ("Adagrad", {"initial_accumulator_value": -1}, "Invalid initial_accumulator_value value: -1"),
        ("RMSprop", {"alpha": -0.1}, "Invalid alpha value: -0.1"),
        ("RMSprop", {"momentum": -0.1}, "Invalid momentum value: -0.1"),
        ("RMSprop", {"lr": float("nan")}, "Invalid learning rate: nan"),
    ],
)
def test_invalid_hyperparameters(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(optim, name)([morch.randn(2, requires_grad=True)], **kwargs)


def test_non_numeric_hyperparameter_is_a_type_error():
    with pytest.raises(TypeError, match="lr must be a real number, got str"):
        optim.SGD([morch.randn(2, requires_grad=True)], lr="0.1")


def test_invalid_default_is_caught_even_if_groups_override_it():
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([{"params": [morch.randn(2, requires_grad=True)], "lr": 0.1}], lr=-1)


def test_differentiable_is_refused_and_other_flags_accepted():
    p = morch.randn(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        optim.Adam([p], differentiable=True)
    optim.Adam([p], foreach=True, capturable=True)
    with pytest.raises(RuntimeError, match="cannot be `True` together"):
        optim.SGD([p], fused=True, foreach=True)


def test_tensor_lr_becomes_float():
    o = optim.SGD([morch.randn(2, requires_grad=True)], lr=morch.tensor(0.5))
    assert o.param_groups[0]["lr"] == 0.5 and isinstance(o.param_groups[0]["lr"], float)


# ---------------------------------------------------------------- state dicts
def _train(o, params, coefs, steps):
    for _ in range(steps):
        _set_grads(params, coefs)
        o.step()


@pytest.mark.parametrize("case", CASES[1::3], ids=[_case_id(c) for c in CASES[1::3]])
def test_state_dict_round_trip_resumes_exactly(case, tmp_path):
    name, kw = case
    coefs = _coefs()
    straight = _morch_params(_inits())
    o = getattr(optim, name)(straight, **kw)
    _train(o, straight, coefs, STEPS)

    first = _morch_params(_inits())
    o1 = getattr(optim, name)(first, **kw)
    _train(o1, first, coefs, STEPS // 2)
    morch.save({"params": first, "optim": o1.state_dict()}, tmp_path / "ckpt.mt")
    ckpt = morch.load(tmp_path / "ckpt.mt")
    assert all(p.requires_grad for p in ckpt["params"])
    resumed = [morch.tensor(p.detach().numpy(), dtype=morch.float64, requires_grad=True) for p in ckpt["params"]]
    o2 = getattr(optim, name)(resumed, lr=123.0)
    o2.load_state_dict(ckpt["optim"])
    assert o2.param_groups[0]["lr"] == o1.param_groups[0]["lr"]
    _train(o2, resumed, coefs, STEPS - STEPS // 2)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.numpy(force=True), b.numpy(force=True))


def test_state_dict_layout():
    a, b, c = (morch.randn(2, requires_grad=True) for _ in range(3))
    o = optim.SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1, momentum=0.9)
    for p in (a, c):
        p.grad = morch.ones(2)
    o.step()
    sd = o.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1] and sd["param_groups"][1]["params"] == [2]
    assert sorted(sd["state"]) == [0, 2]
    assert sd["state"][0]["momentum_buffer"] is o.state[a]["momentum_buffer"]  # not a copy, as torch
    assert sd["param_groups"][1]["lr"] == 0.5


def test_load_state_dict_does_not_alias_the_given_dict():
    p = morch.randn(2, requires_grad=True)
    o = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = morch.ones(2)
    o.step()
    sd = copy.deepcopy(o.state_dict())
    saved = sd["state"][0]["momentum_buffer"].numpy().copy()
    o.load_state_dict(sd)
    o.step()
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"].numpy(), saved)


def test_load_state_dict_casts_state_to_the_parameter_dtype():
    p64 = morch.randn(3, dtype=morch.float64, requires_grad=True)
    o = optim.Adam([p64], lr=0.1)
    p64.grad = morch.ones(3, dtype=morch.float64)
    o.step()
    p32 = morch.randn(3, requires_grad=True)
    o32 = optim.Adam([p32], lr=0.1)
    o32.load_state_dict(o.state_dict())
    assert o32.state[p32]["exp_avg"].dtype == morch.float32


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0])), "different number of parameter groups"),
        (lambda sd: sd["param_groups"][0]["params"].pop(), "doesn't match the size of optimizer's group"),
        (lambda sd: sd.pop("state"), "'state' and 'param_groups'"),
        (lambda sd: sd["state"][0].__setitem__("momentum_buffer", morch.ones(5)), r"has shape \(5,\)"),
    ],
)
def test_load_state_dict_mismatch_errors(mutate, match):
    ps = [morch.randn(2, requires_grad=True) for _ in range(2)]
    o = optim.SGD(ps, lr=0.1, momentum=0.9)
    for p in ps:
        p.grad = morch.ones(2)
    o.step()
    sd = copy.deepcopy(o.state_dict())
    mutate(sd)
    with pytest.raises(ValueError, match=match):
        o.load_state_dict(sd)


def test_optimizer_state_dict_saves_to_bytes():
    p = morch.randn(3, requires_grad=True)
    o = optim.AdamW([p], lr=0.1, amsgrad=True)
    p.grad = morch.ones(3)
    o.step()
    buf = io.BytesIO()
    morch.save(o.state_dict(), buf)
    buf.seek(0)
    sd = morch.load(buf)
    assert sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert list(sd["state"][0]) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    assert sd["state"][0]["step"].item() == 1.0 and sd["state"][0]["step"].shape == ()


def test_deepcopy_of_optimizer():
    p = morch.randn(3, requires_grad=True)
    o = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = morch.ones(3)
    o.step()
    o2 = copy.deepcopy(o)
    assert o2.param_groups[0]["lr"] == 0.1
    assert not math.isnan(o2.state_dict()["state"][0]["momentum_buffer"].sum().item())


def test_repr_lists_groups():
    o = optim.SGD([morch.randn(2, requires_grad=True)], lr=0.1)
    r = repr(o)
    assert r.startswith("SGD (") and "Parameter Group 0" in r and "lr: 0.1" in r


def test_custom_optimizer_written_as_in_torch():
    class PlainSGD(optim.Optimizer):
        def __init__(self, params, lr=optim.optimizer.required):
            super().__init__(params, {"lr": lr})

        @morch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad, alpha=-group["lr"])

    p = morch.ones(2, requires_grad=True)
    o = PlainSGD([p], lr=0.5)
    sched = optim.lr_scheduler.StepLR(o, step_size=1, gamma=0.5)
    for _ in range(2):
        p.grad = morch.ones(2)
        o.step()
        sched.step()
    assert p.detach().tolist() == [0.25, 0.25]
    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        PlainSGD([p])
