"""morch._alloc: cache-line aligned storage for parameters and optimizer state."""

import numpy as np
import pytest

import morch
from morch import _alloc, nn


def aligned(a: np.ndarray) -> bool:
    return a.ctypes.data % _alloc.ALIGN == 0


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(0,), (1,), (3,), (7, 5), (128, 784), (2, 3, 4)])
def test_empty_is_aligned_with_the_requested_shape_dtype_and_order(shape, order):
    for _ in range(8):  # malloc's offsets vary from call to call
        a = _alloc.empty(shape, np.float32, order)
        assert a.shape == shape and a.dtype == np.float32 and (aligned(a) or a.size == 0)
        assert a.flags.c_contiguous if order == "C" else a.flags.f_contiguous
        a[...] = 1  # writable, and its own memory
        assert a.sum() == a.size


def test_copy_and_zeros_like_keep_values_and_memory_order():
    src = np.asfortranarray(np.arange(12, dtype=np.float64).reshape(3, 4))
    c = _alloc.copy(src)
    assert aligned(c) and c.flags.f_contiguous and not np.shares_memory(c, src)
    np.testing.assert_array_equal(c, src)
    z = _alloc.zeros_like(src)
    assert aligned(z) and z.flags.f_contiguous and not z.any()


def test_layer_parameters_are_aligned_and_stay_aligned_through_dtype_changes():
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.Flatten(), nn.Linear(12, 5), nn.LayerNorm(5), nn.Embedding(4, 3))
    for p in model.parameters():
        assert aligned(p._data)
    model.double()
    for p in model.parameters():
        assert p.dtype == morch.float64 and aligned(p._data)


@pytest.mark.parametrize("make", [
    lambda ps: morch.optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: morch.optim.Adam(ps),
    lambda ps: morch.optim.RMSprop(ps, momentum=0.5, centered=True),
    lambda ps: morch.optim.Adadelta(ps),
])  # fmt: skip
def test_optimizer_state_is_aligned(make):
    lin = nn.Linear(30, 7)
    opt = make(lin.parameters())
    lin(morch.randn(4, 30)).sum().backward()
    opt.step()
    arrays = [v._data for st in opt.state.values() for v in st.values() if isinstance(v, morch.Tensor) and v.ndim]
    assert arrays and all(aligned(a) for a in arrays)
