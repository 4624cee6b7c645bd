"""Committed offsets for consumers that assign() partitions themselves
(no group membership): OffsetCommit with generation -1, OffsetFetch,
OffsetDelete, and durability of offsets across a SIGKILL restart."""

from __future__ import annotations

import time

import pytest
from confluent_kafka import OFFSET_INVALID, Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from ck_helpers import create_topic, produce_all, producer, assert_delivered


class Rec:
    def __init__(self, value: bytes, partition: int):
        self.key, self.value, self.headers, self.partition, self.timestamp = None, value, None, partition, None


def fill(bootstrap: str, topic: str, partitions: int, per_partition: int) -> None:
    create_topic(bootstrap, topic, partitions)
    recs = [Rec(f"p{p}-{i}".encode(), p) for p in range(partitions) for i in range(per_partition)]
    assert_delivered(produce_all(producer(bootstrap), topic, recs))


def group_consumer(bootstrap: str, group: str, **conf) -> Consumer:
    base = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "fetch.wait.max.ms": 100,
    }
    base.update(conf)
    return Consumer(base)


def read_n(c: Consumer, n: int, timeout_s: float = 20.0) -> list:
    got, deadline = [], time.monotonic() + timeout_s
    while len(got) < n and time.monotonic() < deadline:
        m = c.poll(0.2)
        if m is not None and m.error() is None:
            got.append(m)
    return got


def test_a_group_that_never_committed_has_no_offsets(oxbow, topic_name):
    topic = topic_name("never")
    fill(oxbow.bootstrap, topic, 2, 1)
    c = group_consumer(oxbow.bootstrap, "never-joined")
    try:
        committed = c.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=10)
    finally:
        c.close()
    assert [tp.offset for tp in committed] == [OFFSET_INVALID, OFFSET_INVALID]
    assert all(tp.error is None for tp in committed)


def test_commit_resume_and_survive_sigkill(oxbow_factory, topic_name):
    server = oxbow_factory()
    topic = topic_name("resume")
    fill(server.bootstrap, topic, 2, 10)

    # Assign without offsets: nothing committed yet, so auto.offset.reset=earliest.
    c = group_consumer(server.bootstrap, "g-resume")
    c.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])
    first = read_n(c, 8)
    assert len(first) == 8
    c.commit(offsets=[TopicPartition(topic, 0, 4, metadata="m0"), TopicPartition(topic, 1, 3)], asynchronous=False)
    committed = c.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=10)
    c.close()
    assert [(tp.partition, tp.offset) for tp in committed] == [(0, 4), (1, 3)]
    assert committed[0].metadata == "m0"

    server.kill9()
    server.restart()

    # A new consumer of the same group resumes exactly at the committed offsets.
    c = group_consumer(server.bootstrap, "g-resume")
    c.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])
    rest = read_n(c, 13)
    c.close()
    firsts = {}
    for m in rest:
        firsts.setdefault(m.partition(), m.offset())
    assert firsts == {0: 4, 1: 3}
    assert sorted((m.partition(), m.offset()) for m in rest) == [(0, o) for o in range(4, 10)] + [(1, o) for o in range(3, 10)]


def test_commit_to_unknown_partition_is_refused_per_partition(oxbow, topic_name):
    topic = topic_name("unk")
    fill(oxbow.bootstrap, topic, 1, 1)
    c = group_consumer(oxbow.bootstrap, "g-unk")
    try:
        with pytest.raises(KafkaException) as e:
            c.commit(offsets=[TopicPartition(topic, 0, 1), TopicPartition(topic, 7, 1)], asynchronous=False)
        assert "UNKNOWN_TOPIC_OR_PART" in str(e.value) or "Unknown topic or partition" in str(e.value)
        committed = c.committed([TopicPartition(topic, 0)], timeout=10)
        assert committed[0].offset == 1, "the valid partition was committed"
    finally:
        c.close()


def test_kafka_python_commit_and_committed(oxbow, topic_name):
    from kafka import KafkaConsumer, TopicPartition as KTP
    from kafka.structs import OffsetAndMetadata

    topic = topic_name("kp")
    fill(oxbow.bootstrap, topic, 1, 3)
    kc = KafkaConsumer(bootstrap_servers=oxbow.bootstrap, group_id="g-kafka-python", enable_auto_commit=False,
                       request_timeout_ms=15000)
    try:
        tp = KTP(topic, 0)
        kc.assign([tp])
        assert kc.committed(tp) is None
        kc.commit({tp: OffsetAndMetadata(2, "kp-meta", -1)})
        assert kc.committed(tp) == 2
    finally:
        kc.close()


def test_list_consumer_group_offsets_through_admin(oxbow, topic_name):
    from confluent_kafka import ConsumerGroupTopicPartitions

    topic = topic_name("adm")
    fill(oxbow.bootstrap, topic, 2, 1)
    c = group_consumer(oxbow.bootstrap, "g-adm")
    c.commit(offsets=[TopicPartition(topic, 0, 1, metadata="x"), TopicPartition(topic, 1, 1)], asynchronous=False)
    c.close()
    admin = AdminClient({"bootstrap.servers": oxbow.bootstrap})
    # No partitions given: every partition the group committed (OffsetFetch topics=null).
    res = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions("g-adm")])["g-adm"].result(timeout=15)
    got = sorted((tp.topic, tp.partition, tp.offset, tp.metadata) for tp in res.topic_partitions)
    # Kafka answers "" for no metadata; librdkafka hands that to Python as None.
    assert got == [(topic, 0, 1, "x"), (topic, 1, 1, None)]
