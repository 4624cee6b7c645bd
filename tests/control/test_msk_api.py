"""The MSK-compatible control plane with the real AWS CLI and boto3 against
the real binary: seed 003's journey, configuration revisions, operations,
broker count and reboots, cross-account cluster policies, SCRAM secrets,
SigV4 negative cases, bad bodies, and state surviving a restart."""

from __future__ import annotations

import base64
import datetime
import json
import shutil
import sqlite3
import subprocess
import uuid

import botocore.exceptions
import pytest

from control_helpers import send, signed_request, start_api, wait_for

KCAT = shutil.which("kcat")
BROKER_GROUP = {"ClientSubnets": ["subnet-a", "subnet-b", "subnet-c"], "InstanceType": "kafka.m5.large"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def kcat(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    assert KCAT, "kcat not installed"
    proc = subprocess.run([KCAT, *args], input=stdin, capture_output=True, timeout=60)
    assert proc.returncode == 0, f"kcat {args}: {proc.returncode}\n{proc.stdout!r}\n{proc.stderr!r}"
    return proc


def create_and_wait(api, name: str, brokers: int = 3, **extra) -> str:
    kafka = api.client()
    arn = kafka.create_cluster_v2(
        ClusterName=name,
        Provisioned={"BrokerNodeGroupInfo": BROKER_GROUP, "KafkaVersion": "3.7.x", "NumberOfBrokerNodes": brokers, **extra},
    )["ClusterArn"]
    wait_for(lambda: kafka.describe_cluster_v2(ClusterArn=arn)["ClusterInfo"]["State"] == "ACTIVE", what="ACTIVE")
    return arn


def wait_operation(api, op_arn: str) -> dict:
    kafka = api.client()

    def done():
        info = kafka.describe_cluster_operation_v2(ClusterOperationArn=op_arn)["ClusterOperationInfo"]
        return info if info["OperationState"] in ("UPDATE_COMPLETE", "UPDATE_FAILED") else None

    info = wait_for(done, what=f"operation {op_arn}")
    assert info["OperationState"] == "UPDATE_COMPLETE", info
    return info


def test_default_cluster_is_listed_and_serves_listen(api):
    clusters = api.cli_json("kafka", "list-clusters")["ClusterInfoList"]
    default = [c for c in clusters if c["ClusterName"] == "default"]
    assert len(default) == 1 and default[0]["State"] == "ACTIVE"
    boot = api.cli_json("kafka", "get-bootstrap-brokers", "--cluster-arn", default[0]["ClusterArn"])
    assert boot["BootstrapBrokerString"] == api.server.bootstrap


def test_seed_003_journey_with_aws_cli(api):
    name = unique("journey")
    created = api.cli_json(
        "kafka", "create-cluster", "--cluster-name", name, "--kafka-version", "3.7.x",
        "--number-of-broker-nodes", "3", "--broker-node-group-info", json.dumps(BROKER_GROUP),
    )
    arn = created["ClusterArn"]
    assert created["State"] == "CREATING" and f":cluster/{name}/" in arn
    wait_for(lambda: api.cli_json("kafka", "describe-cluster", "--cluster-arn", arn)["ClusterInfo"]["State"] == "ACTIVE",
             what="ACTIVE")
    listed = api.cli_json("kafka", "list-clusters")["ClusterInfoList"]
    assert arn in [c["ClusterArn"] for c in listed]
    info = api.cli_json("kafka", "describe-cluster", "--cluster-arn", arn)["ClusterInfo"]
    assert info["NumberOfBrokerNodes"] == 3 and info["CurrentBrokerSoftwareInfo"]["KafkaVersion"] == "3.7.x"
    assert info["CreationTime"].endswith("Z") and "T" in info["CreationTime"]
    boot = api.cli_json("kafka", "get-bootstrap-brokers", "--cluster-arn", arn)["BootstrapBrokerString"]
    assert len(boot.split(",")) == 3
    nodes = api.cli_json("kafka", "list-nodes", "--cluster-arn", arn)["NodeInfoList"]
    assert sorted(n["BrokerNodeInfo"]["BrokerId"] for n in nodes) == [1.0, 2.0, 3.0]
    # Real Kafka traffic through the bootstrap string, and every broker in the metadata.
    topic = unique("MyTopic")
    kcat("-b", boot, "-P", "-t", topic, "-X", "acks=all", stdin=b"one\ntwo\n")
    out = kcat("-b", boot, "-C", "-t", topic, "-o", "beginning", "-e", "-q").stdout
    assert out.split() == [b"one", b"two"]
    meta = json.loads(kcat("-b", boot, "-L", "-J").stdout)
    assert sorted(b["id"] for b in meta["brokers"]) == [1, 2, 3]
    # The cluster's data is its own: the default cluster does not see the topic.
    default_meta = json.loads(kcat("-b", api.server.bootstrap, "-L", "-J").stdout)
    assert topic not in [t["topic"] for t in default_meta["topics"]]


def test_list_pagination_and_v2_shapes(api):
    kafka = api.client()
    for _ in range(3):
        create_and_wait(api, unique("page"), brokers=1)
    page = kafka.list_clusters_v2(MaxResults=2)
    assert len(page["ClusterInfoList"]) == 2 and "NextToken" in page
    rest = kafka.list_clusters_v2(MaxResults=100, NextToken=page["NextToken"])
    assert page["ClusterInfoList"][0]["ClusterArn"] not in [c["ClusterArn"] for c in rest["ClusterInfoList"]]
    c = page["ClusterInfoList"][0]
    assert c["ClusterType"] == "PROVISIONED" and "Provisioned" in c
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kafka.list_clusters_v2(NextToken="bogus")
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    versions = [v["Version"] for v in kafka.list_kafka_versions()["KafkaVersions"]]
    assert "3.7.x" in versions


def test_configuration_revisions_applied_to_cluster(api):
    kafka = api.client()
    name = unique("conf")
    cfg = kafka.create_configuration(
        Name=name, KafkaVersions=["3.7.x"],
        ServerProperties=b"auto.create.topics.enable=true\nnum.partitions=2\n",
    )
    assert cfg["LatestRevision"]["Revision"] == 1
    rev2 = kafka.update_configuration(Arn=cfg["Arn"], ServerProperties=b"num.partitions=5\n", Description="five")
    assert rev2["LatestRevision"]["Revision"] == 2
    revs = kafka.list_configuration_revisions(Arn=cfg["Arn"])["Revisions"]
    assert [r["Revision"] for r in revs] == [1, 2]
    body = kafka.describe_configuration_revision(Arn=cfg["Arn"], Revision=2)["ServerProperties"]
    assert body == b"num.partitions=5\n"
    # Unknown or invalid configs are refused with the line named.
    for bad in (b"no.such.config=1\n", b"num.partitions=zero\n", b"broker.id=3\n"):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            kafka.create_configuration(Name=unique("bad"), ServerProperties=bad)
        assert e.value.response["Error"]["Code"] == "BadRequestException"
        assert "line 1" in e.value.response["Error"]["Message"]

    arn = create_and_wait(api, unique("cfgc"), brokers=2,
                          ConfigurationInfo={"Arn": cfg["Arn"], "Revision": 1})
    boot = kafka.get_bootstrap_brokers(ClusterArn=arn)["BootstrapBrokerString"]
    t1 = unique("auto")
    kcat("-b", boot, "-P", "-t", t1, stdin=b"x\n")
    meta = json.loads(kcat("-b", boot, "-L", "-J", "-t", t1).stdout)
    assert len(meta["topics"][0]["partitions"]) == 2

    info = kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kafka.update_cluster_configuration(ClusterArn=arn, CurrentVersion="STALE",
                                           ConfigurationInfo={"Arn": cfg["Arn"], "Revision": 2})
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    op = kafka.update_cluster_configuration(ClusterArn=arn, CurrentVersion=info["CurrentVersion"],
                                            ConfigurationInfo={"Arn": cfg["Arn"], "Revision": 2})
    done = wait_operation(api, op["ClusterOperationArn"])
    assert done["OperationType"] == "UPDATE_CLUSTER_CONFIGURATION"
    wait_for(lambda: kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]["State"] == "ACTIVE", what="ACTIVE")
    info2 = kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]
    assert info2["CurrentBrokerSoftwareInfo"]["ConfigurationRevision"] == 2
    assert info2["CurrentVersion"] != info["CurrentVersion"]
    assert kafka.get_bootstrap_brokers(ClusterArn=arn)["BootstrapBrokerString"] == boot  # ports kept
    t2 = unique("auto")
    kcat("-b", boot, "-P", "-t", t2, stdin=b"x\n")
    meta = json.loads(kcat("-b", boot, "-L", "-J", "-t", t2).stdout)
    assert len(meta["topics"][0]["partitions"]) == 5
    # In use: cannot be deleted.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kafka.delete_configuration(Arn=cfg["Arn"])
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    ops = kafka.list_cluster_operations_v2(ClusterArn=arn)["ClusterOperationInfoList"]
    assert [o["OperationType"] for o in ops] == ["UPDATE_CLUSTER_CONFIGURATION", "CREATE"]


def test_broker_count_reboot_and_delete(api):
    kafka = api.client()
    arn = create_and_wait(api, unique("grow"), brokers=2)
    version = kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]["CurrentVersion"]
    op = kafka.update_broker_count(ClusterArn=arn, CurrentVersion=version, TargetNumberOfBrokerNodes=4)
    assert wait_operation(api, op["ClusterOperationArn"])["OperationType"] == "INCREASE_BROKER_COUNT"
    wait_for(lambda: kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]["State"] == "ACTIVE", what="ACTIVE")
    boot = kafka.get_bootstrap_brokers(ClusterArn=arn)["BootstrapBrokerString"]
    assert len(boot.split(",")) == 4
    assert len(kafka.list_nodes(ClusterArn=arn)["NodeInfoList"]) == 4
    meta = json.loads(kcat("-b", boot, "-L", "-J").stdout)
    assert sorted(b["id"] for b in meta["brokers"]) == [1, 2, 3, 4]

    op = kafka.reboot_broker(ClusterArn=arn, BrokerIds=["3"])
    assert wait_operation(api, op["ClusterOperationArn"])["OperationType"] == "REBOOT_NODE"
    wait_for(lambda: kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]["State"] == "ACTIVE", what="ACTIVE")
    third = boot.split(",")[2]
    kcat("-b", third, "-L")  # answering again
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kafka.reboot_broker(ClusterArn=arn, BrokerIds=["9"])
    assert e.value.response["Error"]["Code"] == "BadRequestException"

    assert kafka.delete_cluster(ClusterArn=arn)["State"] == "DELETING"

    def gone():
        try:
            kafka.describe_cluster(ClusterArn=arn)
            return False
        except botocore.exceptions.ClientError as e:
            return e.response["Error"]["Code"] == "NotFoundException"

    wait_for(gone, what="cluster deleted")
    with pytest.raises(subprocess.CalledProcessError):
        subprocess.run([KCAT, "-b", third, "-L", "-m", "3"], capture_output=True, timeout=30, check=True)


def test_tags_and_unsupported_security(api):
    kafka = api.client()
    arn = create_and_wait(api, unique("tags"), brokers=1)
    kafka.tag_resource(ResourceArn=arn, Tags={"team": "data", "env": "dev"})
    assert kafka.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "data", "env": "dev"}
    kafka.untag_resource(ResourceArn=arn, TagKeys=["env"])
    assert kafka.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "data"}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kafka.create_cluster_v2(ClusterName=unique("iam"), Provisioned={
            "BrokerNodeGroupInfo": BROKER_GROUP, "KafkaVersion": "3.7.x", "NumberOfBrokerNodes": 1,
            "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}}})
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kafka.create_cluster_v2(ClusterName=unique("ver"), Provisioned={
            "BrokerNodeGroupInfo": BROKER_GROUP, "KafkaVersion": "0.8.2", "NumberOfBrokerNodes": 1})
    assert e.value.response["Error"]["Code"] == "BadRequestException"


def test_cross_account_cluster_policy(api):
    kafka = api.client()
    arn = create_and_wait(api, unique("shared"), brokers=1)
    bob = api.new_principal(name="bob")
    carol = api.new_principal(name="carol")
    assert len({api.admin.account, bob.account, carol.account}) == 3
    as_bob = api.client(who=bob)
    as_carol = api.client(who=carol)

    def code(call):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        return e.value.response["Error"]["Code"]

    # Before any policy: another account gets nothing, and sees none of the owner's clusters.
    assert code(lambda: as_bob.describe_cluster_v2(ClusterArn=arn)) == "ForbiddenException"
    assert arn not in [c["ClusterArn"] for c in as_bob.list_clusters_v2()["ClusterInfoList"]]

    policy = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{bob.account}:root"},
            "Action": ["kafka:CreateVpcConnection", "kafka:GetBootstrapBrokers",
                       "kafka:DescribeCluster", "kafka:DescribeClusterV2"],
            "Resource": arn,
        }],
    }
    put = api.cli_json("kafka", "put-cluster-policy", "--cluster-arn", arn, "--policy", json.dumps(policy))
    assert put["CurrentVersion"]
    got = kafka.get_cluster_policy(ClusterArn=arn)
    assert json.loads(got["Policy"]) == policy and got["CurrentVersion"] == put["CurrentVersion"]

    assert as_bob.describe_cluster_v2(ClusterArn=arn)["ClusterInfo"]["ClusterArn"] == arn
    assert as_bob.get_bootstrap_brokers(ClusterArn=arn)["BootstrapBrokerString"]
    assert code(lambda: as_bob.delete_cluster(ClusterArn=arn)) == "ForbiddenException"
    assert code(lambda: as_bob.put_cluster_policy(ClusterArn=arn, Policy=json.dumps(policy))) == "ForbiddenException"
    assert code(lambda: as_carol.describe_cluster_v2(ClusterArn=arn)) == "ForbiddenException"
    assert code(lambda: as_carol.get_bootstrap_brokers(ClusterArn=arn)) == "ForbiddenException"

    # Cross-account access needs the caller's own identity policy too.
    dave = api.new_principal(account=bob.account, name="dave",
                             policy=json.dumps({"Statement": [{"Effect": "Allow", "Action": "kafka:List*", "Resource": "*"}]}))
    assert code(lambda: api.client(who=dave).describe_cluster_v2(ClusterArn=arn)) == "ForbiddenException"

    # An explicit deny in the resource policy beats the owner's own allow.
    deny = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "kafka:GetBootstrapBrokers", "Resource": arn}]}
    kafka.put_cluster_policy(ClusterArn=arn, Policy=json.dumps(deny))
    assert code(lambda: kafka.get_bootstrap_brokers(ClusterArn=arn)) == "ForbiddenException"
    kafka.delete_cluster_policy(ClusterArn=arn)
    assert kafka.get_bootstrap_brokers(ClusterArn=arn)["BootstrapBrokerString"]
    assert code(lambda: as_bob.describe_cluster_v2(ClusterArn=arn)) == "ForbiddenException"

    # Every call is audited, refusals included, and readable through the CLI.
    audit = api.oxbow("audit", "--limit", "500").stdout
    assert f"arn:aws:iam::{carol.account}:user/carol kafka:DescribeClusterV2 {arn} ForbiddenException 403" in audit
    assert f"arn:aws:iam::{bob.account}:user/bob kafka:GetBootstrapBrokers {arn} Allowed 200" in audit


def test_scram_login_through_secret_association(api, pki):
    """Seed 001's journey: a SCRAM cluster, a secret, an association, a kcat SASL_SSL login."""
    kafka = api.client()
    arn = create_and_wait(api, unique("login"), brokers=2,
                          ClientAuthentication={"Sasl": {"Scram": {"Enabled": True}}, "Unauthenticated": {"Enabled": False}},
                          EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS", "InCluster": True}})
    boot = kafka.get_bootstrap_brokers(ClusterArn=arn)
    assert "BootstrapBrokerString" not in boot and "BootstrapBrokerStringTls" not in boot
    scram_boot = boot["BootstrapBrokerStringSaslScram"]
    assert len(scram_boot.split(",")) == 2
    password = "pw-" + uuid.uuid4().hex
    name = "AmazonMSK_" + unique("alice")
    secret = api.cli_json("secretsmanager", "create-secret", "--name", name,
                          "--secret-string", json.dumps({"username": "alice", "password": password}))["ARN"]

    def login(pw: str, *extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [KCAT, "-b", scram_boot, "-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=SCRAM-SHA-512",
             "-X", "sasl.username=alice", "-X", f"sasl.password={pw}", "-X", f"ssl.ca.location={pki / 'server.crt'}",
             "-m", "10", *extra], capture_output=True, timeout=60)

    assert login(password, "-L").returncode != 0, "no login before the secret is associated"
    out = api.cli_json("kafka", "batch-associate-scram-secret", "--cluster-arn", arn, "--secret-arn-list", secret)
    assert not out.get("UnprocessedScramSecrets")
    meta = login(password, "-L", "-J")
    assert meta.returncode == 0, meta.stderr
    brokers = json.loads(meta.stdout)["brokers"]
    assert sorted(f"{b['name'].rsplit('/', 1)[0]}" for b in brokers) == sorted(scram_boot.split(","))
    topic = unique("scram")
    p = subprocess.run([KCAT, "-b", scram_boot, "-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=SCRAM-SHA-512",
                        "-X", "sasl.username=alice", "-X", f"sasl.password={password}",
                        "-X", f"ssl.ca.location={pki / 'server.crt'}", "-P", "-t", topic],
                       input=b"secret-hello\n", capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    c = login(password, "-C", "-t", topic, "-o", "beginning", "-e", "-q")
    assert c.returncode == 0 and c.stdout.split() == [b"secret-hello"], c.stderr
    assert login(password + "x", "-L").returncode != 0, "a wrong password is refused"
    kafka.batch_disassociate_scram_secret(ClusterArn=arn, SecretArnList=[secret])
    assert login(password, "-L").returncode != 0, "no login once the secret is disassociated"


def test_secrets_and_scram_association(api):
    sm = api.client("secretsmanager")
    kafka = api.client()
    arn = create_and_wait(api, unique("scram"), brokers=1,
                          ClientAuthentication={"Sasl": {"Scram": {"Enabled": True}}, "Unauthenticated": {"Enabled": False}},
                          EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS_PLAINTEXT"}})
    password = "alice-" + uuid.uuid4().hex
    alice = api.cli_json("secretsmanager", "create-secret", "--name", "AmazonMSK_alice",
                         "--secret-string", json.dumps({"username": "alice", "password": password}))
    assert alice["ARN"].startswith(f"arn:aws:secretsmanager:us-east-1:{api.admin.account}:secret:AmazonMSK_alice-")
    got = sm.get_secret_value(SecretId="AmazonMSK_alice")
    assert json.loads(got["SecretString"]) == {"username": "alice", "password": password}
    sm.put_secret_value(SecretId=alice["ARN"], SecretString=json.dumps({"username": "alice", "password": password + "2"}))
    assert json.loads(sm.get_secret_value(SecretId=alice["ARN"])["SecretString"])["password"] == password + "2"
    assert sm.describe_secret(SecretId=alice["ARN"])["Name"] == "AmazonMSK_alice"
    wrong_name = sm.create_secret(Name=unique("plain"), SecretString=json.dumps({"username": "u", "password": "p"}))["ARN"]
    not_json = sm.create_secret(Name="AmazonMSK_" + unique("bad"), SecretString="not json")["ARN"]
    missing = alice["ARN"][:-6] + "XXXXXX"

    out = api.cli_json("kafka", "batch-associate-scram-secret", "--cluster-arn", arn,
                       "--secret-arn-list", alice["ARN"], wrong_name, not_json, missing)
    unprocessed = {u["SecretArn"]: u["ErrorCode"] for u in out["UnprocessedScramSecrets"]}
    assert unprocessed == {wrong_name: "InvalidSecretName", not_json: "InvalidSecretValue",
                           missing: "ResourceNotFoundException"}
    assert kafka.list_scram_secrets(ClusterArn=arn)["SecretArnList"] == [alice["ARN"]]
    kafka.batch_disassociate_scram_secret(ClusterArn=arn, SecretArnList=[alice["ARN"]])
    assert kafka.list_scram_secrets(ClusterArn=arn)["SecretArnList"] == []

    # A cluster without SCRAM refuses associations.
    plain = create_and_wait(api, unique("noscram"), brokers=1)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kafka.batch_associate_scram_secret(ClusterArn=plain, SecretArnList=[alice["ARN"]])
    assert e.value.response["Error"]["Code"] == "BadRequestException"

    # Secrets at rest are encrypted: the password is nowhere in the control database.
    db = api.server.data_dir / "control.sqlite"
    con = sqlite3.connect(db)
    try:
        dump = "\n".join(con.iterdump())
    finally:
        con.close()
    assert password not in dump

    # Other accounts cannot see the secret; deletion follows Secrets Manager's rules.
    other = api.new_principal(name="eve")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        api.client("secretsmanager", who=other).get_secret_value(SecretId=alice["ARN"])
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    names = [s["Name"] for s in sm.list_secrets()["SecretList"]]
    assert "AmazonMSK_alice" in names
    sm.delete_secret(SecretId=wrong_name, ForceDeleteWithoutRecovery=True)
    sm.delete_secret(SecretId=not_json, RecoveryWindowInDays=7)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.get_secret_value(SecretId=not_json)
    assert e.value.response["Error"]["Code"] == "InvalidRequestException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.create_secret(Name="AmazonMSK_alice", SecretString="{}")
    assert e.value.response["Error"]["Code"] == "ResourceExistsException"


def test_sigv4_negative_cases(api):
    e = api.endpoint
    path = "/v1/clusters"
    ok_headers, _ = signed_request(e, api.admin, "GET", path)
    assert send(e, "GET", path, ok_headers)[0] == 200
    # Reads may repeat (SDK poll loops sign identical bytes within a second)...
    assert send(e, "GET", path, ok_headers)[0] == 200
    # ...but a replayed change is refused: the very same signed POST again.
    body = json.dumps({"name": unique("replay"), "serverProperties": base64.b64encode(b"num.partitions=1").decode()}).encode()
    h, _ = signed_request(e, api.admin, "POST", "/v1/configurations", body)
    assert send(e, "POST", "/v1/configurations", h, body)[0] == 200
    status, code, body = send(e, "POST", "/v1/configurations", h, body)
    assert (status, code) == (403, "InvalidSignatureException") and "replayed" in body["message"]
    # Expired: signed ten minutes ago.
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    h, _ = signed_request(e, api.admin, "GET", path, when=old)
    status, code, body = send(e, "GET", path, h)
    assert (status, code) == (403, "InvalidSignatureException") and "expired" in body["message"].lower()
    # From the future, beyond the allowed skew.
    h, _ = signed_request(e, api.admin, "GET", path,
                          when=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=10))
    assert send(e, "GET", path, h)[:2] == (403, "InvalidSignatureException")
    # Wrong secret key.
    wrong = type(api.admin)(api.admin.account, api.admin.key, "x" * 40)
    h, _ = signed_request(e, wrong, "GET", path)
    assert send(e, "GET", path, h)[:2] == (403, "InvalidSignatureException")
    # Unknown access key.
    unknown = type(api.admin)(api.admin.account, "AKIAUNKNOWNUNKNOWN00", api.admin.secret)
    h, _ = signed_request(e, unknown, "GET", path)
    assert send(e, "GET", path, h)[:2] == (403, "UnrecognizedClientException")
    # Tampered body: signed one payload, sent another.
    body = json.dumps({"name": unique("t"), "serverProperties": base64.b64encode(b"num.partitions=1").decode()}).encode()
    h, _ = signed_request(e, api.admin, "POST", "/v1/configurations", body, sign_body=b"{}")
    assert send(e, "POST", "/v1/configurations", h, body)[:2] == (403, "InvalidSignatureException")
    # Tampered path: signature for one path used on another.
    h, _ = signed_request(e, api.admin, "GET", "/v1/configurations")
    assert send(e, "GET", path, h)[:2] == (403, "InvalidSignatureException")
    # No signature at all.
    assert send(e, "GET", path, {"host": "x"})[:2] == (403, "MissingAuthenticationTokenException")
    # Signed for another service.
    h, _ = signed_request(e, api.admin, "GET", path, service="s3")
    assert send(e, "GET", path, h)[:2] == (403, "InvalidSignatureException")
    # And through boto3: a wrong secret is refused the same way.
    with pytest.raises(botocore.exceptions.ClientError) as err:
        api.client(who=wrong).list_clusters()
    assert err.value.response["Error"]["Code"] == "InvalidSignatureException"
    audit = api.oxbow("audit", "--limit", "50").stdout
    assert "anonymous kafka:? /v1/clusters UnrecognizedClientException 403" in audit


def test_bad_bodies_answer_400_with_a_message(api):
    e = api.endpoint

    def post(path, body: bytes):
        h, _ = signed_request(e, api.admin, "POST", path, body)
        return send(e, "POST", path, h, body)

    status, code, body = post("/v1/configurations", b"{not json")
    assert (status, code) == (400, "BadRequestException") and "JSON" in body["message"]
    status, code, body = post("/v1/configurations", json.dumps(
        {"name": "x", "serverProperties": "bnVtLnBhcnRpdGlvbnM9MQ==", "surprise": 1}).encode())
    assert (status, code) == (400, "BadRequestException") and "surprise" in body["message"]
    assert body["invalidParameter"] == "surprise"
    status, code, body = post("/api/v2/clusters", json.dumps(
        {"clusterName": "x", "provisioned": {"kafkaVersion": "3.7.x", "numberOfBrokerNodes": "three",
                                             "brokerNodeGroupInfo": {"clientSubnets": [], "instanceType": "kafka.m5.large"}}}).encode())
    assert (status, code) == (400, "BadRequestException") and "numberOfBrokerNodes" in body["message"]
    status, code, body = post("/api/v2/clusters", json.dumps(
        {"clusterName": "x", "provisioned": {"kafkaVersion": "3.7.x", "numberOfBrokerNodes": 1,
                                             "brokerNodeGroupInfo": {"clientSubnets": [], "instanceType": "kafka.m5.large", "extra": 1}}}).encode())
    assert (status, code) == (400, "BadRequestException") and "brokerNodeGroupInfo.extra" in body["message"]
    status, code, body = post("/v1/configurations", json.dumps({"name": "x"}).encode())
    assert (status, code) == (400, "BadRequestException") and "serverProperties" in body["message"]
    big = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    status, code, body = post("/v1/configurations", big)
    assert (status, code) == (400, "BadRequestException") and "exceeds" in body["message"]
    # Secrets Manager (JSON 1.1): same rules, its own error shape.
    payload = b'{"Name": "AmazonMSK_x", "Bogus": true}'
    h, _ = signed_request(e, api.admin, "POST", "/", payload, service="secretsmanager", target="secretsmanager.CreateSecret")
    status, _, body = send(e, "POST", "/", h, payload)
    assert status == 400 and body["__type"] == "SerializationException" and "Bogus" in body["message"]
    # Unknown paths and operations Oxbow does not implement never answer 200.
    h, _ = signed_request(e, api.admin, "GET", "/v1/nowhere")
    assert send(e, "GET", "/v1/nowhere", h)[:2] == (404, "NotFoundException")
    h, _ = signed_request(e, api.admin, "GET", "/replication/v1/replicators")
    assert send(e, "GET", "/replication/v1/replicators", h)[:2] == (501, "NotImplementedException")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        api.client().list_vpc_connections()
    assert err.value.response["Error"]["Code"] == "NotImplementedException"


def test_topics_api(api):
    kafka = api.client()
    arn = create_and_wait(api, unique("topics"), brokers=2)
    name = unique("orders")
    configs = base64.b64encode(json.dumps({"retention.ms": "3600000"}).encode()).decode()
    kafka.create_topic(ClusterArn=arn, TopicName=name, PartitionCount=3, ReplicationFactor=2, Configs=configs)
    d = kafka.describe_topic(ClusterArn=arn, TopicName=name)
    assert d["PartitionCount"] == 3 and json.loads(base64.b64decode(d["Configs"])) == {"retention.ms": "3600000"}
    kafka.update_topic(ClusterArn=arn, TopicName=name, PartitionCount=4)
    assert [t["PartitionCount"] for t in kafka.list_topics(ClusterArn=arn)["Topics"] if t["TopicName"] == name] == [4]
    boot = kafka.get_bootstrap_brokers(ClusterArn=arn)["BootstrapBrokerString"]
    meta = json.loads(kcat("-b", boot, "-L", "-J", "-t", name).stdout)
    assert len(meta["topics"][0]["partitions"]) == 4
    kafka.delete_topic(ClusterArn=arn, TopicName=name)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        kafka.describe_topic(ClusterArn=arn, TopicName=name)
    assert err.value.response["Error"]["Code"] == "NotFoundException"


def test_oxbow_cli_everyday_tasks(api):
    out = api.oxbow("clusters").stdout
    assert "default ACTIVE" in out and api.server.bootstrap in out
    boot = json.loads(api.oxbow("bootstrap-brokers", "default").stdout)
    assert boot["bootstrapBrokerString"] == api.server.bootstrap
    creds = api.oxbow("credentials").stdout
    assert api.admin.key in creds and api.admin.secret in creds
    name = "AmazonMSK_" + unique("cli")
    secret_arn = api.oxbow("secret", "create", name, "--username", "u1", "--password", "p1").stdout.strip()
    assert secret_arn.startswith("arn:aws:secretsmanager:")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "kafka:DescribeCluster"}]})
    api.oxbow("policy", "put", "default", policy)
    assert json.loads(json.loads(api.oxbow("policy", "get", "default").stdout)["policy"]) == json.loads(policy)
    api.oxbow("policy", "delete", "default")
    assert api.oxbow("policy", "get", "default", check=False).returncode != 0
    assert "kafka:GetClusterPolicy" in api.oxbow("audit").stdout


def test_restart_keeps_accounts_clusters_configurations_and_data(api_factory):
    api = api_factory()
    kafka = api.client()
    cfg = kafka.create_configuration(Name=unique("keep"), ServerProperties=b"num.partitions=3\n")
    arn = create_and_wait(api, unique("keep"), brokers=2, ConfigurationInfo={"Arn": cfg["Arn"], "Revision": 1})
    boot = kafka.get_bootstrap_brokers(ClusterArn=arn)["BootstrapBrokerString"]
    topic = unique("durable")
    kcat("-b", boot, "-P", "-t", topic, "-X", "acks=all", stdin=b"before-restart\n")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "kafka:DescribeCluster"}]})
    kafka.put_cluster_policy(ClusterArn=arn, Policy=policy)

    api.server.stop()
    again = start_api(api.server)
    assert again.admin == api.admin  # same account and keys
    api = again
    kafka = api.client()
    info = kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]
    assert info["State"] == "ACTIVE" and info["CurrentBrokerSoftwareInfo"]["ConfigurationArn"] == cfg["Arn"]
    assert kafka.describe_configuration(Arn=cfg["Arn"])["LatestRevision"]["Revision"] == 1
    assert json.loads(kafka.get_cluster_policy(ClusterArn=arn)["Policy"]) == json.loads(policy)
    assert kafka.get_bootstrap_brokers(ClusterArn=arn)["BootstrapBrokerString"] == boot
    out = kcat("-b", boot, "-C", "-t", topic, "-o", "beginning", "-e", "-q").stdout
    assert out.split() == [b"before-restart"]
