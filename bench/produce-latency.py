#!/usr/bin/env python3
"""Produce-to-acknowledgement latency against a running broker.

Usage: produce-latency.py BOOTSTRAP [RECORDS] [RATE_PER_S]
Sends RECORDS 1 KiB records at RATE_PER_S (acks=all, idempotent,
linger.ms=0, so the figure is the broker's, not the client's batching) to a
fresh 8-partition topic and prints p50/p90/p99 in ms and records/s."""

import sys
import time
import uuid

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = sys.argv[1]
records = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
rate = float(sys.argv[3]) if len(sys.argv) > 3 else 200.0
topic = f"lat-{uuid.uuid4().hex[:8]}"
admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the futures resolve
for f in admin.create_topics([NewTopic(topic, 8, 1)]).values():
    f.result(30)
p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 0})
# Warm-up: connection, producer id, metadata.
p.produce(topic, b"w")
p.flush(30)
lat = []
payload = b"x" * 1024


def done(err, t0):
    if err is None:
        lat.append(time.perf_counter() - t0)


start = time.perf_counter()
for i in range(records):
    due = start + i / rate
    while time.perf_counter() < due:
        p.poll(max(0.0, min(0.001, due - time.perf_counter())))
    t0 = time.perf_counter()
    p.produce(topic, payload, partition=i % 8, on_delivery=lambda e, _m, t0=t0: done(e, t0))
p.flush(60)
elapsed = time.perf_counter() - start
lat.sort()
q = lambda f: lat[min(len(lat) - 1, int(len(lat) * f))] * 1000  # noqa: E731
print(f"records={len(lat)}/{records} rate={len(lat) / elapsed:.0f}/s p50={q(0.5):.1f}ms p90={q(0.9):.1f}ms p99={q(0.99):.1f}ms")
