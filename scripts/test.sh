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
node_tests() { node --import tsx --test --test-reporter=spec --test-concurrency=1 "$@"; }
# No services: the activities are mocks; the Java test server came with install.sh --tests. They
# wait more than they compute (17 % of the cores when alone): beside the checks.
suite_background workflows "workflow tests (mocked activities, time-skipping server; no OpenStack)" \
  node_tests test/workflows/*.test.ts
suite "type check" npx tsc -p tsconfig.json
lint_and_format() { npx eslint . && npx prettier --check .; }
suite "lint and format" lint_and_format
suite "docker-compose.yml is valid (docker-compose config; no engine needed)" \
  docker-compose -f docker-compose.yml config -q

suite "unit tests" node --import tsx --test --test-reporter=spec test/unit/*.test.ts
suite "replay of recorded histories" node --import tsx --test --test-reporter=spec test/replay/*.test.ts
suite_wait workflows

suite "the local services (started early: the wait that is left)" services_for_this_run
# The engine and the images (a minute when the app changed) beside the integration tests, which
# leave more than half the cores idle. The engine outlives the suite: stopped at the end.
engine_for_this_run
build_images() { "$ROOT/scripts/images.sh" stack && "$ROOT/scripts/release-image.sh"; }
suite_background images "images (the stand-ins, the app image, the last release's; cached by recipe)" \
  build_images

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
suite_wait images
suite "image tests (the Dockerfile on a local stand-in base; worker and API as containers)" \
  node_tests test/compose/*.test.ts
# Two stacks at a time (each its own project and ports): they wait on containers and timeouts.
suite "compose stack (docker-compose.yml on the stand-ins, host network; faults, upgrade, login)" \
  node --import tsx --test --test-reporter=spec --test-concurrency=2 test/stack/*.test.ts
suite "reliability and security suite, short form (faults on the real services, hostile input)" \
  node --import tsx test/reliability/run.ts
log "all tests passed"
