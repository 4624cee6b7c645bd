#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests, on a free loopback port in a temp dir.
#
#   scripts/pg-test-server.sh start DIR   # initdb + start; prints the URL (also in DIR/url)
#   scripts/pg-test-server.sh stop DIR    # stop it and remove DIR
#
# Then: export OXBOW_TEST_POSTGRES_URL="$(cat DIR/url)". Installs Debian's
# `postgresql` with apt if no server binaries are found. As root, the server
# runs as the `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail

cmd="${1:-}"
dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else "$@"; fi
}

pg_bin() {
    local bin
    bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        echo "pg-test-server: installing postgresql (apt)" >&2
        export DEBIAN_FRONTEND=noninteractive
        if ! as_root apt-get install -y -q --no-install-recommends postgresql >&2; then
            as_root apt-get update -q >&2
            as_root apt-get install -y -q --no-install-recommends postgresql >&2
        fi
        bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    fi
    echo "$bin"
}

# Runs a command as the server's owner.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
    bin="$(pg_bin)"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U oxbow --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    port="$(free_port)"
    # fsync stays on: the metadata store's durability is what is under test.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" start >&2 \
        || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U oxbow oxbow
    echo "$bin" >"$dir/bin"
    echo "postgres://oxbow@127.0.0.1:$port/oxbow?sslmode=disable" | tee "$dir/url"
    ;;
stop)
    if [ -f "$dir/bin" ] && [ -d "$dir/data" ]; then
        as_owner "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
