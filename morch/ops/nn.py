"""Ops that neural-network layers are made of: a fused linear map, (log-)softmax, convolution
(im2col and one GEMM), pooling, normalisation, the cross-entropy and NLL losses, embedding lookups
and a few activations.

Each op's backward is written with morch ops (often an adjoint op defined next to it) so gradients
of gradients work. The hottest ops also have a first-order fast path: when the engine runs a
backward without ``create_graph``, grad mode is off, nothing would be recorded anyway, and the
same formulas are evaluated directly in numpy (the ``if not grad_mode._enabled`` branches), which
saves the per-op overhead of a few small ops per layer."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from morch.autograd import grad_mode
from morch.autograd.function import Function, op_error
from morch.tensor import _wrap


def colsum(a: np.ndarray) -> np.ndarray:
    """Column sums of a 2-d array; a product with ones is several times faster than sum(0) for tall ones."""
    if a.shape[0] > 256:
        return np.ones(a.shape[0], dtype=a.dtype) @ a
    return np.add.reduce(a, 0)


def _like_layout(a: np.ndarray, b: np.ndarray, like: np.ndarray) -> np.ndarray:
    """a @ b written in the memory order of ``like`` (a weight's gradient in its weight's layout, so
    the optimizer's elementwise updates run over both in the same order)."""
    fortran = like.flags.f_contiguous and not like.flags.c_contiguous
    return np.matmul(a, b, out=np.empty(like.shape, like.dtype, order="F" if fortran else "C"))


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
        if not grad_mode._enabled:  # first-order fast path (see the module docstring)
            ga = g._data
            g2 = ga.reshape(-1, ga.shape[-1])
            grads = (
                _wrap(ga @ w._data) if need[0] else None,
                _wrap(_like_layout(g2.T, x._data.reshape(-1, x._data.shape[-1]), w._data)) if need[1] else None,
                _wrap(colsum(g2)) if len(need) > 2 and need[2] else None,
            )
            return grads[: len(need)]
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
        if not grad_mode._enabled:
            y, ga = self.out, g._data
            return _wrap(y * (ga - (ga * y).sum(self.dim, keepdims=True)))
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
        if not grad_mode._enabled:
            ga = g._data
            return _wrap(ga - np.exp(self.out) * ga.sum(self.dim, keepdims=True))
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


# ------------------------------------------------------------------ convolution as one GEMM
def _conv_geometry(h, w, kernel_size, stride, padding, dilation):
    (kh, kw), (sh, sw), (pt, pb, pl, pr), (dh, dw) = kernel_size, stride, padding, dilation
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (w + pl + pr - dw * (kw - 1) - 1) // sw + 1
    return oh, ow


def _im2row(x: np.ndarray, kernel_size, stride, padding, dilation) -> np.ndarray:
    """(N, C, H, W) -> (N*oh*ow, kh*kw*C): one row per output pixel, columns ordered (ky, kx, c).

    Channels vary fastest, so the copy reads contiguous memory when the input is channels-last in
    memory (as conv outputs are). ``padding`` is (top, bottom, left, right).
    """
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (pt, pb, pl, pr), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = _conv_geometry(h, w, kernel_size, stride, padding, dilation)
    if oh <= 0 or ow <= 0:
        raise op_error(
            ValueError,
            f"conv: kernel {kh}x{kw} (dilation {dh}x{dw}) is larger than the input {h}x{w} "
            f"padded by {(pt, pb, pl, pr)}",
        )
    xt = x.transpose(0, 2, 3, 1)
    if pt or pb or pl or pr:
        buf = np.zeros((n, h + pt + pb, w + pl + pr, c), dtype=x.dtype)
        buf[:, pt : pt + h, pl : pl + w] = xt
        xt = buf
    win = sliding_window_view(xt, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(1, 2))
    win = win[:, : sh * (oh - 1) + 1 : sh, : sw * (ow - 1) + 1 : sw, :, ::dh, ::dw]  # (n, oh, ow, c, kh, kw)
    return win.transpose(0, 1, 2, 4, 5, 3).reshape(n * oh * ow, kh * kw * c)


def _row2im(blocks, args) -> np.ndarray:
    """Add the rows of each kernel offset back into the (padded) image: the adjoint of _im2row.

    ``blocks(k)`` gives offset k's (N, oh, ow, C) array; the result is (N, C, H, W), channels-last in memory.
    """
    (n, c, h, w), (kh, kw), (sh, sw), (pt, pb, pl, pr), (dh, dw) = args
    oh, ow = _conv_geometry(h, w, *args[1:])
    out = np.zeros((n, h + pt + pb, w + pl + pr, c), dtype=blocks(0).dtype)
    for i in range(kh):  # a loop over kernel offsets only, never over pixels
        for j in range(kw):
            out[:, i * dh : i * dh + sh * (oh - 1) + 1 : sh, j * dw : j * dw + sw * (ow - 1) + 1 : sw] += blocks(
                i * kw + j
            )
    return out[:, pt : pt + h, pl : pl + w].transpose(0, 3, 1, 2)


class Im2Row(Function):
    """``_im2row`` as an op (grouped convolutions use it, followed by a batched product)."""

    def forward(self, x, kernel_size, stride, padding, dilation):
        self.args = (x.shape, kernel_size, stride, padding, dilation)
        return _im2row(x, kernel_size, stride, padding, dilation)

    def backward(self, g):
        return Row2Im.apply(g, args=self.args)


class Row2Im(Function):
    """The adjoint of Im2Row (its backward)."""

    def forward(self, rows, args):
        self.args = args
        (n, c, h, w), (kh, kw) = args[0], args[1]
        oh, ow = _conv_geometry(h, w, *args[1:])
        g = rows.reshape(n, oh, ow, kh, kw, c)
        return _row2im(lambda k: g[:, :, :, k // kw, k % kw], args)

    def backward(self, g):
        _, k, s, p, d = self.args
        return Im2Row.apply(g, kernel_size=k, stride=s, padding=p, dilation=d)


# Convolutions walk the batch in chunks of images whose im2col matrix is about _CHUNK_BYTES: the
# copy into it, the GEMM that reads it and, in the backward, the col2im that adds the input
# gradient's blocks back then work on data still in cache, instead of streaming matrices of tens of
# MB through memory (the MNIST-example CNN's 32->64 convolution has a 42 MB one for a batch of 64).
# The backward rebuilds the weight gradient's chunks rather than keeping them from the forward.
_CHUNK_BYTES = 8 << 20


def _image_chunks(n: int, bytes_per_image: int) -> list[slice]:
    step = max(1, _CHUNK_BYTES // max(bytes_per_image, 1))
    return [slice(i, min(n, i + step)) for i in range(0, n, step)]


def _conv_out_hw(h, w, kernel_size, stride, padding, dilation) -> tuple[int, int]:
    """_conv_geometry, refusing a kernel that does not fit the padded input."""
    oh, ow = _conv_geometry(h, w, kernel_size, stride, padding, dilation)
    if oh <= 0 or ow <= 0:
        (kh, kw), (dh, dw) = kernel_size, dilation
        raise op_error(
            ValueError,
            f"conv: kernel {kh}x{kw} (dilation {dh}x{dw}) is larger than the input {h}x{w} padded by {tuple(padding)}",
        )
    return oh, ow


def _im2col(x: np.ndarray, kernel_size, stride, padding, dilation, out=None) -> np.ndarray:
    """(N, C, H, W) -> (kh*kw*C, N*oh*ow): row (ky, kx, c) holds that tap of every window.

    Built with one copy per kernel offset of a shifted (C, N, oh, ow) view, whose inner runs are
    image rows: fast for any number of channels when channels are the outer axis in memory (inputs,
    and the channels-first outputs of Conv2d). ``padding`` is (top, bottom, left, right); ``out``,
    a contiguous buffer at least that large, is written into instead of a new array.
    """
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (pt, pb, pl, pr), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = _conv_out_hw(h, w, kernel_size, stride, padding, dilation)
    xc = x.transpose(1, 0, 2, 3)
    if pt or pb or pl or pr:
        buf = np.zeros((c, n, h + pt + pb, w + pl + pr), dtype=x.dtype)
        buf[:, :, pt : pt + h, pl : pl + w] = xc
        xc = buf
    size = kh * kw * c * n * oh * ow
    cols = np.empty(size, dtype=x.dtype) if out is None else out.reshape(-1)[:size]
    blocks = cols.reshape(kh, kw, c, n, oh, ow)
    for i in range(kh):  # one vectorised copy per kernel offset
        for j in range(kw):
            blocks[i, j] = xc[:, :, i * dh : i * dh + sh * (oh - 1) + 1 : sh, j * dw : j * dw + sw * (ow - 1) + 1 : sw]
    return cols.reshape(kh * kw * c, n * oh * ow)


def _col2im_add(cols: np.ndarray, args, out: np.ndarray) -> None:
    """The adjoint of _im2col: add each kernel offset's block of ``cols`` into its shifted window of
    ``out``, the (C, N, H, W) image (channels first) padded by the padding in ``args``."""
    (n, c, h, w), (kh, kw), (sh, sw), _, (dh, dw) = args
    oh, ow = _conv_geometry(h, w, *args[1:])
    blocks = cols.reshape(kh, kw, c, n, oh, ow)
    for i in range(kh):
        for j in range(kw):
            rows, cols_ = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
            out[:, :, rows, cols_] += blocks[i, j]


def _col2im_flat(blocks: np.ndarray, offsets: list, out: np.ndarray) -> None:
    """_col2im_add for stride 1 with everything on the padded input's grid, flattened per channel:
    ``blocks`` (kh*kw*C, T) holds each kernel offset's block, ``out`` (C, T) receives them, each
    shifted by its flat offset, so that every add is one long run per channel."""
    c, t = out.shape
    out[...] = blocks[:c]  # offset 0 covers the whole grid
    for k in range(1, len(offsets)):
        out[:, offsets[k] :] += blocks[k * c : (k + 1) * c, : t - offsets[k]]


def _channel_rows(g: np.ndarray) -> np.ndarray:
    """(N, O, oh, ow) -> (O, N*oh*ow), free when g is channels-first in memory (as Conv2d outputs are)."""
    return g.transpose(1, 0, 2, 3).reshape(g.shape[1], -1)


def _weight_matrix(w: np.ndarray) -> np.ndarray:
    """(O, C, kh, kw) -> (O, kh*kw*C), columns in _im2col's row order."""
    return w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1)


def _conv_forward(x: np.ndarray, w: np.ndarray, b, args) -> tuple:
    """Per chunk of images, an im2col copy and one GEMM, (O, K) @ (K, n*oh*ow), into the output's columns.

    Returns the output and, when the whole batch was one chunk, its im2col matrix (else None).
    """
    _, k, s, p, d = args
    n = x.shape[0]
    oh, ow = _conv_out_hw(x.shape[2], x.shape[3], k, s, p, d)
    wm = _weight_matrix(w)
    per = oh * ow
    out = np.empty((w.shape[0], n * per), dtype=np.result_type(x, w))
    cols = None
    chunks = _image_chunks(n, wm.shape[1] * per * x.itemsize)
    for sl in chunks:
        cols = _im2col(x[sl], k, s, p, d, out=cols)  # chunks but the last have one size: reuse the matrix
        o = out[:, sl.start * per : sl.stop * per]
        np.matmul(wm, cols, out=o)
        if b is not None:
            o += b[:, None]
    return out.reshape(w.shape[0], n, oh, ow).transpose(1, 0, 2, 3), (cols if len(chunks) == 1 else None)


def _conv_grads(g: np.ndarray, args, w=None, x=None, cols=None) -> tuple:
    """Conv2d's input gradient (given its weight ``w``, else None) and weight gradient (given its
    input ``x``, else None), in one walk over chunks of images. Per chunk, one GEMM gives every
    kernel offset's block of the input gradient, which is added into its window, and the chunk's
    im2col matrix (rebuilt, unless it is the forward's one-chunk matrix ``cols``) times its output
    gradients adds to the weight gradient.
    The input gradient is (N, C, H, W), channels first in memory; the weight gradient (O, C, kh, kw).
    """
    (n, c, h, wd), (kh, kw), s, p, d = args
    (pt, pb, pl, pr), (oh, ow), o = p, g.shape[2:], g.shape[1]
    hp, wp = h + pt + pb, wd + pl + pr
    g2 = _channel_rows(g)
    # stride 1: the input gradient is computed on the padded input's grid (g is zero outside its
    # oh x ow corner), where kernel offsets are flat shifts and _col2im_flat adds long runs: numpy
    # adds arrays of short rows (24 floats in the MNIST CNN) several times slower
    flat = w is not None and tuple(s) == (1, 1)
    chunks = _image_chunks(n, kh * kw * c * (hp * wp if flat else oh * ow) * g.itemsize)
    kept = cols if len(chunks) == 1 else None  # the forward kept the matrix of a one-chunk batch
    gx = gwt = wt = blocks = gpad = cols = None  # chunks but the last have one size: buffers are reused
    if w is not None:
        wt = _weight_matrix(w).T  # (kh*kw*C, O)
        gx = (np.empty if flat else np.zeros)((c, n, hp, wp), dtype=np.result_type(g, w))
    if flat:
        gpad = np.zeros((o, chunks[0].stop if chunks else 0, hp, wp), dtype=g.dtype)
        offsets = [i * d[0] * wp + j * d[1] for i in range(kh) for j in range(kw)]
    if x is not None:
        gwt = np.zeros((kh * kw * c, o), dtype=np.result_type(x, g))
    for sl in chunks:
        m = sl.stop - sl.start
        gc = g2[:, sl.start * oh * ow : sl.stop * oh * ow]
        if x is not None:
            cols = kept if kept is not None else _im2col(x[sl], (kh, kw), s, p, d, out=cols)
            gwt += cols @ gc.T  # (K, O): faster than (O, K) = g @ cols.T
        if flat:
            gpad[:, :m, :oh, :ow] = gc.reshape(o, m, oh, ow)
            gc = gpad[:, :m].reshape(o, m * hp * wp)
        if w is not None:
            blocks = wt @ gc if blocks is None else np.matmul(wt, gc, out=blocks[:, : gc.shape[1]])
            if flat:
                _col2im_flat(blocks, offsets, gx[:, sl].reshape(c, m * hp * wp))
            else:
                _col2im_add(blocks, ((m, c, h, wd), (kh, kw), s, p, d), gx[:, sl])
    if gx is not None:
        gx = gx[:, :, pt : pt + h, pl : pl + wd].transpose(1, 0, 2, 3)
    if gwt is not None:
        gwt = np.ascontiguousarray(gwt.T.reshape(g.shape[1], kh, kw, c).transpose(0, 3, 1, 2))
    return gx, gwt


def _channel_sum(g: np.ndarray) -> np.ndarray:
    rest = tuple(range(2, g.ndim))
    if g.transpose(1, 0, *rest).flags.c_contiguous:  # channels-first memory, as Conv2d outputs
        m = g.transpose(1, 0, *rest).reshape(g.shape[1], -1)
        return m @ np.ones(m.shape[1], dtype=g.dtype)
    if g.ndim > 2 and g.transpose(0, *rest, 1).flags.c_contiguous:  # channels-last memory
        return colsum(g.transpose(0, *rest, 1).reshape(-1, g.shape[1]))
    m = g.reshape(g.shape[0], g.shape[1], -1)
    return (m @ np.ones(m.shape[2], dtype=g.dtype)).sum(0)


class Conv2d(Function):
    """2-d convolution (groups=1) of x (N, C, H, W) with w (O, C, kh, kw), plus an optional bias (O,).

    An im2col copy and a GEMM, (O, K) @ (K, n*oh*ow), per chunk of n images; the output is a
    channels-first array (C, N, H, W in memory) seen as (N, O, oh, ow), which the next convolution,
    pooling and ReLU read without reordering. ``args`` = (x shape, kernel, stride, (top, bottom,
    left, right) padding, dilation). Its backward is the two ops below, whose own backwards are
    again these three ops, so convolutions can be differentiated any number of times.
    """

    def forward(self, x, w, b=None, args=None):
        self.args = args
        out, self.cols = _conv_forward(x, w, b, args)
        return out

    def backward(self, g):
        need = self.needs_input_grad
        x, w = self.inputs[0], self.inputs[1]
        if not grad_mode._enabled:  # first-order fast path: the three ops' forwards, without nodes
            ga = g._data
            gx, gw = _conv_grads(ga, self.args, w._data if need[0] else None, x._data if need[1] else None, self.cols)
            gb = _channel_sum(ga) if len(need) > 2 and need[2] else None
            return tuple(None if a is None else _wrap(a) for a in (gx, gw, gb)[: len(need)])
        gx = Conv2dInputGrad.apply(g, w, args=self.args) if need[0] else None
        gw = Conv2dWeightGrad.apply(x, g, args=self.args, cols=self.cols) if need[1] else None
        if len(self.inputs) == 2:
            return gx, gw
        return gx, gw, (ChannelSum.apply(g) if need[2] else None)


class Conv2dInputGrad(Function):
    """The gradient of Conv2d with respect to its input (a transposed convolution of g with w):
    one GEMM gives every kernel offset's block, then each block is added into its shifted window."""

    def forward(self, g, w, args):
        self.args = args
        return _conv_grads(g, args, w=w)[0]

    def backward(self, gg):
        g, w = self.inputs
        need = self.needs_input_grad
        dg = Conv2d.apply(gg, w, args=self.args) if need[0] else None
        dw = Conv2dWeightGrad.apply(gg, g, args=self.args) if need[1] else None
        return dg, dw


class Conv2dWeightGrad(Function):
    """The gradient of Conv2d with respect to its weight: each output pixel's gradient times its window.

    ``cols`` is x's im2col matrix when the forward kept it (rebuilt otherwise).
    """

    def forward(self, x, g, args, cols=None):
        self.args = args
        return _conv_grads(g, args, x=x, cols=cols)[1]

    def backward(self, ggw):
        x, g = self.inputs
        need = self.needs_input_grad
        dx = Conv2dInputGrad.apply(g, ggw, args=self.args) if need[0] else None
        dg = Conv2d.apply(x, ggw, args=self.args) if need[1] else None
        return dx, dg


class ChannelSum(Function):
    """Sum of (N, C, *) over every dim but the channels (the bias gradient of a convolution).

    Column sums of a tall matrix are several times faster as a product with a vector of ones.
    """

    def forward(self, g):
        self.shape = g.shape
        return _channel_sum(g)

    def backward(self, gg):
        return gg.reshape((1, -1) + (1,) * (len(self.shape) - 2)).expand(self.shape)


# ------------------------------------------------------------------ pooling
class PoolGeometry:
    """Where the kernel windows of a 2-d pooling lie; shared by a pooling op and its adjoint.

    The input is padded by ``padding`` on both sides and, in ceil mode, by enough extra on the
    bottom/right for the last window; window (y, x) then starts at (y*sh, x*sw) of the padded input.
    ``perm`` is the input's memory order (outermost axis first): arrays made here follow it, so a
    channels-last input (as conv outputs are) gives channels-last results and fast elementwise passes.
    """

    __slots__ = ("shape", "kernel", "stride", "padding", "dilation", "out", "extra", "perm", "disjoint", "tiled")

    def __init__(self, shape, kernel, stride, padding, dilation, ceil_mode, who):
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
        h, w = shape[-2:]
        if min(kh, kw, sh, sw, dh, dw) <= 0 or min(ph, pw) < 0:
            raise op_error(ValueError, f"{who}: kernel size, stride and dilation must be positive and padding >= 0")
        if ph > kh // 2 or pw > kw // 2:
            raise op_error(
                ValueError,
                f"{who}: pad should be at most half of effective kernel size, but got pad={(ph, pw)}, "
                f"kernel_size={(kh, kw)}",
            )
        oh, ow = _pool_size(h, kh, sh, ph, dh, ceil_mode), _pool_size(w, kw, sw, pw, dw, ceil_mode)
        if oh <= 0 or ow <= 0:
            raise op_error(
                ValueError,
                f"{who}: output size would be {oh}x{ow}: the input {h}x{w} (padding {(ph, pw)}) is too small "
                f"for kernel {(kh, kw)} with dilation {(dh, dw)}",
            )
        self.shape, self.kernel, self.stride, self.padding, self.dilation = shape, kernel, stride, padding, dilation
        self.out = (oh, ow)
        self.perm = tuple(range(len(shape)))
        # windows that never overlap let the backward assign instead of accumulate
        self.disjoint = sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1
        # ceil mode: the last window may run past the padded input
        self.extra = (
            max(0, (oh - 1) * sh + dh * (kh - 1) + 1 - h - 2 * ph),
            max(0, (ow - 1) * sw + dw * (kw - 1) + 1 - w - 2 * pw),
        )
        # windows that cover the padded input exactly once (the usual 2x2 pooling of an even size):
        # it is then a reshape to (..., oh, kh, ow, kw), and the backward writes every element
        hp, wp = self.padded_shape()[-2:]
        self.tiled = (dh, dw) == (1, 1) and (sh, sw) == (kh, kw) and (hp, wp) == (oh * kh, ow * kw)

    def follow(self, x: np.ndarray) -> None:
        """Remember the memory order of ``x`` (the op's input)."""
        self.perm = tuple(np.argsort([-s for s in x.strides], kind="stable").tolist())

    def like_input(self, a: np.ndarray) -> np.ndarray:
        """``a`` laid out like the input: numpy is many times slower on operands of different layouts."""
        perm = self.perm
        if perm == tuple(range(a.ndim)) and a.flags.c_contiguous:
            return a
        if a.transpose(perm).flags.c_contiguous:
            return a
        return np.ascontiguousarray(a.transpose(perm)).transpose(np.argsort(perm))

    def full(self, shape: tuple, fill, dtype) -> np.ndarray:
        """np.full(shape, fill) laid out in memory like the input; np.empty for fill None."""
        perm, shape = self.perm, [shape[p] for p in self.perm]
        out = np.empty(shape, dtype=dtype) if fill is None else np.full(shape, fill, dtype=dtype)
        return out.transpose(np.argsort(perm))

    def padded_shape(self) -> tuple:
        (ph, pw), (eh, ew), (h, w) = self.padding, self.extra, self.shape[-2:]
        return tuple(self.shape[:-2]) + (h + 2 * ph + eh, w + 2 * pw + ew)

    def padded(self, x: np.ndarray, fill) -> np.ndarray:
        (ph, pw), (eh, ew) = self.padding, self.extra
        if not (ph or pw or eh or ew):
            return x
        h, w = x.shape[-2:]
        out = self.full(self.padded_shape(), fill, x.dtype)
        out[..., ph : ph + h, pw : pw + w] = x
        return out

    def crop(self, xp: np.ndarray) -> np.ndarray:
        (ph, pw), (h, w) = self.padding, self.shape[-2:]
        return xp[..., ph : ph + h, pw : pw + w]

    def windows(self):
        """(k, slice into the padded input) for each kernel offset: the k-th element of every window."""
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = self.kernel, self.stride, self.dilation, self.out
        for i in range(kh):
            for j in range(kw):
                yield (
                    i * kw + j,
                    (
                        Ellipsis,
                        slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                        slice(j * dw, j * dw + sw * (ow - 1) + 1, sw),
                    ),
                )

    def argmax(self, xp: np.ndarray, best: np.ndarray) -> np.ndarray:
        """For each window, the offset (ky*kw + kx) of its first maximum, given the padded input and the maxima."""
        wins = [xp[sl] for _, sl in self.windows()]
        arg = np.zeros_like(best, dtype=np.uint8 if len(wins) < 256 else np.int32)
        found = wins[0] == best
        for k in range(1, len(wins)):
            arg += ~found  # not found before offset k: the first maximum is at k or later
            if k < len(wins) - 1:
                found |= wins[k] == best
        return arg

    def flat_indices(self, arg: np.ndarray) -> np.ndarray:
        """PyTorch's return_indices: for each output, the flat index (y*W + x) of its maximum in the input."""
        kw, (sh, sw), (ph, pw), (dh, dw), (oh, ow) = self.kernel[1], self.stride, self.padding, self.dilation, self.out
        w = self.shape[-1]
        arg = arg.astype(np.int64)
        rows = (np.arange(oh) * sh - ph)[:, None] + (arg // kw) * dh
        cols = (np.arange(ow) * sw - pw)[None, :] + (arg % kw) * dw
        return rows * w + cols


def _pool_size(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    if span < 0:
        return 0
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:  # the last window must start inside the input or left padding
        out -= 1
    return out


class MaxPool2d(Function):
    """Max over each window of the last two dims; the first maximum of a window gets the gradient (as in PyTorch).

    Only arithmetic passes over all windows at once (np.maximum, comparisons), one per kernel offset:
    np.where and masked assignment are several times slower on large arrays. Which offset held each
    maximum is worked out only when the backward (or return_indices) needs it.
    """

    def forward(self, x, geometry):
        self.geo = geo = geometry
        geo.follow(x)
        xp = geo.padded(x, _lowest(x.dtype))
        if geo.tiled:  # the maxima of whole kernel rows first: long runs, then kw-strided ones half as long
            (kh, kw), (oh, ow) = geo.kernel, geo.out
            rows = xp.reshape(xp.shape[:-2] + (oh, kh, ow * kw))
            rowmax = _max_of([rows[..., i, :] for i in range(kh)])
            cols = rowmax.reshape(rowmax.shape[:-1] + (ow, kw))
            self.best = _max_of([cols[..., j] for j in range(kw)])
        else:
            self.best = _max_of([xp[sl] for _, sl in geo.windows()])
        return self.best

    def backward(self, g):
        x = self.inputs[0]._data
        arg = self.geo.argmax(self.geo.padded(x, _lowest(x.dtype)), self.best)
        if not grad_mode._enabled:
            return _wrap(_pool_scatter(g._data, self.geo, arg))
        return PoolScatter.apply(g, geometry=self.geo, arg=arg)


def _max_of(arrays: list) -> np.ndarray:
    """The elementwise maximum of same-shaped arrays, a new array (NaN propagates)."""
    best = np.maximum(arrays[0], arrays[1]) if len(arrays) > 1 else arrays[0].copy(order="K")
    for a in arrays[2:]:
        np.maximum(best, a, out=best)
    return best


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _pool_scatter(g: np.ndarray, geometry: PoolGeometry, arg: np.ndarray) -> np.ndarray:
    out = geometry.full(geometry.padded_shape(), None if geometry.tiled else 0, g.dtype)
    g = geometry.like_input(g)
    for k, sl in geometry.windows():
        if geometry.disjoint:
            np.multiply(g, arg == k, out=out[sl])
        else:
            out[sl] += g * (arg == k)
    return geometry.crop(out)


class PoolScatter(Function):
    """Max pooling's backward: each output's gradient goes to the input position that was its maximum."""

    def forward(self, g, geometry, arg):
        self.geo, self.arg = geometry, arg
        return _pool_scatter(g, geometry, arg)

    def backward(self, gg):
        return PoolGather.apply(gg, geometry=self.geo, arg=self.arg)


class PoolGather(Function):
    """The adjoint of PoolScatter: read each output's value at its recorded maximum position."""

    def forward(self, x, geometry, arg):
        self.geo, self.arg = geometry, arg
        xp = geometry.padded(x, 0)
        out = np.zeros(arg.shape, dtype=x.dtype)
        for k, sl in geometry.windows():
            out += xp[sl] * (arg == k)
        return out

    def backward(self, g):
        return PoolScatter.apply(g, geometry=self.geo, arg=self.arg)


class AvgPool2d(Function):
    """Window sums of the last two dims divided by ``divisor`` (an array broadcasting against the output)."""

    def forward(self, x, geometry, divisor):
        self.geo, self.divisor = geometry, divisor
        geometry.follow(x)
        xp = geometry.padded(x, 0)
        acc = None
        for _, sl in geometry.windows():
            if acc is None:
                acc = xp[sl].copy(order="K")
            else:
                acc += xp[sl]
        return (acc / divisor).astype(x.dtype, copy=False)

    def backward(self, g):
        return AvgPool2dAdjoint.apply(g, geometry=self.geo, divisor=self.divisor)


class AvgPool2dAdjoint(Function):
    """The transpose of AvgPool2d (its backward): spread each output's value / divisor over its window."""

    def forward(self, g, geometry, divisor):
        self.geo, self.divisor = geometry, divisor
        share = (g / divisor).astype(g.dtype, copy=False)
        out = geometry.full(geometry.padded_shape(), None if geometry.tiled else 0, g.dtype)
        for _, sl in geometry.windows():
            if geometry.disjoint:
                out[sl] = share
            else:
                out[sl] += share
        return geometry.crop(out)

    def backward(self, gg):
        return AvgPool2d.apply(gg, geometry=self.geo, divisor=self.divisor)


# ------------------------------------------------------------------ normalisation
class Normalize(Function):
    """(x - mean) / sqrt(var + eps) over ``dims``, times weight plus bias: batch norm and layer norm in one op.

    Inputs are x and optionally weight and bias, which are reshaped to ``wshape`` to broadcast
    against x. ``stats`` = (mean, var) given in the keepdims shape means fixed statistics (batch norm
    in eval mode); otherwise they are the biased mean and variance of x over ``dims``, and
    ``running`` = (running_mean, running_var, factor) arrays are updated in place (unbiased variance).
    """

    def forward(self, x, *affine, dims, wshape, eps, stats=None, running=None):
        if stats is None:
            mean = x.mean(axis=dims, keepdims=True)
            d = x - mean
            var = np.mean(np.square(d), axis=dims, keepdims=True)
            if running is not None:
                rm, rv, f = running
                n = x.size // mean.size
                rm *= 1 - f
                rm += f * mean.reshape(rm.shape)
                rv *= 1 - f
                rv += (f * n / max(n - 1, 1)) * var.reshape(rv.shape)
        else:
            mean, var = stats
            d = x - mean
        self.dims, self.wshape, self.eps, self.batch = dims, wshape, eps, stats is None
        self.invstd = (1 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        self.stats = stats
        self.xhat = xhat = d * self.invstd
        if not affine:
            return xhat
        out = xhat * affine[0].reshape(wshape)
        if len(affine) > 1:
            out += affine[1].reshape(wshape)
        return out

    def backward(self, g):
        if not grad_mode._enabled:
            return self._first_order(g._data)
        # create_graph: the statistics recomputed as differentiable functions of x
        x = self.inputs[0]
        dims = self.dims
        if self.batch:
            d = x - x.mean(dims, keepdim=True)
            invstd = ((d * d).mean(dims, keepdim=True) + self.eps).rsqrt()
        else:
            d, invstd = x - _wrap(self.stats[0]), _wrap(self.invstd)
        xhat = d * invstd
        need = self.needs_input_grad
        full = (1,) * (x.ndim - len(self.wshape)) + tuple(self.wshape)
        other = tuple(i for i in range(x.ndim) if full[i] == 1)  # the dims weight and bias broadcast over
        gx = gw = gb = None
        if need[0]:
            gh = g * self.inputs[1].reshape(self.wshape) if len(self.inputs) > 1 else g
            if self.batch:
                gx = invstd * (gh - gh.mean(dims, keepdim=True) - xhat * (gh * xhat).mean(dims, keepdim=True))
            else:
                gx = gh * invstd
        if len(self.inputs) > 1 and need[1]:
            gw = (g * xhat).sum(other).reshape(self.inputs[1].shape)
        if len(self.inputs) > 2 and need[2]:
            gb = g.sum(other).reshape(self.inputs[2].shape)
        return (gx, gw, gb)[: len(self.inputs)]

    def _first_order(self, g: np.ndarray) -> tuple:
        """The backward's formulas in numpy with the saved statistics (no graph is being built)."""
        need, ins, dims = self.needs_input_grad, self.inputs, self.dims
        xhat, invstd = self.xhat, self.invstd
        full = (1,) * (xhat.ndim - len(self.wshape)) + tuple(self.wshape)
        other = tuple(i for i in range(xhat.ndim) if full[i] == 1)
        gx = gw = gb = None
        if need[0]:
            gh = g * ins[1]._data.reshape(self.wshape) if len(ins) > 1 else g
            if self.batch:
                gh = gh - gh.mean(dims, keepdims=True) - xhat * (gh * xhat).mean(dims, keepdims=True)
            gx = _wrap(gh * invstd)
        if len(ins) > 1 and need[1]:
            gw = _wrap((g * xhat).sum(other).reshape(ins[1]._data.shape))
        if len(ins) > 2 and need[2]:
            gb = _wrap(g.sum(other).reshape(ins[2]._data.shape))
        return (gx, gw, gb)[: len(ins)]


# ------------------------------------------------------------------ losses and lookups
def _all_below(t: np.ndarray, c: int) -> bool:
    """Whether every class index in ``t`` lies in [0, c), in one reduction for int64 (the usual dtype):
    seen as unsigned, a negative index is huge."""
    if t.dtype == np.int64:
        return bool(_max(t.view(np.uint64)) < c)
    return bool(t.min() >= 0 and t.max() < c)


_max = np.maximum.reduce
_sum = np.add.reduce


class NllLoss(Function):
    """The negative log-likelihood loss of (M, C) log-probabilities ``x`` for (M,) class indices ``t``.

    ``weight`` (an array of C class weights or None) scales each term; targets equal to
    ``ignore_index`` contribute nothing; 'mean' divides by the summed weights of the counted targets.
    ``self.coef`` keeps each term's factor for backward: one 0-d factor when every target counts.
    """

    def forward(self, x, t, weight=None, ignore_index=-100, reduction="mean"):
        m, c = x.shape
        if weight is None and ignore_index < 0 and m and _all_below(t, c):
            # the usual case, every target counted with weight 1: a few numpy calls instead of a dozen
            self.coef = np.asarray(1 / m if reduction == "mean" else 1, dtype=x.dtype)
            self.ts, self.c = t, c
            picked = x[np.arange(m), t]
            if reduction == "none":
                return -picked
            total = -_sum(picked)
            return total / x.dtype.type(m) if reduction == "mean" else total
        valid = t != ignore_index
        ts = t if valid.all() else np.where(valid, t, 0)
        bad = (ts < 0) | (ts >= c)
        if bad.any():
            raise op_error(IndexError, f"nll_loss: Target {t[bad][0]} is out of bounds (there are {c} classes)")
        w = valid.astype(x.dtype) if weight is None else (weight[ts] * valid).astype(x.dtype, copy=False)
        if reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                w = w / w.sum(dtype=np.float64)  # every target ignored: 0/0 = nan, as PyTorch
            w = w.astype(x.dtype, copy=False)
        self.coef, self.ts, self.c = w, ts, c
        loss = x[np.arange(m), ts] * -w
        return loss if reduction == "none" else loss.sum()

    def _row_coef(self, g: np.ndarray) -> np.ndarray:
        """Each row's factor in the gradient: the incoming gradient (a scalar, or one value per row
        for 'none') times the term's weight, as a column."""
        gc = g * self.coef
        return gc if gc.ndim == 0 else gc.reshape(-1, 1)

    def backward(self, g):
        if not grad_mode._enabled:
            rows = np.arange(self.ts.shape[0])
            out = np.zeros((self.ts.shape[0], self.c), dtype=self.coef.dtype)
            out[rows, self.ts] = -self._row_coef(g._data).reshape(-1)
            return _wrap(out), None
        return PickRowsGrad.apply(g * _wrap(-self.coef), _wrap(self.ts), ncls=self.c), None


class CrossEntropy(Function):
    """log_softmax over the classes of (M, C) logits plus NllLoss, in one op (the usual classification loss).

    The gradient is coef * (softmax(x) - onehot(t)), coef holding each row's weight (divided by the
    weight sum for 'mean'); parameters as NllLoss.
    """

    def forward(self, x, t, weight=None, ignore_index=-100, reduction="mean"):
        m = _max(x, axis=1, keepdims=True)
        if not np.isfinite(_sum(m, axis=None)):  # a row with an infinity: shift it by 0 instead (nan, no warning)
            m = np.where(np.isfinite(m), m, 0)
        logp = x - m
        logp -= np.log(_sum(np.exp(logp), axis=1, keepdims=True))
        self.logp = logp
        return NllLoss.forward(self, logp, t, weight, ignore_index, reduction)  # sets coef, ts, c on self

    _row_coef = NllLoss._row_coef

    def backward(self, g):
        rows = np.arange(self.ts.shape[0])
        gc = self._row_coef(g._data)
        if not grad_mode._enabled:
            grad = np.exp(self.logp)
            grad *= gc
            grad[rows, self.ts] -= gc.reshape(-1) if gc.ndim else gc
            return _wrap(grad), None
        onehot = np.zeros_like(self.logp)
        onehot[rows, self.ts] = 1
        (x, _) = self.inputs
        return (Softmax.apply(x, dim=1) - _wrap(onehot)) * (g * _wrap(self.coef)).reshape(-1, 1), None


class PickRows(Function):
    """x[i, t[i]] for every row i of a matrix (differentiable in x)."""

    def forward(self, x, t):
        self.c = x.shape[1]
        return x[np.arange(x.shape[0]), t]

    def backward(self, g):
        return PickRowsGrad.apply(g, self.inputs[1], ncls=self.c), None


class PickRowsGrad(Function):
    """A matrix of zeros with v[i] at (i, t[i]): the adjoint of PickRows."""

    def forward(self, v, t, ncls):
        out = np.zeros((t.shape[0], ncls), dtype=v.dtype)
        out[np.arange(t.shape[0]), t] = v
        return out

    def backward(self, g):
        return PickRows.apply(g, self.inputs[1]), None


class Embedding(Function):
    """Rows ``idx`` of the table ``w``; the gradient skips ``padding_idx`` and is divided by the row's
    frequency in ``idx`` when ``scale_grad_by_freq`` (PyTorch's definition of the embedding gradient)."""

    def forward(self, w, idx, padding_idx=None, scale_grad_by_freq=False):
        self.num, self.padding_idx, self.scale = w.shape[0], padding_idx, scale_grad_by_freq
        return w[idx]

    def backward(self, g):
        return EmbeddingGrad.apply(g, self.inputs[1], num=self.num, padding_idx=self.padding_idx,
                                   scale_grad_by_freq=self.scale), None  # fmt: skip


def _row_scale(idx: np.ndarray, num: int, padding_idx, scale: bool, dtype) -> np.ndarray | None:
    if padding_idx is None and not scale:
        return None
    r = np.ones(num, dtype=dtype)
    if scale:
        r /= np.maximum(np.bincount(idx.ravel(), minlength=num), 1)
    if padding_idx is not None:
        r[padding_idx] = 0
    return r


class EmbeddingGrad(Function):
    """Embedding's backward: the rows of ``g`` summed into a zero table at ``idx``."""

    def forward(self, g, idx, num, padding_idx=None, scale_grad_by_freq=False):
        self.num, self.padding_idx, self.scale = num, padding_idx, scale_grad_by_freq
        d = g.shape[-1]
        out = np.zeros((num, d), dtype=g.dtype)
        np.add.at(out, idx.ravel(), g.reshape(-1, d))
        r = _row_scale(idx, num, padding_idx, scale_grad_by_freq, g.dtype)
        return out if r is None else out * r[:, None]

    def backward(self, gg):
        r = _row_scale(self.inputs[1]._data, self.num, self.padding_idx, self.scale, gg._data.dtype)
        if r is not None:
            gg = gg * _wrap(r[:, None])
        return Embedding.apply(gg, self.inputs[1], padding_idx=self.padding_idx, scale_grad_by_freq=self.scale), None


# ------------------------------------------------------------------ activations with piecewise formulas
class LeakyRelu(Function):
    def forward(self, x, negative_slope=0.01):
        self.mask, self.slope = x > 0, negative_slope
        # arithmetic instead of np.where, which is several times slower on large arrays
        return x * (self.mask * x.dtype.type(1 - negative_slope) + x.dtype.type(negative_slope))

    def backward(self, g):
        dt = g._data.dtype
        return g * _wrap(self.mask * dt.type(1 - self.slope) + dt.type(self.slope))


class Elu(Function):
    """alpha * (exp(x) - 1) for x <= 0, else x; with ``scale`` it is SELU (scale * elu)."""

    def forward(self, x, alpha=1.0, scale=1.0):
        self.mask, self.alpha, self.scale = x > 0, alpha, scale
        out = np.where(self.mask, x, alpha * np.expm1(np.minimum(x, 0)))
        return (out * scale if scale != 1 else out).astype(x.dtype, copy=False)

    def backward(self, g):
        (x,) = self.inputs
        neg = g * (x.clamp(max=0).exp() * (self.alpha * self.scale))
        return where_const(self.mask, g * self.scale if self.scale != 1 else g, neg)


class LogSigmoid(Function):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), without overflow; the gradient is sigmoid(-x)."""

    def forward(self, x):
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    def backward(self, g):
        return g * (-self.inputs[0]).sigmoid()


class BinaryCrossEntropy(Function):
    """-(t log x + (1 - t) log(1 - x)) elementwise, each log clamped at -100 as in PyTorch, whose
    gradient formula (x - t) / max(x (1 - x), 1e-12) is used so x = 0 or 1 give finite gradients."""

    def forward(self, x, t):
        if x.size and (x.min() < 0 or x.max() > 1):
            raise op_error(ValueError, "binary_cross_entropy: all elements of input should be between 0 and 1")
        with np.errstate(divide="ignore"):
            return -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log1p(-x), -100))

    def backward(self, g):
        x, t = self.inputs
        gx = gt = None
        if self.needs_input_grad[0]:
            gx = g * (x - t) / (x * (1 - x)).clamp(min=1e-12)
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore"):
                gt = g * ((1 - x).log().clamp(min=-100) - x.log().clamp(min=-100))
        return gx, gt


def where_const(mask: np.ndarray, a, b):
    """where(mask, a, b) for a constant boolean array ``mask``."""
    from morch import functional

    return functional.where(_wrap(mask), a, b)


OPS = [
    Linear, Softmax, LogSoftmax, Im2Col, Col2Im, Im2Row, Row2Im, Conv2d, Conv2dInputGrad, Conv2dWeightGrad,
    ChannelSum, MaxPool2d, PoolScatter, PoolGather, AvgPool2d, AvgPool2dAdjoint, Normalize, NllLoss, CrossEntropy,
    PickRows,
    PickRowsGrad, Embedding, EmbeddingGrad, LeakyRelu, Elu, LogSigmoid, BinaryCrossEntropy,
]  # fmt: skip
