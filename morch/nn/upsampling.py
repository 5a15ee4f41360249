"""Resizing: ``interpolate`` (and the deprecated ``upsample*`` functions) and the ``Upsample`` layers.

Every mode is separable, so a resize is one ``Resample`` op holding a few taps per spatial axis
(see ``morch.ops.resize``); its backward is the transposed resample, and that one's backward is the
resize again, so gradients of any order work.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from morch.autograd.function import deferrable
from morch.nn._util import InputError, InputTypeError, who
from morch.nn.module import Module
from morch.ops import resize as R
from morch.tensor import Tensor

_LINEAR_NDIM = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
AA_CUBIC_A = -0.5  # the bicubic constant of the antialiased path (Keys' value, as PIL and PyTorch use there)
_AA_RADIUS = {"bilinear": 1.0, "bicubic": 2.0, "lanczos": 3.0}  # the antialiasing filters' half-widths
_ANY_NDIM = ("nearest", "nearest-exact", "area")
_AXES = {1: ("W",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _output_size(input: Tensor, size, scale_factor, recompute_scale_factor, mode: str, name) -> tuple:
    """PyTorch's size / scale_factor rules: the output size and the scales the kernel uses (or None)."""
    spatial = list(input.shape[2:])
    nd = len(spatial)
    if size is not None and scale_factor is not None:
        raise ValueError(f"{who(name)}: only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise ValueError(
                    f"{who(name)}: Input and output must have the same number of spatial dimensions, but got input "
                    f"with spatial dimensions of {spatial} and output size of {size}. Please provide input tensor "
                    "in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
                )
            if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in size):
                raise TypeError(
                    f"{who(name)}: expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}"
                )
            out = [int(s) for s in size]
        else:
            out = [int(size)] * nd
        scales = None
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != nd:
                raise ValueError(
                    f"{who(name)}: Input and scale_factor must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and scale_factor of shape {scale_factor}. Please "
                    "provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."
                )
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * nd
        out = [math.floor(float(n) * s) for n, s in zip(spatial, scales)]
    else:
        raise ValueError(f"{who(name)}: either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError(f"{who(name)}: recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor or mode == "area":  # area always works from a size, as PyTorch's
        scales = None
    return out, scales


def _check_mode(input: Tensor, mode: str, align_corners, antialias: bool, name) -> None:
    n = input.ndim
    if antialias and not (mode in _AA_RADIUS and n == 4):
        raise ValueError(
            f"{who(name)}: Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a "
            "4-D tensor as input"
        )
    if mode == "lanczos" and n == 4:
        if align_corners:
            raise ValueError(f"{who(name)}: Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError(f"{who(name)}: Lanczos mode requires antialias=True")
    if mode in _LINEAR_NDIM and 3 <= n <= 5 and n != _LINEAR_NDIM[mode]:
        raise NotImplementedError(
            f"{who(name)}: Got {n}D input, but {mode} mode needs {_LINEAR_NDIM[mode]}D input "
            f"(shape {tuple(input.shape)})"
        )
    if not (3 <= n <= 5 and (mode in _ANY_NDIM or mode in _LINEAR_NDIM)) and not (mode == "lanczos" and n == 4):
        raise NotImplementedError(
            f"{who(name)}: Input Error: Only 3D, 4D and 5D input Tensors supported (got {n}D) for the modes: "
            f"nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got {mode})"
        )
    dt = input._data.dtype
    if mode not in ("nearest", "nearest-exact") and dt.kind != "f":
        raise InputTypeError(f"{who(name)}: mode '{mode}' needs a floating point input, got {input.dtype}")


def _fused(p: np.ndarray, q, r) -> np.ndarray:
    """``p * q + r`` rounded once to ``p``'s dtype, as a fused multiply-add (PyTorch's compiled kernel uses them)."""
    return (p.astype(np.float64) * q + r).astype(p.dtype)


def _aa_filter(x: np.ndarray, mode: str) -> np.ndarray:
    """The filter of an antialiased resize at offsets ``x`` (in input pixels divided by the step):
    the triangle for 'bilinear', Keys' cubic with A = -0.5 for 'bicubic', sinc(x) sinc(x / 3) for
    'lanczos'; zero outside the support."""
    x = np.abs(x)
    if mode == "bilinear":
        return np.where(x < 1, 1 - x, 0).astype(x.dtype)
    if mode == "lanczos":
        x64 = x.astype(np.float64)
        return np.where(x64 < 3, np.sinc(x64) * np.sinc(x64 / 3), 0).astype(x.dtype)
    a = x.dtype.type(AA_CUBIC_A)
    inner = _fused(_fused(x, a + 2, -(a + 3)) * x, x, 1)
    outer = _fused(_fused(_fused(x, a, -5 * a), x, 8 * a), x, -4 * a)
    return np.where(x < 1, inner, np.where(x < 2, outer, 0)).astype(x.dtype)


def _aa_taps(in_size: int, out_size: int, scale: float | None, align_corners: bool, mode: str, dtype):
    """Taps of an antialiased resize along one axis (PIL's separable resampling, as PyTorch's CPU kernel).

    With ``s`` the input step per output step, output ``o`` centres at ``c = s * (o + 0.5)`` and reads
    inputs ``int(c - r + 0.5) .. int(c + r + 0.5) - 1`` (clipped to the input), where ``r`` is the
    filter's radius (1, 2 or 3) times ``max(s, 1)``; input ``j`` weighs ``filter((j + 0.5 - c) / max(s, 1))``
    and the weights of an output are normalised to sum to 1. So downsampling widens the filter
    to cover every input pixel, and upsampling interpolates. Computed in the input's precision
    (float32 for float32), as PyTorch does, so the windows' bounds round the same way. None when
    the size is unchanged (PyTorch copies such an axis).

    Args:
        in_size: the input size along the axis.
        out_size: the output size.
        scale: the scale factor used for the step (1/scale), or None for in/out.
        align_corners: use the step (in - 1) / (out - 1) instead (the window rule is unchanged).
        mode: 'bilinear', 'bicubic' or 'lanczos'.
        dtype: the input's dtype.
    """
    if out_size == in_size:
        return None
    ft = R._opmath(dtype)
    if align_corners:
        step = ft(in_size - 1) / ft(out_size - 1) if out_size > 1 else ft(0)
    else:
        step = R._scale(in_size, out_size, scale, ft)
    radius = _AA_RADIUS[mode]
    wide = step >= 1
    support = ft(radius * float(step)) if wide else ft(radius)
    inv = ft(1.0 / float(step)) if wide else ft(1)
    k = 2 * math.ceil(support) + 1
    centre = ((np.arange(out_size) + 0.5) * float(step)).astype(ft)
    lo = np.maximum(((centre - support).astype(np.float64) + 0.5).astype(np.int64), 0)
    hi = np.minimum(((centre + support).astype(np.float64) + 0.5).astype(np.int64), in_size)
    count = np.clip(hi - lo, 0, k)
    j = lo[:, None] + np.arange(k)
    x = (((j.astype(ft) - centre[:, None]).astype(np.float64) + 0.5) * float(inv)).astype(ft)
    w = np.where(np.arange(k) < count[:, None], _aa_filter(x, mode), ft(0))
    total = w.sum(axis=1, keepdims=True)
    w = np.where(total != 0, w / np.where(total != 0, total, ft(1)), w)
    idx = np.clip(np.minimum(j, (lo + count - 1)[:, None]), 0, in_size - 1)
    return (in_size, idx, w)


@deferrable
def _interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias, name) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{who(name)}: expected input to be a Tensor, got {type(input).__name__}")
    if mode in _ANY_NDIM:
        if align_corners is not None:
            raise ValueError(
                f"{who(name)}: align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    out, scales = _output_size(input, size, scale_factor, recompute_scale_factor, mode, name)
    _check_mode(input, mode, align_corners, antialias, name)
    spatial = tuple(input.shape[2:])
    if min(spatial) <= 0 or min(out) <= 0:
        axes = _AXES[len(spatial)]
        raise InputError(
            f"{who(name)}: Input and output sizes should be greater than 0, but got input "
            f"({', '.join(f'{a}: {s}' for a, s in zip(axes, spatial))}) "
            f"output ({', '.join(f'{a}: {s}' for a, s in zip(axes, out))})"
        )
    dt = input._data.dtype
    taps = []
    for i, (n, o) in enumerate(zip(spatial, out)):
        s = scales[i] if scales is not None else None
        if antialias:
            taps.append(_aa_taps(n, o, s, bool(align_corners), mode, dt))
        elif mode in ("nearest", "nearest-exact"):
            taps.append(R.nearest_taps(n, o, s, exact=mode == "nearest-exact", shortcuts=input.ndim == 4))
        elif mode == "area":
            taps.append(R.area_taps(n, o, dt))
        elif mode == "bicubic":
            taps.append(R.cubic_taps(n, o, s, bool(align_corners), dt))
        else:
            taps.append(R.linear_taps(n, o, s, bool(align_corners), dt))
    return R.Resample.apply(input, taps=tuple(taps))


@deferrable
def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:  # fmt: skip
    """Resize the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W) input, as PyTorch's ``interpolate``.

    Output position ``o`` reads input position ``floor(o * s)`` ('nearest') or ``floor((o + 0.5) * s)``
    ('nearest-exact'), or interpolates around ``s * (o + 0.5) - 0.5`` ('linear', 'bilinear',
    'trilinear'; 'bicubic' with A = -0.75 and indices clamped at the borders), or around ``o * (in - 1)
    / (out - 1)`` with ``align_corners=True``; 'area' is adaptive average pooling. ``s`` is in/out,
    or 1/scale_factor when a scale factor is given and not recomputed, computed in float32 for
    float32 input as PyTorch does. With ``antialias=True`` ('bilinear', 'bicubic' with A = -0.5, and
    'lanczos', which needs it) the filter is stretched by ``s`` when downsampling and its weights
    are renormalised over the pixels inside the input (PIL's resampling, as PyTorch; see
    ``_aa_taps``). Differences from PyTorch: 'nearest' modes also accept any integer dtype (PyTorch only uint8),
    and the other modes need floating point input (PyTorch also takes uint8 for 'bilinear'); an
    output size of 0 is an error for 'area' too (PyTorch returns an empty tensor). Gradients are the
    exact adjoint of the forward: for 3-d and 5-d 'nearest' with a scale_factor under which an axis
    keeps or doubles its size, PyTorch's backward reads other pixels than its forward, and morch's
    gradient differs from PyTorch's there.

    Args:
        input: a tensor with a batch and a channel dim followed by 1 to 3 spatial dims.
        size: the output spatial size (an int for every dim, or one per dim).
        scale_factor: the multiplier of each spatial size (a float, or one per dim); the output
            size is floor(size * scale_factor). Give exactly one of size and scale_factor.
        mode: 'nearest', 'nearest-exact', 'linear' (3-d), 'bilinear' (4-d), 'bicubic' (4-d),
            'trilinear' (5-d), 'area', or 'lanczos' (4-d, with antialias=True and no align_corners).
        align_corners: for the linear modes and 'bicubic' only: map the corner pixels' centres onto
            each other (default False); must be None for the other modes.
        recompute_scale_factor: compute the scale from the output size instead of using
            ``scale_factor`` directly (only meaningful with scale_factor).
        antialias: low-pass filter when downsampling (4-d 'bilinear', 'bicubic' and 'lanczos' only).
    """
    return _interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias,
                        "interpolate")  # fmt: skip


@deferrable
def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:  # fmt: skip
    """Deprecated alias of ``interpolate`` (warns, as PyTorch's ``F.upsample``).

    Args:
        input: see ``interpolate``.
        size: the output spatial size.
        scale_factor: the multiplier of each spatial size.
        mode: the interpolation mode.
        align_corners: see ``interpolate``.
    """
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return _interpolate(input, size, scale_factor, mode, align_corners, None, False, "upsample")


@deferrable
def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')`` (warns, as PyTorch).

    Args:
        input: see ``interpolate``.
        size: the output spatial size.
        scale_factor: the multiplier of each spatial size.
    """
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2
    )
    return _interpolate(input, size, scale_factor, "nearest", None, None, False, "upsample_nearest")


@deferrable
def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode='bilinear', align_corners=True)`` (warns, as PyTorch).

    Args:
        input: see ``interpolate``.
        size: the output spatial size.
        scale_factor: the multiplier of each spatial size.
    """
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2
    )
    return _interpolate(input, size, scale_factor, "bilinear", True, None, False, "upsample_bilinear")


# shape-only Python around one op: a static graph may replay the op (see morch.static)
for _f in (interpolate, upsample, upsample_nearest, upsample_bilinear, _interpolate):
    _f.replayable = True


class Upsample(Module):
    """Resize (N, C, L), (N, C, H, W) or (N, C, D, H, W) input with ``interpolate``.

    Args:
        size: the output spatial size (an int or one per spatial dim).
        scale_factor: the multiplier of each spatial size (stored as float(s), as PyTorch).
        mode: 'nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear' or 'area'.
        align_corners: see ``interpolate`` (linear modes and 'bicubic' only).
        recompute_scale_factor: see ``interpolate``.
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:  # fmt: skip
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, (list, tuple)):
            self.scale_factor = tuple(float(s) for s in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners, self.recompute_scale_factor = mode, align_corners, recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return _interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                            self.recompute_scale_factor, False, self)  # fmt: skip

    def extra_repr(self) -> str:
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour resize of (N, C, H, W) input (``Upsample`` with mode='nearest').

    Args:
        size: the output size (an int or a pair).
        scale_factor: the multiplier of each spatial size.
    """

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear resize of (N, C, H, W) input with align_corners=True (``Upsample`` with mode='bilinear').

    Args:
        size: the output size (an int or a pair).
        scale_factor: the multiplier of each spatial size.
    """

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
