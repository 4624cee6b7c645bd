"""Retention by retention.bytes and retention.ms, and deletion of the
objects that retention leaves unreferenced, against the real binary."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ck_helpers import admin, assert_delivered, create_topic, produce_all, producer  # noqa: E402
from confluent_kafka import Consumer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource  # noqa: E402

SETS = {
    "log.retention.check.interval.ms": "200",
    "oxbow.object.gc.grace.ms": "0",
    # One flush per produced batch keeps the object count predictable.
    "oxbow.flush.interval.ms": "0",
}


class Rec:
    def __init__(self, value: bytes):
        self.key, self.value, self.headers, self.partition, self.timestamp = None, value, None, 0, None


def watermarks(bootstrap: str, topic: str) -> tuple[int, int]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "wm", "enable.auto.commit": False})
    try:
        return c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    finally:
        c.close()


def object_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "objects").rglob("*") if p.is_file()]


def wait_until(predicate, timeout_s: float = 15.0, step_s: float = 0.1):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step_s)
    return predicate()


def set_topic_config(bootstrap: str, topic: str, name: str, value: str) -> None:
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic,
                              incremental_configs=[ConfigEntry(name, value, incremental_operation=AlterConfigOpType.SET)])
    client = admin(bootstrap)  # keep the handle alive until the futures resolve
    for fut in client.incremental_alter_configs([resource]).values():
        fut.result(timeout=10)


def produce_batches(bootstrap: str, topic: str, batches: int, per_batch: int, value_bytes: int) -> None:
    # linger 0 and a flush per batch: each flush becomes its own Kafka batch and object.
    p = producer(bootstrap, linger_ms=0)
    for b in range(batches):
        assert_delivered(produce_all(p, topic, [Rec(os.urandom(value_bytes)) for _ in range(per_batch)]))


def test_retention_bytes_moves_log_start_and_deletes_objects(oxbow_factory, topic_name):
    server = oxbow_factory(sets=SETS)
    topic = topic_name("rb")
    create_topic(server.bootstrap, topic, 1)
    produce_batches(server.bootstrap, topic, batches=20, per_batch=5, value_bytes=1000)
    low, high = watermarks(server.bootstrap, topic)
    assert (low, high) == (0, 100)
    files_before = len(object_files(server.data_dir))
    assert files_before >= 1
    time.sleep(0.5)  # retention passes run; nothing is limited yet
    assert watermarks(server.bootstrap, topic) == (0, 100)

    set_topic_config(server.bootstrap, topic, "retention.bytes", "20000")
    # Records are ~1 KiB. Kafka's rule: drop the oldest batch only while at
    # least retention.bytes would remain, so about 20 records stay.
    low = wait_until(lambda: watermarks(server.bootstrap, topic)[0])
    assert 15 <= high - low <= 25, (low, high)
    assert wait_until(lambda: len(object_files(server.data_dir)) < files_before)

    # Reading from the new log start works; below it is out of range.
    c = Consumer({"bootstrap.servers": server.bootstrap, "group.id": "r", "enable.auto.commit": False,
                  "auto.offset.reset": "error"})
    c.assign([TopicPartition(topic, 0, low)])
    msg = None
    deadline = time.monotonic() + 10
    while msg is None and time.monotonic() < deadline:
        msg = c.poll(0.5)
    c.close()
    assert msg is not None and msg.error() is None and msg.offset() == low


def test_retention_ms_expires_old_batches(oxbow_factory, topic_name):
    server = oxbow_factory(sets=SETS)
    topic = topic_name("rms")
    create_topic(server.bootstrap, topic, 1)
    produce_batches(server.bootstrap, topic, batches=3, per_batch=2, value_bytes=10)
    assert watermarks(server.bootstrap, topic) == (0, 6)
    assert len(object_files(server.data_dir)) >= 1
    set_topic_config(server.bootstrap, topic, "retention.ms", "1500")
    # Everything is older than 1.5 s after a while: the log empties at the high watermark.
    assert wait_until(lambda: watermarks(server.bootstrap, topic) == (6, 6), timeout_s=20)
    assert wait_until(lambda: len(object_files(server.data_dir)) == 0, timeout_s=10)
    # New records still get the next offsets.
    produce_batches(server.bootstrap, topic, batches=1, per_batch=1, value_bytes=10)
    assert watermarks(server.bootstrap, topic)[1] == 7
