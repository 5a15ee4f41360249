"""Datasets: map-style (``Dataset``) and iterable ones, and ways to combine and split them."""

from __future__ import annotations

import bisect
import itertools
import math
import numbers
import warnings
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from morch.random import Generator, _gen
from morch.tensor import Tensor, _wrap

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "ChainDataset",
    "StackDataset",
    "random_split",
]


class Dataset:
    """A map-style dataset: ``dataset[i]`` is sample i. Subclasses define ``__getitem__`` and usually
    ``__len__`` (the DataLoader's default samplers need it). ``a + b`` concatenates datasets."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses define ``__iter__``. The DataLoader reads it in order
    (samplers and shuffling do not apply). ``a + b`` chains the streams."""

    def __iter__(self) -> Iterator:
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} is an IterableDataset: it is iterated, not indexed")

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows of tensors: ``dataset[i] == tuple(t[i] for t in tensors)``.

    Args:
        *tensors: tensors with the same size of the first dimension.
    """

    def __init__(self, *tensors: Tensor) -> None:
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset expects morch Tensors, but argument {i} is {type(t).__name__}")
            if t.dim() == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-dimensional and has no samples to index")
        if tensors and any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            sizes = [t.shape[0] for t in tensors]
            raise ValueError(f"Size mismatch between tensors: first dimensions are {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(_row(t, index) for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0] if self.tensors else 0

    def _default_collated(self, indices: list[int]) -> list[Tensor] | None:
        """What ``default_collate([self[i] for i in indices])`` gives, with one fancy index per tensor
        (the DataLoader's fast path), or None when autograd must see the indexing."""
        if type(self).__getitem__ is not TensorDataset.__getitem__:  # a subclass may transform samples
            return None
        if not self.tensors or any(t._requires_grad for t in self.tensors):
            return None
        n = len(self)
        idx = np.asarray(indices, dtype=np.int64)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            bad = idx[(idx < -n) | (idx >= n)][0]
            raise IndexError(f"index {bad} is out of bounds for a dataset of size {n}")
        return [_wrap(t._data[idx]) for t in self.tensors]


def _row(t: Tensor, index) -> Tensor:
    # a sample of a tensor that needs no graph is a view of its array: no autograd dispatch per sample
    if not t._requires_grad and isinstance(index, numbers.Integral):
        n = t._data.shape[0]
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of bounds for a dataset of size {n}")
        return _wrap(t._data[index])
    return t[index]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset: the whole dataset.
        indices: indices into it.
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list:
        inner = getattr(self.dataset, "__getitems__", None)
        if callable(inner):
            return inner([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several map-style datasets one after the other.

    Args:
        datasets: the datasets to concatenate (not iterable-style ones).
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += n
        if idx >= n:
            raise IndexError(f"index {idx} is out of range for a ConcatDataset of length {n}")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


class StackDataset(Dataset):
    """Datasets of the same length side by side: item i is the tuple (or, with keyword datasets,
    the dict) of their items i, as ``torch.utils.data.StackDataset``.

    Args:
        args: datasets, combined into tuples.
        kwargs: named datasets, combined into dicts (use one form or the other).
    """

    def __init__(self, *args, **kwargs) -> None:
        if args and kwargs:
            raise ValueError(
                "Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like input/output, "
                "but both types are given."
            )
        sets = list(args) if args else list(kwargs.values())
        if not sets:
            raise ValueError("At least one dataset should be passed")
        lengths = {len(d) for d in sets}
        if len(lengths) != 1:
            raise ValueError("Size mismatch between datasets")
        self._length = lengths.pop()
        self.datasets = tuple(args) if args else dict(kwargs)

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


class ChainDataset(IterableDataset):
    """Several iterable datasets read one after the other.

    Args:
        datasets: the iterable datasets to chain.
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator: Generator | None = None) -> list[Subset]:
    """Split a dataset at random into non-overlapping subsets of the given lengths.

    Lengths may be counts that add up to ``len(dataset)``, or fractions that add up to 1: each
    fraction then gets ``floor(fraction * len(dataset))`` items and the remainder is given out
    one item at a time, round robin, as torch does.

    Args:
        dataset: the dataset to split.
        lengths: the lengths (or fractions) of the splits.
        generator: the random generator (default: the default generator, so ``morch.manual_seed`` applies).
    """
    lengths = list(lengths)
    n = len(dataset)
    for i, x in enumerate(lengths):
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"random_split: lengths must be integers or fractions that sum to 1, got {x!r} at {i}")
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.", stacklevel=2
                )
        lengths = counts
    for i, x in enumerate(lengths):
        if not isinstance(x, numbers.Integral):
            raise TypeError(f"random_split: lengths must be integers or fractions that sum to 1, got {x!r} at {i}")
        if x < 0:
            raise ValueError(f"random_split: length at index {i} is negative ({x})")
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"generator must be a morch.Generator, got {type(generator).__name__}")
    perm = _gen(generator).permutation(n).tolist()
    ends = list(itertools.accumulate(lengths))
    return [Subset(dataset, perm[end - length : end]) for end, length in zip(ends, lengths)]
