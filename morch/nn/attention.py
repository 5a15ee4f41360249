"""Attention: ``F.scaled_dot_product_attention`` and ``nn.MultiheadAttention``.

Both are composites of differentiable morch ops (matmul, where, softmax, dropout, linear), so
autograd, double backward, gradcheck and static graphs work without an op of their own.
Parameter names, shapes, initialisation and mask conventions are PyTorch's, so a PyTorch
state_dict loads and gives the same results.
"""

from __future__ import annotations

import math

import numpy as np

from morch import dtypes
from morch import functional as _mf
from morch.autograd.function import deferrable
from morch.nn import functional as F
from morch.nn import init
from morch.nn._util import InputError, InputTypeError
from morch.nn.linear import Linear, _check_device, _empty
from morch.nn.module import Module
from morch.nn.parameter import Parameter
from morch.tensor import Tensor, _wrap

__all__ = ["scaled_dot_product_attention", "MultiheadAttention", "NonDynamicallyQuantizableLinear"]


def _dt(t: Tensor) -> np.dtype:
    return t._data.dtype


def _shape(t: Tensor) -> tuple:
    return tuple(t._data.shape)


def _attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, dropout_p: float, scale: float) -> tuple:
    """softmax(q @ k^T * scale [masked]) @ v and the attention weights.

    ``mask`` is None, a bool tensor (True = take part) or a float tensor added to the scores, already
    checked to broadcast to the scores' shape. Rows where every key is masked out get zero weights
    (and zero gradients) instead of NaN, as PyTorch's math kernel does since 2.5.
    """
    scores = _mf.matmul(q, k.transpose(-2, -1)) * scale
    dead = None
    if mask is not None:
        m = np.broadcast_to(mask._data, scores._data.shape)
        if mask._data.dtype == np.bool_:
            scores = _mf.where(mask, scores, -math.inf)
            dead = ~m.any(-1, keepdims=True)
        else:
            scores = scores + mask
            dead = np.isneginf(m).all(-1, keepdims=True)
        if dead.any():
            # a finite row keeps softmax (and its backward) free of NaN; the where below zeroes it
            dead = _wrap(dead)
            scores = _mf.where(dead, 0.0, scores)
        else:
            dead = None
    weights = _mf.softmax(scores, -1)
    if dead is not None:
        weights = _mf.where(dead, 0.0, weights)
    if dropout_p > 0.0:
        weights = F.dropout(weights, dropout_p, training=True)
    return _mf.matmul(weights, v), weights


def _repeat_heads(t: Tensor, r: int) -> Tensor:
    """repeat_interleave(t, r, dim=-3): each key/value head serves r query heads."""
    if r == 1:
        return t
    s = _shape(t)
    return t.unsqueeze(-3).expand(*s[:-2], r, *s[-2:]).reshape(*s[:-3], s[-3] * r, *s[-2:])


@deferrable
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:  # fmt: skip
    """softmax(query @ key^T * scale + mask) @ value, with optional causal masking and dropout.

    Leading (batch, head) dims broadcast. A bool ``attn_mask`` marks with True the query/key pairs
    that take part (the opposite of MultiheadAttention's masks); a float mask is added to the
    scores. Dropout is applied to the weights whenever ``dropout_p > 0`` (pass 0.0 in eval mode, as
    in PyTorch). A query row whose keys are all masked out gives zeros, as PyTorch's CPU kernels do.

    Args:
        query: (..., L, E).
        key: (..., S, E).
        value: (..., S, Ev).
        attn_mask: bool or float, broadcastable to (..., L, S); None for no mask.
        dropout_p: the probability of dropping an attention weight.
        is_causal: query i attends only keys 0..i (top-left aligned when L != S); excludes attn_mask.
        scale: the factor of the scores; 1/sqrt(E) when None.
        enable_gqa: grouped-query attention: key and value may have fewer heads (dim -3) than query,
            a divisor of its head count; each is repeated to match.
    """
    name = "scaled_dot_product_attention"
    for t in (query, key, value):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: expected query, key and value to be morch Tensors, got {type(t).__name__}")
    q, k, v = query, key, value
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise InputError(f"{name}: expected query, key, and value to all be at least 2 dimensional, but got "
                         f"query.dim: {q.ndim} key.dim: {k.ndim} and value.dim: {v.ndim} instead.")  # fmt: skip
    if not _dt(q) == _dt(k) == _dt(v):
        raise InputTypeError(f"{name}: expected query, key, and value to have the same dtype, but got query.dtype: "
                             f"{q.dtype} key.dtype: {k.dtype} and value.dtype: {v.dtype} instead.")  # fmt: skip
    if _dt(q).kind != "f":
        raise InputTypeError(f"{name}: expected floating-point query, key and value, got {q.dtype}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise InputError(f"{name}: expected query (..., L, E), key (..., S, E) and value (..., S, Ev), got "
                         f"shapes {_shape(q)}, {_shape(k)} and {_shape(v)}")  # fmt: skip
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {dropout_p}")
    if enable_gqa:
        if min(q.ndim, k.ndim, v.ndim) < 3 or q.shape[-3] % k.shape[-3] or q.shape[-3] % v.shape[-3]:
            raise InputError(f"{name}: with enable_gqa the number of heads (dim -3) of key and value must divide "
                             f"that of query, got shapes {_shape(q)}, {_shape(k)} and {_shape(v)}")  # fmt: skip
        k = _repeat_heads(k, q.shape[-3] // k.shape[-3])
        v = _repeat_heads(v, q.shape[-3] // v.shape[-3])
    try:
        batch = np.broadcast_shapes(_shape(q)[:-2], _shape(k)[:-2], _shape(v)[:-2])
    except ValueError:
        raise InputError(f"{name}: the batch dims of query {_shape(q)}, key {_shape(k)} and value {_shape(v)} "
                         "do not broadcast (pass enable_gqa=True for fewer key/value heads)") from None  # fmt: skip
    L, S = q.shape[-2], k.shape[-2]
    mask = attn_mask
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(f"{name}: Explicit attn_mask should not be set when is_causal=True")
        mask = _wrap(np.tril(np.ones((L, S), dtype=np.bool_)))
    elif mask is not None:
        if not isinstance(mask, Tensor):
            raise TypeError(f"{name}: attn_mask must be a morch Tensor or None, got {type(mask).__name__}")
        md = _dt(mask)
        if md != np.bool_ and not (md.kind == "f" and (md == _dt(q) or md == np.float32)):
            raise InputTypeError(f"{name}: expected attn_mask dtype to be bool or float or to match query dtype, "
                                 f"but got attn_mask.dtype: {mask.dtype} and query.dtype: {q.dtype}")  # fmt: skip
        scores_shape = (*batch, L, S)
        try:
            ok = np.broadcast_shapes(_shape(mask), scores_shape) == scores_shape
        except ValueError:
            ok = False
        if not ok:
            raise InputError(f"{name}: attn_mask of shape {_shape(mask)} does not broadcast to the attention "
                             f"scores' shape {scores_shape} (query {_shape(q)}, key {_shape(k)})")  # fmt: skip
    s = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    return _attend(q, k, v, mask, dropout_p, s)[0]


class NonDynamicallyQuantizableLinear(Linear):
    """The Linear layer MultiheadAttention uses as ``out_proj`` (PyTorch's name, kept for its repr).

    Args:
        in_features, out_features, bias, device, dtype: as in Linear.
    """


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of size embed_dim // num_heads, with input and output projections.

    Parameters as in PyTorch: ``in_proj_weight`` (3E, E) when kdim == vdim == embed_dim, else
    ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim) and ``v_proj_weight`` (E, vdim);
    ``in_proj_bias`` (3E,), ``out_proj`` (a Linear), ``bias_k`` / ``bias_v`` (1, 1, E) with add_bias_kv.
    Projection weights are xavier_uniform_, in_proj_bias and out_proj.bias zero, bias_k and bias_v
    xavier_normal_. Masks use PyTorch's MultiheadAttention convention: a bool True marks a position
    that must *not* be attended; float masks are added to the scores. Differences from PyTorch:
    invalid arguments raise ValueError/InputError instead of AssertionError; the ``is_causal`` hint
    only requires ``attn_mask`` (which is always applied); rows whose keys are all masked give zeros
    (PyTorch gives NaN when need_weights=True and zeros otherwise).

    Args:
        embed_dim: the model dimension E (of query and output).
        num_heads: the number of heads; must divide embed_dim.
        dropout: dropout probability of the attention weights (in training mode).
        bias: learn in_proj_bias and out_proj.bias.
        add_bias_kv: learn a bias key and value appended to the key/value sequences.
        add_zero_attn: append a zero key and value to the sequences.
        kdim: the key features (embed_dim when None).
        vdim: the value features (embed_dim when None).
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None, dtype=None) -> None:  # fmt: skip
        super().__init__()
        _check_device(device)
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and num_heads={num_heads} "
                "instead"
            )
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim must be divisible by num_heads, got embed_dim={embed_dim}, "
                             f"num_heads={num_heads}")  # fmt: skip
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout}")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, float(dropout), batch_first
        self.head_dim = embed_dim // num_heads
        self.add_zero_attn = add_zero_attn
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(_wrap(_empty(3 * embed_dim, embed_dim, dtype=dtype)))
            for n in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(n, None)
        else:
            self.q_proj_weight = Parameter(_wrap(_empty(embed_dim, embed_dim, dtype=dtype)))
            self.k_proj_weight = Parameter(_wrap(_empty(embed_dim, self.kdim, dtype=dtype)))
            self.v_proj_weight = Parameter(_wrap(_empty(embed_dim, self.vdim, dtype=dtype)))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(_wrap(_empty(3 * embed_dim, dtype=dtype)))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(_wrap(_empty(1, 1, embed_dim, dtype=dtype)))
            self.bias_v = Parameter(_wrap(_empty(1, 1, embed_dim, dtype=dtype)))
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple:  # fmt: skip
        """Attend from query to key/value; returns (output, attention weights or None).

        Args:
            query: (L, N, E), (N, L, E) with batch_first, or unbatched (L, E).
            key: (S, N, kdim), (N, S, kdim) with batch_first, or (S, kdim).
            value: (S, N, vdim), (N, S, vdim) with batch_first, or (S, vdim).
            key_padding_mask: (N, S) or (S,); bool True (or a float added) ignores that key.
            need_weights: also return the attention weights.
            attn_mask: (L, S) or (N * num_heads, L, S) (num_heads, L, S unbatched); bool True forbids a pair.
            average_attn_weights: average the returned weights over heads: (N, L, S), else (N, H, L, S).
            is_causal: a hint that attn_mask is causal; attn_mask must be given.
        """
        args = (query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal)
        if not need_weights:
            return _mha_part(self, 0, *args), None
        if any(isinstance(a, Tensor) and a._data is None for a in args):
            # a static graph node has one output: output and weights become two nodes (in training
            # mode with dropout they draw different dropout masks)
            return _mha_part(self, 0, *args), _mha_part(self, 1, *args)
        return _mha_forward(self, *args)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"


def _float_mask(m: MultiheadAttention, mask, what: str, dtype: np.dtype) -> Tensor | None:
    """A MultiheadAttention mask as a float tensor to add: bool True becomes -inf."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"{m._one_line()}: {what} must be a morch Tensor or None, got {type(mask).__name__}")
    md = _dt(mask)
    if md == np.bool_:
        return _wrap(np.where(mask._data, dtype.type(-np.inf), dtype.type(0)))
    if md.kind != "f":
        raise InputTypeError(f"{m._one_line()}: only bool and floating types of {what} are supported, got {mask.dtype}")
    return mask if md == dtype else mask.to(dtypes.from_numpy(dtype))


def _pad_key(t: Tensor | None) -> Tensor | None:
    """One more key column (0: not masked) for the bias or zero key appended to the sequence."""
    if t is None:
        return None
    return _mf.cat([t, _wrap(np.zeros((*_shape(t)[:-1], 1), dtype=_dt(t)))], -1)


@deferrable
def _mha_part(m: MultiheadAttention, part: int, *args) -> Tensor:
    return _mha_forward(m, *args)[part]


def _mha_forward(m: MultiheadAttention, query, key, value, key_padding_mask, need_weights, attn_mask,
                 average_attn_weights, is_causal) -> tuple:  # fmt: skip
    me = m._one_line()
    for n, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{me}: expected {n} to be a morch Tensor, got {type(t).__name__}")
    batched = query.ndim == 3
    if query.ndim not in (2, 3):
        raise InputError(f"{me}: query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.ndim}-D query tensor of shape {_shape(query)}")  # fmt: skip
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise InputError(f"{me}: for {query.ndim}-D query, expected key and value to be {query.ndim}-D, got "
                         f"shapes {_shape(key)} and {_shape(value)}")  # fmt: skip
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        raise InputError(f"{me}: for {query.ndim}-D query, expected key_padding_mask to be "
                         f"{query.ndim - 1}-D, got shape {_shape(key_padding_mask)}")  # fmt: skip
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        raise InputError(f"{me}: expected a 2-D or 3-D attn_mask, got shape {_shape(attn_mask)}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")  # fmt: skip
    if batched and m.batch_first:
        query, key, value = (t.transpose(0, 1) for t in (query, key, value))
    elif not batched:
        query, key, value = (t.unsqueeze(1) for t in (query, key, value))
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    # from here on: query (L, N, E), key (S, N, kdim), value (S, N, vdim)
    (L, N, E), S, H, hd = _shape(query), key.shape[0], m.num_heads, m.head_dim
    if E != m.embed_dim or key.shape[2] != m.kdim or value.shape[2] != m.vdim:
        raise InputError(f"{me}: was expecting embedding dimensions (query, key, value) of "
                         f"{(m.embed_dim, m.kdim, m.vdim)}, but got {(E, key.shape[2], value.shape[2])}")  # fmt: skip
    if _shape(key)[:2] != _shape(value)[:2] or key.shape[1] != N:
        raise InputError(f"{me}: key shape {_shape(key)} and value shape {_shape(value)} must share the sequence "
                         f"length and the batch size {N} of query {_shape(query)} (in (L, N, E) layout)")  # fmt: skip
    dt = _dt(query)
    if not _dt(key) == _dt(value) == dt or dt.kind != "f":
        raise InputTypeError(f"{me}: expected query, key and value of one floating dtype, got "
                             f"{query.dtype}, {key.dtype} and {value.dtype}")  # fmt: skip
    if key_padding_mask is not None and _shape(key_padding_mask) != (N, S):
        raise InputError(f"{me}: expected key_padding_mask of shape {(N, S) if batched else (S,)}, got "
                         f"{_shape(key_padding_mask) if batched else _shape(key_padding_mask)[1:]}")  # fmt: skip
    if attn_mask is not None:
        want = (L, S) if attn_mask.ndim == 2 else (N * H, L, S)
        if _shape(attn_mask) != want:
            raise InputError(f"{me}: The shape of the {attn_mask.ndim}D attn_mask is {_shape(attn_mask)}, "
                             f"but should be {want}.")  # fmt: skip
    attn_mask = _float_mask(m, attn_mask, "attn_mask", dt)
    key_padding_mask = _float_mask(m, key_padding_mask, "key_padding_mask", dt)

    if m._qkv_same_embed_dim:
        w = m.in_proj_weight
        wq, wk, wv = w[:E], w[E : 2 * E], w[2 * E :]
    else:
        wq, wk, wv = m.q_proj_weight, m.k_proj_weight, m.v_proj_weight
    b = m.in_proj_bias
    bq, bk, bv = (None, None, None) if b is None else (b[:E], b[E : 2 * E], b[2 * E :])
    q, k, v = F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)
    if m.bias_k is not None:
        k = _mf.cat([k, m.bias_k.expand(1, N, E)], 0)
        v = _mf.cat([v, m.bias_v.expand(1, N, E)], 0)
        attn_mask, key_padding_mask = _pad_key(attn_mask), _pad_key(key_padding_mask)
    # heads: (seq, N, E) -> (N * H, seq, hd), batch-major as PyTorch lays out the 3-D attn_mask
    q = q.reshape(L, N * H, hd).transpose(0, 1)
    k = k.reshape(k.shape[0], N * H, hd).transpose(0, 1)
    v = v.reshape(v.shape[0], N * H, hd).transpose(0, 1)
    if m.add_zero_attn:
        zeros = _wrap(np.zeros((N * H, 1, hd), dtype=dt))
        k, v = _mf.cat([k, zeros], 1), _mf.cat([v, zeros], 1)
        attn_mask, key_padding_mask = _pad_key(attn_mask), _pad_key(key_padding_mask)
    S2 = k.shape[1]
    mask = attn_mask
    if key_padding_mask is not None:
        kpm = key_padding_mask.reshape(N, 1, 1, S2).expand(N, H, 1, S2).reshape(N * H, 1, S2)
        mask = kpm if mask is None else mask + kpm
    dropout_p = m.dropout if m.training else 0.0
    out, weights = _attend(q, k, v, mask, dropout_p, 1.0 / math.sqrt(hd))
    out = F.linear(out.transpose(0, 1).reshape(L, N, E), m.out_proj.weight, m.out_proj.bias)
    if batched and m.batch_first:
        out = out.transpose(0, 1)
    elif not batched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.reshape(N, H, L, S2)
    if average_attn_weights:
        weights = weights.mean(1)
    return out, (weights if batched else weights.squeeze(0))
