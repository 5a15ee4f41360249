"""``SummaryWriter``: TensorBoard event files (scalars, histograms, text) written with numpy and the
standard library only; the file format lives in ``_proto.py``."""

from __future__ import annotations

import itertools
import os
import socket
import time
from datetime import datetime

import numpy as np

from morch.utils.tensorboard import _proto

__all__ = ["SummaryWriter", "FileWriter"]

_FILE_VERSION = "brain.Event:2"
_file_counter = itertools.count()


def _tensorflow_bins() -> list:
    """TensorBoard's default histogram edges: +-1e-12 growing by 10% up to 1e20, and 0."""
    v, positive = 1e-12, []
    while v < 1e20:
        positive.append(v)
        v *= 1.1
    return [-b for b in reversed(positive)] + [0] + positive


_DEFAULT_BINS = _tensorflow_bins()


def _to_numpy(values) -> np.ndarray:
    from morch.tensor import Tensor

    if isinstance(values, Tensor):
        return values.detach().numpy()
    return np.asarray(values)


def _scalar(op: str, value) -> float:
    arr = _to_numpy(value)
    if arr.size != 1:
        raise ValueError(f"{op}: the value must hold one element, got shape {tuple(arr.shape)}")
    return float(arr.reshape(()))


class FileWriter:
    """Appends framed events to one new event file in ``log_dir``; buffered and written out every
    ``max_queue`` events, when ``flush_secs`` have passed at an add, and at ``flush``/``close``.

    Args:
        log_dir: the directory (created if missing).
        max_queue: events held before writing them out.
        flush_secs: seconds after which an add writes the buffer out.
        filename_suffix: appended to the file name.
    """

    def __init__(self, log_dir, max_queue: int = 10, flush_secs: float = 120, filename_suffix: str = "") -> None:
        self._log_dir = str(log_dir)
        os.makedirs(self._log_dir, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}.{next(_file_counter)}"
        self.path = os.path.join(self._log_dir, name + filename_suffix)
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed by close()
        self._queue: list = []
        self._max_queue, self._flush_secs = max_queue, flush_secs
        self._last_flush = time.time()
        self.add_event(_proto.event(time.time(), file_version=_FILE_VERSION))
        self.flush()

    def get_logdir(self) -> str:
        """The directory this writer writes to."""
        return self._log_dir

    def add_event(self, event: bytes) -> None:
        """Queue one encoded ``Event``.

        Args:
            event: the encoded message (see ``_proto.event``).
        """
        if self._file is None:
            raise RuntimeError(f"FileWriter: {self.path} is closed")
        self._queue.append(_proto.frame_record(event))
        if len(self._queue) >= self._max_queue or time.time() - self._last_flush >= self._flush_secs:
            self.flush()

    def add_summary(self, summary: bytes, global_step=None, walltime=None) -> None:
        """Queue an ``Event`` holding an encoded ``Summary``.

        Args:
            summary: the encoded ``Summary``.
            global_step: the step (0 when None).
            walltime: seconds since the epoch (now when None).
        """
        wall = time.time() if walltime is None else float(walltime)
        step = 0 if global_step is None else int(global_step)
        self.add_event(_proto.event(wall, step, summary=summary))

    def flush(self) -> None:
        """Write the queued events to disk."""
        if self._file is None:
            return
        self._file.write(b"".join(self._queue))
        self._file.flush()
        self._queue.clear()
        self._last_flush = time.time()

    def close(self) -> None:
        """Flush and close the file; later adds raise."""
        if self._file is not None:
            self.flush()
            self._file.close()
            self._file = None


def _histogram(values: np.ndarray, bins, max_bins) -> tuple:
    """``(min, max, num, sum, sum_squares, limits, counts)``: the histogram cut to the bins from the
    first to the last non-empty one, plus one empty bin on the left (TensorBoard keeps right edges)."""
    values = values.reshape(-1).astype(np.float64)
    if values.size == 0:
        raise ValueError("add_histogram: the input has no element")
    if not np.isfinite(values).all():
        raise ValueError("add_histogram: the input holds NaN or infinite values")
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        group = len(counts) // max_bins
        counts = np.pad(counts, (0, -len(counts) % group)).reshape(-1, group).sum(axis=1)
        limits = np.append(limits[:-1:group], limits[-1])
    nonzero = np.flatnonzero(counts)
    if nonzero.size == 0:
        raise ValueError(f"add_histogram: no value falls inside the bins [{limits[0]}, {limits[-1]}]")
    first, last = int(nonzero[0]), int(nonzero[-1])
    if first > 0:
        counts = counts[first - 1 : last + 1]
    else:
        counts = np.concatenate([[0], counts[: last + 1]])
    limits = limits[first : last + 2]
    stats = (values.min(), values.max(), values.size, values.sum(), values.dot(values))
    return stats + (limits, counts)


def _unsupported(name: str):
    def method(self, *args, **kwargs):
        raise NotImplementedError(
            f"SummaryWriter.{name} is not supported in morch; morch writes scalars (add_scalar, add_scalars), "
            "histograms (add_histogram, add_histogram_raw) and text (add_text)"
        )

    method.__name__ = name
    method.__doc__ = "Not supported in morch: raises NotImplementedError."
    return method


class SummaryWriter:
    """Writes TensorBoard event files: scalars, histograms and text, with no dependency.

    Args:
        log_dir: the directory; default ``runs/<Mon><day>_<H-M-S>_<hostname><comment>``.
        comment: appended to the default ``log_dir`` (ignored when ``log_dir`` is given).
        purge_step: when given, the first file starts with a START log at this step, so TensorBoard
            hides events of an earlier run from this step on.
        max_queue: events held before writing them out.
        flush_secs: seconds after which an add writes the buffer out.
        filename_suffix: appended to every event file's name.
    """

    def __init__(
        self,
        log_dir=None,
        comment: str = "",
        purge_step=None,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
    ) -> None:
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = str(log_dir)
        self.purge_step = purge_step
        self.max_queue, self.flush_secs, self.filename_suffix = max_queue, flush_secs, filename_suffix
        self.default_bins = _DEFAULT_BINS
        self.file_writer = self.all_writers = None
        self._get_file_writer()

    def _new_file_writer(self, log_dir) -> FileWriter:
        return FileWriter(log_dir, self.max_queue, self.flush_secs, self.filename_suffix)

    def _get_file_writer(self) -> FileWriter:
        """The main FileWriter, created again after ``close``."""
        if self.file_writer is None:
            self.file_writer = self._new_file_writer(self.log_dir)
            self.all_writers = {self.log_dir: self.file_writer}
            if self.purge_step is not None:
                step, now = int(self.purge_step), time.time()
                self.file_writer.add_event(_proto.event(now, step, file_version=_FILE_VERSION))
                self.file_writer.add_event(_proto.event(now, step, session_log=_proto.session_log_start()))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self) -> str:
        """The directory event files are written to."""
        return self.log_dir

    def add_scalar(
        self,
        tag: str,
        scalar_value,
        global_step=None,
        walltime=None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        """Record one number (stored as float32 ``simple_value``).

        Args:
            tag: the series name.
            scalar_value: a number, a one-element tensor or a numpy scalar/array.
            global_step: the step (0 when None).
            walltime: seconds since the epoch (now when None).
            new_style: must be False (the tensor form is not supported).
            double_precision: ignored (only used with ``new_style``).
        """
        if new_style:
            raise NotImplementedError("SummaryWriter.add_scalar: new_style=True is not supported in morch")
        value = _scalar("add_scalar", scalar_value)
        summary = _proto.summary(_proto.scalar_value(tag, value))
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None, walltime=None) -> None:
        """Record several numbers in one chart: each key goes to its own run, the subdirectory
        ``<log_dir>/<main_tag with / as _>_<key>``, under the tag ``main_tag``.

        Args:
            main_tag: the chart's tag.
            tag_scalar_dict: ``{name: value}``.
            global_step: the step (0 when None).
            walltime: seconds since the epoch (now when None), shared by all values.
        """
        walltime = time.time() if walltime is None else walltime
        base = self._get_file_writer().get_logdir()
        for tag, scalar_value in tag_scalar_dict.items():
            value = _scalar("add_scalars", scalar_value)
            sub_dir = base + "/" + main_tag.replace("/", "_") + "_" + tag
            if sub_dir not in self.all_writers:
                self.all_writers[sub_dir] = self._new_file_writer(sub_dir)
            summary = _proto.summary(_proto.scalar_value(main_tag, value))
            self.all_writers[sub_dir].add_summary(summary, global_step, walltime)

    def add_histogram(self, tag: str, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """Record the histogram of ``values``.

        Args:
            tag: the series name.
            values: a tensor, array or sequence of numbers (flattened).
            global_step: the step (0 when None).
            bins: ``'tensorflow'`` (TensorBoard's exponential edges), or anything ``numpy.histogram``
                takes: a bin count, an edge sequence or a rule name like ``'auto'`` or ``'fd'``.
            walltime: seconds since the epoch (now when None).
            max_bins: when given, neighbouring bins are merged to stay at most about this many.
        """
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        stats = _histogram(_to_numpy(values), bins, max_bins)
        summary = _proto.summary(_proto.histogram_value(tag, *stats))
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_histogram_raw(
        self,
        tag: str,
        min,
        max,
        num,
        sum,
        sum_squares,
        bucket_limits,
        bucket_counts,
        global_step=None,
        walltime=None,
    ) -> None:
        """Record a histogram already computed.

        Args:
            tag: the series name.
            min, max, num, sum, sum_squares: the statistics of the values.
            bucket_limits: each bucket's right edge.
            bucket_counts: how many values each bucket holds (as many as ``bucket_limits``).
            global_step: the step (0 when None).
            walltime: seconds since the epoch (now when None).
        """
        limits, counts = list(_to_numpy(bucket_limits).reshape(-1)), list(_to_numpy(bucket_counts).reshape(-1))
        if len(limits) != len(counts):
            raise ValueError(
                f"add_histogram_raw: bucket_limits has {len(limits)} entries but bucket_counts has {len(counts)}"
            )
        value = _proto.histogram_value(tag, min, max, num, sum, sum_squares, limits, counts)
        self._get_file_writer().add_summary(_proto.summary(value), global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        """Record a (markdown) string for TensorBoard's text tab, under the tag ``<tag>/text_summary``.

        Args:
            tag: the series name.
            text_string: the text.
            global_step: the step (0 when None).
            walltime: seconds since the epoch (now when None).
        """
        if not isinstance(text_string, str):
            raise TypeError(f"add_text: text_string must be a str, got {type(text_string).__name__}")
        summary = _proto.summary(_proto.text_value(tag + "/text_summary", text_string))
        self._get_file_writer().add_summary(summary, global_step, walltime)

    add_hparams = _unsupported("add_hparams")
    add_tensor = _unsupported("add_tensor")
    add_image = _unsupported("add_image")
    add_images = _unsupported("add_images")
    add_image_with_boxes = _unsupported("add_image_with_boxes")
    add_figure = _unsupported("add_figure")
    add_video = _unsupported("add_video")
    add_audio = _unsupported("add_audio")
    add_graph = _unsupported("add_graph")
    add_onnx_graph = _unsupported("add_onnx_graph")
    add_embedding = _unsupported("add_embedding")
    add_pr_curve = _unsupported("add_pr_curve")
    add_pr_curve_raw = _unsupported("add_pr_curve_raw")
    add_custom_scalars = _unsupported("add_custom_scalars")
    add_custom_scalars_multilinechart = _unsupported("add_custom_scalars_multilinechart")
    add_custom_scalars_marginchart = _unsupported("add_custom_scalars_marginchart")
    add_mesh = _unsupported("add_mesh")

    def flush(self) -> None:
        """Write every writer's queued events to disk."""
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self) -> None:
        """Flush and close every event file; a later add starts a new file."""
        for writer in (self.all_writers or {}).values():
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> None:
        self.close()
