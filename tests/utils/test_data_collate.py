"""default_collate / default_convert: torch's rules, with morch tensors out."""

import collections

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch.utils.data import default_collate, default_convert

try:
    from PIL import Image
except ImportError:  # pragma: no cover - depends on the machine
    Image = None


def test_tensors_are_stacked():
    out = default_collate([morch.tensor([1.0, 2.0]), morch.tensor([3.0, 4.0])])
    assert isinstance(out, morch.Tensor) and out.dtype == morch.float32
    np.testing.assert_array_equal(out.numpy(), [[1, 2], [3, 4]])


def test_stacked_batch_does_not_alias_the_samples():
    a = morch.zeros(2)
    out = default_collate([a, a])
    out[0, 0] = 5.0
    assert a[0].item() == 0.0


def test_tensors_that_require_grad_keep_the_graph():
    a = morch.tensor([1.0, 2.0], requires_grad=True)
    out = default_collate([a, a * 2])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])


def test_numpy_arrays_keep_their_dtype():
    out = default_collate([np.zeros((2, 2), np.float64), np.ones((2, 2), np.float64)])
    assert out.dtype == morch.float64 and tuple(out.shape) == (2, 2, 2)
    assert default_collate([np.zeros(3, np.uint8)] * 4).dtype == morch.uint8


def test_python_numbers():
    ints = default_collate([1, 2, 3])
    assert ints.dtype == morch.int64 and ints.tolist() == [1, 2, 3]
    floats = default_collate([1.5, 2.0])
    assert floats.dtype == morch.float64  # as torch: Python floats collate to float64
    assert default_collate([True, False]).dtype == morch.bool
    assert default_collate([1, 2.5]).dtype == morch.float32  # a float among ints: torch.tensor's rule
    assert default_collate([np.float32(1), np.float32(2)]).dtype == morch.float32
    assert default_collate([np.int32(1), np.int32(2)]).dtype == morch.int32


def test_strings_stay_as_they_are():
    assert default_collate(["a", "b"]) == ["a", "b"]
    out = default_collate([(1, "a"), (2, "b")])
    assert out[0].tolist() == [1, 2] and out[1] == ("a", "b")


def test_nested_structures():
    batch = [{"x": np.zeros(2), "y": [1.0, 2.0], "n": 1}, {"x": np.ones(2), "y": [3.0, 4.0], "n": 2}]
    out = default_collate(batch)
    assert set(out) == {"x", "y", "n"}
    assert out["x"].shape == (2, 2)
    assert [t.tolist() for t in out["y"]] == [[1.0, 3.0], [2.0, 4.0]]
    assert out["n"].tolist() == [1, 2]


def test_tuples_become_lists_and_namedtuples_stay():
    out = default_collate([(np.zeros(2), 1), (np.ones(2), 0)])
    assert isinstance(out, list) and len(out) == 2
    Point = collections.namedtuple("Point", "a b")
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.a.tolist() == [1, 3] and p.b.dtype == morch.float64


def test_ordered_dict_type_is_kept():
    out = default_collate([collections.OrderedDict(a=1, b=2)] * 2)
    assert type(out) is collections.OrderedDict and list(out) == ["a", "b"]


@pytest.mark.parametrize(
    "batch, error, match",
    [
        ([[1, 2], [3]], RuntimeError, "each element in list of batch should be of equal size"),
        ([morch.zeros(2), morch.zeros(3)], RuntimeError, r"stack expects each tensor to be equal size, but got \[2\]"),
        ([np.zeros(2), np.zeros(3)], RuntimeError, "stack expects each tensor to be equal size"),
        ([object()], TypeError, "batch must contain tensors, numpy arrays, numbers, dicts or lists; found"),
        ([None, None], TypeError, "found <class 'NoneType'>"),
        ([np.array(["a"])], TypeError, "found <U1"),
        ([1, "a"], TypeError, "element 1 of the batch is a str"),
        ([morch.zeros(2), np.zeros(2)], TypeError, "element 1 of the batch is a ndarray, not a tensor"),
        ([np.zeros(2, np.longdouble)], TypeError, "float128 is not supported"),
        ([], ValueError, "empty batch"),
    ],
)
def test_collate_errors(batch, error, match):
    with pytest.raises(error, match=match):
        default_collate(batch)


class FakePILImage:
    """Stands in for PIL.Image.Image when Pillow is absent: same class name and module."""

    def __init__(self, arr):
        self._arr = arr

    def __array__(self, dtype=None, copy=None):
        return self._arr if dtype is None else self._arr.astype(dtype)


FakePILImage.__module__ = "PIL.Image"
FakePILImage.__name__ = FakePILImage.__qualname__ = "Image"


def test_pil_images_without_transform_give_a_helpful_error():
    with pytest.raises(TypeError, match="PIL images; give the dataset a transform"):
        default_collate([FakePILImage(np.zeros((2, 2), np.uint8))] * 2)


@pytest.mark.skipif(Image is None, reason="Pillow is not installed")
def test_real_pil_images_without_transform_give_a_helpful_error():
    img = Image.fromarray(np.zeros((4, 4), np.uint8))
    with pytest.raises(TypeError, match="PIL images"):
        default_collate([img, img])


@requires_torch
def test_torch_tensors_become_morch_tensors():
    out = default_collate([torch.ones(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)])
    assert isinstance(out, morch.Tensor) and out.dtype == morch.float64
    np.testing.assert_array_equal(out.numpy(), [[1, 1], [0, 0]])


@requires_torch
@pytest.mark.parametrize(
    "batch",
    [
        [1, 2, 3],
        [1.5, 2.5],
        [True, False],
        [(1, 2.0), (3, 4.0)],
        [{"a": 1, "b": [0.5, 1.5]}, {"a": 2, "b": [2.5, 3.5]}],
        [np.arange(3, dtype=np.int32), np.arange(3, dtype=np.int32)],
        [np.float64(1.0), np.float64(2.0)],
    ],
)
def test_dtypes_and_structure_match_torch(batch):
    def flatten(x):
        if isinstance(x, dict):
            return [(k, v) for k in sorted(x) for v in flatten(x[k])]
        if isinstance(x, (list, tuple)) and x and not isinstance(x[0], str):
            return [v for item in x for v in flatten(item)]
        return [x]

    m, t = flatten(default_collate(batch)), flatten(torch.utils.data.default_collate(batch))
    assert len(m) == len(t)
    for a, b in zip(m, t):
        a, b = (a[1], b[1]) if isinstance(a, tuple) else (a, b)
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_default_convert():
    out = default_convert({"x": np.zeros(2), "n": 3, "s": "a", "t": (np.ones(1), 2)})
    assert isinstance(out["x"], morch.Tensor) and out["n"] == 3 and out["s"] == "a"
    assert isinstance(out["t"], list) and isinstance(out["t"][0], morch.Tensor)
    assert isinstance(default_convert(np.float32(1.0)), morch.Tensor)
