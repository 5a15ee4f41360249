"""Transformer layers: PyTorch state_dicts load and give the same outputs and gradients; gradcheck; errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import gradcheck
from morch.static import Placeholder, Session

from .common import copy_from_torch

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*(mismatched|nested_tensor|enable_nested_tensor).*:UserWarning"
)  # torch's own

D, H, FF = 8, 2, 16


def _pair(cls, *args, **kw):
    t = getattr(torch.nn, cls)(*args, **kw).double()
    m = getattr(nn, cls)(*args, **kw).double()
    copy_from_torch(m, t)  # asserts the state_dict keys are equal
    return m, t


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _run(m, t, arrays, masks=None):
    """Forward both; compare outputs and the gradients of the inputs and of every parameter."""
    mi = [morch.tensor(a, requires_grad=True) for a in arrays]
    ti = [torch.tensor(a, requires_grad=True) for a in arrays]
    masks = masks or {}
    tmasks = {k: torch.tensor(v.numpy()) if isinstance(v, morch.Tensor) else v for k, v in masks.items()}
    mo, to = m(*mi, **masks), t(*ti, **tmasks)
    assert_close(mo, to, atol=1e-9)
    g = np.random.default_rng(1).standard_normal(tuple(to.shape))
    mo.backward(morch.tensor(g))
    to.backward(torch.tensor(g))
    for a, b in zip(mi, ti):
        assert_close(a.grad, b.grad, atol=1e-9)
    tp = dict(t.named_parameters())
    assert [n for n, _ in m.named_parameters()] == list(tp)
    for name, p in m.named_parameters():
        assert_close(p.grad, tp[name].grad, atol=1e-9)


def _pad(n, s, seed=0):
    p = np.zeros((n, s), dtype=bool)
    p[0, -1] = True
    return morch.tensor(p)


@requires_torch
@pytest.mark.parametrize(
    "kw", [{}, dict(norm_first=True), dict(activation="gelu"), dict(batch_first=True), dict(bias=False),
           dict(activation="gelu", norm_first=True, batch_first=True)], ids=str,
)  # fmt: skip
def test_encoder_layer_matches_pytorch(kw):
    m, t = _pair("TransformerEncoderLayer", D, H, FF, dropout=0.0, **kw)
    x = _x(2, 5, D) if kw.get("batch_first") else _x(5, 2, D)
    _run(m, t, [x])
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=morch.float64)
    _run(m, t, [x], dict(src_mask=mask, src_key_padding_mask=_pad(2, 5), is_causal=True))


@requires_torch
@pytest.mark.parametrize("kw", [{}, dict(norm_first=True, activation="gelu"), dict(batch_first=True)], ids=str)
def test_decoder_layer_matches_pytorch(kw):
    m, t = _pair("TransformerDecoderLayer", D, H, FF, dropout=0.0, **kw)
    tgt, mem = (_x(2, 4, D), _x(2, 5, D, seed=1)) if kw.get("batch_first") else (_x(4, 2, D), _x(5, 2, D, seed=1))
    _run(m, t, [tgt, mem])
    tm = nn.Transformer.generate_square_subsequent_mask(4, dtype=morch.float64)
    mm = morch.tensor(np.random.default_rng(2).random((4, 5)) > 0.8)
    masks = dict(tgt_mask=tm, memory_mask=mm, tgt_key_padding_mask=_pad(2, 4), memory_key_padding_mask=_pad(2, 5),
                 tgt_is_causal=True)  # fmt: skip
    _run(m, t, [tgt, mem], masks)


@requires_torch
@pytest.mark.parametrize("norm", [False, True])
def test_encoder_and_decoder_stacks_match_pytorch(norm):
    tl = torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0)
    t = torch.nn.TransformerEncoder(tl, 2, torch.nn.LayerNorm(D) if norm else None, enable_nested_tensor=False)
    ml = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0)
    m = nn.TransformerEncoder(ml, 2, nn.LayerNorm(D) if norm else None, enable_nested_tensor=False)
    t.double(), m.double()
    copy_from_torch(m, t)
    assert m.layers[0].linear1.weight is not m.layers[1].linear1.weight
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=morch.float64)
    _run(m, t, [_x(5, 2, D)], dict(mask=mask, src_key_padding_mask=_pad(2, 5)))
    td = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0), 2,
                                     torch.nn.LayerNorm(D) if norm else None).double()  # fmt: skip
    md = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, H, FF, dropout=0.0), 2,
                               nn.LayerNorm(D) if norm else None).double()  # fmt: skip
    copy_from_torch(md, td)
    _run(md, td, [_x(4, 2, D), _x(5, 2, D, seed=1)], dict(tgt_mask=mask[:4, :4], memory_key_padding_mask=_pad(2, 5)))


@requires_torch
@pytest.mark.parametrize("kw", [{}, dict(batch_first=True, norm_first=True, activation="gelu")], ids=str)
def test_transformer_matches_pytorch(kw):
    m, t = _pair("Transformer", D, H, 2, 1, FF, dropout=0.0, **kw)
    src, tgt = (_x(2, 5, D), _x(2, 4, D, seed=1)) if kw else (_x(5, 2, D), _x(4, 2, D, seed=1))
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=morch.float64)
    masks = dict(tgt_mask=tgt_mask, src_key_padding_mask=_pad(2, 5), memory_key_padding_mask=_pad(2, 5),
                 tgt_key_padding_mask=_pad(2, 4))  # fmt: skip
    _run(m, t, [src, tgt], masks)


@requires_torch
def test_unbatched_input_matches_pytorch():
    m, t = _pair("Transformer", D, H, 1, 1, FF, dropout=0.0)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=morch.float64)
    pad = morch.tensor(np.array([False, False, False, True, False]))
    _run(m, t, [_x(5, D), _x(4, D, seed=1)], dict(tgt_mask=tgt_mask, src_key_padding_mask=pad))


@requires_torch
def test_state_dict_keys_equal_pytorch_for_every_configuration():
    for args, kw in [(("Transformer", D, H, 1, 2, FF), dict(bias=False)),
                     (("TransformerDecoderLayer", D, H, FF), dict(activation="gelu")),
                     (("TransformerEncoderLayer", D, H, FF), dict(activation=torch.nn.PReLU()))]:  # fmt: skip
        cls = args[0]
        t = getattr(torch.nn, cls)(*args[1:], **kw)
        if isinstance(kw.get("activation"), torch.nn.Module):
            kw = dict(activation=nn.PReLU())
        m = getattr(nn, cls)(*args[1:], **kw)
        assert list(m.state_dict()) == list(t.state_dict())
        assert [tuple(v.shape) for v in m.state_dict().values()] == [tuple(v.shape) for v in t.state_dict().values()]


@requires_torch
def test_generate_square_subsequent_mask_matches_pytorch():
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    assert mask.dtype == morch.float32
    np.testing.assert_array_equal(mask.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())


def test_square_subsequent_mask_and_init():
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=morch.float64).numpy()
    np.testing.assert_array_equal(mask, [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])
    m = nn.Transformer(D, H, 1, 1, FF)
    w = m.encoder.layers[0].linear1.weight.detach().numpy()
    assert np.abs(w).max() <= math.sqrt(6 / (D + FF)) and w.std() > 0
    ln = m.decoder.norm
    assert np.all(ln.weight.detach().numpy() == 1) and np.all(ln.bias.detach().numpy() == 0)


def test_encoder_layer_gradcheck_in_float64():
    morch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=True, activation="gelu").double()
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=morch.float64)
    x = rand64(3, 1, 4, seed=0)
    assert gradcheck(lambda x: layer(x, src_mask=mask), (x,))


def test_decoder_layer_gradcheck_in_float64():
    morch.manual_seed(0)
    layer = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0).double()
    tgt, mem = rand64(2, 1, 4, seed=0), rand64(3, 1, 4, seed=1)
    assert gradcheck(lambda a, b: layer(a, b), (tgt, mem))


def test_activation_callable_and_module_are_used():
    layer = nn.TransformerEncoderLayer(D, H, FF, activation=nn.GELU())
    assert "activation" in dict(layer.named_children())
    x = morch.randn(3, 2, D)
    layer.eval()
    other = nn.TransformerEncoderLayer(D, H, FF, activation=F.gelu).eval()
    other.load_state_dict(layer.state_dict())
    assert_close(layer(x), other(x))
    gelu_str = nn.TransformerEncoderLayer(D, H, FF, activation="gelu").eval()
    gelu_str.load_state_dict(layer.state_dict())
    assert_close(layer(x), gelu_str(x))


def test_dropout_in_train_mode_only():
    morch.manual_seed(0)
    m = nn.Transformer(D, H, 1, 1, FF, dropout=0.5)
    src, tgt = morch.randn(5, 2, D), morch.randn(4, 2, D)
    a = m(src, tgt)
    assert not np.allclose(a.detach().numpy(), m(src, tgt).detach().numpy())
    m.eval()
    assert_close(m(src, tgt), m(src, tgt))


def test_encoder_layer_in_a_static_graph():
    morch.manual_seed(0)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, FF, dropout=0.0), 2)
    x = Placeholder(name="src")
    y = enc(x, mask=nn.Transformer.generate_square_subsequent_mask(5))
    feed = np.random.default_rng(0).standard_normal((5, 2, D)).astype(np.float32)
    eager = enc(morch.tensor(feed), mask=nn.Transformer.generate_square_subsequent_mask(5))
    np.testing.assert_allclose(Session().run(y, {x: feed}), eager.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_transformer_errors():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(D, H, activation="tanh")
    with pytest.raises(TypeError, match="activation should be 'relu', 'gelu' or a callable, got int"):
        nn.TransformerDecoderLayer(D, H, activation=3)
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        nn.TransformerEncoderLayer(D, 3)
    m = nn.Transformer(D, H, 1, 1, FF)
    with pytest.raises(RuntimeError, match=r"batch number of src and tgt must be equal, got src \(3, 2, 8\)"):
        m(morch.randn(3, 2, D), morch.randn(3, 1, D))
    with pytest.raises(RuntimeError, match=r"feature number of src and tgt must be equal to d_model \(8\)"):
        m(morch.randn(3, 2, D), morch.randn(3, 2, 5))
    layer = nn.TransformerEncoderLayer(D, H, FF)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        layer(morch.randn(3, 2, D), is_causal=True)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        nn.TransformerEncoder(layer, 1)(morch.randn(3, 2, D), is_causal=True)
