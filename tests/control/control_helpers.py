"""Helpers for control-plane tests: start `oxbow up` with its API on a free
port, read the printed endpoint and credentials, and talk to it with boto3,
the real AWS CLI, or raw SigV4-signed requests (an independent signer, so
negative cases can be built byte by byte)."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import boto3
import botocore.config

REGION = "us-east-1"
AWS_CLI = str(Path(sys.executable).parent / "aws")
API_RE = re.compile(r"api listening on (http://\S+)")
CRED_RE = re.compile(r"account (\d{12}): AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)")


@dataclass
class Identity:
    account: str
    key: str
    secret: str


@dataclass
class Api:
    endpoint: str
    admin: Identity
    server: object  # OxbowServer

    def client(self, service: str = "kafka", who: Identity | None = None):
        who = who or self.admin
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=who.key,
            aws_secret_access_key=who.secret,
            config=botocore.config.Config(retries={"max_attempts": 1}),
        )

    def cli(self, *args: str, who: Identity | None = None, check: bool = True) -> subprocess.CompletedProcess:
        who = who or self.admin
        env = dict(os.environ)
        env.update(
            AWS_ACCESS_KEY_ID=who.key,
            AWS_SECRET_ACCESS_KEY=who.secret,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        )
        env.pop("AWS_PROFILE", None)
        proc = subprocess.run(
            [AWS_CLI, *args, "--endpoint-url", self.endpoint, "--output", "json"],
            capture_output=True, text=True, env=env, timeout=60,
        )
        if check:
            assert proc.returncode == 0, f"aws {' '.join(args)}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        return proc

    def cli_json(self, *args: str, who: Identity | None = None):
        out = self.cli(*args, who=who).stdout
        return json.loads(out) if out.strip() else None

    def oxbow(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [str(self.server.binary), *args, "--data-dir", str(self.server.data_dir)],
            capture_output=True, text=True, timeout=60,
        )
        if check:
            assert proc.returncode == 0, f"oxbow {' '.join(args)}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        return proc

    def new_principal(self, account: str = "new", name: str = "user", policy: str | None = None) -> Identity:
        args = ["principal", "create", "--name", name, "--account", account]
        if policy is not None:
            args += ["--policy", policy]
        out = json.loads(self.oxbow(*args).stdout)
        return Identity(out["accountId"], out["accessKeyId"], out["secretAccessKey"])


def start_api(server) -> Api:
    """Starts `server` (an OxbowServer with --api-listen) and reads its API endpoint and keys."""
    server.start()
    text = server.stdout_text()
    deadline = time.time() + 10
    while not (API_RE.search(text) and CRED_RE.search(text)) and time.time() < deadline:
        time.sleep(0.05)
        text = server.stdout_text()
    m = API_RE.search(text)
    c = CRED_RE.search(text)
    assert m and c, f"no api/credential lines in:\n{text}"
    return Api(m.group(1), Identity(c.group(1), c.group(2), c.group(3)), server)


def wait_for(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


# ---------------------------------------------------------------- raw SigV4

def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signed_request(
    endpoint: str, who: Identity, method: str, path: str, body: bytes = b"", *,
    service: str = "kafka", when: datetime.datetime | None = None, target: str | None = None,
    sign_body: bytes | None = None, query: str = "",
) -> tuple[dict, bytes]:
    """Headers for a SigV4-signed request (AWS's algorithm, written out here)."""
    host = urllib.parse.urlparse(endpoint).netloc
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    headers = {"host": host, "x-amz-date": amz_date}
    if target:
        headers["x-amz-target"] = target
        headers["content-type"] = "application/x-amz-json-1.1"
    signed = ";".join(sorted(headers))
    canonical_headers = "".join(f"{k}:{headers[k]}\n" for k in sorted(headers))
    payload_hash = hashlib.sha256(sign_body if sign_body is not None else body).hexdigest()
    canonical_path = urllib.parse.quote(path, safe="/~")
    canonical = "\n".join([method, canonical_path, query, canonical_headers, signed, payload_hash])
    scope = f"{date}/{REGION}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = _hmac(_hmac(_hmac(_hmac(("AWS4" + who.secret).encode(), date), REGION), service), "aws4_request")
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={who.key}/{scope}, SignedHeaders={signed}, Signature={signature}"
    return headers, body


def send(endpoint: str, method: str, path: str, headers: dict, body: bytes = b"", query: str = ""):
    """Returns (status, error type header, parsed JSON body or raw text)."""
    u = urllib.parse.urlparse(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request(method, path + (f"?{query}" if query else ""), body=body, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return resp.status, resp.getheader("x-amzn-ErrorType"), parsed
    finally:
        conn.close()
