"""``morch.distributions``: probability distributions with sampling (reparameterised where
possible), log-densities, cdfs, entropies and KL divergences, as ``torch.distributions``.

Draws come from morch's global generator, so ``morch.manual_seed`` makes them repeatable (they
are not the same numbers as PyTorch's). The gamma-based ones (Gamma, Chi2, Beta, Dirichlet,
StudentT, InverseGamma, FisherSnedecor) are reparameterised implicitly. Transforms (ExpTransform,
AffineTransform, StickBreakingTransform, CorrCholeskyTransform, ...) and the registries
``biject_to`` / ``transform_to`` map constraints to them. Wishart (reparameterised by the Bartlett
decomposition) and LKJCholesky (onion method) give distributions over matrices. PyTorch's submodule
names work as aliases: ``from morch.distributions.normal import Normal``.
"""

import sys as _sys
import types as _types

from morch.distributions import constraints, transforms, utils
from morch.distributions import kl_more as _kl_more  # noqa: F401 - registers the KL pairs of the newer classes
from morch.distributions.constraint_registry import biject_to, transform_to
from morch.distributions.continuous import Exponential, Laplace, MultivariateNormal, Normal, Uniform
from morch.distributions.discrete import Bernoulli, Categorical, OneHotCategorical
from morch.distributions.distribution import Distribution
from morch.distributions.exp_family import ContinuousBernoulli, ExponentialFamily
from morch.distributions.extra import (
    FisherSnedecor,
    GeneralizedPareto,
    HalfCauchy,
    InverseGamma,
    Kumaraswamy,
    LogisticNormal,
    NegativeBinomial,
    Pareto,
    Weibull,
)
from morch.distributions.gamma_family import Beta, Chi2, Dirichlet, Gamma, Poisson, StudentT
from morch.distributions.independent import Independent
from morch.distributions.kl import kl_divergence, register_kl
from morch.distributions.lowrank import LowRankMultivariateNormal
from morch.distributions.matrices import LKJCholesky, Wishart
from morch.distributions.mixture import MixtureSameFamily
from morch.distributions.more import Binomial, Cauchy, Geometric, Gumbel, HalfNormal, Multinomial
from morch.distributions.relaxed import (
    ExpRelaxedCategorical,
    LogitRelaxedBernoulli,
    OneHotCategoricalStraightThrough,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
)
from morch.distributions.transforms import (
    AbsTransform,
    AffineTransform,
    CatTransform,
    ComposeTransform,
    CorrCholeskyTransform,
    CumulativeDistributionTransform,
    ExpTransform,
    IndependentTransform,
    LogNormal,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    PowerTransform,
    ReshapeTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StackTransform,
    StickBreakingTransform,
    TanhTransform,
    Transform,
    TransformedDistribution,
    identity_transform,
)
from morch.distributions.von_mises import VonMises

# PyTorch's one-module-per-class names, as aliases of the modules above: module name -> class names.
_SUBMODULES = {
    "bernoulli": ["Bernoulli"], "beta": ["Beta"], "binomial": ["Binomial"], "categorical": ["Categorical"],
    "cauchy": ["Cauchy"], "chi2": ["Chi2"], "continuous_bernoulli": ["ContinuousBernoulli"],
    "dirichlet": ["Dirichlet"], "exponential": ["Exponential"], "fishersnedecor": ["FisherSnedecor"],
    "gamma": ["Gamma"], "generalized_pareto": ["GeneralizedPareto"], "geometric": ["Geometric"],
    "gumbel": ["Gumbel"], "half_cauchy": ["HalfCauchy"], "half_normal": ["HalfNormal"],
    "inverse_gamma": ["InverseGamma"], "kumaraswamy": ["Kumaraswamy"], "laplace": ["Laplace"],
    "lkj_cholesky": ["LKJCholesky"],
    "log_normal": ["LogNormal"], "logistic_normal": ["LogisticNormal"],
    "lowrank_multivariate_normal": ["LowRankMultivariateNormal"], "mixture_same_family": ["MixtureSameFamily"],
    "multinomial": ["Multinomial"], "multivariate_normal": ["MultivariateNormal"],
    "negative_binomial": ["NegativeBinomial"], "normal": ["Normal"], "pareto": ["Pareto"], "poisson": ["Poisson"],
    "one_hot_categorical": ["OneHotCategorical", "OneHotCategoricalStraightThrough"],
    "relaxed_bernoulli": ["RelaxedBernoulli", "LogitRelaxedBernoulli"],
    "relaxed_categorical": ["RelaxedOneHotCategorical", "ExpRelaxedCategorical"], "studentT": ["StudentT"],
    "transformed_distribution": ["TransformedDistribution"], "uniform": ["Uniform"], "von_mises": ["VonMises"],
    "weibull": ["Weibull"], "wishart": ["Wishart"],
}  # fmt: skip


def _make_submodules() -> None:
    for name, classes in _SUBMODULES.items():
        full = f"{__name__}.{name}"
        module = _types.ModuleType(full, f"Alias of PyTorch's ``torch.distributions.{name}``: {', '.join(classes)}.")
        for cls in classes:
            setattr(module, cls, globals()[cls])
        module.__all__ = list(classes)
        _sys.modules[full] = module
        globals()[name] = module


_make_submodules()

__all__ = [
    "constraints", "transforms", "utils", "biject_to", "transform_to", "Distribution", "ExponentialFamily",
    "Normal", "Uniform", "Exponential", "Laplace", "MultivariateNormal", "LowRankMultivariateNormal",
    "Bernoulli", "Categorical", "OneHotCategorical", "OneHotCategoricalStraightThrough", "Independent",
    "Gamma", "Chi2", "Beta", "Dirichlet", "Poisson", "StudentT", "Binomial", "Geometric", "Multinomial",
    "NegativeBinomial", "Cauchy", "HalfNormal", "HalfCauchy", "Gumbel", "Pareto", "Weibull", "InverseGamma",
    "FisherSnedecor", "Kumaraswamy", "ContinuousBernoulli", "GeneralizedPareto", "LogisticNormal", "VonMises",
    "MixtureSameFamily", "RelaxedBernoulli", "LogitRelaxedBernoulli", "RelaxedOneHotCategorical",
    "ExpRelaxedCategorical", "TransformedDistribution", "LogNormal", "Transform", "AbsTransform",
    "AffineTransform", "CatTransform", "ComposeTransform", "CorrCholeskyTransform",
    "CumulativeDistributionTransform", "ExpTransform", "IndependentTransform", "LowerCholeskyTransform",
    "PositiveDefiniteTransform", "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftplusTransform",
    "SoftmaxTransform", "StackTransform", "StickBreakingTransform", "TanhTransform", "identity_transform",
    "kl_divergence", "register_kl", "Wishart", "LKJCholesky",
]  # fmt: skip
