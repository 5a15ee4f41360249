"""The Distribution base class: shapes, argument validation and the sample/rsample split."""

from __future__ import annotations

import numpy as np

from morch import creation, dtypes
from morch.autograd import grad_mode
from morch.tensor import Size, Tensor

_default_validate = [True]


class Distribution:
    """Base of the distributions: ``batch_shape`` (independent distributions side by side) and
    ``event_shape`` (the shape of one draw), as ``torch.distributions.Distribution``.

    Subclasses set ``arg_constraints`` and ``support`` and implement ``log_prob`` and ``rsample``
    (reparameterised, differentiable in the parameters) or ``sample``.

    Args:
        batch_shape: the batch shape.
        event_shape: the event shape.
        validate_args: check parameters (and values given to log_prob) against their constraints
            (default: ``Distribution.set_default_validate_args``, True as in PyTorch).
    """

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict = {}
    support = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        if value not in (True, False):
            raise ValueError("set_default_validate_args expects a bool")
        _default_validate[0] = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args: bool | None = None) -> None:
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        self._validate_args = _default_validate[0] if validate_args is None else validate_args
        if self._validate_args:
            for name, constraint in self.arg_constraints.items():
                if name not in self.__dict__:
                    continue  # the parameter was given in another form (probs vs logits, ...)
                value = self.__dict__[name]
                if not np.all(constraint.check(value.detach().numpy())):
                    raise ValueError(
                        f"Expected parameter {name} ({type(value).__name__} of shape {tuple(value.shape)}) of "
                        f"distribution {self!r} to satisfy the constraint {constraint}, but found invalid values:\n"
                        f"{value}"
                    )

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> tuple:
        return tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no rsample (reparameterised sampling)")

    def sample(self, sample_shape=()) -> Tensor:
        """A draw without gradient (``rsample`` under ``no_grad`` for reparameterisable distributions)."""
        with grad_mode.no_grad():
            return self.rsample(sample_shape)

    def sample_n(self, n: int) -> Tensor:
        return self.sample((n,))

    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def cdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no cdf in morch")

    def icdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no icdf in morch")

    def entropy(self) -> Tensor:
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no enumerable support")

    def expand(self, batch_shape, _instance=None):
        """The same distribution repeated over a larger batch shape (parameters are expanded views).

        Args:
            batch_shape: the new batch shape (the current one must broadcast to it).
        """
        batch = tuple(batch_shape)
        event = tuple(self._event_shape)
        names = [k for k in self.arg_constraints if k in self.__dict__ and isinstance(self.__dict__[k], Tensor)]
        if not names or any(n in ("covariance_matrix", "precision_matrix", "scale_tril") for n in names):
            raise NotImplementedError(f"{type(self).__name__}.expand is not implemented in morch")
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        for k in names:
            p = self.__dict__[k]
            tail = tuple(p.shape[len(self._batch_shape) :]) if p.ndim > len(self._batch_shape) else ()
            new.__dict__[k] = p.expand(*batch, *tail)
        new._batch_shape = Size(batch)
        new._event_shape = Size(event)
        return new

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def _validate_sample(self, value: Tensor) -> None:
        if not self._validate_args or self.support is None:
            return
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        shape = tuple(value.shape)
        expected = tuple(self._batch_shape) + tuple(self._event_shape)
        try:
            np.broadcast_shapes(shape, expected)
        except ValueError:
            raise ValueError(
                f"Value shape {shape} is not broadcastable with batch_shape+event_shape: {expected}"
            ) from None
        ok = self.support.check(value.detach().numpy())
        if not np.all(ok):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape {shape}) to be within the support "
                f"({self.support}) of the distribution {self!r}, but found invalid values:\n{value}"
            )

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(
            f"{k}: {self.__dict__[k] if self.__dict__[k].numel() == 1 else self.__dict__[k].size()}" for k in names
        )
        return f"{type(self).__name__}({args})"


class _LocCentred(Distribution):
    """A distribution whose mean and mode are its ``loc`` parameter."""

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc


def _as_params(*values):
    """Parameters as float tensors of one dtype, broadcast together (numbers take the default dtype)."""
    ts = [v if isinstance(v, Tensor) else creation.tensor(v, dtype=dtypes.get_default_dtype()) for v in values]
    nd = np.result_type(*[t._data.dtype for t in ts])
    if nd.kind != "f":
        nd = dtypes.default_float()
    ts = [t if t._data.dtype == nd else t.to(dtypes.from_numpy(nd)) for t in ts]
    shape = np.broadcast_shapes(*[tuple(t.shape) for t in ts])
    return [t if tuple(t.shape) == shape else t.expand(*shape) for t in ts]


def _noise(fn, shape, like: Tensor) -> Tensor:
    """``fn(*shape)`` (morch.rand or randn: the global generator) in ``like``'s dtype, also for shape ()."""
    return fn(*shape, dtype=like.dtype) if shape else fn(1, dtype=like.dtype).reshape(())
