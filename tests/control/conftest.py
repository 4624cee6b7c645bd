"""Fixtures: `api` (module-scoped `oxbow up` with its API on a free port) and
`api_factory` (dedicated servers, e.g. for restarts). Every server is given a
self-signed certificate for 127.0.0.1 (`ssl.keystore.location`) so clusters
may ask for TLS and SASL/SCRAM listeners; `pki` is its directory (server.crt
is what clients trust)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

OPENSSL = shutil.which("openssl")


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    if OPENSSL is None:
        pytest.fail("openssl CLI not installed (scripts/test installs it)", pytrace=False)
    d = tmp_path_factory.mktemp("control-pki")
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
                    "-out", "server.crt", "-days", "30", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], cwd=d, check=True, capture_output=True)
    (d / "server.pem").write_text((d / "server.crt").read_text() + (d / "server.key").read_text())
    return d

from oxbow_harness import OxbowServer, OxbowStartError
from control_helpers import start_api


def _make(tmp_path_factory, servers, pki):
    def make(extra=()):
        base = tmp_path_factory.mktemp("oxbow-control")
        args = ["--api-listen", "127.0.0.1:0", "--set", f"ssl.keystore.location={pki / 'server.pem'}", *extra]
        server = OxbowServer(base / "data", base / "logs", extra_args=args)
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
def api(tmp_path_factory, pki):
    servers = []
    yield _make(tmp_path_factory, servers, pki)()
    _teardown(servers)


@pytest.fixture
def api_factory(tmp_path_factory, pki):
    servers = []
    yield _make(tmp_path_factory, servers, pki)
    _teardown(servers)
