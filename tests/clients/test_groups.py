"""Classic consumer groups (JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
ListGroups, DescribeGroups, DeleteGroups, with FindCoordinator, OffsetCommit
and OffsetFetch) driven by real clients: confluent-kafka (librdkafka),
kafka-python, aiokafka, kcat and kafkajs.

Every broker here runs with group.initial.rebalance.delay.ms=0 so that the
first join of a group completes at once (Kafka's default delays it 3 s).

How correctness is judged: every record carries a unique value; a shared
Ledger records who processed which (partition, offset) and what each member
committed. Group changes happen only when everything produced so far has been
processed and committed, so a correct broker gives exactly-once processing:
a record seen twice means a member started from the wrong offset (or two
members owned one partition), a record never seen means offsets were skipped.
Every wait is a polling loop with a deadline; on timeout the assertion says
what each member had.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable, Iterable, Optional

import pytest
from confluent_kafka import (
    OFFSET_INVALID,
    ConsumerGroupState,
    ConsumerGroupTopicPartitions,
    Consumer,
    KafkaError,
    KafkaException,
    TopicPartition,
)

from ck_helpers import Rec, admin, assert_delivered, create_topic, produce_all, producer, wait_futures

log = logging.getLogger("test_groups")

GROUP_SETS = {"group.initial.rebalance.delay.ms": "0"}
HERE = Path(__file__).resolve().parent
KAFKAJS_DIR = HERE / "kafkajs"


def group_broker(oxbow_factory):
    return oxbow_factory(sets=GROUP_SETS)


# --------------------------------------------------------------------------- records and the ledger

def produce_phase(bootstrap: str, topic: str, tag: str, partitions: Iterable[int], per_partition: int) -> dict:
    """Produce per_partition records to each partition, values unique to tag.
    Returns {(partition, offset): value}."""
    recs = [Rec(None, f"{tag}-p{p}-{i}".encode(), partition=p) for p in partitions for i in range(per_partition)]
    reports = produce_all(producer(bootstrap), topic, recs)
    assert_delivered(reports)
    return {(part, off): rec.value for (_err, part, off), rec in zip(reports, recs)}


class Ledger:
    """What every member processed and committed, across processes (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seen: dict = defaultdict(list)  # (p, o) -> [(member, value)]
        self.committed: dict = {}  # p -> highest committed next-offset (successful commits only)
        self.after_commit: list = []  # (member, p, o, committed-at-the-time): processed below a commit
        self.commit_errors: list = []  # (member, what)

    def processed(self, member: str, recs: Iterable[tuple]) -> None:
        with self.lock:
            for p, o, v in recs:
                if o < self.committed.get(p, 0):
                    self.after_commit.append((member, p, o, self.committed[p]))
                self.seen[(p, o)].append((member, v))

    def commit_ok(self, member: str, offsets: dict) -> None:
        with self.lock:
            for p, o in offsets.items():
                self.committed[p] = max(self.committed.get(p, 0), o)

    def commit_failed(self, member: str, what: str) -> None:
        with self.lock:
            self.commit_errors.append((member, what))

    def done(self, expected: dict) -> bool:
        """All expected records processed, and committed past them."""
        with self.lock:
            if any(k not in self.seen for k in expected):
                return False
            ends: dict = {}
            for p, o in expected:
                ends[p] = max(ends.get(p, 0), o + 1)
            return all(self.committed.get(p, 0) >= end for p, end in ends.items())

    def summary(self, expected: dict) -> str:
        with self.lock:
            missing = sorted(k for k in expected if k not in self.seen)
            per_member: dict = defaultdict(int)
            for k in expected:
                for m, _ in self.seen.get(k, []):
                    per_member[m] += 1
            return (f"processed {len(expected) - len(missing)}/{len(expected)} of this phase "
                    f"(by member: {dict(per_member)}), first missing {missing[:8]}, "
                    f"committed {dict(sorted(self.committed.items()))}, commit errors {self.commit_errors[-5:]}")

    def check_exactly_once(self, all_expected: dict, phase: dict, owners: Optional[dict], what: str) -> None:
        """Every record of every phase so far processed exactly once; this phase's
        records by the member that owns the partition (if owners is given)."""
        with self.lock:
            problems = []
            dups = {k: v for k, v in self.seen.items() if len(v) != 1}
            if dups:
                items = sorted(dups.items())[:10]
                problems.append(f"{len(dups)} records processed more than once, e.g. {items}")
            if self.after_commit:
                problems.append(f"records processed again after their offset was committed "
                                f"(member, p, o, committed): {self.after_commit[:10]}")
            unexpected = sorted(set(self.seen) - set(all_expected))
            if unexpected:
                problems.append(f"records that were never produced: {unexpected[:10]}")
            missing = sorted(set(all_expected) - set(self.seen))
            if missing:
                problems.append(f"{len(missing)} records never processed, e.g. {missing[:10]}")
            wrong_value = [(k, self.seen[k], all_expected[k]) for k in all_expected
                           if k in self.seen and any(v != all_expected[k] for _, v in self.seen[k])]
            if wrong_value:
                problems.append(f"records with a different value than produced: {wrong_value[:5]}")
            if owners is not None:
                wrong_owner = [(k, self.seen[k], owners[k[0]]) for k in sorted(phase)
                               if k in self.seen and any(m != owners[k[0]] for m, _ in self.seen[k])]
                if wrong_owner:
                    problems.append(f"records processed by a member that does not own the partition "
                                    f"((p, o), processed by, owner): {wrong_owner[:10]}")
            if self.commit_errors:
                problems.append(f"commits refused (none expected: members commit right after processing): "
                                f"{self.commit_errors[:5]}")
        assert not problems, f"{what}:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------- confluent-kafka members

def ck_conf(bootstrap: str, group: str, name: str, **extra) -> dict:
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": name,
        "partition.assignment.strategy": "roundrobin",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "max.poll.interval.ms": 30000,
        "fetch.wait.max.ms": 100,
    }
    conf.update(extra)
    return conf


class CkMember:
    """An in-process confluent-kafka group member: subscribe, process, commit
    explicitly after processing. poll_once() must be called regularly (the
    rebalance callbacks run inside it)."""

    def __init__(self, name: str, bootstrap: str, group: str, topic: str, ledger: Ledger, **conf):
        self.name, self.topic, self.ledger = name, topic, ledger
        self.rebalances: list = []  # (monotonic time, "assign"|"revoke"|"lost", [partitions])
        self.errors: list = []
        self.c = Consumer(ck_conf(bootstrap, group, name, **conf))
        self.closed = False
        self.c.subscribe([topic], on_assign=self._cb("assign"), on_revoke=self._cb("revoke"), on_lost=self._cb("lost"))

    def _cb(self, kind):
        def cb(_consumer, partitions):
            self.rebalances.append((time.monotonic(), kind, sorted(tp.partition for tp in partitions)))
        return cb

    def assigned(self) -> set:
        return {tp.partition for tp in self.c.assignment()}

    def poll_once(self, timeout: float = 0.05) -> None:
        msgs = self.c.consume(num_messages=500, timeout=timeout)
        good = []
        for m in msgs:
            err = m.error()
            if err is not None:
                if err.fatal():
                    raise KafkaException(err)
                self.errors.append(err)
                continue
            good.append(m)
        if not good:
            return
        self.ledger.processed(self.name, [(m.partition(), m.offset(), m.value()) for m in good])
        offsets: dict = {}
        for m in good:
            offsets[m.partition()] = max(offsets.get(m.partition(), 0), m.offset() + 1)
        try:
            res = self.c.commit(offsets=[TopicPartition(self.topic, p, o) for p, o in offsets.items()],
                                asynchronous=False)
        except KafkaException as e:
            self.ledger.commit_failed(self.name, f"commit {offsets}: {e}")
            return
        failed = [(tp.partition, tp.error) for tp in res if tp.error is not None]
        if failed:
            self.ledger.commit_failed(self.name, f"commit {offsets}: {failed}")
        self.ledger.commit_ok(self.name, {tp.partition: tp.offset for tp in res if tp.error is None})

    def member_id(self) -> str:
        return self.c.memberid()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.c.close()

    def __repr__(self) -> str:
        return f"{self.name}(assigned={sorted(self.assigned()) if not self.closed else 'closed'})"


# The out-of-process member (so that it can be SIGKILLed without leaving the
# group). It prints one JSON object per line: its assignment whenever it
# changes, records as it processes them, and each commit's outcome.
SUB_CONSUMER = r"""
import json, sys
from confluent_kafka import Consumer, KafkaException, TopicPartition
conf, topic = json.loads(sys.argv[1]), sys.argv[2]
def out(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()
c = Consumer(conf)
c.subscribe([topic])
out(event="started")
last = None
while True:
    msgs = c.consume(num_messages=500, timeout=0.05)
    good = []
    for m in msgs:
        if m.error() is not None:
            if m.error().fatal():
                raise KafkaException(m.error())
            out(event="error", error=str(m.error()))
        else:
            good.append(m)
    if good:
        out(event="recs", recs=[[m.partition(), m.offset(), m.value().decode()] for m in good])
        offs = {}
        for m in good:
            offs[m.partition()] = max(offs.get(m.partition(), 0), m.offset() + 1)
        try:
            res = c.commit(offsets=[TopicPartition(topic, p, o) for p, o in offs.items()], asynchronous=False)
            out(event="committed", ok={tp.partition: tp.offset for tp in res if tp.error is None},
                failed=[[tp.partition, str(tp.error)] for tp in res if tp.error is not None])
        except KafkaException as e:
            out(event="commit_failed", error=str(e), offsets=offs)
    a = sorted(tp.partition for tp in c.assignment())
    if a != last:
        out(event="assignment", partitions=a)
        last = a
"""


class SubMember:
    """A confluent-kafka member in a child process (see SUB_CONSUMER)."""

    def __init__(self, name: str, bootstrap: str, group: str, topic: str, ledger: Ledger, stderr_path: Path, **conf):
        self.name, self.ledger = name, ledger
        self.stderr_path = stderr_path
        self._assigned: set = set()
        self.lines: list = []
        self.lock = threading.Lock()
        conf = ck_conf(bootstrap, group, name, **conf)
        self.stderr_f = open(stderr_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-c", SUB_CONSUMER, json.dumps(conf), topic],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.stderr_f,
                                     text=True, bufsize=1, start_new_session=True)
        self.reader = threading.Thread(target=self._read, name=f"sub-{name}", daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line)
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            kind = ev.get("event")
            if kind == "assignment":
                with self.lock:
                    self._assigned = set(ev["partitions"])
            elif kind == "recs":
                self.ledger.processed(self.name, [(p, o, v.encode()) for p, o, v in ev["recs"]])
            elif kind == "committed":
                if ev["failed"]:
                    self.ledger.commit_failed(self.name, f"commit: {ev['failed']}")
                self.ledger.commit_ok(self.name, {int(p): o for p, o in ev["ok"].items()})
            elif kind == "commit_failed":
                self.ledger.commit_failed(self.name, f"commit {ev['offsets']}: {ev['error']}")

    def assigned(self) -> set:
        with self.lock:
            return set(self._assigned)

    def poll_once(self, timeout: float = 0.0) -> None:
        if self.proc.poll() is not None:
            raise AssertionError(f"member {self.name} (child process) exited with {self.proc.returncode}:\n"
                                 f"{self.stderr_path.read_text(errors='replace')[-3000:]}")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.reader.join(5)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill9()
        self.stderr_f.close()

    def __repr__(self) -> str:
        return f"{self.name}(child pid {self.proc.pid}, assigned={sorted(self.assigned())})"


def drive(members: list, cond: Callable[[], bool], timeout: float, what: Callable[[], str]) -> float:
    """Poll every member until cond() holds; returns the seconds it took."""
    start = time.monotonic()
    deadline = start + timeout
    while True:
        for m in members:
            m.poll_once()
        if cond():
            return time.monotonic() - start
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout:.0f}s: {what()}")


def wait_balanced(members: list, partitions: int, sizes: dict, timeout: float = 20.0,
                  also_poll: Iterable = ()) -> float:
    """Wait until each member owns exactly sizes[member.name] partitions and
    together they own every partition once. Returns the seconds it took."""
    everything = set(range(partitions))

    def ok():
        owned = [m.assigned() for m in members]
        flat = [p for s in owned for p in s]
        return (all(len(s) == sizes[m.name] for m, s in zip(members, owned))
                and len(flat) == len(set(flat)) and set(flat) == everything)

    took = drive(list(members) + list(also_poll), ok, timeout,
                 lambda: f"group did not settle to {sizes} over {partitions} partitions: {members}")
    log.info("group settled in %.2fs: %s", took, members)
    return took


def owners_of(members: list) -> dict:
    owners = {}
    for m in members:
        for p in m.assigned():
            assert p not in owners, f"partition {p} owned by both {owners[p]} and {m.name}: {members}"
            owners[p] = m.name
    return owners


def consume_phase(members: list, ledger: Ledger, all_expected: dict, phase: dict, what: str,
                  timeout: float = 30.0) -> None:
    took = drive(members, lambda: ledger.done(phase), timeout, lambda: f"{what}: {ledger.summary(phase)}; {members}")
    log.info("%s: consumed in %.2fs: %s", what, took, ledger.summary(phase))
    ledger.check_exactly_once(all_expected, phase, owners_of(members), what)


def committed_offsets(bootstrap: str, group: str, topic: str, partitions: int) -> dict:
    a = admin(bootstrap)
    req = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in range(partitions)])
    res = a.list_consumer_group_offsets([req])[group].result(timeout=15)
    return {tp.partition: tp.offset for tp in res.topic_partitions}


def end_offsets(expected: dict, partitions: int) -> dict:
    ends = {p: 0 for p in range(partitions)}
    for p, o in expected:
        ends[p] = max(ends[p], o + 1)
    return ends


# --------------------------------------------------------------------------- 1. confluent-kafka lifecycle

def test_confluent_group_lifecycle_leave_expiry_join(oxbow_factory, topic_name, tmp_path):
    """Three members share 12 partitions 4/4/4; a member leaves (LeaveGroup),
    one is SIGKILLed (session expiry), one joins. After every change the
    records produced are all processed, exactly once, by the partition's owner,
    resuming from the committed offsets."""
    server = group_broker(oxbow_factory)
    b = server.bootstrap
    topic = topic_name("life")
    group = f"g-{topic}"
    create_topic(b, topic, 12)
    ledger = Ledger()
    everything: dict = {}
    members: list = []
    try:
        a = CkMember("A", b, group, topic, ledger)
        members.append(a)
        wait_balanced([a], 12, {"A": 12})
        bm = CkMember("B", b, group, topic, ledger)
        members.append(bm)
        k = SubMember("K", b, group, topic, ledger, tmp_path / "K.stderr")
        members.append(k)
        wait_balanced([a, bm, k], 12, {"A": 4, "B": 4, "K": 4}, timeout=30)

        # Phase 1: three members.
        phase = produce_phase(b, topic, "one", range(12), 20)
        everything.update(phase)
        consume_phase([a, bm, k], ledger, everything, phase, "phase 1 (A, B, K)")

        # B leaves: LeaveGroup must trigger the rebalance at once, not session expiry.
        bm.close()
        took = wait_balanced([a, k], 12, {"A": 6, "K": 6})
        assert took < 6.0, f"A and K took {took:.1f}s to take over B's partitions: LeaveGroup was not acted on"
        phase = produce_phase(b, topic, "two", range(12), 20)
        everything.update(phase)
        consume_phase([a, k], ledger, everything, phase, "phase 2 (A, K after B left)")

        # K dies without leaving: A gets everything once K's 6 s session expires, not before.
        k.kill9()
        killed_at = time.monotonic()
        wait_balanced([a], 12, {"A": 12}, timeout=25)
        took = time.monotonic() - killed_at
        assert took >= 5.0, (f"K's partitions moved {took:.1f}s after it was SIGKILLed, before its 6 s session "
                             f"timeout (last heartbeat at most 0.5 s before the kill): a dropped connection "
                             f"must not evict a member")
        phase = produce_phase(b, topic, "three", range(12), 20)
        everything.update(phase)
        consume_phase([a], ledger, everything, phase, "phase 3 (A alone after K expired)")

        # C joins.
        c = CkMember("C", b, group, topic, ledger)
        members.append(c)
        wait_balanced([a, c], 12, {"A": 6, "C": 6})
        phase = produce_phase(b, topic, "four", range(12), 20)
        everything.update(phase)
        consume_phase([a, c], ledger, everything, phase, "phase 4 (A, C after C joined)")

        assert committed_offsets(b, group, topic, 12) == end_offsets(everything, 12)
    finally:
        for m in members:
            m.close()


# --------------------------------------------------------------------------- 2. cooperative-sticky

def test_confluent_cooperative_sticky(oxbow_factory, topic_name):
    """cooperative-sticky: B joining takes 6 partitions from A without A ever
    giving up the other 6; B leaving hands its 6 back incrementally."""
    server = group_broker(oxbow_factory)
    b = server.bootstrap
    topic = topic_name("coop")
    group = f"g-{topic}"
    create_topic(b, topic, 12)
    ledger = Ledger()
    everything: dict = {}
    coop = {"partition.assignment.strategy": "cooperative-sticky"}
    members: list = []
    try:
        a = CkMember("A", b, group, topic, ledger, **coop)
        members.append(a)
        wait_balanced([a], 12, {"A": 12})

        def changes(m, since=0):
            # librdkafka also calls on_assign with an empty list after a
            # cooperative round that adds nothing: only real changes count.
            return [(kind, parts) for _, kind, parts in m.rebalances[since:] if parts]

        assert changes(a) == [("assign", list(range(12)))]
        bm = CkMember("B", b, group, topic, ledger, **coop)
        members.append(bm)
        wait_balanced([a, bm], 12, {"A": 6, "B": 6})
        moved = sorted(bm.assigned())
        kept = sorted(a.assigned())
        # Incremental: A's only revocation is of exactly the 6 that moved to B.
        assert changes(a)[1:] == [("revoke", moved)], a.rebalances
        assert changes(bm) == [("assign", moved)], bm.rebalances

        phase = produce_phase(b, topic, "coop", range(12), 10)
        everything.update(phase)
        consume_phase([a, bm], ledger, everything, phase, "cooperative A, B")

        n_before = len(a.rebalances)
        bm.close()
        wait_balanced([a], 12, {"A": 12})
        assert changes(a, n_before) == [("assign", moved)], (
            f"A should be handed exactly B's partitions {moved} and keep {kept}: {a.rebalances}")
        phase = produce_phase(b, topic, "coop-after", range(12), 10)
        everything.update(phase)
        consume_phase([a], ledger, everything, phase, "cooperative A after B left")
    finally:
        for m in members:
            m.close()


# --------------------------------------------------------------------------- commit while a rebalance is pending

def test_commit_accepted_while_rebalance_pending(oxbow_factory, topic_name):
    """A member that processed records and commits them before it has noticed
    a rebalance (group in PreparingRebalance, its generation still current)
    gets the commit accepted, as Kafka's classic coordinator does ("we rely on
    the heartbeat response to eventually notify the rebalance"), so that the
    next owner does not process the records again."""
    server = group_broker(oxbow_factory)
    b = server.bootstrap
    topic = topic_name("pending")
    group = f"g-{topic}"
    create_topic(b, topic, 2)
    ledger = Ledger()
    adm = admin(b)
    members: list = []
    try:
        a = CkMember("A", b, group, topic, ledger)
        members.append(a)
        wait_balanced([a], 2, {"A": 2})
        phase = produce_phase(b, topic, "pending", range(2), 5)
        got: list = []
        deadline = time.monotonic() + 20
        while len(got) < 10:  # read, but do not commit yet
            assert time.monotonic() < deadline, f"A read {len(got)} of 10 records"
            got += [m for m in a.c.consume(num_messages=10, timeout=0.1) if m.error() is None]
        ledger.processed("A", [(m.partition(), m.offset(), m.value()) for m in got])

        # B joins. A is not polled, so it cannot rejoin: the group waits in PreparingRebalance.
        bm = CkMember("B", b, group, topic, ledger)
        members.append(bm)
        states: list = []

        def preparing():
            st = adm.describe_consumer_groups([group], request_timeout=10)[group].result(timeout=15).state
            states.append(st)
            return st == ConsumerGroupState.PREPARING_REBALANCING

        drive([bm], preparing, 15, lambda: f"group never reached PreparingRebalance: states seen {states[-5:]}")
        try:
            res = a.c.commit(offsets=[TopicPartition(topic, 0, 5), TopicPartition(topic, 1, 5)], asynchronous=False)
        except KafkaException as e:
            raise AssertionError(f"commit by a current-generation member during PreparingRebalance refused: {e} "
                                 f"(Kafka accepts it; only CompletingRebalance answers REBALANCE_IN_PROGRESS)") from None
        assert [(tp.partition, tp.offset, tp.error) for tp in res] == [(0, 5, None), (1, 5, None)]
        ledger.commit_ok("A", {0: 5, 1: 5})

        wait_balanced([a, bm], 2, {"A": 1, "B": 1})
        assert committed_offsets(b, group, topic, 2) == {0: 5, 1: 5}
        more = produce_phase(b, topic, "pending-more", range(2), 3)
        consume_phase([a, bm], ledger, {**phase, **more}, more, "after the rebalance")
    finally:
        for m in members:
            m.close()


# --------------------------------------------------------------------------- 3. static membership

def test_confluent_static_membership_rejoin_keeps_partitions(oxbow_factory, topic_name):
    """A static member (group.instance.id) that closes (no LeaveGroup, KIP-345)
    and comes back within its session timeout gets the same partitions, and
    the other member sees no rebalance at all."""
    server = group_broker(oxbow_factory)
    b = server.bootstrap
    topic = topic_name("static")
    group = f"g-{topic}"
    create_topic(b, topic, 6)
    ledger = Ledger()
    static = {"session.timeout.ms": 20000}
    members: list = []
    try:
        a = CkMember("A", b, group, topic, ledger, **{"group.instance.id": "static-a"}, **static)
        members.append(a)
        bm = CkMember("B", b, group, topic, ledger, **{"group.instance.id": "static-b"}, **static)
        members.append(bm)
        wait_balanced([a, bm], 6, {"A": 3, "B": 3})
        a_parts, b_parts = a.assigned(), bm.assigned()
        old_a_id = a.member_id()
        b_events = len(bm.rebalances)

        a.close()  # a static member does not send LeaveGroup
        closed_at = time.monotonic()
        b_seen: list = []

        def b_watch():
            s = bm.assigned()
            if not b_seen or b_seen[-1] != s:
                b_seen.append(s)

        a2 = CkMember("A2", b, group, topic, ledger, **{"group.instance.id": "static-a"}, **static)
        members.append(a2)

        def a2_back():
            b_watch()
            return a2.assigned() == a_parts

        drive([a2, bm], a2_back, 15,
              lambda: f"restarted static member has {sorted(a2.assigned())}, had {sorted(a_parts)}; B saw {b_seen}")
        assert time.monotonic() - closed_at < 20, "not within the session timeout; the test proves nothing"
        # Keep watching for a while: nothing may move.
        settle = time.monotonic() + 3
        drive([a2, bm], lambda: (b_watch(), time.monotonic() > settle)[1], 10, lambda: "")
        assert b_seen == [b_parts], f"B's assignment changed while A restarted: {b_seen}, A had {sorted(a_parts)}"
        assert bm.rebalances[b_events:] == [], f"B went through a rebalance: {bm.rebalances[b_events:]}"
        assert a2.assigned() == a_parts

        # The group: two members, instance ids kept, A's member id replaced.
        adm = admin(b)
        desc = adm.describe_consumer_groups([group])[group].result(timeout=15)
        assert desc.state == ConsumerGroupState.STABLE
        got = {m.group_instance_id: m.member_id for m in desc.members}
        assert set(got) == {"static-a", "static-b"}, [vars(m) for m in desc.members]
        assert got["static-a"] == a2.member_id() != old_a_id
        assert got["static-b"] == bm.member_id()

        # And the restarted member consumes its partitions.
        phase = produce_phase(b, topic, "static", range(6), 5)
        consume_phase([a2, bm], ledger, dict(phase), phase, "static members after restart")
    finally:
        for m in members:
            m.close()


# --------------------------------------------------------------------------- 4. kafka-python

class KpMember(threading.Thread):
    """A kafka-python KafkaConsumer group member on its own thread (its poll()
    can block in JoinGroup while the other member must rejoin)."""

    def __init__(self, name: str, bootstrap: str, group: str, topic: str, ledger: Ledger):
        super().__init__(name=name, daemon=True)
        from kafka import KafkaConsumer

        self.ledger = ledger
        self.stop_evt = threading.Event()
        self.error: Optional[BaseException] = None
        self._assigned: set = set()
        self.lock = threading.Lock()
        self.consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, client_id=name,
                                      auto_offset_reset="earliest", enable_auto_commit=False,
                                      session_timeout_ms=10000, heartbeat_interval_ms=500,
                                      max_poll_interval_ms=30000, fetch_max_wait_ms=100)

    def run(self) -> None:
        from kafka.structs import OffsetAndMetadata

        try:
            while not self.stop_evt.is_set():
                polled = self.consumer.poll(timeout_ms=100)
                with self.lock:
                    self._assigned = {tp.partition for tp in self.consumer.assignment()}
                recs = [(r.partition, r.offset, r.value) for rs in polled.values() for r in rs]
                if not recs:
                    continue
                self.ledger.processed(self.name, recs)
                offsets = {}
                for tp, rs in polled.items():
                    offsets[tp] = OffsetAndMetadata(max(r.offset for r in rs) + 1, "", -1)
                try:
                    self.consumer.commit(offsets)
                except Exception as e:  # noqa: BLE001 - reported through the ledger
                    self.ledger.commit_failed(self.name, f"commit: {e!r}")
                else:
                    self.ledger.commit_ok(self.name, {tp.partition: om.offset for tp, om in offsets.items()})
        except BaseException as e:  # noqa: BLE001 - reported by poll_once
            self.error = e
        finally:
            self.consumer.close()

    def assigned(self) -> set:
        with self.lock:
            return set(self._assigned)

    def poll_once(self, timeout: float = 0.05) -> None:
        if self.error is not None:
            raise AssertionError(f"kafka-python member {self.name} failed: {self.error!r}")
        time.sleep(timeout)

    def close(self) -> None:
        self.stop_evt.set()
        self.join(30)

    def __repr__(self) -> str:
        return f"{self.name}(assigned={sorted(self.assigned())})"


def test_kafka_python_two_members(oxbow_factory, topic_name):
    server = group_broker(oxbow_factory)
    b = server.bootstrap
    topic = topic_name("kp")
    group = f"g-{topic}"
    create_topic(b, topic, 4)
    ledger = Ledger()
    members = [KpMember("P", b, group, topic, ledger)]
    try:
        # P first, and Q only once P owns everything: a leader that joins
        # before it has the topic's metadata assigns nothing, then rejoins on
        # the metadata change, and kafka-python 3.0.12 can drop that rejoin's
        # SyncGroup result when poll() times out while it is in flight
        # (join_group_async stops awaiting the join task once need_rejoin()
        # turns false), leaving the member silent until its session expires.
        members[0].start()
        wait_balanced(members, 4, {"P": 4}, timeout=30)
        members.append(KpMember("Q", b, group, topic, ledger))
        members[1].start()
        wait_balanced(members, 4, {"P": 2, "Q": 2}, timeout=30)
        phase = produce_phase(b, topic, "kp", range(4), 25)
        drive(members, lambda: ledger.done(phase), 30, lambda: f"kafka-python: {ledger.summary(phase)}; {members}")
        owners = {p: m.name for m in members for p in m.assigned()}
        ledger.check_exactly_once(phase, phase, owners, "kafka-python P, Q")
        assert committed_offsets(b, group, topic, 4) == end_offsets(phase, 4)
    finally:
        for m in members:
            m.close()


# --------------------------------------------------------------------------- 5. kcat -G

KCAT = shutil.which("kcat") or shutil.which("kafkacat")


def test_kcat_balanced_consumer(oxbow_factory, topic_name):
    """kcat -G: the first run reads 25 of 40 records and commits on exit; the
    second run (same group, offsets from the group) reads exactly the other 15."""
    if KCAT is None:
        pytest.fail("kcat not installed (scripts/test installs it with apt-get)", pytrace=False)
    server = group_broker(oxbow_factory)
    b = server.bootstrap
    topic = topic_name("kcat")
    group = f"g-{topic}"
    create_topic(b, topic, 3)
    recs = [Rec(None, f"kcat-{i}".encode(), partition=i % 3) for i in range(40)]
    reports = produce_all(producer(b), topic, recs)
    assert_delivered(reports)
    expected = {(part, off): rec.value.decode() for (_e, part, off), rec in zip(reports, recs)}

    def run(count):
        cmd = [KCAT, "-b", b, "-G", group, "-o", "stored", "-X", "topic.auto.offset.reset=earliest",
               "-X", "session.timeout.ms=6000", "-c", str(count), "-f", "%p %o %s\n", topic]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=30)
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"kcat -G did not read {count} records within 30s:\nstdout: {e.stdout!r}\n"
                                 f"stderr: {e.stderr!r}") from None
        assert proc.returncode == 0, f"kcat exited {proc.returncode}\nstdout: {proc.stdout!r}\nstderr: {proc.stderr!r}"
        got = []
        for line in proc.stdout.decode().splitlines():
            p, o, v = line.split(" ", 2)
            got.append((int(p), int(o), v))
        return got, proc.stderr.decode(errors="replace")

    first, err1 = run(25)
    assert len(first) == 25, (first, err1)
    second, err2 = run(15)
    assert len(second) == 15, (second, err2)
    both = first + second
    keys = [(p, o) for p, o, _ in both]
    assert len(set(keys)) == 40, f"records read twice across the two runs: {sorted(keys)}\n{err1}\n{err2}"
    assert {(p, o): v for p, o, v in both} == expected
    assert committed_offsets(b, group, topic, 3) == end_offsets(expected, 3)


# --------------------------------------------------------------------------- 6. kafkajs

def run_kafkajs_consume(bootstrap: str, args: dict, timeout: float = 90) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node not installed", pytrace=False)
    if not (KAFKAJS_DIR / "node_modules" / "kafkajs").is_dir():
        pytest.fail(f"kafkajs not installed: run `npm ci` in {KAFKAJS_DIR} (scripts/test does)", pytrace=False)
    env = dict(os.environ, OXBOW_BOOTSTRAP=bootstrap, OXBOW_ARGS=json.dumps(args), KAFKAJS_NO_PARTITIONER_WARNING="1")
    proc = subprocess.run([node, str(KAFKAJS_DIR / "consume.mjs")], cwd=KAFKAJS_DIR, env=env, capture_output=True,
                          text=True, timeout=timeout)
    results = [line[len("RESULT "):] for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and results, (
        f"node consume.mjs exited {proc.returncode}\nstdout:\n{proc.stdout[-6000:]}\nstderr:\n{proc.stderr[-8000:]}")
    return json.loads(results[-1])


def test_kafkajs_group_consumer(oxbow_factory, topic_name):
    """kafkajs consumer.run with autoCommit: all 30 records, offsets committed;
    a second consumer of the same group later gets only what was produced since."""
    server = group_broker(oxbow_factory)
    b = server.bootstrap
    topic = topic_name("js")
    group = f"g-{topic}"
    create_topic(b, topic, 3)

    first = produce_phase(b, topic, "js1", range(3), 10)
    out = run_kafkajs_consume(b, {"topic": topic, "groupId": group, "count": 30})
    got = [(m["partition"], m["offset"], m["value"]) for m in out["messages"]]
    assert sorted(got) == sorted((p, o, v.decode()) for (p, o), v in first.items()), got
    for p in range(3):
        offs = [o for q, o, _ in got if q == p]
        assert offs == list(range(10)), f"partition {p} out of order or incomplete: {offs}"
    [join] = out["joins"]
    assert join["memberAssignment"] == {topic: [0, 1, 2]}, join
    assert join["isLeader"] is True
    assert out["committed"] == {"0": "10", "1": "10", "2": "10"}
    assert out["describedAfter"]["state"] == "Empty", out["describedAfter"]
    assert out["describedAfter"]["members"] == []

    second = produce_phase(b, topic, "js2", range(3), 3)
    out = run_kafkajs_consume(b, {"topic": topic, "groupId": group, "count": 9})
    got = [(m["partition"], m["offset"], m["value"]) for m in out["messages"]]
    assert sorted(got) == sorted((p, o, v.decode()) for (p, o), v in second.items()), got
    assert out["committed"] == {"0": "13", "1": "13", "2": "13"}


# --------------------------------------------------------------------------- 7. aiokafka

async def _aiokafka_group(bootstrap: str, group: str, topic: str, ledger: Ledger) -> tuple:
    from aiokafka import AIOKafkaConsumer
    from aiokafka.structs import OffsetAndMetadata

    consumers = {
        name: AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, client_id=name,
                               auto_offset_reset="earliest", enable_auto_commit=False,
                               session_timeout_ms=10000, heartbeat_interval_ms=500, fetch_max_wait_ms=100)
        for name in ("X", "Y")
    }
    for name, c in consumers.items():
        await asyncio.wait_for(c.start(), 20)
    stop = asyncio.Event()

    async def loop(name, c):
        while not stop.is_set():
            batch = await c.getmany(timeout_ms=100)
            recs = [(r.partition, r.offset, r.value) for rs in batch.values() for r in rs]
            if not recs:
                continue
            ledger.processed(name, recs)
            offsets = {tp: OffsetAndMetadata(max(r.offset for r in rs) + 1, "") for tp, rs in batch.items()}
            try:
                await c.commit(offsets)
            except Exception as e:  # noqa: BLE001 - reported through the ledger
                ledger.commit_failed(name, f"commit: {e!r}")
            else:
                ledger.commit_ok(name, {tp.partition: om.offset for tp, om in offsets.items()})

    tasks = [asyncio.create_task(loop(n, c)) for n, c in consumers.items()]

    async def until(cond, timeout, what):
        deadline = time.monotonic() + timeout
        while not cond():
            for t in tasks:
                if t.done() and t.exception() is not None:
                    raise AssertionError(f"aiokafka member failed: {t.exception()!r}")
            if time.monotonic() > deadline:
                raise AssertionError(f"after {timeout}s: {what()}")
            await asyncio.sleep(0.05)

    def assignments():
        return {n: sorted(tp.partition for tp in c.assignment()) for n, c in consumers.items()}

    try:
        def balanced():
            a = assignments()
            return all(len(v) == 2 for v in a.values()) and sorted(a["X"] + a["Y"]) == [0, 1, 2, 3]

        await until(balanced, 30, lambda: f"aiokafka members did not settle 2/2: {assignments()}")
        owned = assignments()
        phase = await asyncio.get_running_loop().run_in_executor(
            None, lambda: produce_phase(bootstrap, topic, "aio", range(4), 25))
        await until(lambda: ledger.done(phase), 30, lambda: f"aiokafka: {ledger.summary(phase)}; {assignments()}")
        assert assignments() == owned, "the group rebalanced while consuming"
        return phase, {p: n for n, ps in owned.items() for p in ps}
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
        for c in consumers.values():
            await asyncio.wait_for(c.stop(), 20)


def test_aiokafka_two_members(oxbow_factory, topic_name):
    server = group_broker(oxbow_factory)
    b = server.bootstrap
    topic = topic_name("aio")
    group = f"g-{topic}"
    create_topic(b, topic, 4)
    ledger = Ledger()
    phase, owners = asyncio.run(asyncio.wait_for(_aiokafka_group(b, group, topic, ledger), 120))
    ledger.check_exactly_once(phase, phase, owners, "aiokafka X, Y")
    assert committed_offsets(b, group, topic, 4) == end_offsets(phase, 4)


# --------------------------------------------------------------------------- 8. admin

def kafka_error_code(exc) -> Optional[int]:
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return exc.args[0].code()
    return None


def test_admin_list_describe_delete_groups(oxbow_factory, topic_name):
    server = group_broker(oxbow_factory)
    b = server.bootstrap
    topic = topic_name("adm")
    group = f"g-{topic}"
    simple = f"simple-{topic}"
    create_topic(b, topic, 4)
    ledger = Ledger()
    adm = admin(b)
    members: list = []
    try:
        # A "simple" group: offsets committed without membership.
        sc = Consumer(ck_conf(b, simple, "simple"))
        sc.commit(offsets=[TopicPartition(topic, 0, 0)], asynchronous=False)
        sc.close()

        p = CkMember("P", b, group, topic, ledger)
        q = CkMember("Q", b, group, topic, ledger)
        members += [p, q]
        wait_balanced([p, q], 4, {"P": 2, "Q": 2})
        phase = produce_phase(b, topic, "adm", range(4), 5)
        consume_phase([p, q], ledger, dict(phase), phase, "admin group P, Q")

        def listed(states=None):
            kw = {"states": set(states)} if states else {}
            res = adm.list_consumer_groups(request_timeout=15, **kw).result(timeout=20)
            assert not res.errors, res.errors
            return {g.group_id: g for g in res.valid}

        everything = listed()
        assert group in everything and simple in everything, sorted(everything)
        assert everything[group].state == ConsumerGroupState.STABLE
        assert everything[group].is_simple_consumer_group is False
        assert everything[simple].state == ConsumerGroupState.EMPTY
        assert everything[simple].is_simple_consumer_group is True
        assert group in listed([ConsumerGroupState.STABLE])
        assert simple not in listed([ConsumerGroupState.STABLE])
        assert group not in listed([ConsumerGroupState.EMPTY])
        assert simple in listed([ConsumerGroupState.EMPTY])

        desc = adm.describe_consumer_groups([group], request_timeout=15)[group].result(timeout=20)
        assert desc.group_id == group
        assert desc.state == ConsumerGroupState.STABLE
        assert desc.is_simple_consumer_group is False
        assert desc.partition_assignor == "roundrobin"
        assert desc.coordinator is not None and desc.coordinator.port == server.port
        by_id = {m.member_id: m for m in desc.members}
        assert set(by_id) == {p.member_id(), q.member_id()}, [vars(m) for m in desc.members]
        for m in (p, q):
            d = by_id[m.member_id()]
            assert d.client_id == m.name
            assert d.host and "127.0.0.1" in d.host, d.host
            assert d.group_instance_id is None
            assert sorted((tp.topic, tp.partition) for tp in d.assignment.topic_partitions) == sorted(
                (topic, x) for x in m.assigned())

        res = wait_futures(adm.delete_consumer_groups([group], request_timeout=15))
        assert kafka_error_code(res[group]) == KafkaError.NON_EMPTY_GROUP, repr(res[group])
        assert committed_offsets(b, group, topic, 4) == {x: 5 for x in range(4)}, "refused delete removed offsets"

        p.close()
        q.close()
        desc = adm.describe_consumer_groups([group], request_timeout=15)[group].result(timeout=20)
        assert desc.state == ConsumerGroupState.EMPTY
        assert desc.members == []
        assert group in listed([ConsumerGroupState.EMPTY])

        res = wait_futures(adm.delete_consumer_groups([group, simple], request_timeout=15))
        assert res == {group: None, simple: None}, res
        assert committed_offsets(b, group, topic, 4) == {x: OFFSET_INVALID for x in range(4)}
        assert committed_offsets(b, simple, topic, 4) == {x: OFFSET_INVALID for x in range(4)}
        after = listed()
        assert group not in after and simple not in after, sorted(after)
        res = wait_futures(adm.delete_consumer_groups([group], request_timeout=15))
        assert kafka_error_code(res[group]) == KafkaError.GROUP_ID_NOT_FOUND, repr(res[group])
    finally:
        for m in members:
            m.close()


# --------------------------------------------------------------------------- 9. broker restart

def test_new_members_resume_from_offsets_committed_before_broker_sigkill(oxbow_factory, topic_name):
    """Members commit, leave; the broker is SIGKILLed and restarted; new
    members of the same group start exactly at the committed offsets."""
    server = group_broker(oxbow_factory)
    b = server.bootstrap
    topic = topic_name("crash")
    group = f"g-{topic}"
    create_topic(b, topic, 4)
    ledger = Ledger()
    everything: dict = {}
    members: list = []
    try:
        a = CkMember("A", b, group, topic, ledger)
        bm = CkMember("B", b, group, topic, ledger)
        members += [a, bm]
        wait_balanced([a, bm], 4, {"A": 2, "B": 2})
        phase = produce_phase(b, topic, "before", range(4), 10)
        everything.update(phase)
        consume_phase([a, bm], ledger, everything, phase, "before the crash")
        a.close()
        bm.close()

        server.kill9()
        server.restart()
        assert committed_offsets(b, group, topic, 4) == end_offsets(everything, 4)
        c = CkMember("C", b, group, topic, ledger)
        d = CkMember("D", b, group, topic, ledger)
        members += [c, d]
        wait_balanced([c, d], 4, {"C": 2, "D": 2}, timeout=30)
        # Produced once both are in (so neither reads the other's share before
        # the group settles): had the offsets been lost, they would re-read
        # from 0 (auto.offset.reset=earliest) and the ledger would see it.
        phase = produce_phase(b, topic, "after", range(4), 10)
        everything.update(phase)
        consume_phase([c, d], ledger, everything, phase, "new members after the restart")
        assert committed_offsets(b, group, topic, 4) == end_offsets(everything, 4)
    finally:
        for m in members:
            m.close()


def test_live_members_keep_their_membership_across_broker_sigkill(oxbow_factory, topic_name):
    """Members stay up while the broker is SIGKILLed and restarted. Nothing is
    lost. And, as with Kafka, whose coordinator reloads the group (members,
    generation, assignment) from __consumer_offsets, the restart does not
    rebalance the group: the members keep their ids and partitions, their
    commits are accepted, and no record is processed twice."""
    server = group_broker(oxbow_factory)
    b = server.bootstrap
    topic = topic_name("live")
    group = f"g-{topic}"
    create_topic(b, topic, 4)
    ledger = Ledger()
    everything: dict = {}
    members: list = []
    try:
        a = CkMember("A", b, group, topic, ledger)
        bm = CkMember("B", b, group, topic, ledger)
        members += [a, bm]
        wait_balanced([a, bm], 4, {"A": 2, "B": 2})
        phase = produce_phase(b, topic, "before", range(4), 10)
        everything.update(phase)
        consume_phase([a, bm], ledger, everything, phase, "before the crash")
        ids = {m.name: m.member_id() for m in (a, bm)}
        owned = {m.name: m.assigned() for m in (a, bm)}
        events = {m.name: len(m.rebalances) for m in (a, bm)}

        server.kill9()
        server.restart()
        phase = produce_phase(b, topic, "after", range(4), 10)
        everything.update(phase)
        took = drive([a, bm], lambda: ledger.done(phase), 45,
                     lambda: f"live members after the restart: {ledger.summary(phase)}; {members}")
        log.info("live members consumed across the restart in %.2fs: %s", took, ledger.summary(phase))
        # No loss: everything produced after the restart was processed and committed.
        assert committed_offsets(b, group, topic, 4) == end_offsets(everything, 4)
        with ledger.lock:
            dups = sum(1 for v in ledger.seen.values() if len(v) > 1)
        after = {m.name: m.rebalances[events[m.name]:] for m in (a, bm)}
        assert after == {"A": [], "B": []} and {m.name: m.member_id() for m in (a, bm)} == ids, (
            f"the broker restart rebalanced the group (Kafka keeps it: group metadata is durable):\n"
            f"  rebalance callbacks since the crash: {after}\n"
            f"  member ids before {ids}, after { {m.name: m.member_id() for m in (a, bm)} }\n"
            f"  commits refused: {ledger.commit_errors}\n"
            f"  records processed twice as a result: {dups}")
        assert {m.name: m.assigned() for m in (a, bm)} == owned
        ledger.check_exactly_once(everything, phase, owners_of([a, bm]), "live members across the restart")
    finally:
        for m in members:
            m.close()
