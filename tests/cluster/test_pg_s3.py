"""The real binary on the distributed backends: metadata in PostgreSQL,
objects in an S3-compatible server (moto), both started by scripts/test
(scripts/pg-test-server.sh, scripts/s3-test-server.sh).

Needs OXBOW_TEST_POSTGRES_URL and OXBOW_TEST_S3_ENDPOINT; in CI a missing one
fails the test instead of skipping it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ck_helpers import admin, create_topic  # noqa: E402
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

BUCKET = "oxbow-test"  # created by scripts/s3-test-server.sh


def _env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not set in CI (scripts/test starts the server and sets it)")
        pytest.skip(f"{name} not set")
    return value


@pytest.fixture
def backends(monkeypatch):
    """A fresh database and a fresh bucket prefix; returns the --metadata and --objects args."""
    pg = _env("OXBOW_TEST_POSTGRES_URL")
    s3 = _env("OXBOW_TEST_S3_ENDPOINT")
    db = f"oxbow_py_{uuid.uuid4().hex[:12]}"
    subprocess.run(["psql", pg, "-q", "-c", f"CREATE DATABASE {db}"], check=True, capture_output=True)
    base, _, query = pg.partition("?")
    db_url = base.rsplit("/", 1)[0] + "/" + db + (("?" + query) if query else "")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    prefix = f"py-{uuid.uuid4().hex[:12]}"
    return ["--metadata", db_url, "--objects", f"s3://{BUCKET}/{prefix}"]


def produce(bootstrap: str, topic: str, n: int, partitions: int) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5})
    errors = []
    for i in range(n):
        p.produce(topic, value=f"v{i}".encode(), key=f"k{i}".encode(), partition=i % partitions,
                  on_delivery=lambda err, msg: errors.append(err) if err else None)
        if i % 500 == 0:
            p.poll(0)
    assert p.flush(60) == 0, "undelivered records"
    assert not errors, errors[:3]


def consume_all(bootstrap: str, topic: str, n: int, partitions: int) -> set[bytes]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"g-{uuid.uuid4().hex[:8]}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        seen: set[bytes] = set()
        deadline = time.monotonic() + 60
        while len(seen) < n and time.monotonic() < deadline:
            msg = c.poll(1.0)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            seen.add(msg.value())
        return seen
    finally:
        c.close()


def test_produce_restart_consume_on_postgres_and_s3(oxbow_factory, topic_name, backends):
    server = oxbow_factory(extra_args=backends)
    assert "metadata: postgres://" in server.stdout_text() and "s3://" in server.stdout_text()
    topic = topic_name()
    create_topic(server.bootstrap, topic, partitions=3)
    produce(server.bootstrap, topic, 3000, 3)
    # SIGKILL: acknowledged records must be in PostgreSQL + S3, nothing local.
    server.restart(kill=True)
    seen = consume_all(server.bootstrap, topic, 3000, 3)
    assert seen == {f"v{i}".encode() for i in range(3000)}
    # Nothing was written under the data dir's default stores.
    assert not (server.data_dir / "metadata.sqlite").exists()
    assert not (server.data_dir / "objects").exists()


def test_two_brokers_share_postgres_and_s3(oxbow_factory, topic_name, backends):
    fast = ["--set", "group.initial.rebalance.delay.ms=0"]
    a = oxbow_factory(node_id=1, extra_args=backends + fast + ["--rack", "r1"])
    b = oxbow_factory(node_id=2, extra_args=backends + fast + ["--rack", "r2"])
    assert admin(a.bootstrap).list_topics(timeout=10).cluster_id == admin(b.bootstrap).list_topics(timeout=10).cluster_id
    # Each broker's view of the live leases refreshes every third of the lease (10 s).
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        views = [sorted(admin(x.bootstrap).list_topics(timeout=10).brokers) for x in (a, b)]
        if views == [[1, 2], [1, 2]]:
            break
        time.sleep(0.5)
    assert views == [[1, 2], [1, 2]], f"Metadata should list both live brokers: {views}"
    topic = topic_name()
    create_topic(a.bootstrap, topic, partitions=2)
    # Leaders: the same deterministic choice on both brokers, one partition each (different racks).
    leaders = [{p.id: p.leader for p in admin(x.bootstrap).list_topics(topic, timeout=10).topics[topic].partitions.values()}
               for x in (a, b)]
    assert leaders[0] == leaders[1] and set(leaders[0].values()) == {1, 2}, leaders
    # The producer sends each partition to its advertised leader: both brokers take produces.
    produce(a.bootstrap, topic, 1000, 2)
    seen = consume_all(b.bootstrap, topic, 1000, 2)
    assert seen == {f"v{i}".encode() for i in range(1000)}
    # A consumer group bootstrapped on one broker, its offsets read through the other:
    # both brokers name the same coordinator.
    group = f"grp-{uuid.uuid4().hex[:8]}"
    c = Consumer({"bootstrap.servers": a.bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    try:
        c.subscribe([topic])
        got = 0
        deadline = time.monotonic() + 60
        while got < 1000 and time.monotonic() < deadline:
            msg = c.poll(1.0)
            if msg is not None and msg.error() is None:
                got += 1
        assert got == 1000
        c.commit(asynchronous=False)
    finally:
        c.close()
    check = Consumer({"bootstrap.servers": b.bootstrap, "group.id": group})
    try:
        committed = check.committed([TopicPartition(topic, p) for p in range(2)], timeout=10)
        assert sum(tp.offset for tp in committed) == 1000, committed
    finally:
        check.close()
    # A stopped broker ends its lease: the other stops listing it.
    b.stop()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and sorted(admin(a.bootstrap).list_topics(timeout=10).brokers) != [1]:
        time.sleep(0.5)
    assert sorted(admin(a.bootstrap).list_topics(timeout=10).brokers) == [1]
