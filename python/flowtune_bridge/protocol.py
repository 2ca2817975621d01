"""Framing and message layouts of the bridge protocol (PROTOCOL.md is the specification).

Every message is one frame: a little-endian u32 with the number of bytes that follow, then a u8
message type, then the body. Arrays travel as raw little-endian bytes (Float32, UInt64, Int32, UInt8)
so the hot path (STEP and its reply) never formats or parses text; only HELLO and SPEC carry JSON.
"""

import json
import math
import os
import struct

import numpy as np

from . import PROTOCOL_VERSION

# Requests (trainer -> worker).
HELLO = 0x01
RESET = 0x02
STEP = 0x03
EXPERT = 0x04
CLOSE = 0x05

# Replies (worker -> trainer): request | 0x80, and ERROR.
SPEC = 0x81
RESET_DONE = 0x82
STEP_DONE = 0x83
EXPERT_DONE = 0x84
BYE = 0x85
ERROR = 0xFF

# ERROR kinds.
ERR_VERSION = 1
ERR_UNKNOWN_ENV = 2
ERR_MISSING_PACKAGE = 3
ERR_BAD_REQUEST = 4
ERR_SIMULATOR = 5

# STEP_DONE flag bits, one byte per environment.
FLAG_TERMINATED = 1
FLAG_TRUNCATED = 2
FLAG_SUCCESS = 4

# EXPERT modes.
EXPERT_NOW = 0
EXPERT_ATTACH = 1
EXPERT_DETACH = 2

# Frames larger than this are a corrupted stream, not a real message.
MAX_FRAME = 1 << 30

_U32 = struct.Struct("<I")


class ProtocolError(Exception):
    """The peer sent something this version of the protocol does not allow."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def read_exact(fd, n):
    """Reads exactly n bytes from fd; returns None on end of file before the first byte."""
    chunks = []
    remaining = n
    while remaining > 0:
        chunk = os.read(fd, remaining)
        if not chunk:
            if remaining == n:
                return None
            raise EOFError("the trainer closed the connection in the middle of a message")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd):
    """Returns (type, body as memoryview) or None when the trainer has gone (end of file)."""
    header = read_exact(fd, 4)
    if header is None:
        return None
    (length,) = _U32.unpack(header)
    if length < 1 or length > MAX_FRAME:
        raise ProtocolError(ERR_BAD_REQUEST, f"frame length {length} is outside 1...{MAX_FRAME}")
    payload = read_exact(fd, length)
    if payload is None:
        raise EOFError("the trainer closed the connection in the middle of a message")
    return payload[0], memoryview(payload)[1:]


def write_frame(fd, kind, *parts):
    """Writes one frame made of the message type and the byte strings / arrays in parts."""
    blobs = [p.tobytes() if isinstance(p, np.ndarray) else bytes(p) for p in parts]
    length = 1 + sum(len(b) for b in blobs)
    data = b"".join([_U32.pack(length), bytes([kind])] + blobs)
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def encode_hello(env_id, env_indices, options, version=PROTOCOL_VERSION):
    body = json.dumps({"env_id": env_id, "env_indices": list(env_indices), "options": options}).encode()
    return struct.pack("<I", version) + body


def decode_hello(body):
    """Returns (version, request dict). The version is read before anything else so a mismatch can
    be reported even when the rest of the message has a different layout."""
    if len(body) < 4:
        raise ProtocolError(ERR_BAD_REQUEST, "HELLO is shorter than its 4-byte version field")
    (version,) = struct.unpack_from("<I", body, 0)
    if version != PROTOCOL_VERSION:
        return version, None
    try:
        request = json.loads(bytes(body[4:]).decode())
    except ValueError as e:
        raise ProtocolError(ERR_BAD_REQUEST, f"HELLO's JSON does not parse: {e}")
    return version, request


def _finite_or_null(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite_or_null(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite_or_null(v) for v in x]
    return x


def encode_spec(spec):
    """SPEC body: u32 version, then JSON. Infinite bounds become null (JSON has no infinity): a null
    `low` means -inf and a null `high` means +inf."""
    return struct.pack("<I", PROTOCOL_VERSION) + json.dumps(_finite_or_null(spec), allow_nan=False).encode()


def encode_error(kind, message):
    return bytes([kind]) + message.encode()


def f32(array):
    """Row-major little-endian Float32 bytes of any numeric array (float64 simulators included)."""
    return np.ascontiguousarray(array, dtype="<f4")


def decode_array(body, offset, dtype, count):
    """(array of count items of dtype at offset, offset after it); raises ProtocolError if short."""
    dt = np.dtype(dtype)
    end = offset + dt.itemsize * count
    if end > len(body):
        raise ProtocolError(ERR_BAD_REQUEST, f"message too short: needs {end} bytes, has {len(body)}")
    return np.frombuffer(body, dtype=dt, count=count, offset=offset), end
