"""scaled_dot_product_attention and MultiheadAttention: numpy, gradcheck, PyTorch with copied weights, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import gradcheck, gradgradcheck
from morch.static import Placeholder, Session

from .common import copy_from_torch

pytestmark = pytest.mark.filterwarnings("ignore:.*mismatched.*:UserWarning")  # torch's own


def _np_attention(q, k, v, allow=None, add=None, scale=None):
    """An independent reference: loops over the batch with plain numpy."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = np.einsum("...le,...se->...ls", q, k) * scale
    if add is not None:
        s = s + add
    if allow is not None:
        s = np.where(allow, s, -np.inf)
    s = s - s.max(-1, keepdims=True)
    e = np.exp(s)
    return np.einsum("...ls,...sv->...lv", e / e.sum(-1, keepdims=True), v)


def _qkv(*, b=(2, 3), L=4, S=5, E=3, Ev=2, seed=0, grad=False):
    rng = np.random.default_rng(seed)
    arrs = rng.standard_normal((*b, L, E)), rng.standard_normal((*b, S, E)), rng.standard_normal((*b, S, Ev))
    return [morch.tensor(a, requires_grad=grad) for a in arrs]


def _np(t):
    return t.detach().numpy()


# ---------------------------------------------------------------- scaled_dot_product_attention
def test_sdpa_forward_matches_numpy():
    q, k, v = _qkv()
    assert_close(F.scaled_dot_product_attention(q, k, v), _np_attention(_np(q), _np(k), _np(v)), atol=1e-12)
    assert_close(F.scaled_dot_product_attention(q, k, v, scale=0.7), _np_attention(*map(_np, (q, k, v)), scale=0.7))
    allow = np.random.default_rng(1).random((4, 5)) > 0.3
    allow[:, 0] = True
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=morch.tensor(allow))
    assert_close(out, _np_attention(*map(_np, (q, k, v)), allow=allow), atol=1e-12)
    add = np.random.default_rng(2).standard_normal((3, 4, 5))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=morch.tensor(add))
    assert_close(out, _np_attention(*map(_np, (q, k, v)), add=add), atol=1e-12)


def test_sdpa_causal_is_top_left_aligned_and_batch_dims_broadcast():
    q, k, v = _qkv(L=3, S=5)
    causal = np.tril(np.ones((3, 5), dtype=bool))
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert_close(out, _np_attention(*map(_np, (q, k, v)), allow=causal), atol=1e-12)
    q2, k2, v2 = _qkv(b=(2, 1), seed=3)[0], *_qkv(b=(1, 3), seed=4)[1:]
    out = F.scaled_dot_product_attention(q2, k2, v2)
    assert out.shape == (2, 3, 4, 2)
    assert_close(out, _np_attention(*map(_np, (q2, k2, v2))), atol=1e-12)
    q1, k1, v1 = (t[0, 0] for t in (q, k, v))  # 2-D inputs
    assert_close(F.scaled_dot_product_attention(q1, k1, v1), _np_attention(*map(_np, (q1, k1, v1))), atol=1e-12)


def test_sdpa_grouped_query_attention_repeats_key_value_heads():
    q = _qkv(b=(2, 4))[0]
    _, k, v = _qkv(b=(2, 2), seed=5)
    out = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    kr, vr = (np.repeat(_np(t), 2, axis=1) for t in (k, v))
    assert_close(out, _np_attention(_np(q), kr, vr), atol=1e-12)


def test_fully_masked_rows_give_zeros_and_zero_gradients():
    q, k, v = _qkv(grad=True)
    allow = np.ones((4, 5), dtype=bool)
    allow[2] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=morch.tensor(allow))
    assert np.all(_np(out)[..., 2, :] == 0) and np.isfinite(_np(out)).all()
    out.sum().backward()
    assert np.all(q.grad.numpy()[..., 2, :] == 0) and np.isfinite(k.grad.numpy()).all()
    neg = np.where(allow, 0.0, -np.inf)
    out2 = F.scaled_dot_product_attention(q, k, v, attn_mask=morch.tensor(neg))
    assert_close(out2, out, atol=1e-12)


@pytest.mark.parametrize("kind", ["none", "bool", "float", "causal"])
def test_sdpa_gradcheck_and_gradgradcheck(kind):
    q, k, v = rand64(2, 3, 2, seed=0), rand64(2, 4, 2, seed=1), rand64(2, 4, 3, seed=2)
    kw = {}
    if kind == "bool":
        kw["attn_mask"] = morch.tensor(np.array([[1, 0, 1, 1], [0, 0, 0, 0], [1, 1, 0, 1]], dtype=bool))
    elif kind == "float":
        kw["attn_mask"] = rand64(3, 4, seed=3)
    elif kind == "causal":
        kw["is_causal"] = True
    inputs = (q, k, v) + ((kw.pop("attn_mask"),) if kind == "float" else ())

    def f(*xs):
        extra = {"attn_mask": xs[3]} if len(xs) == 4 else {}
        return F.scaled_dot_product_attention(*xs[:3], **extra, **kw)

    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


def test_sdpa_dropout_drops_weights_and_p_one_gives_zeros():
    q, k, v = _qkv()
    assert_close(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0), np.zeros((2, 3, 4, 2)))
    morch.manual_seed(0)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    morch.manual_seed(0)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert_close(a, b)
    assert not np.allclose(_np(a), _np(F.scaled_dot_product_attention(q, k, v)))


def test_sdpa_in_a_static_graph():
    q, k, v = _qkv(b=(2,))
    x = Placeholder(dtype=morch.float64, name="q")
    y = F.scaled_dot_product_attention(x, k, v, is_causal=True)
    got = Session().run(y, {x: _np(q)})
    np.testing.assert_allclose(got, _np(F.scaled_dot_product_attention(q, k, v, is_causal=True)), rtol=1e-12)


@requires_torch
@pytest.mark.parametrize("kind", ["none", "bool", "float", "causal", "scale", "gqa"])
def test_sdpa_matches_pytorch(kind):
    q, k, v = _qkv(b=(2, 4), grad=True)
    kw, tkw = {}, {}
    if kind in ("bool", "float"):
        rng = np.random.default_rng(7)
        m = rng.random((4, 5)) > 0.4 if kind == "bool" else rng.standard_normal((2, 1, 4, 5))
        kw["attn_mask"], tkw["attn_mask"] = morch.tensor(m), torch.tensor(m)
    elif kind == "causal":
        kw["is_causal"] = tkw["is_causal"] = True
    elif kind == "scale":
        kw["scale"] = tkw["scale"] = 0.25
    elif kind == "gqa":
        _, k, v = _qkv(b=(2, 2), seed=9, grad=True)
        kw["enable_gqa"] = tkw["enable_gqa"] = True
    tq, tk, tv = (torch.tensor(_np(t), requires_grad=True) for t in (q, k, v))
    out = F.scaled_dot_product_attention(q, k, v, **kw)
    tout = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, **tkw)
    assert_close(out, tout, atol=1e-10)
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    out.backward(morch.tensor(g))
    tout.backward(torch.tensor(g))
    for a, b in ((q, tq), (k, tk), (v, tv)):
        assert_close(a.grad, b.grad, atol=1e-10)


def test_sdpa_errors():
    q, k, v = _qkv()
    sdpa = F.scaled_dot_product_attention
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        sdpa(q, k, v, attn_mask=morch.ones(4, 5, dtype=morch.bool), is_causal=True)
    with pytest.raises(RuntimeError, match="at least 2 dimensional.*query.dim: 1"):
        sdpa(q[0, 0, 0], k, v)
    with pytest.raises(TypeError, match="same dtype.*value.dtype: morch.float32"):
        sdpa(q, k, v.float())
    with pytest.raises(ValueError, match=r"key \(\.\.\., S, E\).*\(2, 3, 5, 2\)"):
        sdpa(q, v, v)
    with pytest.raises(TypeError, match="attn_mask dtype to be bool or float.*int64"):
        sdpa(q, k, v, attn_mask=morch.zeros(4, 5, dtype=morch.int64))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(4, 4\) does not broadcast.*\(2, 3, 4, 5\)"):
        sdpa(q, k, v, attn_mask=morch.zeros(4, 4, dtype=morch.float64))
    with pytest.raises(ValueError, match="do not broadcast"):
        sdpa(q, *_qkv(b=(2, 2))[1:])
    with pytest.raises(ValueError, match="enable_gqa.*must divide"):
        sdpa(q, *_qkv(b=(2, 2))[1:], enable_gqa=True)
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        sdpa(q, k, v, dropout_p=1.5)
    with pytest.raises(TypeError, match="floating-point"):
        sdpa(*(t.long() for t in (q, k, v)))


# ---------------------------------------------------------------- MultiheadAttention
def _mha_pair(**kw):
    t = torch.nn.MultiheadAttention(8, 2, **kw).double()
    m = nn.MultiheadAttention(8, 2, dtype=morch.float64, **kw)
    copy_from_torch(m, t)
    return m, t


def _mha_inputs(kw, batched=True, seed=0):
    rng = np.random.default_rng(seed)
    lead = (2,) if batched else ()
    q, k, v = (rng.standard_normal((3, *lead, 8)), rng.standard_normal((4, *lead, kw.get("kdim", 8))),
               rng.standard_normal((4, *lead, kw.get("vdim", 8))))  # fmt: skip
    if kw.get("batch_first") and batched:
        q, k, v = (a.transpose(1, 0, 2).copy() for a in (q, k, v))
    return q, k, v


def _run_mha(m, t, arrays, **fkw):
    """Forward both modules; compare outputs, weights, and the gradients of inputs and parameters."""
    mi = [morch.tensor(a, requires_grad=True) for a in arrays]
    ti = [torch.tensor(a, requires_grad=True) for a in arrays]
    tkw = {n: torch.tensor(_np(x)) if isinstance(x, morch.Tensor) else x for n, x in fkw.items()}
    mo, mw = m(*mi, **fkw)
    to, tw = t(*ti, **tkw)
    assert_close(mo, to, atol=1e-10)
    if tw is None:
        assert mw is None
        loss_m, loss_t = mo, to
    else:
        assert_close(mw, tw, atol=1e-10)
        loss_m, loss_t = mo.sum() + (mw * mw).sum(), to.sum() + (tw * tw).sum()
    g = np.random.default_rng(2).standard_normal(tuple(loss_t.shape))
    loss_m.backward(morch.tensor(g))
    loss_t.backward(torch.tensor(g))
    for a, b in zip(mi, ti):
        assert_close(a.grad, b.grad, atol=1e-10)
    tp = dict(t.named_parameters())
    for name, p in m.named_parameters():
        assert_close(p.grad, tp[name].grad, atol=1e-10)


@requires_torch
@pytest.mark.parametrize(
    "kw", [{}, dict(batch_first=True), dict(bias=False), dict(add_bias_kv=True), dict(add_zero_attn=True),
           dict(add_bias_kv=True, add_zero_attn=True, batch_first=True), dict(kdim=3, vdim=5)], ids=str,
)  # fmt: skip
def test_multihead_attention_matches_pytorch(kw):
    m, t = _mha_pair(**kw)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    kpm = np.zeros((2, 4), dtype=bool)
    kpm[0, 1] = True
    am = np.random.default_rng(4).random((3, 4)) > 0.7
    _run_mha(m, t, _mha_inputs(kw))
    _run_mha(m, t, _mha_inputs(kw), key_padding_mask=morch.tensor(kpm), attn_mask=morch.tensor(am))


@requires_torch
@pytest.mark.parametrize(
    "fkw", [dict(need_weights=False), dict(average_attn_weights=False), dict(float_masks=True),
            dict(mask3d=True), dict(unbatched=True), dict(unbatched=True, average_attn_weights=False)], ids=str,
)  # fmt: skip
def test_multihead_attention_options_match_pytorch(fkw):
    fkw = dict(fkw)
    unbatched, float_masks, mask3d = fkw.pop("unbatched", False), fkw.pop("float_masks", False), fkw.pop("mask3d", 0)
    m, t = _mha_pair()
    rng = np.random.default_rng(5)
    if float_masks:
        fkw["attn_mask"] = morch.tensor(rng.standard_normal((3, 4)))
        fkw["key_padding_mask"] = morch.tensor(rng.standard_normal((2, 4)))
    if mask3d:
        fkw["attn_mask"] = morch.tensor(rng.random((4, 3, 4)) > 0.7)
    if unbatched:
        fkw["key_padding_mask"] = morch.tensor(np.array([False, True, False, False]))
        fkw["attn_mask"] = morch.tensor(rng.random((2, 3, 4)) > 0.7)
    _run_mha(m, t, _mha_inputs({}, batched=not unbatched), **fkw)


@requires_torch
def test_multihead_attention_causal_hint_matches_pytorch():
    m, t = _mha_pair(batch_first=True)
    x = np.random.default_rng(0).standard_normal((2, 3, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=morch.float64)
    _run_mha(m, t, (x, x, x), attn_mask=mask, is_causal=True, need_weights=False)


def test_multihead_attention_parameters_and_init():
    m = nn.MultiheadAttention(16, 4)
    assert m.in_proj_weight.shape == (48, 16) and m.in_proj_bias.shape == (48,)
    assert m.q_proj_weight is None and m.bias_k is None and m.head_dim == 4
    assert np.all(m.in_proj_bias.detach().numpy() == 0) and np.all(m.out_proj.bias.detach().numpy() == 0)
    assert np.abs(m.in_proj_weight.detach().numpy()).max() <= math.sqrt(6 / (16 + 48))
    assert m.in_proj_weight.dtype == morch.float32
    m2 = nn.MultiheadAttention(16, 4, bias=False, add_bias_kv=True, kdim=3, vdim=5)
    shapes = {n: tuple(p.shape) for n, p in m2.named_parameters()}
    assert shapes == {"q_proj_weight": (16, 16), "k_proj_weight": (16, 3), "v_proj_weight": (16, 5),
                      "bias_k": (1, 1, 16), "bias_v": (1, 1, 16), "out_proj.weight": (16, 16)}  # fmt: skip
    assert "NonDynamicallyQuantizableLinear(in_features=16" in repr(m)


def test_multihead_attention_against_numpy_heads():
    m = nn.MultiheadAttention(4, 2, bias=False, dtype=morch.float64)
    x = np.random.default_rng(0).standard_normal((3, 1, 4))
    out, w = m(morch.tensor(x), morch.tensor(x), morch.tensor(x), average_attn_weights=False)
    wi, wo = m.in_proj_weight.detach().numpy(), m.out_proj.weight.detach().numpy()
    q, k, v = (x[:, 0] @ wi[i * 4 : (i + 1) * 4].T for i in range(3))
    heads = [_np_attention(q[:, h * 2 : h * 2 + 2], k[:, h * 2 : h * 2 + 2], v[:, h * 2 : h * 2 + 2]) for h in (0, 1)]
    assert_close(out[:, 0], np.concatenate(heads, -1) @ wo.T, atol=1e-12)
    assert w.shape == (1, 2, 3, 3)
    assert_close(w.sum(-1), np.ones((1, 2, 3)), atol=1e-12)


def test_multihead_attention_gradcheck():
    morch.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True, dtype=morch.float64)
    q, kv = rand64(2, 1, 4, seed=0), rand64(3, 1, 4, seed=1)
    kpm = morch.tensor(np.array([[False, True, False]]))

    def f(q, kv):
        return m(q, kv, kv, key_padding_mask=kpm)[0]

    assert gradcheck(f, (q, kv))
    assert gradgradcheck(f, (q, kv))


def test_multihead_attention_fully_masked_rows_and_dropout_modes():
    m = nn.MultiheadAttention(4, 2, dropout=0.5)
    x = morch.randn(3, 2, 4)
    kpm = morch.tensor(np.array([[True] * 3, [False] * 3]))
    out, w = m(x, x, x, key_padding_mask=kpm)
    assert np.isfinite(_np(out)).all() and np.all(_np(w)[0] == 0)
    m.eval()
    assert_close(m(x, x, x)[0], m(x, x, x)[0])
    m.train()
    morch.manual_seed(1)
    assert not np.allclose(_np(m(x, x, x)[0]), _np(m.eval()(x, x, x)[0]))


def test_multihead_attention_errors():
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads, got embed_dim=8, num_heads=3"):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(ValueError, match="greater than 0"):
        nn.MultiheadAttention(0, 1)
    m = nn.MultiheadAttention(8, 2)
    x = morch.randn(3, 2, 8)
    with pytest.raises(ValueError, match="unbatched 2D or batched 3D.*1-D query"):
        m(x[0, 0], x, x)
    with pytest.raises(ValueError, match=r"expected key and value to be 3-D, got shapes \(2, 8\)"):
        m(x, x[0], x)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match=r"embedding dimensions.*\(8, 8, 8\), but got \(5, 8, 8\)"):
        m(x[..., :5], x, x)
    with pytest.raises(ValueError, match=r"key_padding_mask of shape \(2, 3\), got \(3, 2\)"):
        m(x, x, x, key_padding_mask=morch.zeros(3, 2, dtype=morch.bool))
    with pytest.raises(ValueError, match=r"2D attn_mask is \(2, 2\), but should be \(3, 3\)"):
        m(x, x, x, attn_mask=morch.zeros(2, 2))
    with pytest.raises(ValueError, match=r"3D attn_mask is \(2, 3, 3\), but should be \(4, 3, 3\)"):
        m(x, x, x, attn_mask=morch.zeros(2, 3, 3))
    with pytest.raises(TypeError, match="only bool and floating types of key_padding_mask"):
        m(x, x, x, key_padding_mask=morch.zeros(2, 3, dtype=morch.int64))
    with pytest.raises(ValueError, match="must share the sequence length"):
        m(x, x, x[:2])


def test_multihead_attention_in_a_static_graph():
    morch.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, batch_first=True)
    x = Placeholder(name="x")
    out, w = m(x, x, x, average_attn_weights=False)
    feed = np.random.default_rng(0).standard_normal((2, 3, 8)).astype(np.float32)
    eo, ew = m(*[morch.tensor(feed)] * 3, average_attn_weights=False)
    got_o, got_w = Session().run([out, w], {x: feed})
    np.testing.assert_allclose(got_o, _np(eo), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_w, _np(ew), rtol=1e-5, atol=1e-6)


@requires_torch
def test_signatures_follow_pytorch():
    import inspect

    ours = inspect.signature(F.scaled_dot_product_attention).parameters
    doc = torch.nn.functional.scaled_dot_product_attention.__doc__
    head = doc[doc.index("(") + 1 : doc.index(")")]  # the documented signature spans two lines
    theirs = [p.strip().split("=") for p in head.split(",")]
    assert [(p.name, p.default) for p in ours.values()] == [
        (n[0], eval(n[1]) if len(n) > 1 else inspect.Parameter.empty) for n in theirs
    ]
    for cls in ("MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer", "Transformer",
                "TransformerEncoder", "TransformerDecoder"):  # fmt: skip
        for meth in ("__init__", "forward"):
            a = inspect.signature(getattr(getattr(nn, cls), meth)).parameters
            b = inspect.signature(getattr(getattr(torch.nn, cls), meth)).parameters
            assert list(a) == list(b), (cls, meth)
            for n in a:
                if not callable(b[n].default):
                    assert a[n].default == b[n].default, (cls, meth, n)
