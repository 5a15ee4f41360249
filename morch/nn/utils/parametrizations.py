"""``morch.nn.utils.parametrizations``: weight normalisation and spectral normalisation written as
parametrizations (see ``parametrize.py``), with PyTorch's state dict layout."""

from __future__ import annotations

import numpy as np

from morch import creation
from morch import functional as F
from morch.autograd import grad_mode
from morch.nn.module import Module
from morch.nn.utils import parametrize
from morch.tensor import Tensor, _wrap

__all__ = ["weight_norm", "spectral_norm"]


def norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of ``v`` over every dimension but ``dim``, shaped to broadcast against ``v``
    (a 0-d norm of everything for dim -1, as PyTorch's ``_weight_norm``)."""
    if dim == -1:
        return (v * v).sum().sqrt()
    dims = tuple(d for d in range(v.ndim) if d != dim)
    return (v * v).sum(dim=dims, keepdim=True).sqrt()


class _WeightNorm(Module):
    def __init__(self, dim: int | None) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple:
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (norm over every dim but ``dim``), with
    ``g`` and ``v`` in ``parametrizations.<name>.original0`` / ``original1``.

    Args:
        module: the module.
        name: the parameter's name.
        dim: the dimension that keeps its own norm (None: one norm for the whole tensor).
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


def _normalize(x: np.ndarray, eps: float) -> np.ndarray:
    return x / max(float(np.sqrt((x * x).sum())), eps)


class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(
                f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps, self.n_power_iterations, self.v_first = eps, n_power_iterations, False
        if ndim > 1:
            w = self._matrix(weight)._data
            h, wd = w.shape
            u = _normalize(creation.randn(h, dtype=weight.dtype)._data, eps)
            v = _normalize(creation.randn(wd, dtype=weight.dtype)._data, eps)
            self.register_buffer("_u", _wrap(u))
            self.register_buffer("_v", _wrap(v))
            self._power_method(w, 15)

    def _matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.movedim(self.dim, 0)
        return weight.flatten(1)

    def _power_method(self, w: np.ndarray, n: int) -> None:
        """A few rounds of power iteration on the weight matrix, updating the buffers in place."""
        u, v = self._u._data, self._v._data
        for _ in range(n):
            if self.v_first:  # the order of the older hook-based spectral_norm
                v[...] = _normalize(w.T @ u, self.eps)
                u[...] = _normalize(w @ v, self.eps)
            else:
                u[...] = _normalize(w @ v, self.eps)
                v[...] = _normalize(w.T @ u, self.eps)
        self._u._version += 1
        self._v._version += 1

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.div(weight, F.clamp(F.norm(weight), min=self.eps))
        w = self._matrix(weight)
        if self.training:
            with grad_mode.no_grad():
                self._power_method(w._data, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = F.dot(u, F.mv(w, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:  # fmt: skip
    """Reparametrize ``module.<name>`` as the weight divided by its largest singular value, estimated
    by power iteration (``n_power_iterations`` rounds per forward in training mode; the vectors are
    the parametrization's buffers ``_u`` and ``_v``).

    Args:
        module: the module.
        name: the parameter's name.
        n_power_iterations: power-iteration rounds per training forward.
        eps: added stability in the normalisations.
        dim: the output dimension (default 0, or 1 for transposed convolutions).
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
