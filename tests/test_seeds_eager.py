"""The seed notebooks' examples in eager form, with the numbers they printed.

Seed 000 differentiates f = log(x) + x*y - sin(y) at x=2, y=5 with a tape; seed 004 differentiates
t = sum(sigmoid(a) @ b), written as 1 / (1 + exp(-a)), against PyTorch's dynamic graph.
"""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch


def test_seed_000_value_and_gradients_to_the_printed_digits():
    x = morch.tensor(2.0, dtype=morch.float64, requires_grad=True)
    y = morch.tensor(5.0, dtype=morch.float64, requires_grad=True)
    f = morch.log(x) + x * y - morch.sin(y)
    assert repr(f.item()) == "11.652071455223084"
    dx, dy = morch.autograd.grad(f, [x, y], retain_graph=True)
    assert repr(dx.item()) == "5.5" and repr(dy.item()) == "1.7163378145367738"
    f.backward()
    assert repr(x.grad.item()) == "5.5" and repr(y.grad.item()) == "1.7163378145367738"
    assert repr(f) == "tensor(11.6521, dtype=morch.float64, grad_fn=<SubBackward>)"


# the seed's inputs: value = np.arange(9.).reshape(3, 3), mul_value = np.linspace(0, 1, 9).reshape(3, 3)
VALUE = np.arange(9.0).reshape(3, 3)
MUL_VALUE = np.linspace(0, 1, 9).reshape(3, 3)
PRINTED_T = 12.53067
PRINTED_DA = [[0.09375, 0.29492, 0.27561], [0.01694, 0.02649, 0.01745], [0.00092, 0.00137, 0.00088]]
PRINTED_DB = [[2.4501] * 3, [2.71216] * 3, [2.87377] * 3]


def _seed_004(lib):
    a = lib.tensor(VALUE, dtype=lib.float32, requires_grad=True)
    b = lib.tensor(MUL_VALUE, dtype=lib.float32, requires_grad=True)
    t = lib.sum(1 / (1 + lib.exp(-a)) @ b)
    t.backward()
    return t, a.grad, b.grad


def test_seed_004_matches_the_printed_numbers():
    t, da, db = _seed_004(morch)
    assert t.dtype == morch.float32 and t.shape == ()
    assert round(t.item(), 5) == PRINTED_T
    np.testing.assert_array_equal(np.round(da.numpy(), 5), np.array(PRINTED_DA, dtype=np.float32))
    np.testing.assert_array_equal(np.round(db.numpy(), 5), np.array(PRINTED_DB, dtype=np.float32))
    assert repr(t) == "tensor(12.5307, grad_fn=<SumBackward>)"


@requires_torch
def test_seed_004_matches_torch():
    m_t, m_da, m_db = _seed_004(morch)
    t_t, t_da, t_db = _seed_004(torch)
    assert m_t.item() == pytest.approx(t_t.item(), abs=1e-5)
    np.testing.assert_allclose(m_da.numpy(), t_da.numpy(), atol=1e-5)
    np.testing.assert_allclose(m_db.numpy(), t_db.numpy(), atol=1e-5)


def test_seed_004_with_numpy_operands_and_sigmoid():
    # the same value with the constant b as a plain numpy array, and with the sigmoid op
    a = morch.tensor(VALUE, dtype=morch.float32, requires_grad=True)
    t = morch.sum(morch.sigmoid(a) @ MUL_VALUE.astype(np.float32))
    t.backward()
    assert round(t.item(), 5) == PRINTED_T
    np.testing.assert_array_equal(np.round(a.grad.numpy(), 5), np.array(PRINTED_DA, dtype=np.float32))
