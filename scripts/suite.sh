#!/usr/bin/env bash
# One test suite by name, with what it needs running (npm run test:NAME [-- ARG...]):
#
#   scripts/suite.sh NAME [--node-test-option=value...] [FILE...]
#   scripts/suite.sh reliability [--long] [scenario...]
#
# NAME is one of SUITES below, i.e. a folder of test/. FILEs (paths from the repository's root)
# run instead of the whole folder; options such as --test-name-pattern=… go to node --test.
# The local services, the full Temporal server and the project's Docker engine start when the
# suite needs them and stop at the end unless they were up before: start them yourself
# (scripts/services.sh start) to keep them up between runs. Nothing is installed: run
# scripts/install.sh --tests once (npm test does). What each suite needs: test/README.md.
#
# scripts/test.sh sources this file for suite_command and build_images alone, so npm test and
# npm run test:NAME run each suite the same way; it starts what the suites need itself, early.

SUITES=(unit replay workflows integration time-skipping production browser compose stack reliability)

# suite_command NAME [ARG...]: NAME's tests, run as npm test runs them (from the repository's
# root). The services and whatever else the suite needs must be up.
suite_command() {
  local name=$1 arg opts=() files=()
  shift
  # Scenarios and their size (--long), not test files.
  if [[ $name == reliability ]]; then
    node --import tsx test/reliability/run.ts "$@"
    return
  fi
  for arg in "$@"; do
    if [[ $arg == -* ]]; then opts+=("$arg"); else files+=("$arg"); fi
  done
  ((${#files[@]})) || files=(test/"$name"/*.test.ts)
  case $name in
    # Computing only, nothing shared: node's default of a file per core.
    unit | replay) ;;
    # Two stacks at a time (each its own project and ports): they wait on containers and timeouts.
    stack) opts=(--test-concurrency=2 "${opts[@]}") ;;
    # One file at a time: they share the local services; the workflow tests share the cores,
    # which each file's test server needs to start within the SDK's 5 s.
    workflows | integration | time-skipping | production | browser | compose)
      opts=(--test-concurrency=1 "${opts[@]}")
      ;;
    *) die "unknown suite '$name' (known: ${SUITES[*]})" ;;
  esac
  # The full server runs beside the dev server; started (once) here, as npm test always has.
  if [[ $name == production ]]; then "$ROOT/scripts/temporal-server.sh" start >/dev/null; fi
  node --import tsx --test --test-reporter=spec "${opts[@]}" "${files[@]}"
}

# build_images: what the compose stack runs (the stand-ins, the app image, the last release's),
# cached by recipe: seconds when nothing changed. Needs the engine (engine_for_this_run).
build_images() { "$ROOT/scripts/images.sh" stack && "$ROOT/scripts/release-image.sh"; }

_suite_usage() {
  sed -n '2,/^[^#]/{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

_suite_main() {
  local name=${1:-}
  [[ " ${SUITES[*]} " == *" $name "* ]] || _suite_usage
  cd "$ROOT"
  case $name in
    integration | time-skipping | production | browser | reliability) services_for_this_run ;;
    compose)
      services_for_this_run
      engine_for_this_run
      "$ROOT/scripts/images.sh" app
      ;;
    stack)
      services_for_this_run
      engine_for_this_run
      build_images
      ;;
  esac
  suite_command "$@"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  # shellcheck source=scripts/lib.sh
  source "$(dirname "$0")/lib.sh"
  _suite_main "$@"
fi
