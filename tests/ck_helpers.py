"""confluent-kafka helpers shared by the client tests.

Consumers made here assign() explicit partitions and offsets and never
commit, so these tests check the log itself; consumer groups have their own
tests (test_groups.py, test_committed_offsets.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Rec:
    """A record as sent or as read back. headers: tuple of (str, bytes|None)."""

    key: Optional[bytes]
    value: Optional[bytes]
    headers: tuple = ()
    partition: Optional[int] = None
    offset: Optional[int] = None
    timestamp: Optional[int] = None

    def content(self) -> tuple:
        return (self.key, self.value, tuple(self.headers))


def _b(x):
    if x is None or isinstance(x, bytes):
        return x
    return str(x).encode()


def admin(bootstrap: str, **conf) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap, **conf})


def wait_futures(futures: dict, timeout: float = DEFAULT_TIMEOUT_S) -> dict:
    """Resolve a {key: future} dict; returns {key: result or exception}."""
    out = {}
    for key, fut in futures.items():
        try:
            out[key] = fut.result(timeout=timeout)
        except Exception as e:  # noqa: BLE001 - the caller asserts on it
            out[key] = e
    return out


def create_topic(bootstrap: str, name: str, partitions: int = 1, config: Optional[dict] = None) -> None:
    a = admin(bootstrap)
    res = wait_futures(a.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1,
                                                 config=config or {})], operation_timeout=20))
    if res[name] is not None:
        raise AssertionError(f"create_topics({name}) failed: {res[name]!r}")
    wait_for_topic(bootstrap, name, partitions)


def wait_for_topic(bootstrap: str, name: str, partitions: int, timeout: float = DEFAULT_TIMEOUT_S) -> None:
    """Poll Metadata until the topic is visible with all partitions led (bounded)."""
    a = admin(bootstrap)
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        md = a.list_topics(topic=name, timeout=10)
        t = md.topics.get(name)
        last = t
        if t is not None and t.error is None and len(t.partitions) == partitions and all(
            p.leader >= 0 and p.error is None for p in t.partitions.values()
        ):
            return
        time.sleep(0.1)
    raise AssertionError(f"topic {name} not ready with {partitions} partitions after {timeout}s: {last!r}"
                         f" error={getattr(last, 'error', None)} partitions={getattr(last, 'partitions', None)}")


def producer(bootstrap: str, **conf) -> Producer:
    base = {
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "message.timeout.ms": 30000,
        "request.timeout.ms": 15000,
    }
    base.update({k.replace("_", "."): v for k, v in conf.items()})
    return Producer(base)


def produce_all(p: Producer, topic: str, records: Sequence[Rec], timeout: float = DEFAULT_TIMEOUT_S) -> list:
    """Produce records (in order) and flush. Returns one (err, partition, offset) per record."""
    reports: list = [None] * len(records)

    def cb_for(i):
        def cb(err, msg):
            reports[i] = (err, msg.partition(), msg.offset())
        return cb

    for i, r in enumerate(records):
        kwargs = dict(key=r.key, value=r.value, on_delivery=cb_for(i))
        if r.headers:
            kwargs["headers"] = list(r.headers)
        if r.partition is not None:
            kwargs["partition"] = r.partition
        if r.timestamp is not None:
            kwargs["timestamp"] = r.timestamp
        while True:
            try:
                p.produce(topic, **kwargs)
                break
            except BufferError:
                p.poll(0.1)
    remaining = p.flush(timeout)
    assert remaining == 0, f"{remaining} messages still undelivered after flush({timeout})"
    assert all(r is not None for r in reports), "missing delivery reports"
    return reports


def assert_delivered(reports: list) -> None:
    errors = [(i, r) for i, r in enumerate(reports) if r[0] is not None]
    assert not errors, f"{len(errors)} delivery errors, first: {errors[:5]}"


def consumer(bootstrap: str, **conf) -> Consumer:
    base = {
        "bootstrap.servers": bootstrap,
        # librdkafka needs a group.id for a Consumer; these consumers never
        # subscribe or commit, so the group only ever answers offset lookups.
        "group.id": "oxbow-tests-assign-only",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "error",
        "fetch.wait.max.ms": 100,
    }
    base.update(conf)
    return Consumer(base)


def consume_partitions(
    bootstrap: str,
    topic: str,
    partitions: Iterable[int],
    start_offset: int = 0,
    timeout: float = DEFAULT_TIMEOUT_S,
    **conf,
) -> dict:
    """Read every assigned partition from start_offset up to its end (PARTITION_EOF).

    Returns {partition: [Rec...]} in consumption order. Fails on any partition error.
    """
    partitions = list(partitions)
    c = consumer(bootstrap, **conf)
    global_errors: list = []
    try:
        c.assign([TopicPartition(topic, p, start_offset) for p in partitions])
        got = {p: [] for p in partitions}
        at_eof: set = set()
        deadline = time.monotonic() + timeout
        while len(at_eof) < len(partitions):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"consume {topic} timed out after {timeout}s: counts="
                    f"{ {p: len(v) for p, v in got.items()} } at_eof={sorted(at_eof)} "
                    f"client errors={global_errors[-5:]}")
            msg = c.poll(0.2)
            if msg is None:
                continue
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    at_eof.add(msg.partition())
                    continue
                if msg.topic() == topic:
                    raise AssertionError(f"partition error on {topic}[{msg.partition()}]: {err!r}")
                if err.fatal():
                    raise KafkaException(err)
                global_errors.append(err)
                continue
            at_eof.discard(msg.partition())
            hdrs = tuple((k, v) for k, v in (msg.headers() or []))
            got[msg.partition()].append(
                Rec(msg.key(), msg.value(), hdrs, msg.partition(), msg.offset(), msg.timestamp()[1]))
        return got
    finally:
        c.close()


def assert_partition_exact(got: list, expected: Sequence[Rec], first_offset: int = 0) -> None:
    """Exact content, order, and dense offsets starting at first_offset."""
    offsets = [r.offset for r in got]
    want_offsets = list(range(first_offset, first_offset + len(expected)))
    assert len(got) == len(expected), f"got {len(got)} records, expected {len(expected)}"
    assert offsets == want_offsets, f"offsets not dense from {first_offset}: {offsets[:20]}..."
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g.content() == e.content(), f"record {i} (offset {g.offset}) differs:\n got  {g.content()!r}\n want {e.content()!r}"


def v2_single_record_batch_size(key_len: Optional[int], value_len: Optional[int],
                                headers: Sequence[tuple] = ()) -> int:
    """Size in bytes of a magic-v2 RecordBatch holding exactly one record,
    with timestamp delta 0 and offset delta 0 (what a producer sends for one
    message alone), uncompressed."""

    def varint_len(n: int) -> int:
        z = (n << 1) ^ (n >> 63)  # zigzag
        size = 1
        while z >= 0x80:
            z >>= 7
            size += 1
        return size

    def field(length: Optional[int]) -> int:
        if length is None:
            return varint_len(-1)
        return varint_len(length) + length

    body = 1  # attributes
    body += varint_len(0)  # timestamp delta
    body += varint_len(0)  # offset delta
    body += field(key_len)
    body += field(value_len)
    body += varint_len(len(headers))
    for hk, hv in headers:
        body += field(len(hk)) + field(None if hv is None else len(hv))
    record = varint_len(body) + body
    return 61 + record  # 61 = v2 batch header (baseOffset..recordCount)
