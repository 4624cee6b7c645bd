#!/usr/bin/env bash
# Build librdkafka and its own test runner (tests/test-runner) so that
# librdkafka's test suite can be run against an Oxbow broker (see run.sh).
#
# The librdkafka source is taken from the `rdkafka-sys` crate on crates.io
# (it bundles the full librdkafka tree, tests included), fetched with cargo.
# Everything (source + build output) lives in a cache dir, never in the repo:
#
#   ${OXBOW_CACHE:-$HOME/.cache/oxbow}/librdkafka/
#
# Idempotent: a second run only checks a stamp file and exits.
# Prints the test-runner path as the last line of output.
set -euo pipefail

# ---- pinned version -------------------------------------------------------
# rdkafka-sys 4.10.0+2.12.1 is the newest release (checked with
# `cargo info rdkafka-sys`); the "+2.12.1" build metadata is the bundled
# librdkafka version.
RDKAFKA_SYS_VERSION="4.10.0+2.12.1"
LIBRDKAFKA_VERSION="2.12.1"
LIBRDKAFKA_VERSION_HEX="0x020c01ff"   # RD_KAFKA_VERSION in src/rdkafka.h

# Minimal feature set: plaintext only (Oxbow's tests use PLAINTEXT), so no
# SSL/SASL/GSSAPI/libcurl (OIDC). gzip (zlib) and zstd are enabled so test
# 0017 exercises every codec; lz4 and snappy are built in to librdkafka.
CONFIGURE_FLAGS=(--disable-ssl --disable-gssapi --disable-curl
                 --disable-lz4-ext --enable-zlib --enable-zstd)

# Debian packages needed and why:
#   build-essential - gcc/g++/make (test-runner has C++ tests, links with g++)
#   zlib1g-dev      - gzip codec (WITH_ZLIB)
#   libzstd-dev     - zstd codec (WITH_ZSTD)
#   python3         - used by librdkafka's Makefiles (lds-gen.py, get_version.py)
#   rapidjson-dev   - test 0110 (batch sizes from statistics JSON) is compiled only with it
APT_PACKAGES=(build-essential zlib1g-dev libzstd-dev rapidjson-dev)

JOBS="${JOBS:-2}"
CACHE_ROOT="${OXBOW_CACHE:-$HOME/.cache/oxbow}/librdkafka"
SRC_DIR="$CACHE_ROOT/librdkafka-$LIBRDKAFKA_VERSION"
STAMP="$SRC_DIR/.oxbow-build-stamp"
STAMP_CONTENT="rdkafka-sys=$RDKAFKA_SYS_VERSION configure=${CONFIGURE_FLAGS[*]} apt=${APT_PACKAGES[*]}"
RUNNER="$SRC_DIR/tests/test-runner"

log() { echo "[build.sh] $*" >&2; }

# ---- fast path: already built --------------------------------------------
if [[ -x "$RUNNER" && -f "$STAMP" && "$(cat "$STAMP")" == "$STAMP_CONTENT" ]]; then
    log "up to date: librdkafka $LIBRDKAFKA_VERSION (rdkafka-sys $RDKAFKA_SYS_VERSION)"
    echo "$RUNNER"
    exit 0
fi

start=$SECONDS

# Serialize concurrent builds (e.g. two run.sh started at once).
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.build.lock"
flock 9
if [[ -x "$RUNNER" && -f "$STAMP" && "$(cat "$STAMP")" == "$STAMP_CONTENT" ]]; then
    log "up to date (built by a concurrent run)"
    echo "$RUNNER"
    exit 0
fi
# Built before with other configure flags: start from a clean tree.
if [[ -f "$STAMP" ]]; then
    log "configure flags changed; rebuilding from scratch"
    rm -rf "$SRC_DIR"
fi

# ---- system packages --------------------------------------------------------
pkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
missing=()
for p in "${APT_PACKAGES[@]}"; do
    pkg_installed "$p" || missing+=("$p")
done
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    SUDO=""
    [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
command -v cargo >/dev/null 2>&1 || { log "cargo not found (needed to fetch rdkafka-sys from crates.io)"; exit 1; }

# ---- obtain the rdkafka-sys crate (crates.io only) ------------------------
CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
find_crate() {
    # .crate archives that cargo downloaded, one dir per registry
    compgen -G "$CARGO_HOME/registry/cache/*/rdkafka-sys-$RDKAFKA_SYS_VERSION.crate" | head -n1 || true
}
crate_file="$(find_crate)"
if [[ -z "$crate_file" ]]; then
    fetch_dir="$CACHE_ROOT/fetch"
    log "fetching rdkafka-sys $RDKAFKA_SYS_VERSION with cargo (throwaway project in $fetch_dir)"
    mkdir -p "$fetch_dir/src"
    cat >"$fetch_dir/Cargo.toml" <<TOML
[package]
name = "oxbow-librdkafka-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
rdkafka-sys = { version = "=$RDKAFKA_SYS_VERSION", default-features = false }

# Standalone: never part of an enclosing workspace.
[workspace]
TOML
    : >"$fetch_dir/src/lib.rs"
    (cd "$fetch_dir" && cargo fetch --quiet)
    crate_file="$(find_crate)"
    [[ -n "$crate_file" ]] || { log "cargo fetch did not produce rdkafka-sys-$RDKAFKA_SYS_VERSION.crate under $CARGO_HOME/registry/cache"; exit 1; }
fi
log "crate: $crate_file"

# ---- unpack librdkafka into the cache dir ---------------------------------
if [[ ! -f "$SRC_DIR/configure" ]]; then
    tmp="$(mktemp -d "$CACHE_ROOT/unpack.XXXXXX")"
    tar -xzf "$crate_file" -C "$tmp" "rdkafka-sys-$RDKAFKA_SYS_VERSION/librdkafka"
    rm -rf "$SRC_DIR"
    mv "$tmp/rdkafka-sys-$RDKAFKA_SYS_VERSION/librdkafka" "$SRC_DIR"
    rm -rf "$tmp"
fi
if ! grep -q "^#define RD_KAFKA_VERSION $LIBRDKAFKA_VERSION_HEX" "$SRC_DIR/src/rdkafka.h"; then
    log "unexpected librdkafka version in $SRC_DIR/src/rdkafka.h (want $LIBRDKAFKA_VERSION_HEX)"
    exit 1
fi

# ---- configure + build ------------------------------------------------------
cd "$SRC_DIR"
rm -f "$STAMP"
log "configuring librdkafka $LIBRDKAFKA_VERSION: ./configure ${CONFIGURE_FLAGS[*]}"
./configure "${CONFIGURE_FLAGS[@]}" >"$CACHE_ROOT/configure.log" 2>&1 \
    || { tail -n 40 "$CACHE_ROOT/configure.log" >&2; log "configure failed (full log: $CACHE_ROOT/configure.log)"; exit 1; }
log "building library (make -j$JOBS libs)"
make -j"$JOBS" libs >"$CACHE_ROOT/make-libs.log" 2>&1 \
    || { tail -n 40 "$CACHE_ROOT/make-libs.log" >&2; log "library build failed (full log: $CACHE_ROOT/make-libs.log)"; exit 1; }
log "building test runner (make -C tests -j$JOBS build)"
make -C tests -j"$JOBS" build >"$CACHE_ROOT/make-tests.log" 2>&1 \
    || { tail -n 40 "$CACHE_ROOT/make-tests.log" >&2; log "test-runner build failed (full log: $CACHE_ROOT/make-tests.log)"; exit 1; }
[[ -x "$RUNNER" ]] || { log "build finished but $RUNNER is missing"; exit 1; }

echo "$STAMP_CONTENT" >"$STAMP"
log "built librdkafka $LIBRDKAFKA_VERSION and test-runner in $((SECONDS - start))s"
echo "$RUNNER"
