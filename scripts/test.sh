#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, checks types, lint and
# format, runs the unit tests, starts the local services and runs the integration, time-skipping
# and browser tests on them.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/install.sh"

log "type check"
npx tsc -p tsconfig.json
log "lint and format"
npx eslint .
npx prettier --check .
log "docker-compose.yml is valid (docker-compose config; no engine needed)"
docker-compose -f docker-compose.yml config -q

log "unit tests"
node --import tsx --test --test-reporter=spec test/unit/*.test.ts

# Leave services alone that were already running (a demo, a developer's session);
# stop only what this run started.
already_up=$("$ROOT/scripts/services.sh" status 2>/dev/null | grep -c ' up' || true)
full_was_up=0
"$ROOT/scripts/temporal-server.sh" status >/dev/null 2>&1 && full_was_up=1
cleanup() {
  ((full_was_up)) || "$ROOT/scripts/temporal-server.sh" stop || true
  if [[ $already_up -eq 0 ]]; then "$ROOT/scripts/services.sh" stop; fi
}
trap cleanup EXIT
"$ROOT/scripts/services.sh" start
# shellcheck source=/dev/null
source "$STATE_DIR/services.env"

log "integration tests (real Temporal, Keystone, Mailpit, PostgreSQL)"
node --import tsx --test --test-reporter=spec --test-concurrency=1 test/integration/*.test.ts
log "time-skipping tests (days of reminders in seconds; Temporal's Java test server)"
node --import tsx --test --test-reporter=spec --test-concurrency=1 test/time-skipping/*.test.ts
log "production-like tests (full Temporal server on PostgreSQL; workers and API as processes)"
"$ROOT/scripts/temporal-server.sh" start >/dev/null
node --import tsx --test --test-reporter=spec --test-concurrency=1 test/production/*.test.ts
log "browser tests (headless Chromium; screenshots in test-artifacts/screenshots)"
node --import tsx --test --test-reporter=spec --test-concurrency=1 test/browser/*.test.ts
log "all tests passed"
