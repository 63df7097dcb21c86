#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, checks types, lint and
# format, runs the unit tests, starts the local services and runs the integration, time-skipping
# and browser tests on them.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/install.sh" --tests

log "type check"
npx tsc -p tsconfig.json
log "lint and format"
npx eslint .
npx prettier --check .
log "docker-compose.yml is valid (docker-compose config; no engine needed)"
docker-compose -f docker-compose.yml config -q

log "unit tests"
node --import tsx --test --test-reporter=spec test/unit/*.test.ts
log "replay of recorded histories"
node --import tsx --test --test-reporter=spec test/replay/*.test.ts
# No services: the activities are mocks; the Java test server came with install.sh --tests.
log "workflow tests (mocked activities, time-skipping server; no OpenStack)"
node --import tsx --test --test-reporter=spec --test-concurrency=1 test/workflows/*.test.ts

services_for_this_run

log "integration tests (real Temporal, Keystone, Mailpit, PostgreSQL)"
node --import tsx --test --test-reporter=spec --test-concurrency=1 test/integration/*.test.ts
log "time-skipping tests (days of reminders in seconds; Temporal's Java test server)"
node --import tsx --test --test-reporter=spec --test-concurrency=1 test/time-skipping/*.test.ts
log "production-like tests (full Temporal server on PostgreSQL; workers and API as processes)"
"$ROOT/scripts/temporal-server.sh" start >/dev/null
node --import tsx --test --test-reporter=spec --test-concurrency=1 test/production/*.test.ts
log "browser tests (headless Chromium; screenshots in test-artifacts/screenshots)"
node --import tsx --test --test-reporter=spec --test-concurrency=1 test/browser/*.test.ts
log "image tests (the Dockerfile on a local stand-in base; worker and API as containers)"
engine_for_this_run
"$ROOT/scripts/images.sh" stack
node --import tsx --test --test-reporter=spec --test-concurrency=1 test/compose/*.test.ts
log "compose stack (docker-compose.yml on the stand-ins, host network; an onboarding through it)"
node --import tsx --test --test-reporter=spec --test-concurrency=1 test/stack/*.test.ts
log "reliability and security suite, short form (faults on the real services, hostile input)"
node --import tsx test/reliability/run.ts
log "all tests passed"
