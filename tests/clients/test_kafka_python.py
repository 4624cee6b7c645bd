"""kafka-python (pure Python client) against a real oxbow broker."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
from kafka.codec import has_lz4, has_snappy, has_zstd

from ck_helpers import Rec, assert_partition_exact, consume_partitions

CODECS = ["gzip", "snappy", "lz4", "zstd"]
CODEC_AVAILABLE = {"gzip": True, "snappy": has_snappy(), "lz4": has_lz4(), "zstd": has_zstd()}


def admin_client(bootstrap):
    return KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20000, client_id="oxbow-tests")


def kp_consume(bootstrap, topic, partitions, expected_counts, timeout=30.0):
    """assign() + seek_to_beginning(), no group; poll until each partition has
    its expected record count (bounded by timeout). Returns {partition: [records]}."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="none", request_timeout_ms=20000, fetch_max_wait_ms=100)
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        got = {p: [] for p in partitions}
        deadline = time.monotonic() + timeout
        while any(len(got[p]) < expected_counts[p] for p in partitions):
            assert time.monotonic() < deadline, (
                f"kafka-python consume timed out: { {p: len(v) for p, v in got.items()} } of {expected_counts}")
            for tp, msgs in consumer.poll(timeout_ms=200).items():
                got[tp.partition].extend(msgs)
        # Nothing beyond the expected records.
        ends = consumer.end_offsets(tps)
        assert {tp.partition: off for tp, off in ends.items()} == {p: expected_counts[p] for p in partitions}
        return got
    finally:
        consumer.close()


def test_kafka_python_admin_create_describe_delete(oxbow, topic_name):
    a = admin_client(oxbow.bootstrap)
    try:
        topic = topic_name()
        a.create_topics({topic: {"num_partitions": 3, "replication_factor": 1,
                                 "configs": {"retention.ms": "3600000"}}}, wait_for_metadata=True)
        assert topic in a.list_topics()

        [desc] = a.describe_topics([topic])
        assert desc["name"] == topic
        assert desc["error_code"] == 0
        assert sorted(p["partition_index"] for p in desc["partitions"]) == [0, 1, 2]
        for p in desc["partitions"]:
            assert p["error_code"] == 0
            assert p["leader_id"] >= 0
            assert p["replica_nodes"] == [p["leader_id"]]

        cfgs = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all")
        topic_cfg = cfgs["topic"][topic]
        assert topic_cfg["retention.ms"]["value"] == "3600000"
        assert topic_cfg["retention.ms"]["config_source"] == "DYNAMIC_TOPIC_CONFIG"
        assert topic_cfg["cleanup.policy"]["value"] == "delete"
        assert topic_cfg["cleanup.policy"]["config_source"] == "DEFAULT_CONFIG"

        a.delete_topics([topic])
        assert topic not in a.list_topics()
    finally:
        a.close()


@pytest.mark.parametrize("codec", CODECS)
def test_kafka_python_produce_consume(oxbow, topic_name, codec):
    if not CODEC_AVAILABLE[codec]:
        pytest.fail(f"python library for {codec} missing: tests/requirements.txt should install it", pytrace=False)
    topic = topic_name()
    a = admin_client(oxbow.bootstrap)
    try:
        a.create_topics({topic: {"num_partitions": 2, "replication_factor": 1}}, wait_for_metadata=True)
    finally:
        a.close()

    n = 200
    recs = []
    for i in range(n):
        key = None if i == 3 else f"k{i}".encode()
        value = None if i == 4 else (f"kafka-python {codec} value {i} " * (1 + i % 9)).encode()
        headers = (("idx", str(i).encode()), ("codec", codec.encode())) if i % 3 else ()
        recs.append(Rec(key, value, headers, partition=i % 2))

    producer = KafkaProducer(bootstrap_servers=oxbow.bootstrap, acks="all", compression_type=codec,
                             linger_ms=20, request_timeout_ms=20000, client_id="oxbow-tests")
    try:
        futures = [producer.send(topic, key=r.key, value=r.value, headers=list(r.headers), partition=r.partition)
                   for r in recs]
        producer.flush(timeout=30)
        metas = [f.get(timeout=30) for f in futures]
    finally:
        producer.close(timeout=10)

    want = {p: [r for r in recs if r.partition == p] for p in (0, 1)}
    for p in (0, 1):
        offs = [m.offset for m, r in zip(metas, recs) if r.partition == p]
        assert offs == list(range(len(want[p]))), f"partition {p} offsets {offs[:20]}"

    got = kp_consume(oxbow.bootstrap, topic, [0, 1], {p: len(want[p]) for p in (0, 1)})
    for p in (0, 1):
        as_recs = [Rec(m.key, m.value, tuple(m.headers), p, m.offset) for m in got[p]]
        assert_partition_exact(as_recs, want[p])

    # librdkafka reads the kafka-python-written batches identically.
    got_ck = consume_partitions(oxbow.bootstrap, topic, [0, 1])
    for p in (0, 1):
        assert_partition_exact(got_ck[p], want[p])
