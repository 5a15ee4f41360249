"""ConstantLR, LinearLR, PolynomialLR, CosineAnnealingWarmRestarts, OneCycleLR, CyclicLR,
SequentialLR, ChainedScheduler: lr (and momentum) sequences against PyTorch, state dicts, errors."""

import io
import warnings

import pytest

import morch
from helpers import requires_torch, torch
from morch import optim
from morch.optim import lr_scheduler as ls

EPOCHS = 30


def _mod(lib):
    return ls if lib is morch else torch.optim.lr_scheduler


def _opt(lib, kind="SGD", lrs=(0.1, 0.02)):
    """An optimizer over one parameter per group, in morch or torch."""
    zeros = morch.zeros if lib is morch else torch.zeros
    groups = [{"params": [zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "Adam":
        return (optim if lib is morch else torch.optim).Adam(groups, lr=lrs[0])
    return (optim if lib is morch else torch.optim).SGD(groups, lr=lrs[0], momentum=0.9)


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def _run(opt, sched, epochs, out):
    for _ in range(epochs):
        opt.step()
        sched.step()
        out.append((sched.get_last_lr(), _momenta(opt)))
        assert [g["lr"] for g in opt.param_groups] == out[-1][0]
    return out


def _sequence(lib, make, kind="SGD", epochs=EPOCHS):
    opt = _opt(lib, kind)
    sched = make(opt, _mod(lib))
    return _run(opt, sched, epochs, [(sched.get_last_lr(), _momenta(opt))])


def _sequential(o, m):
    return m.SequentialLR(o, [m.LinearLR(o, 0.1, total_iters=4), m.ExponentialLR(o, 0.9)], milestones=[5])


SCHEDULERS = {
    "ConstantLR": (lambda o, m: m.ConstantLR(o), "SGD"),
    "ConstantLR-factor": (lambda o, m: m.ConstantLR(o, factor=0.5, total_iters=7), "SGD"),
    "LinearLR": (lambda o, m: m.LinearLR(o), "SGD"),
    "LinearLR-decay": (lambda o, m: m.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=20), "SGD"),
    "PolynomialLR": (lambda o, m: m.PolynomialLR(o, total_iters=20), "SGD"),
    "PolynomialLR-power": (lambda o, m: m.PolynomialLR(o, total_iters=12, power=2.5), "SGD"),
    "WarmRestarts": (lambda o, m: m.CosineAnnealingWarmRestarts(o, T_0=7), "SGD"),
    "WarmRestarts-mult": (lambda o, m: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-3), "SGD"),
    "OneCycleLR": (lambda o, m: m.OneCycleLR(o, max_lr=1.0, total_steps=EPOCHS), "SGD"),
    "OneCycleLR-linear-adam": (
        lambda o, m: m.OneCycleLR(o, max_lr=[1.0, 0.5], epochs=3, steps_per_epoch=10, anneal_strategy="linear"),
        "Adam",
    ),
    "OneCycleLR-three-phase": (
        lambda o, m: m.OneCycleLR(o, max_lr=0.3, total_steps=EPOCHS, pct_start=0.25, three_phase=True),
        "SGD",
    ),
    "OneCycleLR-no-momentum": (
        lambda o, m: m.OneCycleLR(o, 0.3, EPOCHS, cycle_momentum=False, div_factor=10.0, final_div_factor=100.0),
        "SGD",
    ),
    "CyclicLR": (lambda o, m: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4), "SGD"),
    "CyclicLR-triangular2": (
        lambda o, m: m.CyclicLR(o, [0.01, 0.001], [0.1, 0.05], step_size_up=3, step_size_down=5, mode="triangular2"),
        "SGD",
    ),
    "CyclicLR-exp-range-adam": (
        lambda o, m: m.CyclicLR(o, 0.01, 0.1, step_size_up=5, mode="exp_range", gamma=0.95),
        "Adam",
    ),
    "CyclicLR-scale-fn": (
        lambda o, m: m.CyclicLR(
            o, 0.01, 0.1, 3, scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations", cycle_momentum=False
        ),
        "SGD",
    ),
    "SequentialLR": (_sequential, "SGD"),
    "SequentialLR-three": (
        lambda o, m: m.SequentialLR(
            o,
            [m.ConstantLR(o, 0.5, total_iters=3), m.CosineAnnealingLR(o, T_max=8), m.StepLR(o, 3, 0.5)],
            milestones=[4, 12],
        ),
        "SGD",
    ),
    "ChainedScheduler": (
        lambda o, m: m.ChainedScheduler([m.ConstantLR(o, 0.1, total_iters=2), m.ExponentialLR(o, 0.9)]),
        "SGD",
    ),
    "ChainedScheduler-warmup-cosine": (
        lambda o, m: m.ChainedScheduler([m.LinearLR(o, 0.2, total_iters=5), m.CosineAnnealingLR(o, 10)], o),
        "SGD",
    ),
}


@requires_torch
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_sequence_matches_torch(name):
    make, kind = SCHEDULERS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's SequentialLR steps its schedulers in a way that warns
        m = _sequence(morch, make, kind)
        t = _sequence(torch, make, kind)
    assert len(m) == len(t) == EPOCHS + 1
    for (ml, mm), (tl, tm) in zip(m, t):
        assert ml == pytest.approx(tl, rel=1e-12, abs=1e-15)
        assert mm == pytest.approx(tm, rel=1e-12)


def test_one_cycle_by_hand():
    opt = _opt(morch, "SGD", (0.1,))
    s = ls.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.2, anneal_strategy="linear")
    lrs, moms = [s.get_last_lr()[0]], [opt.param_groups[0]["momentum"]]
    for _ in range(9):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
    # up from 1/25 to 1 at step 1, then linearly down to 0.04/1e4 at step 9
    assert lrs[0] == pytest.approx(0.04) and lrs[1] == pytest.approx(1.0)
    assert lrs[9] == pytest.approx(4e-6)
    assert lrs[5] == pytest.approx(1.0 + (4e-6 - 1.0) * 4 / 8)
    assert moms[0] == pytest.approx(0.95) and moms[1] == pytest.approx(0.85) and moms[9] == pytest.approx(0.95)
    opt.step()
    s.step()  # step 10: the end of the last phase, extrapolated as in torch
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total steps is 10"):
        s.step()


def test_cyclic_triangular_by_hand():
    opt = _opt(morch, "SGD", (0.5,))
    s = ls.CyclicLR(opt, base_lr=0.0, max_lr=1.0, step_size_up=2, cycle_momentum=False)
    lrs = [s.get_last_lr()[0]]
    for _ in range(8):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
    assert lrs == pytest.approx([0, 0.5, 1, 0.5, 0, 0.5, 1, 0.5, 0])


def test_warm_restarts_fractional_epochs():
    opt = _opt(morch, "SGD", (1.0,))
    s = ls.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fractional epoch is the documented use: no deprecation warning
        opt.step()
        s.step(0.5)
    assert s.get_last_lr()[0] == pytest.approx((1 + 0.7071067811865476) / 2)
    s.step(3.0)  # the second period (length 4) starts at epoch 2
    assert s.T_i == 4 and s.T_cur == 1.0 and s.last_epoch == 3
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        s.step(-1)


def test_sequential_restarts_the_next_scheduler_at_its_milestone():
    opt = _opt(morch, "SGD", (1.0,))
    s = ls.SequentialLR(opt, [ls.ConstantLR(opt, 0.5, total_iters=10), ls.ExponentialLR(opt, 0.5)], [3])
    lrs = [s.get_last_lr()[0]]
    for _ in range(5):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
    assert lrs == pytest.approx([0.5, 0.5, 0.5, 1.0, 0.5, 0.25])


ROUND_TRIP = [
    "ConstantLR-factor",
    "LinearLR-decay",
    "PolynomialLR-power",
    "WarmRestarts-mult",
    "OneCycleLR-linear-adam",
    "CyclicLR-triangular2",
    "SequentialLR-three",
    "ChainedScheduler-warmup-cosine",
]


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_state_dict_round_trip(name):
    make, kind = SCHEDULERS[name]
    opt = _opt(morch, kind)
    sched = make(opt, ls)
    _run(opt, sched, 11, [])
    buf = io.BytesIO()
    morch.save({"sched": sched.state_dict(), "optim": opt.state_dict()}, buf)
    buf.seek(0)
    ckpt = morch.load(buf)

    opt2 = _opt(morch, kind, (0.7, 0.3))
    sched2 = make(opt2, ls)
    opt2.load_state_dict(ckpt["optim"])
    sched2.load_state_dict(ckpt["sched"])
    assert sched2.get_last_lr() == sched.get_last_lr()
    assert _run(opt2, sched2, 15, []) == _run(opt, sched, 15, [])


def test_cyclic_state_dict_keeps_callable_objects_only():
    class Scale:
        def __init__(self):
            self.k = 2.0

        def __call__(self, x):
            return 1 / (self.k * x)

    fn = Scale()
    s = ls.CyclicLR(_opt(morch), 0.01, 0.1, scale_fn=fn)
    sd = s.state_dict()
    assert sd["_scale_fn_custom"] == {"k": 2.0}
    fn.k = 5.0
    s.load_state_dict(sd)
    assert fn.k == 2.0 and s._scale_fn_custom is fn
    assert ls.CyclicLR(_opt(morch), 0.01, 0.1, scale_fn=lambda x: 1.0).state_dict()["_scale_fn_custom"] is None


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda o, m: m.ConstantLR(o, factor=1.5), ValueError, "Constant multiplicative factor expected to be"),
        (lambda o, m: m.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative factor expected"),
        (lambda o, m: m.LinearLR(o, end_factor=2), ValueError, "Ending multiplicative factor expected"),
        (lambda o, m: m.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "Expected positive integer T_0, but got 0"),
        (lambda o, m: m.CosineAnnealingWarmRestarts(o, 2, T_mult=0), ValueError, "Expected integer T_mult >= 1"),
        (lambda o, m: m.OneCycleLR(o, 0.1), ValueError, r"must define either total_steps OR \(epochs AND"),
        (lambda o, m: m.OneCycleLR(o, 0.1, total_steps=0), ValueError, "Expected positive integer total_steps"),
        (lambda o, m: m.OneCycleLR(o, 0.1, 10, pct_start=1), ValueError, "Expected float between 0 and 1 pct_start"),
        (lambda o, m: m.OneCycleLR(o, 0.1, 10, anneal_strategy="exp"), ValueError, "anneal_strategy must be one of"),
        (lambda o, m: m.OneCycleLR(o, [0.1], 10), ValueError, "max_lr must have the same length as optimizer.param"),
        (lambda o, m: m.CyclicLR(o, 0.01, 0.1, mode="square"), ValueError, "mode is invalid and scale_fn is None"),
        (lambda o, m: m.SequentialLR(o, [], []), ValueError, "expects at least one scheduler"),
        (lambda o, m: m.SequentialLR(o, [m.StepLR(o, 2)], [3]), ValueError, "one more than the number of milestone"),
        (lambda o, m: m.ChainedScheduler([]), ValueError, "expects at least one scheduler to be chained"),
        (
            lambda o, m: m.ChainedScheduler([m.StepLR(o, 2), m.ReduceLROnPlateau(o)]),
            ValueError,
            "does not support `ReduceLROnPlateau`",
        ),
    ],
)
def test_invalid_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make(_opt(morch), ls)
    if torch is not None:
        with pytest.raises(error, match=match):
            make(_opt(torch), torch.optim.lr_scheduler)


def test_cycle_momentum_needs_a_momentum():
    p = morch.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        ls.OneCycleLR(optim.Adagrad([p]), max_lr=0.1, total_steps=10)
    ls.OneCycleLR(optim.Adagrad([p]), max_lr=0.1, total_steps=10, cycle_momentum=False)


def test_schedulers_of_another_optimizer_are_refused():
    a, b = _opt(morch), _opt(morch)
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        ls.SequentialLR(a, [ls.StepLR(a, 2), ls.StepLR(b, 2)], [3])
