#!/usr/bin/env bash
# Sweeps oxbow.flush.interval.ms with librdkafka's rdkafka_performance and
# prints throughput (full load) and latency (fixed rate) per setting.
# Usage: bench/flush-sweep.sh [INTERVALS...]   (default: 0 1 2 5 10)
# Needs compat/librdkafka/build.sh's cache and target/release/oxbow.
# On PostgreSQL + S3: BENCH_POSTGRES_URL=postgres://.../db BENCH_S3_URL=s3://bucket
# (with AWS_ENDPOINT_URL etc. exported); each setting gets a fresh database and prefix.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LRK="${OXBOW_CACHE:-$HOME/.cache/oxbow}/librdkafka/librdkafka-2.12.1"
PERF="$LRK/examples/rdkafka_performance"
[ -x "$PERF" ] || make -C "$LRK/examples" rdkafka_performance >/dev/null
OXBOW="${OXBOW_BIN:-$ROOT/target/release/oxbow}"
COUNT="${COUNT:-300000}"
RATE="${RATE:-20000}"
INTERVALS=("${@:-0 1 2 5 10}")
[ $# -eq 0 ] && INTERVALS=(0 1 2 5 10)

printf '%-10s %12s %10s %10s %10s %10s\n' "flush_ms" "msgs/s" "MB/s" "p50_ms" "p99_ms" "p99.9_ms"
for ms in "${INTERVALS[@]}"; do
    dir="$(mktemp -d)"
    extra=()
    if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
        db="bench_$(date +%s%N)"
        psql "$BENCH_POSTGRES_URL" -q -c "CREATE DATABASE $db" >/dev/null
        extra+=(--metadata "${BENCH_POSTGRES_URL%/*}/$db?sslmode=disable")
    fi
    [ -n "${BENCH_S3_URL:-}" ] && extra+=(--objects "$BENCH_S3_URL/bench-$(date +%s%N)")
    "$OXBOW" up --listen 127.0.0.1:0 --data-dir "$dir/data" --log-level warn ${extra[@]+"${extra[@]}"} \
        --set num.partitions=8 --set "oxbow.flush.interval.ms=$ms" >"$dir/out" 2>"$dir/err" &
    pid=$!
    for _ in $(seq 50); do grep -q "listening on" "$dir/out" 2>/dev/null && break; sleep 0.1; done
    b="$(grep -o 'listening on [0-9.:]*' "$dir/out" | awk '{print $3}')"
    common=(-b "$b" -s 1024 -a -1 -X enable.idempotence=true)
    # Throughput: batching on (linger.ms=5, librdkafka's default).
    timeout 60 "$PERF" -P -t tput "${common[@]}" -X linger.ms=5 -c 2000 >/dev/null 2>&1 || true
    tput="$(timeout 300 "$PERF" -P -t tput "${common[@]}" -X linger.ms=5 -c "$COUNT" 2>&1 | grep 'delivered' | tail -1)"
    # 15 s at a fixed rate; the first 3 s of deliveries are dropped: they
    # include the client's start-up (connect, producer id, topic metadata),
    # which is not what this measures.
    # Latency: linger.ms=0 so the figure is the broker's, not the client's wait.
    timeout 300 "$PERF" -P -t lat "${common[@]}" -X linger.ms=0 -c $((RATE * 15)) -r "$RATE" -l -A "$dir/lat.all" >/dev/null 2>&1 || true
    tail -n +$((RATE * 3 + 1)) "$dir/lat.all" >"$dir/lat.us"
    msgs="$(sed -n 's/.* \([0-9]*\) msgs\/s.*/\1/p' <<<"$tput")"
    mbs="$(sed -n 's/.* \([0-9.]*\) MB\/s.*/\1/p' <<<"$tput")"
    # Per-message produce latencies in microseconds, one per line.
    read -r p50 p99 p999 < <(sort -n "$dir/lat.us" | awk '{v[NR]=$1} END {
        if (NR == 0) { print "? ? ?"; exit }
        printf "%.2f %.2f %.2f\n", v[int(NR*0.50)+1]/1000, v[int(NR*0.99)+1]/1000, v[int(NR*0.999)+1]/1000 }')
    printf '%-10s %12s %10s %10s %10s %10s\n' "$ms" "${msgs:-?}" "${mbs:-?}" "$p50" "$p99" "$p999"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
done
