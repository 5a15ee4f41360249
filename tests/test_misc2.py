"""morch.multiprocessing, morch.utils.data.distributed, linalg.ldl_factor/ldl_solve and special.airy_ai."""

from __future__ import annotations

import math
import multiprocessing as std_mp
import os
import sys
import time

import numpy as np
import pytest

import morch
import morch.multiprocessing as mp
from helpers import assert_close, requires_torch, torch
from morch.linalg import LinAlgError


# ------------------------------------------------------------------ multiprocessing
def _put_square(i, queue):
    queue.put((i, i * i))


def _put_tensor(i, queue):
    queue.put(morch.arange(3.0) * (i + 1))


def _fail_on_one(i):
    if i == 1:
        raise ValueError("boom from the worker")
    time.sleep(30)  # the failure must stop this one early


def _exit_with_three(i):
    os._exit(3)


def test_stdlib_names_are_reexported():
    for name in ("Process", "Queue", "Pool", "get_context", "set_start_method", "get_start_method", "cpu_count"):
        assert name in mp.__all__
    assert mp.cpu_count() == std_mp.cpu_count()
    assert mp.get_context("fork").Process is std_mp.get_context("fork").Process
    assert "spawn" in mp.__all__ and "ProcessContext" in mp.__all__
    assert morch.multiprocessing is mp


@requires_torch
def test_has_torch_multiprocessing_public_names():
    missing = [n for n in torch.multiprocessing.__all__ if not hasattr(mp, n)]
    assert missing == []


def test_sharing_strategies():
    assert mp.get_all_sharing_strategies() == {"file_system", "file_descriptor"}
    before = mp.get_sharing_strategy()
    assert before == ("file_system" if sys.platform == "darwin" else "file_descriptor")
    try:
        mp.set_sharing_strategy("file_system")
        assert mp.get_sharing_strategy() == "file_system"
    finally:
        mp.set_sharing_strategy(before)
    with pytest.raises(ValueError, match="set_sharing_strategy: unknown strategy 'shm'"):
        mp.set_sharing_strategy("shm")


def test_spawn_fork_runs_every_index():
    queue = std_mp.get_context("fork").SimpleQueue()
    assert mp.spawn(_put_square, args=(queue,), nprocs=3, start_method="fork") is None
    assert sorted(queue.get() for _ in range(3)) == [(0, 0), (1, 1), (2, 4)]


def test_spawn_with_the_spawn_method(tmp_path):
    path = str(tmp_path / "zero.pt")
    mp.spawn(morch.save, args=(path,), nprocs=1)  # a fresh interpreter runs morch.save(0, path)
    assert morch.load(path) == 0


def test_tensors_travel_by_value():
    queue = std_mp.get_context("fork").SimpleQueue()
    mp.spawn(_put_tensor, args=(queue,), nprocs=2, start_method="fork")
    got = sorted(queue.get().tolist() for _ in range(2))
    assert got == [[0.0, 1.0, 2.0], [0.0, 2.0, 4.0]]


def test_spawn_names_the_failed_process():
    start = time.monotonic()
    with pytest.raises(
        mp.ProcessRaisedException, match=r"(?s)process 1 \(pid \d+\).*ValueError: boom from the worker"
    ) as e:
        mp.spawn(_fail_on_one, nprocs=3, start_method="fork")
    assert e.value.error_index == 1
    assert time.monotonic() - start < 10  # the sleeping processes were terminated


def test_spawn_reports_the_exit_code():
    with pytest.raises(mp.ProcessExitedException, match="process 0 .* exited with code 3") as e:
        mp.spawn(_exit_with_three, nprocs=1, start_method="fork")
    assert e.value.exit_code == 3 and e.value.error_index == 0


def test_spawn_without_join_returns_the_context():
    queue = std_mp.get_context("fork").SimpleQueue()
    context = mp.spawn(_put_square, args=(queue,), nprocs=2, join=False, start_method="fork")
    assert isinstance(context, mp.ProcessContext)
    assert len(context.pids()) == 2 and all(isinstance(p, int) for p in context.pids())
    while not context.join(timeout=5):
        pass
    assert context.join() is True
    assert sorted(queue.get() for _ in range(2)) == [(0, 0), (1, 1)]


def test_spawn_needs_a_process():
    with pytest.raises(ValueError, match="nprocs must be at least 1, got 0"):
        mp.spawn(_put_square, nprocs=0, start_method="fork")


# ------------------------------------------------------------------ utils.data.distributed
def test_distributed_sampler_module():
    from morch.utils.data import distributed

    assert distributed.DistributedSampler is morch.utils.data.DistributedSampler
    sampler = distributed.DistributedSampler(list(range(5)), num_replicas=2, rank=1, shuffle=False)
    assert list(sampler) == [1, 3, 0]  # padded to 6 with the first index


# ------------------------------------------------------------------ ldl_factor, ldl_solve
def _symmetric(n, *batch, seed=0, small_diagonal=False):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((*batch, n, n))
    a = a + np.swapaxes(a, -1, -2)
    if small_diagonal:  # forces 2x2 blocks and row swaps
        a[..., np.arange(n), np.arange(n)] *= 0.01
    return a


def test_ldl_solve_solves():
    a = _symmetric(6, 3, small_diagonal=True)
    b = np.random.default_rng(1).standard_normal((3, 6, 2))
    ld, piv = morch.linalg.ldl_factor(morch.tensor(a))
    x = morch.linalg.ldl_solve(ld, piv, morch.tensor(b))
    assert_close(x, np.linalg.solve(a, b), atol=1e-10, rtol=1e-10)
    assert piv.dtype == morch.int32 and (piv.numpy() < 0).any()  # some 2x2 blocks


def test_ldl_two_by_two_block():
    ld, piv = morch.linalg.ldl_factor(morch.tensor([[0.0, 1.0], [1.0, 0.0]]))
    assert piv.tolist() == [-2, -2]
    assert_close(ld, [[0.0, 0.0], [1.0, 0.0]])  # D is the whole matrix, L the identity


def test_ldl_reads_the_lower_triangle_only():
    a = _symmetric(5, seed=3)
    messy = a + np.triu(np.full((5, 5), 7.0), 1)
    first, second = morch.linalg.ldl_factor(morch.tensor(a)), morch.linalg.ldl_factor(morch.tensor(messy))
    assert np.array_equal(first.LD.numpy(), second.LD.numpy())
    assert np.array_equal(first.pivots.numpy(), second.pivots.numpy())
    assert np.array_equal(np.triu(first.LD.numpy(), 1), np.zeros((5, 5)))


@requires_torch
@pytest.mark.parametrize("n,small", [(1, False), (4, False), (7, True), (12, True), (70, False)])
def test_ldl_factor_matches_lapack(n, small):
    a = _symmetric(n, 2, seed=n, small_diagonal=small)
    ld, piv, info = morch.linalg.ldl_factor_ex(morch.tensor(a))
    t_ld, t_piv, t_info = torch.linalg.ldl_factor_ex(torch.tensor(a))
    assert np.array_equal(piv.numpy(), t_piv.numpy())
    assert np.array_equal(info.numpy(), t_info.numpy())
    assert_close(ld, t_ld, atol=1e-12, rtol=1e-10)


@requires_torch
def test_ldl_float32_and_solve_match_torch():
    a = _symmetric(5, seed=7).astype(np.float32)
    ld, piv = morch.linalg.ldl_factor(morch.tensor(a))
    t_ld, t_piv = torch.linalg.ldl_factor(torch.tensor(a))
    assert ld.dtype == morch.float32 and np.array_equal(piv.numpy(), t_piv.numpy())
    assert_close(ld, t_ld, atol=1e-5)
    a64 = _symmetric(5, 2, seed=8, small_diagonal=True)
    b = np.random.default_rng(2).standard_normal((2, 5, 3))
    ld, piv = morch.linalg.ldl_factor(morch.tensor(a64))
    t_ld, t_piv = torch.linalg.ldl_factor(torch.tensor(a64))
    x = morch.linalg.ldl_solve(ld, piv.long(), morch.tensor(b), hermitian=True)
    assert_close(x, torch.linalg.ldl_solve(t_ld, t_piv, torch.tensor(b)), atol=1e-10, rtol=1e-10)


def test_ldl_solve_broadcasts_batches():
    # (PyTorch 2.13 reads out of bounds here and may crash, so this compares with numpy)
    a = _symmetric(5, 2, seed=9)
    b = np.random.default_rng(2).standard_normal((3, 1, 5, 2))
    ld, piv = morch.linalg.ldl_factor(morch.tensor(a))
    x = morch.linalg.ldl_solve(ld, piv, morch.tensor(b))
    assert x.shape == (3, 2, 5, 2)
    assert_close(x, np.linalg.solve(a, b), atol=1e-10, rtol=1e-10)


def test_ldl_singular():
    ld, piv, info = morch.linalg.ldl_factor_ex(morch.zeros(2, 2, 2, dtype=morch.float64))
    assert info.tolist() == [1, 1] and piv.tolist() == [[1, 2], [1, 2]]
    with pytest.raises(LinAlgError, match=r"linalg.ldl_factor: \(Batch element 0\): D\[1,1\] is zero"):
        morch.linalg.ldl_factor(morch.zeros(2, 2, 2))
    with pytest.raises(LinAlgError, match="linalg.ldl_factor_ex: D.1,1. is zero"):
        morch.linalg.ldl_factor_ex(morch.zeros(2, 2), check_errors=True)


def test_ldl_empty():
    ld, piv = morch.linalg.ldl_factor(morch.zeros(0, 3, 3))
    assert ld.shape == (0, 3, 3) and piv.shape == (0, 3)
    ld, piv = morch.linalg.ldl_factor(morch.zeros(0, 0))
    assert morch.linalg.ldl_solve(ld, piv, morch.zeros(0, 2)).shape == (0, 2)


def test_ldl_has_no_derivative():
    a = morch.tensor(_symmetric(3), requires_grad=True)
    ld, piv = morch.linalg.ldl_factor(a)
    with pytest.raises(NotImplementedError, match="derivative for 'linalg.ldl_factor'"):
        ld.sum().backward()
    b = morch.ones(3, 1, dtype=morch.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match="derivative for 'linalg.ldl_solve'"):
        morch.linalg.ldl_solve(ld.detach(), piv, b).sum().backward()


def test_ldl_errors():
    with pytest.raises(ValueError, match="linalg.ldl_factor: A must be batches of square matrices"):
        morch.linalg.ldl_factor(morch.zeros(2, 3))
    with pytest.raises(TypeError, match="linalg.ldl_factor_ex: Expected a floating point tensor"):
        morch.linalg.ldl_factor_ex(morch.zeros(2, 2, dtype=morch.int64))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        morch.linalg.ldl_factor(morch.ones(3))
    ld, piv = morch.linalg.ldl_factor(morch.eye(3, dtype=morch.float64))
    b = morch.ones(3, 1, dtype=morch.float64)
    with pytest.raises(TypeError, match="ldl_solve: Expected pivots to be integers"):
        morch.linalg.ldl_solve(ld, piv.double(), b)
    with pytest.raises(ValueError, match=r"ldl_solve: Expected LD.shape\[:-1\] and pivots.shape"):
        morch.linalg.ldl_solve(ld, piv[:2], b)
    with pytest.raises(ValueError, match="ldl_solve: each A matrix is 3 by 3 but B has shape"):
        morch.linalg.ldl_solve(ld, piv, morch.ones(2, 1, dtype=morch.float64))
    with pytest.raises(TypeError, match="Expected B and LD to have the same dtype"):
        morch.linalg.ldl_solve(ld, piv, morch.ones(3, 1))


# ------------------------------------------------------------------ airy_ai
# Ai(x) to 20 digits (mpmath.airyai with 30 digits)
_AIRY = {
    1.0: 0.13529241631288141552,
    -1.0: 0.5355608832923521188,
    2.5: 0.015725923380470489995,
    -2.1: 0.16348451299929267887,
    -2.5: -0.11232506769296608919,
    -3.0: -0.37881429367765807435,
    -4.0: -0.070265532949289515099,
    -5.0: 0.35076100902411431979,
    -10.0: 0.040241238486443190689,
    -19.5: 0.26780027210258394576,
    5.0: 0.00010834442813607441735,
    10.0: 1.1047532552898685934e-10,
    19.9: 2.647501868923719661e-27,
}


def test_airy_ai_reference_values():
    x = morch.tensor(list(_AIRY), dtype=morch.float64)
    assert_close(morch.special.airy_ai(x), list(_AIRY.values()), atol=0, rtol=1e-13)
    ai0 = 1 / (3 ** (2 / 3) * math.gamma(2 / 3))  # closed form at 0
    assert_close(morch.special.airy_ai(morch.tensor([0.0], dtype=morch.float64)), [ai0], atol=0, rtol=1e-15)


def test_airy_ai_satisfies_airys_equation():
    x = np.linspace(-8, 8, 33)
    h = 1e-3
    ai = [morch.special.airy_ai(morch.tensor(x + d, dtype=morch.float64)).numpy() for d in (-h, 0, h)]
    second = (ai[0] - 2 * ai[1] + ai[2]) / h**2
    np.testing.assert_allclose(second, x * ai[1], atol=2e-5)  # the difference quotient's own error


def test_airy_ai_special_values_and_dtypes():
    x = morch.tensor([math.inf, -math.inf, math.nan, 103.8, 200.0], dtype=morch.float64)
    out = morch.special.airy_ai(x).numpy()
    assert np.isnan(out[:3]).all() and out[4] == 0 and out[3] > 0
    assert morch.special.airy_ai(morch.tensor([1, 2])).dtype == morch.float32
    y = morch.special.airy_ai(morch.tensor([1.0], requires_grad=True))
    assert not y.requires_grad


@requires_torch
def test_airy_ai_matches_torch():
    x = np.concatenate([np.linspace(-20, 20, 2001), [-2.09, 2.09, -2.0900001, 2.0899999, 1e-300, 8.33, 103.9]])
    ours = morch.special.airy_ai(morch.tensor(x)).numpy()
    theirs = torch.special.airy_ai(torch.tensor(x)).numpy()
    # PyTorch's oscillating branch (x < -2.09) drops the implicit leading 1 of Cephes' denominators: its
    # error grows to 3e-6 near -2.1 (morch's stays ~1e-16 against mpmath, see the reference values), so
    # compare there only where that term is negligible
    right, far_left = x >= -2.09, x < -12
    np.testing.assert_allclose(ours[right], theirs[right], rtol=1e-12, atol=0)
    np.testing.assert_allclose(ours[far_left], theirs[far_left], rtol=1e-12, atol=1e-14)
    f32 = morch.special.airy_ai(morch.tensor(x[right], dtype=morch.float32)).numpy()
    assert_close(f32, torch.special.airy_ai(torch.tensor(x[right], dtype=torch.float32)), atol=1e-6, rtol=1e-5)
