"""Samplers: the order in which a DataLoader visits dataset indices, as ``torch.utils.data``."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator, Sequence, Sized

import numpy as np

from morch.random import Generator, _gen

__all__ = [
    "DistributedSampler",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]


def _rng(generator: Generator | None) -> np.random.Generator:
    """The numpy generator for one pass: ``generator``'s own, or (as torch) a fresh one seeded
    from the default generator, so ``morch.manual_seed`` fixes the order of every epoch."""
    if generator is not None:
        if not isinstance(generator, Generator):
            raise TypeError(f"generator must be a morch.Generator, got {type(generator).__name__}")
        return generator._rng
    return np.random.default_rng(int(_gen(None).integers(2**63)))


class Sampler:
    """Base class of samplers: iterate over dataset indices (or lists of indices)."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__}.__iter__ is not implemented")


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1, in order.

    Args:
        data_source: the dataset (anything with a length).
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order: a permutation, or ``num_samples`` draws with replacement.

    Args:
        data_source: the dataset (anything with a length).
        replacement: draw with replacement.
        num_samples: number of indices per pass (default: the dataset's length).
        generator: the random generator (default: a new seed from the default generator each pass).
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if isinstance(self.num_samples, bool) or not isinstance(self.num_samples, numbers.Integral):
            raise TypeError(f"num_samples should be an integer, but got num_samples={self.num_samples!r}")
        if self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        rng = _rng(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, self.num_samples).tolist())
        # several permutations when more samples than items are asked for, as torch
        full, rest = divmod(self.num_samples, n)
        parts = [rng.permutation(n) for _ in range(full)]
        if rest:
            parts.append(rng.permutation(n)[:rest])
        return iter(np.concatenate(parts).tolist() if parts else [])

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in random order.

    Args:
        indices: the indices to sample from.
        generator: the random generator (default: a new seed from the default generator each pass).
    """

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in _rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Indices 0..len(weights)-1 drawn with probabilities proportional to ``weights``.

    Args:
        weights: one non-negative weight per index (they need not sum to one).
        num_samples: number of indices per pass.
        replacement: draw with replacement (without it, ``num_samples`` <= number of weights).
        generator: the random generator (default: a new seed from the default generator each pass).
    """

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: Generator | None = None,
    ) -> None:
        if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        w = np.asarray(weights._data if hasattr(weights, "_data") else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}")
        if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(
                f"cannot draw {num_samples} samples without replacement from {np.count_nonzero(w)} non-zero weights"
            )
        self.weights = w
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        p = self.weights / self.weights.sum()
        rng = _rng(self.generator)
        return iter(rng.choice(len(p), self.num_samples, replace=self.replacement, p=p).tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of another sampler into lists of ``batch_size``.

    Args:
        sampler: any iterable of indices.
        batch_size: size of each batch.
        drop_last: drop the last batch if it is smaller than ``batch_size``.
    """

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch = []
        size = self.batch_size
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class DistributedSampler(Sampler):
    """The share of a dataset that one of ``num_replicas`` processes reads, as PyTorch's: every
    process shuffles with the same seed (plus the epoch set by ``set_epoch``), the list is padded
    (or cut, with ``drop_last``) to a multiple of ``num_replicas``, and rank r takes every
    ``num_replicas``-th index from r. morch has no process group, so ``num_replicas`` and ``rank``
    must be given.

    Args:
        dataset: the dataset.
        num_replicas: the number of processes.
        rank: this process's index.
        shuffle: shuffle the indices (each epoch differently).
        seed: the shuffling seed, the same in every process.
        drop_last: cut the tail instead of padding it with repeated indices.
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:  # fmt: skip
        if num_replicas is None or rank is None:
            raise RuntimeError("DistributedSampler: morch has no process group; pass num_replicas and rank")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = n // num_replicas
        else:
            self.num_samples = -(-n // num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            while padding > 0:
                indices += indices[:padding]
                padding = self.total_size - len(indices)
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration's shuffle depend on ``epoch`` (call it before each epoch)."""
        self.epoch = epoch
