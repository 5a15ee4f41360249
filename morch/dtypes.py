"""dtypes: thin named wrappers over numpy dtypes, and PyTorch's type promotion rules."""

from __future__ import annotations

import builtins

import numpy as np

# category order used by promotion: bool < integer < floating
_BOOL, _INT, _FLOAT = 0, 1, 2


class dtype:
    """A morch dtype (``morch.float32`` ...). Wraps one numpy dtype."""

    __slots__ = ("name", "np", "category", "itemsize")

    def __init__(self, name: str, np_dtype: np.dtype, category: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize

    @property
    def is_floating_point(self) -> builtins.bool:
        return self.category == _FLOAT

    @property
    def is_signed(self) -> builtins.bool:
        return self.np.kind in "fi"

    def __repr__(self) -> str:
        return f"morch.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


_BY_NP: dict[np.dtype, dtype] = {}
_BY_NAME: dict[str, dtype] = {}


def _make(name: str, np_dtype, category: int) -> dtype:
    d = dtype(name, np_dtype, category)
    _BY_NP[d.np] = d
    _BY_NAME[name] = d
    return d


bool = _make("bool", np.bool_, _BOOL)  # noqa: A001 - PyTorch's name
uint8 = _make("uint8", np.uint8, _INT)
# PyTorch has these three with few ops; morch's numpy kernels give them every integer op
uint16 = _make("uint16", np.uint16, _INT)
uint32 = _make("uint32", np.uint32, _INT)
uint64 = _make("uint64", np.uint64, _INT)
int8 = _make("int8", np.int8, _INT)
int16 = _make("int16", np.int16, _INT)
int32 = _make("int32", np.int32, _INT)
int64 = _make("int64", np.int64, _INT)
float16 = _make("float16", np.float16, _FLOAT)
float32 = _make("float32", np.float32, _FLOAT)
float64 = _make("float64", np.float64, _FLOAT)
# PyTorch's aliases
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001

_ALIASES = {"half": half, "float": float32, "double": float64, "short": int16, "int": int32, "long": int64}

_default_float = np.dtype(np.float32)


def _by_name(name: str) -> dtype:
    return _BY_NAME[name]


def get_default_dtype() -> dtype:
    """The dtype given to float data created without an explicit dtype (float32 unless changed)."""
    return _BY_NP[_default_float]


def set_default_dtype(d) -> None:
    """Set the default float dtype, as ``torch.set_default_dtype``.

    Args:
        d: a floating point dtype (float32, float64 or float16).
    """
    global _default_float
    nd = to_numpy(d)
    if nd.kind != "f":
        raise TypeError(f"set_default_dtype: only floating point dtypes are supported, got {d!r}")
    _default_float = nd


def default_float() -> np.dtype:
    return _default_float


def to_numpy(d) -> np.dtype:
    """Turn anything naming a dtype (morch dtype, numpy dtype, Python type, string) into a numpy dtype."""
    if type(d) is dtype:
        return d.np
    if d is builtins.float:
        return np.dtype(np.float64)
    if d is builtins.int:
        return np.dtype(np.int64)
    if d is builtins.bool:
        return np.dtype(np.bool_)
    if isinstance(d, str) and d in _ALIASES:
        return _ALIASES[d].np
    if isinstance(d, str) and d.startswith("morch."):
        d = d[6:]
    try:
        nd = np.dtype(d)
    except TypeError:
        raise TypeError(f"cannot interpret {d!r} as a morch dtype") from None
    if nd not in _BY_NP:
        raise TypeError(f"dtype {nd} is not supported by morch (supported: {', '.join(_BY_NAME)})")
    return nd


def from_numpy(nd: np.dtype) -> dtype:
    try:
        return _BY_NP[nd]
    except KeyError:
        raise TypeError(f"numpy dtype {nd} is not supported by morch (supported: {', '.join(_BY_NAME)})") from None


def category(nd: np.dtype) -> builtins.int:
    k = nd.kind
    return _FLOAT if k == "f" else _BOOL if k == "b" else _INT


def is_float(nd: np.dtype) -> builtins.bool:
    return nd.kind == "f"


def promote_types(da: np.dtype, a0: builtins.bool, db: np.dtype, b0: builtins.bool) -> np.dtype:
    """Result dtype of a binary op between tensors of dtypes ``da`` and ``db`` (``a0``: a is 0-dim).

    PyTorch's rules: within one category the wider type wins; across categories the higher
    category wins (int64 tensor + float32 tensor -> float32, where numpy would say float64).
    A 0-dim tensor only decides the result when it is of a higher category than the other.
    """
    if da == db:
        return da
    ca, cb = category(da), category(db)
    if a0 != b0:  # one zero-dim, one dimensioned
        zd, zc, nd, nc = (da, ca, db, cb) if a0 else (db, cb, da, ca)
        return nd if zc <= nc else zd
    if ca == cb:
        return np.promote_types(da, db)
    return da if ca > cb else db


def promote_scalar(nd: np.dtype, s) -> np.dtype:
    """Result dtype of a tensor of dtype ``nd`` combined with the scalar ``s``.

    Python numbers (and numpy scalars, as in PyTorch) are "weak": they only decide the result
    when they are of a higher category than the tensor.
    """
    c = category(nd)
    if isinstance(s, (builtins.bool, np.bool_)):
        return nd
    if isinstance(s, (builtins.int, np.integer)):
        return np.dtype(np.int64) if c == _BOOL else nd
    if isinstance(s, (builtins.float, np.floating)):
        return nd if c == _FLOAT else _default_float
    raise TypeError(f"expected a Tensor, a number or a numpy array as operand, got {type(s).__name__}")
