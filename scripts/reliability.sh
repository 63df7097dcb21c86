#!/usr/bin/env bash
# The reliability and security suite: scripts/reliability.sh [--long] [scenario ...]
# The short form runs in npm test; --long is the full-size run (about an hour).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/install.sh"
services_for_this_run
node --import tsx test/reliability/run.ts "$@"
