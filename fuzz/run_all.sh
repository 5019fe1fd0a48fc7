#!/bin/sh
# Runs every target once for RUNS executions (default 10 million), one after
# the other, as a single fuzzing process at a low priority; prints a summary
# line per target. Run from the repository's root: `sh fuzz/run_all.sh`.
# Each target's grown corpus goes to fuzz/corpus-run/<target> (gitignored),
# its log to fuzz/corpus-run/<target>.log, a crash to fuzz/artifacts/<target>/.
set -eu
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/matchkraft-fuzz-target}"
RUNS="${RUNS:-10000000}"
TARGETS="${*:-results job submitted error_body webhook retry_after input}"

max_len() {
    case "$1" in
        results) echo 65536 ;;
        retry_after) echo 256 ;;
        input) echo 2048 ;;
        *) echo 4096 ;;
    esac
}

dict() {
    case "$1" in
        retry_after) echo fuzz/retry_after.dict ;;
        *) echo fuzz/json.dict ;;
    esac
}

nice -n 10 cargo fuzz build -a
for target in $TARGETS; do
    mkdir -p "fuzz/corpus-run/$target"
    log="fuzz/corpus-run/$target.log"
    start=$(date +%s)
    status=0
    nice -n 10 cargo fuzz run -a "$target" "fuzz/corpus-run/$target" "fuzz/corpus/$target" -- \
        -runs="$RUNS" -max_len="$(max_len "$target")" -dict="$(dict "$target")" \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    end=$(date +%s)
    echo "$target: exit $status, $((end - start)) s wall;" \
        "$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)"
done
