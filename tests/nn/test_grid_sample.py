"""affine_grid and grid_sample: every mode, padding mode and align_corners against torch (values
and the gradients for input, grid and theta), finite differences, and errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch.nn import functional as F

RNG = np.random.default_rng(0)
IMG = RNG.standard_normal((2, 3, 5, 6))
THETA = np.array([[[0.9, 0.2, 0.1], [-0.1, 1.1, 0.05]], [[1.2, 0.0, -0.3], [0.1, 0.8, 0.2]]])
GRID = RNG.uniform(-1.3, 1.3, (2, 4, 7, 2))


def _run(lib, mode, padding, corners):
    fl = lib.nn.functional
    img = lib.tensor(IMG, requires_grad=True)
    theta = lib.tensor(THETA, requires_grad=True)
    grid = lib.tensor(GRID, requires_grad=True)
    a = fl.grid_sample(img, fl.affine_grid(theta, (2, 3, 4, 7), align_corners=corners), mode=mode,
                       padding_mode=padding, align_corners=corners)  # fmt: skip
    b = fl.grid_sample(img, grid, mode=mode, padding_mode=padding, align_corners=corners)
    ((a * a).sum() + (b * b).sum()).backward()
    grads = [img.grad.numpy(), theta.grad.numpy()] if mode == "bilinear" else [img.grad.numpy()]
    return [a.detach().numpy(), b.detach().numpy(), *grads, grid.grad.numpy() if mode == "bilinear" else None]


@requires_torch
@pytest.mark.parametrize(
    "mode,padding,corners",
    list(itertools.product(["bilinear", "nearest"], ["zeros", "border", "reflection"], [False, True])),
)
def test_matches_torch(mode, padding, corners):
    for a, b in zip(_run(morch, mode, padding, corners), _run(torch, mode, padding, corners)):
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
def test_gradients_by_finite_differences(padding):
    img = morch.tensor(IMG[:1, :2, :4, :4], requires_grad=True)
    grid = morch.tensor(GRID[:1, :2, :3] * 0.9 + 0.011, requires_grad=True)  # away from pixel edges
    assert morch.autograd.gradcheck(
        lambda i, g: F.grid_sample(i, g, padding_mode=padding, align_corners=True), (img, grid)
    )


def test_identity_grid_reproduces_the_image_and_errors():
    img = morch.tensor(IMG)
    eye = morch.tensor(np.tile(np.array([[1.0, 0, 0], [0, 1, 0]]), (2, 1, 1)))
    for corners in (False, True):
        out = F.grid_sample(img, F.affine_grid(eye, (2, 3, 5, 6), align_corners=corners), align_corners=corners)
        np.testing.assert_allclose(out.numpy(), IMG, atol=1e-12)
    with pytest.raises(NotImplementedError, match="mode 'bicubic' is not supported"):
        F.grid_sample(img, morch.zeros(2, 1, 1, 2, dtype=morch.float64), mode="bicubic")
    with pytest.raises(ValueError, match="expected padding_mode to be 'zeros', 'border', or 'reflection'"):
        F.grid_sample(img, morch.zeros(2, 1, 1, 2, dtype=morch.float64), padding_mode="wrap")
    with pytest.raises(ValueError, match="Expected a batch of 2D affine matrices of shape Nx2x3"):
        F.affine_grid(morch.zeros(2, 3, 3), (2, 3, 4, 4))
