"""parameters_to_vector and vector_to_parameters: all parameters as one flat vector and back."""

from __future__ import annotations

from collections.abc import Iterable

from morch import functional as _mf
from morch.tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """One 1-D tensor holding every parameter, flattened and concatenated (differentiable).

    Args:
        parameters: an iterable of tensors.
    """
    ps = list(parameters)
    if not ps:
        raise ValueError("parameters_to_vector: no parameters given")
    return _mf.cat([p.reshape(-1) for p in ps])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters (in place, without autograd history).

    Args:
        vec: a 1-D tensor with as many elements as the parameters together.
        parameters: an iterable of tensors.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    ps = list(parameters)
    total = sum(p.numel() for p in ps)
    if vec.ndim != 1 or vec.numel() != total:
        raise ValueError(
            f"vector_to_parameters: expected a 1-D vector of {total} elements, got shape {tuple(vec.shape)}"
        )
    flat = vec._data
    start = 0
    for p in ps:
        n = p.numel()
        p._data[...] = flat[start : start + n].reshape(p._data.shape)
        p._version += 1
        start += n
