"""morch.linalg, the top-level twins (morch.det ...) and morch.cdist: numpy, gradcheck, PyTorch, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
from helpers import requires_torch, to_numpy, torch
from morch.autograd import gradcheck, gradgradcheck

LA = morch.linalg


def rnd(*shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def well(*shape, seed: int = 0) -> np.ndarray:
    """Well-conditioned square matrices: random plus a multiple of the identity."""
    return rnd(*shape, seed=seed) + 3 * np.eye(*shape[-2:])


def spd(*shape, seed: int = 0) -> np.ndarray:
    x = rnd(*shape, seed=seed)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def t64(a, grad: bool = True):
    return morch.tensor(a, dtype=morch.float64, requires_grad=grad)


def sym(x):
    """Symmetrise, so finite differences move both triangles (eigh and cholesky read one)."""
    return (x + x.mT) / 2


def check(fn, *arrays, gradgrad: bool = True) -> None:
    xs = tuple(t64(a) for a in arrays)
    assert gradcheck(fn, xs)
    if gradgrad:
        assert gradgradcheck(fn, xs)


# ------------------------------------------------------------------ forward against numpy
@pytest.mark.parametrize(
    "fn, np_fn, make",
    [
        (LA.inv, np.linalg.inv, well),
        (LA.det, np.linalg.det, well),
        (LA.cholesky, np.linalg.cholesky, spd),
        (LA.eigvalsh, np.linalg.eigvalsh, spd),
        (LA.svdvals, lambda a: np.linalg.svd(a, compute_uv=False), well),
        (LA.pinv, np.linalg.pinv, well),
        (lambda a: LA.matrix_power(a, 3), lambda a: np.linalg.matrix_power(a, 3), well),
        (lambda a: LA.matrix_power(a, -2), lambda a: np.linalg.matrix_power(a, -2), well),
        (lambda a: LA.matrix_power(a, 0), lambda a: np.broadcast_to(np.eye(3), a.shape), well),
        (lambda a: LA.matrix_norm(a, "nuc"), lambda a: np.linalg.norm(a, "nuc", axis=(-2, -1)), well),
        (lambda a: LA.cond(a), lambda a: np.linalg.cond(a), well),
        (lambda a: LA.cond(a, 1), lambda a: np.linalg.cond(a, 1), well),
        (LA.matrix_rank, np.linalg.matrix_rank, well),
    ],
)
def test_forward_matches_numpy_batched(fn, np_fn, make):
    a = make(2, 3, 3)
    np.testing.assert_allclose(to_numpy(fn(t64(a, False))), np_fn(a), rtol=1e-10, atol=1e-12)


def test_decompositions_reconstruct():
    a = rnd(2, 4, 3)
    q, r = LA.qr(t64(a, False))
    np.testing.assert_allclose((q @ r).numpy(), a, atol=1e-12)
    assert q.shape == (2, 4, 3) and r.shape == (2, 3, 3)
    u, s, vh = LA.svd(t64(a, False), full_matrices=False)
    np.testing.assert_allclose(((u * s.unsqueeze(-2)) @ vh).numpy(), a, atol=1e-12)
    u, s, vh = LA.svd(t64(a, False))
    assert u.shape == (2, 4, 4) and vh.shape == (2, 3, 3)
    w, v = LA.eigh(t64(spd(2, 3, 3), False))
    np.testing.assert_allclose((v @ (w.unsqueeze(-1) * v.mT)).numpy(), spd(2, 3, 3), atol=1e-10)
    sign, logabs = LA.slogdet(t64(well(2, 3, 3), False))
    np.testing.assert_allclose((sign * logabs.exp()).numpy(), np.linalg.det(well(2, 3, 3)))
    assert "linalg_slogdet" in repr(LA.slogdet(t64(np.eye(2), False)))


def test_solve_matrix_vector_and_broadcast():
    a, b = well(2, 3, 3), rnd(3, 2)
    x = LA.solve(t64(a, False), t64(b, False))
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(a, b), atol=1e-12)
    v = rnd(2, 3)  # one dimension fewer than A: a batch of vectors
    xv = LA.solve(t64(a, False), t64(v, False))
    assert xv.shape == (2, 3)
    np.testing.assert_allclose(xv.numpy(), np.linalg.solve(a, v[..., None])[..., 0], atol=1e-12)


def test_norms():
    x = rnd(2, 3, 4)
    xt = t64(x, False)
    np.testing.assert_allclose(LA.norm(xt).item(), np.linalg.norm(x.ravel()))
    for ord_ in (1, 2, math.inf, -math.inf, 0, 3.5):
        np.testing.assert_allclose(
            LA.vector_norm(xt, ord_, dim=-1).numpy(), np.linalg.norm(x, ord_, axis=-1), rtol=1e-12
        )
    for ord_ in ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf):
        np.testing.assert_allclose(LA.matrix_norm(xt, ord_).numpy(), np.linalg.norm(x, ord_, axis=(-2, -1)), rtol=1e-12)
        kept = LA.norm(xt, ord_, dim=(0, 2), keepdim=True)
        assert kept.shape == (1, 3, 1)
        np.testing.assert_allclose(kept.numpy(), np.linalg.norm(x, ord_, axis=(0, 2), keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(LA.norm(xt[0], "nuc").item(), np.linalg.norm(x[0], "nuc"))
    np.testing.assert_allclose(LA.norm(xt[0, 0], 1).item(), np.abs(x[0, 0]).sum())


def test_products_and_helpers():
    a, b = rnd(4, 3), rnd(2, 4, 3, seed=1)
    np.testing.assert_allclose(LA.cross(t64(a, False), t64(b, False)).numpy(), np.cross(a, b))
    np.testing.assert_allclose(LA.cross(t64(a.T, False), t64(a.T[::-1].copy(), False), dim=0).numpy(),
                               np.cross(a.T, a.T[::-1], axis=0))  # fmt: skip
    ms = [rnd(3), rnd(3, 4, seed=1), rnd(4, 2, seed=2), rnd(2, seed=3)]
    out = LA.multi_dot([t64(m, False) for m in ms])
    assert out.shape == ()
    np.testing.assert_allclose(out.item(), np.linalg.multi_dot(ms))
    np.testing.assert_allclose(LA.vecdot(t64(a, False), t64(b, False)).numpy(), (a * b).sum(-1))
    np.testing.assert_allclose(LA.diagonal(t64(b, False), offset=1).numpy(), np.diagonal(b, 1, -2, -1))


def test_lstsq():
    a, b = rnd(2, 5, 3), rnd(2, 5, 2, seed=1)
    res = LA.lstsq(t64(a, False), t64(b, False))
    np.testing.assert_allclose(res.solution.numpy(), np.linalg.pinv(a) @ b, atol=1e-12)
    assert res.rank.dtype == morch.int64 and res.rank.tolist() == [3, 3]
    assert res.residuals.shape == (0,) and res.singular_values.shape == (0,)
    full = LA.lstsq(t64(a[0], False), t64(b[0], False), driver="gelsd")
    expected = np.linalg.lstsq(a[0], b[0], rcond=None)
    np.testing.assert_allclose(full.residuals.numpy(), expected[1])
    np.testing.assert_allclose(full.singular_values.numpy(), expected[3])


def test_top_level_twins_and_methods():
    a = t64(well(3, 3), False)
    np.testing.assert_allclose(morch.det(a).item(), a.det().item())
    np.testing.assert_allclose(morch.inverse(a).numpy(), a.inverse().numpy())
    np.testing.assert_allclose(morch.pinverse(a).numpy(), np.linalg.pinv(a.numpy()), atol=1e-12)
    assert math.isnan(morch.logdet(t64(np.diag([-1.0, 1.0]), False)).item())
    assert morch.logdet(t64(np.zeros((2, 2)), False)).item() == -math.inf
    assert "morch.return_types.slogdet" in repr(morch.slogdet(a))
    np.testing.assert_allclose(morch.cholesky(t64(spd(3, 3), False)).numpy(), np.linalg.cholesky(spd(3, 3)))
    np.testing.assert_allclose(a.matrix_power(2).numpy(), (a @ a).numpy())
    with pytest.warns(UserWarning, match="dim"):
        c = morch.cross(t64(rnd(3, 4), False), t64(rnd(3, 4, seed=1), False))
    np.testing.assert_allclose(c.numpy(), np.cross(rnd(3, 4), rnd(3, 4, seed=1), axis=0))


# ------------------------------------------------------------------ gradients (first and second order)
@pytest.mark.parametrize(
    "fn, make",
    [
        (LA.inv, lambda: well(2, 3, 3)),
        (LA.det, lambda: well(2, 3, 3)),
        (lambda a: LA.slogdet(a).logabsdet, lambda: well(2, 3, 3)),
        (lambda a: LA.cholesky(sym(a)), lambda: spd(2, 3, 3)),
        (lambda a: LA.eigvalsh(sym(a)), lambda: spd(2, 3, 3)),
        (lambda a: LA.svdvals(a), lambda: well(2, 4, 3)),
        (lambda a: LA.pinv(a), lambda: rnd(4, 3)),
        (lambda a: LA.pinv(a), lambda: rnd(2, 4)),
        (lambda a: LA.matrix_power(a, -3), lambda: well(3, 3)),
        (lambda a: LA.matrix_norm(a, "nuc"), lambda: well(2, 3)),
        (lambda a: LA.norm(a, 2), lambda: well(3, 3)),
        (lambda a: LA.vector_norm(a, 3, dim=0), lambda: rnd(3, 2)),
        (lambda a: LA.lstsq(a, a[..., :1] * 2 + 1).solution, lambda: rnd(4, 2)),
    ],
)
def test_gradients(fn, make):
    check(fn, make())


def test_solve_gradients_with_broadcast_and_vector():
    check(lambda a, b: LA.solve(a, b), well(2, 3, 3), rnd(3, 2))
    check(lambda a, b: LA.solve(a, b), well(3, 3), rnd(3, seed=1))


def test_det_gradient_at_a_singular_matrix():
    a = t64(np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 5.0]]))
    assert gradcheck(LA.det, (a,))


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 4)])
def test_qr_gradients(shape):
    check(lambda a: LA.qr(a).Q, rnd(*shape))
    check(lambda a: LA.qr(a).R, rnd(*shape))


def test_eigh_vector_gradients_gauge_invariant():
    # V diag(f(w)) V^T and V*V do not depend on the eigenvectors' signs
    check(lambda a: (lambda w, v: v @ (w.exp().unsqueeze(-1) * v.mT))(*LA.eigh(sym(a))), spd(2, 3, 3))
    check(lambda a: LA.eigh(sym(a)).eigenvectors ** 2, spd(3, 3))


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 4)])
def test_svd_gradients_gauge_invariant(shape):
    def f(a):
        u, s, vh = LA.svd(a, full_matrices=False)
        return (u * s.unsqueeze(-2).sin()) @ vh, u[..., :2] ** 2, vh[..., :2, :] ** 2

    check(f, rnd(*shape) + np.eye(*shape) * 2)


def test_products_gradients():
    check(lambda a, b: LA.cross(a, b), rnd(2, 3), rnd(3, seed=1))
    check(lambda a, b, c: LA.multi_dot([a, b, c]), rnd(3), rnd(3, 2, seed=1), rnd(2, seed=2))
    check(lambda a, b: LA.vecdot(a, b), rnd(2, 3), rnd(3, seed=1))


# ------------------------------------------------------------------ cdist
@pytest.mark.parametrize("p", [0.0, 1.0, 2.0, 3.0, math.inf])
def test_cdist_forward_batched(p):
    x1, x2 = rnd(2, 4, 3), rnd(2, 5, 3, seed=1)
    diff = np.abs(x1[:, :, None, :] - x2[:, None, :, :])
    expected = {0.0: (diff != 0).sum(-1), math.inf: diff.max(-1)}.get(p)
    if expected is None:
        expected = (diff**p).sum(-1) ** (1 / p)
    np.testing.assert_allclose(morch.cdist(t64(x1, False), t64(x2, False), p=p).numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, math.inf])
def test_cdist_gradients(p):
    check(lambda a, b: morch.cdist(a, b, p=p), rnd(2, 3, 2), rnd(4, 2, seed=1))


@pytest.mark.parametrize("p", [0.0, 1.0, 2.0, 3.0, math.inf])
def test_cdist_zero_distance_gradient_is_zero(p):
    x = t64(rnd(3, 2))
    morch.cdist(x, x.detach()[:1], p=p).sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_array_equal(x.grad.numpy()[0], 0.0)


def test_cdist_errors():
    with pytest.raises(ValueError, match="at least 2D tensors, X1 got: 1D"):
        morch.cdist(morch.ones(3), morch.ones(3, 3))
    with pytest.raises(ValueError, match="same number of columns. X1: 3 X2: 4"):
        morch.cdist(morch.ones(2, 3), morch.ones(3, 4))
    with pytest.raises(ValueError, match="non-negative p"):
        morch.cdist(morch.ones(2, 3), morch.ones(3, 3), p=-1)


# ------------------------------------------------------------------ errors
def test_singular_and_not_positive_definite_errors():
    with pytest.raises(LA.LinAlgError, match=r"linalg.inv: The diagonal element 2 is zero.*singular"):
        LA.inv(morch.tensor([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(RuntimeError, match=r"linalg.inv: \(Batch element 1\): The diagonal element 1 is zero"):
        LA.inv(morch.stack([morch.eye(3), morch.zeros(3, 3)]))
    with pytest.raises(LA.LinAlgError, match="linalg.solve: The solver failed because the input matrix is singular"):
        LA.solve(morch.tensor([[1.0, 2.0], [2.0, 4.0]]), morch.ones(2))
    with pytest.raises(LA.LinAlgError, match=r"\(Batch element 1\).*leading minor of order 2 is not positive-definite"):
        LA.cholesky(morch.stack([morch.eye(2), morch.tensor([[1.0, 2.0], [2.0, 1.0]])]))
    info = LA.inv_ex(morch.tensor([[1.0, 2.0], [2.0, 4.0]])).info
    assert info.item() == 2


def test_bad_input_errors():
    with pytest.raises(ValueError, match="linalg.inv: A must be batches of square matrices, but they are 2 by 3"):
        LA.inv(morch.ones(2, 3))
    with pytest.raises(ValueError, match="linalg.det: A must be batches of square matrices"):
        morch.det(morch.ones(2, 3))
    with pytest.raises(TypeError, match="linalg.inv: Expected a floating point tensor as input. Got int64"):
        LA.inv(morch.ones(2, 2, dtype=morch.int64))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        LA.svd(morch.ones(3))
    with pytest.raises(ValueError, match="linalg.cross: inputs dimension -1 must have length 3. Got 4 and 4"):
        LA.cross(morch.ones(4), morch.ones(4))
    with pytest.raises(ValueError, match=r"multi_dot\(\): expected at least 2 tensors but got 1"):
        LA.multi_dot([morch.ones(2, 3)])
    with pytest.raises(ValueError, match="must be 1D or 2D. Got 3D"):
        LA.norm(morch.ones(2, 2, 2), 1)
    with pytest.raises(ValueError, match="Order 3 not supported"):
        LA.matrix_norm(morch.ones(2, 2), 3)
    with pytest.raises(ValueError, match="incompatible shapes"):
        LA.solve(morch.eye(3), morch.ones(2, 2))
    with pytest.raises(RuntimeError, match="full_matrices=False"):
        LA.svd(t64(rnd(4, 3)))[0].sum().backward()


# ------------------------------------------------------------------ against PyTorch
def _both(a):
    return t64(a), torch.tensor(a, requires_grad=True)


CASES = {
    "inv": (lambda L, a: L.linalg.inv(a), lambda: well(2, 3, 3)),
    "det": (lambda L, a: L.linalg.det(a), lambda: well(2, 3, 3)),
    "logdet": (lambda L, a: L.logdet(a), lambda: spd(3, 3)),
    "slogdet": (lambda L, a: L.linalg.slogdet(a).logabsdet, lambda: well(2, 3, 3)),
    "cholesky": (lambda L, a: L.linalg.cholesky(a), lambda: spd(2, 3, 3)),
    "qr": (lambda L, a: L.cat([f.flatten() ** 2 for f in L.linalg.qr(a)]), lambda: rnd(4, 3)),
    "qr_wide": (lambda L, a: L.cat([f.flatten() ** 2 for f in L.linalg.qr(a)]), lambda: rnd(2, 4)),
    "eigh": (
        lambda L, a: L.linalg.eigh(a).eigenvectors ** 2 + L.linalg.eigh(a).eigenvalues.unsqueeze(-2),
        lambda: spd(2, 3, 3),
    ),
    "svd": (lambda L, a: L.linalg.svd(a, full_matrices=False).U ** 2, lambda: rnd(4, 3)),
    "svd_vh": (lambda L, a: L.linalg.svd(a, full_matrices=False).Vh ** 2, lambda: rnd(3, 4)),
    "svdvals": (lambda L, a: L.linalg.svdvals(a), lambda: rnd(2, 4, 3)),
    "pinv": (lambda L, a: L.linalg.pinv(a), lambda: rnd(2, 4, 3)),
    "matrix_norm2": (lambda L, a: L.linalg.matrix_norm(a, 2), lambda: rnd(2, 3, 3)),
    "norm_inf": (lambda L, a: L.linalg.norm(a, math.inf, dim=(0, 1)), lambda: rnd(3, 3)),
    "vector_norm": (lambda L, a: L.linalg.vector_norm(a, 1.5, dim=(0, 2)), lambda: rnd(2, 3, 4)),
    "matrix_power": (lambda L, a: L.linalg.matrix_power(a, -2), lambda: well(2, 3, 3)),
    "cond": (lambda L, a: L.linalg.cond(a), lambda: well(2, 3, 3)),
    "solve": (lambda L, a: L.linalg.solve(a, a[..., 0] + 1), lambda: well(2, 3, 3)),
    "lstsq": (lambda L, a: L.linalg.lstsq(a, a[..., :1] + 1).solution, lambda: rnd(2, 4, 3)),
    "cross": (lambda L, a: L.linalg.cross(a, a.flip(0)), lambda: rnd(2, 3)),
    "cdist": (lambda L, a: L.cdist(a, a[:2] * 2, p=2.0), lambda: rnd(2, 3, 4)),
    "cdist_inf": (lambda L, a: L.cdist(a, a[:2] * 2, p=math.inf), lambda: rnd(3, 4)),
}


@requires_torch
@pytest.mark.parametrize("name", list(CASES))
def test_against_torch(name):
    fn, make = CASES[name]
    m, t = _both(make())
    mo, to = fn(morch, m), fn(torch, t)
    np.testing.assert_allclose(to_numpy(mo), to_numpy(to), rtol=1e-7, atol=1e-9)
    seed = np.random.default_rng(1).standard_normal(tuple(to.shape))
    mo.backward(morch.tensor(seed, dtype=morch.float64))
    to.backward(torch.tensor(seed))
    np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-8)


@requires_torch
def test_cond_forward_matches_torch():
    a = well(2, 3, 3)
    for p in (None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf):
        expected = torch.linalg.cond(torch.tensor(a), p).numpy()
        np.testing.assert_allclose(LA.cond(t64(a, False), p).numpy(), expected, rtol=1e-10)


@requires_torch
def test_matrix_rank_and_lstsq_rank_match_torch():
    a = rnd(2, 4, 3)
    a[1, :, 2] = a[1, :, 0] + a[1, :, 1]
    assert LA.matrix_rank(t64(a, False)).tolist() == torch.linalg.matrix_rank(torch.tensor(a)).tolist()
    assert LA.lstsq(t64(a, False), t64(a[..., :1], False)).rank.tolist() == [3, 2]


def test_float32_stays_float32():
    a = morch.tensor(well(2, 3, 3), dtype=morch.float32, requires_grad=True)
    outs = [
        LA.inv(a),
        LA.det(a),
        LA.pinv(a),
        LA.svdvals(a),
        LA.eigh(a).eigenvectors,
        LA.qr(a).R,
        LA.matrix_norm(a, "nuc"),
        morch.cdist(a, a),
        LA.solve(a, a[..., 0]),
    ]
    assert all(o.dtype == morch.float32 for o in outs)
    sum(o.sum() for o in outs[:4]).backward()
    assert a.grad.dtype == morch.float32


def test_static_graph():
    from morch.static import Placeholder, Session

    x = Placeholder(name="x")
    a = well(2, 3, 3)
    exprs = [
        LA.inv(x),
        LA.solve(x, morch.ones(3, dtype=morch.float64)),
        LA.eigh(x).eigenvalues,
        LA.norm(x, dim=(1, 2)),
        LA.matrix_power(x, -2),
        LA.lstsq(x, x).solution,
        LA.cross(x, x),
        morch.cdist(x, x),
        LA.matrix_rank(x),
    ]
    eager = [
        LA.inv,
        lambda t: LA.solve(t, morch.ones(3, dtype=morch.float64)),
        lambda t: LA.eigh(t).eigenvalues,
        lambda t: LA.norm(t, dim=(1, 2)),
        lambda t: LA.matrix_power(t, -2),
        lambda t: LA.lstsq(t, t).solution,
        lambda t: LA.cross(t, t),
        lambda t: morch.cdist(t, t),
        LA.matrix_rank,
    ]
    results = Session().run(exprs, {x: a})
    for r, f in zip(results, eager):
        np.testing.assert_allclose(np.asarray(r), f(t64(a, False)).numpy(), rtol=1e-5, atol=1e-6)
