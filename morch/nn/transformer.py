"""Transformer layers: TransformerEncoderLayer/Encoder, TransformerDecoderLayer/Decoder and Transformer.

Built from MultiheadAttention, Linear, LayerNorm and Dropout with PyTorch's submodule names, so
state_dict keys are PyTorch's and a PyTorch state_dict loads. morch always runs the plain
("slow") path: PyTorch's eval-mode fast path (nested tensors, which zero padded positions of
the encoder's output) is not reproduced; its arguments are accepted and ignored.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from morch import dtypes
from morch.nn import functional as F
from morch.nn import init
from morch.nn._util import InputError
from morch.nn.attention import MultiheadAttention
from morch.nn.container import ModuleList
from morch.nn.dropout import Dropout
from morch.nn.linear import Linear, _check_device
from morch.nn.module import Module
from morch.nn.normalization import LayerNorm
from morch.tensor import Tensor, _wrap

__all__ = ["TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer", "TransformerDecoder",
           "Transformer"]  # fmt: skip


def _activation(activation: str | Callable) -> Callable:
    if isinstance(activation, str):
        if activation == "relu":
            return F.relu
        if activation == "gelu":
            return F.gelu
        raise RuntimeError(f"activation should be relu/gelu, not {activation}")
    if not callable(activation):
        raise TypeError(f"activation should be 'relu', 'gelu' or a callable, got {type(activation).__name__}")
    return activation


def _clones(module: Module, n: int) -> ModuleList:
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _causal(is_causal: bool | None) -> bool:
    # PyTorch compares the mask with a causal one to set this hint; the mask is applied either way,
    # so only an explicit True matters (it requires a mask, as in PyTorch)
    return bool(is_causal)


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block, each with dropout, a residual connection and LayerNorm.

    With norm_first=False (post-norm): x = norm1(x + sa(x)); x = norm2(x + ff(x)); with
    norm_first=True: x = x + sa(norm1(x)); x = x + ff(norm2(x)). Submodules as in PyTorch:
    self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2.

    Args:
        d_model: the feature size of the input and output.
        nhead: the number of attention heads.
        dim_feedforward: the hidden size of the feed-forward block.
        dropout: the dropout probability.
        activation: 'relu', 'gelu' or a callable (a Module is registered as a submodule).
        layer_norm_eps: eps of the LayerNorms.
        batch_first: inputs are (N, S, E) instead of (S, N, E).
        norm_first: apply LayerNorm before attention and feed-forward (pre-norm).
        bias: learn biases in the Linear and LayerNorm layers.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable = F.relu, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:  # fmt: skip
        super().__init__()
        _check_device(device)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype)  # fmt: skip
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self, src: Tensor, src_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool = False) -> Tensor:  # fmt: skip
        """Encode ``src``.

        Args:
            src: (S, N, E), (N, S, E) with batch_first, or unbatched (S, E).
            src_mask: (S, S) or (N * nhead, S, S) attention mask (bool True forbids a pair, floats are added).
            src_key_padding_mask: (N, S) or (S,): bool True ignores that position as a key.
            is_causal: a hint that src_mask is causal (src_mask must be given).
        """
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]  # fmt: skip
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's memory, then a feed-forward block.

    Each block has dropout, a residual connection and a LayerNorm (after it, or before it with
    norm_first). Submodules as in PyTorch: self_attn, multihead_attn, linear1, dropout, linear2,
    norm1, norm2, norm3, dropout1, dropout2, dropout3.

    Args:
        d_model: the feature size of the input and output.
        nhead: the number of attention heads.
        dim_feedforward: the hidden size of the feed-forward block.
        dropout: the dropout probability.
        activation: 'relu', 'gelu' or a callable (a Module is registered as a submodule).
        layer_norm_eps: eps of the LayerNorms.
        batch_first: inputs are (N, T, E) instead of (T, N, E).
        norm_first: apply LayerNorm before each block (pre-norm).
        bias: learn biases in the Linear and LayerNorm layers.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable = F.relu, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:  # fmt: skip
        super().__init__()
        _check_device(device)
        kw = dict(dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None, memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:  # fmt: skip
        """Decode ``tgt`` attending to ``memory``.

        Args:
            tgt: (T, N, E), (N, T, E) with batch_first, or unbatched (T, E).
            memory: the encoder output, (S, N, E), (N, S, E) or (S, E).
            tgt_mask: (T, T) or (N * nhead, T, T) self-attention mask.
            memory_mask: (T, S) or (N * nhead, T, S) mask of the attention over memory.
            tgt_key_padding_mask: (N, T) or (T,): bool True ignores that target position.
            memory_key_padding_mask: (N, S) or (S,): bool True ignores that memory position.
            tgt_is_causal: a hint that tgt_mask is causal (tgt_mask must be given).
            memory_is_causal: a hint that memory_mask is causal (memory_mask must be given).
        """
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]  # fmt: skip
        return self.dropout1(x)

    def _mha_block(self, x: Tensor, mem: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)[0]  # fmt: skip
        return self.dropout2(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of an encoder layer, then an optional norm.

    Args:
        encoder_layer: the layer to copy (deep copies: the layers do not share weights).
        num_layers: the number of layers.
        norm: applied to the last layer's output, or None.
        enable_nested_tensor: accepted for compatibility; morch has no nested-tensor fast path.
        mask_check: accepted for compatibility.
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:  # fmt: skip
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(self, src: Tensor, mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:  # fmt: skip
        """Pass ``src`` through every layer (and the norm).

        Args:
            src: (S, N, E), (N, S, E) with batch_first, or unbatched (S, E).
            mask: the attention mask of every layer.
            src_key_padding_mask: (N, S) or (S,): bool True ignores that position as a key.
            is_causal: a hint that mask is causal (True requires mask; None: no hint).
        """
        out = src
        for layer in self.layers:
            out = layer(out, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=_causal(is_causal))
        return out if self.norm is None else self.norm(out)


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of a decoder layer, then an optional norm.

    Args:
        decoder_layer: the layer to copy (deep copies: the layers do not share weights).
        num_layers: the number of layers.
        norm: applied to the last layer's output, or None.
    """

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None, memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:  # fmt: skip
        """Pass ``tgt`` through every layer, each attending to ``memory`` (then the norm).

        Args:
            tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask, memory_is_causal:
                as in TransformerDecoderLayer.forward.
            tgt_is_causal: a hint that tgt_mask is causal (True requires tgt_mask; None: no hint).
        """
        out = tgt
        for layer in self.layers:
            out = layer(out, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                        tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                        tgt_is_causal=_causal(tgt_is_causal), memory_is_causal=memory_is_causal)  # fmt: skip
        return out if self.norm is None else self.norm(out)


class Transformer(Module):
    """An encoder-decoder Transformer ("Attention Is All You Need"), as ``torch.nn.Transformer``.

    Every parameter with more than one dimension is re-initialised with xavier_uniform_, as in PyTorch.

    Args:
        d_model: the feature size.
        nhead: the number of attention heads.
        num_encoder_layers: encoder layers.
        num_decoder_layers: decoder layers.
        dim_feedforward: the hidden size of the feed-forward blocks.
        dropout: the dropout probability.
        activation: 'relu', 'gelu' or a callable.
        custom_encoder: a module used instead of the default encoder.
        custom_decoder: a module used instead of the default decoder.
        layer_norm_eps: eps of the LayerNorms.
        batch_first: inputs are (N, S, E) instead of (S, N, E).
        norm_first: pre-norm layers.
        bias: learn biases in the Linear and LayerNorm layers.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6, num_decoder_layers: int = 6,
                 dim_feedforward: int = 2048, dropout: float = 0.1, activation: str | Callable = F.relu,
                 custom_encoder: Module | None = None, custom_decoder: Module | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False,
                 bias: bool = True, device=None, dtype=None) -> None:  # fmt: skip
        super().__init__()
        _check_device(device)
        kw = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                  layer_norm_eps=layer_norm_eps, batch_first=batch_first, norm_first=norm_first, bias=bias,
                  dtype=dtype)  # fmt: skip
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, **kw)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, **kw)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, norm)
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None, memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:  # fmt: skip
        """Encode ``src``, then decode ``tgt`` attending to the encoding.

        Args:
            src: (S, N, E), (N, S, E) with batch_first, or unbatched (S, E).
            tgt: (T, N, E), (N, T, E) with batch_first, or unbatched (T, E).
            src_mask: (S, S) or (N * nhead, S, S) encoder self-attention mask.
            tgt_mask: (T, T) or (N * nhead, T, T) decoder self-attention mask
                (``generate_square_subsequent_mask(T)`` for causal decoding).
            memory_mask: (T, S) or (N * nhead, T, S) mask of the decoder's attention over the encoding.
            src_key_padding_mask: (N, S) or (S,) padding of src.
            tgt_key_padding_mask: (N, T) or (T,) padding of tgt.
            memory_key_padding_mask: (N, S) or (S,) padding of the encoding (usually src_key_padding_mask).
            src_is_causal: a hint that src_mask is causal.
            tgt_is_causal: a hint that tgt_mask is causal.
            memory_is_causal: a hint that memory_mask is causal.
        """
        _check_transformer_inputs(self, src, tgt)
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)  # fmt: skip

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """A float (sz, sz) causal mask: 0 on and below the diagonal, -inf above it.

        Args:
            sz: the sequence length.
            device: 'cpu' or None.
            dtype: the mask's dtype (the default float dtype when None).
        """
        _check_device(device)
        nd = dtypes.to_numpy(dtype) if dtype is not None else dtypes.default_float()
        return _wrap(np.triu(np.full((sz, sz), -np.inf, dtype=nd), 1))


def _check_transformer_inputs(m: Transformer, src: Tensor, tgt: Tensor) -> None:
    if src._data is None or tgt._data is None:
        return  # static-graph tensors: their shapes are known only when the graph runs
    batched = src.ndim == 3
    b = 0 if m.batch_first else 1
    if batched and (tgt.ndim != 3 or src.shape[b] != tgt.shape[b]):
        raise InputError(f"{m._get_name()}: the batch number of src and tgt must be equal, got src "
                         f"{tuple(src.shape)} and tgt {tuple(tgt.shape)} (batch_first={m.batch_first})")  # fmt: skip
    if src.shape[-1] != m.d_model or tgt.shape[-1] != m.d_model:
        raise InputError(f"{m._get_name()}: the feature number of src and tgt must be equal to d_model "
                         f"({m.d_model}), got src {tuple(src.shape)} and tgt {tuple(tgt.shape)}")  # fmt: skip
