"""Distributions over matrices: Wishart (positive-definite matrices) and LKJCholesky (Cholesky
factors of correlation matrices).

Wishart draws use the Bartlett decomposition: L A A^T L^T with A lower triangular, chi-distributed
diagonal (from morch's implicitly reparameterised gamma sampler, so ``rsample`` carries gradients to
``df`` and the scale) and standard normal entries below it. LKJCholesky draws use the onion method:
row i of the factor is sqrt(y_i) times a uniform direction in the first i coordinates, with y_i ~ Beta.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from morch import creation, linalg
from morch import functional as F
from morch.autograd import grad_mode
from morch.distributions import constraints
from morch.distributions.distribution import Distribution, _as_params, _noise
from morch.distributions.exp_family import ExponentialFamily
from morch.distributions.gamma_family import Beta, _standard_gamma
from morch.distributions.kl import register_kl
from morch.distributions.utils import vec_to_tril_matrix
from morch.tensor import Tensor

__all__ = ["Wishart", "LKJCholesky"]

_MATRIX_FORMS = ("covariance_matrix", "precision_matrix", "scale_tril")


def _mvdigamma(x: Tensor, p: int) -> Tensor:
    """The multivariate digamma of dimension p (the derivative of mvlgamma): sum_i digamma(x - i/2)."""
    shifts = creation.arange(p, dtype=x.dtype) / 2
    return F.digamma(x.unsqueeze(-1) - shifts).sum(-1)


def _half_log_det(tril: Tensor) -> Tensor:
    """log det(L L^T) / 2 = sum log diag(L)."""
    return tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)


class Wishart(ExponentialFamily):
    """The Wishart distribution over p x p positive-definite matrices with ``df`` degrees of freedom
    and scale matrix S, given as one of covariance_matrix (S), precision_matrix (S^-1) or scale_tril
    (the lower Cholesky factor of S); mean df * S. Reparameterised (Bartlett decomposition).

    Args:
        df: the degrees of freedom (> p - 1), a number or a tensor broadcasting with the batch shape.
        covariance_matrix: (..., p, p) positive-definite scale matrix S.
        precision_matrix: (..., p, p) positive-definite S^-1.
        scale_tril: (..., p, p) lower-triangular factor of S with a positive diagonal.
        validate_args: check the parameters (and values given to log_prob).
    """

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self) -> dict:
        return {"covariance_matrix": constraints.positive_definite, "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self._event_shape[-1] - 1)}  # fmt: skip

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args: bool | None = None) -> None:  # fmt: skip
        forms = zip(_MATRIX_FORMS, (covariance_matrix, precision_matrix, scale_tril))
        given = {k: v for k, v in forms if v is not None}
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        ((name, param),) = given.items()
        (param,) = _as_params(param)
        if param.ndim < 2 or param.shape[-1] != param.shape[-2]:
            raise ValueError(
                f"Wishart: {name} must be a batch of square matrices (..., p, p), got shape {tuple(param.shape)}"
            )
        p = param.shape[-1]
        df = df.to(param.dtype) if isinstance(df, Tensor) else creation.tensor(df, dtype=param.dtype)
        try:
            batch = np.broadcast_shapes(tuple(df.shape), tuple(param.shape[:-2]))
        except ValueError:
            raise ValueError(
                f"Wishart: df of shape {tuple(df.shape)} does not broadcast with the batch shape "
                f"{tuple(param.shape[:-2])} of {name}"
            ) from None
        if bool((df <= p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        if bool((df < p).any()):
            warnings.warn(
                "Low df values detected. Singular samples are highly likely to occur for ndim - 1 < df < ndim.",
                stacklevel=2,
            )
        self.df = df.expand(*batch)
        setattr(self, name, param.expand(*batch, p, p))
        super().__init__(batch, (p, p), validate_args)  # validates before the factorisation below
        if name == "scale_tril":
            self._tril = param
        elif name == "covariance_matrix":
            self._tril = linalg.cholesky(param)
        else:
            self._tril = linalg.cholesky(linalg.inv(param))

    def expand(self, batch_shape, _instance=None):
        """The same distribution repeated over a larger batch shape (parameters are expanded views).

        Args:
            batch_shape: the new batch shape (the current one must broadcast to it).
        """
        batch, event = tuple(batch_shape), tuple(self._event_shape)
        new = type(self).__new__(type(self))
        new.df = self.df.expand(*batch)
        new._tril = self._tril
        for name in _MATRIX_FORMS:
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name].expand(*batch, *event)
        Distribution.__init__(new, batch, event, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def __getattr__(self, name):
        # the forms of the scale not given are computed from its Cholesky factor when asked for
        shape = (*self._batch_shape, *self._event_shape)
        if name == "scale_tril":
            return self._tril.expand(*shape)
        if name == "covariance_matrix":
            return (self._tril @ self._tril.mT).expand(*shape)
        if name == "precision_matrix":
            return self._precision().expand(*shape)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _precision(self) -> Tensor:
        """S^-1 from the unbroadcast Cholesky factor."""
        eye = creation.eye(self._event_shape[-1], dtype=self._tril.dtype)
        return linalg._cholesky_solve(eye.expand(*self._tril.shape), self._tril)

    def _df_matrix(self) -> Tensor:
        """df with two trailing unit dimensions, to scale (..., p, p) matrices."""
        return self.df.reshape(*self._batch_shape, 1, 1)

    @property
    def mean(self) -> Tensor:
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self) -> Tensor:
        """(df - p - 1) S, NaN where df <= p + 1 (no mode)."""
        factor = self._df_matrix() - self._event_shape[-1] - 1
        return F.where(factor > 0, factor, math.nan) * self.covariance_matrix

    @property
    def variance(self) -> Tensor:
        """Var X_ij = df (S_ij^2 + S_ii S_jj)."""
        cov = self.covariance_matrix
        diag = cov.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix() * (cov**2 + diag.unsqueeze(-1) * diag.unsqueeze(-2))

    def _bartlett(self, shape: tuple) -> Tensor:
        """Draws of shape ``shape`` + (p, p): (L A)(L A)^T with A's diagonal chi(df - i), normal below it."""
        p = self._event_shape[-1]
        dfs = self.df.unsqueeze(-1) - creation.arange(p, dtype=self.df.dtype)
        chi = (2 * _standard_gamma(0.5 * dfs.expand(*shape, p))).sqrt()
        chi = chi.clamp(min=float(np.finfo(self.df._data.dtype).eps))
        below = _noise(creation.randn, (*shape, p * (p - 1) // 2), self.df)
        factor = self._tril @ (chi.diag_embed() + vec_to_tril_matrix(below, diag=-1))
        return factor @ factor.mT

    def rsample(self, sample_shape=(), max_try_correction: int | None = None) -> Tensor:
        """Reparameterised draws by the Bartlett decomposition. Draws that come out singular (likely
        when df < p) are redrawn, up to ``max_try_correction`` times (default 10), with a warning;
        any still singular are returned as they are (their log_prob is -inf).

        Args:
            sample_shape: the leading shape of the draws.
            max_try_correction: how many times singular draws are redrawn.
        """
        shape = tuple(sample_shape) + tuple(self._batch_shape)
        tries = 10 if max_try_correction is None else max_try_correction
        sample = self._bartlett(shape)
        singular = ~self.support.check(sample.detach().numpy())
        if singular.any():
            warnings.warn("Singular sample detected.", stacklevel=2)
        for _ in range(tries):
            if not singular.any():
                break
            fresh = self._bartlett(shape)
            mask = creation.tensor(singular[..., None, None])
            sample = F.where(mask, fresh, sample)
            singular = singular & ~self.support.check(fresh.detach().numpy())
        return sample

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        trace = (self._precision() * value).sum((-2, -1))  # tr(S^-1 X): both are symmetric
        return (
            -nu * (p * math.log(2) / 2 + _half_log_det(self._tril))
            - F.mvlgamma(nu / 2, p)
            + (nu - p - 1) / 2 * linalg.slogdet(value).logabsdet
            - trace / 2
        )

    def entropy(self) -> Tensor:
        nu, p = self.df, self._event_shape[-1]
        return (
            (p + 1) * (p * math.log(2) / 2 + _half_log_det(self._tril))
            + F.mvlgamma(nu / 2, p)
            - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p)
            + nu * p / 2
        )

    @property
    def _natural_params(self) -> tuple:
        return -self.precision_matrix / 2, (self.df - self._event_shape[-1] - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        half_df = y + (p + 1) / 2
        return half_df * (p * math.log(2) - linalg.slogdet(-2 * x).logabsdet) + F.mvlgamma(half_df, p)


@register_kl(Wishart, Wishart)
def _kl_wishart_wishart(p, q):
    """KL(W(n0, S0) || W(n1, S1)) = n1 (log|S1| - log|S0|) / 2 + n0 (tr(S1^-1 S0) - k) / 2
    + log Gamma_k(n1 / 2) - log Gamma_k(n0 / 2) + (n0 - n1) psi_k(n0 / 2) / 2."""
    if p._event_shape != q._event_shape:
        raise ValueError(
            f"KL(Wishart || Wishart): the matrices must have one size, got {tuple(p.event_shape)} "
            f"and {tuple(q.event_shape)}"
        )
    k = p._event_shape[-1]
    n0, n1 = p.df, q.df
    trace = (q._precision() * (p._tril @ p._tril.mT)).sum((-2, -1))
    return (
        n1 * (_half_log_det(q._tril) - _half_log_det(p._tril))
        + n0 * (trace - k) / 2
        + F.mvlgamma(n1 / 2, k)
        - F.mvlgamma(n0 / 2, k)
        + (n0 - n1) / 2 * _mvdigamma(n0 / 2, k)
    )


class LKJCholesky(Distribution):
    """The LKJ distribution over lower Cholesky factors L of dim x dim correlation matrices: the
    density of M = L L^T is proportional to det(M)^(concentration - 1), so concentration 1 is
    uniform over correlation matrices. Drawn by the onion method; not reparameterised. Unlike
    PyTorch 2.13's draws (whose Beta parameters make the correlations of rows >= 2 too wide for
    dim >= 3), every correlation here has the LKJ marginal 2 Beta(b, b) - 1, b = eta - 1 + dim / 2.

    Args:
        dim: the matrix size (>= 2).
        concentration: eta (> 0), a number or a tensor (the batch shape).
        validate_args: check the parameter (and values given to log_prob).
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration=1.0, validate_args: bool | None = None) -> None:
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool) or dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = int(dim)
        (self.concentration,) = _as_params(concentration)
        super().__init__(self.concentration.shape, (self.dim, self.dim), validate_args)
        # row i (i >= 1) has squared off-diagonal length y_i ~ Beta(i/2, eta + (dim - 2)/2 - (i - 1)/2)
        # (Lewandowski et al., section 3.2); row 0 gets a dummy Beta(1/2, ...) whose draw multiplies zeros
        dtype = self.concentration.dtype
        rows = creation.tensor([1.0, *range(1, self.dim)], dtype=dtype)
        offset = creation.tensor([0.0, *range(self.dim - 1)], dtype=dtype)
        marginal = self.concentration + 0.5 * (self.dim - 2)
        self._beta = Beta(rows / 2, marginal.unsqueeze(-1) - 0.5 * offset, validate_args=False)

    def expand(self, batch_shape, _instance=None):
        """The same distribution repeated over a larger batch shape.

        Args:
            batch_shape: the new batch shape (the current one must broadcast to it).
        """
        new = LKJCholesky(self.dim, self.concentration.expand(*batch_shape), validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=()) -> Tensor:
        with grad_mode.no_grad():
            shape = self._extended_shape(sample_shape)
            y = self._beta.sample(sample_shape).unsqueeze(-1)  # (..., dim, 1)
            normal = _noise(creation.randn, shape, self.concentration).tril(-1)
            tiny = float(np.finfo(normal._data.dtype).tiny)
            direction = normal / normal.norm(dim=-1, keepdim=True).clamp(min=tiny)  # row 0 stays zero
            w = y.sqrt() * direction
            diag = (1 - (w**2).sum(-1)).clamp(min=tiny).sqrt()
            return w + diag.diag_embed()

    def log_prob(self, value) -> Tensor:
        """log p(L) = sum_i (2 (eta - 1) + dim - i) log L_ii (i = 2..dim) minus the log normaliser
        (page 1999 of Lewandowski, Kurowicka and Joe, 2009)."""
        self._validate_sample(value)
        diag = value.diagonal(dim1=-2, dim2=-1)[..., 1:]
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - creation.arange(2, self.dim + 1)
        unnormalised = (order * diag.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        log_norm = 0.5 * dm1 * math.log(math.pi) + F.mvlgamma(alpha - 0.5, dm1) - F.lgamma(alpha) * dm1
        return unnormalised - log_norm
