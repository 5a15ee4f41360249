"""Adamax, NAdam, RAdam, Rprop, ASGD, LBFGS: trajectories against PyTorch, first steps by hand,
a quadratic minimised, state-dict round trips, validation."""

import math

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch.optim.adamax import Adamax
from morch.optim.asgd import ASGD
from morch.optim.nadam import NAdam
from morch.optim.radam import RAdam
from morch.optim.rprop import Rprop

OPTIMIZERS = {"Adamax": Adamax, "NAdam": NAdam, "RAdam": RAdam, "Rprop": Rprop, "ASGD": ASGD}
SHAPES = [(3, 4), (4,), (2, 3, 2)]
STEPS = 25

CASES = [
    ("Adamax", {"lr": 0.05}),
    ("Adamax", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.05, "maximize": True, "betas": (0.3, 0.8), "eps": 1e-3}),
    ("NAdam", {"lr": 0.05}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.05, "maximize": True, "momentum_decay": 0.05, "betas": (0.8, 0.9)}),
    ("RAdam", {"lr": 0.05}),
    ("RAdam", {"lr": 0.05, "betas": (0.9, 0.9)}),  # rho_t passes 5 early: the rectified branch runs
    ("RAdam", {"lr": 0.05, "betas": (0.8, 0.8), "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.05, "betas": (0.8, 0.8), "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.05, "betas": (0.8, 0.8), "maximize": True, "eps": 1e-3}),
    ("Rprop", {"lr": 0.01}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.1)}),
    ("Rprop", {"lr": 0.01, "maximize": True}),
    ("ASGD", {"lr": 0.05}),
    ("ASGD", {"lr": 0.05, "t0": 5, "lambd": 0.01, "alpha": 0.6}),
    ("ASGD", {"lr": 0.05, "t0": 3, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.05, "t0": 4, "maximize": True}),
]


def _case_id(case):
    name, kw = case
    return name + "-" + ("-".join(f"{k}={v}" for k, v in kw.items()) or "defaults")


def _inits(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in SHAPES]


def _coefs(seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in SHAPES]


def _grad(arr, c):
    # depends on the parameter, so the trajectories depend on every update so far
    return np.sin(arr) * c + 0.1 * arr


def _skip_at(k):
    # parameter 1 has no gradient on some steps: it is skipped, its state untouched
    return (1,) if k % 5 == 3 else ()


def _set_grads(params, coefs, skip=(), lib=morch):
    for i, (p, c) in enumerate(zip(params, coefs)):
        a = p.detach().numpy()
        p.grad = None if i in skip else lib.tensor(_grad(a, c).astype(a.dtype))


def _params(lib, inits, dtype):
    return [lib.tensor(a.astype(dtype), requires_grad=True) for a in inits]


def _assert_state_matches(mo, to, atol):
    ms, ts = mo.state_dict(), to.state_dict()
    for mg, tg in zip(ms["param_groups"], ts["param_groups"]):
        assert sorted(mg) == sorted(tg)
        for key, value in tg.items():
            assert mg[key] == value, key
    assert sorted(ms["state"]) == sorted(ts["state"])
    for k, tstate in ts["state"].items():
        mstate = ms["state"][k]
        assert list(mstate) == list(tstate)
        for name, tv in tstate.items():
            mv = mstate[name]
            assert tuple(mv.shape) == tuple(tv.shape), name
            assert str(mv.dtype).split(".")[-1] == str(tv.dtype).split(".")[-1], name
            np.testing.assert_allclose(mv.numpy(), tv.numpy(), rtol=0, atol=atol, err_msg=name)


@requires_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_trajectory_matches_torch(case, dtype):
    name, kw = case
    # torch fuses ``g + wd * p`` into one rounding (fma); numpy rounds twice, and a float32 ulp grows
    # along a trajectory, so float32 runs are kept short
    atol, steps = (1e-12, STEPS) if dtype == "float64" else (1e-6, 10)
    inits, coefs = _inits(), _coefs()
    mp, tp = _params(morch, inits, dtype), _params(torch, inits, dtype)
    mo, to = OPTIMIZERS[name](mp, **kw), getattr(torch.optim, name)(tp, **kw)
    for k in range(steps):
        _set_grads(mp, coefs, _skip_at(k), morch)
        _set_grads(tp, coefs, _skip_at(k), torch)
        mo.step()
        to.step()
        for m, t in zip(mp, tp):
            np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=0, atol=atol)
    _assert_state_matches(mo, to, atol)


@requires_torch
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_param_groups_with_own_options_match_torch(name):
    inits, coefs = _inits(), _coefs()
    mp, tp = _params(morch, inits, "float64"), _params(torch, inits, "float64")
    mo = OPTIMIZERS[name]([{"params": mp[:2]}, {"params": mp[2:], "lr": 0.003}], lr=0.02)
    to = getattr(torch.optim, name)([{"params": tp[:2]}, {"params": tp[2:], "lr": 0.003}], lr=0.02)
    for _ in range(10):
        _set_grads(mp, coefs, (), morch)
        _set_grads(tp, coefs, (), torch)
        mo.step()
        to.step()
    for m, t in zip(mp, tp):
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=0, atol=1e-12)


# ---------------------------------------------------------------- first steps by hand
def _one_step(cls, grads, p0=1.0, **kw):
    p = morch.tensor([p0], dtype=morch.float64, requires_grad=True)
    o = cls([p], **kw)
    out = []
    for g in grads:
        p.grad = morch.tensor([g], dtype=morch.float64)
        o.step()
        out.append(p.item())
    return out, o.state[p]


def test_adamax_first_step_by_hand():
    (p1,), st = _one_step(Adamax, [2.0], lr=0.1)
    # m = 0.1 * 2, u = |2| + eps, step lr / (1 - 0.9)
    assert p1 == pytest.approx(1 - 0.1 / 0.1 * 0.2 / (2 + 1e-8), abs=1e-15)
    assert st["exp_inf"].item() == pytest.approx(2 + 1e-8, abs=1e-15)


def test_nadam_first_step_by_hand():
    (p1,), st = _one_step(NAdam, [2.0], lr=0.1)
    mu1 = 0.9 * (1 - 0.5 * 0.96**0.004)
    mu2 = 0.9 * (1 - 0.5 * 0.96**0.008)
    denom = math.sqrt(0.001 * 4 / 0.001) + 1e-8
    expected = 1 - 0.1 * (1 - mu1) / (1 - mu1) * 2 / denom - 0.1 * mu2 / (1 - mu1 * mu2) * 0.2 / denom
    assert p1 == pytest.approx(expected, abs=1e-7)  # mu_product is float32, as in torch
    assert st["mu_product"].item() == pytest.approx(mu1, rel=1e-7)


def test_radam_first_steps_by_hand():
    # rho_1 = 1 <= 5: the first step is plain momentum with bias correction, p -= lr * g
    (p1, p2), _ = _one_step(RAdam, [2.0, 2.0], lr=0.1)
    assert p1 == pytest.approx(0.8, abs=1e-15)
    assert p2 == pytest.approx(0.6, abs=1e-12)  # m_hat stays 2 for a constant gradient


def test_rprop_steps_by_hand():
    # same sign: the step grows by etaplus; a sign flip shrinks it by etaminus and skips the move
    (p1, p2, p3, p4), st = _one_step(Rprop, [2.0, 3.0, -1.0, -1.0], lr=0.01)
    assert p1 == pytest.approx(0.99, abs=1e-15)
    assert p2 == pytest.approx(0.99 - 0.012, abs=1e-15)
    assert p3 == p2
    assert p4 == pytest.approx(p3 + 0.006, abs=1e-15)
    assert st["step_size"].item() == pytest.approx(0.006, abs=1e-15)


def test_asgd_first_steps_by_hand():
    (p1, p2), st = _one_step(ASGD, [2.0, 2.0], lr=0.1, t0=1)
    assert p1 == pytest.approx((1 - 1e-4 * 0.1) - 0.1 * 2, abs=1e-8)  # eta is float32, as in torch
    eta2 = 0.1 / (1 + 1e-4 * 0.1 * 1) ** 0.75
    assert p2 == pytest.approx(p1 * (1 - 1e-4 * eta2) - eta2 * 2, abs=1e-8)
    assert st["ax"].item() == pytest.approx(p2, abs=1e-12)  # mu = 1 / max(1, t - t0) is still 1
    assert st["eta"].dtype == morch.float32 and st["mu"].dtype == morch.float32


@pytest.mark.parametrize(
    "name, kw, steps",
    [
        ("Adamax", {"lr": 0.1}, 300),
        ("NAdam", {"lr": 0.1}, 300),
        ("RAdam", {"lr": 0.1}, 300),
        ("Rprop", {"lr": 0.01}, 100),
        ("ASGD", {"lr": 0.1, "t0": 50}, 200),
    ],
)
def test_quadratic_is_minimised(name, kw, steps):
    target = morch.tensor([1.5, -2.0, 0.5], dtype=morch.float64)
    x = morch.zeros(3, dtype=morch.float64, requires_grad=True)
    o = OPTIMIZERS[name]([x], **kw)

    def closure():
        o.zero_grad()
        loss = ((x - target) ** 2).sum()
        loss.backward()
        return loss

    first = o.step(closure).item()
    for _ in range(steps):
        last = o.step(closure).item()
    assert last < 1e-3 * first
    np.testing.assert_allclose(x.detach().numpy(), target.numpy(), atol=0.05)


def test_asgd_average_follows_the_parameters_after_t0():
    x = morch.zeros(1, dtype=morch.float64, requires_grad=True)
    o = ASGD([x], lr=0.1, t0=10)
    for _ in range(200):
        x.grad = 2 * (x.detach() - 3.0)
        o.step()
    assert o.state[x]["ax"].item() == pytest.approx(3.0, abs=0.05)
    assert o.state[x]["mu"].item() == pytest.approx(1 / 190)


# ---------------------------------------------------------------- state dicts, flags, validation
ROUND_TRIP = [
    ("Adamax", {"lr": 0.05, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.05, "betas": (0.8, 0.8)}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5)}),
    ("ASGD", {"lr": 0.05, "t0": 4}),
]


@pytest.mark.parametrize("case", ROUND_TRIP, ids=[_case_id(c) for c in ROUND_TRIP])
def test_state_dict_round_trip_resumes_exactly(case, tmp_path):
    # float32 parameters: the float32 scalars of the state (eta, mu, mu_product) load unchanged
    name, kw = case
    cls, coefs = OPTIMIZERS[name], _coefs()

    def train(o, params, steps):
        for _ in range(steps):
            _set_grads(params, coefs)
            o.step()

    straight = _params(morch, _inits(), "float32")
    train(cls(straight, **kw), straight, STEPS)
    first = _params(morch, _inits(), "float32")
    o1 = cls(first, **kw)
    train(o1, first, STEPS // 2)
    morch.save({"params": first, "optim": o1.state_dict()}, tmp_path / "ckpt.mt")
    ckpt = morch.load(tmp_path / "ckpt.mt")
    resumed = [morch.tensor(p.detach().numpy(), requires_grad=True) for p in ckpt["params"]]
    o2 = cls(resumed, lr=0.123)
    o2.load_state_dict(ckpt["optim"])
    assert o2.param_groups[0]["lr"] == kw["lr"]
    train(o2, resumed, STEPS - STEPS // 2)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_float32_stays_float32_and_flags_are_accepted(name):
    p = morch.randn(5, requires_grad=True)
    o = OPTIMIZERS[name]([p], foreach=True, capturable=True)
    p.grad = morch.randn(5)
    o.step()
    assert p.dtype == morch.float32
    assert all(v.dtype == morch.float32 for v in o.state[p].values())
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        OPTIMIZERS[name]([p], differentiable=True)


@pytest.mark.parametrize(
    "name, kwargs, match",
    [
        ("Adamax", {"lr": -0.1}, "Invalid learning rate: -0.1"),
        ("Adamax", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
        ("Adamax", {"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
        ("Adamax", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
        ("NAdam", {"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
        ("NAdam", {"momentum_decay": -0.1}, "Invalid momentum_decay value: -0.1"),
        ("NAdam", {"lr": float("nan")}, "Invalid learning rate: nan"),
        ("RAdam", {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
        ("RAdam", {"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
        ("Rprop", {"lr": -1}, "Invalid learning rate: -1"),
        ("Rprop", {"etas": (1.5, 2.0)}, "Invalid eta values: 1.5, 2.0"),
        ("Rprop", {"etas": (0.5, 0.9)}, "Invalid eta values: 0.5, 0.9"),
        ("ASGD", {"lr": -0.01}, "Invalid learning rate: -0.01"),
        ("ASGD", {"weight_decay": -0.01}, "Invalid weight_decay value: -0.01"),
    ],
)
def test_invalid_hyperparameters(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        OPTIMIZERS[name]([morch.randn(2, requires_grad=True)], **kwargs)
    if torch is not None:
        with pytest.raises(ValueError, match=match):
            getattr(torch.optim, name)([torch.randn(2, requires_grad=True)], **kwargs)


# ---------------------------------------------------------------- LBFGS
def _lbfgs_problem():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((7, 4)), rng.standard_normal(7)
    inits = [rng.standard_normal(4), rng.standard_normal((2, 3))]

    def loss_and_grads(w, c):
        # least squares with a quartic term on w, a Rosenbrock valley on the rows of c
        r = a @ w - b
        u, v = c[0], c[1]
        loss = r @ r + 0.1 * (w**4).sum() + (10 * (u - v**2) ** 2 + (1 - v) ** 2).sum()
        gw = 2 * a.T @ r + 0.4 * w**3
        gc = np.stack([20 * (u - v**2), -40 * v * (u - v**2) - 2 * (1 - v)])
        return loss, [gw, gc]

    return inits, loss_and_grads


def _lbfgs_run(lib, cls, kw, steps, params=None, opt=None):
    inits, loss_and_grads = _lbfgs_problem()
    params = params or [lib.tensor(x, requires_grad=True) for x in inits]
    opt = opt or cls(params, **kw)

    def closure():
        # the same float64 numbers in both libraries: only the optimizers' arithmetic differs
        loss, grads = loss_and_grads(*(p.detach().numpy() for p in params))
        for p, g in zip(params, grads):
            p.grad = lib.tensor(g)
        return lib.tensor(loss)

    out = []
    for _ in range(steps):
        loss = opt.step(closure)
        out.append((loss.item(), [p.detach().numpy().copy() for p in params]))
    return out, opt, params


LBFGS_CASES = [
    {},
    {"line_search_fn": "strong_wolfe"},
    {"lr": 0.1, "history_size": 3, "max_iter": 7},
    {"lr": 0.5, "max_iter": 10, "max_eval": 6, "line_search_fn": "strong_wolfe", "history_size": 2},
    {"tolerance_change": 1e-3, "tolerance_grad": 1e-2, "line_search_fn": "strong_wolfe"},
]


@requires_torch
@pytest.mark.parametrize("kw", LBFGS_CASES, ids=[str(k) for k in LBFGS_CASES])
def test_lbfgs_matches_torch(kw):
    from morch.optim.lbfgs import LBFGS

    m, mo, _ = _lbfgs_run(morch, LBFGS, kw, 4)
    t, to, _ = _lbfgs_run(torch, torch.optim.LBFGS, kw, 4)
    for (ml, mp), (tl, tp) in zip(m, t):
        assert ml == pytest.approx(tl, rel=1e-10)
        for a, b in zip(mp, tp):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
    ms, ts = mo.state_dict(), to.state_dict()
    assert list(ms["state"][0]) == list(ts["state"][0])
    for key in ("func_evals", "n_iter"):
        assert ms["state"][0][key] == ts["state"][0][key]
    assert len(ms["state"][0]["old_dirs"]) == len(ts["state"][0]["old_dirs"])
    assert ms["param_groups"][0] == {**ts["param_groups"][0], "lr": ts["param_groups"][0]["lr"]}


def test_lbfgs_first_iteration_by_hand():
    from morch.optim.lbfgs import LBFGS

    x = morch.tensor([3.0, -4.0], dtype=morch.float64, requires_grad=True)
    o = LBFGS([x], max_iter=1)

    def closure():
        o.zero_grad()
        loss = (x * x).sum() / 2
        loss.backward()
        return loss

    assert o.step(closure).item() == pytest.approx(12.5)
    # first direction -g = -x, step min(1, 1 / |g|_1) * lr = 1 / 7
    np.testing.assert_allclose(x.detach().numpy(), [3 * 6 / 7, -4 * 6 / 7], atol=1e-15)
    assert o.state[x]["func_evals"] == 1 and o.state[x]["n_iter"] == 1


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_minimises_an_ill_conditioned_quadratic(line_search_fn):
    from morch.optim.lbfgs import LBFGS

    scales = morch.tensor([1.0, 10.0, 100.0], dtype=morch.float64)
    target = morch.tensor([1.0, -2.0, 0.5], dtype=morch.float64)
    x = morch.zeros(3, dtype=morch.float64, requires_grad=True)
    o = LBFGS([x], max_iter=100, line_search_fn=line_search_fn)

    def closure():
        o.zero_grad()
        loss = (scales * (x - target) ** 2).sum()
        loss.backward()
        return loss

    first = o.step(closure).item()
    for _ in range(3):
        last = o.step(closure).item()
    assert last < 1e-9 * first
    np.testing.assert_allclose(x.detach().numpy(), target.numpy(), atol=1e-4)


def test_lbfgs_stops_at_once_when_the_gradient_is_small():
    from morch.optim.lbfgs import LBFGS

    x = morch.tensor([1e-8, -2e-8], dtype=morch.float64, requires_grad=True)
    o = LBFGS([x])

    def closure():
        o.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    o.step(closure)
    assert x.detach().numpy().tolist() == [1e-8, -2e-8]
    assert o.state[x] == {"func_evals": 1, "n_iter": 0}


def test_lbfgs_state_dict_round_trip_resumes_exactly(tmp_path):
    from morch.optim.lbfgs import LBFGS

    kw = {"line_search_fn": "strong_wolfe", "max_iter": 3, "history_size": 4}
    straight, _, _ = _lbfgs_run(morch, LBFGS, kw, 4)
    _, o1, p1 = _lbfgs_run(morch, LBFGS, kw, 2)
    morch.save({"params": p1, "optim": o1.state_dict()}, tmp_path / "ckpt.mt")
    ckpt = morch.load(tmp_path / "ckpt.mt")
    p2 = [morch.tensor(p.detach().numpy(), requires_grad=True) for p in ckpt["params"]]
    o2 = LBFGS(p2, lr=0.3)
    o2.load_state_dict(ckpt["optim"])
    assert o2.param_groups[0]["lr"] == 1 and o2.param_groups[0]["history_size"] == 4
    assert o2.state[p2[0]]["d"] is not o1.state[p1[0]]["d"]
    resumed, _, _ = _lbfgs_run(morch, LBFGS, kw, 2, params=p2, opt=o2)
    for (la, pa), (lb, pb) in zip(straight[2:], resumed):
        assert la == lb
        for a, b in zip(pa, pb):
            np.testing.assert_array_equal(a, b)


def test_lbfgs_argument_errors():
    from morch.optim.lbfgs import LBFGS

    a, b = morch.randn(2, requires_grad=True), morch.randn(2, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        LBFGS([a], lr=-1)
    with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options \(parameter groups\)"):
        LBFGS([{"params": [a]}, {"params": [b]}])
    o = LBFGS([a], line_search_fn="backtracking")
    assert o.defaults["max_eval"] == 25
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'closure'"):
        o.step()
    with pytest.raises(TypeError, match="needs a closure"):
        o.step(None)

    def closure():
        a.grad = morch.ones(2)
        return morch.tensor(1.0)

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        o.step(closure)


def test_lbfgs_float32_state_stays_float32():
    from morch.optim.lbfgs import LBFGS

    x = morch.tensor([1.0, 2.0], requires_grad=True)
    o = LBFGS([x], max_iter=3)

    def closure():
        o.zero_grad()
        loss = ((x - 3) ** 2).sum()
        loss.backward()
        return loss

    o.step(closure)
    o.step(closure)
    st = o.state[x]
    assert x.dtype == morch.float32
    assert st["d"].dtype == morch.float32 and st["prev_flat_grad"].dtype == morch.float32
    assert all(v.dtype == morch.float32 for v in st["old_dirs"])


def test_exported_from_morch_optim():
    from morch.optim.lbfgs import LBFGS

    for cls in [*OPTIMIZERS.values(), LBFGS]:
        assert getattr(morch.optim, cls.__name__) is cls
        assert cls.__name__ in morch.optim.__all__
