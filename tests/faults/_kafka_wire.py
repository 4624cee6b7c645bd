"""A tiny hand-written Kafka wire encoder/decoder for the fault tests.

Only what the hostile-input tests send or assert on:
  * request framing (int32 length prefix + request header v1/v2),
  * ApiVersions v0 and v3 requests and responses,
  * Produce v7 requests and responses,
  * magic-v2 record batches (plain or gzip, streamed so a 200 MB payload never
    sits in memory) with a pure-Python CRC32C.

Everything is big-endian as the protocol requires. No third-party packages.
"""

from __future__ import annotations

import socket
import struct
import time
import zlib
from dataclasses import dataclass, field

API_PRODUCE = 0
API_API_VERSIONS = 18

ERR_NONE = 0
ERR_CORRUPT_MESSAGE = 2
ERR_UNKNOWN_TOPIC_OR_PARTITION = 3
ERR_UNSUPPORTED_VERSION = 35
ERR_INVALID_RECORD = 87

# ---------------------------------------------------------------------------
# Primitive encoders
# ---------------------------------------------------------------------------


def i8(v: int) -> bytes:
    return struct.pack(">b", v)


def i16(v: int) -> bytes:
    return struct.pack(">h", v)


def i32(v: int) -> bytes:
    return struct.pack(">i", v)


def u32(v: int) -> bytes:
    return struct.pack(">I", v)


def i64(v: int) -> bytes:
    return struct.pack(">q", v)


def string(s: str | None) -> bytes:
    """Classic (non-compact) nullable string: int16 length, -1 for null."""
    if s is None:
        return i16(-1)
    b = s.encode()
    return i16(len(b)) + b


def uvarint(v: int) -> bytes:
    assert v >= 0
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def varint(v: int) -> bytes:
    """Zig-zag signed varint (also used for varlong)."""
    return uvarint((v << 1) ^ (v >> 63))


def compact_string(s: str | None) -> bytes:
    if s is None:
        return uvarint(0)
    b = s.encode()
    return uvarint(len(b) + 1) + b


EMPTY_TAGGED_FIELDS = uvarint(0)

# ---------------------------------------------------------------------------
# CRC32C (Castagnoli), table driven, pure Python
# ---------------------------------------------------------------------------


def _make_crc32c_table() -> list[int]:
    poly = 0x82F63B78  # reflected 0x1EDC6F41
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _make_crc32c_table()


def crc32c(data: bytes, crc: int = 0) -> int:
    crc ^= 0xFFFFFFFF
    table = _CRC32C_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283, "crc32c self-test failed"

# ---------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------


def frame(payload: bytes) -> bytes:
    return i32(len(payload)) + payload


def request_header_v1(api_key: int, api_version: int, correlation_id: int, client_id: str | None) -> bytes:
    return i16(api_key) + i16(api_version) + i32(correlation_id) + string(client_id)


def request_header_v2(api_key: int, api_version: int, correlation_id: int, client_id: str | None) -> bytes:
    # Header v2 keeps the classic nullable client id and adds tagged fields.
    return request_header_v1(api_key, api_version, correlation_id, client_id) + EMPTY_TAGGED_FIELDS


def api_versions_request(correlation_id: int, version: int = 0, client_id: str = "oxbow-faults") -> bytes:
    """A framed ApiVersions request. v0-v2 have an empty body and header v1;
    v3+ are flexible (header v2, compact client software name/version)."""
    if version >= 3:
        body = compact_string("oxbow-faults") + compact_string("0.1") + EMPTY_TAGGED_FIELDS
        return frame(request_header_v2(API_API_VERSIONS, version, correlation_id, client_id) + body)
    return frame(request_header_v1(API_API_VERSIONS, version, correlation_id, client_id))


def raw_request(api_key: int, api_version: int, correlation_id: int, body: bytes = b"",
                client_id: str | None = "oxbow-faults") -> bytes:
    """Framed request with a header v1 and an arbitrary body."""
    return frame(request_header_v1(api_key, api_version, correlation_id, client_id) + body)


def produce_v7_request(correlation_id: int, topic: str, partition: int, records: bytes,
                       acks: int = -1, timeout_ms: int = 30000,
                       transactional_id: str | None = None,
                       client_id: str = "oxbow-faults") -> bytes:
    body = (
        string(transactional_id)
        + i16(acks)
        + i32(timeout_ms)
        + i32(1)  # topics
        + string(topic)
        + i32(1)  # partitions
        + i32(partition)
        + i32(len(records))
        + records
    )
    return frame(request_header_v1(API_PRODUCE, 7, correlation_id, client_id) + body)


# ---------------------------------------------------------------------------
# Record batches (magic v2)
# ---------------------------------------------------------------------------


def record_body_prefix(offset_delta: int, key: bytes | None, value_len: int, timestamp_delta: int = 0) -> bytes:
    """Everything of a record's body up to (not including) the value bytes."""
    out = i8(0) + varint(timestamp_delta) + varint(offset_delta)
    if key is None:
        out += varint(-1)
    else:
        out += varint(len(key)) + key
    return out + varint(value_len)


def encode_record(offset_delta: int, key: bytes | None, value: bytes | None, timestamp_delta: int = 0) -> bytes:
    if value is None:
        body = record_body_prefix(offset_delta, key, -1, timestamp_delta) + varint(0)
    else:
        body = record_body_prefix(offset_delta, key, len(value), timestamp_delta) + value + varint(0)
    return varint(len(body)) + body


def build_batch(records_blob: bytes, record_count: int, *, compression: int = 0,
                base_timestamp: int | None = None, producer_id: int = -1,
                producer_epoch: int = -1, base_sequence: int = -1,
                last_offset_delta: int | None = None) -> bytes:
    """A complete magic-v2 record batch around an (optionally compressed)
    records blob, with a correct CRC32C."""
    if base_timestamp is None:
        base_timestamp = int(time.time() * 1000)
    if last_offset_delta is None:
        last_offset_delta = record_count - 1
    after_crc = (
        i16(compression & 0x07)
        + i32(last_offset_delta)
        + i64(base_timestamp)
        + i64(base_timestamp)
        + i64(producer_id)
        + i16(producer_epoch)
        + i32(base_sequence)
        + i32(record_count)
        + records_blob
    )
    crc = crc32c(after_crc)
    # batchLength counts from partitionLeaderEpoch to the end.
    batch_length = 4 + 1 + 4 + len(after_crc)
    return i64(0) + i32(batch_length) + i32(-1) + i8(2) + u32(crc) + after_crc


COMPRESSION_IDS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


class _Compressor:
    """Streaming compressor for a Kafka codec. gzip uses the standard library;
    zstd and lz4 use the `zstandard` / `lz4` packages (tests/requirements.txt)."""

    def __init__(self, codec: str):
        self.codec = codec
        if codec == "gzip":
            self._c = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31 = gzip container
            self._head = b""
        elif codec == "zstd":
            import zstandard
            self._c = zstandard.ZstdCompressor(level=3).compressobj()
            self._head = b""
        elif codec == "lz4":
            import lz4.frame
            # Kafka (magic v2) uses the standard LZ4 frame format, independent blocks.
            self._c = lz4.frame.LZ4FrameCompressor(block_size=lz4.frame.BLOCKSIZE_MAX64KB,
                                                   block_linked=False, content_checksum=False)
            self._head = self._c.begin()
        else:
            raise ValueError(f"no streaming compressor for {codec}")

    def compress(self, data: bytes) -> bytes:
        head, self._head = self._head, b""
        return head + self._c.compress(data)

    def flush(self) -> bytes:
        head, self._head = self._head, b""
        return head + self._c.flush()


def compress(codec: str, data: bytes) -> bytes:
    if codec == "none":
        return data
    c = _Compressor(codec)
    return c.compress(data) + c.flush()


def simple_batch(values: list[bytes], codec: str = "none") -> bytes:
    blob = b"".join(encode_record(i, None, v) for i, v in enumerate(values))
    return build_batch(compress(codec, blob), len(values), compression=COMPRESSION_IDS[codec])


def gzip_bytes(data: bytes) -> bytes:
    return compress("gzip", data)


def bomb_batch(codec: str, inflated_bytes: int = 200 * 1024 * 1024, records: int = 1,
               chunk: int = 1 << 20) -> tuple[bytes, int]:
    """A compressed batch whose records inflate to about `inflated_bytes` of
    zero-valued payload, split over `records` records (record_count is set
    truthfully). Compressed in a streaming way, never materialised. Returns the
    batch and the compressed blob's size."""
    c = _Compressor(codec)
    per_record = inflated_bytes // records
    zeros = bytes(chunk)
    parts = []
    for i in range(records):
        body_prefix = record_body_prefix(i, None, per_record)
        body_len = len(body_prefix) + per_record + 1  # + headers count varint(0)
        parts.append(c.compress(varint(body_len) + body_prefix))
        left = per_record
        while left > 0:
            n = min(chunk, left)
            parts.append(c.compress(zeros if n == chunk else bytes(n)))
            left -= n
        parts.append(c.compress(varint(0)))
    parts.append(c.flush())
    blob = b"".join(parts)
    return build_batch(blob, records, compression=COMPRESSION_IDS[codec]), len(blob)


def gzip_bomb_batch(inflated_value_bytes: int = 200 * 1024 * 1024) -> tuple[bytes, int]:
    """One record whose value is `inflated_value_bytes` zeros, gzip compressed."""
    return bomb_batch("gzip", inflated_value_bytes, records=1)


# ---------------------------------------------------------------------------
# Socket I/O
# ---------------------------------------------------------------------------


class Closed(Exception):
    """The peer closed (FIN or RST) before a full frame arrived."""

    def __init__(self, received: bytes, how: str):
        super().__init__(f"connection closed ({how}) after {len(received)} bytes")
        self.received = received
        self.how = how


class Hang(Exception):
    """Nothing complete arrived before the deadline and the peer did not close."""

    def __init__(self, received: bytes, waited: float):
        super().__init__(f"no response and no close within {waited:.1f}s ({len(received)} bytes received)")
        self.received = received
        self.waited = waited


def connect(host: str, port: int, timeout: float = 5.0) -> socket.socket:
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def _recv_exact(sock: socket.socket, n: int, deadline: float, got: bytearray) -> None:
    target = len(got) + n
    while len(got) < target:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Hang(bytes(got), 0.0)
        sock.settimeout(left)
        try:
            chunk = sock.recv(min(65536, target - len(got)))
        except socket.timeout:
            raise Hang(bytes(got), 0.0) from None
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            raise Closed(bytes(got), "reset") from None
        if not chunk:
            raise Closed(bytes(got), "eof")
        got.extend(chunk)


def recv_frame(sock: socket.socket, timeout: float, max_len: int = 64 * 1024 * 1024) -> bytes:
    """Reads one response frame and returns its payload (without the length
    prefix). Raises Closed or Hang."""
    start = time.monotonic()
    deadline = start + timeout
    got = bytearray()
    try:
        _recv_exact(sock, 4, deadline, got)
        (length,) = struct.unpack(">i", bytes(got[:4]))
        if length < 4 or length > max_len:
            raise ValueError(f"response frame length {length} is not plausible")
        _recv_exact(sock, length, deadline, got)
    except Hang as h:
        raise Hang(h.received, time.monotonic() - start) from None
    return bytes(got[4:])


def wait_closed(sock: socket.socket, timeout: float) -> tuple[str, bytes, float]:
    """Waits for the peer to close. Returns (outcome, bytes_received, seconds)
    where outcome is 'eof', 'reset' or 'hang'."""
    start = time.monotonic()
    deadline = start + timeout
    got = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "hang", bytes(got), time.monotonic() - start
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return "hang", bytes(got), time.monotonic() - start
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            return "reset", bytes(got), time.monotonic() - start
        if not chunk:
            return "eof", bytes(got), time.monotonic() - start
        got.extend(chunk)


def send_all(sock: socket.socket, data: bytes) -> str | None:
    """sendall that reports (instead of raising) a peer that closed early."""
    try:
        sock.sendall(data)
        return None
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError) as e:
        return type(e).__name__


# ---------------------------------------------------------------------------
# Response decoders
# ---------------------------------------------------------------------------


class Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(f"response truncated: need {n} bytes at {self.pos}, have {len(self.data) - self.pos}")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def i8(self) -> int:
        return struct.unpack(">b", self.take(1))[0]

    def i16(self) -> int:
        return struct.unpack(">h", self.take(2))[0]

    def i32(self) -> int:
        return struct.unpack(">i", self.take(4))[0]

    def i64(self) -> int:
        return struct.unpack(">q", self.take(8))[0]

    def uvarint(self) -> int:
        shift = 0
        result = 0
        while True:
            b = self.take(1)[0]
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise ValueError("varint too long")

    def string(self) -> str | None:
        n = self.i16()
        if n < 0:
            return None
        return self.take(n).decode()

    def skip_tagged_fields(self) -> None:
        for _ in range(self.uvarint()):
            self.uvarint()  # tag
            self.take(self.uvarint())

    def remaining(self) -> int:
        return len(self.data) - self.pos


@dataclass
class ApiVersionsResponse:
    correlation_id: int
    error_code: int
    api_keys: dict[int, tuple[int, int]] = field(default_factory=dict)
    throttle_time_ms: int | None = None
    trailing_bytes: int = 0


def decode_api_versions_v0(payload: bytes) -> ApiVersionsResponse:
    """v0 layout: correlation id, error code, [api key, min, max]. Used both for
    v0 answers and for the UNSUPPORTED_VERSION fallback answer."""
    r = Reader(payload)
    resp = ApiVersionsResponse(r.i32(), r.i16())
    n = r.i32()
    if n < 0 or n > 10000:
        raise ValueError(f"implausible api key count {n}")
    for _ in range(n):
        key, lo, hi = r.i16(), r.i16(), r.i16()
        resp.api_keys[key] = (lo, hi)
    resp.trailing_bytes = r.remaining()
    return resp


def decode_api_versions_v3(payload: bytes) -> ApiVersionsResponse:
    """v3: response header v0 (ApiVersions never uses header v1), then error
    code, compact array of (key, min, max, tagged fields), throttle time,
    tagged fields (supported features etc. are tagged and skipped)."""
    r = Reader(payload)
    resp = ApiVersionsResponse(r.i32(), r.i16())
    n = r.uvarint() - 1
    if n < 0 or n > 10000:
        raise ValueError(f"implausible api key count {n}")
    for _ in range(n):
        key, lo, hi = r.i16(), r.i16(), r.i16()
        r.skip_tagged_fields()
        resp.api_keys[key] = (lo, hi)
    resp.throttle_time_ms = r.i32()
    r.skip_tagged_fields()
    resp.trailing_bytes = r.remaining()
    return resp


@dataclass
class ProducePartitionResponse:
    partition: int
    error_code: int
    base_offset: int
    log_append_time_ms: int
    log_start_offset: int


@dataclass
class ProduceResponse:
    correlation_id: int
    topics: dict[str, list[ProducePartitionResponse]]
    throttle_time_ms: int
    trailing_bytes: int


def decode_produce_v7(payload: bytes) -> ProduceResponse:
    r = Reader(payload)
    corr = r.i32()
    topics: dict[str, list[ProducePartitionResponse]] = {}
    for _ in range(r.i32()):
        name = r.string() or ""
        parts = []
        for _ in range(r.i32()):
            parts.append(ProducePartitionResponse(r.i32(), r.i16(), r.i64(), r.i64(), r.i64()))
        topics[name] = parts
    throttle = r.i32()
    return ProduceResponse(corr, topics, throttle, r.remaining())


def roundtrip(host: str, port: int, request: bytes, timeout: float = 5.0) -> bytes:
    """Fresh connection, one request, one response payload."""
    with connect(host, port, timeout) as s:
        s.sendall(request)
        return recv_frame(s, timeout)
