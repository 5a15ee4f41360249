"""The bytes of TensorBoard event files, with no dependency: CRC32C, TFRecord framing and the few
protobuf messages a SummaryWriter needs (Event, Summary, Summary.Value, HistogramProto, the text
plugin's TensorProto), hand-encoded; plus a small reader that checks the framing and decodes any
message into ``{field_number: [values]}``.

Field numbers follow tensorboard's ``event.proto``, ``summary.proto`` and ``tensor.proto``.
"""

from __future__ import annotations

import struct

__all__ = ["crc32c", "masked_crc32c", "frame_record", "read_records", "decode_message", "read_events"]

_CRC32C_POLY = 0x82F63B78  # Castagnoli polynomial, bit-reversed
_MASK_DELTA = 0xA282EAD8
_U32 = 0xFFFFFFFF


def _make_crc_table() -> tuple:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ _CRC32C_POLY if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_CRC_TABLE = _make_crc_table()


def crc32c(data: bytes) -> int:
    """CRC32C (Castagnoli) checksum of ``data``, table-driven, one byte at a time.

    Args:
        data: the bytes to checksum.
    """
    crc = _U32
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ _U32


def masked_crc32c(data: bytes) -> int:
    """The TFRecord checksum: CRC32C of ``data`` rotated right by 15 bits plus a constant, mod 2**32.

    Args:
        data: the bytes to checksum.
    """
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & _U32


def frame_record(data: bytes) -> bytes:
    """One TFRecord: uint64 length, masked CRC of the length, data, masked CRC of the data (little-endian).

    Args:
        data: the serialized message.
    """
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", masked_crc32c(header)) + data + struct.pack("<I", masked_crc32c(data))


def read_records(raw: bytes) -> list:
    """Split TFRecord bytes into their payloads, checking both checksums of every record.

    Args:
        raw: the content of an event file.
    """
    records, pos = [], 0
    while pos < len(raw):
        if pos + 12 > len(raw):
            raise ValueError(f"read_records: truncated record header at byte {pos}")
        header = raw[pos : pos + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", raw[pos + 8 : pos + 12])
        if length_crc != masked_crc32c(header):
            raise ValueError(f"read_records: bad length checksum at byte {pos}")
        start, end = pos + 12, pos + 12 + length
        if end + 4 > len(raw):
            raise ValueError(f"read_records: truncated record at byte {pos} (length {length})")
        data = raw[start:end]
        (data_crc,) = struct.unpack("<I", raw[end : end + 4])
        if data_crc != masked_crc32c(data):
            raise ValueError(f"read_records: bad data checksum in the record at byte {pos}")
        records.append(data)
        pos = end + 4
    return records


# ---------------------------------------------------------------------------------------- encoding

_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64 values take ten bytes, as two's complement
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def field_varint(field: int, value: int) -> bytes:
    """An int64 / enum field."""
    return _key(field, _VARINT) + _varint(int(value))


def field_double(field: int, value: float) -> bytes:
    """A double field."""
    return _key(field, _FIXED64) + struct.pack("<d", float(value))


def field_float(field: int, value: float) -> bytes:
    """A float field (stored in single precision)."""
    return _key(field, _FIXED32) + struct.pack("<f", float(value))


def field_bytes(field: int, value) -> bytes:
    """A length-delimited field: a string (encoded as UTF-8), bytes, or an encoded sub-message."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    return _key(field, _BYTES) + _varint(len(value)) + bytes(value)


def field_packed_doubles(field: int, values) -> bytes:
    """A packed ``repeated double`` field."""
    values = [float(v) for v in values]
    return field_bytes(field, struct.pack(f"<{len(values)}d", *values))


def event(wall_time: float, step: int = 0, *, file_version=None, summary=None, session_log=None) -> bytes:
    """An encoded ``Event``.

    Args:
        wall_time: seconds since the epoch.
        step: the global step.
        file_version: e.g. ``"brain.Event:2"`` for a file's first event.
        summary: an encoded ``Summary``.
        session_log: an encoded ``SessionLog``.
    """
    out = field_double(1, wall_time)
    if step:
        out += field_varint(2, step)
    if file_version is not None:
        out += field_bytes(3, file_version)
    if summary is not None:
        out += field_bytes(5, summary)
    if session_log is not None:
        out += field_bytes(7, session_log)
    return out


def session_log_start() -> bytes:
    """An encoded ``SessionLog`` with status START (what purges later steps in TensorBoard)."""
    return field_varint(1, 1)


def summary(*values: bytes) -> bytes:
    """An encoded ``Summary`` holding the encoded ``Summary.Value`` messages given."""
    return b"".join(field_bytes(1, v) for v in values)


def scalar_value(tag: str, value: float) -> bytes:
    """A ``Summary.Value`` with ``simple_value``."""
    return field_bytes(1, tag) + field_float(2, value)


def histogram_value(tag: str, vmin, vmax, num, vsum, sum_squares, bucket_limit, bucket) -> bytes:
    """A ``Summary.Value`` with ``histo`` (a ``HistogramProto``; each bucket counts values up to its limit)."""
    histo = (
        field_double(1, vmin)
        + field_double(2, vmax)
        + field_double(3, num)
        + field_double(4, vsum)
        + field_double(5, sum_squares)
        + field_packed_doubles(6, bucket_limit)
        + field_packed_doubles(7, bucket)
    )
    return field_bytes(1, tag) + field_bytes(5, histo)


_DT_STRING = 7


def text_value(tag: str, text: str) -> bytes:
    """A ``Summary.Value`` for the text plugin: a 1-element string ``TensorProto`` with plugin metadata."""
    plugin_data = field_bytes(1, "text")  # content: TextPluginData(version=0), which encodes to no bytes
    metadata = field_bytes(1, plugin_data)
    shape = field_bytes(2, field_varint(1, 1))  # TensorShapeProto{dim {size: 1}}
    tensor = field_varint(1, _DT_STRING) + field_bytes(2, shape) + field_bytes(8, text)
    return field_bytes(1, tag) + field_bytes(8, tensor) + field_bytes(9, metadata)


# ---------------------------------------------------------------------------------------- decoding


def _read_varint(buf: bytes, pos: int):
    result, shift = 0, 0
    while True:
        if pos >= len(buf):
            raise ValueError("decode_message: truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def decode_message(buf: bytes) -> dict:
    """Decode a protobuf message without its schema: ``{field_number: [raw values]}``, where varints
    are ints, fixed64 and fixed32 fields are their 8 or 4 raw bytes and length-delimited fields are bytes.

    Args:
        buf: the encoded message.
    """
    fields, pos = {}, 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _read_varint(buf, pos)
        elif wire in (_FIXED64, _FIXED32):
            size = 8 if wire == _FIXED64 else 4
            value, pos = buf[pos : pos + size], pos + size
        elif wire == _BYTES:
            length, pos = _read_varint(buf, pos)
            value, pos = buf[pos : pos + length], pos + length
        else:
            raise ValueError(f"decode_message: unsupported wire type {wire} for field {field}")
        if pos > len(buf):
            raise ValueError(f"decode_message: field {field} runs past the end of the message")
        fields.setdefault(field, []).append(value)
    return fields


def _double(raw: bytes) -> float:
    return struct.unpack("<d", raw)[0]


def _packed_doubles(raws: list) -> list:
    return [v for raw in raws for v in struct.unpack(f"<{len(raw) // 8}d", raw)]


def _decode_value(fields: dict) -> tuple:
    """``(tag, kind, value)`` of an encoded ``Summary.Value``: kind is scalar, histogram, text or unknown."""
    tag = fields[1][0].decode("utf-8")
    if 2 in fields:
        return tag, "scalar", struct.unpack("<f", fields[2][0])[0]
    if 5 in fields:
        h = decode_message(fields[5][0])
        names = ("min", "max", "num", "sum", "sum_squares")
        histo = {name: _double(h[i + 1][0]) if i + 1 in h else 0.0 for i, name in enumerate(names)}
        histo["bucket_limit"] = _packed_doubles(h.get(6, []))
        histo["bucket"] = _packed_doubles(h.get(7, []))
        return tag, "histogram", histo
    if 8 in fields:
        tensor = decode_message(fields[8][0])
        return tag, "text", tensor[8][0].decode("utf-8") if 8 in tensor else ""
    return tag, "unknown", fields


def read_events(path: str) -> list:
    """Read an event file back: one dict per event with ``wall_time``, ``step`` and, when present,
    ``file_version``, ``session_log`` (status) and ``values``: a list of ``(tag, kind, value)``.

    Args:
        path: the event file.
    """
    with open(path, "rb") as f:
        raw = f.read()
    events = []
    for record in read_records(raw):
        fields = decode_message(record)
        step = fields.get(2, [0])[0]
        ev = {"wall_time": _double(fields[1][0]) if 1 in fields else 0.0, "step": step - (step >> 63 << 64)}
        if 3 in fields:
            ev["file_version"] = fields[3][0].decode("utf-8")
        if 7 in fields:
            ev["session_log"] = decode_message(fields[7][0]).get(1, [0])[0]
        if 5 in fields:
            values = decode_message(fields[5][0]).get(1, [])
            ev["values"] = [_decode_value(decode_message(v)) for v in values]
        events.append(ev)
    return events
