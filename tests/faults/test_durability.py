"""Durability under SIGKILL.

An idempotent producer (acks=all) writes unique values `seq-<n>` to a
4-partition topic without pause while the broker is SIGKILLed and restarted
on the same port and data dir many times. Afterwards every partition is read
from offset 0 to its high watermark and checked:

  lost        acknowledged, but absent from the log or at another offset than acknowledged
  duplicated  the same value appears more than once in the log
  gaps        offsets in [0, high watermark) that were never returned
  reordered   within a partition, a sequence number lower than one before it
  foreign     a record that this producer never produced (corruption / misrouting)

Records whose delivery *failed* may or may not be in the log, but never twice.
The test also insists that enough records were acknowledged and enough kills
happened, so it cannot pass vacuously.

Knobs (env): OXBOW_BIN, OXBOW_FAULT_SEED, OXBOW_FAULT_KILLS (default 9).
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import threading
import time
from collections import defaultdict

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _proc import Broker, BrokerStartError  # noqa: E402

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

TOPIC = "durability"
PARTITIONS = 4
KILLS = int(os.environ.get("OXBOW_FAULT_KILLS", "9"))
MIN_KILLS = 8
MIN_ACKED = 3000
RATE_PER_S = 4000  # producer target rate; the queue keeps filling while the broker is down
TAIL_S = 3.0  # clean running after the last restart
FLUSH_TIMEOUT_S = 45.0
READ_TIMEOUT_S = 60.0
SEQ_RE = re.compile(r"^seq-(\d+)$")


class ProducerThread(threading.Thread):
    """Produces seq-0, seq-1, ... round-robin over the partitions and records
    every delivery report. Owns the Producer entirely (produce/poll/flush)."""

    def __init__(self, bootstrap: str):
        super().__init__(name="durability-producer", daemon=True)
        self.acked: dict[str, tuple[int, int]] = {}
        self.failed: dict[str, str] = {}
        self.client_errors: list[str] = []
        self.fatal: str | None = None
        self.produced = 0
        self.unresolved = -1
        self.exception: BaseException | None = None
        self._stop_producing = threading.Event()
        self._lock = threading.Lock()
        self._closing = False
        self.producer = Producer({
            "bootstrap.servers": bootstrap,
            "client.id": "oxbow-durability",
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            "message.timeout.ms": 60000,
            "retries": 2147483647,
            "max.in.flight.requests.per.connection": 5,
            "request.timeout.ms": 10000,
            "reconnect.backoff.ms": 20,
            "reconnect.backoff.max.ms": 250,
            "retry.backoff.ms": 20,
            "retry.backoff.max.ms": 250,
            "socket.connection.setup.timeout.ms": 5000,
            "error_cb": self._on_error,
            # Connection-refused noise while the broker is down goes to error_cb
            # (and the report), not to stderr.
            "log_level": 2,
        })

    def _on_error(self, err: KafkaError) -> None:
        with self._lock:
            if len(self.client_errors) < 200:
                self.client_errors.append(f"{err.name()}: {err.str()}")
            if err.fatal():
                self.fatal = f"{err.name()}: {err.str()}"

    def _on_delivery(self, err, msg) -> None:
        if self._closing:
            return
        value = msg.value().decode()
        with self._lock:
            if err is None:
                self.acked[value] = (msg.partition(), msg.offset())
            else:
                self.failed[value] = f"{err.name()}: {err.str()}"

    def acked_count(self) -> int:
        with self._lock:
            return len(self.acked)

    def stop_producing(self) -> None:
        self._stop_producing.set()

    def run(self) -> None:
        try:
            n = 0
            start = time.monotonic()
            while not self._stop_producing.is_set() and self.fatal is None:
                if n > RATE_PER_S * (time.monotonic() - start):
                    self.producer.poll(0.005)
                    continue
                try:
                    self.producer.produce(TOPIC, value=f"seq-{n}".encode(), partition=n % PARTITIONS,
                                          on_delivery=self._on_delivery)
                    n += 1
                except BufferError:
                    self.producer.poll(0.05)
                    continue
                self.producer.poll(0)
            self.produced = n
            self.unresolved = self.producer.flush(FLUSH_TIMEOUT_S)
        except BaseException as e:  # surfaced by the test
            self.exception = e
        finally:
            try:
                # Unresolved records stay unresolved in the report: ignore the
                # purge's delivery reports, and do not let close() wait on them.
                self._closing = True
                self.producer.purge()
                self.producer.poll(0.5)
                self.producer.close()
            except Exception:
                pass


def create_topic(bootstrap: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(TOPIC, num_partitions=PARTITIONS, replication_factor=1)],
                                  operation_timeout=10, request_timeout=15)
    futures[TOPIC].result(timeout=20)
    md = admin.list_topics(TOPIC, timeout=10)
    assert len(md.topics[TOPIC].partitions) == PARTITIONS, md.topics[TOPIC].partitions


def read_all(bootstrap: str) -> tuple[dict[int, list[tuple[int, str]]], dict[int, tuple[int, int]], list[str]]:
    """Reads every partition from offset 0 up to its high watermark."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        # Required by the client library; we never subscribe and never commit.
        "group.id": "oxbow-durability-readback",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "error",
        "enable.partition.eof": True,
        "isolation.level": "read_uncommitted",
        "fetch.wait.max.ms": 100,
    })
    errors: list[str] = []
    log: dict[int, list[tuple[int, str]]] = {p: [] for p in range(PARTITIONS)}
    watermarks: dict[int, tuple[int, int]] = {}
    try:
        for p in range(PARTITIONS):
            watermarks[p] = consumer.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=15)
        pending = {p for p in range(PARTITIONS) if watermarks[p][1] > 0}
        consumer.assign([TopicPartition(TOPIC, p, 0) for p in range(PARTITIONS)])
        deadline = time.monotonic() + READ_TIMEOUT_S
        while pending and time.monotonic() < deadline and len(errors) <= 50:
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                p = msg.partition()
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        if msg.offset() >= watermarks[p][1]:
                            pending.discard(p)
                        continue
                    errors.append(f"p{p}: {msg.error().name()}: {msg.error().str()}")
                    continue
                log[p].append((msg.offset(), msg.value().decode(errors="replace") if msg.value() else ""))
                if msg.offset() >= watermarks[p][1] - 1:
                    pending.discard(p)
        if pending:
            errors.append(f"read-back stopped ({'too many errors' if len(errors) > 50 else 'timed out'}) with partitions {sorted(pending)} incomplete: "
                          + ", ".join(f"p{p} at {log[p][-1][0] if log[p] else None} of hw {watermarks[p][1]}"
                                      for p in sorted(pending)))
    finally:
        consumer.close()
    return log, watermarks, errors


def analyse(acked: dict[str, tuple[int, int]], failed: dict[str, str], produced: int,
            log: dict[int, list[tuple[int, str]]], watermarks: dict[int, tuple[int, int]]) -> dict:
    positions: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for p, recs in log.items():
        for o, v in recs:
            positions[v].append((p, o))

    lost_absent = sorted((v for v in acked if v not in positions), key=lambda v: int(v[4:]))
    lost_moved = sorted((v for v, po in acked.items() if v in positions and po not in positions[v]),
                        key=lambda v: int(v[4:]))
    duplicated = {v: pos for v, pos in positions.items() if len(pos) > 1}

    by_ack_position: dict[tuple[int, int], list[str]] = defaultdict(list)
    for v, po in acked.items():
        by_ack_position[po].append(v)
    ack_conflicts = {f"p{p}@{o}": vs for (p, o), vs in by_ack_position.items() if len(vs) > 1}

    gaps: dict[int, dict] = {}
    reordered: list[str] = []
    foreign: list[str] = []
    misplaced: list[str] = []
    for p, recs in log.items():
        offsets = [o for o, _ in recs]
        hw = watermarks[p][1]
        seen = set(offsets)
        missing = [o for o in range(0, hw) if o not in seen]
        not_increasing = sum(1 for a, b in zip(offsets, offsets[1:]) if b <= a)
        beyond_hw = [o for o in offsets if o >= hw]
        if missing or not_increasing or beyond_hw:
            gaps[p] = {"missing_offsets": len(missing), "first_missing": missing[:10],
                       "non_increasing_steps": not_increasing, "beyond_high_watermark": beyond_hw[:10]}
        max_seq = -1
        for o, v in sorted(recs):
            m = SEQ_RE.match(v)
            if not m or int(m.group(1)) >= produced:
                foreign.append(f"p{p}@{o}={v[:40]!r}")
                continue
            seq = int(m.group(1))
            if seq % PARTITIONS != p:
                misplaced.append(f"p{p}@{o}={v}")
            if seq < max_seq:
                reordered.append(f"p{p}@{o}={v} after seq-{max_seq}")
            elif seq == max_seq:
                pass  # adjacent duplicate, counted under duplicated
            max_seq = max(max_seq, seq)

    failed_in_log = sum(1 for v in failed if v in positions)
    return {
        "counts": {
            "lost": len(lost_absent) + len(lost_moved),
            "lost_absent": len(lost_absent),
            "lost_at_other_offset": len(lost_moved),
            "duplicated": len(duplicated),
            "offset_gaps": sum(g["missing_offsets"] + g["non_increasing_steps"] + len(g["beyond_high_watermark"])
                               for g in gaps.values()),
            "reordered": len(reordered),
            "foreign": len(foreign) + len(misplaced),
            "ack_offset_conflicts": len(ack_conflicts),
        },
        "examples": {
            "lost_absent": [f"{v} acked at p{acked[v][0]}@{acked[v][1]}" for v in lost_absent[:10]],
            "lost_at_other_offset": [f"{v} acked at p{acked[v][0]}@{acked[v][1]}, found at {positions[v]}"
                                     for v in lost_moved[:10]],
            "duplicated": {v: pos for v, pos in list(duplicated.items())[:10]},
            "offset_gaps": gaps,
            "reordered": reordered[:10],
            "foreign": (foreign + misplaced)[:10],
            "ack_offset_conflicts": dict(list(ack_conflicts.items())[:10]),
        },
        "totals": {
            "produced": produced,
            "acked": len(acked),
            "failed": len(failed),
            "failed_but_in_log": failed_in_log,
            "records_in_log": sum(len(r) for r in log.values()),
            "watermarks": {p: list(w) for p, w in watermarks.items()},
        },
    }


def test_acked_records_survive_repeated_sigkill(tmp_path):
    seed = int(os.environ.get("OXBOW_FAULT_SEED", str(random.randrange(2**31))))
    rng = random.Random(seed)
    t0 = time.monotonic()
    broker = Broker(tmp_path / "data", tmp_path / "oxbow.log")
    print(f"\nseed={seed} (rerun with OXBOW_FAULT_SEED={seed}); broker log: {broker.log_path}")
    broker.start()
    producer: ProducerThread | None = None
    try:
        create_topic(broker.bootstrap)
        producer = ProducerThread(broker.bootstrap)
        producer.start()

        # Let the producer get going before the first kill.
        deadline = time.monotonic() + 15
        while producer.acked_count() < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert producer.acked_count() >= 200, (
            "producer got no acknowledgements from a fresh broker\n" + broker.log_tail())

        epochs = []
        for i in range(KILLS):
            up = rng.uniform(0.3, 1.5)
            time.sleep(up)
            acked_before = producer.acked_count()
            broker.kill9()
            t_kill = time.monotonic()
            try:
                broker.start(timeout=20)
            except BrokerStartError as e:
                pytest.fail(f"broker failed to restart after SIGKILL #{i + 1}: {e}")
            epochs.append({"kill": i + 1, "up_s": round(up, 2), "acked_at_kill": acked_before,
                           "restart_s": round(time.monotonic() - t_kill, 2)})

        # Clean running after the last restart: acks must flow again.
        resume_from = producer.acked_count()
        time.sleep(TAIL_S)
        deadline = time.monotonic() + 15
        while producer.acked_count() <= resume_from and time.monotonic() < deadline:
            time.sleep(0.1)
        producer.stop_producing()
        producer.join(FLUSH_TIMEOUT_S + 15)
        assert not producer.is_alive(), "producer thread did not finish flushing"
        if producer.exception:
            raise producer.exception

        # One more SIGKILL after everything was acknowledged: acked records must
        # come back from disk, not from the previous process's memory.
        broker.kill9()
        broker.start(timeout=20)

        log, watermarks, read_errors = read_all(broker.bootstrap)
        report = analyse(producer.acked, producer.failed, producer.produced, log, watermarks)
        report["run"] = {
            "seed": seed,
            "kills": broker.kills,
            "epochs": epochs,
            "unresolved_after_flush": producer.unresolved,
            "producer_fatal_error": producer.fatal,
            "producer_client_errors": sorted(set(producer.client_errors))[:15],
            "failed_reasons": sorted(set(producer.failed.values()))[:10],
            "read_errors": read_errors[:10],
            "elapsed_s": round(time.monotonic() - t0, 1),
        }
        text = json.dumps(report, indent=1, default=str)
        print(text)

        counts = report["counts"]
        assert broker.kills >= MIN_KILLS, f"only {broker.kills} kills happened\n{text}"
        assert len(producer.acked) >= MIN_ACKED, f"only {len(producer.acked)} records acknowledged\n{text}"
        assert not read_errors, f"read-back errors\n{text}"
        assert producer.fatal is None, f"idempotent producer hit a fatal error\n{text}"
        assert producer.unresolved == 0, f"{producer.unresolved} records neither acked nor failed\n{text}"
        bad = {k: v for k, v in counts.items() if v}
        assert not bad, f"durability anomalies {bad}\n{text}\n{broker.log_tail()}"
    finally:
        if producer is not None and producer.is_alive():
            producer.stop_producing()
            producer.join(5)
        broker.stop()


def test_analyse_detects_each_anomaly_kind():
    """The checker itself, on a hand-made log, so a clean run above means something."""
    # produced seq-0..seq-11; partition = seq % 4
    acked = {f"seq-{n}": (n % 4, n // 4) for n in range(12)}
    log = {p: [(n // 4, f"seq-{n}") for n in range(12) if n % 4 == p] for p in range(4)}
    wm = {p: (0, 3) for p in range(4)}
    clean = analyse(acked, {}, 12, log, wm)
    assert not any(clean["counts"].values()), clean

    bad_log = {p: list(recs) for p, recs in log.items()}
    bad_log[0] = [(0, "seq-0"), (2, "seq-8")]  # offset 1 missing: seq-4 lost + gap
    bad_log[1] = [(0, "seq-1"), (1, "seq-9"), (2, "seq-5")]  # reordered; 5 and 9 at other offsets
    bad_log[2] = [(0, "seq-2"), (1, "seq-6"), (2, "seq-10"), (3, "seq-6")]  # duplicate, beyond hw
    bad_log[3] = [(0, "seq-3"), (1, "seq-7"), (2, "garbage")]  # seq-11 lost, foreign record
    counts = analyse(acked, {}, 12, bad_log, wm)["counts"]
    assert counts["lost_absent"] == 2, counts  # seq-4, seq-11
    assert counts["lost_at_other_offset"] == 2, counts  # seq-5, seq-9
    assert counts["duplicated"] == 1, counts
    assert counts["offset_gaps"] == 2, counts  # p0 offset 1 missing, p2 offset 3 beyond hw
    assert counts["reordered"] == 2, counts  # seq-5 after seq-9; seq-6 (dup) after seq-10
    assert counts["foreign"] == 1, counts
