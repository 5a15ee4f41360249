"""morch.save / morch.load: a small, safe file format for tensors and state dicts.

Loading never runs code from the file (there is no pickle): a file is

    magic (8 bytes) | version u32 | header length u64 | data length u64 | sha256 of header (32 bytes)
    header: UTF-8 JSON describing the saved structure and a table of arrays (dtype, shape, offset)
    zero padding up to a multiple of 64 bytes
    data: the arrays' raw little-endian bytes, each starting at a multiple of 64 bytes
    sha256 of the data region (32 bytes)

All integers are little-endian. The header is checked before it is read and the data before it
is returned, so a truncated, corrupted or foreign file gives an error that says so. Saving to a
path writes a temporary file in the same directory, fsyncs it and renames it over the target:
an interrupted save leaves the previous file intact.

Supported values: morch tensors (and ``nn.Parameter``), numpy arrays and scalars, None, bool,
int, float (inf and nan included), str, bytes, list, tuple, dict, OrderedDict, Counter,
``morch.dtype``, ``morch.Size`` and ``morch.device``, nested freely. A tensor referenced twice is
stored once and loads as one tensor referenced twice; distinct tensors that share memory
(views) load as independent tensors.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import json
import math
import os
import struct
import sys
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from morch import dtypes
from morch.tensor import Size, Tensor, _wrap, device

__all__ = ["save", "load", "SerializationError"]

MAGIC = b"\x89MORCH\r\n"
FORMAT_VERSION = 1
_PREFIX = struct.Struct("<IQQ32s")  # version, header length, data length, header sha256
_PREFIX_SIZE = len(MAGIC) + _PREFIX.size
_ALIGN = 64
_CHUNK = 1 << 24

# numpy dtypes a file may hold (little-endian spellings); anything else in a header is refused
_TENSOR_DTYPES = {"|b1", "|u1", "<u2", "<u4", "<u8", "|i1", "<i2", "<i4", "<i8", "<f2", "<f4", "<f8"}
_ARRAY_DTYPES = _TENSOR_DTYPES | {"<c8", "<c16"}


class SerializationError(RuntimeError):
    """A file that ``morch.load`` cannot read: truncated, corrupted, or not written by ``morch.save``."""


def _parameter_classes() -> tuple[type | None, type | None]:
    try:
        from morch.nn import parameter
    except ImportError:  # morch.nn without parameters: nothing special to save
        return None, None
    return getattr(parameter, "Parameter", None), getattr(parameter, "Buffer", None)


def _path_str(path: list) -> str:
    return "".join(f"[{p!r}]" for p in path) if path else "the top level"


# ---------------------------------------------------------------- encoding (save)
class _Encoder:
    """Turns an object into a JSON-able tree plus a list of arrays, or raises naming the bad part."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self.table: list[dict] = []
        self._memo: dict[int, int] = {}
        self._keep: list = []  # keeps memoized objects alive so their ids stay unique
        self._active: set[int] = set()
        self._param_cls, self._buffer_cls = _parameter_classes()

    def _add_array(self, obj, arr: np.ndarray, entry: dict, path: list) -> int:
        key = id(obj)
        if key in self._memo:
            return self._memo[key]
        code = arr.dtype.newbyteorder("<").str if arr.dtype.byteorder != "|" else arr.dtype.str
        allowed = _TENSOR_DTYPES if entry["kind"] != "ndarray" else _ARRAY_DTYPES
        if code not in allowed:
            raise TypeError(f"morch.save: cannot save an array of dtype {arr.dtype} at {_path_str(path)}")
        arr = np.asarray(arr, dtype=np.dtype(code), order="C")
        entry.update(dtype=code, shape=list(arr.shape))
        self.arrays.append(arr)
        self.table.append(entry)
        index = self._memo[key] = len(self.table) - 1
        self._keep.append(obj)
        return index

    def encode(self, obj, path: list):
        t = type(obj)
        if obj is None or t is bool or t is int or t is str:
            return obj
        if t is float:
            if math.isfinite(obj):
                return obj
            return {"float": "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")}
        if isinstance(obj, Tensor):
            return self._tensor(obj, path)
        if t is np.ndarray:
            if obj.dtype.kind not in "biufc" or obj.dtype.fields is not None:
                raise TypeError(f"morch.save: cannot save a numpy array of dtype {obj.dtype} at {_path_str(path)}")
            return {"ndarray": self._add_array(obj, obj, {"kind": "ndarray"}, path)}
        if isinstance(obj, np.generic) and obj.dtype.kind in "biufc":
            arr = np.asarray(obj)
            return {"npscalar": self._add_array(arr, arr, {"kind": "ndarray"}, path)}
        if t is bytes:
            return {"bytes": base64.b64encode(obj).decode("ascii")}
        if t is dtypes.dtype:
            return {"dtype": obj.name}
        if t is Size:
            return {"size": [int(s) for s in obj]}
        if t is device:
            return {"device": str(obj)}
        if t in (list, tuple, dict, collections.OrderedDict, collections.Counter):
            if id(obj) in self._active:
                raise ValueError(f"morch.save: the object refers to itself at {_path_str(path)} (a cycle)")
            self._active.add(id(obj))
            try:
                if t is list or t is tuple:
                    return {t.__name__: [self.encode(v, [*path, i]) for i, v in enumerate(obj)]}
                items = [[self._key(k, path), self.encode(v, [*path, k])] for k, v in obj.items()]
                tag = {dict: "dict", collections.OrderedDict: "odict", collections.Counter: "counter"}[t]
                out = {tag: items}
                meta = getattr(obj, "_metadata", None)
                if meta is not None and t is collections.OrderedDict:  # module state dicts carry versions
                    out["metadata"] = self.encode(meta, [*path, "_metadata"])
                return out
            finally:
                self._active.discard(id(obj))
        hint = " (save its state_dict() instead)" if callable(getattr(obj, "state_dict", None)) else ""
        raise TypeError(
            f"morch.save: cannot save object of type {t.__module__}.{t.__qualname__} at {_path_str(path)}{hint}; "
            "supported are tensors, numpy arrays, None, bool, int, float, str, bytes, and lists, tuples and "
            "dicts of these"
        )

    def _key(self, key, path: list):
        t = type(key)
        if key is None or t in (bool, int, float, str, bytes) or (t is tuple and all(_plain_key(k) for k in key)):
            return self.encode(key, path)
        raise TypeError(
            f"morch.save: cannot save a dict key of type {t.__qualname__} ({key!r}) at {_path_str(path)}; "
            "keys must be None, bool, int, float, str, bytes or tuples of these"
        )

    def _tensor(self, t: Tensor, path: list):
        if t._data is None:
            raise TypeError(f"morch.save: cannot save a symbolic (static-graph) tensor at {_path_str(path)}")
        cls = type(t)
        if cls is Tensor:
            kind = "tensor"
        elif cls is self._param_cls:
            kind = "parameter"
        elif cls is self._buffer_cls:
            kind = "buffer"
        else:
            raise TypeError(
                f"morch.save: cannot save object of type {cls.__module__}.{cls.__qualname__} (a Tensor subclass) "
                f"at {_path_str(path)}; save a plain tensor (t.detach()) instead"
            )
        entry = {"kind": kind, "requires_grad": bool(t._requires_grad)}
        if kind == "buffer":
            entry["persistent"] = bool(getattr(t, "persistent", True))
        return {"tensor": self._add_array(t, t._data, entry, path)}


def _plain_key(k) -> bool:
    t = type(k)
    return k is None or t in (bool, int, float, str, bytes) or (t is tuple and all(_plain_key(x) for x in k))


def _layout(arrays: list[np.ndarray], table: list[dict]) -> int:
    """Give each table entry its offset in the data region; return the region's length."""
    pos = 0
    for arr, entry in zip(arrays, table):
        pos = -(-pos // _ALIGN) * _ALIGN
        entry["offset"] = pos
        pos += arr.nbytes
    return -(-pos // _ALIGN) * _ALIGN


def _encode(obj) -> tuple[bytes, list[np.ndarray], int]:
    enc = _Encoder()
    root = enc.encode(obj, [])
    data_len = _layout(enc.arrays, enc.table)
    header = {"format": "morch", "version": FORMAT_VERSION, "arrays": enc.table, "root": root}
    header_bytes = json.dumps(header, allow_nan=False, separators=(",", ":")).encode("utf-8")
    return header_bytes, enc.arrays, data_len


def _write_payload(f: IO[bytes], header: bytes, arrays: list[np.ndarray], data_len: int) -> None:
    """Write a whole file: prefix, header, padded arrays, data checksum."""
    f.write(MAGIC + _PREFIX.pack(FORMAT_VERSION, len(header), data_len, hashlib.sha256(header).digest()))
    f.write(header)
    head = _PREFIX_SIZE + len(header)
    f.write(bytes(-head % _ALIGN))
    digest = hashlib.sha256()
    pos = 0
    for arr in arrays:
        pad = bytes(-pos % _ALIGN)
        raw = memoryview(arr.reshape(-1).view(np.uint8))
        for chunk in (pad, raw):
            digest.update(chunk)
            f.write(chunk)
        pos += len(pad) + arr.nbytes
    tail = bytes(data_len - pos)
    digest.update(tail)
    f.write(tail)
    f.write(digest.digest())


def save(obj: Any, f: str | os.PathLike | IO[bytes]) -> None:
    """Save ``obj`` (a state dict, a tensor, or nested lists/tuples/dicts of tensors and plain values).

    Saving to a path is atomic: the data goes to a temporary file in the same directory, which
    is flushed to disk and then renamed over ``f``, so a failure midway leaves any previous file
    untouched. An unsupported object raises ``TypeError`` naming where it sits in ``obj``,
    before anything is written.

    Args:
        obj: the object to save.
        f: a file path, or a binary file object open for writing (written from its current position).
    """
    header, arrays, data_len = _encode(obj)
    if hasattr(f, "write") and not isinstance(f, (str, bytes, os.PathLike)):
        try:
            _write_payload(f, header, arrays, data_len)
        except TypeError as e:
            raise TypeError(
                f"morch.save: cannot write to {_file_name(f)}: it must be opened in binary mode ({e})"
            ) from None
        return
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"morch.save: f must be a file path or a binary file object, got {type(f).__name__}")
    _atomic_write(os.fspath(f), lambda fh: _write_payload(fh, header, arrays, data_len))


def _atomic_write(path: str, write: Callable[[IO[bytes]], None]) -> None:
    if os.path.islink(path):
        path = os.path.realpath(path)  # replace the link's target, not the link
    if os.path.isdir(path):
        raise IsADirectoryError(f"morch.save: {path!r} is a directory")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"morch.save: directory {directory!r} does not exist")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    base = os.path.basename(path)
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)  # the umask applies, as for a file written in place
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - a hundred name clashes
        raise FileExistsError(f"morch.save: could not create a temporary file in {directory!r}")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: str) -> None:
    # makes the rename itself durable; not possible on every platform
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------- decoding (load)
def _file_name(f) -> str:
    if isinstance(f, (str, os.PathLike)):
        return repr(os.fspath(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, str) else f"<{type(f).__name__}>"


class _Reader:
    """Reads exact byte counts from a file object, raising a clear error on a short read."""

    def __init__(self, f: IO[bytes], name: str) -> None:
        self.f = f
        self.name = name
        self.readinto = getattr(f, "readinto", None)

    def error(self, problem: str) -> SerializationError:
        return SerializationError(f"morch.load: {self.name}: {problem}")

    def read(self, n: int, what: str) -> bytes:
        parts, got = [], 0
        while got < n:  # in chunks, so a corrupt length cannot make us allocate more than the file holds
            chunk = self.f.read(min(n - got, _CHUNK))
            if not chunk:
                raise self.error(f"file is truncated (ends inside the {what}: needed {n} bytes, found {got})")
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def read_into(self, buf: memoryview, what: str) -> None:
        n, got = len(buf), 0
        while got < n:
            if self.readinto is not None:
                k = self.readinto(buf[got : min(n, got + _CHUNK)])
            else:
                chunk = self.f.read(min(n - got, _CHUNK))
                k = len(chunk)
                buf[got : got + k] = chunk
            if not k:
                raise self.error(f"file is truncated (ends inside the {what})")
            got += k


def _foreign(start: bytes) -> str:
    if not start:
        return "file is empty"
    if start.startswith(b"PK\x03\x04"):
        return (
            "this is a zip archive (a PyTorch .pt/.pth checkpoint?), not a morch file; morch.load reads only "
            "files written by morch.save (load it with torch, convert tensors to numpy, and morch.save them)"
        )
    if start[:1] == b"\x80" and start[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return (
            "this is a Python pickle (e.g. a legacy torch.save file), not a morch file; morch.load never "
            "unpickles, because unpickling can run arbitrary code"
        )
    if start.startswith(b"\x93NUMPY"):
        return "this is a numpy .npy file, not a morch file (use numpy.load)"
    if MAGIC.startswith(start[: len(MAGIC)]) and len(start) < len(MAGIC):
        return "file is truncated (it ends inside the morch file signature)"
    return f"not a morch file (it starts with {start[:8]!r}, expected {MAGIC!r})"


def _check_table(table, data_len: int, err) -> list[tuple[np.dtype, tuple, int, dict]]:
    if not isinstance(table, list):
        raise err("malformed header (array table is not a list)")
    out, end = [], 0
    for i, e in enumerate(table):
        try:
            code, shape, offset, kind = e["dtype"], e["shape"], e["offset"], e["kind"]
        except (KeyError, TypeError):
            raise err(f"malformed header (array entry {i} is incomplete)") from None
        allowed = _ARRAY_DTYPES if kind == "ndarray" else _TENSOR_DTYPES
        if kind not in ("tensor", "parameter", "buffer", "ndarray") or code not in allowed:
            raise err(f"malformed header (array entry {i} has unsupported kind {kind!r} or dtype {code!r})")
        if (
            not isinstance(shape, list)
            or not all(type(s) is int and s >= 0 for s in shape)
            or type(offset) is not int
            or offset < end
        ):
            raise err(f"malformed header (array entry {i} has an invalid shape or offset)")
        dt = np.dtype(code)
        nbytes = math.prod(shape) * dt.itemsize
        end = offset + nbytes
        if end > data_len:
            raise err(f"malformed header (array entry {i} extends past the end of the data)")
        out.append((dt, tuple(shape), offset, e))
    return out


def _read_arrays(r: _Reader, entries: list, data_len: int) -> list[np.ndarray]:
    digest = hashlib.sha256()
    arrays, pos = [], 0
    for dt, shape, offset, _ in entries:
        if offset > pos:
            pad = r.read(offset - pos, "data")
            digest.update(pad)
        arr = np.empty(shape, dt)
        raw = memoryview(arr.reshape(-1).view(np.uint8))
        r.read_into(raw, "data")
        digest.update(raw)
        if sys.byteorder == "big" and dt.byteorder == "<":
            arr = arr.astype(dt.newbyteorder("="))
        arrays.append(arr)
        pos = offset + arr.nbytes
    if data_len > pos:
        digest.update(r.read(data_len - pos, "data"))
    stored = r.read(32, "data checksum")
    if stored != digest.digest():
        raise r.error("data checksum mismatch: the file is corrupted")
    return arrays


class _Decoder:
    def __init__(self, arrays: list[np.ndarray], entries: list, map_fn, err) -> None:
        self.arrays = arrays
        self.entries = entries
        self.map_fn = map_fn
        self.err = err
        self.made: dict[int, Any] = {}
        self._param_cls, self._buffer_cls = _parameter_classes()

    def decode(self, node):
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is not dict or len(node) not in (1, 2):
            raise self.err("malformed header (unexpected value in the structure)")
        tag, value = next(iter(node.items()))
        try:
            return self._decode_tagged(tag, value, node)
        except SerializationError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            raise self.err(f"malformed header (bad {tag!r} entry)") from None

    def _decode_tagged(self, tag: str, value, node: dict):
        if tag == "list":
            return [self.decode(v) for v in value]
        if tag == "tuple":
            return tuple(self.decode(v) for v in value)
        if tag in ("dict", "odict", "counter"):
            cls = {"dict": dict, "odict": collections.OrderedDict, "counter": collections.Counter}[tag]
            out = cls()
            for k, v in value:
                out[self.decode(k)] = self.decode(v)
            if "metadata" in node:
                out._metadata = self.decode(node["metadata"])
            return out
        if tag == "float":
            return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[value]
        if tag == "tensor":
            return self._tensor(value)
        if tag == "ndarray":
            return self._array(value, "ndarray")
        if tag == "npscalar":
            return self._array(value, "ndarray")[()]
        if tag == "bytes":
            return base64.b64decode(value.encode("ascii"), validate=True)
        if tag == "dtype":
            return dtypes.from_numpy(dtypes.to_numpy(value))
        if tag == "size":
            return Size(int(s) for s in value)
        if tag == "device":
            return device(value)
        raise self.err(f"malformed header (unknown tag {tag!r})")

    def _array(self, i: int, kind: str) -> np.ndarray:
        if (
            type(i) is not int
            or not 0 <= i < len(self.arrays)
            or (self.entries[i][3]["kind"] == "ndarray") != (kind == "ndarray")
        ):
            raise self.err(f"malformed header (bad array reference {i!r})")
        return self.arrays[i]

    def _tensor(self, i: int):
        if i in self.made:
            return self.made[i]
        arr = self._array(i, "tensor")
        entry = self.entries[i][3]
        requires_grad = bool(entry.get("requires_grad", False)) and arr.dtype.kind == "f"
        kind = entry["kind"]
        if kind == "parameter" and self._param_cls is not None:
            t = self._param_cls(_wrap(arr), requires_grad=requires_grad)
        elif kind == "buffer" and self._buffer_cls is not None:
            t = self._buffer_cls(_wrap(arr), persistent=bool(entry.get("persistent", True)))
        else:
            t = _wrap(arr)
            if requires_grad:
                t.requires_grad = True
        if self.map_fn is not None:
            mapped = self.map_fn(t, "cpu")
            if mapped is not None:
                t = mapped
        self.made[i] = t
        return t


def _map_location_fn(map_location):
    """Check ``map_location`` (morch has only the CPU) and return a per-tensor callable or None."""
    if map_location is None:
        return None
    if isinstance(map_location, (str, device)):
        device(map_location)
        return None
    if isinstance(map_location, dict):
        for target in map_location.values():
            device(target)
        return None
    if callable(map_location):
        return map_location
    raise TypeError(
        f"morch.load: map_location must be None, a device, a string, a dict or a callable, "
        f"got {type(map_location).__name__}"
    )


def load(f: str | os.PathLike | IO[bytes], map_location=None, *, weights_only: bool | None = True) -> Any:
    """Load an object saved by ``morch.save``.

    Safe by design: the file holds data only, and nothing in it is executed, so ``weights_only``
    makes no difference (it is accepted for compatibility with ``torch.load``). A truncated,
    corrupted or foreign file (a PyTorch checkpoint, a pickle, random bytes) raises
    ``SerializationError`` naming the file and the problem.

    Args:
        f: a file path, or a binary file object open for reading (read from its current position).
        map_location: where to put tensors: None, 'cpu', a device, a dict of location names,
            or a callable ``fn(tensor, 'cpu')`` whose non-None result replaces each tensor.
            morch runs on the CPU only, so other devices are refused.
        weights_only: accepted for compatibility; loading is always restricted to data.
    """
    if weights_only not in (None, True, False):
        raise TypeError(f"morch.load: weights_only must be a bool, got {type(weights_only).__name__}")
    map_fn = _map_location_fn(map_location)
    name = _file_name(f)
    if hasattr(f, "read") and not isinstance(f, (str, bytes, os.PathLike)):
        return _load_from(f, name, None, map_fn)
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"morch.load: f must be a file path or a binary file object, got {type(f).__name__}")
    with open(f, "rb") as fh:
        return _load_from(fh, name, os.fstat(fh.fileno()).st_size, map_fn)


def _remaining(f) -> int | None:
    try:
        if not f.seekable():
            return None
        pos = f.tell()
        end = f.seek(0, os.SEEK_END)
        f.seek(pos)
        return end - pos
    except (AttributeError, OSError, ValueError):
        return None


def _load_from(f, name: str, size: int | None, map_fn):
    r = _Reader(f, name)
    start = f.read(_PREFIX_SIZE)
    if isinstance(start, str):
        raise TypeError(f"morch.load: {name} must be opened in binary mode ('rb')")
    if len(start) < len(MAGIC) or start[: len(MAGIC)] != MAGIC:
        raise r.error(_foreign(start))
    if len(start) < _PREFIX_SIZE:
        raise r.error(f"file is truncated (it ends inside the {_PREFIX_SIZE}-byte preamble)")
    version, header_len, data_len, header_sha = _PREFIX.unpack(start[len(MAGIC) :])
    if version != FORMAT_VERSION:
        newer = " (written by a newer morch?)" if version > FORMAT_VERSION else ""
        raise r.error(f"unsupported morch file format version {version}{newer}; this morch reads version 1")
    head = _PREFIX_SIZE + header_len
    pad = -head % _ALIGN
    expected = head + pad + data_len + 32
    if size is None:
        rest = _remaining(f)
        size = None if rest is None else rest + _PREFIX_SIZE
        if size is not None and size > expected:
            size = expected  # a file object may hold more after this record
    if size is not None and size != expected:
        what = "truncated" if size < expected else "corrupted (it has unexpected extra bytes)"
        raise r.error(f"file is {what}: expected {expected} bytes, found {size}")
    header_bytes = r.read(header_len, "header")
    if hashlib.sha256(header_bytes).digest() != header_sha:
        raise r.error("header checksum mismatch: the file is corrupted")
    try:
        header = json.loads(header_bytes.decode("utf-8"))
        table, root = header["arrays"], header["root"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise r.error("malformed header (not the JSON structure morch writes)") from None
    entries = _check_table(table, data_len, r.error)
    if any(r.read(pad, "header padding")):
        raise r.error("corrupted padding after the header (expected zero bytes)")
    arrays = _read_arrays(r, entries, data_len)
    return _Decoder(arrays, entries, map_fn, r.error).decode(root)
