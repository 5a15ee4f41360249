"""LowRankMultivariateNormal: a multivariate normal with covariance W W^T + diag(D)."""

from __future__ import annotations

import math

import numpy as np

from morch import creation
from morch.distributions import constraints
from morch.distributions.continuous import MultivariateNormal
from morch.distributions.distribution import _as_params, _LocCentred, _noise
from morch.tensor import Tensor

__all__ = ["LowRankMultivariateNormal"]


class LowRankMultivariateNormal(_LocCentred):
    """The multivariate normal with mean ``loc`` and covariance ``cov_factor @ cov_factor.mT +
    diag(cov_diag)``, reparameterised; densities use the m x m capacitance matrix
    I + W^T D^-1 W (Woodbury), so no k x k matrix is factorised.

    Args:
        loc: the (..., k) mean.
        cov_factor: the (..., k, m) factor W.
        cov_diag: the (..., k) positive diagonal D.
        validate_args: check the parameters.
    """

    arg_constraints = {"loc": constraints.real_vector, "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}  # fmt: skip
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args: bool | None = None) -> None:
        loc, cov_factor, cov_diag = (_as_params(v)[0] for v in (loc, cov_factor, cov_diag))
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        k = loc.shape[-1]
        if cov_factor.ndim < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional leading batch dimensions")
        if cov_factor.shape[-2] != k:
            raise ValueError(
                f"cov_factor must be a batch of matrices with shape {k} x m, got {tuple(cov_factor.shape)}"
            )
        if tuple(cov_diag.shape[-1:]) != (k,):
            raise ValueError(f"cov_diag must be a batch of vectors with shape ({k},), got {tuple(cov_diag.shape)}")
        m = cov_factor.shape[-1]
        batch = np.broadcast_shapes(tuple(loc.shape[:-1]), tuple(cov_factor.shape[:-2]), tuple(cov_diag.shape[:-1]))
        self._unbroadcasted = (cov_factor, cov_diag)
        self.loc = loc.expand(*batch, k)
        self.cov_factor = cov_factor.expand(*batch, k, m)
        self.cov_diag = cov_diag.expand(*batch, k)
        super().__init__(batch, (k,), validate_args)

    def expand(self, batch_shape, _instance=None):
        batch = tuple(batch_shape)
        k, m = self.cov_factor.shape[-2:]
        return LowRankMultivariateNormal(self.loc.expand(*batch, k), self.cov_factor.expand(*batch, k, m),
                                         self.cov_diag.expand(*batch, k), validate_args=False)  # fmt: skip

    def _capacitance_tril(self) -> Tensor:
        """The Cholesky factor of I + W^T D^-1 W."""
        from morch import linalg

        w, d = self._unbroadcasted
        m = w.shape[-1]
        return linalg.cholesky(creation.eye(m, dtype=w.dtype) + (w.mT / d.unsqueeze(-2)) @ w)

    def _half_log_det(self) -> Tensor:
        """log det(cov) / 2 = sum log diag(capacitance factor) + sum log D / 2."""
        cap = self._capacitance_tril()
        return cap.diagonal(dim1=-2, dim2=-1).log().sum(-1) + 0.5 * self._unbroadcasted[1].log().sum(-1)

    @property
    def variance(self) -> Tensor:
        w, d = self._unbroadcasted
        return ((w**2).sum(-1) + d).expand(*self.batch_shape, *self.event_shape)

    @property
    def covariance_matrix(self) -> Tensor:
        w, d = self._unbroadcasted
        cov = w @ w.mT + d.diag_embed()
        return cov.expand(*self.batch_shape, *self.event_shape, *self.event_shape)

    @property
    def precision_matrix(self) -> Tensor:
        from morch import linalg

        return linalg.inv(self.covariance_matrix)

    @property
    def scale_tril(self) -> Tensor:
        from morch import linalg

        return linalg.cholesky(self.covariance_matrix)

    def _as_full(self) -> MultivariateNormal:
        """The same distribution as a MultivariateNormal (for KL divergences)."""
        return MultivariateNormal(self.loc, scale_tril=self.scale_tril, validate_args=False)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        w, d = self._unbroadcasted
        eps_w = _noise(creation.randn, shape[:-1] + (w.shape[-1],), self.loc)
        eps_d = _noise(creation.randn, shape, self.loc)
        return self.loc + (w @ eps_w.unsqueeze(-1)).squeeze(-1) + d.sqrt() * eps_d

    def log_prob(self, value) -> Tensor:
        from morch import linalg

        self._validate_sample(value)
        w, d = self._unbroadcasted
        diff = value - self.loc
        cap = self._capacitance_tril()
        wt_dinv_x = ((w.mT / d.unsqueeze(-2)) @ diff.unsqueeze(-1)).squeeze(-1)  # (..., m)
        cap = cap.expand(*wt_dinv_x.shape[:-1], *cap.shape[-2:])
        z = linalg.solve(cap, wt_dinv_x.unsqueeze(-1)).squeeze(-1)
        maha = (diff**2 / d).sum(-1) - (z**2).sum(-1)
        k = self.event_shape[0]
        return -0.5 * (k * math.log(2 * math.pi) + maha) - self._half_log_det()

    def entropy(self) -> Tensor:
        k = self.event_shape[0]
        h = 0.5 * k * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(*self.batch_shape) if self.batch_shape else h
