#!/usr/bin/env bash
# Builds the benchmark command (bench/oxbow-bench, its own cargo workspace so the
# main build never pulls in rdkafka) against the librdkafka that
# compat/librdkafka/build.sh builds into the cache, linked dynamically.
# Prints the binary's path as the last line.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/compat/librdkafka/build.sh" >/dev/null
LRK="${OXBOW_CACHE:-$HOME/.cache/oxbow}/librdkafka/librdkafka-2.12.1"
# librdkafka's own rdkafka.pc names its install prefix (/usr/local); the bench
# links the uninstalled build tree instead, so write a .pc that points there.
PC_DIR="$LRK/oxbow-pkgconfig"
mkdir -p "$PC_DIR"
cat >"$PC_DIR/rdkafka.pc" <<PC
libdir=$LRK/src
includedir=$LRK/src
Name: librdkafka
Description: The Apache Kafka C/C++ library (uninstalled build tree)
Version: 2.12.1
Cflags: -I\${includedir}
Libs: -L\${libdir} -lrdkafka
PC
# rdkafka-sys includes <librdkafka/rdkafka.h>: give it that layout.
mkdir -p "$LRK/src/librdkafka"
ln -sf ../rdkafka.h "$LRK/src/librdkafka/rdkafka.h"
cd "$ROOT/bench/oxbow-bench"
PKG_CONFIG_PATH="$PC_DIR" RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-Wl,-rpath,$LRK/src" \
    cargo build --release --locked "$@" 1>&2 || \
    PKG_CONFIG_PATH="$PC_DIR" RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-Wl,-rpath,$LRK/src" \
    cargo build --release "$@" 1>&2
echo "$ROOT/bench/oxbow-bench/target/release/oxbow-bench"
