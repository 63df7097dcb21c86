#!/usr/bin/env bash
# The reliability and security suite: scripts/reliability.sh [--long] [scenario ...]
# The short form runs in npm test; --long is the full-size run (about an hour).
# Like npm run test:reliability (scripts/suite.sh), after installing what is missing.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/install.sh"
exec "$ROOT/scripts/suite.sh" reliability "$@"
