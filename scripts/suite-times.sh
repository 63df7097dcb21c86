# shellcheck shell=bash
# Each suite's share of a test run: wall seconds and how busy the machine's cores were meanwhile
# (all processes: the tests, the services, the containers), so a suite that waits on timers shows
# a low share and a CPU-bound one a high one. Suites that wait more than they compute can run
# beside the others (suite_background, then suite_wait). Sourced by scripts/test.sh; the table
# goes to the log at the end and to test-artifacts/suite-times.tsv.

SUITE_DIR="$ROOT/test-artifacts/suites"
rm -rf "$SUITE_DIR"
mkdir -p "$SUITE_DIR"
declare -A SUITE_PIDS=()

# Busy and total jiffies of all cores, from /proc/stat's first line.
cpu_jiffies() {
  local _ user nice system idle iowait irq softirq steal
  read -r _ user nice system idle iowait irq softirq steal _ </proc/stat
  echo "$((user + nice + system + irq + softirq + steal)) $((user + nice + system + idle + iowait + irq + softirq + steal))"
}

# suite NAME COMMAND…: logs NAME, runs COMMAND, records its wall time and the cores' busy share.
suite() {
  local name=$1 started=$SECONDS busy0 total0 busy1 total1
  shift
  log "$name"
  read -r busy0 total0 < <(cpu_jiffies)
  "$@"
  read -r busy1 total1 < <(cpu_jiffies)
  local share=$(((busy1 - busy0) * 100 / ((total1 - total0) > 0 ? (total1 - total0) : 1)))
  printf '%s\t%s\t%s\n' "$((SECONDS - started))" "$share" "${name%% (*}${SUITE_MARK:-}" \
    >>"$SUITE_DIR/times.tsv"
}

# suite_background KEY NAME COMMAND…: the suite in a subshell beside what follows; its output
# waits in a file until suite_wait KEY shows it (the log stays in order).
suite_background() {
  local key=$1
  shift
  log "started beside the next suites: $1"
  (SUITE_MARK=' (beside others)' suite "$@") >"$SUITE_DIR/$key.log" 2>&1 &
  SUITE_PIDS[$key]=$!
}

# suite_wait KEY: waits for that suite, shows its output, fails the run if it failed.
suite_wait() {
  local key=$1 status=0
  wait "${SUITE_PIDS[$key]}" || status=$?
  cat "$SUITE_DIR/$key.log" >&2
  unset "SUITE_PIDS[$key]"
  ((status == 0)) || die "suite $key failed (exit $status; its output above)"
}

# The table, slowest first, with the run's total.
print_suite_times() {
  local file="$ROOT/test-artifacts/suite-times.tsv" key
  # A suite still running beside (a failure stopped the run) is stopped, not waited for.
  for key in "${!SUITE_PIDS[@]}"; do kill "${SUITE_PIDS[$key]}" 2>/dev/null || true; done
  { printf 'seconds\tcpu%%\tsuite\n'; sort -rn "$SUITE_DIR/times.tsv" 2>/dev/null; } >"$file"
  log "each suite's share (wall seconds; cores busy meanwhile, all processes; total ${SECONDS} s):"
  column -t -s $'\t' "$file" | sed 's/^/    /' >&2
}
