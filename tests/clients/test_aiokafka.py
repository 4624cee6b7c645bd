"""aiokafka (asyncio client) smoke test: produce, read back with assign (no group)."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from ck_helpers import Rec, assert_partition_exact, consume_partitions, create_topic


async def step(what, aw, timeout=20):
    """Await one client call with its own bound, so a hang names the call."""
    try:
        return await asyncio.wait_for(aw, timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"aiokafka: {what} did not complete within {timeout}s") from None


async def _produce_and_read(bootstrap, topic, recs):
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", compression_type="gzip",
                                linger_ms=10, request_timeout_ms=20000)
    await step("producer.start()", producer.start())
    try:
        futs = [await producer.send(topic, key=r.key, value=r.value, headers=list(r.headers), partition=0)
                for r in recs]
        metas = await step("produce (acks=all)", asyncio.gather(*futs))
    finally:
        await step("producer.stop()", producer.stop())

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="none", request_timeout_ms=20000, fetch_max_wait_ms=100)
    await step("consumer.start()", consumer.start())
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await step("seek_to_beginning (ListOffsets earliest)", consumer.seek_to_beginning(tp))
        got = []

        async def read_all():
            while len(got) < len(recs):
                batch = await consumer.getmany(tp, timeout_ms=500)
                got.extend(batch.get(tp, []))

        await step(f"reading {len(recs)} records (got {len(got)})", read_all())
        end = await step("end_offsets (ListOffsets latest)", consumer.end_offsets([tp]))
    finally:
        await step("consumer.stop()", consumer.stop())
    return metas, got, end[tp]


def test_aiokafka_produce_and_read_back(oxbow, topic_name):
    topic = topic_name()
    create_topic(oxbow.bootstrap, topic, 1)
    recs = [Rec(f"k{i}".encode(), f"aiokafka value {i}".encode(), (("i", str(i).encode()),) if i % 2 else ())
            for i in range(50)]
    metas, got, end = asyncio.run(asyncio.wait_for(_produce_and_read(oxbow.bootstrap, topic, recs), 60))
    assert [m.offset for m in metas] == list(range(50))
    assert end == 50
    assert_partition_exact([Rec(m.key, m.value, tuple(m.headers), 0, m.offset) for m in got], recs)
    assert_partition_exact(consume_partitions(oxbow.bootstrap, topic, [0])[0], recs)
