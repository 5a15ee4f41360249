"""Learning-rate schedulers: lr sequences against PyTorch, state dicts, chaining, warnings, errors."""

import io
import math
import warnings

import pytest

import morch
from helpers import requires_torch, torch
from morch import optim
from morch.optim import lr_scheduler as ls

EPOCHS = 30


def _opt(lib, lrs=(0.1,)):
    """An SGD over one parameter per group, in morch or torch."""
    if lib is morch:
        groups = [{"params": [morch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
        return optim.SGD(groups, lr=lrs[0], momentum=0.9)
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)


def _sequence(lib, make, epochs=EPOCHS, metrics=None):
    opt = _opt(lib, (0.1, 0.02))
    sched = make(opt, lib)
    out = [sched.get_last_lr()]
    for e in range(epochs):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[e])
        out.append(sched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == out[-1]
    return out, sched


def _mod(lib):
    return ls if lib is morch else torch.optim.lr_scheduler


SCHEDULERS = {
    "StepLR": lambda o, lib: _mod(lib).StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda o, lib: _mod(lib).MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3),
    "ExponentialLR": lambda o, lib: _mod(lib).ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda o, lib: _mod(lib).CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "LambdaLR": lambda o, lib: _mod(lib).LambdaLR(o, lr_lambda=lambda e: 1 / (1 + e)),
    "LambdaLR-list": lambda o, lib: _mod(lib).LambdaLR(o, lr_lambda=[lambda e: 0.9**e, lambda e: e % 3 + 1]),
    "MultiplicativeLR": lambda o, lib: _mod(lib).MultiplicativeLR(o, lr_lambda=lambda e: 0.95),
}


@requires_torch
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_sequence_matches_torch(name):
    m, _ = _sequence(morch, SCHEDULERS[name])
    t, _ = _sequence(torch, SCHEDULERS[name])
    assert len(m) == EPOCHS + 1
    for a, b in zip(m, t):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15)


@requires_torch
def test_chained_schedulers_match_torch():
    def both(o, lib):
        mod = _mod(lib)
        return [mod.ExponentialLR(o, gamma=0.9), mod.StepLR(o, step_size=3, gamma=0.1)]

    results = []
    for lib in (morch, torch):
        opt = _opt(lib, (0.1, 0.02))
        scheds = both(opt, lib)
        seq = []
        for _ in range(12):
            opt.step()
            for s in scheds:
                s.step()
            seq.append([g["lr"] for g in opt.param_groups])
        results.append(seq)
    for a, b in zip(*results):
        assert a == pytest.approx(b, rel=1e-12)


PLATEAU = [
    {},
    {"mode": "max", "patience": 2, "factor": 0.5},
    {"patience": 1, "threshold": 0.1, "threshold_mode": "abs", "cooldown": 2},
    {"patience": 0, "min_lr": [0.01, 0.005], "factor": 0.2},
    {"patience": 1, "mode": "max", "threshold_mode": "abs", "threshold": 0.05, "eps": 0.05},
]


@requires_torch
@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.94, 0.93, 0.5, 0.6, 0.7, 0.7, 0.4, 0.41, 0.42, 0.43, 0.44] * 2

    def make(o, lib):
        return _mod(lib).ReduceLROnPlateau(o, **kwargs)

    m, ms = _sequence(morch, make, len(metrics), metrics)
    t, ts = _sequence(torch, make, len(metrics), metrics)
    for a, b in zip(m, t):
        assert a == pytest.approx(b, rel=1e-12)
    assert m[-1] != m[0] or kwargs.get("mode") == "max"  # the metrics make the lr drop
    for key in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch"):
        assert getattr(ms, key) == getattr(ts, key), key


def test_construction_performs_the_initial_step():
    opt = _opt(morch)
    s = ls.StepLR(opt, step_size=2)
    assert s.last_epoch == 0 and s._step_count == 1
    assert s.get_last_lr() == [0.1] and s.base_lrs == [0.1]
    assert opt.param_groups[0]["initial_lr"] == 0.1


def test_step_with_epoch_uses_closed_form_and_warns():
    opt = _opt(morch)
    s = ls.StepLR(opt, step_size=2, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        s.step(5)
    assert s.get_last_lr() == [pytest.approx(0.1 * 0.5**2)]


def test_scheduler_before_optimizer_step_warns():
    opt = _opt(morch)
    s = ls.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()


def test_no_warning_in_the_right_order():
    opt = _opt(morch)
    s = ls.ExponentialLR(opt, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        s.step()


def test_get_lr_outside_step_warns():
    s = ls.StepLR(_opt(morch), step_size=2)
    with pytest.warns(UserWarning, match="get_last_lr"):
        s.get_lr()


def test_resume_needs_initial_lr():
    opt = _opt(morch)
    with pytest.raises(KeyError, match="initial_lr"):
        ls.StepLR(opt, step_size=2, last_epoch=4)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda o: ls.StepLR(o, step_size=0), ValueError, "step_size must be a positive integer"),
        (lambda o: ls.CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be a positive"),
        (lambda o: ls.MultiStepLR(o, milestones=[1.5]), TypeError, "milestones must be integers"),
        (lambda o: ls.LambdaLR(o, lr_lambda=[lambda e: 1, lambda e: 2]), ValueError, "Expected 1 lr_lambdas"),
        (lambda o: ls.LambdaLR(o, lr_lambda=0.5), TypeError, "lr_lambda must be callable"),
        (lambda o: ls.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0."),
        (lambda o: ls.ReduceLROnPlateau(o, mode="up"), ValueError, "mode up is unknown!"),
        (lambda o: ls.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold mode x is unknown!"),
        (lambda o: ls.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), ValueError, "expected 1 min_lrs, got 2"),
        (lambda o: ls.StepLR("not an optimizer", 2), TypeError, "str is not an Optimizer"),
    ],
)
def test_invalid_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make(_opt(morch))


def test_plateau_step_needs_a_number():
    s = ls.ReduceLROnPlateau(_opt(morch))
    with pytest.raises(TypeError, match="expects a number, got str"):
        s.step("loss")
    s.step(morch.tensor(0.5))
    assert s.best == 0.5


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "CosineAnnealingLR", "LambdaLR"])
def test_state_dict_round_trip_through_save(name):
    opt = _opt(morch, (0.1, 0.02))
    sched = SCHEDULERS[name](opt, morch)
    for _ in range(7):
        opt.step()
        sched.step()
    buf = io.BytesIO()
    morch.save({"sched": sched.state_dict(), "optim": opt.state_dict()}, buf)
    buf.seek(0)
    ckpt = morch.load(buf)

    opt2 = _opt(morch, (0.1, 0.02))
    sched2 = SCHEDULERS[name](opt2, morch)
    opt2.load_state_dict(ckpt["optim"])
    sched2.load_state_dict(ckpt["sched"])
    assert sched2.last_epoch == 7 and sched2.get_last_lr() == sched.get_last_lr()
    for _ in range(10):
        opt.step()
        sched.step()
        opt2.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_plateau_state_dict_round_trip_keeps_infinite_best():
    opt = _opt(morch)
    s = ls.ReduceLROnPlateau(opt, mode="max")
    buf = io.BytesIO()
    morch.save(s.state_dict(), buf)
    buf.seek(0)
    sd = morch.load(buf)
    assert sd["best"] == -math.inf
    s2 = ls.ReduceLROnPlateau(_opt(morch), mode="min")
    s2.load_state_dict(sd)
    assert s2.mode == "max" and s2.mode_worse == -math.inf


def test_lambda_state_dict_keeps_callable_objects_only():
    class Warmup:
        def __init__(self):
            self.factor = 2.0

        def __call__(self, epoch):
            return self.factor * epoch

    w = Warmup()
    opt = _opt(morch, (0.1, 0.02))
    s = ls.LambdaLR(opt, [lambda e: 1.0, w])
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [None, {"factor": 2.0}]
    w.factor = 5.0
    s.load_state_dict(sd)
    assert w.factor == 2.0


RESUME = {
    "StepLR": {"step_size": 4, "gamma": 0.5},
    "MultiStepLR": {"milestones": [3, 7, 7, 20], "gamma": 0.3},
    "ExponentialLR": {"gamma": 0.9},
    "CosineAnnealingLR": {"T_max": 10, "eta_min": 0.001},
    "LambdaLR": {"lr_lambda": lambda e: 1 / (1 + e)},
}


@requires_torch
@pytest.mark.parametrize("name", list(RESUME))
def test_resuming_with_last_epoch_matches_torch(name):
    seqs = []
    for lib in (morch, torch):
        opt = _opt(lib, (0.1, 0.02))
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"]
            g["lr"] = g["lr"] * 0.5  # the lr a checkpoint would hold
        sched = getattr(_mod(lib), name)(opt, last_epoch=5, **RESUME[name])
        seq = [sched.get_last_lr()]
        for _ in range(12):
            opt.step()
            sched.step()
            seq.append(sched.get_last_lr())
        seqs.append(seq)
    for a, b in zip(*seqs):
        assert a == pytest.approx(b, rel=1e-12)
