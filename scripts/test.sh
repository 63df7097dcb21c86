#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, checks types, lint and
# format, runs the unit tests, starts the local services and runs the integration, time-skipping
# and browser tests on them.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/suite.sh
source "$ROOT/scripts/suite.sh"
cd "$ROOT"

# shellcheck source=scripts/suite-times.sh
source "$ROOT/scripts/suite-times.sh"
trap print_suite_times EXIT

suite "install what is missing" "$ROOT/scripts/install.sh" --tests
# The services start while the checks and tests that need none run (on a new clone: about a
# minute of database schemas and Keystone's bootstrap).
services_start_early
trap 'print_suite_times; _stop_services_of_this_run' EXIT
# No services: the activities are mocks; the Java test server came with install.sh --tests. They
# wait more than they compute (17 % of the cores when alone): beside the checks.
suite_background workflows "workflow tests (mocked activities, time-skipping server; no OpenStack)" \
  suite_command workflows
suite "type check" npx tsc -p tsconfig.json
lint_and_format() { npx eslint . && npx prettier --check .; }
suite "lint and format" lint_and_format
suite "docker-compose.yml is valid (docker-compose config; no engine needed)" \
  docker-compose -f docker-compose.yml config -q

suite "unit tests" suite_command unit
suite "replay of recorded histories" suite_command replay
suite_wait workflows

suite "the local services (started early: the wait that is left)" services_for_this_run
# The engine and the images (a minute when the app changed) beside the integration tests, which
# leave more than half the cores idle. The engine outlives the suite: stopped at the end.
engine_for_this_run
suite_background images "images (the stand-ins, the app image, the last release's; cached by recipe)" \
  build_images

suite "integration tests (real Temporal, Keystone, Mailpit, PostgreSQL)" \
  suite_command integration
suite "time-skipping tests (days of reminders in seconds; Temporal's Java test server)" \
  suite_command time-skipping
suite "production-like tests (full Temporal server on PostgreSQL; workers and API as processes)" \
  suite_command production
suite "browser tests (headless Chromium; screenshots in test-artifacts/screenshots)" \
  suite_command browser
suite_wait images
suite "image tests (the Dockerfile on a local stand-in base; worker and API as containers)" \
  suite_command compose
suite "compose stack (docker-compose.yml on the stand-ins, host network; faults, upgrade, login)" \
  suite_command stack
suite "reliability and security suite, short form (faults on the real services, hostile input)" \
  suite_command reliability
log "all tests passed"
