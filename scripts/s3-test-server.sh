#!/usr/bin/env bash
# A throwaway S3-compatible server for tests (moto's server mode, from the
# pinned tests/requirements.txt), on a free loopback port.
#
#   scripts/s3-test-server.sh start DIR   # start; prints the endpoint (also in DIR/endpoint)
#   scripts/s3-test-server.sh stop DIR    # stop it and remove DIR
#
# Creates the bucket `oxbow-test`. Then:
#   export OXBOW_TEST_S3_ENDPOINT="$(cat DIR/endpoint)"
# Credentials: any (moto accepts every key); the tests use testing/testing.
set -euo pipefail

cmd="${1:-}"
dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${OXBOW_VENV:-$ROOT/.venv}"

case "$cmd" in
start)
    mkdir -p "$dir"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$dir/server.log" 2>&1 &
    echo $! >"$dir/pid"
    endpoint="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do
        if "$VENV/bin/python" - "$endpoint" <<'PY' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/oxbow-test", method="PUT"), timeout=2)
PY
        kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
        sleep 0.2
    done
    echo "$endpoint" | tee "$dir/endpoint"
    ;;
stop)
    if [ -f "$dir/pid" ]; then
        kill "$(cat "$dir/pid")" 2>/dev/null || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
