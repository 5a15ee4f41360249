"""Ops that neural-network layers are made of: a fused linear map, (log-)softmax, and im2col/col2im."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from morch.autograd.function import Function


class Linear(Function):
    """x @ W.T + b in one op (one node instead of three on the hottest path of an MLP)."""

    def forward(self, x, w, b=None):
        if x.shape[-1] != w.shape[1]:
            raise ValueError(
                f"linear: input has {x.shape[-1]} features in its last dimension (shape {tuple(x.shape)}) "
                f"but the weight expects {w.shape[1]} (weight shape {tuple(w.shape)})"
            )
        out = x @ w.T
        if b is not None:
            out += b
        return out

    def backward(self, g):
        x, w = self.inputs[0], self.inputs[1]
        need = self.needs_input_grad
        gx = g @ w if need[0] else None
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        gw = None
        if need[1]:
            x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
            gw = g2.mT @ x2
        if len(self.inputs) == 2:
            return gx, gw
        return gx, gw, (g2.sum(0) if need[2] else None)


class Softmax(Function):
    def forward(self, x, dim):
        self.dim = dim
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        self.out = e / e.sum(axis=dim, keepdims=True)
        return self.out

    def backward(self, g):
        y = self.output()
        return y * (g - (g * y).sum(self.dim, keepdim=True))


class LogSoftmax(Function):
    def forward(self, x, dim):
        self.dim = dim
        m = x.max(axis=dim, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        shifted = x - m
        self.out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        return self.out

    def backward(self, g):
        return g - self.output().exp() * g.sum(self.dim, keepdim=True)


def conv_out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


class Im2Col(Function):
    """``F.unfold``: (N, C, H, W) -> (N, C*kh*kw, L), every kernel window as a column."""

    def forward(self, x, kernel_size, dilation=(1, 1), padding=(0, 0), stride=(1, 1), pad_value=0.0):
        (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
        n, c, h, w = x.shape
        oh, ow = conv_out_size(h, kh, sh, ph, dh), conv_out_size(w, kw, sw, pw, dw)
        if oh <= 0 or ow <= 0:
            raise ValueError(
                f"unfold: kernel {kh}x{kw} (dilation {dh}x{dw}) does not fit input {h}x{w} with padding {ph}x{pw}"
            )
        self.args = (x.shape, kernel_size, dilation, padding, stride)
        if ph or pw:
            x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
        win = sliding_window_view(x, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
        win = win[:, :, : sh * (oh - 1) + 1 : sh, : sw * (ow - 1) + 1 : sw, ::dh, ::dw]  # (n, c, oh, ow, kh, kw)
        return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)

    def backward(self, g):
        return Col2Im.apply(g, args=self.args)


class Col2Im(Function):
    """``F.fold`` for Im2Col's layout: sum every column back into its window (Im2Col's backward)."""

    def forward(self, cols, args):
        self.args = args
        (n, c, h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = args
        oh, ow = conv_out_size(h, kh, sh, ph, dh), conv_out_size(w, kw, sw, pw, dw)
        out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
        cols = cols.reshape(n, c, kh, kw, oh, ow)
        for i in range(kh):  # a loop over kernel offsets only, never over pixels
            for j in range(kw):
                out[:, :, i * dh : i * dh + sh * (oh - 1) + 1 : sh, j * dw : j * dw + sw * (ow - 1) + 1 : sw] += cols[
                    :, :, i, j
                ]
        return out[:, :, ph : ph + h, pw : pw + w]

    def backward(self, g):
        _, k, d, p, s = self.args
        return Im2Col.apply(g, kernel_size=k, dilation=d, padding=p, stride=s)


OPS = [Linear, Softmax, LogSoftmax, Im2Col, Col2Im]
