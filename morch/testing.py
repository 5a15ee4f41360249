"""``morch.testing.assert_close``: PyTorch's comparison of tensors, numbers and containers of them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from morch import dtypes
from morch.tensor import Tensor

__all__ = ["assert_close"]

# PyTorch's default (rtol, atol) per dtype; other dtypes (integers, bool) compare exactly
_TOLERANCES = {
    np.dtype(np.float16): (1e-3, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
}


class _Mismatch(AssertionError):
    """A failed comparison; ``path`` is where in nested containers it happened."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.message, self.path = message, path


def assert_close(
    actual: Any,
    expected: Any,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    check_dtype: bool = True,
    msg: str | None = None,
) -> None:
    """Raise AssertionError unless ``actual`` and ``expected`` are close: |actual - expected| <= atol + rtol * |e|.

    Tensors must match in shape (and in dtype with check_dtype); numbers compare as float64 or
    exactly as integers; sequences and mappings are compared item by item, and the message then
    says which item failed. The default tolerances are PyTorch's for the dtype (float32: rtol
    1.3e-6, atol 1e-5; float64: 1e-7 and 1e-7; integers and bool: exact). morch also accepts
    numpy arrays as tensors; unlike PyTorch it has no ``check_device``/``check_layout`` options.

    Args:
        actual: a tensor, number, or (nested) sequence or mapping of them.
        expected: the same structure.
        rtol: relative tolerance; give atol too, or neither.
        atol: absolute tolerance; give rtol too, or neither.
        equal_nan: treat two NaNs as equal.
        check_dtype: require equal dtypes of tensors.
        msg: a message to use instead of the generated one on mismatch.
    """
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.")
    try:
        _compare(actual, expected, "", rtol, atol, equal_nan, check_dtype)
    except _Mismatch as e:
        text = msg if msg is not None else e.message
        if msg is None and e.path:
            text += f"\n\nThe failure occurred for item {e.path}"
        raise AssertionError(text) from None


def _is_tensorlike(x) -> bool:
    return isinstance(x, (Tensor, np.ndarray))


def _is_number(x) -> bool:
    return isinstance(x, (bool, int, float, np.generic)) and not isinstance(x, (str, bytes))


def _compare(actual, expected, path, rtol, atol, equal_nan, check_dtype) -> None:
    if _is_tensorlike(actual) and _is_tensorlike(expected):
        return _compare_arrays(_array(actual), _array(expected), False, rtol, atol, equal_nan, check_dtype, path)
    if _is_number(actual) and _is_number(expected):
        a, b = np.asarray(actual), np.asarray(expected)
        if isinstance(actual, float) or isinstance(expected, float):  # Python floats are float64, as in PyTorch
            a, b = a.astype(np.float64), b.astype(np.float64)
        return _compare_arrays(a, b, True, rtol, atol, equal_nan, False, path)
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        ka, ke = list(actual.keys()), list(expected.keys())
        if set(ka) != set(ke):
            raise _Mismatch(
                "The keys of the mappings do not match:\n"
                f"Missing keys in the actual mapping: {sorted(set(ke) - set(ka), key=str)}\n"
                f"Additional keys in the actual mapping: {sorted(set(ka) - set(ke), key=str)}",
                path,
            )
        for k in ke:
            _compare(actual[k], expected[k], f"{path}[{k!r}]", rtol, atol, equal_nan, check_dtype)
        return None
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", path)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, f"{path}[{i}]", rtol, atol, equal_nan, check_dtype)
        return None
    raise TypeError(
        f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}."
        + (f" (item {path})" if path else "")
    )


def _is_sequence(x) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, (str, bytes))


def _array(x) -> np.ndarray:
    return x.detach().numpy() if isinstance(x, Tensor) else np.asarray(x)


def _dtype_name(d: np.dtype) -> str:
    return str(dtypes.from_numpy(d))


def _compare_arrays(a, e, scalars, rtol, atol, equal_nan, check_dtype, path) -> None:
    if a.shape != e.shape:
        raise _Mismatch(
            f"The values for attribute 'shape' do not match: morch.Size({list(a.shape)}) != "
            f"morch.Size({list(e.shape)}).",
            path,
        )
    if check_dtype and a.dtype != e.dtype:
        raise _Mismatch(
            f"The values for attribute 'dtype' do not match: {_dtype_name(a.dtype)} != {_dtype_name(e.dtype)}.", path
        )
    if rtol is None:
        # with mixed dtypes, the looser tolerance of the two
        ra, aa = _TOLERANCES.get(a.dtype, (0.0, 0.0))
        re_, ae = _TOLERANCES.get(e.dtype, (0.0, 0.0))
        rtol, atol = max(ra, re_), max(aa, ae)
    exact = rtol == 0 and atol == 0
    # differences in the inputs' float dtype (float32 for integers), so the printed numbers match PyTorch's
    floats = [d for d in (a.dtype, e.dtype) if d.kind == "f"]
    wide = np.result_type(*floats) if floats else np.dtype(np.float32)
    af, ef = a.astype(wide), e.astype(wide)
    with np.errstate(invalid="ignore", over="ignore"):
        ok = (af == ef) | (np.abs(af - ef) <= atol + rtol * np.abs(ef))
        if equal_nan:
            ok |= np.isnan(af) & np.isnan(ef)
        if ok.all():
            return
        kind = "equal" if exact else "close"
        abs_diff = np.abs(af - ef)
        with np.errstate(divide="ignore"):
            rel_diff = abs_diff / np.abs(ef)
    if scalars or a.ndim == 0:
        what = "Scalars"
        lines = [
            f"Expected {_item(e)} but got {_item(a)}.",
            f"Absolute difference: {_num(abs_diff.reshape(-1)[0], a)}" + _allowed(atol, exact),
            f"Relative difference: {_num(rel_diff.reshape(-1)[0], None)}" + _allowed(rtol, exact),
        ]
    else:
        what = "Tensor-likes"
        bad = ~ok
        n_bad, total = int(bad.sum()), a.size
        lines = [
            f"Mismatched elements: {n_bad} / {total} ({100 * n_bad / total:.1f}%)",
            _greatest("absolute", np.where(bad, abs_diff, -np.inf), a) + _allowed(atol, exact),
            _greatest("relative", np.where(bad, rel_diff, -np.inf), None) + _allowed(rtol, exact),
        ]
    raise _Mismatch(f"{what} are not {kind}!\n\n" + "\n".join(lines), path)


def _greatest(name: str, diffs: np.ndarray, like) -> str:
    # nan is the greatest difference when present, as PyTorch reports it
    flat = diffs.reshape(-1)
    nan = np.isnan(flat)
    i = int(np.argmax(nan)) if nan.any() else int(np.argmax(flat))
    index = tuple(int(k) for k in np.unravel_index(i, diffs.shape))
    return f"Greatest {name} difference: {_num(flat[i], like)} at index {index}"


def _num(x, like) -> str:
    """Differences of integer tensors print as integers, others as floats."""
    if like is not None and like.dtype.kind in "biu" and math.isfinite(x):
        return str(int(x))
    return str(float(x))


def _item(x: np.ndarray):
    return x.reshape(-1)[0].item()


def _allowed(tol: float, exact: bool) -> str:
    return "" if exact else f" (up to {tol} allowed)"
