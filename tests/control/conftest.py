"""Fixtures: `api` (module-scoped `oxbow up` with its API on a free port) and
`api_factory` (dedicated servers, e.g. for restarts)."""

from __future__ import annotations

import pytest

from oxbow_harness import OxbowServer, OxbowStartError
from control_helpers import start_api


def _make(tmp_path_factory, servers):
    def make(extra=()):
        base = tmp_path_factory.mktemp("oxbow-control")
        server = OxbowServer(base / "data", base / "logs", extra_args=["--api-listen", "127.0.0.1:0", *extra])
        servers.append(server)
        try:
            return start_api(server)
        except OxbowStartError as e:
            pytest.fail(str(e), pytrace=False)
    return make


def _teardown(servers):
    problems = []
    for s in servers:
        s.stop()
        problems += s.problems()
    if problems:
        pytest.fail("oxbow problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    servers = []
    yield _make(tmp_path_factory, servers)()
    _teardown(servers)


@pytest.fixture
def api_factory(tmp_path_factory):
    servers = []
    yield _make(tmp_path_factory, servers)
    _teardown(servers)
