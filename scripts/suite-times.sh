# shellcheck shell=bash
# Each suite's share of a test run: wall seconds and how busy the machine's cores were meanwhile
# (all processes: the tests, the services, the containers), so a suite that waits on timers shows
# a low share and a CPU-bound one a high one. Sourced by scripts/test.sh; the table goes to the
# log at the end and to test-artifacts/suite-times.tsv.

SUITE_TIMES=()

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
  SUITE_TIMES+=("$((SECONDS - started))"$'\t'"$share"$'\t'"${name%% (*}")
}

# The table, slowest first, with the run's total.
print_suite_times() {
  local file="$ROOT/test-artifacts/suite-times.tsv"
  mkdir -p "$ROOT/test-artifacts"
  { printf 'seconds\tcpu%%\tsuite\n'; printf '%s\n' "${SUITE_TIMES[@]}" | sort -rn; } >"$file"
  log "each suite's share (wall seconds; cores busy meanwhile, all processes; total ${SECONDS} s):"
  column -t -s $'\t' "$file" | sed 's/^/    /' >&2
}
