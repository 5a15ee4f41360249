"""Collation: turning a list of samples into a batch, with torch's ``default_collate`` rules.

Tensors and numpy arrays are stacked along a new first dimension (numpy dtypes are kept);
Python ints become int64 tensors, floats float64 tensors (as torch), bools bool tensors;
strings and bytes stay lists; dicts, namedtuples, tuples and lists are collated field by field
(tuples become lists, as torch). PyTorch tensors (say from a torchvision transform) are
accepted and become morch tensors. PIL images need a transform to arrays first.
"""

from __future__ import annotations

import collections.abc
import numbers

import numpy as np

from morch import dtypes
from morch.tensor import Tensor, _wrap

__all__ = ["default_collate", "default_convert"]

_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_torch_tensor(x) -> bool:
    t = type(x)
    return t.__module__.split(".")[0] == "torch" and t.__name__ in ("Tensor", "Parameter") and hasattr(x, "numpy")


def _is_pil_image(x) -> bool:
    return any(c.__module__.startswith("PIL.") and c.__name__ == "Image" for c in type(x).__mro__)


def _from_torch(x) -> np.ndarray:
    return np.array(x.detach().cpu().numpy())


def _array_to_tensor(arr: np.ndarray) -> Tensor:
    if arr.dtype.kind in "USOV":
        raise TypeError(_ERR.format(arr.dtype))
    try:
        dtypes.from_numpy(arr.dtype)
    except TypeError as e:
        raise TypeError(f"default_collate: {e}") from None
    return _wrap(arr)


def _stack_tensors(batch: list) -> Tensor:
    arrays = []
    grad = False
    for i, t in enumerate(batch):
        if isinstance(t, Tensor):
            arrays.append(t._data)
            grad = grad or t._requires_grad
        elif _is_torch_tensor(t):
            arrays.append(_from_torch(t))
        else:
            raise TypeError(
                f"default_collate: element {i} of the batch is a {type(t).__name__}, not a tensor like the first"
            )
    shape = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and {list(a.shape)} "
                f"at entry {i}"
            )
    if grad:  # keep the graph, as torch.stack would
        from morch import functional

        return functional.stack([b if isinstance(b, Tensor) else _wrap(a) for b, a in zip(batch, arrays)])
    return _array_to_tensor(np.stack(arrays))


def _stack_arrays(batch: list) -> Tensor:
    shape, dtype = batch[0].shape, batch[0].dtype
    for i, a in enumerate(batch):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"default_collate: element {i} of the batch is a {type(a).__name__}, not a numpy array")
        if a.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and {list(a.shape)} "
                f"at entry {i}"
            )
    if dtype.kind in "USOV":
        raise TypeError(_ERR.format(dtype))
    return _array_to_tensor(np.stack(batch))


def default_collate(batch: list):
    """Merge a list of samples into a batch, following torch's ``default_collate``.

    Args:
        batch: the samples (all of the same structure).
    """
    if not isinstance(batch, collections.abc.Sequence) or isinstance(batch, (str, bytes)):
        batch = list(batch)
    if len(batch) == 0:
        raise ValueError("default_collate: cannot collate an empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor) or _is_torch_tensor(elem):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        return _stack_arrays(batch)
    if isinstance(elem, np.generic):
        if elem.dtype.kind in "USOV":
            raise TypeError(_ERR.format(elem.dtype))
        return _array_to_tensor(np.array(batch))
    if isinstance(elem, float):
        return _wrap(_numbers(batch, np.float64))
    if isinstance(elem, numbers.Integral):
        # as torch.tensor(batch): all ints give int64, all bools bool, and a float among them the default float
        return _wrap(_numbers(batch, None))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        for i, d in enumerate(batch):
            if not isinstance(d, collections.abc.Mapping):
                raise TypeError(f"default_collate: element {i} of the batch is a {type(d).__name__}, not a mapping")
        try:
            out = {key: default_collate([d[key] for d in batch]) for key in elem}
        except KeyError as e:
            raise KeyError(f"default_collate: key {e.args[0]!r} of the first sample is missing from another") from None
        if type(elem) is dict:
            return out
        try:
            return type(elem)(out)
        except TypeError:  # a mapping type that cannot be made from a dict
            return out
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(s) != size for s in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(c) for c in zip(*batch)]
        if isinstance(elem, tuple):
            return columns  # as torch: tuples of fields become lists
        if type(elem) is list:
            return columns
        try:
            return type(elem)(columns)
        except TypeError:
            return columns
    if _is_pil_image(elem):
        raise TypeError(
            "default_collate: the batch contains PIL images; give the dataset a transform that turns them into "
            "numpy arrays or morch tensors, e.g. transform=lambda img: np.asarray(img, dtype=np.float32) / 255"
        )
    raise TypeError(_ERR.format(type(elem)))


def _numbers(batch: list, dtype) -> np.ndarray:
    for i, x in enumerate(batch):
        if not isinstance(x, numbers.Real):
            raise TypeError(
                f"default_collate: element {i} of the batch is a {type(x).__name__}, not a number like the first"
            )
    if dtype is not None:
        return np.array(batch, dtype=dtype)
    if all(type(x) is bool for x in batch):
        return np.array(batch, dtype=np.bool_)
    if all(isinstance(x, numbers.Integral) for x in batch):
        return np.array(batch, dtype=np.int64)
    return np.array(batch, dtype=dtypes.default_float())


def default_convert(data):
    """Turn numpy arrays (and PyTorch tensors) in a sample into morch tensors, leaving everything else;
    used by the DataLoader when automatic batching is off (``batch_size=None``).

    Args:
        data: one sample.
    """
    if isinstance(data, Tensor):
        return data
    if _is_torch_tensor(data):
        return _array_to_tensor(_from_torch(data))
    if isinstance(data, np.ndarray):
        if data.dtype.kind in "USOV":
            return data
        return _array_to_tensor(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "USOV":
        return _array_to_tensor(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        out = {k: default_convert(v) for k, v in data.items()}
        if type(data) is dict:
            return out
        try:
            return type(data)(out)
        except TypeError:
            return out
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    return data
