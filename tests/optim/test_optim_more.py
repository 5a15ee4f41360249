"""Adafactor, Muon, SparseAdam and swap_in_optimizer_params_and_state: trajectories against PyTorch,
first steps by hand, state dicts, validation."""

import copy
import math

import numpy as np
import pytest
from test_more_optimizers import _assert_state_matches

import morch
from helpers import requires_torch, torch
from morch import optim
from morch.optim._numerics import lerp_, round_bf16
from morch.optim.muon import zeropower_via_newtonschulz

STEPS = 15
ADAFACTOR_SHAPES = [(3, 4), (4,), (2, 3, 2), ()]
MUON_SHAPES = [(3, 4), (5, 2), (6, 6)]
SPARSE_SHAPES = [(6, 3), (5,), (4, 2, 2)]


def _inits(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def _grad(arr, c):
    # depends on the parameter, so the trajectories depend on every update so far
    return np.sin(arr) * c + 0.1 * arr


def _set_grads(params, coefs, k, lib, skip=True, rows=False):
    for i, (p, c) in enumerate(zip(params, coefs)):
        a = p.detach().numpy()
        if skip and i == 1 and k % 5 == 3:  # parameter 1 sometimes has no gradient: skipped, state untouched
            p.grad = None
            continue
        g = _grad(a, c)
        if rows and g.ndim:  # only some rows get a gradient, as from an embedding lookup
            g[np.arange(g.shape[0]) % 3 == k % 3] = 0
        p.grad = lib.tensor(g)
        if rows and lib is torch:
            p.grad = p.grad.to_sparse(sparse_dim=1)


def _run_both(name, kw, shapes, steps=STEPS, rows=False, skip=True, atol=1e-12):
    inits, coefs = _inits(shapes), _inits(shapes, seed=1)
    mp = [morch.tensor(a, requires_grad=True) for a in inits]
    tp = [torch.tensor(a, requires_grad=True) for a in inits]
    mo, to = getattr(optim, name)(mp, **kw), getattr(torch.optim, name)(tp, **kw)
    for k in range(steps):
        _set_grads(mp, coefs, k, morch, skip, rows)
        _set_grads(tp, coefs, k, torch, skip, rows)
        mo.step()
        to.step()
        for m, t in zip(mp, tp):
            np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=0, atol=atol)
    return mo, to


def _assert_sparse_adam_states_match(mo, to):
    # SparseAdam's step count is a Python int: _assert_state_matches compares tensors only
    ms, ts = mo.state_dict()["state"], to.state_dict()["state"]
    assert sorted(ms) == sorted(ts)
    for k, tstate in ts.items():
        assert list(ms[k]) == list(tstate) and ms[k]["step"] == tstate["step"]
        for name in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_allclose(ms[k][name].numpy(), tstate[name].numpy(), rtol=0, atol=1e-12)


def _round_trip(cls, params, kw, grads_fn, steps=4):
    """Step, save and load a state dict into a fresh optimizer over copies: both continue identically."""
    o = cls(params, **kw)
    for k in range(steps):
        grads_fn(params, k)
        o.step()
    saved = copy.deepcopy(o.state_dict())
    clones = [morch.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    o2 = cls(clones, **kw)
    o2.load_state_dict(saved)
    for k in range(steps, steps + 3):
        grads_fn(params, k)
        grads_fn(clones, k)
        o.step()
        o2.step()
    for p, q in zip(params, clones):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    return o2


def _grads_from(coefs):
    def fill(params, k):
        for p, c in zip(params, coefs):
            p.grad = morch.tensor(_grad(p.detach().numpy(), c) * (1 + 0.1 * k))

    return fill


# ---------------------------------------------------------------- shared helpers
def test_lerp_uses_torchs_two_branches():
    start, end = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    assert lerp_(start.copy(), end, 1.0).tolist() == end.tolist()  # exact at weight 1
    np.testing.assert_allclose(lerp_(start.copy(), end, 0.25), start + 0.25 * (end - start), rtol=1e-15)
    np.testing.assert_allclose(lerp_(start.copy(), end, 0.75), end - 0.25 * (end - start), rtol=1e-15)


@requires_torch
def test_round_bf16_matches_torch_casts():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(2000) * 10.0 ** rng.integers(-20, 20, 2000), [0.0, -0.0, np.inf]])
    for dtype in (np.float64, np.float32):
        expected = torch.tensor(x.astype(dtype)).bfloat16().float().numpy()
        np.testing.assert_array_equal(round_bf16(x.astype(dtype)), expected)
    assert np.isnan(round_bf16(np.array([np.nan]))).all()


# ---------------------------------------------------------------- Adafactor
ADAFACTOR_CASES = [
    {},
    {"lr": 0.1},
    {"lr": 0.05, "weight_decay": 0.1},
    {"maximize": True, "eps": (1e-3, 1e-2), "d": 2.0, "beta2_decay": -0.5},
]


@requires_torch
@pytest.mark.parametrize("kw", ADAFACTOR_CASES, ids=str)
def test_adafactor_trajectory_matches_torch(kw):
    mo, to = _run_both("Adafactor", kw, ADAFACTOR_SHAPES)
    _assert_state_matches(mo, to, 1e-12)


@requires_torch
def test_adafactor_float32_matches_torch():
    inits = _inits([(3, 4), (4,)])
    mp = [morch.tensor(a.astype("float32"), requires_grad=True) for a in inits]
    tp = [torch.tensor(a.astype("float32"), requires_grad=True) for a in inits]
    mo, to = optim.Adafactor(mp, lr=0.1), torch.optim.Adafactor(tp, lr=0.1)
    for _ in range(5):
        for ps, lib in ((mp, morch), (tp, torch)):
            for p in ps:
                p.grad = lib.tensor(np.cos(p.detach().numpy()))
        mo.step()
        to.step()
    for m, t in zip(mp, tp):
        assert m.dtype == morch.float32
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=0, atol=1e-6)


def test_adafactor_first_step_by_hand():
    # step 1 averages with weight 1: V = g**2, so U = sign(g), RMS(U) = 1 and p -= max(eps2, RMS(p)) * lr * sign(g)
    p = morch.tensor([3.0, -4.0], dtype=morch.float64, requires_grad=True)
    o = optim.Adafactor([p], lr=0.1)
    p.grad = morch.tensor([0.5, 2.0], dtype=morch.float64)
    o.step()
    rms = math.sqrt((9 + 16) / 2)
    np.testing.assert_allclose(p.detach().numpy(), [3.0 - 0.1 * rms, -4.0 - 0.1 * rms], rtol=1e-15)
    np.testing.assert_allclose(o.state[p]["variance"].numpy(), [0.25, 4.0], rtol=1e-15)


def test_adafactor_factored_state_of_a_matrix():
    w = morch.zeros(2, 3, 4, dtype=morch.float64, requires_grad=True)
    o = optim.Adafactor([w])
    g = np.arange(24.0).reshape(2, 3, 4)
    w.grad = morch.tensor(g)
    o.step()
    st = o.state[w]
    assert sorted(st) == ["col_var", "row_var", "step"] and st["step"].item() == 1
    np.testing.assert_allclose(st["row_var"].numpy(), (g**2).mean(-1, keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(st["col_var"].numpy(), (g**2).mean(-2, keepdims=True), rtol=1e-13)
    # the parameter is 0: the step is eps2 * lr * U, U's RMS clipped to d = 1
    assert np.abs(w.detach().numpy()).max() <= 1e-3 * 1e-2 * 24


def test_adafactor_state_dict_round_trip():
    inits, coefs = _inits(ADAFACTOR_SHAPES), _inits(ADAFACTOR_SHAPES, seed=1)
    params = [morch.tensor(a, requires_grad=True) for a in inits]
    o2 = _round_trip(optim.Adafactor, params, {"lr": 0.05, "weight_decay": 0.01}, _grads_from(coefs))
    assert tuple(o2.state[o2.param_groups[0]["params"][0]]["row_var"].shape) == (3, 1)


def test_adafactor_load_refuses_wrongly_shaped_factors():
    w = morch.zeros(3, 4, requires_grad=True)
    o = optim.Adafactor([w])
    w.grad = morch.ones(3, 4)
    o.step()
    sd = copy.deepcopy(o.state_dict())
    sd["state"][0]["row_var"] = morch.zeros(4, 1)
    with pytest.raises(ValueError, match=r"'row_var' of parameter 0 has shape \(4, 1\).*needs \(3, 1\)"):
        optim.Adafactor([morch.zeros(3, 4, requires_grad=True)]).load_state_dict(sd)


@requires_torch
def test_adafactor_loads_a_state_dict_from_torch_layout():
    inits, coefs = _inits(ADAFACTOR_SHAPES[:2]), _inits(ADAFACTOR_SHAPES[:2], seed=1)
    tp = [torch.tensor(a, requires_grad=True) for a in inits]
    to = torch.optim.Adafactor(tp)
    for p, c in zip(tp, coefs):
        p.grad = torch.tensor(_grad(p.detach().numpy(), c))
    to.step()
    tsd = to.state_dict()
    msd = {
        "param_groups": tsd["param_groups"],
        "state": {k: {n: morch.tensor(v.numpy()) for n, v in st.items()} for k, st in tsd["state"].items()},
    }
    mp = [morch.tensor(p.detach().numpy(), requires_grad=True) for p in tp]
    mo = optim.Adafactor(mp)
    mo.load_state_dict(msd)
    for ps, o, lib in ((mp, mo, morch), (tp, to, torch)):
        for p, c in zip(ps, coefs):
            p.grad = lib.tensor(_grad(p.detach().numpy(), c))
        o.step()
    for m, t in zip(mp, tp):
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=0, atol=1e-12)


def test_adafactor_defaults_and_added_group_checked():
    o = optim.Adafactor([morch.zeros(2, requires_grad=True)])
    assert o.defaults == {
        "lr": 1e-2, "beta2_decay": -0.8, "eps": (None, 1e-3), "d": 1.0, "weight_decay": 0.0, "foreach": None,
        "maximize": False,
    }  # fmt: skip
    with pytest.raises(ValueError, match="Clipping threshold d should be >= 1"):
        o.add_param_group({"params": [morch.zeros(2, requires_grad=True)], "d": 0.0})


# ---------------------------------------------------------------- Muon
MUON_CASES = [
    {},
    {"lr": 0.02},
    {"lr": 0.05, "nesterov": False, "adjust_lr_fn": "match_rms_adamw"},
    {"lr": 0.01, "momentum": 0.5, "ns_steps": 3, "weight_decay": 0.0, "adjust_lr_fn": "original"},
    {"lr": 0.02, "ns_coefficients": (2.0, -1.5, 0.5), "eps": 1e-3},
]


@requires_torch
@pytest.mark.parametrize("kw", MUON_CASES, ids=str)
def test_muon_trajectory_matches_torch(kw):
    # the iteration rounds to bfloat16 after each float32 product; OpenBLAS and torch sum those products in
    # different orders, so now and then an element rounds to the neighbouring bfloat16 (a 2**-8 relative
    # difference of one update): the trajectories agree to that, not to float64 precision
    mo, to = _run_both("Muon", kw, MUON_SHAPES, steps=8, atol=1e-4)
    _assert_state_matches(mo, to, 1e-4)


@requires_torch
@pytest.mark.parametrize("shape", [(4, 6), (7, 3), (16, 16), (3, 40)])
def test_newton_schulz_matches_torch_bitwise(shape):
    from torch.optim._muon import _zeropower_via_newtonschulz

    g = np.random.default_rng(0).standard_normal(shape)
    coeffs = (3.4445, -4.7750, 2.0315)
    expected = _zeropower_via_newtonschulz(torch.tensor(g), coeffs, 5, 1e-7).float().numpy()
    np.testing.assert_array_equal(zeropower_via_newtonschulz(g, coeffs, 5, 1e-7), expected)


def test_newton_schulz_orthogonalises():
    g = np.random.default_rng(3).standard_normal((8, 5))
    x = zeropower_via_newtonschulz(g, (3.4445, -4.7750, 2.0315), 5, 1e-7).astype(np.float64)
    u, _, vt = np.linalg.svd(g, full_matrices=False)
    s = np.linalg.svd(x, compute_uv=False)
    assert x.shape == g.shape and 0.5 < s.min() and s.max() < 1.3  # singular values pushed near 1
    assert np.abs(x - u @ vt).max() < 0.4  # the same singular vectors as g


def test_muon_first_step_by_hand():
    # momentum buffer 0.05 g; nesterov direction g + 0.95 (B - g); NS of a 1x2 row is its direction, scaled
    p = morch.tensor([[1.0, 2.0]], dtype=morch.float64, requires_grad=True)
    o = optim.Muon([p], lr=0.1, weight_decay=0.0, ns_steps=0)
    p.grad = morch.tensor([[3.0, 4.0]], dtype=morch.float64)
    o.step()
    np.testing.assert_allclose(o.state[p]["momentum_buffer"].numpy(), [[0.15, 0.2]], rtol=1e-15)
    # the direction is (0.6, 0.8) rounded to bfloat16 (8 significant bits); the 1x2 shape needs no lr scaling
    np.testing.assert_allclose(p.detach().numpy(), [[1.0 - 0.06, 2.0 - 0.08]], rtol=0, atol=0.1 * 2**-8)
    assert p.detach().numpy()[0, 1] == 2.0 - 0.1 * float(round_bf16(np.float32(0.8)))


def test_muon_state_dict_round_trip():
    inits, coefs = _inits(MUON_SHAPES), _inits(MUON_SHAPES, seed=1)
    params = [morch.tensor(a, requires_grad=True) for a in inits]
    o2 = _round_trip(optim.Muon, params, {"lr": 0.02}, _grads_from(coefs))
    assert list(o2.state[o2.param_groups[0]["params"][0]]) == ["momentum_buffer"]


def test_muon_refuses_non_matrices_and_too_many_steps():
    with pytest.raises(ValueError, match=r"Muon only supports 2D parameters .* size: morch.Size\(\[3\]\)"):
        optim.Muon([morch.zeros(3, requires_grad=True)])
    o = optim.Muon([morch.zeros(2, 2, requires_grad=True)])
    with pytest.raises(ValueError, match="Muon only supports 2D parameters"):
        o.add_param_group({"params": [morch.zeros(2, 2, 2, requires_grad=True)]})
    with pytest.raises(ValueError, match="Number of steps must be less than 100"):
        optim.Muon([morch.zeros(2, 2, requires_grad=True)], ns_steps=100)


# ---------------------------------------------------------------- SparseAdam
SPARSE_CASES = [{}, {"lr": 0.05}, {"lr": 0.05, "betas": (0.5, 0.8), "eps": 1e-3, "maximize": True}]


@requires_torch
@pytest.mark.parametrize("kw", SPARSE_CASES, ids=str)
def test_sparse_adam_matches_torch_on_row_sparse_gradients(kw):
    # torch gets the same gradients as sparse tensors holding only the rows with a gradient
    mo, to = _run_both("SparseAdam", kw, SPARSE_SHAPES, rows=True)
    _assert_sparse_adam_states_match(mo, to)


@requires_torch
def test_sparse_adam_trains_an_embedding_as_torch():
    weight = np.random.default_rng(0).standard_normal((10, 3))
    me, te = morch.nn.Embedding(10, 3, sparse=True), torch.nn.Embedding(10, 3, sparse=True)
    me.weight.data = morch.tensor(weight.copy())
    te.weight.data = torch.tensor(weight.copy())
    mo, to = optim.SparseAdam(me.parameters(), lr=0.1), torch.optim.SparseAdam(te.parameters(), lr=0.1)
    rng = np.random.default_rng(1)
    for _ in range(6):
        idx = rng.integers(0, 10, 5)
        for emb, o, lib in ((me, mo, morch), (te, to, torch)):
            o.zero_grad()
            (emb(lib.tensor(idx)) ** 2).sum().backward()
            o.step()
    np.testing.assert_allclose(me.weight.detach().numpy(), te.weight.detach().numpy(), rtol=0, atol=1e-12)


def test_sparse_adam_leaves_rows_without_gradient_alone():
    p = morch.ones(3, 2, dtype=morch.float64, requires_grad=True)
    o = optim.SparseAdam([p], lr=0.1)
    p.grad = morch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 0.0]], dtype=morch.float64)
    o.step()
    # the listed row moves by lr (Adam's first step is lr * sign(g) where g != 0), zeros inside it included
    np.testing.assert_allclose(p.detach().numpy(), [[1.0, 1.0], [0.9, 1.0], [1.0, 1.0]], rtol=1e-7)
    assert o.state[p]["step"] == 1 and isinstance(o.state[p]["step"], int)
    p.grad = morch.zeros(3, 2, dtype=morch.float64)
    o.step()  # nothing listed: the step count still grows, nothing moves
    assert o.state[p]["step"] == 2
    np.testing.assert_allclose(p.detach().numpy()[1], [0.9, 1.0], rtol=1e-7)


def test_sparse_adam_state_dict_round_trip():
    inits, coefs = _inits(SPARSE_SHAPES), _inits(SPARSE_SHAPES, seed=1)
    params = [morch.tensor(a, requires_grad=True) for a in inits]
    _round_trip(optim.SparseAdam, params, {"lr": 0.05}, _grads_from(coefs))


# torch's checks and wording: (optimizer, parameter shape, options, message)
VALIDATION_ERRORS = [
    ("Adafactor", (2,), {"lr": -1.0}, "Learning rate should be >= 0 but is: -1.0"),
    ("Adafactor", (2,), {"beta2_decay": 0.5}, "beta2_decay should be <= 0 but is: 0.5"),
    ("Adafactor", (2,), {"eps": (-1.0, 1e-3)}, "epsilon1 should be >= 0 but is: -1.0"),
    ("Adafactor", (2,), {"eps": (None, -1.0)}, "epsilon2 should be >= 0 but is: -1.0"),
    ("Adafactor", (2,), {"d": 0.5}, "Clipping threshold d should be >= 1 but is: 0.5"),
    ("Adafactor", (2,), {"weight_decay": -0.1}, "weight_decay should be >= 0 but is: -0.1"),
    ("Muon", (2, 2), {"lr": -1.0}, "Learning rate should be >= 0 but is: -1.0"),
    ("Muon", (2, 2), {"momentum": -0.5}, "momentum should be >= 0 but is: -0.5"),
    ("Muon", (2, 2), {"weight_decay": -0.1}, "weight decay should be >= 0 but is: -0.1"),
    ("Muon", (2, 2), {"adjust_lr_fn": "other"}, "Adjust learning rate function other is not supported"),
    ("SparseAdam", (2,), {"lr": 0.0}, "Invalid learning rate: 0.0"),
    ("SparseAdam", (2,), {"eps": 0.0}, "Invalid epsilon value: 0.0"),
    ("SparseAdam", (2,), {"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
    ("SparseAdam", (2,), {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
]


@pytest.mark.parametrize("name, shape, kw, message", VALIDATION_ERRORS, ids=lambda v: v if isinstance(v, str) else "")
def test_validation_as_torch(name, shape, kw, message):
    for lib in (morch, torch) if torch is not None else (morch,):
        with pytest.raises(ValueError, match=f"^{message}$"):
            getattr(lib.optim, name)([lib.zeros(shape, requires_grad=True)], **kw)


# ---------------------------------------------------------------- swap_in_optimizer_params_and_state
def _stepped_adam(lib):
    p = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    o = lib.optim.Adam([p], lr=0.1)
    p.grad = lib.tensor([1.0, -1.0], dtype=lib.float64)
    o.step()
    return p, o


def _swap_step(lib):
    p, o = _stepped_adam(lib)
    before = p.detach().numpy().copy()
    q = lib.tensor([5.0, 5.0], dtype=lib.float64, requires_grad=True)
    osd = copy.deepcopy(o.state_dict())
    osd["param_groups"][0]["lr"] = 0.5
    with lib.optim.swap_in_optimizer_params_and_state(o, {"w": q}, osd):
        assert o.param_groups[0]["params"][0] is q and o.param_groups[0]["lr"] == 0.5
        q.grad = lib.tensor([1.0, 1.0], dtype=lib.float64)
        o.step()
    assert o.param_groups[0]["params"][0] is p and o.param_groups[0]["lr"] == 0.1
    np.testing.assert_array_equal(p.detach().numpy(), before)  # the live parameter did not move
    assert float(o.state[p]["step"]) == 1.0
    return q.detach().numpy(), osd["state"][0]["exp_avg"].numpy(), float(osd["state"][0]["step"])


def test_swap_in_optimizer_params_and_state_steps_the_given_tensors():
    q, exp_avg, step = _swap_step(morch)
    assert step == 2.0 and q[0] < 5.0  # the swap-in state was updated in place
    if torch is not None:
        tq, texp_avg, tstep = _swap_step(torch)
        np.testing.assert_allclose(q, tq, rtol=1e-15)
        np.testing.assert_allclose(exp_avg, texp_avg, rtol=1e-15)
        assert step == tstep


def test_swap_in_optimizer_params_and_state_errors():
    p = morch.zeros(2, requires_grad=True)
    o = optim.Adam([p])
    with pytest.raises(RuntimeError, match="state must exist"), optim.swap_in_optimizer_params_and_state(o, {}, {}):
        pass
    p, o = _stepped_adam(morch)
    osd = copy.deepcopy(o.state_dict())
    del osd["param_groups"][0]["lr"]
    with pytest.raises(RuntimeError, match=r"only in live \['lr'\]"):
        with optim.swap_in_optimizer_params_and_state(o, {"w": morch.zeros(2)}, osd):
            pass
    osd = copy.deepcopy(o.state_dict())
    with pytest.raises(RuntimeError, match="fewer than"):
        with optim.swap_in_optimizer_params_and_state(o, {}, osd):
            pass
    assert o.param_groups[0]["params"][0] is p


def test_new_names_are_exported():
    for name in ("Adafactor", "Muon", "SparseAdam", "swap_in_optimizer_params_and_state"):
        assert name in optim.__all__ and hasattr(morch.optim, name)
