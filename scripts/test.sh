#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, checks types, lint and
# format, runs the unit tests, starts the local services and runs the integration, time-skipping
# and browser tests on them.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# shellcheck source=scripts/suite-times.sh
source "$ROOT/scripts/suite-times.sh"
trap print_suite_times EXIT

suite "install what is missing" "$ROOT/scripts/install.sh" --tests
# The services start while the checks and tests that need none run (on a new clone: about a
# minute of database schemas and Keystone's bootstrap).
services_start_early
trap 'print_suite_times; _stop_services_of_this_run' EXIT
suite "type check" npx tsc -p tsconfig.json
lint_and_format() { npx eslint . && npx prettier --check .; }
suite "lint and format" lint_and_format
suite "docker-compose.yml is valid (docker-compose config; no engine needed)" \
  docker-compose -f docker-compose.yml config -q

node_tests() { node --import tsx --test --test-reporter=spec --test-concurrency=1 "$@"; }
suite "unit tests" node --import tsx --test --test-reporter=spec test/unit/*.test.ts
suite "replay of recorded histories" node --import tsx --test --test-reporter=spec test/replay/*.test.ts
# No services: the activities are mocks; the Java test server came with install.sh --tests.
suite "workflow tests (mocked activities, time-skipping server; no OpenStack)" \
  node_tests test/workflows/*.test.ts

suite "the local services (started early: the wait that is left)" services_for_this_run

suite "integration tests (real Temporal, Keystone, Mailpit, PostgreSQL)" \
  node_tests test/integration/*.test.ts
suite "time-skipping tests (days of reminders in seconds; Temporal's Java test server)" \
  node_tests test/time-skipping/*.test.ts
production_tests() {
  "$ROOT/scripts/temporal-server.sh" start >/dev/null
  node_tests test/production/*.test.ts
}
suite "production-like tests (full Temporal server on PostgreSQL; workers and API as processes)" \
  production_tests
suite "browser tests (headless Chromium; screenshots in test-artifacts/screenshots)" \
  node_tests test/browser/*.test.ts
# Not in a suite function: the engine must outlive it (stopped at the end of this run).
engine_for_this_run
build_images() { "$ROOT/scripts/images.sh" stack && "$ROOT/scripts/release-image.sh"; }
suite "images (the stand-ins, the app image, the last release's; cached by recipe)" build_images
suite "image tests (the Dockerfile on a local stand-in base; worker and API as containers)" \
  node_tests test/compose/*.test.ts
suite "compose stack (docker-compose.yml on the stand-ins, host network; an onboarding through it)" \
  node_tests test/stack/*.test.ts
suite "reliability and security suite, short form (faults on the real services, hostile input)" \
  node --import tsx test/reliability/run.ts
log "all tests passed"
