"""Start and stop a real `oxbow` broker process for the client tests.

The binary contract (see scripts/test and the README):

    oxbow up [--listen HOST:PORT] [--data-dir DIR] [--node-id N] [--set KEY=VALUE]...

On start the broker prints a line containing `kafka listening on HOST:PORT` to
stdout and serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence, Union

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BIN = REPO_ROOT / "target" / "release" / "oxbow"

LISTEN_RE = re.compile(r"kafka listening on\s+(\[[^\]]+\]|[^\s:]+):(\d+)")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0


def oxbow_bin() -> Path:
    """Path to the broker binary: $OXBOW_BIN or target/release/oxbow."""
    env = os.environ.get("OXBOW_BIN")
    if env:
        return Path(env)
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        return Path(target) / "release" / "oxbow"
    return DEFAULT_BIN


SetArgs = Union[None, Mapping[str, object], Iterable[str]]


def _set_args(sets: SetArgs) -> list[str]:
    if not sets:
        return []
    if isinstance(sets, Mapping):
        items = [f"{k}={v}" for k, v in sets.items()]
    else:
        items = list(sets)
    args: list[str] = []
    for item in items:
        args += ["--set", item]
    return args


class OxbowStartError(RuntimeError):
    pass


class OxbowServer:
    """One broker: a data dir that outlives restarts, and the current process.

    Attributes: bootstrap ("127.0.0.1:PORT"), host, port, data_dir, proc.
    The port is chosen by the broker on first start (--listen 127.0.0.1:0) and
    reused by restart() so that clients keep a valid bootstrap address.
    """

    def __init__(
        self,
        data_dir: Union[str, Path],
        log_dir: Union[str, Path],
        sets: SetArgs = None,
        node_id: Optional[int] = None,
        binary: Optional[Path] = None,
        extra_args: Sequence[str] = (),
    ):
        self.binary = Path(binary) if binary else oxbow_bin()
        self.data_dir = Path(data_dir)
        self.log_dir = Path(log_dir)
        self.set_args = _set_args(sets)
        self.node_id = node_id
        self.extra_args = list(extra_args)
        self.host = "127.0.0.1"
        self.port: Optional[int] = None
        self.proc: Optional[subprocess.Popen] = None
        self.incarnation = 0
        self._stdout_lines: list[str] = []
        self._stdout_thread: Optional[threading.Thread] = None
        self._stderr_path: Optional[Path] = None
        self.stderr_paths: list[Path] = []
        # (incarnation, how it ended) for every stopped process
        self.exits: list[tuple[int, str]] = []
        # set once a panic/crash has been reported against a test
        self.health_reported = False

    # ------------------------------------------------------------------ info
    @property
    def bootstrap(self) -> str:
        if self.port is None:
            raise RuntimeError("oxbow not started")
        return f"{self.host}:{self.port}"

    def command(self, listen: str) -> list[str]:
        cmd = [str(self.binary), "up", "--listen", listen, "--data-dir", str(self.data_dir)]
        if self.node_id is not None:
            cmd += ["--node-id", str(self.node_id)]
        return cmd + self.set_args + self.extra_args

    def stdout_text(self) -> str:
        return "".join(self._stdout_lines)

    def stderr_text(self, all_incarnations: bool = True) -> str:
        paths = self.stderr_paths if all_incarnations else self.stderr_paths[-1:]
        out = []
        for p in paths:
            try:
                out.append(p.read_text(errors="replace"))
            except FileNotFoundError:
                pass
        return "".join(out)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # ------------------------------------------------------------- lifecycle
    def start(self, timeout: float = START_TIMEOUT_S) -> "OxbowServer":
        if self.running():
            raise RuntimeError("oxbow already running")
        if not self.binary.exists():
            raise OxbowStartError(
                f"oxbow binary not found at {self.binary} "
                "(build it with `cargo build --release --bin oxbow` or set OXBOW_BIN)"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.incarnation += 1
        listen = f"{self.host}:{self.port if self.port is not None else 0}"
        self._stderr_path = self.log_dir / f"oxbow-{self.incarnation}.stderr"
        self.stderr_paths.append(self._stderr_path)
        self._stdout_lines = []
        env = dict(os.environ)
        env.setdefault("RUST_BACKTRACE", "1")
        cmd = self.command(listen)
        with open(self._stderr_path, "wb") as stderr_f:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr_f,
                env=env,
                text=True,
                errors="replace",
                bufsize=1,
                start_new_session=True,
            )
        found = threading.Event()
        addr: list[tuple[str, int]] = []
        proc = self.proc
        lines = self._stdout_lines

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if not found.is_set():
                    m = LISTEN_RE.search(ANSI_RE.sub("", line))
                    if m:
                        addr.append((m.group(1), int(m.group(2))))
                        found.set()
            found.set()  # EOF: wake the waiter

        self._stdout_thread = threading.Thread(target=pump, name=f"oxbow-stdout-{self.incarnation}", daemon=True)
        self._stdout_thread.start()
        found.wait(timeout)
        if not addr:
            rc = proc.poll()
            if rc is None:
                self._terminate(proc)
                why = f"no `kafka listening on` line within {timeout:.0f}s"
            else:
                why = f"exited with code {rc} before printing `kafka listening on`"
            self._stdout_thread.join(2)
            raise OxbowStartError(
                f"oxbow {why}\ncommand: {' '.join(cmd)}\n"
                f"--- stdout ---\n{self.stdout_text()}\n--- stderr ---\n{self.stderr_text(False)}"
            )
        host, port = addr[0]
        if self.port is not None and port != self.port:
            raise OxbowStartError(f"oxbow restarted on port {port}, asked for {self.port}")
        self.host = host
        self.port = port
        return self

    def _terminate(self, proc: subprocess.Popen, sig: int = signal.SIGTERM) -> str:
        """Signal the process and wait; SIGKILL after STOP_TIMEOUT_S. Returns how it ended."""
        if proc.poll() is not None:
            return f"had already exited with code {proc.returncode}"
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            rc = proc.wait(STOP_TIMEOUT_S)
            how = f"exited with code {rc} after {signal.Signals(sig).name}"
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
            how = f"did not exit within {STOP_TIMEOUT_S:.0f}s of {signal.Signals(sig).name}; SIGKILLed"
        if self._stdout_thread is not None:
            self._stdout_thread.join(2)
        return how

    def stop(self) -> str:
        """Graceful stop (SIGTERM, SIGKILL after 5 s). Returns how it ended."""
        if self.proc is None:
            return "not started"
        how = self._terminate(self.proc, signal.SIGTERM)
        self.exits.append((self.incarnation, how))
        self.proc = None
        return how

    def kill9(self) -> None:
        """Crash the broker: SIGKILL, no chance to flush. start() brings it back."""
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait()
        if self._stdout_thread is not None:
            self._stdout_thread.join(2)
        self.exits.append((self.incarnation, "SIGKILLed by test (kill9)"))
        self.proc = None

    def restart(self, kill: bool = False, timeout: float = START_TIMEOUT_S) -> "OxbowServer":
        """Stop (gracefully, or SIGKILL with kill=True) and start again on the same
        port and data dir."""
        if kill:
            self.kill9()
        else:
            self.stop()
        return self.start(timeout=timeout)

    # --------------------------------------------------------------- checks
    def problems(self) -> list[str]:
        """Things the teardown must fail on: panics, and unclean graceful stops."""
        found = []
        for path in self.stderr_paths:
            try:
                text = path.read_text(errors="replace")
            except FileNotFoundError:
                continue
            if "panicked" in text:
                idx = text.index("panicked")
                start = max(0, text.rfind("\n", 0, max(0, idx - 200)))
                found.append(f"{path.name}: broker panicked:\n{text[start:idx + 2000]}")
        for incarnation, how in self.exits:
            if "SIGKILLed by test" in how:
                continue
            # A clean stop: exit 0 after handling SIGTERM, or the default action of
            # SIGTERM itself (-15, or 143 from a wrapper shell).
            if "after SIGTERM" in how and any(
                how.startswith(f"exited with code {rc} ") for rc in (0, -15, 143)
            ):
                continue
            found.append(f"incarnation {incarnation}: {how}")
        return found

    def __repr__(self) -> str:
        return f"OxbowServer(bootstrap={self.bootstrap if self.port else None}, data_dir={self.data_dir})"
