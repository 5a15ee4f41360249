"""Recurrent layers: RNN (tanh or relu), LSTM (with optional projections) and GRU, multi-layer and
bidirectional, on padded or packed batches, and their cells.

Each layer and direction projects the whole input sequence with one matrix product, then steps
through time (a loop over time steps only). Parameter names, shapes, gate order and
initialisation are PyTorch's, so weights copied from PyTorch give the same results. A packed
batch (sequences sorted by decreasing length) is the same loop with a batch that shrinks as
sequences end (forward direction) or grows as they start (reverse direction).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from morch import functional as _mf
from morch.autograd.function import deferrable
from morch.nn import functional as F
from morch.nn import init
from morch.nn._util import InputError, shape_str
from morch.nn.linear import _check_device, _empty, check_float_input
from morch.nn.module import Module
from morch.nn.parameter import Parameter
from morch.nn.utils.rnn import PackedSequence
from morch.ops.nn import Linear as _LinearOp
from morch.tensor import Tensor, _wrap

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _linear(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    return _LinearOp.apply(x, w) if b is None else _LinearOp.apply(x, w, b)


def _rnn_step(mode: str, xp: Tensor, h: Tensor, c, w_hh: Tensor, b_hh, w_hr=None) -> tuple:
    """One time step; ``xp`` is the input already projected by weight_ih (plus bias_ih)."""
    gh = _linear(h, w_hh, b_hh)
    if mode == "RNN_TANH":
        return (xp + gh).tanh(), None
    if mode == "RNN_RELU":
        return (xp + gh).relu(), None
    hs = w_hh.shape[0] // _GATES[mode]  # with projections h is narrower than the gates and c
    if mode == "LSTM":  # gates in PyTorch's order: input, forget, cell, output
        gates = xp + gh
        sig = gates.sigmoid()
        i, f, o = sig[:, :hs], sig[:, hs : 2 * hs], sig[:, 3 * hs :]
        g = gates[:, 2 * hs : 3 * hs].tanh()
        c = f * c + i * g
        h = o * c.tanh()
        return (h if w_hr is None else _linear(h, w_hr, None)), c
    # GRU: reset, update, new; the reset gate multiplies the hidden projection (with its bias)
    rz = (xp[:, : 2 * hs] + gh[:, : 2 * hs]).sigmoid()
    r, z = rz[:, :hs], rz[:, hs:]
    n = (xp[:, 2 * hs :] + r * gh[:, 2 * hs :]).tanh()
    return n + z * (h - n), None


class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU (see those classes for the other arguments).

    Args:
        mode: 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'.
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size, device, dtype:
            as in LSTM.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None) -> None:  # fmt: skip
        super().__init__()
        _check_device(device)
        if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                stacklevel=3,
            )
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"hidden_size must be a positive integer, got {hidden_size!r}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"num_layers must be a positive integer, got {num_layers!r}")
        if not isinstance(proj_size, int) or isinstance(proj_size, bool):
            raise TypeError(f"proj_size should be an integer, got {proj_size!r}")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError(
                f"proj_size has to be smaller than hidden_size (got proj_size={proj_size}, hidden_size={hidden_size})"
            )
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        gate = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        real_hidden = proj_size or hidden_size  # the size of h (and of each direction's output)
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else real_hidden * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [("weight_ih", (gate, layer_in)), ("weight_hh", (gate, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate,)), ("bias_hh", (gate,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name + sfx, Parameter(_wrap(_empty(*shape, dtype=dtype))))
                    self._flat_weights_names.append(name + sfx)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op kept for compatibility (there is no cuDNN weight buffer)."""

    @property
    def all_weights(self) -> list:
        """The parameters grouped per layer and direction: [[w_ih, w_hh, b_ih, b_hh(, w_hr)], ...]."""
        per = (4 if self.bias else 2) + (1 if self.proj_size else 0)
        ws = [getattr(self, n) for n in self._flat_weights_names]
        return [ws[i : i + per] for i in range(0, len(ws), per)]

    def _layer_params(self, layer: int, d: int) -> tuple:
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        p = self._parameters
        return (p["weight_ih" + sfx], p["weight_hh" + sfx], p.get("bias_ih" + sfx), p.get("bias_hh" + sfx),
                p.get("weight_hr" + sfx))  # fmt: skip

    def forward(self, input: Tensor, hx=None):
        return _rnn_forward(self, input, hx)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


def _check_hidden(m: RNNBase, h: Tensor, expected: tuple, what: str) -> None:
    if not isinstance(h, Tensor):
        raise TypeError(f"{m._one_line()}: expected the {what} state to be a Tensor, got {type(h).__name__}")
    if tuple(h.shape) != expected:
        raise InputError(f"{m._one_line()}: Expected {what} size {expected}, got {list(h.shape)}")


def _run_direction(mode: str, xs: list, bs: list, h: Tensor, c, weights: tuple, reverse: bool) -> tuple:
    """Step one layer and direction through time; returns (outputs per step, h_n, c_n).

    ``xs[t]`` is step t's projected input for the first ``bs[t]`` sequences (sorted by decreasing
    length, so ``bs`` never grows); ``h`` and ``c`` are the initial states of all sequences. Going
    forward, a sequence that has ended keeps its last state aside; going backward, a sequence joins
    (with its initial state) at its own last step.
    """
    _, w_hh, _, b_hh, w_hr = weights
    n, steps = h.shape[0], len(xs)
    out = [None] * steps
    if not reverse:
        done = []
        for t in range(steps):
            if bs[t] < h.shape[0]:
                done.append((h[bs[t] :], c[bs[t] :] if c is not None else None))
                h, c = h[: bs[t]], (c[: bs[t]] if c is not None else None)
            h, c = _rnn_step(mode, xs[t], h, c, w_hh, b_hh, w_hr)
            out[t] = h
        if done:  # the earliest-ended sequences are the last rows of the batch
            h = _mf.cat([h] + [d[0] for d in reversed(done)])
            c = _mf.cat([c] + [d[1] for d in reversed(done)]) if c is not None else None
        return out, h, c
    h_all, c_all, cur = h, c, bs[-1]
    if cur < n:
        h, c = h_all[:cur], (c_all[:cur] if c is not None else None)
    for t in reversed(range(steps)):
        if bs[t] > cur:
            h = _mf.cat([h, h_all[cur : bs[t]]])
            c = _mf.cat([c, c_all[cur : bs[t]]]) if c is not None else None
            cur = bs[t]
        h, c = _rnn_step(mode, xs[t], h, c, w_hh, b_hh, w_hr)
        out[t] = h
    return out, h, c


@deferrable
def _rnn_forward(m: RNNBase, input, hx):
    packed = isinstance(input, PackedSequence)
    if packed:
        input, batch_sizes, sorted_indices, unsorted_indices = input
        if not isinstance(input, Tensor) or input.ndim != 2:
            got = f"shape {shape_str(input)}" if isinstance(input, Tensor) else type(input).__name__
            raise InputError(f"{m._one_line()}: the data of a PackedSequence input must have 2 dimensions "
                             f"(sum of lengths, H_in), got {got}")  # fmt: skip
        bs = [int(b) for b in np.asarray(batch_sizes._data if isinstance(batch_sizes, Tensor) else batch_sizes)]
        if sum(bs) != input.shape[0]:
            raise InputError(f"{m._one_line()}: the PackedSequence's batch_sizes add up to {sum(bs)}, but its data "
                             f"has {input.shape[0]} rows")  # fmt: skip
    elif not isinstance(input, Tensor):
        raise TypeError(f"{m._one_line()}: expected a morch Tensor or a PackedSequence as input, "
                        f"got {type(input).__name__}")  # fmt: skip
    elif input.ndim not in (2, 3):
        dims = "(N, L, H_in)" if m.batch_first else "(L, N, H_in)"
        raise InputError(f"{m._one_line()}: expected input of shape {dims} or unbatched (L, H_in), "
                         f"got shape {shape_str(input)}")  # fmt: skip
    if input.shape[-1] != m.input_size:
        raise InputError(f"{m._one_line()}: input.size(-1) must be equal to input_size. Expected {m.input_size}, "
                         f"got {input.shape[-1]} (input shape {shape_str(input)})")  # fmt: skip
    w0 = m._parameters["weight_ih_l0"]
    check_float_input(m, input._data, w0._data)
    unbatched = not packed and input.ndim == 2
    if packed:
        x, n = input, bs[0]
        starts = np.cumsum([0] + bs)
    else:
        x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if m.batch_first else input)
        steps, n = x.shape[0], x.shape[1]
        if steps == 0:
            raise InputError(f"{m._one_line()}: the input sequence is empty (shape {shape_str(input)})")
        bs = [n] * steps
    dirs = 2 if m.bidirectional else 1
    hshape = (m.num_layers * dirs, n, m.proj_size or m.hidden_size)
    cshape = (m.num_layers * dirs, n, m.hidden_size)
    lstm = m.mode == "LSTM"
    if hx is None:
        h0 = _wrap(np.zeros(hshape, dtype=w0._data.dtype))
        c0 = _wrap(np.zeros(cshape, dtype=w0._data.dtype)) if lstm else None
    else:
        if lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{m._one_line()}: hx must be a tuple (h_0, c_0) for an LSTM")
            h0, c0 = hx
        else:
            h0, c0 = hx, None
        if unbatched:
            h0 = h0.unsqueeze(1)
            c0 = c0.unsqueeze(1) if c0 is not None else None
        _check_hidden(m, h0, hshape, "hidden")
        if c0 is not None:
            _check_hidden(m, c0, cshape, "cell")
        if packed and sorted_indices is not None:  # hx is in the caller's batch order, the packed data sorted
            h0 = _mf.index_select(h0, 1, sorted_indices)
            c0 = _mf.index_select(c0, 1, sorted_indices) if c0 is not None else None
    layer_input = x
    h_n, c_n = [], []
    for layer in range(m.num_layers):
        outputs = []
        for d in range(dirs):
            weights = m._layer_params(layer, d)
            xp = _linear(layer_input, weights[0], weights[2])  # every time step's input projection in one product
            xs = [xp[starts[t] : starts[t + 1]] for t in range(len(bs))] if packed else list(xp)
            k = layer * dirs + d
            out, h, c = _run_direction(m.mode, xs, bs, h0[k], c0[k] if lstm else None, weights, d == 1)
            outputs.append(_mf.cat(out) if packed else _mf.stack(out))
            h_n.append(h)
            c_n.append(c)
        layer_input = outputs[0] if dirs == 1 else _mf.cat(outputs, -1)
        if m.dropout and m.training and layer < m.num_layers - 1:
            layer_input = F.dropout(layer_input, m.dropout, True)
    output = layer_input
    hn = _mf.stack(h_n)
    cn = _mf.stack(c_n) if lstm else None
    if packed:
        if unsorted_indices is not None:  # back to the caller's batch order
            hn = _mf.index_select(hn, 1, unsorted_indices)
            cn = _mf.index_select(cn, 1, unsorted_indices) if lstm else None
        output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
    elif unbatched:
        output, hn = output.squeeze(1), hn.squeeze(1)
        cn = cn.squeeze(1) if lstm else None
    elif m.batch_first:
        output = output.transpose(0, 1)
    return (output, (hn, cn)) if lstm else (output, hn)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), stacked in layers.

    Input (L, N, H_in), or (N, L, H_in) with batch_first, or unbatched (L, H_in); returns
    (output, h_n): output (L, N, D*H_out) holds the last layer's h_t for every t, h_n
    (D*num_layers, N, H_out) the final hidden state of every layer and direction (D = 2 if
    bidirectional else 1). The input may also be a PackedSequence (see morch.nn.utils.rnn): the
    output is then packed the same way and h_n holds each sequence's state at its own last step,
    in the original batch order. Differs from PyTorch: with a packed input, h_0 must have the
    packed batch's size (PyTorch silently reindexes a wrong-sized h_0).

    Args:
        input_size: features of the input.
        hidden_size: features of the hidden state.
        num_layers: stacked recurrent layers.
        nonlinearity: 'tanh' or 'relu'.
        bias: learn bias_ih and bias_hh.
        batch_first: input and output are (N, L, features).
        dropout: dropout on the outputs of each layer but the last (in training).
        bidirectional: also run each layer backwards in time.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
        proj_size: not supported (only LSTM has projections); passing it raises ValueError, as in PyTorch.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, *, proj_size: int | None = None) -> None:  # fmt: skip
        if proj_size is not None:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.__dict__["nonlinearity"] = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, device=device, dtype=dtype)  # fmt: skip


class LSTM(RNNBase):
    """Long short-term memory, gates (input, forget, cell, output) in PyTorch's order.

    Input as for RNN (or a PackedSequence); ``hx`` is (h_0, c_0) or None; returns (output, (h_n, c_n)).

    Args:
        input_size: features of the input.
        hidden_size: features of the hidden and cell state.
        num_layers: stacked recurrent layers.
        bias: learn bias_ih and bias_hh.
        batch_first: input and output are (N, L, features).
        dropout: dropout on the outputs of each layer but the last (in training).
        bidirectional: also run each layer backwards in time.
        proj_size: if > 0, each step's h is projected to this size by weight_hr_l{k} (proj_size, hidden_size),
            so h_0/h_n and the output have proj_size features while c keeps hidden_size; must be < hidden_size.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None) -> None:  # fmt: skip
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)  # fmt: skip


class GRU(RNNBase):
    """Gated recurrent unit, gates (reset, update, new) in PyTorch's order.

    Input as for RNN; returns (output, h_n).

    Args:
        input_size: features of the input.
        hidden_size: features of the hidden state.
        num_layers: stacked recurrent layers.
        bias: learn bias_ih and bias_hh.
        batch_first: input and output are (N, L, features).
        dropout: dropout on the outputs of each layer but the last (in training).
        bidirectional: also run each layer backwards in time.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
        proj_size: not supported (only LSTM has projections); passing it raises ValueError, as in PyTorch.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None, *, proj_size: int | None = None) -> None:  # fmt: skip
        if proj_size is not None:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)  # fmt: skip


class RNNCellBase(Module):
    """One time step of an RNN, LSTM or GRU (see RNNCell, LSTMCell, GRUCell).

    Args:
        input_size: features of the input.
        hidden_size: features of the hidden state.
        bias: learn bias_ih and bias_hh.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        _check_device(device)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gate = _GATES[self._mode] * hidden_size
        self.weight_ih = Parameter(_wrap(_empty(gate, input_size, dtype=dtype)))
        self.weight_hh = Parameter(_wrap(_empty(gate, hidden_size, dtype=dtype)))
        if bias:
            self.bias_ih = Parameter(_wrap(_empty(gate, dtype=dtype)))
            self.bias_hh = Parameter(_wrap(_empty(gate, dtype=dtype)))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = RNNBase.reset_parameters

    def forward(self, input: Tensor, hx=None):
        return _cell_forward(self, input, hx)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


@deferrable
def _cell_forward(m: RNNCellBase, input: Tensor, hx):
    if input.ndim not in (1, 2) or input.shape[-1] != m.input_size:
        raise InputError(f"{m._one_line()}: expected input of shape (N, {m.input_size}) or ({m.input_size},), "
                         f"got shape {shape_str(input)}")  # fmt: skip
    check_float_input(m, input._data, m.weight_ih._data)
    unbatched = input.ndim == 1
    x = input.unsqueeze(0) if unbatched else input
    shape = (x.shape[0], m.hidden_size)
    lstm = m._mode == "LSTM"
    if hx is None:
        zeros = _wrap(np.zeros(shape, dtype=x._data.dtype))
        h, c = zeros, zeros
    else:
        h, c = hx if lstm else (hx, None)
        if unbatched:
            h = h.unsqueeze(0)
            c = c.unsqueeze(0) if c is not None else None
        _check_hidden(m, h, shape, "hidden")
    xp = _linear(x, m.weight_ih, m.bias_ih)
    h, c = _rnn_step(m._mode, xp, h, c, m.weight_hh, m.bias_hh)
    if unbatched:
        h = h.squeeze(0)
        c = c.squeeze(0) if c is not None else None
    return (h, c) if lstm else h


class RNNCell(RNNCellBase):
    """One Elman RNN step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    Args:
        input_size: features of the input.
        hidden_size: features of the hidden state.
        bias: learn bias_ih and bias_hh.
        nonlinearity: 'tanh' or 'relu'.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.__dict__["nonlinearity"] = nonlinearity
        self.__dict__["_mode"] = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, device, dtype)


class LSTMCell(RNNCellBase):
    """One LSTM step; ``hx`` = (h, c) or None; returns (h', c').

    Args:
        input_size: features of the input.
        hidden_size: features of the hidden and cell state.
        bias: learn bias_ih and bias_hh.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    _mode = "LSTM"


class GRUCell(RNNCellBase):
    """One GRU step; returns h'.

    Args:
        input_size: features of the input.
        hidden_size: features of the hidden state.
        bias: learn bias_ih and bias_hh.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    _mode = "GRU"
