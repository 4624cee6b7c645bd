"""pytest fixtures that run the real `oxbow` binary.

Fixtures:
  oxbow          module-scoped broker with default settings (tests share it and
                 use unique topic names from `topic_name`).
  oxbow_factory  function-scoped: oxbow_factory(sets={"auto.create.topics.enable": "false"})
                 starts a dedicated broker with extra `--set` args.
  topic_name     function-scoped: a fresh unique topic-name generator.

Every broker is stopped at teardown with SIGTERM (SIGKILL after 5 s) and the
teardown fails if the broker panicked, died on its own, or needed SIGKILL.
"""

from __future__ import annotations

import contextlib
import uuid

import pytest

from oxbow_harness import ANSI_RE, OxbowServer, OxbowStartError

# Servers currently alive, for dumping their logs when a test fails.
_LIVE: list[OxbowServer] = []


@contextlib.contextmanager
def _server_pool(tmp_path_factory):
    servers: list[OxbowServer] = []

    def make(sets=None, node_id=None, start=True, extra_args=()):
        base = tmp_path_factory.mktemp("oxbow")
        server = OxbowServer(base / "data", base / "logs", sets=sets, node_id=node_id, extra_args=extra_args)
        servers.append(server)
        _LIVE.append(server)
        if start:
            try:
                server.start()
            except OxbowStartError as e:
                pytest.fail(str(e), pytrace=False)
        return server

    try:
        yield make
    finally:
        problems = []
        for server in servers:
            server.stop()
            if server in _LIVE:
                _LIVE.remove(server)
            problems += [f"{server.data_dir.parent}: {p}" for p in server.problems()]
        if problems:
            pytest.fail("oxbow broker problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def oxbow_factory(tmp_path_factory):
    with _server_pool(tmp_path_factory) as make:
        yield make


@pytest.fixture(scope="module")
def oxbow(tmp_path_factory):
    with _server_pool(tmp_path_factory) as make:
        yield make()


@pytest.fixture
def topic_name(request):
    base = request.node.name.replace("[", "-").replace("]", "").replace("/", "-")[:60]

    def make(prefix: str = "") -> str:
        return f"{prefix or base}-{uuid.uuid4().hex[:8]}"

    return make


@pytest.fixture(autouse=True)
def _broker_health_check():
    """After each test: fail it (at teardown) if a broker it used panicked or
    died, so that the test that triggered it is the one reported."""
    yield
    problems = []
    for server in list(_LIVE):
        if server.health_reported:
            continue
        text = server.stderr_text()
        died = server.proc is not None and server.proc.poll() is not None
        if "panicked" in text or died:
            server.health_reported = True
            what = "panicked" if "panicked" in text else f"exited unexpectedly with code {server.proc.returncode}"
            idx = text.find("panicked")
            problems.append(f"broker {server.bootstrap} {what}:\n{text[max(0, idx - 300):idx + 3000] if idx >= 0 else text[-3000:]}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _LIVE:
        sections = []
        for server in _LIVE:
            stderr = ANSI_RE.sub("", server.stderr_text())
            tail = "\n".join(stderr.splitlines()[-80:])
            sections.append(
                f"== {server!r} (incarnation {server.incarnation}, running={server.running()})\n"
                f"-- stdout --\n{server.stdout_text()[-4000:]}\n-- stderr (last 80 lines) --\n{tail}"
            )
        report.sections.append(("oxbow broker logs", "\n".join(sections)))
