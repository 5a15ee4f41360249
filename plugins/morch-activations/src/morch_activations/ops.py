"""The op classes. ``forward`` computes on numpy arrays; ``backward`` uses morch ops, so every
op here can be differentiated twice (``create_graph=True``, ``gradgradcheck``)."""

from __future__ import annotations

import morch
import numpy as np
from morch.autograd import Function


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # tanh form: no overflow for large |z|
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class Softplus(Function):
    """softplus(input, *, beta=1.0, threshold=20.0): log(1 + exp(beta * input)) / beta.

    Where ``beta * input > threshold`` the result is ``input`` itself, for numerical
    stability, as in ``torch.nn.functional.softplus``. Unlike torch, beta and threshold are
    keyword-only.

    Args:
        input: the tensor.
        beta: the sharpness; larger values approach relu.
        threshold: above this value of ``beta * input`` the function is linear.
    """

    def forward(self, input, *, beta=1.0, threshold=20.0):  # noqa: A002 - torch's argument name
        self.beta, self.threshold = beta, threshold
        z = input * beta
        return np.where(z > threshold, input, np.logaddexp(0, z) / beta)

    def backward(self, grad):
        (x,) = self.inputs
        z = x * self.beta
        # d/dx = sigmoid(beta * x), and 1 on the linear part
        return grad * morch.where(z > self.threshold, 1.0, z.sigmoid())


class Mish(Function):
    """mish(input): input * tanh(softplus(input)), as ``torch.nn.functional.mish``.

    Args:
        input: the tensor.
    """

    def forward(self, input):  # noqa: A002
        return input * np.tanh(np.logaddexp(0, input))

    def backward(self, grad):
        (x,) = self.inputs
        t = Softplus.apply(x, threshold=float("inf")).tanh()
        return grad * (t + x * (1 - t * t) * x.sigmoid())


class Swish(Function):
    """swish(input, *, beta=1.0): input * sigmoid(beta * input).

    With beta=1 this is ``torch.nn.functional.silu``; beta is a fixed parameter here, not a
    learned one.

    Args:
        input: the tensor.
        beta: the slope of the sigmoid gate.
    """

    def forward(self, input, *, beta=1.0):  # noqa: A002
        self.beta = beta
        return input * _sigmoid(beta * input)

    def backward(self, grad):
        (x,) = self.inputs
        s = (x * self.beta).sigmoid()
        return grad * (s + self.beta * x * s * (1 - s))
