"""DataLoader: iterate over a dataset in (shuffled) batches, as ``torch.utils.data.DataLoader``.

Everything runs in the calling process: ``num_workers > 0`` is accepted with a warning and
loads in-process (morch's samples are numpy arrays, so worker processes would mostly copy).
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from morch.random import Generator
from morch.utils.data.collate import default_collate, default_convert
from morch.utils.data.dataset import Dataset, IterableDataset
from morch.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]


def get_worker_info() -> None:
    """Information about the current loader worker: always None, as morch loads in the calling process."""
    return None


class DataLoader:
    """Combine a dataset and a sampler into an iterable over batches.

    Args:
        dataset: a map-style ``Dataset`` (anything with ``__getitem__`` and ``__len__``) or an
            ``IterableDataset``.
        batch_size: samples per batch; None turns automatic batching off (each sample goes
            through ``default_convert``, or ``collate_fn`` if given).
        shuffle: reshuffle the data at every epoch (map-style datasets only).
        sampler: the order of indices (excludes ``shuffle``).
        batch_sampler: yields lists of indices (excludes ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``).
        num_workers: accepted; values > 0 warn and load in the calling process.
        collate_fn: merges a list of samples into a batch (default: ``default_collate``).
        pin_memory: accepted and ignored (CPU only).
        drop_last: drop the last batch if it is incomplete.
        timeout: must be >= 0; unused in-process.
        worker_init_fn: accepted; never called, as there are no workers.
        multiprocessing_context: accepted and ignored.
        generator: random generator of the default ``RandomSampler`` when ``shuffle=True``.
        prefetch_factor: only valid with ``num_workers > 0`` (as torch); ignored.
        persistent_workers: only valid with ``num_workers > 0`` (as torch); ignored.
        pin_memory_device: accepted and ignored.
        in_order: accepted; batches always come in order.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context=None,
        generator: Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing. Let num_workers > 0 to enable "
                "multiprocessing, otherwise set prefetch_factor to None."
            )
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if num_workers > 0:
            warnings.warn(
                f"DataLoader: num_workers={num_workers} is not supported by morch; loading in the main process",
                UserWarning,
                stacklevel=2,
            )
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"generator must be a morch.Generator, got {type(generator).__name__}")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.generator = generator

        iterable = isinstance(dataset, IterableDataset)
        self._iterable = iterable
        if iterable:
            if shuffle not in (None, False):
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler option, but got "
                    f"batch_sampler={batch_sampler}"
                )
        elif not hasattr(dataset, "__getitem__"):
            raise TypeError(
                f"DataLoader: dataset must be a map-style dataset (with __getitem__) or an IterableDataset, "
                f"got {type(dataset).__name__}"
            )
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None:
            if drop_last:
                raise ValueError(
                    "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
                )
        elif isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")

        if sampler is None and not iterable:
            if not hasattr(dataset, "__len__"):
                raise TypeError(
                    f"DataLoader: the dataset ({type(dataset).__name__}) has no __len__, which the default samplers "
                    "need; give a sampler, or make it an IterableDataset"
                )
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    def __iter__(self) -> Iterator:
        if self._iterable:
            return self._iter_stream()
        return self._iter_map()

    def _iter_map(self) -> Iterator:
        dataset, collate = self.dataset, self.collate_fn
        if self.batch_sampler is not None:
            getitems = getattr(dataset, "__getitems__", None)
            # fast path: rows of a TensorDataset batched with one fancy index per tensor
            fast = getattr(dataset, "_default_collated", None) if collate is default_collate else None
            for indices in self.batch_sampler:
                if fast is not None:
                    batch = fast(indices)
                    if batch is not None:
                        yield batch
                        continue
                samples = getitems(indices) if callable(getitems) else [dataset[i] for i in indices]
                yield collate(samples)
        else:
            for i in self.sampler:
                yield collate(dataset[i])

    def _iter_stream(self) -> Iterator:
        collate = self.collate_fn
        if self.batch_size is None:
            for sample in self.dataset:
                yield collate(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield collate(batch)
                batch = []
        if batch and not self.drop_last:
            yield collate(batch)

    def __len__(self) -> int:
        if self._iterable:
            try:
                n = len(self.dataset)
            except TypeError:
                raise TypeError(
                    f"DataLoader over an IterableDataset ({type(self.dataset).__name__}) without __len__ has no length"
                ) from None
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)
