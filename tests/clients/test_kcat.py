"""kcat (librdkafka CLI, from Debian) against a real oxbow broker."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from ck_helpers import Rec, assert_partition_exact, consume_partitions, create_topic

KCAT = shutil.which("kcat") or shutil.which("kafkacat")


@pytest.fixture(scope="module")
def kcat():
    if KCAT is None:
        pytest.fail("kcat not installed (scripts/test installs it with apt-get)", pytrace=False)
    return KCAT


def run_kcat(kcat, args, stdin=None, timeout=30):
    proc = subprocess.run([kcat, *args], input=stdin, capture_output=True, timeout=timeout)
    assert proc.returncode == 0, (
        f"kcat {' '.join(args)} exited {proc.returncode}\nstdout: {proc.stdout!r}\nstderr: {proc.stderr!r}")
    return proc


def test_kcat_produce_keys_headers_null_and_consume(oxbow, topic_name, kcat):
    topic = topic_name()
    create_topic(oxbow.bootstrap, topic, 1)
    b = ["-b", oxbow.bootstrap, "-t", topic, "-X", "acks=all"]

    # Keys split on ':', two headers on every message, -Z: an empty value is sent as NULL.
    run_kcat(kcat, ["-P", *b, "-p", "0", "-K:", "-H", "h1=v1", "-H", "h2=two words", "-Z"],
             stdin=b"k1:v1\nk2:value two\nk3:\n")
    # Second batch: no headers, a value containing the delimiter.
    run_kcat(kcat, ["-P", *b, "-p", "0", "-K:"], stdin=b"k4:a:b:c\nk5:last\n")

    out = run_kcat(kcat, ["-C", "-b", oxbow.bootstrap, "-t", topic, "-p", "0", "-o", "beginning", "-e", "-Z",
                          "-f", "%k|%s|%h|%o\n"]).stdout.decode()
    assert out == (
        "k1|v1|h1=v1,h2=two words|0\n"
        "k2|value two|h1=v1,h2=two words|1\n"
        "k3|NULL|h1=v1,h2=two words|2\n"
        "k4|a:b:c||3\n"
        "k5|last||4\n"
    ), out

    # The same records as seen by a second client, null value included.
    got = consume_partitions(oxbow.bootstrap, topic, [0])
    h = (("h1", b"v1"), ("h2", b"two words"))
    assert_partition_exact(got[0], [
        Rec(b"k1", b"v1", h), Rec(b"k2", b"value two", h), Rec(b"k3", None, h),
        Rec(b"k4", b"a:b:c"), Rec(b"k5", b"last"),
    ])


def test_kcat_consume_records_from_other_client(oxbow, topic_name, kcat):
    """Offsets and key/value framing as kcat prints them for records it did not write."""
    from ck_helpers import assert_delivered, produce_all, producer

    topic = topic_name()
    create_topic(oxbow.bootstrap, topic, 2)
    recs = [Rec(f"key{i}".encode(), f"val{i}".encode(), partition=i % 2) for i in range(6)]
    assert_delivered(produce_all(producer(oxbow.bootstrap, **{"compression.type": "zstd"}), topic, recs))
    for part in (0, 1):
        out = run_kcat(kcat, ["-C", "-b", oxbow.bootstrap, "-t", topic, "-p", str(part), "-o", "beginning",
                              "-e", "-f", "%p %o %k=%s\n"]).stdout.decode()
        want = "".join(f"{part} {j} key{i}=val{i}\n" for j, i in enumerate(range(part, 6, 2)))
        assert out == want


def test_kcat_metadata_json(oxbow, topic_name, kcat):
    topic = topic_name()
    create_topic(oxbow.bootstrap, topic, 3)
    out = run_kcat(kcat, ["-L", "-J", "-b", oxbow.bootstrap, "-t", topic]).stdout
    md = json.loads(out)
    assert len(md["brokers"]) == 1
    [broker] = md["brokers"]
    assert broker["name"] == f"127.0.0.1:{oxbow.port}"
    bid = broker["id"]
    assert md["controllerid"] == bid
    [t] = [t for t in md["topics"] if t["topic"] == topic]
    assert "error" not in t, t
    parts = sorted(t["partitions"], key=lambda p: p["partition"])
    assert [p["partition"] for p in parts] == [0, 1, 2]
    for p in parts:
        assert p["leader"] == bid
        assert p["replicas"] == [{"id": bid}]
        assert p["isrs"] == [{"id": bid}]
        assert "error" not in p, p

    # Listing all topics includes it too.
    md_all = json.loads(run_kcat(kcat, ["-L", "-J", "-b", oxbow.bootstrap]).stdout)
    assert topic in [t["topic"] for t in md_all["topics"]]
