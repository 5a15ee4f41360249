"""Small numpy helpers shared by Adafactor and Muon: torch's two-branch lerp and bfloat16 rounding."""

from __future__ import annotations

import numpy as np


def lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``start`` moved towards ``end`` by ``weight``, in place, with torch's formula: ``start + w * (end - start)``
    for ``w < 0.5`` and ``end - (1 - w) * (end - start)`` otherwise (exact at ``w = 1``).

    Args:
        start: the array updated in place.
        end: the target (broadcast against ``start``).
        weight: the interpolation weight.
    """
    diff = end - start
    if abs(weight) < 0.5:
        diff *= weight
        start += diff
    else:
        diff *= 1 - weight
        np.subtract(end, diff, out=start)
    return start


def round_bf16(x: np.ndarray) -> np.ndarray:
    """``x`` rounded to the nearest bfloat16 (ties to even), returned as float32.

    bfloat16 keeps float32's exponent and 8 bits of significand; numpy has no such dtype, so the
    rounding is done on the bits of ``x`` (float64 is rounded once, directly, as a cast would).

    Args:
        x: a float32 or float64 array.
    """
    x = np.asarray(x)
    if x.dtype == np.float64:
        bits, drop = x.view(np.uint64), np.uint64(45)
    else:
        x = x.astype(np.float32, copy=False)
        bits, drop = x.view(np.uint32), np.uint32(16)
    one = bits.dtype.type(1)
    half = (one << (drop - one)) - one
    rounded = (bits + half + ((bits >> drop) & one)) & ~((one << drop) - one)
    out = rounded.view(x.dtype).astype(np.float32)
    nan = np.isnan(x)
    if nan.any():
        out[nan] = np.nan
    return out
