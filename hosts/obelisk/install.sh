#!/usr/bin/env bash
# Builds the Obelisk workflow engine once, from source, into a cache folder
# outside the checkout, and prints the binary's path on stdout (the last line).
#
#   OBELISK_CACHE  default: $HOME/.cache/matchkraft-component/obelisk
#                  (.ci/run keeps $HOME/.cache/matchkraft-component between runs)
#   binary         $OBELISK_CACHE/0.38.3/bin/obelisk
#
# Idempotent: when the binary exists it checks its version and returns at once.
# The first build takes about 14 minutes on an idle 2-core machine (longer when
# the cores are shared). It needs protoc; when protoc is missing it installs
# Debian's protobuf-compiler with apt-get (as root; otherwise it stops and says so).
#
# 0.38.3 is the newest Obelisk release that builds with rustc 1.95 (0.39.5 and
# later need rustc 1.96+), and the version every command in the README ran with.
set -euo pipefail

version=0.38.3
cache="${OBELISK_CACHE:-$HOME/.cache/matchkraft-component/obelisk}"
root="$cache/$version"
bin="$root/bin/obelisk"

if [[ -x "$bin" ]]; then
    got="$("$bin" --version 2>/dev/null || true)"
    if [[ "$got" == *"$version"* ]]; then
        echo "$bin"
        exit 0
    fi
    echo "obelisk/install.sh: $bin says '$got', expected $version; rebuilding" >&2
fi

command -v cargo >/dev/null || { echo "obelisk/install.sh: cargo is not installed" >&2; exit 1; }

if ! command -v protoc >/dev/null; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        echo "obelisk/install.sh: installing protobuf-compiler (protoc) with apt-get" >&2
        apt-get install -y -q protobuf-compiler >/dev/null 2>&1 || {
            apt-get update -q >/dev/null && apt-get install -y -q protobuf-compiler >/dev/null
        }
    else
        echo "obelisk/install.sh: protoc is missing; install Debian's protobuf-compiler" \
            "(apt-get install protobuf-compiler) and run this again" >&2
        exit 1
    fi
fi

mkdir -p "$root"
echo "obelisk/install.sh: building obelisk $version into $root (about 14 minutes on 2 idle cores)" >&2
start=$(date +%s)
# Its own target folder inside the cache, so the project's target folder stays
# small and a rebuild after a lost binary reuses the compiled dependencies.
CARGO_TARGET_DIR="$cache/target" \
    cargo install --locked obelisk --version "$version" --root "$root" >&2
echo "obelisk/install.sh: built in $(( $(date +%s) - start )) s" >&2
"$bin" --version >&2
echo "$bin"
