"""``morch.distributions``: probability distributions with sampling (reparameterised where
possible), log-densities, entropies and KL divergences, as ``torch.distributions``.

Draws come from morch's global generator, so ``morch.manual_seed`` makes them repeatable (they
are not the same numbers as PyTorch's). The gamma-based ones (Gamma, Chi2, Beta, Dirichlet,
StudentT) sample without reparameterisation. Not here: transforms and TransformedDistribution,
Binomial, Geometric, LogNormal and the rest of PyTorch's less used distributions.
"""

from morch.distributions import constraints
from morch.distributions.continuous import Exponential, Laplace, MultivariateNormal, Normal, Uniform
from morch.distributions.discrete import Bernoulli, Categorical, OneHotCategorical
from morch.distributions.distribution import Distribution
from morch.distributions.gamma_family import Beta, Chi2, Dirichlet, Gamma, Poisson, StudentT
from morch.distributions.independent import Independent
from morch.distributions.kl import kl_divergence, register_kl

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
    "kl_divergence",
    "register_kl",
]
