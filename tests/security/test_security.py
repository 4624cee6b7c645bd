"""Broker security with unmodified clients against the real binary: TLS,
mTLS, SASL PLAIN and SCRAM, Kafka ACLs (seed 001's set-up with
allow.everyone.if.no.acl.found=false), certificate reload and bad input.

Certificates are generated per test module with the openssl CLI in a
temporary directory; no key is committed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramMechanism,
    UserScramCredentialUpsertion,
    ScramCredentialInfo,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "clients"))
from test_kafkajs import run_node  # noqa: E402

from oxbow_harness import oxbow_bin  # noqa: E402

OPENSSL = shutil.which("openssl")
KCAT = shutil.which("kcat") or shutil.which("kafkacat")


def sh(*args: str, cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)


def make_cert(d: Path, name: str, subject: str, ca: str | None, days: int = 30, san: str | None = None) -> None:
    sh(OPENSSL, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
       "-subj", subject, cwd=d)
    ext = d / f"{name}.ext"
    ext.write_text(f"subjectAltName={san}\n" if san else "basicConstraints=CA:FALSE\n")
    if ca:
        sh(OPENSSL, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
           "-CAcreateserial", "-out", f"{name}.crt", "-days", str(days), "-extfile", ext.name, cwd=d)
    else:
        sh(OPENSSL, "x509", "-req", "-in", f"{name}.csr", "-signkey", f"{name}.key", "-out", f"{name}.crt",
           "-days", str(days), cwd=d)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    if OPENSSL is None:
        pytest.fail("openssl CLI not installed (scripts/test install_apt installs it)", pytrace=False)
    d = tmp_path_factory.mktemp("pki")
    sh(OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
       "-days", "30", "-subj", "/CN=Oxbow Test CA", cwd=d)
    make_cert(d, "server", "/CN=localhost", "ca", san="IP:127.0.0.1,DNS:localhost")
    (d / "server.pem").write_text((d / "server.crt").read_text() + (d / "server.key").read_text())
    make_cert(d, "client", "/C=US/O=Oxbow/OU=apps/CN=alice-client", "ca")
    # Signed by a CA the broker does not trust.
    sh(OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "evil-ca.key", "-out", "evil-ca.crt",
       "-days", "30", "-subj", "/CN=Evil CA", cwd=d)
    make_cert(d, "evil", "/O=Oxbow/OU=apps/CN=alice-client", "evil-ca")
    # Signed by the trusted CA but expired in 2020 (`openssl ca` can set the dates).
    (d / "ca.cnf").write_text(
        "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n"
        "default_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n")
    (d / "index.txt").write_text("")
    (d / "serial").write_text("1000\n")
    sh(OPENSSL, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "expired.key", "-out", "expired.csr",
       "-subj", "/O=Oxbow/OU=apps/CN=alice-client", cwd=d)
    sh(OPENSSL, "ca", "-batch", "-config", "ca.cnf", "-cert", "ca.crt", "-keyfile", "ca.key", "-in", "expired.csr",
       "-out", "expired.crt", "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-notext", cwd=d)
    return d


def scram_set(data_dir: Path, user: str, password: str, mechanism: str = "SCRAM-SHA-512") -> None:
    subprocess.run([str(oxbow_bin()), "scram", "set", "--data-dir", str(data_dir), "--user", user,
                    "--mechanism", mechanism, "--password", password], check=True, capture_output=True)


def listener_ports(server) -> dict[str, int]:
    # The listener lines follow the "kafka listening on" line the harness waits for; "try:" comes last.
    deadline = time.time() + 5
    while "try: kcat" not in server.stdout_text() and time.time() < deadline:
        time.sleep(0.05)
    ports = {}
    for line in server.stdout_text().splitlines():
        if line.startswith("listener "):
            name = line.split()[1]
            ports[name] = int(line.rsplit(":", 1)[1])
    return ports


@pytest.fixture(scope="module")
def secure(pki, tmp_path_factory):
    """A broker with all four listeners, ACLs enforced (allow-everyone off) and super user admin."""
    from oxbow_harness import OxbowServer

    base = tmp_path_factory.mktemp("oxbow-secure")
    sets = {
        "listeners": "SASL_SSL://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,PLAINTEXT://127.0.0.1:0",
        "ssl.keystore.location": str(pki / "server.pem"),
        "ssl.truststore.location": str(pki / "ca.crt"),
        "ssl.client.auth": "required",
        "ssl.principal.mapping.rules": r"RULE:^CN=([^,]+),OU=apps,.*$/$1/,DEFAULT",
        "super.users": "User:admin",
        "allow.everyone.if.no.acl.found": "false",
        "group.initial.rebalance.delay.ms": "0",
        "connections.max.reauth.ms": "2000",
    }
    server = OxbowServer(base / "data", base / "logs", sets=sets)
    (base / "data").mkdir(parents=True)
    scram_set(base / "data", "admin", "admin-secret")
    server.start()
    server.ports = listener_ports(server)
    assert set(server.ports) == {"SASL_SSL", "SSL", "SASL_PLAINTEXT", "PLAINTEXT"}
    yield server
    server.stop()
    assert not server.problems(), server.problems()


def sasl_ssl_conf(server, pki, user: str, password: str, mechanism: str = "SCRAM-SHA-512") -> dict:
    return {
        "bootstrap.servers": f"127.0.0.1:{server.ports['SASL_SSL']}",
        "security.protocol": "SASL_SSL",
        "ssl.ca.location": str(pki / "ca.crt"),
        "sasl.mechanisms": mechanism,
        "sasl.username": user,
        "sasl.password": password,
    }


def produce_one(conf: dict, topic: str, value: bytes = b"v") -> KafkaError | None:
    errors: list = []
    p = Producer({**conf, "message.timeout.ms": 8000, "allow.auto.create.topics": False})
    p.produce(topic, value, on_delivery=lambda err, msg: errors.append(err))
    p.flush(15)
    assert errors, "no delivery report"
    return errors[0]


def consume(conf: dict, topic: str, group: str, n: int = 1, timeout: float = 15.0):
    c = Consumer({**conf, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    out, errors = [], []
    deadline = time.time() + timeout
    try:
        while time.time() < deadline and len(out) < n and not errors:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                errors.append(m.error())
            else:
                out.append(m.value())
        if out:
            c.commit(asynchronous=False)
    finally:
        c.close()
    return out, errors


def test_seed_001_scram_over_tls_with_acls(secure, pki):
    admin = AdminClient(sasl_ssl_conf(secure, pki, "admin", "admin-secret"))
    # Users through Kafka's own admin API (salted client-side by librdkafka).
    futs = admin.alter_user_scram_credentials([
        UserScramCredentialUpsertion("producer", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), b"prod-pw"),
        UserScramCredentialUpsertion("consumer", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), b"cons-pw"),
    ])
    for f in futs.values():
        f.result(10)
    admin.create_topics([NewTopic("orders", 1, 1), NewTopic("payments", 1, 1)])["orders"].result(10)
    acls = [
        AclBinding(ResourceType.TOPIC, "orders", ResourcePatternType.LITERAL, "User:producer", "*",
                   AclOperation.WRITE, AclPermissionType.ALLOW),
        AclBinding(ResourceType.TOPIC, "orders", ResourcePatternType.LITERAL, "User:consumer", "*",
                   AclOperation.READ, AclPermissionType.ALLOW),
        AclBinding(ResourceType.GROUP, "orders-", ResourcePatternType.PREFIXED, "User:consumer", "*",
                   AclOperation.READ, AclPermissionType.ALLOW),
    ]
    for f in admin.create_acls(acls).values():
        f.result(10)
    listed = admin.describe_acls(AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
                                                  AclOperation.ANY, AclPermissionType.ANY)).result(10)
    assert sorted(b.principal for b in listed) == ["User:consumer", "User:consumer", "User:producer"]

    prod = sasl_ssl_conf(secure, pki, "producer", "prod-pw")
    cons = sasl_ssl_conf(secure, pki, "consumer", "cons-pw")
    # Allowed: producer writes orders, consumer reads it in its group.
    assert produce_one(prod, "orders", b"order-1") is None
    got, errors = consume(cons, "orders", "orders-app")
    assert (got, errors) == ([b"order-1"], [])
    # Refused with Kafka's codes.
    assert produce_one(prod, "payments").code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    assert produce_one(cons, "orders").code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    _, errors = consume(cons, "orders", "other-group", timeout=8)
    assert errors and errors[0].code() == KafkaError.GROUP_AUTHORIZATION_FAILED
    _, errors = consume(prod, "orders", "orders-x", timeout=8)
    assert errors and errors[0].code() in (KafkaError.GROUP_AUTHORIZATION_FAILED, KafkaError.TOPIC_AUTHORIZATION_FAILED)
    # Metadata shows each principal only what it may describe.
    md = AdminClient(cons).list_topics(timeout=10)
    assert set(md.topics) == {"orders"}
    prod_admin, cons_admin = AdminClient(prod), AdminClient(cons)
    with pytest.raises(KafkaException) as e:
        prod_admin.create_topics([NewTopic("new-topic", 1, 1)])["new-topic"].result(10)
    assert e.value.args[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    with pytest.raises(KafkaException) as e:
        cons_admin.create_acls([acls[0]])[acls[0]].result(10)
    assert e.value.args[0].code() == KafkaError.CLUSTER_AUTHORIZATION_FAILED
    # Deny wins over allow.
    deny = AclBinding(ResourceType.TOPIC, "ord", ResourcePatternType.PREFIXED, "User:producer", "*",
                      AclOperation.WRITE, AclPermissionType.DENY)
    admin.create_acls([deny])[deny].result(10)
    assert produce_one(prod, "orders").code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    deleted = admin.delete_acls([AclBindingFilter(ResourceType.TOPIC, "ord", ResourcePatternType.PREFIXED, None, None,
                                                  AclOperation.ANY, AclPermissionType.DENY)])
    assert len(list(deleted.values())[0].result(10)) == 1
    assert produce_one(prod, "orders", b"order-2") is None
    # Wrong password: authentication failure, broker keeps serving.
    bad = Producer({**sasl_ssl_conf(secure, pki, "producer", "wrong"), "message.timeout.ms": 3000})
    with pytest.raises(KafkaException) as e:
        bad.list_topics(timeout=5)
    assert "Authentication failed" in str(e.value) or e.value.args[0].code() in (
        KafkaError._AUTHENTICATION, KafkaError._TRANSPORT, KafkaError._TIMED_OUT)
    assert "prod-pw" not in secure.stderr_text() and "admin-secret" not in secure.stderr_text()
    assert "authentication failed" in secure.stderr_text() and "127.0.0.1" in secure.stderr_text()


def test_credentials_admin_api(secure, pki):
    admin = AdminClient(sasl_ssl_conf(secure, pki, "admin", "admin-secret"))
    f = admin.alter_user_scram_credentials([
        UserScramCredentialUpsertion("rotating", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), b"pw-1")])
    f["rotating"].result(10)
    desc = admin.describe_user_scram_credentials(["rotating"])["rotating"].result(10)
    infos = desc.scram_credential_infos
    assert [(i.mechanism, i.iterations) for i in infos] == [(ScramMechanism.SCRAM_SHA_256, 4096)]
    # Nothing secret at rest: the store holds no password.
    db = (secure.data_dir / "metadata.sqlite").read_bytes()
    assert b"pw-1" not in db and b"admin-secret" not in db
    with pytest.raises(KafkaException) as e:
        admin.describe_user_scram_credentials(["nobody"])["nobody"].result(10)
    assert e.value.args[0].code() == KafkaError.RESOURCE_NOT_FOUND


def kcat(*args: str, input: bytes | None = None, timeout: float = 20) -> subprocess.CompletedProcess:
    if KCAT is None:
        pytest.fail("kcat not installed", pytrace=False)
    return subprocess.run([KCAT, *args], input=input, capture_output=True, timeout=timeout)


def test_kcat_scram_sha512_over_tls(secure, pki):
    common = ["-b", f"127.0.0.1:{secure.ports['SASL_SSL']}", "-X", "security.protocol=SASL_SSL",
              "-X", f"ssl.ca.location={pki / 'ca.crt'}", "-X", "sasl.mechanisms=SCRAM-SHA-512",
              "-X", "sasl.username=admin", "-X", "sasl.password=admin-secret"]
    p = kcat(*common, "-P", "-t", "kcat-tls", "-K:", input=b"k1:tls-hello\n")
    assert p.returncode == 0, p.stderr
    c = kcat(*common, "-C", "-t", "kcat-tls", "-o", "beginning", "-e", "-f", "%k=%s\n")
    assert c.stdout.decode().splitlines() == ["k1=tls-hello"], c.stderr
    md = kcat(*common, "-L", "-J")
    brokers = json.loads(md.stdout)["brokers"]
    assert brokers[0]["name"].endswith(f":{secure.ports['SASL_SSL']}"), "Metadata advertises the listener used"


def test_mtls_principal_from_certificate(secure, pki):
    admin = AdminClient(sasl_ssl_conf(secure, pki, "admin", "admin-secret"))
    binding = AclBinding(ResourceType.TOPIC, "mtls-", ResourcePatternType.PREFIXED, "User:alice-client", "*",
                         AclOperation.ALL, AclPermissionType.ALLOW)
    admin.create_acls([binding])[binding].result(10)
    group = AclBinding(ResourceType.GROUP, "*", ResourcePatternType.LITERAL, "User:alice-client", "*",
                       AclOperation.READ, AclPermissionType.ALLOW)
    admin.create_acls([group])[group].result(10)
    ssl_conf = {
        "bootstrap.servers": f"127.0.0.1:{secure.ports['SSL']}",
        "security.protocol": "SSL",
        "ssl.ca.location": str(pki / "ca.crt"),
        "ssl.certificate.location": str(pki / "client.crt"),
        "ssl.key.location": str(pki / "client.key"),
    }
    admin.create_topics([NewTopic("mtls-orders", 1, 1)])["mtls-orders"].result(10)
    assert produce_one(ssl_conf, "mtls-orders", b"via-mtls") is None
    assert produce_one(ssl_conf, "orders").code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    common = ["-b", f"127.0.0.1:{secure.ports['SSL']}", "-X", "security.protocol=SSL",
              "-X", f"ssl.ca.location={pki / 'ca.crt'}", "-X", f"ssl.certificate.location={pki / 'client.crt'}",
              "-X", f"ssl.key.location={pki / 'client.key'}"]
    c = kcat(*common, "-C", "-t", "mtls-orders", "-o", "beginning", "-e", "-f", "%s\n")
    assert c.stdout.decode().splitlines() == ["via-mtls"], c.stderr
    # A certificate from an untrusted CA: the handshake is refused, nothing is served.
    evil = {**ssl_conf, "ssl.certificate.location": str(pki / "evil.crt"), "ssl.key.location": str(pki / "evil.key")}
    with pytest.raises(KafkaException):
        AdminClient(evil).list_topics(timeout=4)
    # Trusted CA, but expired.
    expired = {**ssl_conf, "ssl.certificate.location": str(pki / "expired.crt"),
               "ssl.key.location": str(pki / "expired.key")}
    with pytest.raises(KafkaException):
        AdminClient(expired).list_topics(timeout=4)
    # No certificate at all (ssl.client.auth=required).
    nocert = {k: v for k, v in ssl_conf.items() if not k.startswith("ssl.certificate") and k != "ssl.key.location"}
    with pytest.raises(KafkaException):
        AdminClient(nocert).list_topics(timeout=4)
    assert "TLS handshake failed" in secure.stderr_text()


def api_versions_frame() -> bytes:
    body = struct.pack(">hhih", 18, 0, 1, 4) + b"test"
    return struct.pack(">i", len(body)) + body


def test_plaintext_on_tls_port_and_raw_bytes_are_refused(secure, pki):
    for name in ("SSL", "SASL_SSL"):
        with socket.create_connection(("127.0.0.1", secure.ports[name]), timeout=5) as s:
            s.sendall(api_versions_frame())
            data = s.recv(1024)
            # rustls answers a non-TLS client with a TLS alert record (type 21) or closes; never a Kafka answer.
            assert data == b"" or data[0] == 21, data[:16]
    # Kafka requests before SASL on the SASL port: closed without an answer.
    with socket.create_connection(("127.0.0.1", secure.ports["SASL_PLAINTEXT"]), timeout=5) as s:
        md = struct.pack(">hhih", 3, 1, 2, 4) + b"test" + struct.pack(">i", -1)
        s.sendall(struct.pack(">i", len(md)) + md)
        assert s.recv(1024) == b""
    # The broker still serves TLS clients.
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    with socket.create_connection(("127.0.0.1", secure.ports["SASL_SSL"]), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(api_versions_frame())
            n = struct.unpack(">i", s.recv(4))[0]
            assert n > 10


def test_reauthentication_keeps_long_connections_alive(secure, pki):
    """connections.max.reauth.ms=2000: librdkafka re-authenticates (KIP-368) and keeps working."""
    conf = sasl_ssl_conf(secure, pki, "admin", "admin-secret")
    p = Producer({**conf, "message.timeout.ms": 8000})
    errors = []
    for i in range(4):
        p.produce("reauth", f"m{i}".encode(), on_delivery=lambda err, msg: errors.append(err))
        p.flush(10)
        time.sleep(1.2)
    assert errors == [None] * 4
    assert "re-authenticated (KIP-368)" in secure.stderr_text()


def test_certificate_reload_without_restart(pki, oxbow_factory, tmp_path):
    ks = tmp_path / "server.pem"
    ks.write_text((pki / "server.pem").read_text())
    server = oxbow_factory(sets={"listeners": "SSL://127.0.0.1:0", "ssl.keystore.location": str(ks)})
    port = listener_ports(server)["SSL"]

    def served_cert() -> bytes:
        ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                return s.getpeercert(binary_form=True)

    first = served_cert()
    make_cert(pki, "server2", "/CN=localhost-renewed", "ca", san="IP:127.0.0.1,DNS:localhost")
    tmp = tmp_path / "next.pem"
    tmp.write_text((pki / "server2.crt").read_text() + (pki / "server2.key").read_text())
    os.replace(tmp, ks)
    deadline = time.time() + 10
    while time.time() < deadline and served_cert() == first:
        time.sleep(0.3)
    assert served_cert() != first, "the renewed certificate is served without a restart"


@pytest.fixture(scope="module")
def sasl_plain_broker(tmp_path_factory):
    """SASL_PLAINTEXT with authentication required and ACLs left at allow-everyone (the default)."""
    from oxbow_harness import OxbowServer

    base = tmp_path_factory.mktemp("oxbow-sasl")
    (base / "data").mkdir(parents=True)
    scram_set(base / "data", "bob", "bob-pw", "SCRAM-SHA-256")
    scram_set(base / "data", "bob", "bob-pw", "SCRAM-SHA-512")
    server = OxbowServer(base / "data", base / "logs", sets={
        "listeners": "SASL_PLAINTEXT://127.0.0.1:0", "group.initial.rebalance.delay.ms": "0"})
    server.start()
    yield server
    server.stop()
    assert not server.problems(), server.problems()


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_kafka_python_sasl(sasl_plain_broker, mechanism, topic_name):
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.errors import KafkaError as KPError

    conf = dict(bootstrap_servers=sasl_plain_broker.bootstrap, security_protocol="SASL_PLAINTEXT",
                sasl_mechanism=mechanism, sasl_plain_username="bob", sasl_plain_password="bob-pw")
    topic = topic_name()
    producer = KafkaProducer(**conf)
    producer.send(topic, b"kp-" + mechanism.encode()).get(timeout=20)
    producer.close()
    consumer = KafkaConsumer(topic, group_id="kp-" + mechanism, auto_offset_reset="earliest",
                             consumer_timeout_ms=10000, **conf)
    got = next(iter(consumer)).value
    consumer.close()
    assert got == b"kp-" + mechanism.encode()
    with pytest.raises(KPError):
        # A fixed api_version skips kafka-python's 30 s probe; the send then times out unauthenticated.
        bad = KafkaProducer(**{**conf, "sasl_plain_password": "nope"}, api_version=(2, 6), max_block_ms=4000)
        try:
            bad.send(topic, b"never").get(timeout=10)
        finally:
            bad.close(timeout=1)


@pytest.mark.parametrize("mechanism", ["plain", "scram-sha-256", "scram-sha-512"])
def test_kafkajs_sasl(sasl_plain_broker, mechanism, topic_name):
    topic = topic_name()
    out = run_node("sasl.mjs", sasl_plain_broker.bootstrap,
                   {"topic": topic, "group": "js-" + mechanism, "mechanism": mechanism, "username": "bob",
                    "password": "bob-pw"})
    assert out == {"connected": True, "offset": "0", "got": "hello-" + mechanism}
    bad = run_node("sasl.mjs", sasl_plain_broker.bootstrap,
                   {"topic": topic, "group": "x", "mechanism": mechanism, "username": "bob", "password": "no",
                    "retries": 0})
    assert bad["connected"] is False
