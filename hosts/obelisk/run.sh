#!/usr/bin/env bash
# Runs the Obelisk checks by hand, with their log: builds Obelisk 0.38.3 once
# (install.sh; a version check after the first time), then tests/obelisk.rs,
# which does the rest: it starts the simulator and `obelisk server run` on
# free ports in a temporary folder, runs the checks with `obelisk execution
# submit … --follow --json`, and stops the server by its process id.
# `cargo test --workspace` runs the same tests.
#
#   hosts/obelisk/run.sh                 # both tests
#   hosts/obelisk/run.sh a_workflow      # only the workflow test
set -euo pipefail
cd "$(dirname "$0")/../.."
bash hosts/obelisk/install.sh >/dev/null
exec cargo test --test obelisk -- --nocapture "$@"
