"""morch.nn.more (Softplus, Mish, CTCLoss, MultiLabelMarginLoss, TripletMarginWithDistanceLoss,
AdaptiveLogSoftmaxWithLoss, NLLLoss2d, SyncBatchNorm, Container, factory_kwargs), morch.nn.grad,
morch.nn.parallel, morch.nn.modules and morch.nn.common_types."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, to_torch, torch
from morch.autograd import gradcheck, gradgradcheck

rng = np.random.default_rng(0)
REDUCTIONS = ["mean", "sum", "none"]


def _m(a, grad=False):
    return morch.tensor(np.asarray(a), requires_grad=grad)


# ====================================================================== Softplus, Mish
def test_softplus_and_mish_values_and_gradients():
    x = rand64(7, low=-30, high=30, seed=1)
    xs = x.detach().numpy()
    assert_close(nn.Softplus()(x), np.logaddexp(0, xs))
    beta, thr = 2.0, 3.0
    expected = np.where(beta * xs > thr, xs, np.logaddexp(0, beta * xs) / beta)
    assert_close(nn.Softplus(beta, thr)(x), expected)
    assert_close(nn.Mish()(x), xs * np.tanh(np.logaddexp(0, xs)))
    y = rand64(5, low=-3, high=3, seed=2)
    assert gradcheck(nn.Softplus(1.5, 2.0), (y,)) and gradgradcheck(nn.Softplus(1.5), (y,))
    assert gradcheck(nn.Mish(), (y,)) and gradgradcheck(nn.Mish(), (y,))
    assert repr(nn.Softplus(2, 5)) == "Softplus(beta=2, threshold=5)" and repr(nn.Mish(True)) == "Mish(inplace=True)"


def test_mish_inplace_and_functions_left_to_the_plugin():
    x = _m([-1.0, 0.5, 2.0])
    out = nn.Mish(inplace=True)(x)
    assert out is x and x[1].item() == pytest.approx(0.5 * np.tanh(np.log1p(np.exp(0.5))))
    assert "softplus" not in vars(F) and "mish" not in vars(F)  # the functions stay with the plugin


@requires_torch
def test_softplus_mish_match_torch():
    x = rand64(3, 4, low=-25, high=25, seed=3)
    for m, t in [(nn.Softplus(0.5, 4.0), torch.nn.Softplus(0.5, 4.0)), (nn.Mish(), torch.nn.Mish())]:
        tx = to_torch(x)
        out, tout = m(x), t(tx)
        assert_close(out, tout)
        out.sum().backward()
        tout.sum().backward()
        assert_close(x.grad, tx.grad)
        x.grad = None


# ====================================================================== CTC
T, N, C = 7, 3, 5
LOGITS = rng.standard_normal((T, N, C))
PADDED = np.array([[1, 2, 2], [3, 0, 0], [4, 4, 1]])
IN_LEN, TG_LEN = [7, 4, 6], [3, 1, 2]


def _log_probs(grad=True):
    return F.log_softmax(_m(LOGITS, grad), 2)


def _ctc_numpy(lp, labels):
    """-log p(labels | lp) by summing every alignment (brute force over the lattice, small T only)."""
    import itertools

    t_len = lp.shape[0]
    total = 0.0
    for path in itertools.product(range(lp.shape[1]), repeat=t_len):
        collapsed = [k for i, k in enumerate(path) if k != 0 and (i == 0 or k != path[i - 1])]
        if collapsed == list(labels):
            total += np.exp(sum(lp[t, k] for t, k in enumerate(path)))
    return -np.log(total)


def test_ctc_loss_matches_brute_force_sum_over_alignments():
    lp = np.log(rng.dirichlet(np.ones(3), size=4))  # T=4, C=3
    for labels in ([1], [1, 2], [1, 1], []):
        got = F.ctc_loss(_m(lp[:, None]), _m(np.array([labels + [0]])), [4], [len(labels)], reduction="sum")
        assert got.item() == pytest.approx(_ctc_numpy(lp, labels), rel=1e-10)


def test_ctc_loss_reductions_and_target_layouts():
    lp = _log_probs(False)
    none = F.ctc_loss(lp, _m(PADDED), IN_LEN, TG_LEN, reduction="none")
    assert none.shape == (N,)
    assert_close(F.ctc_loss(lp, _m(PADDED), IN_LEN, TG_LEN, reduction="sum"), none.sum())
    assert_close(F.ctc_loss(lp, _m(PADDED), IN_LEN, TG_LEN), (none / _m(np.array(TG_LEN, float))).mean())
    concat = np.concatenate([PADDED[i, :k] for i, k in enumerate(TG_LEN)])
    assert_close(F.ctc_loss(lp, _m(concat), _m(np.array(IN_LEN)), _m(np.array(TG_LEN)), reduction="none"), none)
    single = F.ctc_loss(lp[:, 1], _m(PADDED[1, :1]), _m(np.array(IN_LEN[1])), _m(np.array(1)), reduction="none")
    assert single.shape == () and single.item() == pytest.approx(none[1].item())
    assert_close(nn.CTCLoss(reduction="none")(lp, _m(PADDED), IN_LEN, TG_LEN), none)


def test_ctc_loss_gradcheck_and_zero_infinity():
    lp = rand64(4, 2, 3, low=-2, high=0, seed=4)
    targets, il, tl = _m(np.array([[1, 2], [2, 2]])), [4, 4], [2, 2]
    for reduction in REDUCTIONS:
        assert gradcheck(lambda x, r=reduction: F.ctc_loss(x, targets, il, tl, reduction=r), (lp,))
    # sample 1 needs 3 steps for (2, blank, 2) but has 2: its loss is infinite
    lp2 = rand64(4, 2, 3, low=-2, high=0, seed=5)
    loss = F.ctc_loss(lp2, targets, [4, 2], tl, reduction="none")
    assert np.isinf(loss[1].item()) and np.isfinite(loss[0].item())
    loss.sum().backward()
    assert np.isnan(lp2.grad.numpy()[:2, 1]).all() and np.isfinite(lp2.grad.numpy()[:, 0]).all()
    lp2.grad = None
    loss = F.ctc_loss(lp2, targets, [4, 2], tl, reduction="none", zero_infinity=True)
    assert loss[1].item() == 0.0
    loss.sum().backward()
    assert (lp2.grad.numpy()[:, 1] == 0).all()
    assert gradcheck(lambda x: F.ctc_loss(x, targets, [4, 2], tl, zero_infinity=True), (lp2,))


def test_ctc_loss_errors():
    lp = _log_probs(False)
    with pytest.raises(ValueError, match="input_lengths to have value at most 7"):
        F.ctc_loss(lp, _m(PADDED), [8, 4, 6], TG_LEN)
    with pytest.raises(ValueError, match="shorter than the largest target length 4"):
        F.ctc_loss(lp, _m(PADDED), IN_LEN, [4, 1, 2])
    with pytest.raises(ValueError, match="blank must be in label range"):
        F.ctc_loss(lp, _m(PADDED), IN_LEN, TG_LEN, blank=5)
    with pytest.raises(ValueError, match="expected 3 input_lengths"):
        F.ctc_loss(lp, _m(PADDED), [7, 4], TG_LEN)
    with pytest.raises(TypeError, match="input_lengths must be integers"):
        F.ctc_loss(lp, _m(PADDED), _m(np.array([7.0, 4, 6])), TG_LEN)
    with pytest.raises(ValueError, match=r"log_probs of shape \(T, N, C\)"):
        F.ctc_loss(lp[0, 0], _m(PADDED), IN_LEN, TG_LEN)
    with pytest.raises(IndexError, match=r"target labels must be in \[0, 5\)"):
        F.ctc_loss(lp, _m(PADDED + 3), IN_LEN, TG_LEN)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.ctc_loss(lp, _m(PADDED), IN_LEN, TG_LEN, reduction="avg")
    with pytest.raises(RuntimeError, match="not differentiable|differentiable"):
        x = _m(LOGITS, True)
        (g,) = morch.autograd.grad(F.ctc_loss(x.log_softmax(2), _m(PADDED), IN_LEN, TG_LEN), x, create_graph=True)
        morch.autograd.grad(g.sum(), x)


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_matches_torch(reduction, zero_infinity):
    il = [7, 2, 6]  # sample 1 is impossible (2 steps for one label is fine; 1 is not): keep it feasible here
    x, tx = _m(LOGITS, True), torch.tensor(LOGITS, requires_grad=True)
    out = F.ctc_loss(x.log_softmax(2), _m(PADDED), il, TG_LEN, reduction=reduction, zero_infinity=zero_infinity)
    tout = torch.nn.functional.ctc_loss(tx.log_softmax(2), torch.tensor(PADDED), il, TG_LEN, reduction=reduction,
                                        zero_infinity=zero_infinity)  # fmt: skip
    assert_close(out, tout, atol=1e-10)
    seed = np.random.default_rng(1).standard_normal(tuple(out.shape))
    out.backward(_m(seed))
    tout.backward(torch.tensor(seed))
    assert_close(x.grad, tx.grad, atol=1e-10)  # the gradients of the logits agree


@requires_torch
def test_ctc_loss_raw_log_prob_gradient_differs_from_torch_by_exp():
    # PyTorch returns exp(log_probs) - occupancy (the logits' gradient); morch the exact -occupancy
    lp = _log_probs(False).detach().requires_grad_()
    tlp = to_torch(lp, requires_grad=True)
    F.ctc_loss(lp, _m(PADDED), IN_LEN, TG_LEN, reduction="sum").backward()
    torch.nn.functional.ctc_loss(tlp, torch.tensor(PADDED), IN_LEN, TG_LEN, reduction="sum").backward()
    active = np.arange(T)[:, None] < np.array(IN_LEN)[None]
    expected = tlp.grad.numpy() - np.where(active[..., None], np.exp(lp.detach().numpy()), 0.0)
    assert_close(lp.grad, expected, atol=1e-6)


# ====================================================================== MultiLabelMarginLoss
ML_X = rng.standard_normal((3, 4))
ML_T = np.array([[3, 0, -1, 1], [1, 1, -1, 0], [-1, 1, 1, 1]])


def test_multilabel_margin_loss_values_and_gradients():
    x = _m(ML_X)
    loss = F.multilabel_margin_loss(x, _m(ML_T), reduction="none")
    # sample 0: targets {3, 0}, others {1, 2}
    s0 = sum(max(0, 1 - (ML_X[0, j] - ML_X[0, i])) for j in (3, 0) for i in (1, 2)) / 4
    s1 = sum(max(0, 1 - (ML_X[1, j] - ML_X[1, i])) for j in (1, 1) for i in (0, 2, 3)) / 4  # 1 counted twice
    assert_close(loss, [s0, s1, 0.0], atol=1e-12)
    assert F.multilabel_margin_loss(x, _m(ML_T)).item() == pytest.approx((s0 + s1) / 3)
    assert F.multilabel_margin_loss(x[0], _m(ML_T[0])).item() == pytest.approx(s0)
    assert_close(nn.MultiLabelMarginLoss(reduction="sum")(x, _m(ML_T)), s0 + s1)
    xg = rand64(3, 4, seed=6)
    for r in REDUCTIONS:
        assert gradcheck(lambda a, r=r: F.multilabel_margin_loss(a, _m(ML_T), reduction=r), (xg,))
    assert F.multilabel_margin_loss(_m(np.zeros((0, 4))), _m(np.zeros((0, 4), np.int64))).item() == 0.0


def test_multilabel_margin_loss_errors():
    x = _m(ML_X)
    with pytest.raises(ValueError, match=r"inconsistent target size: \[1, 3\] for input of size: \[3, 4\]"):
        F.multilabel_margin_loss(x, _m(np.zeros((1, 3), np.int64)))
    with pytest.raises(TypeError, match="expected integer"):
        F.multilabel_margin_loss(x, _m(ML_T.astype(float)))
    with pytest.raises(IndexError, match=r"out of range \[0, 4\)"):
        F.multilabel_margin_loss(x, _m(ML_T + 4))
    with pytest.raises(ValueError, match="non-empty vector or matrix"):
        F.multilabel_margin_loss(_m(np.zeros((2, 3, 4))), _m(np.zeros((2, 3, 4), np.int64)))


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss_matches_torch(reduction):
    x = _m(ML_X, True)
    tx = to_torch(x)
    out = nn.MultiLabelMarginLoss(reduction=reduction)(x, _m(ML_T))
    tout = torch.nn.MultiLabelMarginLoss(reduction=reduction)(tx, torch.tensor(ML_T))
    assert_close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    assert_close(x.grad, tx.grad)


# ====================================================================== TripletMarginWithDistanceLoss
def test_triplet_margin_with_distance_loss():
    a, p, n = (rand64(5, 3, seed=s) for s in (7, 8, 9))

    def dist(u, v):
        return 1 - F.cosine_similarity(u, v)

    loss = F.triplet_margin_with_distance_loss(a, p, n, distance_function=dist, margin=0.5, reduction="none")
    expected = (dist(a, p) - dist(a, n) + 0.5).clamp(min=0)
    assert_close(loss, expected)
    default = nn.TripletMarginWithDistanceLoss(swap=True)(a, p, n)
    assert_close(default, nn.TripletMarginLoss(swap=True)(a, p, n))
    assert gradcheck(lambda x, y, z: F.triplet_margin_with_distance_loss(x, y, z, distance_function=dist), (a, p, n))
    assert gradgradcheck(lambda x: F.triplet_margin_with_distance_loss(x, p, n, swap=True), (a,))
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_with_distance_loss(a, p, n, margin=0)
    with pytest.raises(ValueError, match="greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=-1)
    with pytest.raises(ValueError, match="anchor 2D, positive 1D, and negative 2D"):
        F.triplet_margin_with_distance_loss(a, p[0], n)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.triplet_margin_with_distance_loss(a, p, n, reduction="avg")


@requires_torch
def test_triplet_margin_with_distance_loss_matches_torch():
    a, p, n = (rand64(4, 3, seed=s) for s in (10, 11, 12))
    ta, tp, tn = (to_torch(t) for t in (a, p, n))
    out = F.triplet_margin_with_distance_loss(a, p, n, distance_function=lambda u, v: (u - v).abs().sum(-1),
                                              margin=2.0, swap=True)  # fmt: skip
    tout = torch.nn.functional.triplet_margin_with_distance_loss(
        ta, tp, tn, distance_function=lambda u, v: (u - v).abs().sum(-1), margin=2.0, swap=True
    )
    assert_close(out, tout)
    out.backward()
    tout.backward()
    for m, t in ((a, ta), (p, tp), (n, tn)):
        assert_close(m.grad, t.grad)


# ====================================================================== AdaptiveLogSoftmaxWithLoss
def _asm(**kw):
    morch.manual_seed(0)
    return nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, **kw).double()


def test_adaptive_log_softmax_structure_and_consistency():
    asm = _asm(head_bias=True)
    assert asm.head.weight.shape == (5, 8) and asm.head.bias is not None
    assert [tuple(lin.weight.shape) for proj in asm.tail for lin in proj] == [(4, 8), (3, 4), (2, 8), (4, 2)]
    x = rand64(6, 8, seed=13)
    target = _m(np.array([0, 2, 3, 5, 6, 9]))
    out = asm(x, target)
    assert out._fields == ("output", "loss")
    log_prob = asm.log_prob(x)
    assert_close(log_prob.exp().sum(1), np.ones(6), atol=1e-12)
    assert_close(out.output, log_prob.detach().numpy()[np.arange(6), target.numpy()], atol=1e-12)
    assert out.loss.item() == pytest.approx(-out.output.mean().item())
    assert_close(asm.predict(x), log_prob.argmax(1))
    single = asm(x[2], target[2])
    assert single.output.shape == () and single.output.item() == pytest.approx(out.output[2].item())
    assert gradcheck(lambda a: asm(a, target).loss, (x,))


def test_adaptive_log_softmax_errors():
    with pytest.raises(ValueError, match="unique, positive integers"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [6, 3])
    with pytest.raises(ValueError, match="unique, positive integers"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 10])
    with pytest.raises(ValueError, match="length larger than 0"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [])
    asm, x = _asm(), rand64(2, 8, seed=14)
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        asm(x, _m(np.array([1, 10])))
    with pytest.raises(RuntimeError, match="same size in the batch dimension"):
        asm(x, _m(np.array([1, 2, 3])))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        asm(x, _m(np.zeros((2, 1), np.int64)))
    with pytest.raises(RuntimeError, match="0D target tensor expects 1D input"):
        asm(x, _m(np.array(1)))


@requires_torch
def test_adaptive_log_softmax_loads_torch_state_and_matches():
    torch.manual_seed(0)
    t_asm = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True).double()
    asm = _asm(head_bias=True)
    asm.load_state_dict({k: _m(v.detach().numpy()) for k, v in t_asm.state_dict().items()})
    x = rand64(6, 8, seed=15)
    tx = to_torch(x)
    target = np.array([0, 2, 3, 5, 6, 9])
    out, tout = asm(x, _m(target)), t_asm(tx, torch.tensor(target))
    assert_close(out.output, tout.output, atol=1e-12)
    assert_close(out.loss, tout.loss, atol=1e-12)
    out.loss.backward()
    tout.loss.backward()
    assert_close(x.grad, tx.grad, atol=1e-12)
    assert_close(asm.head.weight.grad, t_asm.head.weight.grad, atol=1e-12)
    assert_close(asm.log_prob(x), t_asm.log_prob(tx), atol=1e-12)
    assert_close(asm.predict(x * 3), t_asm.predict(tx * 3))


# ============================================================ NLLLoss2d, SyncBatchNorm, Container, factory_kwargs
def test_nllloss2d_is_a_deprecated_nllloss():
    with pytest.warns(FutureWarning, match="NLLLoss2d` has been deprecated"):
        loss = nn.NLLLoss2d(ignore_index=1)
    x = F.log_softmax(rand64(2, 3, 4, 4, seed=16), 1)
    t = _m(rng.integers(0, 3, (2, 4, 4)))
    assert isinstance(loss, nn.NLLLoss)
    assert_close(loss(x, t), F.nll_loss(x, t, ignore_index=1))


def test_sync_batch_norm_is_batch_norm_in_one_process():
    sbn, bn = nn.SyncBatchNorm(3, momentum=0.3).double(), nn.BatchNorm3d(3, momentum=0.3).double()
    x = rand64(2, 3, 2, 2, 2, seed=17)
    assert_close(sbn(x), bn(x))
    assert_close(sbn.running_var, bn.running_var) and sbn.num_batches_tracked.item() == 1
    assert_close(sbn(x[:, :, 0, 0, 0]), F.batch_norm(x[:, :, 0, 0, 0], None, None, training=True))
    sbn.load_state_dict(bn.state_dict())
    sbn.eval()
    assert_close(sbn(x[:, :, 0]), bn.eval()(x[:, :, 0:1]).squeeze(2))
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
        sbn(x[0, :, 0, 0, 0])


def test_convert_sync_batchnorm_shares_parameters_and_buffers():
    model = nn.Sequential(nn.Conv2d(1, 3, 1), nn.BatchNorm2d(3), nn.Sequential(nn.BatchNorm1d(4), nn.InstanceNorm1d(2)))
    model[1].eval()
    old = model[1]
    out = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert out is model  # containers are converted in place, as in PyTorch
    assert type(out[1]) is nn.SyncBatchNorm and type(out[2][0]) is nn.SyncBatchNorm
    assert type(out[2][1]) is nn.InstanceNorm1d and type(out[0]) is nn.Conv2d
    assert out[1].weight is old.weight and out[1].bias is old.bias
    assert out[1].running_mean is old.running_mean and out[1].training is False
    assert list(out.state_dict()) == list(nn.Sequential(nn.Conv2d(1, 3, 1), nn.BatchNorm2d(3), nn.Sequential(
        nn.BatchNorm1d(4), nn.InstanceNorm1d(2))).state_dict())  # fmt: skip
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(5, affine=False))
    assert isinstance(single, nn.SyncBatchNorm) and single.weight is None and single.num_features == 5


def test_container_and_factory_kwargs():
    with pytest.warns(FutureWarning, match="Container` is deprecated"):
        c = nn.Container(a=nn.Linear(2, 2))
    assert isinstance(c.a, nn.Linear) and len(list(c.parameters())) == 2
    assert nn.factory_kwargs(None) == {}
    assert nn.factory_kwargs({"dtype": morch.float64, "factory_kwargs": {"device": "cpu"}}) == {
        "dtype": morch.float64, "device": "cpu"}  # fmt: skip
    with pytest.raises(TypeError, match="unexpected kwargs"):
        nn.factory_kwargs({"bias": True})
    with pytest.raises(TypeError, match="dtype specified twice"):
        nn.factory_kwargs({"dtype": morch.float64, "factory_kwargs": {"dtype": morch.float32}})


# ====================================================================== morch.nn.grad
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_nn_grad_equals_autograd_of_conv(nd):
    kw = {"stride": 2, "padding": 1, "dilation": 1, "groups": 2}
    x = rand64(2, 4, *(5,) * nd, seed=18)
    w = rand64(6, 2, *(3,) * nd, seed=19)
    out = getattr(F, f"conv{nd}d")(x, w, None, **kw)
    g = rand64(*out.shape, seed=20, requires_grad=False)
    gx, gw = morch.autograd.grad(out, (x, w), g)
    assert_close(getattr(nn.grad, f"conv{nd}d_input")(x.shape, w, g, **kw), gx, atol=1e-12)
    assert_close(getattr(nn.grad, f"conv{nd}d_weight")(x, w.shape, g, **kw), gw, atol=1e-12)


def test_nn_grad_is_differentiable_and_checks_shapes():
    w, g = rand64(3, 2, 2, seed=21), rand64(1, 3, 4, seed=22)
    assert gradcheck(lambda a, b: nn.grad.conv1d_input((1, 2, 5), a, b), (w, g))
    x = rand64(1, 2, 5, seed=23)
    assert gradcheck(lambda a, b: nn.grad.conv1d_weight(a, (3, 2, 2), b), (x, g))
    with pytest.raises(ValueError, match=r"grad_output has shape \[1, 3, 3\], but the convolution gives .*\[1, 3, 4\]"):
        nn.grad.conv1d_input((1, 2, 5), w, g[:, :, :3])
    with pytest.raises(ValueError, match="expected grad_output of shape"):
        nn.grad.conv2d_input((1, 2, 5, 5), w, g)


@requires_torch
def test_nn_grad_matches_torch():
    x, w = rand64(2, 2, 7, 6, seed=24), rand64(4, 2, 3, 2, seed=25)
    g = rand64(2, 4, 4, 4, seed=26)
    kw = {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)}
    tx, tw, tg = to_torch(x), to_torch(w), to_torch(g)
    assert_close(nn.grad.conv2d_input(list(x.shape), w, g, **kw), torch.nn.grad.conv2d_input(tx.shape, tw, tg, **kw))
    assert_close(nn.grad.conv2d_weight(x, w.shape, g, **kw), torch.nn.grad.conv2d_weight(tx, tw.shape, tg, **kw))


# ====================================================================== morch.nn.parallel
def test_parallel_wrappers_call_the_module():
    from morch.nn.parallel import DataParallel, DistributedDataParallel, data_parallel

    assert DataParallel is nn.DataParallel
    lin = nn.Linear(3, 2)
    x = rand64(4, 3, seed=27, requires_grad=False).float()
    assert_close(data_parallel(lin, x), lin(x))
    bil = nn.Bilinear(3, 3, 2)
    assert_close(data_parallel(bil, (x, 2 * x)), bil(x, 2 * x))
    assert_close(data_parallel(nn.Softmax, (), module_kwargs={"dim": 1}).dim, 1)
    with pytest.raises(RuntimeError, match="no GPUs"):
        data_parallel(lin, x, device_ids=[0])
    ddp = DistributedDataParallel(lin, find_unused_parameters=True, bucket_cap_mb=25)
    assert ddp.module is lin and list(ddp.state_dict()) == ["module.weight", "module.bias"]
    with ddp.no_sync():
        ddp(x).sum().backward()
    ddp(x).sum().backward()
    assert_close(lin.weight.grad, 2 * x.sum(0).numpy()[None].repeat(2, 0), atol=1e-5)
    with ddp.join():
        assert_close(ddp(x), lin(x))
    with pytest.raises(RuntimeError, match="no GPUs"):
        DistributedDataParallel(lin, device_ids=[0])
    from morch.nn.parallel.distributed import DistributedDataParallel as D2

    assert D2 is DistributedDataParallel


# ====================================================================== morch.nn.modules, common_types
def test_modules_submodules_resolve_to_morch_classes():
    from morch.nn.modules.batchnorm import SyncBatchNorm, _BatchNorm
    from morch.nn.modules.loss import CTCLoss, _Loss, _WeightedLoss
    from morch.nn.modules.module import Module

    assert _Loss is importlib.import_module("morch.nn.loss")._Loss and issubclass(_WeightedLoss, _Loss)
    assert issubclass(nn.BatchNorm2d, _BatchNorm) and SyncBatchNorm is nn.SyncBatchNorm
    assert CTCLoss is nn.CTCLoss and Module is nn.Module
    import morch.nn.modules.conv as conv

    assert conv.Conv2d is nn.Conv2d and "Conv2d" in conv.__all__ and "Conv2d" in dir(conv)
    assert nn.modules.Linear is nn.Linear and nn.modules.activation.Mish is nn.Mish
    assert nn.modules.adaptive._ASMoutput._fields == ("output", "loss")


def test_modules_missing_names_are_listed_and_refused():
    missing = nn.modules.unavailable()
    assert "LinearCrossEntropyLoss" in missing["loss"] and "_Loss" not in missing.get("loss", [])
    with pytest.raises(AttributeError, match="torch.nn.modules.loss.LinearCrossEntropyLoss is not implemented"):
        nn.modules.loss.LinearCrossEntropyLoss
    with pytest.raises(AttributeError, match="is not a name of this module"):
        nn.modules.loss.Linear
    with pytest.raises(ImportError):
        from morch.nn.modules.loss import NoSuchLoss  # noqa: F401


def test_modules_utils_helpers():
    from morch.nn.modules.utils import _list_with_default, _pair, _triple, consume_prefix_in_state_dict_if_present

    assert _pair(3) == (3, 3) and _pair((1, 2)) == (1, 2) and _triple(1) == (1, 1, 1)
    assert _list_with_default([None, 4], [1, 2, 7, 9]) == [7, 4] and _list_with_default(5, [1]) == 5
    sd = nn.DataParallel(nn.Linear(2, 2)).state_dict()
    consume_prefix_in_state_dict_if_present(sd, "module.")
    assert list(sd) == ["weight", "bias"]
    nn.Linear(2, 2).load_state_dict(sd)


def test_common_types():
    from morch.nn import common_types as ct

    assert ct._size_2_t == int | tuple[int, int]
    assert (
        ct._ratio_any_t == float | tuple[float, ...] and ct._size_2_opt_t == int | None | tuple[int | None, int | None]
    )


@requires_torch
def test_modules_table_covers_torch_and_common_types_names():
    import torch.nn.common_types as tct

    for file in nn.modules._TABLE:
        tmod = importlib.import_module(f"torch.nn.modules.{file}")
        for name in nn.modules._TABLE[file].split():
            assert hasattr(tmod, name), (file, name)
    names = {n for n in dir(tct) if n.endswith("_t")}
    from morch.nn import common_types as ct

    assert names <= set(dir(ct))
