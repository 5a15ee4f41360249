"""Helpers shared by the distributions, under ``torch.distributions.utils``'s names: broadcasting of
parameters, probabilities <-> logits, lower-triangular matrices <-> vectors, ``lazy_property``."""

from __future__ import annotations

import math
import numbers

import numpy as np

from morch import creation, dtypes
from morch import functional as F
from morch.tensor import Tensor

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits", "lazy_property",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]  # fmt: skip

euler_constant = 0.57721566490153286060


def broadcast_all(*values):
    """Tensors and numbers broadcast to one shape; numbers take the first tensor's dtype (else the default).

    Args:
        values: tensors or numbers.
    """
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("broadcast_all: the arguments must all be numbers or morch Tensors")
    first = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = first.dtype if first is not None else dtypes.get_default_dtype()
    ts = [v if isinstance(v, Tensor) else creation.tensor(v, dtype=dtype) for v in values]
    return tuple(F.broadcast_tensors(*ts))


def clamp_probs(probs: Tensor) -> Tensor:
    """``probs`` clamped to [eps, 1 - eps] (eps of its dtype), so their logs are finite."""
    eps = float(np.finfo(probs._data.dtype).eps)
    return probs.clamp(eps, 1 - eps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid(logits) if ``is_binary`` else softmax over the last dimension."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log-odds (``is_binary``) or log-probabilities of the (clamped) ``probs``."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)), stable for large |x|."""
    return F.logaddexp(x, x * 0)


def sum_rightmost(x: Tensor, n: int) -> Tensor:
    """``x`` summed over its last ``n`` dimensions (unchanged for n <= 0)."""
    return x.sum(tuple(range(-n, 0))) if n > 0 else x


class lazy_property:  # noqa: N801 - PyTorch's name
    """A property computed on first access and then stored on the instance."""

    def __init__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = self.fn(obj)
        obj.__dict__[self.fn.__name__] = value
        return value


def _tril_positions(n: int, diag: int) -> np.ndarray:
    """Flat (row-major) positions of the entries of an n x n matrix on or below diagonal ``diag``."""
    rows, cols = np.tril_indices(n, diag)
    return rows * n + cols


def tril_matrix_to_vec(mat: Tensor, diag: int = 0) -> Tensor:
    """The entries of (..., D, D) matrices on or below diagonal ``diag``, row by row, as (..., N) vectors."""
    n = mat.shape[-1]
    if not -n <= diag < n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    flat = mat.reshape(*mat.shape[:-2], n * n)
    return flat.index_select(-1, creation.tensor(_tril_positions(n, diag)))


def vec_to_tril_matrix(vec: Tensor, diag: int = 0) -> Tensor:
    """(..., N) vectors as (..., D, D) matrices with the entries on or below diagonal ``diag``, row by row."""
    size = vec.shape[-1]
    b = 1 + 2 * diag
    n = (-b + math.sqrt(b * b + 8 * size + 4 * abs(diag) * (diag + 1))) / 2
    if abs(round(n) - n) > 1e-9:
        raise ValueError(
            f"The size of last dimension is {size} which cannot be expressed as "
            "the lower triangular part of a square D x D matrix."
        )
    n = round(n)
    where = np.full(n * n, size)  # position n*n -> the appended zero
    where[_tril_positions(n, diag)] = np.arange(size)
    padded = F.cat([vec, creation.zeros(*vec.shape[:-1], 1, dtype=vec.dtype)], -1)
    return padded.index_select(-1, creation.tensor(where)).reshape(*vec.shape[:-1], n, n)
