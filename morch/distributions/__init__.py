"""``morch.distributions``: probability distributions with sampling (reparameterised where
possible), log-densities, entropies and KL divergences, as ``torch.distributions``.

Draws come from morch's global generator, so ``morch.manual_seed`` makes them repeatable (they
are not the same numbers as PyTorch's). The gamma-based ones (Gamma, Chi2, Beta, Dirichlet,
StudentT) are reparameterised implicitly. Transforms: Exp, Affine, Sigmoid, Tanh, Compose (also
importable from ``morch.distributions.transforms``). Not here: the rest of PyTorch's less used
distributions (NegativeBinomial, VonMises, Wishart, ...).
"""

from morch.distributions import constraints
from morch.distributions.continuous import Exponential, Laplace, MultivariateNormal, Normal, Uniform
from morch.distributions.discrete import Bernoulli, Categorical, OneHotCategorical
from morch.distributions.distribution import Distribution
from morch.distributions.gamma_family import Beta, Chi2, Dirichlet, Gamma, Poisson, StudentT
from morch.distributions.independent import Independent
from morch.distributions.kl import kl_divergence, register_kl
from morch.distributions.more import Binomial, Cauchy, Geometric, Gumbel, HalfNormal, Multinomial
from morch.distributions.transforms import (
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    LogNormal,
    SigmoidTransform,
    TanhTransform,
    Transform,
    TransformedDistribution,
)

__all__ = [
    "constraints",
    "Distribution",
    "Normal",
    "Uniform",
    "Exponential",
    "Laplace",
    "MultivariateNormal",
    "Bernoulli",
    "Categorical",
    "OneHotCategorical",
    "Independent",
    "Gamma",
    "Chi2",
    "Beta",
    "Dirichlet",
    "Poisson",
    "StudentT",
    "Binomial",
    "Geometric",
    "Multinomial",
    "Cauchy",
    "HalfNormal",
    "Gumbel",
    "TransformedDistribution",
    "LogNormal",
    "Transform",
    "ExpTransform",
    "AffineTransform",
    "SigmoidTransform",
    "TanhTransform",
    "ComposeTransform",
    "kl_divergence",
    "register_kl",
]
