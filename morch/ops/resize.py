"""Resizing (``F.interpolate``): separable resampling of the trailing axes, and its adjoint.

Every mode of ``interpolate`` resamples each spatial axis on its own: output position ``o`` along an
axis is a weighted sum of a few input positions ``idx[o, k]`` with weights ``w[o, k]`` (one tap for
nearest, two for linear, four for cubic, a window for area). An axis's map is given as *taps*
``(in_size, idx, w)``: ``idx`` an (out, K) int64 array whose columns never decrease, ``w`` an
(out, K) float array, or None for nearest (a pure gather, which keeps integer dtypes).

``Resample`` gathers with the taps; ``ResampleAdjoint`` scatters back with the same taps (its
transpose). Each is the other's backward, so gradients of any order come for free. The builders
below reproduce PyTorch's CPU index rules, with the source positions computed in float32 for
float32 (and float16) inputs, as PyTorch does, so rounding at the borders picks the same pixels.
"""

from __future__ import annotations

import numpy as np

from morch.autograd.function import Function, op_error

CUBIC_A = -0.75  # PyTorch's (and OpenCV's) bicubic convolution constant


def _take(x: np.ndarray, axis: int, taps) -> np.ndarray:
    _, idx, w = taps
    if w is None:
        return np.take(x, idx[:, 0], axis=axis)
    w = w.astype(x.dtype, copy=False).reshape(w.shape[:1] + (1,) * (x.ndim - 1 - axis) + w.shape[1:])
    out = np.take(x, idx[:, 0], axis=axis) * w[..., 0]
    for k in range(1, idx.shape[1]):
        out += np.take(x, idx[:, k], axis=axis) * w[..., k]
    return out


def _put(g: np.ndarray, axis: int, taps) -> np.ndarray:
    size, idx, w = taps
    out = np.zeros(g.shape[:axis] + (size,) + g.shape[axis + 1 :], dtype=g.dtype)
    lead = (slice(None),) * axis
    if w is not None:
        w = w.astype(g.dtype, copy=False).reshape(w.shape[:1] + (1,) * (g.ndim - 1 - axis) + w.shape[1:])
    for k in range(idx.shape[1]):
        vals = g if w is None else g * w[..., k]
        # idx[:, k] never decreases: each target's contributions are one contiguous run, summed by reduceat
        targets, starts = np.unique(idx[:, k], return_index=True)
        out[lead + (targets,)] += np.add.reduceat(vals, starts, axis=axis)
    return out


def _check(x: np.ndarray, taps: tuple, name: str, sizes: bool) -> int:
    """The first resampled axis; checks that ``x`` has the sizes the taps expect."""
    nd = len(taps)
    if x.ndim < nd:
        raise op_error(ValueError, f"{name}: expected at least {nd} dimensions, got input of shape {x.shape}")
    for i, t in enumerate(taps):
        if t is not None:
            have = x.shape[x.ndim - nd + i]
            want = t[0] if sizes else t[1].shape[0]
            if have != want:
                raise op_error(
                    ValueError,
                    f"{name}: dimension {x.ndim - nd + i} of the input (shape {x.shape}) has size {have}, "
                    f"but the resampling taps expect {want}",
                )
    return x.ndim - nd


class Resample(Function):
    """Resample the last ``len(taps)`` axes of ``x``, each by its taps (None leaves an axis alone)."""

    unread_inputs = (0,)  # linear: backward needs only the taps

    def forward(self, x, taps):
        first = _check(x, taps, "resample", sizes=True)
        self.taps = taps
        out = x
        for i, t in enumerate(taps):
            if t is not None:
                out = _take(out, first + i, t)
        return out.copy() if out is x else out  # a new array, as PyTorch returns even for an identity resize

    def backward(self, g):
        return ResampleAdjoint.apply(g, taps=self.taps)


class ResampleAdjoint(Function):
    """The transpose of ``Resample`` with the same taps: each output value is added back into the
    input positions it was read from, times its weight (Resample's backward)."""

    unread_inputs = (0,)

    def forward(self, g, taps):
        first = _check(g, taps, "resample_adjoint", sizes=False)
        self.taps = taps
        out = g
        for i, t in enumerate(taps):
            if t is not None:
                out = _put(out, first + i, t)
        return out.copy() if out is g else out

    def backward(self, gg):
        return Resample.apply(gg, taps=self.taps)


# ------------------------------------------------------------------ taps for each mode
def _opmath(dtype) -> type:
    """The precision PyTorch computes source positions in: double for double inputs, else float."""
    return np.float64 if np.dtype(dtype) == np.float64 else np.float32


def _scale(in_size: int, out_size: int, scale: float | None, ft: type):
    """Input step per output step: 1/scale_factor when one is given (and used), else in/out."""
    if scale is not None and scale > 0:
        return ft(1.0 / scale)
    return ft(in_size) / ft(out_size)


def nearest_taps(in_size: int, out_size: int, scale: float | None = None, exact: bool = False,
                 shortcuts: bool = False):  # fmt: skip
    """Taps of 'nearest' (source floor(o * s)) or 'nearest-exact' (floor((o + 0.5) * s)), s as ``_scale``
    in float32. With ``shortcuts`` ('nearest' on 4-d input in PyTorch 2.13's CPU kernel), an unchanged
    size copies (None) and a doubled one reads o // 2, whatever scale_factor says."""
    o = np.arange(out_size)
    if not exact:
        if shortcuts and out_size == in_size:
            return None
        if shortcuts and out_size == 2 * in_size:
            src = o >> 1
        else:
            src = np.floor(o.astype(np.float32) * _scale(in_size, out_size, scale, np.float32))
    else:
        s = _scale(in_size, out_size, scale, np.float32)
        src = np.floor(((o + 0.5) * np.float64(s)).astype(np.float32))
    idx = np.minimum(src.astype(np.int64), in_size - 1)
    return (in_size, idx[:, None], None)


def _source(in_size: int, out_size: int, scale, align_corners: bool, ft: type, cubic: bool) -> np.ndarray:
    """PyTorch's real-valued source position of each output position (area_pixel_compute_source_index)."""
    o = np.arange(out_size).astype(ft)
    if align_corners:
        step = ft(in_size - 1) / ft(out_size - 1) if out_size > 1 else ft(0)
        return step * o
    src = _scale(in_size, out_size, scale, ft) * (o + ft(0.5)) - ft(0.5)
    return src if cubic else np.maximum(src, ft(0))


def _floor_and_frac(src: np.ndarray, in_size: int, ft: type):
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    return i0, np.clip(src - i0.astype(ft), ft(0), ft(1))


def linear_taps(in_size: int, out_size: int, scale: float | None, align_corners: bool, dtype):
    """Taps of 'linear' along one axis (two neighbours, clamped at the last one); None when the
    size is unchanged, where PyTorch copies."""
    if out_size == in_size:
        return None
    ft = _opmath(dtype)
    i0, lam = _floor_and_frac(_source(in_size, out_size, scale, align_corners, ft, cubic=False), in_size, ft)
    i1 = i0 + (i0 < in_size - 1)
    return (in_size, np.stack([i0, i1], 1), np.stack([ft(1) - lam, lam], 1))


def cubic_taps(in_size: int, out_size: int, scale: float | None, align_corners: bool, dtype):
    """Taps of 'bicubic' along one axis: Keys' cubic convolution with A = -0.75 on the four
    neighbours floor(src) - 1 .. floor(src) + 2, indices clamped into the input (PyTorch's borders)."""
    ft = _opmath(dtype)
    i0, t = _floor_and_frac(_source(in_size, out_size, scale, align_corners, ft, cubic=True), in_size, ft)
    a = ft(CUBIC_A)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    w = np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], 1)
    idx = np.clip(i0[:, None] + np.arange(-1, 3), 0, in_size - 1)
    if out_size == in_size and np.array_equal(w, np.tile(np.array([0, 1, 0, 0], ft), (out_size, 1))):
        if np.array_equal(idx[:, 1], np.arange(in_size)):
            return None
    return (in_size, idx, w)


def area_taps(in_size: int, out_size: int, dtype):
    """Taps of 'area' (adaptive average pooling): output o averages inputs floor(o*in/out) ..
    ceil((o+1)*in/out) - 1; shorter windows are padded with zero-weight repeats of their last index."""
    if out_size == in_size:
        return None
    o = np.arange(out_size)
    start, end = (o * in_size) // out_size, -(-((o + 1) * in_size) // out_size)
    k = int((end - start).max())
    pos = start[:, None] + np.arange(k)
    inside = pos < end[:, None]
    w = inside / (end - start)[:, None].astype(np.float64)
    return (in_size, np.minimum(pos, end[:, None] - 1), w.astype(_opmath(dtype)))


OPS = [Resample, ResampleAdjoint]
