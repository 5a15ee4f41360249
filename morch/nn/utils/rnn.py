"""Variable-length sequences for the recurrent layers: PackedSequence, packing, padding and back.

A packed batch stores only the real time steps: ``data`` holds, time step after time step, the
entries of the sequences still running at that step (sequences sorted by decreasing length), and
``batch_sizes[t]`` says how many there are. Every conversion here is one gather (an index op) or
one scatter (index_put) with positions computed in numpy, so gradients flow through all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from morch import dtypes
from morch import functional as _mf
from morch.nn._util import InputError
from morch.tensor import Tensor, _wrap

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    """A batch of variable-length sequences packed time step by time step (a named tuple).

    Made by ``pack_padded_sequence`` or ``pack_sequence`` rather than by hand; RNN, LSTM and GRU
    accept it as input and return their output in the same form. ``unsorted_indices`` is computed
    from ``sorted_indices`` when not given; ``PackedSequence((data, batch_sizes))`` also works.

    Args:
        data: (sum of lengths, *) the packed entries.
        batch_sizes: int64 tensor, how many sequences are still running at each time step.
        sorted_indices: int64 tensor, the original batch position of each sorted sequence, or None
            if the batch was already sorted by decreasing length.
        unsorted_indices: int64 tensor, the inverse permutation of ``sorted_indices``, or None.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:  # fmt: skip
        if batch_sizes is None:  # PackedSequence((data, batch_sizes))
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise TypeError("PackedSequence: expected (data, batch_sizes) or data and batch_sizes")
            data, batch_sizes = data
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """Convert ``data`` as ``Tensor.to`` does (batch_sizes and the indices keep int64); ``self`` if unchanged."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(data, *self[1:])

    def cpu(self) -> PackedSequence:
        """This packed sequence (morch tensors always live on the CPU)."""
        return self

    def double(self) -> PackedSequence:
        """``data`` cast to float64."""
        return self.to(dtype=dtypes.float64)

    def float(self) -> PackedSequence:
        """``data`` cast to float32."""
        return self.to(dtype=dtypes.float32)

    def half(self) -> PackedSequence:
        """``data`` cast to float16."""
        return self.to(dtype=dtypes.float16)

    def long(self) -> PackedSequence:
        """``data`` cast to int64."""
        return self.to(dtype=dtypes.int64)

    def int(self) -> PackedSequence:
        """``data`` cast to int32."""
        return self.to(dtype=dtypes.int32)

    @property
    def is_cuda(self) -> bool:
        """Always False: morch runs on the CPU only."""
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation (``out[permutation[i]] = i``); None stays None.

    Args:
        permutation: a 1-D int64 tensor holding a permutation of 0..n-1, or None.
    """
    if permutation is None:
        return None
    p = np.asarray(permutation._data if isinstance(permutation, Tensor) else permutation, dtype=np.int64)
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size)
    return _wrap(inv)


def _positions(batch_sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every row of packed data: its time step and its (sorted) batch position."""
    t_idx = np.repeat(np.arange(batch_sizes.size), batch_sizes)
    starts = np.cumsum(batch_sizes) - batch_sizes
    return t_idx, np.arange(t_idx.size) - np.repeat(starts, batch_sizes)


def _ints(x) -> np.ndarray:
    return np.asarray(x._data if isinstance(x, Tensor) else x).astype(np.int64)


def pack_padded_sequence(input: Tensor, lengths: Tensor | list[int], batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:  # fmt: skip
    """Pack a padded batch (T, B, *) or (B, T, *) of sequences of the given lengths.

    Entries past a sequence's length are left out (so padding never reaches an RNN). With
    ``enforce_sorted=False`` the sequences are sorted by decreasing length first (stably) and
    the permutation is kept in ``sorted_indices``. Differs from PyTorch: a length larger than
    the padded length T is an error (PyTorch reads past the end of the tensor).

    Args:
        input: the padded sequences, at least 2-D.
        lengths: the length of every sequence (a list or a 1-D integer tensor), each > 0.
        batch_first: input is (B, T, *) instead of (T, B, *).
        enforce_sorted: require lengths sorted in decreasing order instead of sorting them.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pack_padded_sequence: expected a Tensor as input, got {type(input).__name__}")
    if input.ndim < 2:
        raise InputError(f"pack_padded_sequence: expected input of at least 2 dimensions ("
                         f"{'B, T' if batch_first else 'T, B'}, *), got shape {tuple(input.shape)}")  # fmt: skip
    lens = _ints(lengths)
    steps, batch = (input.shape[1], input.shape[0]) if batch_first else (input.shape[0], input.shape[1])
    if lens.ndim != 1:
        raise InputError(f"pack_padded_sequence: 'lengths' should be 1-D, got shape {lens.shape}")
    if lens.size != batch:
        raise InputError(f"pack_padded_sequence: Expected `len(lengths)` to be equal to batch_size, but got "
                         f"{lens.size} (batch_size={batch})")  # fmt: skip
    if (lens <= 0).any():
        raise InputError("pack_padded_sequence: Length of all samples has to be greater than 0, but found an "
                         f"element in 'lengths' that is <= 0 (lengths={lens.tolist()})")  # fmt: skip
    if lens.max() > steps:
        raise InputError(f"pack_padded_sequence: lengths {lens.tolist()} exceed the padded length {steps} "
                         f"(input shape {tuple(input.shape)}, batch_first={batch_first})")  # fmt: skip
    if enforce_sorted:
        if (np.diff(lens) > 0).any():
            raise InputError("pack_padded_sequence: `lengths` array must be sorted in decreasing order when "
                             "`enforce_sorted` is True. You can pass `enforce_sorted=False` to pack_padded_sequence "
                             "and/or pack_sequence to sidestep this requirement if you do not need ONNX "
                             f"exportability (lengths={lens.tolist()}).")  # fmt: skip
        order = None
    else:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
    batch_sizes = (lens[None, :] > np.arange(lens[0])[:, None]).sum(1).astype(np.int64)
    t_idx, b_idx = _positions(batch_sizes)
    if order is not None:
        b_idx = order[b_idx]
    data = _mf.index(input, (b_idx, t_idx) if batch_first else (t_idx, b_idx))
    return PackedSequence(data, _wrap(batch_sizes), None if order is None else _wrap(order))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:  # fmt: skip
    """Undo ``pack_padded_sequence``: (padded, lengths), in the batch order the sequences had before packing.

    Args:
        sequence: the packed batch.
        batch_first: return (B, T, *) instead of (T, B, *).
        padding_value: the value of the entries past each sequence's end.
        total_length: pad to this many time steps instead of the longest length (must not be shorter).
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, got {type(sequence).__name__}")
    data, batch_sizes, _, unsorted = sequence
    bs = _ints(batch_sizes)
    steps = bs.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError("pad_packed_sequence: Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max sequence length "
                             f"being {steps}")  # fmt: skip
        steps = total_length
    batch = int(bs[0])
    lens = (bs[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)
    t_idx, b_idx = _positions(bs)
    if unsorted is not None:
        # the sequence at sorted position i goes back to where unsorted_indices points to i
        back = _ints(invert_permutation(unsorted))
        b_idx, lens = back[b_idx], lens[_ints(unsorted)]
    trail = tuple(data.shape[1:])
    shape = (batch, steps, *trail) if batch_first else (steps, batch, *trail)
    padded = _wrap(np.full(shape, padding_value, dtype=data._data.dtype))
    padded = _mf.index_put(padded, (b_idx, t_idx) if batch_first else (t_idx, b_idx), data)
    return padded, _wrap(lens)


def pad_sequence(sequences: Iterable[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:  # fmt: skip
    """Stack sequences of shapes (L_i, *) into one (T, B, *) tensor (T = the longest L_i), padded.

    The result has the first sequence's dtype; a padding value is cast to it (0.5 becomes 0 in an
    integer tensor, as in PyTorch).

    Args:
        sequences: tensors whose trailing dimensions agree.
        batch_first: return (B, T, *) instead of (T, B, *).
        padding_value: the value of the padded entries.
        padding_side: 'right' pads after each sequence, 'left' before it.
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences).__name__}")  # fmt: skip
    seqs = list(sequences)
    if not seqs:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"pad_sequence: Expected padding_side to be one of left or right, but got {padding_side}.")
    for i, s in enumerate(seqs):
        if not isinstance(s, Tensor) or s.ndim == 0:
            what = f"shape {tuple(s.shape)}" if isinstance(s, Tensor) else type(s).__name__
            raise TypeError(f"pad_sequence: every sequence must be a tensor of at least 1 dimension, got {what} "
                            f"at position {i}")  # fmt: skip
        if tuple(s.shape[1:]) != tuple(seqs[0].shape[1:]):
            raise InputError(f"pad_sequence: every sequence must have the trailing shape {tuple(seqs[0].shape[1:])} "
                             f"of the first, got shape {tuple(s.shape)} at position {i}")  # fmt: skip
    dtype = seqs[0].dtype
    lens = np.array([s.shape[0] for s in seqs], dtype=np.int64)
    steps = int(lens.max())
    b_idx = np.repeat(np.arange(lens.size), lens)
    t_idx = np.arange(b_idx.size) - np.repeat(np.cumsum(lens) - lens, lens)
    if padding_side == "left":
        t_idx = t_idx + np.repeat(steps - lens, lens)
    trail = tuple(seqs[0].shape[1:])
    shape = (lens.size, steps, *trail) if batch_first else (steps, lens.size, *trail)
    padded = _wrap(np.full(shape, padding_value, dtype=seqs[0]._data.dtype))
    data = _mf.cat([s if s.dtype == dtype else s.type(dtype) for s in seqs])
    return _mf.index_put(padded, (b_idx, t_idx) if batch_first else (t_idx, b_idx), data)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor | list[int], batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into its sequences (the first ``lengths[i]`` steps of each).

    Differs from PyTorch: the input is not transposed in place as a side effect.

    Args:
        padded_sequences: (T, B, *), or (B, T, *) with batch_first.
        lengths: the length of every sequence (a list or a 1-D integer tensor).
        batch_first: the input is (B, T, *).
    """
    lens = _ints(lengths).reshape(-1)
    if padded_sequences.ndim < 2:
        raise InputError(f"unpad_sequence: expected padded sequences of at least 2 dimensions, "
                         f"got shape {tuple(padded_sequences.shape)}")  # fmt: skip
    steps, batch = padded_sequences.shape[:2][:: -1 if batch_first else 1]
    if lens.size != batch or (lens > steps).any() or (lens < 0).any():
        raise InputError(
            f"unpad_sequence: lengths {lens.tolist()} do not fit a batch of {batch} sequences of {steps} steps "
            f"(shape {tuple(padded_sequences.shape)}, batch_first={batch_first})"
        )
    if batch_first:
        return [padded_sequences[b, : int(n)] for b, n in enumerate(lens)]
    return [padded_sequences[: int(n), b] for b, n in enumerate(lens)]


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences of shapes (L_i, *): ``pad_sequence`` then ``pack_padded_sequence``.

    Args:
        sequences: tensors whose trailing dimensions agree, longest first unless enforce_sorted is False.
        enforce_sorted: require decreasing lengths instead of sorting them.
    """
    padded = pad_sequence(sequences)
    return pack_padded_sequence(padded, [s.shape[0] for s in sequences], enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The sequences of a packed batch as a list of (L_i, *) tensors, in their original order.

    Args:
        packed_sequences: the packed batch.
    """
    if not isinstance(packed_sequences, PackedSequence):
        raise TypeError(f"unpack_sequence: expected a PackedSequence, got {type(packed_sequences).__name__}")
    data, batch_sizes, _, unsorted = packed_sequences
    bs = _ints(batch_sizes)
    starts = np.cumsum(bs) - bs
    lens = (bs[None, :] > np.arange(bs[0])[:, None]).sum(1)
    order = range(int(bs[0])) if unsorted is None else _ints(unsorted)
    # the sequence at sorted position i owns row starts[t] + i of every step t it is running at
    return [_mf.index(data, starts[: lens[i]] + i) for i in order]
