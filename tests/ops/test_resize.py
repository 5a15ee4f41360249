"""The resampling ops behind F.interpolate (morch/ops/resize.py): taps, Resample and its adjoint."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import rand64
from morch.autograd import gradcheck, gradgradcheck
from morch.ops import registry
from morch.ops import resize as R

TAPS = {
    "nearest": lambda n, o: R.nearest_taps(n, o),
    "nearest_exact": lambda n, o: R.nearest_taps(n, o, exact=True),
    "linear": lambda n, o: R.linear_taps(n, o, None, False, np.float64),
    "linear_corners": lambda n, o: R.linear_taps(n, o, None, True, np.float64),
    "cubic": lambda n, o: R.cubic_taps(n, o, None, False, np.float64),
    "area": lambda n, o: R.area_taps(n, o, np.float64),
}


def _matrix(taps, out: int) -> np.ndarray:
    """The dense (out, in) matrix the taps stand for."""
    size, idx, w = taps
    m = np.zeros((out, size))
    np.add.at(m, (np.arange(out)[:, None], idx), 1.0 if w is None else w)
    return m


def test_ops_are_registered():
    assert registry.get("resample") is R.Resample
    assert registry.get("resample_adjoint") is R.ResampleAdjoint


@pytest.mark.parametrize("kind", TAPS)
@pytest.mark.parametrize("n,o", [(5, 9), (7, 3), (4, 4), (1, 3), (6, 1)])
def test_taps_never_decrease_and_rows_sum_to_one(kind, n, o):
    taps = TAPS[kind](n, o)
    if taps is None:  # an identity axis
        assert n == o
        return
    size, idx, w = taps
    assert size == n and idx.shape[0] == o and idx.min() >= 0 and idx.max() < n
    assert (np.diff(idx, axis=0) >= 0).all()  # the adjoint's reduceat relies on it
    np.testing.assert_allclose(_matrix(taps, o).sum(1), 1.0, rtol=1e-12)


def test_linear_and_cubic_weights_by_hand():
    # 2 -> 4, half-pixel centres: sources -0.25 (clamped to 0), 0.25, 0.75, 1.25
    np.testing.assert_allclose(_matrix(R.linear_taps(2, 4, None, False, np.float64), 4),
                               [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]])  # fmt: skip
    # align_corners: 3 -> 5 puts outputs at 0, 0.5, 1, 1.5, 2
    np.testing.assert_allclose(
        _matrix(R.linear_taps(3, 5, None, True, np.float64), 5),
        [[1, 0, 0], [0.5, 0.5, 0], [0, 1, 0], [0, 0.5, 0.5], [0, 0, 1]],
    )
    # Keys' kernel at t = 0.5 with A = -0.75: (-0.09375, 0.59375, 0.59375, -0.09375)
    _, idx, w = R.cubic_taps(4, 3, None, True, np.float64)  # sources 0, 1.5, 3
    np.testing.assert_allclose(w[1], [-0.09375, 0.59375, 0.59375, -0.09375])
    assert idx[1].tolist() == [0, 1, 2, 3] and idx[0].tolist() == [0, 0, 1, 2]  # clamped at the border


def test_area_taps_average_pytorch_windows():
    # 5 -> 3: windows [0, 2), [1, 4), [3, 5)
    np.testing.assert_allclose(
        _matrix(R.area_taps(5, 3, np.float64), 3),
        [[0.5, 0.5, 0, 0, 0], [0, 1 / 3, 1 / 3, 1 / 3, 0], [0, 0, 0, 0.5, 0.5]],
    )


def test_resample_is_the_separable_matrix_product():
    x = rand64(2, 3, 4, 5, requires_grad=False, seed=1)
    th, tw = TAPS["cubic"](4, 7), TAPS["area"](5, 3)
    out = R.Resample.apply(x, taps=(th, tw))
    expected = np.einsum("ih,nchw,jw->ncij", _matrix(th, 7), x.numpy(), _matrix(tw, 3))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("kind", TAPS)
def test_adjoint_is_the_transpose(kind):
    th, tw = TAPS[kind](3, 5), TAPS[kind](6, 4)
    x = rand64(2, 3, 6, requires_grad=False, seed=2)
    y = rand64(2, 5, 4, requires_grad=False, seed=3)
    ax = R.Resample.apply(x, taps=(th, tw))
    aty = R.ResampleAdjoint.apply(y, taps=(th, tw))
    assert aty.shape == x.shape
    np.testing.assert_allclose((ax * y).sum().item(), (x * aty).sum().item(), rtol=1e-12)


@pytest.mark.parametrize("kind", ["nearest", "linear", "cubic", "area"])
def test_gradients_of_every_order(kind):
    taps = (TAPS[kind](3, 5), TAPS[kind](4, 3))
    x = rand64(1, 2, 3, 4, seed=4)
    assert gradcheck(lambda t: R.Resample.apply(t, taps=taps), (x,))
    assert gradgradcheck(lambda t: R.Resample.apply(t, taps=taps), (x,))
    g = rand64(1, 2, 5, 3, seed=5)
    assert gradcheck(lambda t: R.ResampleAdjoint.apply(t, taps=taps), (g,))


def test_nearest_keeps_integer_dtypes_and_identity_copies():
    x = morch.arange(6).reshape(2, 3)
    out = R.Resample.apply(x, taps=(R.nearest_taps(3, 6),))
    assert out.dtype == morch.int64 and out.numpy().tolist() == [[0, 0, 1, 1, 2, 2], [3, 3, 4, 4, 5, 5]]
    same = R.Resample.apply(x, taps=(None,))
    assert same.numpy().tolist() == x.numpy().tolist() and not np.shares_memory(same.numpy(), x.numpy())


def test_wrong_sizes_are_named():
    x = rand64(2, 4, requires_grad=False)
    with pytest.raises(ValueError, match=r"resample: dimension 1 of the input \(shape \(2, 4\)\) has size 4, but"):
        R.Resample.apply(x, taps=(R.nearest_taps(3, 6),))
    with pytest.raises(ValueError, match=r"resample: expected at least 3 dimensions, got input of shape \(2, 4\)"):
        R.Resample.apply(x, taps=(None, None, None))
    with pytest.raises(ValueError, match=r"resample_adjoint: .* has size 4, but the resampling taps expect 6"):
        R.ResampleAdjoint.apply(x, taps=(R.nearest_taps(3, 6),))
