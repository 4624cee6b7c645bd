"""A small, self-contained helper that runs the oxbow binary for the fault
tests: start (optionally on a fixed port), SIGKILL, restart on the same port
and data dir, SIGTERM, and read /proc for memory. Independent of
tests/conftest.py on purpose.

Binary: $OXBOW_BIN, default /work/main/target/release/oxbow.
"""

from __future__ import annotations

import atexit
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

DEFAULT_BIN = "/work/main/target/release/oxbow"
LISTEN_RE = re.compile(r"kafka listening on (\S+)")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

_live: set["Broker"] = set()


def oxbow_bin() -> str:
    return os.environ.get("OXBOW_BIN", DEFAULT_BIN)


def _split_hostport(s: str) -> tuple[str, int]:
    s = s.rstrip(".,;")
    host, _, port = s.rpartition(":")
    host = host.strip("[]")
    return host, int(port)


class BrokerStartError(RuntimeError):
    pass


class Broker:
    """One broker process at a time; restartable on the same port/data dir."""

    def __init__(self, data_dir: str | os.PathLike, log_path: str | os.PathLike,
                 extra_args: list[str] | None = None, binary: str | None = None,
                 host: str = "127.0.0.1"):
        self.binary = binary or oxbow_bin()
        self.data_dir = str(data_dir)
        self.log_path = Path(log_path)
        self.extra_args = list(extra_args or [])
        self.host = host
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.kills = 0
        self._reader: threading.Thread | None = None
        self._listening = threading.Event()
        self._log_lock = threading.Lock()
        Path(self.data_dir).mkdir(parents=True, exist_ok=True)

    # -- lifecycle ---------------------------------------------------------

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 30.0, attempts: int = 3) -> None:
        """Starts the broker. The first start picks a free port; later starts
        reuse it. A failure to bind (e.g. port briefly still in use) is retried
        a couple of times and then raised with the log tail."""
        if not os.path.exists(self.binary):
            raise BrokerStartError(f"oxbow binary not found at {self.binary} (set OXBOW_BIN)")
        last_err: Exception | None = None
        for attempt in range(attempts):
            try:
                self._start_once(timeout)
                return
            except BrokerStartError as e:
                last_err = e
                if self.port == 0:
                    break
                time.sleep(0.2 * (attempt + 1))
        assert last_err is not None
        raise last_err

    def _start_once(self, timeout: float) -> None:
        assert not self.alive(), "broker already running"
        listen = f"{self.host}:{self.port}"
        cmd = [self.binary, "up", "--listen", listen, "--data-dir", self.data_dir, *self.extra_args]
        self._log(f"\n===== start #{self.starts + 1}: {' '.join(cmd)} =====\n")
        self._listening.clear()
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        _live.add(self)
        self.starts += 1
        found: dict[str, str] = {}
        proc = self.proc

        def reader() -> None:
            assert proc.stdout is not None
            for raw in iter(proc.stdout.readline, b""):
                line = raw.decode(errors="replace")
                self._log(line)
                if not self._listening.is_set():
                    m = LISTEN_RE.search(ANSI_RE.sub("", line))
                    if m:
                        found["addr"] = m.group(1)
                        self._listening.set()
            proc.stdout.close()

        self._reader = threading.Thread(target=reader, name=f"oxbow-log-{proc.pid}", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while not self._listening.wait(0.05):
            if proc.poll() is not None:
                self._reader.join(2)
                raise BrokerStartError(
                    f"oxbow exited with {proc.returncode} before listening ({' '.join(cmd)})\n"
                    + self.log_tail())
            if time.monotonic() > deadline:
                self._hard_kill()
                raise BrokerStartError(f"oxbow did not print 'kafka listening on' within {timeout}s\n"
                                       + self.log_tail())
        host, port = _split_hostport(found["addr"])
        if self.port and port != self.port:
            raise BrokerStartError(f"restarted broker listens on {port}, expected {self.port}")
        self.port = port

    def kill9(self) -> None:
        """SIGKILL and reap."""
        assert self.proc is not None
        self._log(f"\n===== SIGKILL pid {self.proc.pid} =====\n")
        self._hard_kill()
        self.kills += 1

    def _hard_kill(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(10)
        if self._reader is not None:
            self._reader.join(5)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait; SIGKILL if it does not exit. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self._log(f"\n===== SIGTERM pid {self.proc.pid} =====\n")
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._log("===== did not exit after SIGTERM; SIGKILL =====\n")
                self._hard_kill()
        if self._reader is not None:
            self._reader.join(5)
        _live.discard(self)
        return self.proc.returncode

    # -- observation -------------------------------------------------------

    def proc_status(self) -> dict[str, str]:
        out = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
        return out

    def rss_kib(self) -> int:
        return int(self.proc_status()["VmRSS"].split()[0])

    def peak_rss_kib(self) -> int:
        return int(self.proc_status()["VmHWM"].split()[0])

    def _log(self, text: str) -> None:
        with self._log_lock:
            with open(self.log_path, "a", errors="replace") as f:
                f.write(text)

    def log_tail(self, lines: int = 40) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                tail = f.readlines()[-lines:]
        except FileNotFoundError:
            return "(no log)"
        return f"--- last {len(tail)} lines of {self.log_path} ---\n" + "".join(tail)


@atexit.register
def _cleanup() -> None:
    for b in list(_live):
        try:
            b._hard_kill()
        except Exception:
            pass
