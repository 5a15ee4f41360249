"""morch.save / morch.load: exact round trips, atomic writes, clear errors for bad input and bad files."""

import collections
import io
import math
import os
import zipfile

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import optim, serialization
from morch.serialization import SerializationError


def _round_trip(obj, tmp_path=None):
    if tmp_path is None:
        buf = io.BytesIO()
        morch.save(obj, buf)
        buf.seek(0)
        return morch.load(buf)
    path = tmp_path / "obj.mt"
    morch.save(obj, path)
    return morch.load(path)


def _assert_same(a, b):
    """Equal structure, types, key order, dtypes, shapes and values (bitwise)."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, morch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


ALL_DTYPES = [morch.bool, morch.uint8, morch.int8, morch.int16, morch.int32, morch.int64, morch.float16,
              morch.float32, morch.float64]  # fmt: skip


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_tensor_dtypes_and_shapes(dtype, tmp_path):
    rng = np.random.default_rng(0)
    for shape in [(), (0,), (3,), (2, 0, 4), (2, 3, 5)]:
        arr = (rng.standard_normal(shape) * 100).astype(dtype.np)
        t = morch.tensor(arr)
        _assert_same(_round_trip(t, tmp_path), t)


def test_nested_structure_round_trips_exactly(tmp_path):
    sd = collections.OrderedDict([("z.weight", morch.randn(3, 2)), ("a.bias", morch.zeros(3, dtype=morch.float64))])
    obj = {
        "model": sd,
        "numbers": [0, -1, 2**70, 1.5, -0.0, 1e-310, math.inf, -math.inf, True, False, None],
        "tuple": (1, (2.0, "x"), []),
        "strings": ["", "ünïcödé \u2603", "\ud800"],
        "bytes": b"\x00\xff",
        "int_keys": {3: "c", 1: "a", (1, "k"): 2, 2.5: None, None: 0, False: 1},
        "counter": collections.Counter({4: 2, 9: 1}),
        "numpy": np.arange(6, dtype=np.uint16).reshape(2, 3),
        "numpy_scalar": np.float32(0.25),
        "dtype": morch.float16,
        "size": morch.Size([2, 3]),
        "device": morch.device("cpu"),
    }
    for target in (None, tmp_path):
        out = _round_trip(obj, target)
        _assert_same(out, obj)
        assert math.isnan(_round_trip(math.nan))


def test_requires_grad_is_kept_and_graph_is_dropped():
    a = morch.randn(3, requires_grad=True)
    out = _round_trip({"leaf": a, "result": a * 2, "plain": morch.ones(2)})
    assert out["leaf"].requires_grad and out["leaf"].is_leaf
    assert out["result"].requires_grad and out["result"].is_leaf
    assert not out["plain"].requires_grad


def test_non_contiguous_tensors_are_saved_by_value():
    t = morch.arange(12).reshape(3, 4).T
    _assert_same(_round_trip(t), morch.tensor(t.numpy().copy()))


def test_a_tensor_referenced_twice_loads_as_one_tensor():
    t = morch.randn(3)
    out = _round_trip({"a": t, "b": [t], "c": morch.randn(3)})
    assert out["a"] is out["b"][0] and out["a"] is not out["c"]


def test_module_state_dict_metadata_is_kept():
    sd = collections.OrderedDict(w=morch.ones(2))
    sd._metadata = {"": {"version": 1}}
    assert _round_trip(sd)._metadata == {"": {"version": 1}}


def test_parameters_load_as_parameters():
    nn_parameter = pytest.importorskip("morch.nn.parameter")
    p = nn_parameter.Parameter(morch.randn(2, 2))
    out = _round_trip({"p": p})
    assert type(out["p"]) is nn_parameter.Parameter and out["p"].requires_grad


def test_optimizer_and_model_state_round_trip(tmp_path):
    params = [morch.randn(4, 3, requires_grad=True), morch.randn(3, requires_grad=True)]
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.1}], amsgrad=True)
    for p in params:
        p.grad = morch.ones_like(p)
    opt.step()
    sched = optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 4])
    ckpt = {"params": params, "optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "epoch": 3}
    _assert_same(_round_trip(ckpt, tmp_path), ckpt)


def test_file_objects_and_pathlike(tmp_path):
    buf = io.BytesIO(b"prefix")
    buf.seek(6)
    morch.save({"x": morch.ones(2)}, buf)
    buf.seek(6)
    assert morch.load(buf)["x"].tolist() == [1.0, 1.0]
    with open(tmp_path / "f.mt", "wb") as f:
        morch.save([1, 2], f)
    with open(tmp_path / "f.mt", "rb") as f:
        assert morch.load(f) == [1, 2]
    morch.save(3, str(tmp_path / "s.mt"))
    assert morch.load(str(tmp_path / "s.mt")) == 3


def test_two_objects_in_one_stream():
    buf = io.BytesIO()
    morch.save("first", buf)
    morch.save(morch.ones(2), buf)
    buf.seek(0)
    assert morch.load(buf) == "first"
    assert morch.load(buf).tolist() == [1.0, 1.0]


def test_map_location_and_weights_only():
    buf = io.BytesIO()
    morch.save(morch.ones(2), buf)
    for loc in (None, "cpu", morch.device("cpu"), {"cpu": "cpu"}):
        buf.seek(0)
        assert morch.load(buf, map_location=loc, weights_only=False).tolist() == [1.0, 1.0]
    buf.seek(0)
    assert morch.load(buf, map_location=lambda t, loc: t * 2).tolist() == [2.0, 2.0]
    buf.seek(0)
    with pytest.raises(RuntimeError, match="CPU only"):
        morch.load(buf, map_location="cuda:0")


# ---------------------------------------------------------------- unsupported objects
class Custom:
    pass


@pytest.mark.parametrize(
    "obj, where, what",
    [
        ({"optimizer": {"state": {0: lambda: 1}}}, r"\['optimizer'\]\['state'\]\[0\]", "function"),
        ([1, (2, Custom())], r"\[1\]\[1\]", "Custom"),
        (Custom(), "the top level", "Custom"),
        ({"s": {1, 2}}, r"\['s'\]", "set"),
        ({"c": 1 + 2j}, r"\['c'\]", "complex"),
        ({"a": np.array([object()])}, r"\['a'\]", "object"),
    ],
)
def test_unsupported_objects_name_their_path(obj, where, what, tmp_path):
    path = tmp_path / "x.mt"
    with pytest.raises(TypeError, match=f"cannot save .*{what}.* at {where}"):
        morch.save(obj, path)
    assert not path.exists() and os.listdir(tmp_path) == []


def test_unsupported_dict_key():
    with pytest.raises(TypeError, match=r"dict key of type Tensor .* at \['d'\]"):
        morch.save({"d": {morch.ones(1): 1}}, io.BytesIO())


def test_cycles_are_refused():
    a = [1]
    a.append(a)
    with pytest.raises(ValueError, match=r"refers to itself at \[1\]"):
        morch.save(a, io.BytesIO())


def test_object_with_state_dict_gets_a_hint():
    class Model:
        def state_dict(self):
            return {}

    with pytest.raises(TypeError, match=r"save its state_dict\(\) instead"):
        morch.save(Model(), io.BytesIO())


def test_bad_file_arguments(tmp_path):
    with pytest.raises(TypeError, match="f must be a file path or a binary file object, got int"):
        morch.save(1, 42)
    with pytest.raises(TypeError, match="binary mode"):
        morch.save(1, io.StringIO())
    with pytest.raises(IsADirectoryError):
        morch.save(1, tmp_path)
    with pytest.raises(FileNotFoundError):
        morch.save(1, tmp_path / "missing" / "x.mt")
    with pytest.raises(FileNotFoundError):
        morch.load(tmp_path / "nope.mt")


# ---------------------------------------------------------------- atomic writes
def test_failure_mid_write_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.mt"
    morch.save({"version": 1, "w": morch.ones(1000)}, path)
    before = path.read_bytes()
    real = serialization._write_payload

    def crash_midway(f, header, arrays, data_len):
        buf = io.BytesIO()
        real(buf, header, arrays, data_len)
        f.write(buf.getvalue()[: len(buf.getvalue()) // 2])
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(serialization, "_write_payload", crash_midway)
    with pytest.raises(OSError, match="simulated"):
        morch.save({"version": 2, "w": morch.zeros(1000)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.mt"]  # the temporary file is gone
    assert morch.load(path)["version"] == 1


def test_interrupt_mid_write_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.mt"
    morch.save("old", path)

    def interrupted(f, *args):
        f.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_write_payload", interrupted)
    with pytest.raises(KeyboardInterrupt):
        morch.save("new", path)
    assert morch.load(path) == "old" and os.listdir(tmp_path) == ["ckpt.mt"]


def test_save_replaces_and_keeps_permissions(tmp_path):
    path = tmp_path / "ckpt.mt"
    morch.save(1, path)
    os.chmod(path, 0o640)
    morch.save(2, path)
    assert morch.load(path) == 2
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_save_through_a_symlink_updates_the_target(tmp_path):
    target = tmp_path / "real.mt"
    morch.save(1, target)
    link = tmp_path / "link.mt"
    link.symlink_to(target)
    morch.save(2, link)
    assert link.is_symlink() and morch.load(target) == 2


# ---------------------------------------------------------------- bad files
def _saved_bytes(obj=None):
    buf = io.BytesIO()
    morch.save({"w": morch.arange(100, dtype=morch.float32), "meta": [1, 2]} if obj is None else obj, buf)
    return buf.getvalue()


def test_truncated_files(tmp_path):
    data = _saved_bytes()
    path = tmp_path / "t.mt"
    for cut in (3, 20, 70, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:cut])
        with pytest.raises(SerializationError, match=r"t\.mt.*truncated"):
            morch.load(path)
        with pytest.raises(SerializationError, match="truncated"):
            morch.load(io.BytesIO(data[:cut]))


def test_truncated_non_seekable_stream():
    data = _saved_bytes()

    class Pipe(io.RawIOBase):
        def __init__(self, payload):
            self.src = io.BytesIO(payload)

        def readable(self):
            return True

        def readinto(self, b):
            return self.src.readinto(b)

    with pytest.raises(SerializationError, match="truncated"):
        morch.load(io.BufferedReader(Pipe(data[: len(data) - 40])))
    assert morch.load(io.BufferedReader(Pipe(data)))["meta"] == [1, 2]


def test_every_flipped_byte_is_detected(tmp_path):
    data = _saved_bytes()
    path = tmp_path / "c.mt"
    for pos in range(len(data)):
        corrupted = bytearray(data)
        corrupted[pos] ^= 0x10
        path.write_bytes(bytes(corrupted))
        with pytest.raises(SerializationError, match=r"c\.mt"):
            morch.load(path)


def test_corruption_messages(tmp_path):
    data = bytearray(_saved_bytes())
    path = tmp_path / "c.mt"
    data[-50] ^= 1  # inside the array bytes
    path.write_bytes(bytes(data))
    with pytest.raises(SerializationError, match="data checksum mismatch: the file is corrupted"):
        morch.load(path)
    data = bytearray(_saved_bytes())
    data[80] ^= 1  # inside the JSON header
    path.write_bytes(bytes(data))
    with pytest.raises(SerializationError, match="header checksum mismatch"):
        morch.load(path)
    path.write_bytes(_saved_bytes() + b"junk")
    with pytest.raises(SerializationError, match="unexpected extra bytes"):
        morch.load(path)


def test_newer_format_version_is_refused(tmp_path):
    data = bytearray(_saved_bytes())
    data[8] = 9
    (tmp_path / "v.mt").write_bytes(bytes(data))
    with pytest.raises(SerializationError, match="version 9 .*newer morch"):
        morch.load(tmp_path / "v.mt")


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "file is empty"),
        (os.urandom(256), "not a morch file"),
        (b"\x80\x04\x95hello pickle", "Python pickle .* never unpickles"),
        (b"\x93NUMPY\x01\x00", "numpy .npy file"),
        (b"\x89MOR", "truncated"),
    ],
    ids=["empty", "random", "pickle", "npy", "short-magic"],
)
def test_foreign_files(content, match, tmp_path):
    path = tmp_path / "foreign.bin"
    path.write_bytes(content)
    with pytest.raises(SerializationError, match=f"foreign.bin.*{match}"):
        morch.load(path)


def test_zip_archive_is_recognised(tmp_path):
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02.")
    with pytest.raises(SerializationError, match="model.pt.*zip archive .*PyTorch"):
        morch.load(path)


@requires_torch
def test_real_torch_checkpoint_is_refused_clearly(tmp_path):
    path = tmp_path / "torch.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(SerializationError, match="torch.pt.*zip archive"):
        morch.load(path)


def test_text_mode_file_is_refused(tmp_path):
    morch.save(1, tmp_path / "x.mt")
    with open(tmp_path / "x.mt", encoding="latin-1") as f:
        with pytest.raises(TypeError, match="binary mode"):
            morch.load(f)


def test_crafted_header_with_valid_checksum_is_refused():
    # a file whose header is well-formed JSON with a valid checksum but does not describe data
    # the way morch writes it: still a clear error, never a crash or code execution
    import hashlib
    import json
    import struct

    def build(header: dict, data: bytes = b"") -> bytes:
        h = json.dumps(header).encode()
        pre = serialization.MAGIC + struct.pack("<IQQ32s", 1, len(h), len(data), hashlib.sha256(h).digest())
        pad = bytes(-(len(pre) + len(h)) % 64)
        return pre + h + pad + data + hashlib.sha256(data).digest()

    bad = [
        {"arrays": [], "root": {"pickle": "os.system"}},
        {"arrays": [{"kind": "tensor", "dtype": "|O", "shape": [1], "offset": 0}], "root": None},
        {"arrays": [{"kind": "tensor", "dtype": "<f4", "shape": [100], "offset": 0}], "root": None},
        {"arrays": [], "root": {"tensor": 5}},
        {"nothing": 1},
    ]
    for header in bad:
        with pytest.raises(SerializationError, match="malformed header"):
            morch.load(io.BytesIO(build(header)))
