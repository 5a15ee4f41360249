"""Linear, Bilinear, Identity, Flatten and Unflatten."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import gradcheck, gradgradcheck

from .common import copy_from_torch, randn, same_outputs_and_grads


def test_linear_forward_matches_numpy_on_any_leading_dims():
    lin = nn.Linear(4, 3)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    for shape in [(4,), (5, 4), (2, 5, 4)]:
        x = randn(*shape)
        assert_close(lin(x), x.numpy() @ w.T + b, atol=1e-6)
    assert lin(randn(5, 4)).dtype == morch.float32


def test_linear_gradients_against_finite_differences():
    lin = nn.Linear(3, 2).double()
    x = rand64(4, 3)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), (x, lin.weight, lin.bias))
    assert gradgradcheck(lambda x, w, b: F.linear(x, w, b), (x, lin.weight, lin.bias))
    nb = nn.Linear(3, 2, bias=False).double()
    assert nb.bias is None and gradcheck(nb, (rand64(2, 5, 3),))


def test_linear_init_bounds_follow_pytorch():
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.95 * bound  # uniform over the whole interval
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert lin.weight.dtype == morch.float32
    assert nn.Linear(2, 2, dtype=morch.float64).weight.dtype == morch.float64


@requires_torch
def test_linear_matches_pytorch_with_copied_weights():
    tl = torch.nn.Linear(6, 4)
    ml = nn.Linear(6, 4)
    copy_from_torch(ml, tl)
    same_outputs_and_grads(ml, tl, [randn(3, 2, 6, requires_grad=True)])


def test_linear_names_the_layer_and_shapes_on_bad_input():
    lin = nn.Linear(784, 128)
    with pytest.raises(ValueError) as e:
        lin(morch.zeros(64, 100))
    assert str(e.value) == (
        "Linear(in_features=784, out_features=128, bias=True): expected input with last dimension 784, "
        "got shape (64, 100)"
    )
    with pytest.raises(RuntimeError, match="expected input with last dimension 784"):  # PyTorch raises RuntimeError
        lin(morch.zeros(()))
    with pytest.raises(TypeError, match=r"expected input of dtype morch.float32 .* got morch.float64"):
        lin(morch.zeros(2, 784, dtype=morch.float64))
    with pytest.raises(TypeError, match="got morch.int64"):
        lin(morch.zeros(2, 784, dtype=morch.int64))
    with pytest.raises(TypeError, match="expected a morch Tensor as input, got ndarray"):
        lin(np.zeros((2, 784)))


def test_bilinear_forward_and_gradients():
    bl = nn.Bilinear(3, 2, 4).double()
    x1, x2 = rand64(5, 3), rand64(5, 2)
    expected = np.einsum("ni,kij,nj->nk", x1.detach().numpy(), bl.weight.detach().numpy(), x2.detach().numpy())
    assert_close(bl(x1, x2), expected + bl.bias.detach().numpy())
    assert gradcheck(lambda a, b, w: F.bilinear(a, b, w), (x1, x2, bl.weight))
    with pytest.raises(ValueError, match="bilinear"):
        bl(rand64(5, 2), x2)


@requires_torch
def test_bilinear_matches_pytorch():
    tb = torch.nn.Bilinear(3, 2, 4)
    mb = nn.Bilinear(3, 2, 4)
    copy_from_torch(mb, tb)
    same_outputs_and_grads(mb, tb, [randn(5, 3, requires_grad=True), randn(5, 2, requires_grad=True, seed=1)])


def test_identity_flatten_unflatten():
    x = randn(2, 3, 4, 5)
    assert nn.Identity(3, anything=True)(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (3, 1))(randn(2, 3)).shape == (2, 3, 1)
    assert nn.Unflatten(-1, (1, -1))(randn(2, 6)).shape == (2, 1, 6)
    with pytest.raises(TypeError, match="tuple of ints"):
        nn.Unflatten(1, 3)
    y = nn.Flatten()(randn(2, 3, 4, requires_grad=True))
    y.sum().backward()
