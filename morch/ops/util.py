"""Small helpers shared by op forwards: dimension normalisation with PyTorch's errors."""

from __future__ import annotations

from morch.autograd.function import op_error


def norm_dim(d: int, ndim: int, op: str = "") -> int:
    n = max(ndim, 1)
    if not -n <= d < n:
        raise op_error(
            IndexError, f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
        )
    return d % n


def norm_dims(dim, ndim: int, op: str = ""):
    """None (all dims) or a sorted tuple of non-negative dims; ``()`` also means all, as in ``amax``."""
    if dim is None:
        return None
    if isinstance(dim, int):
        dims = (dim,)
    else:
        dims = tuple(dim)
        if not dims:
            return None
    out = tuple(sorted({norm_dim(d, ndim, op) for d in dims}))
    if len(out) != len(dims):
        raise op_error(ValueError, f"{op}: dim {dims} appears multiple times in the list of dims")
    if ndim == 0:
        return None
    return out
