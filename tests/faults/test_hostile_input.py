"""Hostile input on the plain Kafka port of the real binary.

Raw TCP sockets send malformed, oversized, foreign-protocol and malicious
frames. After EACH case the broker must still serve a normal client:
  * a fresh socket doing ApiVersions v0 gets a well-formed answer, and
  * a fresh confluent-kafka producer can produce a record that a consumer
    reads back at the acknowledged offset (and, in the last test, every such
    record is still there).

Cases: oversized / negative length prefixes, truncated frames (closed and
held open), random frames (4 seeds x 300), unknown api keys, Produce and
ApiVersions at unsupported versions, TLS ClientHello / HTTP on the plain port,
compression bombs (gzip, zstd, lz4) with bounded broker memory, bad CRCs, and
50 concurrent garbage connections next to a good client. Controls (hand-made
batches that must be accepted) keep the rejections from passing vacuously.

Every wait is bounded. Knobs (env): OXBOW_BIN.
"""

from __future__ import annotations

import os
import random
import socket
import struct
import sys
import threading
import time
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _kafka_wire as kw  # noqa: E402
from _proc import Broker  # noqa: E402

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

HEALTH_TOPIC = "hostile-health"
WIRE_TOPIC = "hostile-wire"
GiB_KIB = 1024 * 1024
FRAME_LIMIT = 100 * 1024 * 1024  # Kafka's socket.request.max.bytes default
PROMPT_CLOSE_S = 2.0
HANG_S = 5.0


# ---------------------------------------------------------------------------
# Normal-client helpers
# ---------------------------------------------------------------------------


def produce_one(bootstrap: str, topic: str, value: bytes, timeout: float = 20.0) -> tuple[int, int]:
    """Produces with a fresh confluent-kafka producer; returns (partition, offset)."""
    result: dict = {}
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0,
                  "message.timeout.ms": int(timeout * 1000) - 2000, "client.id": "oxbow-hostile-health"})
    p.produce(topic, value=value, partition=0,
              on_delivery=lambda err, msg: result.update(err=err, partition=msg.partition(), offset=msg.offset()))
    left = p.flush(timeout)
    p.close()
    assert left == 0 and "err" in result, f"confluent-kafka producer did not finish within {timeout}s"
    assert result["err"] is None, f"confluent-kafka produce failed: {result['err']}"
    return result["partition"], result["offset"]


def read_range(bootstrap: str, topic: str, partition: int, offset: int, count: int,
               timeout: float = 20.0) -> list[tuple[int, bytes]]:
    """Reads `count` records from `offset` with assign() (no group use, no commit)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "oxbow-hostile-readback",
                  "enable.auto.commit": False, "enable.auto.offset.store": False,
                  "auto.offset.reset": "error", "fetch.wait.max.ms": 100})
    out: list[tuple[int, bytes]] = []
    errors: list[str] = []
    try:
        c.assign([TopicPartition(topic, partition, offset)])
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            for m in c.consume(num_messages=count - len(out), timeout=0.5):
                if m.error():
                    if m.error().code() != KafkaError._PARTITION_EOF:
                        errors.append(m.error().str())
                    continue
                out.append((m.offset(), m.value()))
    finally:
        c.close()
    assert len(out) >= count, f"read back {len(out)}/{count} records of {topic}[{partition}]@{offset}; errors={errors[:5]}"
    return out


class Env:
    def __init__(self, broker: Broker):
        self.broker = broker
        self.records: list[tuple[str, int, int, bytes]] = []  # (case, partition, offset, value)
        self.crashes: list[str] = []
        self.advertised: dict[int, tuple[int, int]] = {}
        self._corr = random.Random(4242)

    @property
    def host(self) -> str:
        return self.broker.host

    @property
    def port(self) -> int:
        return self.broker.port

    def corr(self) -> int:
        return self._corr.randrange(1, 2**31 - 1)

    def api_versions_v0(self, timeout: float = 5.0) -> kw.ApiVersionsResponse:
        corr = self.corr()
        payload = kw.roundtrip(self.host, self.port, kw.api_versions_request(corr, 0), timeout)
        resp = kw.decode_api_versions_v0(payload)
        assert resp.correlation_id == corr, f"ApiVersions v0: correlation id {resp.correlation_id} != {corr}"
        assert resp.error_code == 0, f"ApiVersions v0: error {resp.error_code}"
        assert resp.trailing_bytes == 0, f"ApiVersions v0: {resp.trailing_bytes} trailing bytes"
        assert kw.API_API_VERSIONS in resp.api_keys and kw.API_PRODUCE in resp.api_keys, resp.api_keys
        for key, (lo, hi) in resp.api_keys.items():
            assert 0 <= lo <= hi, f"api key {key}: bad range {lo}..{hi}"
        return resp

    def check(self, case: str) -> None:
        """The broker still serves a normal client after `case`."""
        b = self.broker
        if not b.alive():
            rc = b.proc.returncode if b.proc else None
            self.crashes.append(case)
            pytest.fail(f"broker process DIED during case {case!r} (exit code {rc})\n{b.log_tail()}")
        try:
            self.api_versions_v0()
        except (kw.Closed, kw.Hang, OSError, ValueError) as e:
            pytest.fail(f"after {case!r}: fresh ApiVersions v0 failed: {e!r}\n{b.log_tail()}")
        value = f"after-{case}-{uuid.uuid4().hex[:8]}".encode()
        p, o = produce_one(b.bootstrap, HEALTH_TOPIC, value)
        got = read_range(b.bootstrap, HEALTH_TOPIC, p, o, 1)
        assert got[0] == (o, value), f"after {case!r}: read back {got[0]!r}, expected {(o, value)!r}"
        self.records.append((case, p, o, value))


def create_topics(bootstrap: str, names: list[str]) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    fs = admin.create_topics([NewTopic(n, num_partitions=1, replication_factor=1) for n in names],
                             operation_timeout=10, request_timeout=15)
    for n, f in fs.items():
        try:
            f.result(timeout=20)
        except Exception as e:  # already exists is fine
            if "TOPIC_ALREADY_EXISTS" not in str(e):
                raise


@pytest.fixture(scope="module")
def hostile_env(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    broker = Broker(d / "data", d / "oxbow.log")
    print(f"\nbroker log: {broker.log_path}")
    broker.start()
    env = Env(broker)
    try:
        create_topics(broker.bootstrap, [HEALTH_TOPIC, WIRE_TOPIC])
        env.advertised = env.api_versions_v0().api_keys
        env.check("startup")
        yield env
    finally:
        broker.stop()


@pytest.fixture
def env(hostile_env: Env) -> Env:
    """Per test: if an earlier case killed the broker, restart it (same port and
    data) so one crash does not hide the other cases."""
    if not hostile_env.broker.alive():
        hostile_env.broker.start()
    return hostile_env


def assert_closed_without_response(sock: socket.socket, what: str, limit: float = PROMPT_CLOSE_S) -> None:
    outcome, got, took = kw.wait_closed(sock, limit)
    assert outcome != "hang", f"{what}: connection still open and silent after {took:.1f}s (must close within {limit}s)"
    assert got == b"", f"{what}: expected no response before close, got {len(got)} bytes {got[:64].hex()}"
    assert took < limit, f"{what}: closed after {took:.2f}s (limit {limit}s)"


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0x7FFFFFFF, 200 * 1000 * 1000, FRAME_LIMIT + 1],
                         ids=["0x7fffffff", "200MB", "limit+1"])
def test_oversized_length_prefix(env, length):
    with kw.connect(env.host, env.port) as s:
        # The prefix plus a little body; the broker must not wait for (or buffer) the rest.
        kw.send_all(s, struct.pack(">i", length) + b"\x00\x12\x00\x00\x00\x00\x00\x01" + bytes(1024))
        assert_closed_without_response(s, f"length prefix {length:#x}")
    env.check(f"oversized-{length:#x}")


@pytest.mark.parametrize("length", [-1, -100, -(2**31)])
def test_negative_length_prefix(env, length):
    with kw.connect(env.host, env.port) as s:
        kw.send_all(s, struct.pack(">i", length) + bytes(16))
        assert_closed_without_response(s, f"length prefix {length}")
    env.check(f"negative-{length}")


def test_truncated_frame_then_close(env):
    for _ in range(5):
        with kw.connect(env.host, env.port) as s:
            kw.send_all(s, struct.pack(">i", 100) + kw.request_header_v1(18, 0, 7, None)[:10])
    env.check("truncated-then-close")


def test_truncated_frame_held_open_does_not_block_others(env):
    held = []
    try:
        for _ in range(10):
            s = kw.connect(env.host, env.port)
            kw.send_all(s, struct.pack(">i", 100) + kw.request_header_v1(18, 0, 7, None)[:10])
            held.append(s)
        t = time.monotonic()
        # Other clients are served while the partial frames sit there.
        env.check("truncated-held-open")
        assert time.monotonic() - t < 30
        # The held sockets must not have been answered (the frame is incomplete).
        for s in held:
            s.setblocking(False)
            try:
                data = s.recv(4096)
                assert data == b"", f"broker answered an incomplete frame: {data[:64].hex()}"
            except BlockingIOError:
                pass  # still open, nothing sent: fine
            except (ConnectionResetError, ConnectionAbortedError):
                pass  # closed: fine
    finally:
        for s in held:
            s.close()
    env.check("truncated-held-open-after-close")


def _random_frame(rng: random.Random, advertised: dict[int, tuple[int, int]]) -> tuple[bytes, int | None]:
    """Returns (framed bytes, expected correlation id or None if the content is
    too short to carry one). Kinds: fully random content; a valid api key and
    version with random remainder; a valid header with a random body. Produce
    (acks=0 legitimately gets no answer) and Fetch (a legitimate long poll) are
    left out of the structured kinds."""
    kind = rng.random()
    size = rng.choice([0, 1, 4, 7, 8, 9, 12, 16, 32, 64, 128, 256, 512, 1024, 4096, rng.randrange(0, 65536)])
    keys = [k for k in advertised if k not in (0, 1)]
    if kind < 0.5 or not keys:
        content = rng.randbytes(size)
    elif kind < 0.75:
        key = rng.choice(keys)
        lo, hi = advertised[key]
        content = struct.pack(">hhi", key, rng.randint(lo, hi), rng.randrange(2**31)) + rng.randbytes(size)
    else:
        key = rng.choice(keys)
        lo, hi = advertised[key]
        ver = rng.randint(lo, hi)
        header = kw.request_header_v1(key, ver, rng.randrange(2**31), "fuzz")
        if rng.random() < 0.5:
            header += kw.EMPTY_TAGGED_FIELDS  # header v2 for flexible versions
        content = header + rng.randbytes(size)
    corr = struct.unpack(">i", content[4:8])[0] if len(content) >= 8 else None
    return kw.frame(content), corr


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_frames(env, seed):
    rng = random.Random(seed)
    frames = 300
    outcomes = {"closed": 0, "response": 0}
    hangs: list[str] = []
    bad: list[str] = []
    t0 = time.monotonic()
    for i in range(frames):
        data, corr = _random_frame(rng, env.advertised)
        desc = f"seed {seed} frame {i}: {len(data)} bytes, first 24: {data[:24].hex()}"
        with kw.connect(env.host, env.port) as s:
            kw.send_all(s, data)  # an early close shows up as Closed below
            try:
                payload = kw.recv_frame(s, HANG_S)
            except kw.Closed as c:
                if c.received:
                    bad.append(f"{desc}: partial response then close ({c.received[:32].hex()})")
                else:
                    outcomes["closed"] += 1
                continue
            except kw.Hang as h:
                hangs.append(f"{desc}: {h}")
                if len(hangs) >= 3:
                    break
                continue
            except ValueError as e:
                bad.append(f"{desc}: {e}")
                continue
            got_corr = struct.unpack(">i", payload[:4])[0]
            if corr is None or got_corr != corr:
                bad.append(f"{desc}: response with correlation id {got_corr}, request had {corr}")
            else:
                outcomes["response"] += 1
        if not env.broker.alive():
            break
    print(f"seed {seed}: {outcomes}, hangs={len(hangs)}, bad={len(bad)}, {time.monotonic() - t0:.1f}s")
    assert env.broker.alive(), f"broker died on random frames: last {desc}\n{env.broker.log_tail()}"
    assert not hangs, "broker neither answered nor closed within 5s:\n" + "\n".join(hangs)
    assert not bad, "malformed answers to random frames:\n" + "\n".join(bad[:10])
    assert sum(outcomes.values()) == frames
    rss = env.broker.rss_kib()
    assert rss < GiB_KIB, f"broker RSS {rss} KiB after random frames"
    env.check(f"random-frames-seed-{seed}")


@pytest.mark.parametrize("api_key", [999, 32767, -1])
def test_unknown_api_key_closes_connection(env, api_key):
    with kw.connect(env.host, env.port) as s:
        kw.send_all(s, kw.raw_request(api_key, 0, 4711))
        outcome, got, took = kw.wait_closed(s, HANG_S)
        assert outcome != "hang", (f"api key {api_key}: connection neither closed within {HANG_S}s "
                                   f"(received {got[:64].hex()})")
    env.check(f"unknown-api-key-{api_key}")


@pytest.mark.parametrize("version", [99, 2, -1])
def test_produce_unsupported_version(env, version):
    batch = kw.simple_batch([b"never-stored"])
    body = kw.string(None) + kw.i16(-1) + kw.i32(5000) + kw.i32(1) + kw.string(WIRE_TOPIC) + kw.i32(1) + kw.i32(0) \
        + kw.i32(len(batch)) + batch
    with kw.connect(env.host, env.port) as s:
        kw.send_all(s, kw.raw_request(kw.API_PRODUCE, version, 5150, body))
        try:
            payload = kw.recv_frame(s, HANG_S)
        except kw.Closed:
            payload = None  # closed: accepted
        except kw.Hang as h:
            pytest.fail(f"Produce v{version}: {h}")
        if payload is not None:
            corr = struct.unpack(">i", payload[:4])[0]
            assert corr == 5150, f"Produce v{version}: answer with correlation id {corr}"
    env.check(f"produce-v{version}")


@pytest.mark.parametrize("version", [99, 32767])
def test_api_versions_unsupported_version_answers_v0_layout(env, version):
    with kw.connect(env.host, env.port) as s:
        kw.send_all(s, kw.api_versions_request(31337, version))
        payload = kw.recv_frame(s, HANG_S)
        resp = kw.decode_api_versions_v0(payload)
        assert resp.correlation_id == 31337
        assert resp.error_code == kw.ERR_UNSUPPORTED_VERSION, f"error code {resp.error_code}, expected 35"
        assert resp.trailing_bytes == 0, (f"{resp.trailing_bytes} bytes after the v0 layout "
                                          f"(payload {payload.hex()})")
        assert kw.API_API_VERSIONS in resp.api_keys, f"fallback lists no ApiVersions range: {resp.api_keys}"
        assert resp.api_keys[kw.API_API_VERSIONS] == env.advertised[kw.API_API_VERSIONS], (
            resp.api_keys[kw.API_API_VERSIONS], env.advertised[kw.API_API_VERSIONS])
        # Clients (librdkafka, Java) retry with a lower version on the same connection.
        kw.send_all(s, kw.api_versions_request(31338, 0))
        again = kw.decode_api_versions_v0(kw.recv_frame(s, HANG_S))
        assert again.correlation_id == 31338 and again.error_code == 0
    env.check(f"api-versions-v{version}")


def test_api_versions_v3_is_well_formed(env):
    payload = kw.roundtrip(env.host, env.port, kw.api_versions_request(99, 3))
    resp = kw.decode_api_versions_v3(payload)
    assert resp.correlation_id == 99 and resp.error_code == 0
    assert resp.trailing_bytes == 0
    assert resp.api_keys == env.advertised, "v3 and v0 advertise different ranges"
    env.check("api-versions-v3")


def _client_hello() -> bytes:
    rng = random.Random(7)
    hello_body = (b"\x03\x03" + rng.randbytes(32) + b"\x00"  # version, random, empty session id
                  + b"\x00\x04\x13\x01\x13\x02"  # two cipher suites
                  + b"\x01\x00"  # compression: null
                  + b"\x00\x00")  # no extensions
    hello_body += b"\x00" * (196 - len(hello_body))
    handshake = b"\x01" + len(hello_body).to_bytes(3, "big") + hello_body
    return b"\x16\x03\x01" + len(handshake).to_bytes(2, "big") + handshake


@pytest.mark.parametrize("name,data", [
    ("tls-client-hello", _client_hello()),
    ("http-get", b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
], ids=["tls-client-hello", "http-get"])
def test_foreign_protocol_closes(env, name, data):
    assert name != "tls-client-hello" or data[:3] == b"\x16\x03\x01"
    with kw.connect(env.host, env.port) as s:
        kw.send_all(s, data)
        assert_closed_without_response(s, name)
    env.check(name)


def _produce_raw(env: Env, batch: bytes, corr: int, timeout: float = 30.0) -> kw.ProducePartitionResponse:
    with kw.connect(env.host, env.port, timeout=10) as s:
        err = kw.send_all(s, kw.produce_v7_request(corr, WIRE_TOPIC, 0, batch, acks=-1, timeout_ms=10000))
        assert err is None, f"broker closed while the Produce request was being sent ({err})"
        payload = kw.recv_frame(s, timeout)
    resp = kw.decode_produce_v7(payload)
    assert resp.correlation_id == corr, f"produce answer correlation id {resp.correlation_id} != {corr}"
    assert resp.trailing_bytes == 0, f"{resp.trailing_bytes} trailing bytes in Produce v7 response"
    assert list(resp.topics) == [WIRE_TOPIC] and len(resp.topics[WIRE_TOPIC]) == 1, resp
    part = resp.topics[WIRE_TOPIC][0]
    assert part.partition == 0, part
    return part


def _need_codec(codec: str) -> None:
    if codec == "zstd":
        pytest.importorskip("zstandard")
    elif codec == "lz4":
        pytest.importorskip("lz4.frame")


@pytest.mark.parametrize("codec", ["none", "gzip", "zstd", "lz4"])
def test_handmade_produce_v7_is_accepted(env, codec):
    """Control for the hand encoder: a correct batch is stored and readable, so
    the rejections below are about the defect each one carries."""
    _need_codec(codec)
    values = [f"wire-{codec}-{i}-{uuid.uuid4().hex[:6]}".encode() for i in range(3)]
    part = _produce_raw(env, kw.simple_batch(values, codec), corr=1000 + kw.COMPRESSION_IDS[codec])
    assert part.error_code == 0, f"valid hand-made {codec} batch refused with error {part.error_code}"
    got = read_range(env.broker.bootstrap, WIRE_TOPIC, 0, part.base_offset, 3)
    assert got == [(part.base_offset + i, v) for i, v in enumerate(values)], got
    env.check(f"handmade-produce-{codec}")


# (codec, inflated bytes, records). The single-record bomb is the brief's case
# (200 MB of zeros in one value, gzip ~200 KB); the many-record bombs consist of
# records that are each plausible (1 MiB), so only a bound on the total
# inflated size stops them. Every compressed request stays far below
# message.max.bytes (1 MB), so a refusal is about inflation, not wire size.
BOMBS = [
    ("gzip", 200 * 1024 * 1024, 1),
    ("gzip", 200 * 1024 * 1024, 200),
    ("zstd", 200 * 1024 * 1024, 200),
    ("lz4", 150 * 1024 * 1024, 150),
]


@pytest.mark.parametrize("codec", ["gzip", "zstd", "lz4"])
def test_bomb_builder_control_is_accepted(env, codec):
    """Control for the bomb builder: the same construction inflating to only
    4 MiB (4 records of 1 MiB) is a valid batch and is accepted."""
    _need_codec(codec)
    batch, _ = kw.bomb_batch(codec, 4 * 1024 * 1024, 4)
    part = _produce_raw(env, batch, corr=1500)
    assert part.error_code == 0, f"a valid 4 MiB {codec} batch was refused with error {part.error_code}"
    env.check(f"bomb-control-{codec}")


@pytest.mark.parametrize("codec,inflated,records", BOMBS,
                         ids=[f"{c}-{n}x{i // n >> 20}MiB" for c, i, n in BOMBS])
def test_compression_bomb_is_refused_with_bounded_memory(env, codec, inflated, records):
    _need_codec(codec)
    batch, blob_len = kw.bomb_batch(codec, inflated, records)
    assert blob_len < 900 * 1024, f"bomb compressed to {blob_len} bytes; must stay below message.max.bytes"
    rss_before = env.broker.rss_kib()
    peak = [rss_before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                peak[0] = max(peak[0], env.broker.rss_kib())
            except (OSError, KeyError, ValueError):
                return
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        t = time.monotonic()
        part = _produce_raw(env, batch, corr=2000, timeout=60)
        took = time.monotonic() - t
    finally:
        done.set()
        sampler.join(2)
    rss_after = env.broker.rss_kib()
    hwm = env.broker.peak_rss_kib()
    print(f"{codec} bomb ({records} records, {inflated >> 20} MiB inflated): {len(batch)} bytes on the wire, "
          f"error {part.error_code} in {took:.2f}s; RSS before {rss_before} KiB, sampled peak {peak[0]} KiB, "
          f"after {rss_after} KiB, VmHWM {hwm} KiB")
    assert part.error_code != 0, f"a {codec} batch inflating to {inflated >> 20} MiB was accepted (error 0)"
    assert part.error_code != kw.ERR_UNKNOWN_TOPIC_OR_PARTITION, "topic missing: the case tested nothing"
    assert rss_after < GiB_KIB, f"broker RSS {rss_after} KiB after the {codec} bomb"
    assert peak[0] < GiB_KIB and hwm < GiB_KIB, f"broker peak RSS {max(peak[0], hwm)} KiB during the {codec} bomb"
    env.check(f"{codec}-bomb-{records}")


@pytest.mark.parametrize("defect", ["crc-field", "payload-byte"])
def test_bad_crc_is_corrupt_message(env, defect):
    batch = bytearray(kw.simple_batch([b"crc-victim-" + defect.encode()]))
    if defect == "crc-field":
        batch[17] ^= 0xFF  # the CRC itself (offset 17..20)
    else:
        batch[-3] ^= 0x01  # a value byte inside the CRC's coverage
    part = _produce_raw(env, bytes(batch), corr=3000)
    assert part.error_code == kw.ERR_CORRUPT_MESSAGE, f"error {part.error_code}, expected CORRUPT_MESSAGE (2)"
    env.check(f"bad-crc-{defect}")


def test_concurrent_garbage_does_not_starve_a_good_client(env):
    """50 connections at a time send garbage (each reconnects when the broker
    closes it) while a good client keeps doing ApiVersions and produces."""
    stop = threading.Event()
    stats: dict[str, int] = {"conns": 0}
    lock = threading.Lock()
    host, port = env.host, env.port

    def bump(key: str) -> None:
        with lock:
            stats[key] = stats.get(key, 0) + 1

    def garbage(idx: int) -> None:
        rng = random.Random(1000 + idx)
        mode = idx % 5
        while not stop.is_set():
            try:
                with socket.create_connection((host, port), timeout=2) as s:
                    bump("conns")
                    if mode == 0:  # unframed random bytes
                        for _ in range(20):
                            s.sendall(rng.randbytes(rng.randrange(1, 8192)))
                    elif mode == 1:  # framed random content
                        for _ in range(20):
                            s.sendall(kw.frame(rng.randbytes(rng.randrange(0, 2048))))
                    elif mode == 2:  # slowloris: a frame that trickles in
                        s.sendall(struct.pack(">i", 4096))
                        while not stop.is_set():
                            s.sendall(b"\x00")
                            time.sleep(0.1)
                    elif mode == 3:  # oversized prefix
                        s.sendall(struct.pack(">i", 0x7FFFFFF0) + rng.randbytes(512))
                        s.settimeout(2)
                        s.recv(1)
                    else:  # half a header, then close
                        s.sendall(b"\x00\x00\x00\x10\x00\x12")
            except OSError as e:
                # Resets / broken pipes are the broker closing on garbage: expected.
                bump(type(e).__name__)
            time.sleep(0.01)

    threads = [threading.Thread(target=garbage, args=(i,), daemon=True) for i in range(50)]
    for t in threads:
        t.start()
    latencies: list[float] = []
    failures: list[str] = []
    produced = 0
    producer = Producer({"bootstrap.servers": env.broker.bootstrap, "acks": "all", "linger.ms": 0,
                         "message.timeout.ms": 10000})
    try:
        end = time.monotonic() + 6
        next_produce = 0.0
        while time.monotonic() < end:
            t = time.monotonic()
            try:
                env.api_versions_v0(timeout=2)
                latencies.append(time.monotonic() - t)
            except (AssertionError, kw.Closed, kw.Hang, OSError, ValueError) as e:
                failures.append(f"ApiVersions: {e!r}")
            if time.monotonic() >= next_produce:
                res: dict = {}
                producer.produce(HEALTH_TOPIC, value=b"during-garbage", partition=0,
                                 on_delivery=lambda err, msg: res.update(err=err))
                left = producer.flush(5)
                if left or res.get("err") is not None:
                    failures.append(f"produce: left={left} err={res.get('err')}")
                else:
                    produced += 1
                next_produce = time.monotonic() + 1
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(5)
        producer.close()
    print(f"garbage connections {stats}, good ApiVersions {len(latencies)} "
          f"(max {max(latencies, default=0):.3f}s), produced {produced}")
    assert not failures, "good client failed during the garbage storm:\n" + "\n".join(failures[:10])
    assert len(latencies) >= 10 and produced >= 3
    assert max(latencies) < 2.0, f"ApiVersions took up to {max(latencies):.2f}s during the storm"
    assert stats["conns"] >= 50
    assert stats.get("ConnectionRefusedError", 0) == 0, f"garbage clients were refused: {stats}"
    env.check("concurrent-garbage")


def test_zz_every_health_record_is_still_readable(env):
    """Last: every record produced by the per-case health checks is still at
    the offset it was acknowledged with."""
    assert env.records, "no health records were produced"
    by_offset = {o: v for _, _, o, v in env.records}
    lo, hi = min(by_offset), max(by_offset)
    got = dict(read_range(env.broker.bootstrap, HEALTH_TOPIC, 0, lo, hi - lo + 1))
    missing = [(case, o, v) for case, _, o, v in env.records if got.get(o) != v]
    assert not missing, f"health records no longer at their offsets: {missing[:10]}"
    hwm = env.broker.peak_rss_kib()
    assert hwm < GiB_KIB, f"broker peak RSS over the whole module: {hwm} KiB"
    assert not env.crashes, f"broker crashed during: {env.crashes}"
