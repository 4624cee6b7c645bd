"""kafkajs (Node.js) against a real oxbow broker.

These scripts use kafkajs' admin client and producer and read records back
with confluent-kafka; kafkajs' group consumer is tested in test_groups.py
(consume.mjs).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ck_helpers import Rec, assert_partition_exact, consume_partitions, create_topic

HERE = Path(__file__).resolve().parent / "kafkajs"
NODE = shutil.which("node")


def run_node(script: str, bootstrap: str, args: dict, timeout: float = 90) -> dict:
    if NODE is None:
        pytest.fail("node not installed", pytrace=False)
    if not (HERE / "node_modules" / "kafkajs").is_dir():
        pytest.fail(f"kafkajs not installed: run `npm ci` in {HERE} (scripts/test does)", pytrace=False)
    env = dict(os.environ, OXBOW_BOOTSTRAP=bootstrap, OXBOW_ARGS=json.dumps(args),
               KAFKAJS_NO_PARTITIONER_WARNING="1")
    proc = subprocess.run([NODE, str(HERE / script)], cwd=HERE, env=env, capture_output=True, text=True,
                          timeout=timeout)
    results = [line[len("RESULT "):] for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and results, (
        f"node {script} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-6000:]}")
    return json.loads(results[-1])


def test_kafkajs_admin(oxbow, topic_name):
    topic = topic_name()
    out = run_node("admin.mjs", oxbow.bootstrap, {"topic": topic, "partitions": 3})
    assert out["created"] is True
    assert out["createdAgain"] is False, "kafkajs returns false when the topic already exists"
    [t] = out["metadata"]["topics"]
    assert t["name"] == topic
    parts = sorted(t["partitions"], key=lambda p: p["partitionId"])
    assert [p["partitionId"] for p in parts] == [0, 1, 2]
    [broker] = out["cluster"]["brokers"]
    assert (broker["host"], broker["port"]) == ("127.0.0.1", oxbow.port)
    assert out["cluster"]["controller"] == broker["nodeId"]
    assert out["cluster"]["clusterId"]
    for p in parts:
        assert p["partitionErrorCode"] == 0
        assert p["leader"] == broker["nodeId"]
        assert p["replicas"] == [broker["nodeId"]]
        assert p["isr"] == [broker["nodeId"]]
    assert out["listedContains"] is True
    assert out["listedAfterDeleteContains"] is False


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_kafkajs_produce_read_back(oxbow, topic_name, compression):
    topic = topic_name()
    create_topic(oxbow.bootstrap, topic, 2)
    base_ts = 1_700_000_000_000
    batches = []
    expected = {0: [], 1: []}
    i = 0
    for _ in range(4):
        batch = []
        for _ in range(25):
            p = i % 2
            key = None if i == 5 else f"js-key-{i}"
            value = None if i == 6 else f"kafkajs {compression} value {i} " * (1 + i % 4)
            headers = [["idx", str(i)], ["client", "kafkajs"]] if i % 3 else []
            batch.append({"key": key, "value": value, "partition": p, "headers": headers,
                          "timestamp": base_ts + i})
            expected[p].append(Rec(None if key is None else key.encode(),
                                   None if value is None else value.encode(),
                                   tuple((k, v.encode()) for k, v in headers), p, timestamp=base_ts + i))
            i += 1
        batches.append(batch)

    out = run_node("produce.mjs", oxbow.bootstrap, {"topic": topic, "compression": compression, "batches": batches})
    # kafkajs reports, per send, each partition's base offset: the running count so far.
    assert len(out["results"]) == len(batches)
    counts = {0: 0, 1: 0}
    for send, sent in zip(out["results"], batches):
        assert sorted(r["partition"] for r in send) == [0, 1], send
        for r in send:
            assert r["errorCode"] == 0, r
            assert int(r["baseOffset"]) == counts[r["partition"]], (r, counts)
        for p in (0, 1):
            counts[p] += sum(1 for m in sent if m["partition"] == p)

    got = consume_partitions(oxbow.bootstrap, topic, [0, 1])
    for p in (0, 1):
        assert_partition_exact(got[p], expected[p])
        assert [r.timestamp for r in got[p]] == [r.timestamp for r in expected[p]]
