"""Tensor creation (morch/creation.py) and random numbers (morch/random.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch

# ------------------------------------------------------------------ against PyTorch
CASES = [
    "L.tensor([1.0, 2.5])",
    "L.tensor([[1, 2], [3, 4]])",
    "L.tensor(3)",
    "L.tensor(2.5)",
    "L.tensor(True)",
    "L.tensor([True, 2])",
    "L.tensor([1, 2.5])",
    "L.tensor([])",
    "L.tensor([[]])",
    "L.tensor(range(4))",
    "L.tensor((1.0, 2.0), dtype=L.float64)",
    "L.tensor([1.7, -1.7], dtype=L.int64)",
    "L.tensor([[1.0]], requires_grad=True)",
    "L.tensor([L.tensor(1.0), L.tensor(2.0)])",
    "L.zeros(2, 3)",
    "L.zeros((2, 3))",
    "L.zeros([2, 3], dtype=L.int64)",
    "L.zeros(L.Size([1, 2]))",
    "L.zeros(())",
    "L.zeros(0)",
    "L.ones(2, dtype=L.bool)",
    "L.ones(3, requires_grad=True)",
    "L.full((2, 2), 7)",
    "L.full((2,), 2.5)",
    "L.full((2,), True)",
    "L.full([], 3.0)",
    "L.full((2,), 7, dtype=L.float64)",
    "L.full((2,), L.tensor(4.0))",
    "L.arange(5)",
    "L.arange(1, 4)",
    "L.arange(0, 1, 0.25)",
    "L.arange(5.0)",
    "L.arange(10, 0, -3)",
    "L.arange(1, 2.5, 0.5)",
    "L.arange(0, 1, 0.1)",
    "L.arange(5, dtype=L.float64)",
    "L.arange(-1.5, 1)",
    "L.arange(L.tensor(3))",
    "L.arange(0)",
    "L.linspace(0, 1, 5)",
    "L.linspace(0, 1, 1)",
    "L.linspace(0, 1, 0)",
    "L.linspace(-1, 1, 4, dtype=L.float64)",
    "L.linspace(0, 10, 3, dtype=L.int64)",
    "L.logspace(0, 2, 3)",
    "L.logspace(0, 3, 4, base=2)",
    "L.eye(3)",
    "L.eye(2, 3)",
    "L.eye(3, dtype=L.int64)",
    "L.zeros_like(L.ones(2, 3, dtype=L.int32))",
    "L.ones_like(L.ones(2))",
    "L.full_like(L.ones(2, dtype=L.int64), 2.7)",
    "L.full_like(L.ones(2), 3)",
    "L.zeros_like(L.ones(2), dtype=L.int64)",
    "L.ones_like(L.ones(2), requires_grad=True)",
    "L.empty(2, 3).shape",
    "L.empty_like(L.ones(3, dtype=L.float64)).dtype",
    "L.randint(5, (3,)).dtype",
    "L.randint(2, 5, (3,)).shape",
    "L.rand(2, 3).dtype",
    "L.randn(2).dtype",
    "L.rand(2, dtype=L.float64).dtype",
    "L.randperm(4).dtype",
    "L.rand_like(L.ones(2, dtype=L.float64)).dtype",
    "L.randint_like(L.ones(2), 5).dtype",
    "L.randn_like(L.ones(2, 2)).shape",
    "L.as_tensor([1, 2])",
    "L.as_tensor([1.0, 2.0], dtype=L.float64)",
    "L.ones(2, 3, 4).stride()",
    "L.ones(2, 3).t().stride()",
    "L.ones(2, 3).t().is_contiguous()",
    "L.ones(2, 3).t().contiguous().is_contiguous()",
    "L.ones(3, 1).expand(3, 4).stride()",
]


@requires_torch
@pytest.mark.parametrize("case", CASES)
def test_creation_matches_torch(case):
    expected = repr(eval(case, {"L": torch})).replace("torch.", "morch.")
    assert repr(eval(case, {"L": morch})) == expected


# ------------------------------------------------------------------ tensor() in detail
def test_tensor_copies_its_data():
    a = np.array([1.0, 2.0])
    t = morch.tensor(a)
    a[0] = 9
    assert t.tolist() == [1.0, 2.0]
    u = morch.tensor(t)
    t.add_(1)
    assert u.tolist() == [1.0, 2.0]


def test_tensor_dtypes_follow_pytorch_defaults():
    assert morch.tensor([1.0]).dtype == morch.float32
    assert morch.tensor([1]).dtype == morch.int64
    assert morch.tensor([True]).dtype == morch.bool
    assert morch.tensor(np.array([1.0])).dtype == morch.float64  # numpy arrays keep their dtype
    assert morch.tensor(np.array([1], dtype=np.int32)).dtype == morch.int32
    assert morch.tensor(np.float64(1.5)).dtype == morch.float64
    assert morch.tensor(0.1, dtype=morch.float64).item() == 0.1  # no detour through float32


def test_tensor_requires_grad_and_device():
    t = morch.tensor([1.0], requires_grad=True, device="cpu")
    assert t.requires_grad and t.is_leaf
    with pytest.raises(RuntimeError, match="CPU only"):
        morch.tensor([1.0], device="cuda")


@pytest.mark.parametrize(
    "data,error,match",
    [
        (["a", "b"], TypeError, "holding str"),
        ([1, "a"], TypeError, "holding str"),
        (None, TypeError, "NoneType"),
        ([1.0, None], TypeError, "NoneType"),
        ({"a": 1}, TypeError, "dict"),
        ({1, 2}, TypeError, "set"),
        ([[1, 2], [3]], ValueError, "inhomogeneous"),
        ([1j], TypeError, "complex"),
        (2**63, RuntimeError, "out of the range of int64"),
        ([2**70], RuntimeError, "out of the range of int64"),
        (np.array([1], dtype=np.longdouble), TypeError, "float128 is not supported"),
        (np.array(["x"]), TypeError, "not supported"),
    ],
    ids=[
        "strings",
        "mixed",
        "none",
        "none_in_list",
        "dict",
        "set",
        "ragged",
        "complex",
        "big_int",
        "huge_int",
        "float128",
        "numpy_str",
    ],  # fmt: skip
)
def test_non_numeric_data_is_refused_clearly(data, error, match):
    with pytest.raises(error, match=match):
        morch.tensor(data)


def test_from_numpy_shares_memory():
    a = np.zeros(3, dtype=np.float64)
    t = morch.from_numpy(a)
    a[0] = 5
    t[1] = 7
    assert t.dtype == morch.float64 and t.tolist() == [5.0, 7.0, 0.0] and a[1] == 7
    with pytest.raises(TypeError, match="ndarray"):
        morch.from_numpy([1, 2])
    with pytest.raises(TypeError, match="not supported"):
        morch.from_numpy(np.zeros(2, dtype=np.complex64))


def test_as_tensor_shares_when_possible():
    a = np.zeros(2)
    t = morch.as_tensor(a)
    a[0] = 1
    assert t.tolist() == [1.0, 0.0]
    x = morch.ones(2, requires_grad=True)
    assert morch.as_tensor(x) is x
    y = morch.as_tensor(x, dtype=morch.float64)
    assert y.dtype == morch.float64 and y.requires_grad  # a differentiable cast, as PyTorch


# ------------------------------------------------------------------ factories in detail
def test_factories_with_requires_grad_make_leaves():
    made = [
        morch.zeros(2, requires_grad=True),
        morch.randn(2, requires_grad=True),
        morch.full((2,), 1.0, requires_grad=True),
    ]
    for t in made:
        assert t.requires_grad and t.is_leaf
    with pytest.raises(RuntimeError, match="floating point"):
        morch.zeros(2, dtype=morch.int64, requires_grad=True)


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: morch.zeros(-1), RuntimeError, "negative dimension"),
        (lambda: morch.ones(2, -3), RuntimeError, r"negative dimension.*\[2, -3\]"),
        (lambda: morch.zeros(2.5), TypeError, "sequence of ints"),
        (lambda: morch.arange(0, 5, 0), ValueError, "step must be nonzero"),
        (lambda: morch.arange(5, 0), ValueError, "inconsistent with step sign"),
        (lambda: morch.arange(0, 5, -1), ValueError, "inconsistent with step sign"),
        (lambda: morch.linspace(0, 1, -1), ValueError, "linspace.*non-negative"),
        (lambda: morch.eye(-1), ValueError, "eye: n must be greater or equal to 0"),
        (lambda: morch.randint(5, 2, (3,)), ValueError, "low < high"),
        (lambda: morch.randint(3), TypeError, "size"),
        (lambda: morch.full((2,), "a"), TypeError, "fill_value must be a number"),
        (lambda: morch.rand(2, dtype=morch.int64), TypeError, "floating point"),
        (lambda: morch.randn(2, dtype=morch.bool), TypeError, "floating point"),
        (lambda: morch.multinomial(morch.ones(2), 3), ValueError, "without replacement"),
        (lambda: morch.bernoulli(morch.tensor([1.5])), ValueError, r"\[0, 1\]"),
    ],
)
def test_bad_arguments_are_clear(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_arange_float_length_and_values():
    t = morch.arange(0, 1, 0.1)
    assert len(t) == 10 and t.dtype == morch.float32
    np.testing.assert_allclose(t.numpy(), np.arange(10) * 0.1, rtol=1e-6)
    assert morch.arange(1, 10, 4).tolist() == [1, 5, 9]


def test_eye_and_linspace_values():
    np.testing.assert_array_equal(morch.eye(2, 3).numpy(), np.eye(2, 3))
    np.testing.assert_allclose(morch.linspace(-1, 1, 5).numpy(), [-1, -0.5, 0, 0.5, 1])


# ------------------------------------------------------------------ random numbers
def test_random_distributions_have_the_right_range_and_moments():
    u = morch.rand(20000)
    assert 0 <= u.min().item() and u.max().item() < 1 and abs(u.mean().item() - 0.5) < 0.01
    n = morch.randn(20000)
    assert abs(n.mean().item()) < 0.03 and abs(n.std().item() - 1) < 0.03
    i = morch.randint(3, 7, (2000,))
    assert set(np.unique(i.numpy()).tolist()) == {3, 4, 5, 6}
    assert sorted(morch.randperm(10).tolist()) == list(range(10))
    g = morch.normal(2.0, 0.5, (5000,))
    assert abs(g.mean().item() - 2) < 0.05 and abs(g.std().item() - 0.5) < 0.05
    per_element = morch.normal(morch.tensor([0.0, 100.0]), morch.tensor([1.0, 1.0]))
    assert per_element.shape == (2,) and per_element[1].item() > 90
    b = morch.bernoulli(morch.full((4000,), 0.25))
    assert abs(b.mean().item() - 0.25) < 0.03
    m = morch.multinomial(morch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]), 2, replacement=True)
    assert m.tolist() == [[1, 1], [0, 0]]
    assert sorted(morch.multinomial(morch.ones(4), 4).tolist()) == [0, 1, 2, 3]


def _draw():
    return [morch.rand(3).tolist(), morch.randn(2).tolist(), morch.randint(0, 100, (3,)).tolist(),
            morch.randperm(5).tolist(), morch.empty(2).uniform_().tolist()]  # fmt: skip


def test_manual_seed_makes_draws_reproducible():
    morch.manual_seed(123)
    first = _draw()
    morch.manual_seed(123)
    assert _draw() == first
    morch.manual_seed(124)
    assert _draw() != first
    assert morch.initial_seed() == 124


_SCRIPT = """
import json, os
os.environ["MORCH_DISABLE_PLUGIN_AUTOLOAD"] = "1"
import morch
morch.manual_seed(2024)
print(json.dumps([morch.rand(3).tolist(), morch.randn(3).tolist(), morch.randint(0, 1000, (4,)).tolist(),
                  morch.randperm(6).tolist(), morch.nn.init.normal_(morch.empty(2)).tolist()
                  if hasattr(morch.nn, "init") else []]))
"""


def test_manual_seed_is_reproducible_across_processes():
    env = dict(os.environ, PYTHONHASHSEED="random")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    outs = [
        subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env, check=True).stdout
        for _ in range(2)
    ]
    assert outs[0] == outs[1]
    morch.manual_seed(2024)
    assert json.loads(outs[0])[0] == morch.rand(3).tolist()


def test_generators_are_independent_and_their_state_can_be_saved():
    g = morch.Generator().manual_seed(7)
    a = morch.rand(3, generator=g).tolist()
    morch.manual_seed(0)
    morch.rand(10)  # the default generator does not affect g
    g2 = morch.Generator().manual_seed(7)
    assert morch.rand(3, generator=g2).tolist() == a
    state = morch.get_rng_state()
    x = morch.randn(4).tolist()
    morch.set_rng_state(state)
    assert morch.randn(4).tolist() == x
    s = g.get_state()
    y = morch.randint(0, 10**6, (3,), generator=g).tolist()
    g.set_state(s)
    assert morch.randint(0, 10**6, (3,), generator=g).tolist() == y
    assert isinstance(morch.seed(), int)


def test_manual_seed_arguments():
    morch.manual_seed(-5)  # PyTorch takes negative seeds modulo 2**64
    assert morch.initial_seed() == 2**64 - 5
    a = morch.rand(2).tolist()
    morch.manual_seed(2**64 - 5)
    assert morch.rand(2).tolist() == a
    with pytest.raises(TypeError, match="integer seed"):
        morch.manual_seed(1.5)
    with pytest.raises(RuntimeError, match="CPU only"):
        morch.Generator("cuda")
