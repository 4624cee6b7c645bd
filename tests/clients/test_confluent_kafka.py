"""confluent-kafka (librdkafka) against a real oxbow broker."""

from __future__ import annotations

import random

import pytest
from confluent_kafka import KafkaError, TopicPartition
from confluent_kafka.admin import (
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    NewPartitions,
    NewTopic,
)

from ck_helpers import (
    Rec,
    admin,
    assert_delivered,
    assert_partition_exact,
    consume_partitions,
    consumer,
    create_topic,
    produce_all,
    producer,
    v2_single_record_batch_size,
    wait_for_topic,
    wait_futures,
)

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def make_records(n: int, partitions: int, seed: int) -> list[Rec]:
    """Records with keys, values and headers, including the edge cases
    (null key, null value, empty key/value, null header value, binary data)."""
    rnd = random.Random(seed)
    recs = []
    for i in range(n):
        p = i % partitions
        if i == 0:
            key, value = None, b"null key"
        elif i == 1:
            key, value = b"k-null-value", None
        elif i == 2:
            key, value = b"", b""
        elif i % 7 == 0:
            key, value = f"k{i}".encode(), bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 400)))
        else:
            key, value = f"k{i}".encode(), (f"value-{i}-" * rnd.randint(1, 30)).encode()
        headers = (("idx", str(i).encode()), ("h-bin", bytes([i % 256, 0, 255])))
        if i % 5 == 0:
            headers += (("null-header", None),)
        if i % 11 == 0:
            headers = ()
        recs.append(Rec(key, value, headers, partition=p))
    return recs


def by_partition(recs, partitions):
    out = {p: [] for p in range(partitions)}
    for r in recs:
        out[r.partition].append(r)
    return out


@pytest.mark.parametrize("codec", CODECS)
def test_produce_consume_exact_per_codec(oxbow, topic_name, codec):
    topic = topic_name()
    partitions = 3
    create_topic(oxbow.bootstrap, topic, partitions)
    recs = make_records(300, partitions, seed=CODECS.index(codec))
    p = producer(oxbow.bootstrap, **{"enable.idempotence": True, "compression.type": codec, "linger.ms": 20})
    reports = produce_all(p, topic, recs)
    assert_delivered(reports)

    want = by_partition(recs, partitions)
    # Delivery reports: per partition, offsets 0..n-1 in produce order.
    for part in range(partitions):
        offs = [rep[2] for rec, rep in zip(recs, reports) if rec.partition == part]
        assert [rep[1] for rec, rep in zip(recs, reports) if rec.partition == part] == [part] * len(offs)
        assert offs == list(range(len(want[part]))), f"delivery offsets for partition {part}: {offs[:20]}"

    got = consume_partitions(oxbow.bootstrap, topic, range(partitions))
    for part in range(partitions):
        assert_partition_exact(got[part], want[part])


def test_many_partitions(oxbow, topic_name):
    topic = topic_name()
    partitions = 64
    create_topic(oxbow.bootstrap, topic, partitions)
    md = admin(oxbow.bootstrap).list_topics(topic=topic, timeout=10)
    assert sorted(md.topics[topic].partitions) == list(range(partitions))

    recs = [Rec(f"p{p}-k{j}".encode(), f"p{p}-v{j}".encode(), (("j", str(j).encode()),), partition=p)
            for j in range(5) for p in range(partitions)]
    p = producer(oxbow.bootstrap, **{"enable.idempotence": True, "linger.ms": 5})
    reports = produce_all(p, topic, recs)
    assert_delivered(reports)

    got = consume_partitions(oxbow.bootstrap, topic, range(partitions))
    want = by_partition(recs, partitions)
    for part in range(partitions):
        assert_partition_exact(got[part], want[part])


def test_max_message_bytes_limit(oxbow, topic_name):
    topic = topic_name()
    limit = 10_000
    create_topic(oxbow.bootstrap, topic, 1, config={"max.message.bytes": str(limit)})

    # Value length whose single-record batch is exactly `limit` bytes.
    exact = next(v for v in range(limit) if v2_single_record_batch_size(None, v) == limit)
    assert v2_single_record_batch_size(None, exact + 1) == limit + 1

    p = producer(oxbow.bootstrap, **{"linger.ms": 0, "batch.num.messages": 1, "enable.idempotence": False,
                                     "compression.type": "none", "retries": 0})

    def send_one(size):
        [rep] = produce_all(p, topic, [Rec(None, b"x" * size, partition=0)])
        return rep

    at_limit = send_one(exact)
    assert at_limit[0] is None, f"batch of exactly max.message.bytes={limit} rejected: {at_limit[0]!r}"
    assert at_limit[2] == 0

    one_over = send_one(exact + 1)
    assert one_over[0] is not None and one_over[0].code() == KafkaError.MSG_SIZE_TOO_LARGE, (
        f"batch of {limit + 1} bytes: expected MSG_SIZE_TOO_LARGE, got {one_over!r}")

    way_over = send_one(exact + 5000)
    assert way_over[0] is not None and way_over[0].code() == KafkaError.MSG_SIZE_TOO_LARGE, (
        f"batch of {limit + 5000} bytes: expected MSG_SIZE_TOO_LARGE, got {way_over!r}")

    just_under = send_one(exact - 1)
    assert just_under[0] is None, f"batch of {limit - 1} bytes rejected: {just_under[0]!r}"
    assert just_under[2] == 1, "rejected batches must not consume offsets"

    got = consume_partitions(oxbow.bootstrap, topic, [0])
    assert_partition_exact(got[0], [Rec(None, b"x" * exact), Rec(None, b"x" * (exact - 1))])


# ----------------------------------------------------------------- admin


def test_admin_create_topics_with_configs_and_validate_only(oxbow, topic_name):
    a = admin(oxbow.bootstrap)
    t_real, t_dry, t_bad = topic_name("real"), topic_name("dry"), topic_name("badcfg")

    res = wait_futures(a.create_topics(
        [NewTopic(t_dry, num_partitions=2, replication_factor=1)], validate_only=True, operation_timeout=20))
    assert res[t_dry] is None, f"validate_only create failed: {res[t_dry]!r}"
    assert t_dry not in a.list_topics(timeout=10).topics, "validate_only must not create the topic"

    res = wait_futures(a.create_topics(
        [NewTopic(t_real, num_partitions=4, replication_factor=1,
                  config={"retention.ms": "3600000", "cleanup.policy": "delete"})], operation_timeout=20))
    assert res[t_real] is None, f"create failed: {res[t_real]!r}"
    wait_for_topic(oxbow.bootstrap, t_real, 4)

    res = wait_futures(a.create_topics([NewTopic(t_real, num_partitions=1, replication_factor=1)]))
    assert isinstance(res[t_real], Exception)
    assert res[t_real].args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS, repr(res[t_real])

    res = wait_futures(a.create_topics(
        [NewTopic(t_bad, num_partitions=1, replication_factor=1, config={"no.such.config": "1"})]))
    assert isinstance(res[t_bad], Exception)
    assert res[t_bad].args[0].code() == KafkaError.INVALID_CONFIG, repr(res[t_bad])
    assert t_bad not in a.list_topics(timeout=10).topics


def src(entry) -> ConfigSource:
    """ConfigEntry.source as a ConfigSource (the client may give an int or the enum)."""
    return ConfigSource(entry.source)


def _describe(a, topic):
    [(_, fut)] = a.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)]).items()
    return fut.result(timeout=20)


@pytest.mark.filterwarnings("ignore:alter_configs has been deprecated:DeprecationWarning")
def test_admin_describe_and_alter_configs(oxbow, topic_name):
    a = admin(oxbow.bootstrap)
    topic = topic_name()
    create_topic(oxbow.bootstrap, topic, 1, config={"retention.ms": "3600000", "max.message.bytes": "20000"})

    cfg = _describe(a, topic)
    assert cfg["retention.ms"].value == "3600000"
    assert src(cfg["retention.ms"]) == ConfigSource.DYNAMIC_TOPIC_CONFIG
    assert cfg["max.message.bytes"].value == "20000"
    assert src(cfg["max.message.bytes"]) == ConfigSource.DYNAMIC_TOPIC_CONFIG
    assert cfg["cleanup.policy"].value == "delete"
    assert src(cfg["cleanup.policy"]) == ConfigSource.DEFAULT_CONFIG
    assert cfg["cleanup.policy"].is_default is True

    # Legacy AlterConfigs replaces the whole set: max.message.bytes goes back to default.
    res = wait_futures(a.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic,
                                                       set_config={"retention.ms": "7200000"})]))
    assert all(v is None for v in res.values()), res
    cfg = _describe(a, topic)
    assert (cfg["retention.ms"].value, src(cfg["retention.ms"])) == (
        "7200000", ConfigSource.DYNAMIC_TOPIC_CONFIG)
    assert (cfg["max.message.bytes"].value, src(cfg["max.message.bytes"])) == (
        "1048588", ConfigSource.DEFAULT_CONFIG)

    # IncrementalAlterConfigs: SET one, DELETE another, leave the rest.
    res = wait_futures(a.incremental_alter_configs([ConfigResource(
        ConfigResource.Type.TOPIC, topic, incremental_configs=[
            ConfigEntry("max.message.bytes", "30000", incremental_operation=AlterConfigOpType.SET),
            ConfigEntry("retention.bytes", "1048576", incremental_operation=AlterConfigOpType.SET),
        ])]))
    assert all(v is None for v in res.values()), res
    cfg = _describe(a, topic)
    assert (cfg["max.message.bytes"].value, src(cfg["max.message.bytes"])) == (
        "30000", ConfigSource.DYNAMIC_TOPIC_CONFIG)
    assert (cfg["retention.bytes"].value, src(cfg["retention.bytes"])) == (
        "1048576", ConfigSource.DYNAMIC_TOPIC_CONFIG)
    assert (cfg["cleanup.policy"].value, src(cfg["cleanup.policy"])) == ("delete", ConfigSource.DEFAULT_CONFIG)
    assert cfg["retention.ms"].value == "7200000"

    res = wait_futures(a.incremental_alter_configs([ConfigResource(
        ConfigResource.Type.TOPIC, topic, incremental_configs=[
            ConfigEntry("retention.ms", None, incremental_operation=AlterConfigOpType.DELETE),
        ])]))
    assert all(v is None for v in res.values()), res
    cfg = _describe(a, topic)
    assert (cfg["retention.ms"].value, src(cfg["retention.ms"])) == (
        "604800000", ConfigSource.DEFAULT_CONFIG)
    assert cfg["max.message.bytes"].value == "30000"

    # The new limit is enforced on produce.
    p = producer(oxbow.bootstrap, **{"linger.ms": 0, "retries": 0})
    [rep] = produce_all(p, topic, [Rec(None, b"y" * 31_000, partition=0)])
    assert rep[0] is not None and rep[0].code() == KafkaError.MSG_SIZE_TOO_LARGE, repr(rep)


def test_describe_broker_config_static(oxbow_factory):
    server = oxbow_factory(sets={"num.partitions": "3"})
    a = admin(server.bootstrap)
    md = a.list_topics(timeout=10)
    [broker_id] = list(md.brokers)
    [(_, fut)] = a.describe_configs([ConfigResource(ConfigResource.Type.BROKER, str(broker_id))]).items()
    cfg = fut.result(timeout=20)
    assert cfg["num.partitions"].value == "3"
    assert src(cfg["num.partitions"]) == ConfigSource.STATIC_BROKER_CONFIG


def test_admin_create_partitions(oxbow, topic_name):
    a = admin(oxbow.bootstrap)
    topic = topic_name()
    create_topic(oxbow.bootstrap, topic, 2)
    res = wait_futures(a.create_partitions([NewPartitions(topic, 5)], operation_timeout=20))
    assert res[topic] is None, repr(res[topic])
    wait_for_topic(oxbow.bootstrap, topic, 5)

    res = wait_futures(a.create_partitions([NewPartitions(topic, 3)]))
    assert isinstance(res[topic], Exception)
    assert res[topic].args[0].code() == KafkaError.INVALID_PARTITIONS, repr(res[topic])

    recs = [Rec(f"k{p}".encode(), f"v{p}".encode(), partition=p) for p in range(5)]
    assert_delivered(produce_all(producer(oxbow.bootstrap), topic, recs))
    got = consume_partitions(oxbow.bootstrap, topic, range(5))
    for p in range(5):
        assert_partition_exact(got[p], [recs[p]])


def test_admin_delete_topics(oxbow, topic_name):
    a = admin(oxbow.bootstrap)
    topic = topic_name()
    create_topic(oxbow.bootstrap, topic, 2)
    assert topic in a.list_topics(timeout=10).topics
    res = wait_futures(a.delete_topics([topic], operation_timeout=20))
    assert res[topic] is None, repr(res[topic])
    assert topic not in a.list_topics(timeout=10).topics

    res = wait_futures(a.delete_topics([topic]))
    assert isinstance(res[topic], Exception)
    assert res[topic].args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART, repr(res[topic])


def test_list_topics_cluster_metadata(oxbow, topic_name):
    topic = topic_name()
    create_topic(oxbow.bootstrap, topic, 3)
    md = admin(oxbow.bootstrap).list_topics(timeout=10)
    assert len(md.brokers) == 1
    [b] = md.brokers.values()
    assert (b.host, b.port) == ("127.0.0.1", oxbow.port)
    assert md.controller_id == b.id
    assert md.cluster_id
    t = md.topics[topic]
    assert t.error is None
    assert sorted(t.partitions) == [0, 1, 2]
    for pid, pm in t.partitions.items():
        assert (pm.leader, list(pm.replicas), list(pm.isrs)) == (b.id, [b.id], [b.id]), pid


# ----------------------------------------------------------- list offsets


def test_list_offsets_watermarks_and_times(oxbow, topic_name):
    topic = topic_name()
    create_topic(oxbow.bootstrap, topic, 1)
    base_ts = 1_700_000_000_000
    recs = [Rec(f"k{i}".encode(), f"v{i}".encode(), partition=0, timestamp=base_ts + i * 1000) for i in range(10)]
    assert_delivered(produce_all(producer(oxbow.bootstrap, **{"linger.ms": 0}), topic, recs))

    c = consumer(oxbow.bootstrap)
    try:
        tp = TopicPartition(topic, 0)
        assert c.get_watermark_offsets(tp, timeout=10, cached=False) == (0, 10)
        queries = {
            base_ts - 5000: 0,  # before everything: first offset
            base_ts: 0,
            base_ts + 3500: 4,  # first record with timestamp >= target
            base_ts + 9000: 9,
            base_ts + 9001: -1,  # after everything: no offset
        }
        for ts, want in queries.items():
            [r] = c.offsets_for_times([TopicPartition(topic, 0, ts)], timeout=10)
            assert r.error is None, repr(r.error)
            assert r.offset == want, f"offsets_for_times({ts - base_ts:+d} ms): got {r.offset}, want {want}"
    finally:
        c.close()

    got = consume_partitions(oxbow.bootstrap, topic, [0])
    assert [r.timestamp for r in got[0]] == [r.timestamp for r in recs]


def test_delete_records_moves_log_start(oxbow, topic_name):
    topic = topic_name()
    create_topic(oxbow.bootstrap, topic, 1)
    recs = [Rec(f"k{i}".encode(), f"v{i}".encode(), partition=0) for i in range(10)]
    assert_delivered(produce_all(producer(oxbow.bootstrap), topic, recs))
    a = admin(oxbow.bootstrap)
    futs = a.delete_records([TopicPartition(topic, 0, 4)], operation_timeout=20)
    [res] = wait_futures(futs).values()
    assert not isinstance(res, Exception), repr(res)
    assert res.low_watermark == 4, vars(res)
    c = consumer(oxbow.bootstrap)
    try:
        assert c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10, cached=False) == (4, 10)
    finally:
        c.close()
    got = consume_partitions(oxbow.bootstrap, topic, [0], start_offset=4)
    assert_partition_exact(got[0], recs[4:], first_offset=4)


# --------------------------------------------------------- auto creation


def test_auto_create_topics_default_on(oxbow, topic_name):
    topic = topic_name()
    p = producer(oxbow.bootstrap)
    rec = Rec(b"k", b"auto-created", (("h", b"1"),))
    [rep] = produce_all(p, topic, [rec])
    assert rep[0] is None, repr(rep)
    assert (rep[1], rep[2]) == (0, 0)
    md = admin(oxbow.bootstrap).list_topics(timeout=10)
    assert sorted(md.topics[topic].partitions) == [0], "default num.partitions is 1"
    got = consume_partitions(oxbow.bootstrap, topic, [0])
    assert_partition_exact(got[0], [rec])


def test_auto_create_uses_num_partitions(oxbow_factory, topic_name):
    server = oxbow_factory(sets={"num.partitions": "3"})
    topic = topic_name()
    [rep] = produce_all(producer(server.bootstrap), topic, [Rec(b"k", b"v")])
    assert rep[0] is None, repr(rep)
    md = admin(server.bootstrap).list_topics(timeout=10)
    assert sorted(md.topics[topic].partitions) == [0, 1, 2]


def test_auto_create_disabled(oxbow_factory, topic_name):
    server = oxbow_factory(sets={"auto.create.topics.enable": "false"})
    topic = topic_name()
    a = admin(server.bootstrap)
    md = a.list_topics(topic=topic, timeout=10)
    assert md.topics[topic].error is not None
    assert md.topics[topic].error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART

    p = producer(server.bootstrap, **{"topic.metadata.propagation.max.ms": 1000, "message.timeout.ms": 10000})
    [rep] = produce_all(p, topic, [Rec(b"k", b"v")])
    assert rep[0] is not None and rep[0].code() in (KafkaError._UNKNOWN_TOPIC, KafkaError.UNKNOWN_TOPIC_OR_PART), (
        f"produce to a missing topic with auto-create off: {rep!r}")
    assert topic not in a.list_topics(timeout=10).topics

    # Explicit creation still works (a new producer: librdkafka caches "topic does not exist").
    create_topic(server.bootstrap, topic, 1)
    [rep] = produce_all(producer(server.bootstrap), topic, [Rec(b"k", b"v")])
    assert rep[0] is None and rep[2] == 0, repr(rep)


# ------------------------------------------------------------ restarts


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_records_survive_restart(oxbow_factory, topic_name, how):
    server = oxbow_factory()
    topic = topic_name()
    create_topic(server.bootstrap, topic, 2, config={"retention.ms": "3600000"})
    first = [Rec(f"a{i}".encode(), f"before-{i}".encode(), (("n", str(i).encode()),), partition=i % 2)
             for i in range(40)]
    assert_delivered(produce_all(producer(server.bootstrap, **{"enable.idempotence": True}), topic, first))

    server.restart(kill=(how == "sigkill"))

    # Acknowledged records, topic and its config are all still there.
    got = consume_partitions(server.bootstrap, topic, [0, 1])
    for p in (0, 1):
        assert_partition_exact(got[p], [r for r in first if r.partition == p])
    assert _describe(admin(server.bootstrap), topic)["retention.ms"].value == "3600000"

    # New records continue the offsets.
    second = [Rec(f"b{i}".encode(), f"after-{i}".encode(), partition=i % 2) for i in range(10)]
    reports = produce_all(producer(server.bootstrap, **{"enable.idempotence": True}), topic, second)
    assert_delivered(reports)
    assert [r[2] for r in reports] == [20 + i // 2 for i in range(10)]
    got = consume_partitions(server.bootstrap, topic, [0, 1])
    for p in (0, 1):
        assert_partition_exact(got[p], [r for r in first + second if r.partition == p])
