"""morch.testing.assert_close: tolerances per dtype, containers, and PyTorch's messages."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch.testing import assert_close


def test_default_tolerances_per_dtype():
    assert_close(morch.tensor([1.0, 2.0]), morch.tensor([1.0, 2.0 + 1e-5]))  # float32: atol 1e-5
    with pytest.raises(AssertionError):
        assert_close(morch.tensor([1.0, 2.0]), morch.tensor([1.0, 2.0 + 1e-4]))
    x64 = morch.tensor([1.0], dtype=morch.float64)
    assert_close(x64, x64 + 1e-8)
    with pytest.raises(AssertionError):
        assert_close(x64, x64 + 1e-6)
    with pytest.raises(AssertionError, match="not equal"):
        assert_close(morch.tensor([1, 2]), morch.tensor([1, 3]))
    assert_close(morch.tensor([1, 2]), morch.tensor([1, 2]))


def test_explicit_tolerances_and_nan():
    assert_close(morch.tensor([1.0]), morch.tensor([1.5]), rtol=0.0, atol=0.6)
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol' must be either specified or omitted, but got no atol"):
        assert_close(morch.tensor([1.0]), morch.tensor([1.5]), rtol=1.0)
    nan = morch.tensor([1.0, math.nan])
    with pytest.raises(AssertionError):
        assert_close(nan, nan)
    assert_close(nan, nan, equal_nan=True)


def test_tensor_mismatch_message():
    with pytest.raises(AssertionError) as info:
        assert_close(morch.tensor([[1.0, 2.0], [3.0, 4.0]]), morch.tensor([[1.0, 2.0], [3.0, 5.0]]))
    assert str(info.value) == (
        "Tensor-likes are not close!\n\nMismatched elements: 1 / 4 (25.0%)\n"
        "Greatest absolute difference: 1.0 at index (1, 1) (up to 1e-05 allowed)\n"
        "Greatest relative difference: 0.20000000298023224 at index (1, 1) (up to 1.3e-06 allowed)"
    )


def test_shape_dtype_and_custom_message():
    with pytest.raises(
        AssertionError, match=re.escape("attribute 'shape' do not match: morch.Size([2]) != morch.Size([3])")
    ):
        assert_close(morch.ones(2), morch.ones(3))
    with pytest.raises(AssertionError, match="attribute 'dtype' do not match: morch.float32 != morch.float64"):
        assert_close(morch.ones(2), morch.ones(2, dtype=morch.float64))
    assert_close(morch.ones(2), morch.ones(2, dtype=morch.float64), check_dtype=False)
    with pytest.raises(AssertionError, match="^custom$"):
        assert_close(morch.ones(2), morch.zeros(2), msg="custom")


def test_numbers_sequences_and_mappings():
    assert_close(1.0, 1.0 + 1e-9)
    with pytest.raises(AssertionError, match=r"Scalars are not close!\n\nExpected 1.5 but got 1.0."):
        assert_close(1.0, 1.5)
    with pytest.raises(AssertionError, match="Scalars are not equal"):
        assert_close(1, 2)
    assert_close([morch.ones(2), 3], [morch.ones(2), 3])
    with pytest.raises(AssertionError, match=re.escape("The failure occurred for item [1]")):
        assert_close([morch.tensor(1.0), morch.tensor(2.0)], [morch.tensor(1.0), morch.tensor(3.0)])
    with pytest.raises(AssertionError, match="The length of the sequences mismatch: 2 != 3"):
        assert_close([1, 2], [1, 2, 3])
    with pytest.raises(AssertionError, match=re.escape("Missing keys in the actual mapping: ['c']")):
        assert_close({"a": 1.0, "b": 2.0}, {"a": 1.0, "c": 2.0})
    with pytest.raises(AssertionError, match=re.escape("The failure occurred for item ['w'][0]")):
        assert_close({"w": [morch.ones(2)]}, {"w": [morch.zeros(2)]})
    with pytest.raises(TypeError, match="No comparison pair was able to handle inputs of type"):
        assert_close("a", 1)
    assert_close(np.ones(2), morch.ones(2, dtype=morch.float64))


@requires_torch
@pytest.mark.parametrize(
    "actual, expected",
    [
        ([1.0, 2.0, 3.0], [1.0, 2.5, 3.0]),
        ([1, 2, 3], [1, 3, 3]),
        ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 5.0]]),
        ([1.0, math.inf], [1.0, 2.0]),
        ([1.0, math.nan], [1.0, 1.0]),
        ([True], [False]),
    ],
)
def test_messages_match_torch(actual, expected):
    with pytest.raises(AssertionError) as t_info:
        torch.testing.assert_close(torch.tensor(actual), torch.tensor(expected))
    with pytest.raises(AssertionError) as m_info:
        assert_close(morch.tensor(actual), morch.tensor(expected))
    assert str(m_info.value) == str(t_info.value)
