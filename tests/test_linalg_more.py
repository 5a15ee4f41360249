"""Triangular solves, LU, matrix_exp, the *_ex forms, Householder products, tensorinv/tensorsolve, vander,
and the top-level PyTorch names (svd, qr, lu, lu_unpack, cholesky_solve ...): numpy, PyTorch, gradients."""

from __future__ import annotations

import numpy as np
import pytest
from test_linalg import rnd, spd, well

import morch
from helpers import requires_torch, torch
from morch.autograd import gradcheck, gradgradcheck

LA = morch.linalg
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning")  # PyTorch warns on its old names


def t64(a, grad: bool = False):
    return morch.tensor(np.asarray(a, dtype=np.float64), dtype=morch.float64, requires_grad=grad)


def tt(a, grad: bool = False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def check(fn, *arrays, gradgrad: bool = True) -> None:
    xs = tuple(t64(a, grad=True) for a in arrays)
    assert gradcheck(fn, xs)
    if gradgrad:
        assert gradgradcheck(fn, xs)


# ------------------------------------------------------------------ solve_triangular
@requires_torch
@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unit", [True, False])
def test_solve_triangular_matches_torch(upper, left, unit):
    a, b = well(2, 4, 4), rnd(3, 1, 4, 2, seed=1)  # broadcast batch
    b = b if left else np.swapaxes(b, -1, -2)
    got = LA.solve_triangular(t64(a), t64(b), upper=upper, left=left, unitriangular=unit)
    want = torch.linalg.solve_triangular(tt(a), tt(b), upper=upper, left=left, unitriangular=unit)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)


def test_solve_triangular_gradients_and_errors():
    check(lambda a, b: LA.solve_triangular(a, b, upper=True), well(2, 3, 3), rnd(2, 3, 2, seed=1))
    check(lambda a, b: LA.solve_triangular(a, b, upper=False, left=False, unitriangular=True), well(3, 3), rnd(2, 3))
    with pytest.raises(ValueError, match="square"):
        LA.solve_triangular(t64(rnd(3, 2)), t64(rnd(3, 2)), upper=True)
    with pytest.raises(ValueError, match="Incompatible shapes"):
        LA.solve_triangular(t64(well(3, 3)), t64(rnd(4, 2)), upper=True)
    with pytest.raises(TypeError):
        LA.solve_triangular(t64(well(3, 3)), t64(rnd(3, 2)))  # upper is required, as in PyTorch


# ------------------------------------------------------------------ LU
@requires_torch
@pytest.mark.parametrize("shape", [(2, 4, 4), (3, 5), (5, 3)])
def test_lu_factor_and_lu_match_torch(shape):
    a = rnd(*shape)
    lu_, piv = LA.lu_factor(t64(a))
    tlu, tpiv = torch.linalg.lu_factor(tt(a))
    np.testing.assert_allclose(lu_.numpy(), tlu.numpy(), atol=1e-12)
    assert piv.dtype == morch.int32 and np.array_equal(piv.numpy(), tpiv.numpy())
    p, lo, up = LA.lu(t64(a))
    tp, tl, tu = torch.linalg.lu(tt(a))
    for m, t in ((p, tp), (lo, tl), (up, tu)):
        np.testing.assert_allclose(m.numpy(), t.numpy(), atol=1e-12)
    np.testing.assert_allclose((p @ lo @ up).numpy(), a, atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
def test_lu_gradients(shape):
    check(lambda a: LA.lu_factor(a).LU, rnd(*shape))
    check(lambda a: sum(LA.lu(a)[1:]).sum() if shape[0] == shape[1] else LA.lu(a).U, rnd(*shape), gradgrad=False)


@requires_torch
def test_lu_gradient_matches_torch():
    a, seed = rnd(4, 3), rnd(4, 3, seed=2)
    m = t64(a, grad=True)
    (LA.lu_factor(m).LU * t64(seed)).sum().backward()
    t = tt(a, grad=True)
    (torch.linalg.lu_factor(t).LU * tt(seed)).sum().backward()
    np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_lu_factor_ex_info_and_errors():
    singular = t64([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]]])
    lu_, piv, info = LA.lu_factor_ex(singular)
    assert info.tolist() == [2, 0] and info.dtype == morch.int32
    with pytest.raises(morch.linalg.LinAlgError, match=r"\(Batch element 0\): U\[2,2\] is zero"):
        LA.lu_factor(singular)
    with pytest.raises(morch.linalg.LinAlgError):
        LA.lu_factor_ex(singular, check_errors=True)
    with pytest.raises(RuntimeError, match="LU without pivoting is not implemented"):
        LA.lu_factor(t64(well(2, 2)), pivot=False)


@requires_torch
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [True, False])
def test_lu_solve_matches_torch_and_differentiates(left, adjoint):
    a, b = well(2, 4, 4), rnd(2, 4, 3, seed=1)
    b = b if left else np.swapaxes(b, -1, -2)
    lu_, piv = LA.lu_factor(t64(a))
    got = LA.lu_solve(lu_, piv, t64(b), left=left, adjoint=adjoint)
    want = torch.linalg.lu_solve(*torch.linalg.lu_factor(tt(a)), tt(b), left=left, adjoint=adjoint)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)
    check(lambda a, b: LA.lu_solve(*LA.lu_factor(a), b, left=left, adjoint=adjoint), a[0], b[0], gradgrad=False)
    # the solution solves the system
    a_used = np.swapaxes(a, -1, -2) if adjoint else a
    residual = a_used @ got.numpy() - b if left else got.numpy() @ a_used - b
    assert np.abs(residual).max() < 1e-12


@requires_torch
def test_top_level_lu_lu_unpack_lu_solve():
    a, b = well(2, 3, 3), rnd(2, 3, 2, seed=1)
    lu_, piv = morch.lu(t64(a))
    lu3 = morch.lu(t64(a), get_infos=True)
    assert len(lu3) == 3 and lu3[2].tolist() == [0, 0]
    p, lo, up = morch.lu_unpack(lu_, piv)
    tp, tl, tu = torch.lu_unpack(*torch.linalg.lu_factor(tt(a)))
    np.testing.assert_allclose(p.numpy(), tp.numpy())
    np.testing.assert_allclose(lo.numpy(), tl.numpy(), atol=1e-12)
    np.testing.assert_allclose(up.numpy(), tu.numpy(), atol=1e-12)
    assert morch.lu_unpack(lu_, piv, unpack_pivots=False).P.numel() == 0
    np.testing.assert_allclose(morch.lu_solve(t64(b), lu_, piv).numpy(), np.linalg.solve(a, b), atol=1e-12)
    np.testing.assert_allclose(t64(b).lu_solve(lu_, piv).numpy(), np.linalg.solve(a, b), atol=1e-12)
    with pytest.raises(TypeError, match="int32"):
        morch.lu_unpack(lu_, piv.long())


# ------------------------------------------------------------------ matrix_exp
@requires_torch
def test_matrix_exp_matches_torch_and_closed_form():
    for scale in (0.01, 1.0, 20.0):
        a = scale * rnd(2, 4, 4)
        got = LA.matrix_exp(t64(a)).numpy()
        want = torch.linalg.matrix_exp(tt(a)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12 * np.abs(want).max())
    # a rotation generator: exp([[0, -t], [t, 0]]) = [[cos t, -sin t], [sin t, cos t]]
    r = morch.matrix_exp(t64([[0.0, -0.7], [0.7, 0.0]])).numpy()
    np.testing.assert_allclose(r, [[np.cos(0.7), -np.sin(0.7)], [np.sin(0.7), np.cos(0.7)]], atol=1e-15)
    np.testing.assert_allclose(t64(np.zeros((3, 3))).matrix_exp().numpy(), np.eye(3))


def test_matrix_exp_gradients():
    check(LA.matrix_exp, rnd(2, 3, 3))
    with pytest.raises(ValueError, match="square"):
        LA.matrix_exp(t64(rnd(2, 3)))


# ------------------------------------------------------------------ cholesky_ex, solve_ex
def test_cholesky_ex_and_solve_ex():
    good, bad = spd(3, 3), np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    lo, info = LA.cholesky_ex(t64(np.stack([good, bad])))
    assert info.tolist() == [0, 2] and info.dtype == morch.int32
    np.testing.assert_allclose(lo.numpy()[0], np.linalg.cholesky(good))
    assert np.isnan(lo.numpy()[1]).all()
    up, _ = LA.cholesky_ex(t64(good), upper=True)
    np.testing.assert_allclose(up.numpy(), np.linalg.cholesky(good).T)
    with pytest.raises(morch.linalg.LinAlgError, match="not positive-definite"):
        LA.cholesky_ex(t64(bad), check_errors=True)
    x, info = LA.solve_ex(t64(np.stack([good, [[1, 2, 3], [2, 4, 6], [0, 0, 1.0]]])), t64(rnd(2, 3, 1)))
    assert info.tolist() == [0, 2]
    np.testing.assert_allclose(good @ x.numpy()[0], rnd(2, 3, 1)[0], atol=1e-12)
    assert np.isnan(x.numpy()[1]).all()


# ------------------------------------------------------------------ Householder, geqrf/orgqr/ormqr
@requires_torch
def test_householder_product_and_geqrf_family_match_torch():
    a, tau = rnd(2, 5, 3), rnd(2, 2, seed=1)
    np.testing.assert_allclose(
        LA.householder_product(t64(a), t64(tau)).numpy(),
        torch.linalg.householder_product(tt(a), tt(tau)).numpy(),
        atol=1e-12,
    )
    ga, gtau = morch.geqrf(t64(a))
    ta, ttau = torch.geqrf(tt(a))
    np.testing.assert_allclose(ga.numpy(), ta.numpy(), atol=1e-12)
    np.testing.assert_allclose(gtau.numpy(), ttau.numpy(), atol=1e-12)
    q = morch.orgqr(ga, gtau)
    np.testing.assert_allclose((q @ ga.triu()[..., :3, :]).numpy(), a, atol=1e-12)  # Q R = A
    for left in (True, False):
        for transpose in (True, False):
            other = rnd(2, 5, 4, seed=2) if left else rnd(2, 4, 5, seed=2)
            got = morch.ormqr(ga, gtau, t64(other), left, transpose)
            want = torch.ormqr(ta, ttau, tt(other), left, transpose)
            np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-12)
    check(LA.householder_product, a[0], tau[0])


# ------------------------------------------------------------------ tensorinv, tensorsolve, vander
@requires_torch
def test_tensorinv_tensorsolve_vander_match_torch():
    a = rnd(4, 6, 8, 3)
    np.testing.assert_allclose(
        LA.tensorinv(t64(a)).numpy(), torch.linalg.tensorinv(tt(a)).numpy(), rtol=1e-10, atol=1e-10
    )
    a, b = rnd(2, 3, 6), rnd(2, 3, seed=1)
    np.testing.assert_allclose(LA.tensorsolve(t64(a), t64(b)).numpy(), torch.linalg.tensorsolve(tt(a), tt(b)).numpy())
    a = rnd(6, 2, 3)
    got = LA.tensorsolve(t64(a), t64(b), dims=(0,))
    np.testing.assert_allclose(got.numpy(), torch.linalg.tensorsolve(tt(a), tt(b), dims=(0,)).numpy(), atol=1e-12)
    x = rnd(2, 3)
    np.testing.assert_allclose(LA.vander(t64(x), N=4).numpy(), torch.linalg.vander(tt(x), N=4).numpy())
    ints = LA.vander(morch.tensor([1, 2, 3]))
    assert ints.dtype == morch.int64 and ints.tolist() == [[1, 1, 1], [1, 2, 4], [1, 3, 9]]
    check(lambda x: LA.vander(x, N=4), x)
    check(LA.tensorinv, well(4, 4).reshape(2, 2, 4))
    with pytest.raises(ValueError, match="N must be greater than 1"):
        LA.vander(t64(x), N=1)
    with pytest.raises(ValueError, match="prod"):
        LA.tensorinv(t64(rnd(2, 3, 4)), ind=1)


# ------------------------------------------------------------------ top level: svd, qr, triangular, cholesky_*
@requires_torch
def test_top_level_svd_and_qr():
    a = rnd(2, 4, 3)
    u, s, v = morch.svd(t64(a))
    assert u.shape == (2, 4, 3) and v.shape == (2, 3, 3)
    np.testing.assert_allclose(((u * s.unsqueeze(-2)) @ v.mT).numpy(), a, atol=1e-12)
    np.testing.assert_allclose(s.numpy(), torch.svd(tt(a)).S.numpy())
    u, s, v = t64(a).svd(some=False)
    assert u.shape == (2, 4, 4) and v.shape == (2, 3, 3)
    u, s, v = morch.svd(t64(a), compute_uv=False)
    assert u.shape == (2, 4, 4) and not u.numpy().any() and not v.numpy().any()
    q, r = morch.qr(t64(a))
    np.testing.assert_allclose(np.abs(q.numpy()), np.abs(torch.qr(tt(a)).Q.numpy()), atol=1e-12)
    q, r = t64(a).qr(some=False)
    assert q.shape == (2, 4, 4) and r.shape == (2, 4, 3)
    np.testing.assert_allclose((q @ r).numpy(), a, atol=1e-12)
    assert LA.qr(t64(a), mode="r").Q.numel() == 0
    with pytest.raises(ValueError, match="unrecognized mode"):
        LA.qr(t64(a), mode="full")
    with pytest.raises(RuntimeError, match="mode='complete' and nrows > ncols"):
        LA.qr(t64(a, grad=True), mode="complete").Q.sum().backward()
    check(lambda a: morch.svd(a)[1], a[0])


@requires_torch
def test_triangular_solve_cholesky_solve_and_inverse():
    a, b = well(2, 3, 3), rnd(2, 3, 2, seed=1)
    for upper in (True, False):
        for transpose in (True, False):
            x, coef = morch.triangular_solve(t64(b), t64(a), upper, transpose)
            tx, tcoef = torch.triangular_solve(tt(b), tt(a), upper, transpose)
            np.testing.assert_allclose(x.numpy(), tx.numpy(), atol=1e-12)
            np.testing.assert_allclose(coef.numpy(), tcoef.numpy())
    lo = np.linalg.cholesky(spd(2, 3, 3))
    for upper in (True, False):
        f = np.swapaxes(lo, -1, -2) if upper else lo
        got = morch.cholesky_solve(t64(b), t64(f), upper)
        np.testing.assert_allclose(got.numpy(), torch.cholesky_solve(tt(b), tt(f), upper).numpy(), atol=1e-12)
        inv = t64(f).cholesky_inverse(upper)
        np.testing.assert_allclose(inv.numpy(), np.linalg.inv(spd(2, 3, 3)), atol=1e-12)
    check(lambda b, f: morch.cholesky_solve(b, f.tril() + 3 * morch.eye(3, dtype=morch.float64)), b[0], rnd(3, 3))
    check(morch.cholesky_inverse, lo[0] + np.triu(rnd(3, 3), 1))


@requires_torch
def test_norms_and_removed_matrix_rank():
    a = rnd(2, 3, 4)
    np.testing.assert_allclose(morch.nuclear_norm(t64(a)).numpy(), torch.nuclear_norm(tt(a), (1, 2)).numpy())
    np.testing.assert_allclose(
        morch.nuclear_norm(t64(a), (0, 2), True).numpy(), torch.nuclear_norm(tt(a), (0, 2), True).numpy()
    )
    np.testing.assert_allclose(morch.frobenius_norm(t64(a), (1, 2)).numpy(), np.sqrt((a**2).sum(axis=(1, 2))))
    with pytest.raises(RuntimeError, match="linalg.matrix_rank"):
        morch.matrix_rank(t64(a[0]))


# ------------------------------------------------------------------ randomised low-rank SVD / PCA
def test_svd_lowrank_and_pca_lowrank_recover_subspaces():
    morch.manual_seed(0)
    left, right = rnd(30, 3), rnd(3, 12, seed=1)
    a = left @ right  # exactly rank 3
    u, s, v = morch.svd_lowrank(t64(a), q=5, niter=2)
    np.testing.assert_allclose(s.numpy()[:3], np.linalg.svd(a, compute_uv=False)[:3], rtol=1e-10)
    np.testing.assert_allclose(((u * s.unsqueeze(-2)) @ v.mT).numpy(), a, atol=1e-10)
    u, s, v = morch.svd_lowrank(t64(a.T), q=4)  # wide input
    assert u.shape == (12, 4) and v.shape == (30, 4)
    np.testing.assert_allclose(s.numpy()[:3], np.linalg.svd(a, compute_uv=False)[:3], rtol=1e-10)
    x = rnd(40, 5, seed=3) @ np.diag([5.0, 3.0, 1.0, 0.1, 0.01])
    u, s, v = morch.pca_lowrank(t64(x), q=3)
    centred = x - x.mean(axis=0)
    _, s_ref, vh_ref = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(s.numpy(), s_ref[:3], rtol=1e-6)
    np.testing.assert_allclose(np.abs(v.numpy().T @ vh_ref[:3].T), np.eye(3), atol=1e-6)  # same axes, any sign
    with pytest.raises(ValueError, match="must be non-negative integer and not greater"):
        morch.pca_lowrank(t64(x), q=9)
