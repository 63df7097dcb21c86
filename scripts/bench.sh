#!/usr/bin/env bash
# The benchmarks (issue-sized, minutes long, run on demand; never part of npm test):
#   scripts/bench.sh [onboarding|setpass|poller|parked|list ...] [--quick]
# Installs what is missing, starts the local services, prints the tables and writes
# bench/results/latest.json.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/install.sh"
services_for_this_run
node --import tsx bench/run.ts "$@"
