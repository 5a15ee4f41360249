"""morch.utils.tensorboard: CRC32C and TFRecord framing, event files read back with our own reader and,
when installed, with tensorboard's EventAccumulator; histograms compared with torch's writer."""

from __future__ import annotations

import glob
import os
import struct

import numpy as np
import pytest

import morch
from helpers import requires_torch
from morch.utils.tensorboard import SummaryWriter, _proto

try:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
except ImportError:  # pragma: no cover - optional
    EventAccumulator = None

requires_tensorboard = pytest.mark.skipif(EventAccumulator is None, reason="tensorboard not installed")


def _events(log_dir):
    (path,) = glob.glob(os.path.join(str(log_dir), "events.out.tfevents.*"))
    return _proto.read_events(path)


def _values(log_dir):
    """[(step, tag, kind, value)] of every summary value in the one event file of log_dir."""
    return [(e["step"], *v) for e in _events(log_dir) for v in e.get("values", [])]


def test_crc32c_known_vectors():
    assert _proto.crc32c(b"123456789") == 0xE3069283
    assert _proto.crc32c(b"") == 0
    assert _proto.crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720 test vector
    crc = _proto.crc32c(b"abc")
    assert _proto.masked_crc32c(b"abc") == ((((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF)


def test_framing_round_trip_and_corruption_detected():
    raw = _proto.frame_record(b"hello") + _proto.frame_record(b"")
    assert struct.unpack("<Q", raw[:8])[0] == 5
    assert _proto.read_records(raw) == [b"hello", b""]
    bad = bytearray(raw)
    bad[13] ^= 1
    with pytest.raises(ValueError, match="bad data checksum"):
        _proto.read_records(bytes(bad))
    with pytest.raises(ValueError, match="truncated"):
        _proto.read_records(raw[:-3])


def test_varint_encoding_of_negative_and_large_steps():
    for step in (0, 1, 300, 2**40, -1, -(2**40)):
        event = _proto.event(1.5, step)
        fields = _proto.decode_message(event)
        got = fields.get(2, [0])[0]
        assert got - (got >> 63 << 64) == step
    assert len(_proto.field_varint(2, -1)) == 11  # key + ten bytes


def test_scalars_read_back(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", 1.25, 0)
        w.add_scalar("loss", morch.tensor(0.5), 1)
        w.add_scalar("loss", np.float64(0.25), global_step=2, walltime=123.0)
        w.add_scalar("acc", morch.tensor([0.75], requires_grad=True), 3)
    events = _events(tmp_path)
    assert events[0]["file_version"] == "brain.Event:2"
    assert events[3]["wall_time"] == 123.0
    assert _values(tmp_path) == [
        (0, "loss", "scalar", 1.25),
        (1, "loss", "scalar", 0.5),
        (2, "loss", "scalar", 0.25),
        (3, "acc", "scalar", 0.75),
    ]


def test_file_name_and_default_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1", filename_suffix=".x")
    try:
        assert w.get_logdir().startswith("runs" + os.sep) and w.get_logdir().endswith("_lr0.1")
        (name,) = os.listdir(w.get_logdir())
        parts = name.split(".")
        assert name.startswith("events.out.tfevents.") and name.endswith(".x")
        assert parts[3].isdigit() and len(parts[3]) == 10 and str(os.getpid()) in parts
    finally:
        w.close()


def test_add_scalars_writes_one_run_per_key(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalars("run/a", {"x": 1.0, "y": 2.0}, 5)
        w.add_scalars("run/a", {"x": 3.0, "y": 4.0}, 6)
    assert sorted(os.listdir(tmp_path))[-2:] == ["run_a_x", "run_a_y"]
    assert _values(tmp_path / "run_a_x") == [(5, "run/a", "scalar", 1.0), (6, "run/a", "scalar", 3.0)]
    assert _values(tmp_path / "run_a_y") == [(5, "run/a", "scalar", 2.0), (6, "run/a", "scalar", 4.0)]


def test_histogram_statistics_and_buckets(tmp_path):
    x = np.random.randn(500)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("w", morch.tensor(x), 1)
        w.add_histogram("w10", x, 1, bins=10)
    (_, _, _, h), (_, _, _, h10) = _values(tmp_path)
    for hist in (h, h10):
        assert hist["num"] == 500 and hist["min"] == x.min() and hist["max"] == x.max()
        assert np.isclose(hist["sum"], x.sum()) and np.isclose(hist["sum_squares"], x @ x)
        assert sum(hist["bucket"]) == 500 and hist["bucket"][0] == 0
        assert len(hist["bucket"]) == len(hist["bucket_limit"])
    counts, edges = np.histogram(x, bins=10)
    assert h10["bucket"] == [0.0] + counts.tolist() and h10["bucket_limit"] == edges.tolist()


def test_histogram_max_bins_and_raw(tmp_path):
    x = np.arange(100.0)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("m", x, bins=20, max_bins=6)
        w.add_histogram_raw("r", 0, 3, 4, 6, 14, [1, 2, 3], [2, 1, 1], global_step=7)
    (_, _, _, m), (step, tag, _, r) = _values(tmp_path)
    assert len(m["bucket"]) <= 8 and sum(m["bucket"]) == 100
    assert (step, tag, r["bucket_limit"], r["bucket"], r["sum_squares"]) == (7, "r", [1, 2, 3], [2, 1, 1], 14)


def test_text_read_back(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_text("notes", "héllo *world*", 2)
    assert _values(tmp_path) == [(2, "notes/text_summary", "text", "héllo *world*")]


def test_purge_step_and_reopen_after_close(tmp_path):
    w = SummaryWriter(tmp_path, purge_step=10)
    w.close()
    events = _events(tmp_path)
    assert events[1]["step"] == 10 and events[1]["file_version"] == "brain.Event:2"
    assert events[2]["step"] == 10 and events[2]["session_log"] == 1
    w.add_scalar("a", 1.0)  # a new file after close
    w.close()
    assert len(glob.glob(str(tmp_path / "events.out.tfevents.*"))) == 2


def test_queue_and_flush(tmp_path):
    w = SummaryWriter(tmp_path, max_queue=3)
    w.add_scalar("a", 1.0, 0)
    assert len(_events(tmp_path)) == 1  # only the file-version event so far
    w.add_scalar("a", 1.0, 1)
    w.add_scalar("a", 1.0, 2)
    assert len(_events(tmp_path)) == 4
    w.add_scalar("a", 1.0, 3)
    w.flush()
    assert len(_events(tmp_path)) == 5
    w.close()


def test_errors(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match=r"add_scalar: the value must hold one element, got shape \(2,\)"):
            w.add_scalar("a", [1.0, 2.0])
        with pytest.raises(ValueError, match="add_histogram: the input has no element"):
            w.add_histogram("h", np.zeros(0))
        with pytest.raises(ValueError, match="add_histogram: the input holds NaN"):
            w.add_histogram("h", np.array([1.0, np.nan]))
        with pytest.raises(ValueError, match="bucket_limits has 2 entries but bucket_counts has 1"):
            w.add_histogram_raw("r", 0, 1, 1, 1, 1, [0, 1], [1])
        with pytest.raises(TypeError, match="add_text: text_string must be a str"):
            w.add_text("t", 3)
        with pytest.raises(NotImplementedError, match="add_image is not supported in morch; morch writes scalars"):
            w.add_image("img", np.zeros((3, 2, 2)))
        with pytest.raises(NotImplementedError, match="add_hparams"):
            w.add_hparams({"lr": 0.1}, {"loss": 1.0})
        with pytest.raises(NotImplementedError, match="new_style"):
            w.add_scalar("a", 1.0, new_style=True)


@requires_tensorboard
def test_event_accumulator_reads_our_files(tmp_path):
    x = np.random.randn(200)
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_histogram("weights", x, 4)
        w.add_text("note", "hi", 5)
    acc = EventAccumulator(str(tmp_path), size_guidance={"tensors": 0})
    acc.Reload()
    assert acc.Tags()["scalars"] == ["loss"] and acc.Tags()["histograms"] == ["weights"]
    scalars = acc.Scalars("loss")
    assert [s.step for s in scalars] == [0, 1, 2]
    assert np.allclose([s.value for s in scalars], [1.0, 0.5, 1 / 3])
    (hist,) = acc.Histograms("weights")
    assert hist.step == 4 and hist.histogram_value.num == 200 and hist.histogram_value.max == x.max()
    (text,) = acc.Tensors("note/text_summary")
    assert text.step == 5 and text.tensor_proto.string_val == [b"hi"]
    assert acc.SummaryMetadata("note/text_summary").plugin_data.plugin_name == "text"


@requires_tensorboard
@requires_torch
@pytest.mark.parametrize("bins", ["tensorflow", 7, "auto"])
def test_same_records_as_torch(tmp_path, bins):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    x = np.random.randn(300) * 3
    for lib, writer in (("m", SummaryWriter), ("t", TorchWriter)):
        with writer(tmp_path / lib) as w:
            w.add_histogram("h", x, 3, bins=bins, walltime=1.0)
            w.add_scalar("s", 0.1, 2, walltime=1.0)
            w.add_text("t", "txt", 1, walltime=1.0)
    ours, theirs = _values(tmp_path / "m"), _values(tmp_path / "t")
    assert len(ours) == len(theirs) == 3
    for a, b in zip(ours, theirs):
        assert a[:3] == b[:3]
        if a[2] == "histogram":
            assert a[3]["bucket"] == b[3]["bucket"] and a[3]["bucket_limit"] == b[3]["bucket_limit"]
            assert np.isclose(a[3]["sum_squares"], b[3]["sum_squares"])
        else:
            assert a[3] == b[3]
    (m_file,) = glob.glob(str(tmp_path / "m" / "events*"))
    (t_file,) = glob.glob(str(tmp_path / "t" / "events*"))
    records = []
    for path in (m_file, t_file):
        with open(path, "rb") as f:
            records.append(_proto.read_records(f.read()))
    assert records[0][2:] == records[1][2:]  # the scalar and text events are byte-identical


def test_default_bins_are_tensorboards():
    from morch.utils.tensorboard.writer import _DEFAULT_BINS

    v, pos = 1e-12, []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    assert _DEFAULT_BINS == [-p for p in pos[::-1]] + [0] + pos and len(_DEFAULT_BINS) == 2 * len(pos) + 1
