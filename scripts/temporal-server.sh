#!/usr/bin/env bash
# A production-like Temporal server for tests: the full server (frontend,
# history, matching and worker services in one process) on the project's
# PostgreSQL, next to (not instead of) the dev server of services.sh.
#
#   scripts/temporal-server.sh install  build `server` and `sql` (once)
#   scripts/temporal-server.sh start    set up the databases, start, wait
#   scripts/temporal-server.sh stop     SIGTERM, SIGKILL after 30 s
#   scripts/temporal-server.sh restart  stop, then start (data is kept)
#   scripts/temporal-server.sh status   print up/down; exit 3 when down
#
# The frontend listens on 127.0.0.1:7243; the last line `start` prints is
# KAIZEN_FULL_TEMPORAL_ADDRESS=127.0.0.1:7243. Needs the project's PostgreSQL
# (scripts/services.sh start postgres); the data lives in its databases
# temporal_full and temporal_full_visibility, the config in
# $STATE_DIR/temporal-full/, the log in $STATE_DIR/logs/temporal-full.log.
#
# Env: KAIZEN_CACHE_DIR, KAIZEN_STATE_DIR, PG_PORT (see lib.sh),
# TEMPORAL_SERVER_VERSION, FULL_TEMPORAL_PORT (frontend gRPC; the other
# services use the next ports, see below).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# v1.31.2: the newest v1.31 patch the Go module proxy can build here. v1.31.3
# and v1.31.4 need go.temporal.io/auto-scaled-workers@v0.0.0-1.31.2, whose
# zip the proxy refuses (403 "not available"); v1.31.5 needs the same for
# v0.0.1-1.31.2 and go >= 1.26.10 (installed: 1.26.8). v1.31 needs Go 1.26;
# it has no `replace` directive, so `go install` works; v1.30.0 is retracted.
TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-v1.31.2}"
SERVER_MODULE=go.temporal.io/server
INSTALL_DIR="$CACHE_DIR/temporal-server-$TEMPORAL_SERVER_VERSION"
SERVER_BIN="$INSTALL_DIR/server"
SQL_BIN="$INSTALL_DIR/sql"
STAMP="$INSTALL_DIR/.installed"

NAME=temporal-full
FULL_DIR="$STATE_DIR/temporal-full"
PIDFILE="$RUN_DIR/$NAME.pid"
LOGFILE="$LOG_DIR/$NAME.log"

# Clear of the dev server (7233, UI 8233) and of the default ports of
# another full server (7233-7239, membership 6933-6939).
FRONTEND_PORT="${FULL_TEMPORAL_PORT:-7243}"
HISTORY_PORT=$((FRONTEND_PORT + 1))
MATCHING_PORT=$((FRONTEND_PORT + 2))
WORKER_PORT=$((FRONTEND_PORT + 6))
HTTP_PORT=$((FRONTEND_PORT + 10)) # frontend HTTP API (and Nexus)
FRONTEND_MEMBERSHIP_PORT=$((FRONTEND_PORT - 300))
HISTORY_MEMBERSHIP_PORT=$((FRONTEND_PORT - 299))
MATCHING_MEMBERSHIP_PORT=$((FRONTEND_PORT - 298))
WORKER_MEMBERSHIP_PORT=$((FRONTEND_PORT - 294))
ADDRESS="127.0.0.1:$FRONTEND_PORT"

DB=temporal_full
VIS_DB=temporal_full_visibility
# As scripts/services.sh: the cluster trusts local TCP connections, user
# postgres, no password.
PG_USER=postgres
SHARDS=4 # fixed for the life of the database: changing it needs new ones
# SEARCH_ATTRIBUTES (NAME=Type) comes from lib.sh, shared with the dev server.

LOG_LEVEL="${FULL_TEMPORAL_LOG_LEVEL:-warn}"
START_TIMEOUT=120 # seconds until the frontend must answer
STOP_TIMEOUT=30   # seconds between SIGTERM and SIGKILL

# ---------------------------------------------------------------- helpers

all_ports() {
  echo "$FRONTEND_PORT $HTTP_PORT $HISTORY_PORT $MATCHING_PORT $WORKER_PORT" \
    "$FRONTEND_MEMBERSHIP_PORT $HISTORY_MEMBERSHIP_PORT" \
    "$MATCHING_MEMBERSHIP_PORT $WORKER_MEMBERSHIP_PORT"
}

pg_bin_dir() {
  local d
  # Newest installed major version; Debian keeps the tools off PATH.
  d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
  [[ -n $d && -x $d/psql ]] || die "$NAME: psql not found; run scripts/install.sh"
  echo "$d"
}

# psql_q DB SQL: runs one statement, prints unaligned tuples.
psql_q() {
  "$(pg_bin_dir)/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$1" \
    -XAtq -v ON_ERROR_STOP=1 -c "$2"
}

# sql_tool DB ARGS...: Temporal's schema tool against one of our databases.
sql_tool() {
  local db=$1
  shift
  "$SQL_BIN" --plugin postgres12 --endpoint 127.0.0.1 --port "$PG_PORT" \
    --user "$PG_USER" --password "" --database "$db" "$@"
}

# The process in the pid file is alive and runs our server binary (a stale
# pid file, e.g. after a reboot, may name another program).
server_alive() {
  local pid
  pid_alive "$PIDFILE" || return 1
  pid="$(head -n 1 "$PIDFILE")"
  [[ -r /proc/$pid/cmdline ]] || return 0 # no procfs: trust the pid
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$SERVER_BIN"
}

# Flags after the subcommand: cobra cannot tell a flag's value from a
# subcommand name when global flags come first.
temporal_cli() {
  "$TEMPORAL_BIN" "$@" --address "$ADDRESS" --command-timeout 10s
}

healthy() {
  port_open 127.0.0.1 "$FRONTEND_PORT" &&
    temporal_cli operator cluster health 2>/dev/null | grep -q SERVING
}

is_up() {
  server_alive && healthy
}

# since T0: seconds (0.1 s precision) since T0, a copy of $EPOCHREALTIME.
since() {
  local now=${EPOCHREALTIME/,/.} t0=${1/,/.}
  awk -v a="$t0" -v b="$now" 'BEGIN { printf "%.1f", b - a }'
}

# Serialises start/stop/restart: tests in parallel may call them at once.
take_lock() {
  mkdir -p "$FULL_DIR"
  exec 9>"$FULL_DIR/.lock"
  flock -w 300 9 || die "$NAME: another start/stop still holds $FULL_DIR/.lock after 300s"
}

# ---------------------------------------------------------------- install

install_server() {
  if [[ -x $SERVER_BIN && -x $SQL_BIN && -f $STAMP ]]; then
    log "$NAME: server and sql $TEMPORAL_SERVER_VERSION already built in $INSTALL_DIR"
    return 0
  fi
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    # The official Go tarball's location; often not on a non-login PATH.
    PATH="$PATH:/usr/local/go/bin"
  fi
  command -v go >/dev/null 2>&1 || die "$NAME: 'go' not found; install Go 1.26+ to build the Temporal server"
  log "$NAME: building server and sql $TEMPORAL_SERVER_VERSION (several minutes, downloads modules)"
  local t0=$EPOCHREALTIME tmp="$INSTALL_DIR.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # As the official release builds: pure Go, without the optional gRPC
  # modules (admin, channelz, reflection) the server does not need.
  if ! GOBIN="$tmp" CGO_ENABLED=0 go install -tags disable_grpc_modules \
    "$SERVER_MODULE/cmd/server@$TEMPORAL_SERVER_VERSION" \
    "$SERVER_MODULE/cmd/tools/sql@$TEMPORAL_SERVER_VERSION"; then
    rm -rf "$tmp"
    die "$NAME: go install of $TEMPORAL_SERVER_VERSION failed"
  fi
  [[ -x $tmp/server && -x $tmp/sql ]] || die "$NAME: go install left no server/sql in $tmp"
  printf '%s\n' "$TEMPORAL_SERVER_VERSION" >"$tmp/.installed"
  # Rename last, so an interrupted build never looks installed.
  rm -rf "$INSTALL_DIR"
  mv "$tmp" "$INSTALL_DIR"
  log "$NAME: built in $(since "$t0")s: $INSTALL_DIR"
}

# ---------------------------------------------------------------- schema

require_postgres() {
  if ! port_open 127.0.0.1 "$PG_PORT" || ! psql_q postgres 'SELECT 1' >/dev/null 2>&1; then
    die "$NAME: PostgreSQL is not reachable on 127.0.0.1:$PG_PORT as user $PG_USER; run scripts/services.sh start postgres"
  fi
}

# setup_db DB SCHEMA_NAME: creates DB if missing and brings its schema to
# the newest version embedded in the sql tool. Idempotent.
setup_db() {
  local db=$1 schema=$2 out
  if [[ -z "$(psql_q postgres "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]]; then
    out="$(sql_tool "$db" create-database 2>&1)" || { printf '%s\n' "$out" >&2; die "$NAME: creating database $db failed"; }
    log "$NAME: created database $db"
  fi
  # setup-schema would reset an existing database's version to 0.0, after
  # which update-schema fails on tables that exist: only on a new database.
  if [[ "$(psql_q "$db" "SELECT to_regclass('public.schema_version') IS NOT NULL")" != t ]]; then
    out="$(sql_tool "$db" setup-schema --version 0.0 2>&1)" || { printf '%s\n' "$out" >&2; die "$NAME: setup-schema of $db failed"; }
  fi
  # Applies only the versions newer than the database's (none: a no-op).
  out="$(sql_tool "$db" update-schema --schema-name "$schema" 2>&1)" || { printf '%s\n' "$out" >&2; die "$NAME: update-schema of $db failed"; }
  log "$NAME: $db at schema version $(psql_q "$db" 'SELECT curr_version FROM schema_version LIMIT 1')"
}

# ---------------------------------------------------------------- config

write_config() {
  mkdir -p "$FULL_DIR"
  local store
  # The two stores differ only in name, database and pool size. Each of the
  # four services in the process opens its own pools: at most
  # 4 x (10 + 5) = 60 of the cluster's max_connections (200).
  # shellcheck disable=SC2016
  store='      sql:
        pluginName: postgres12
        databaseName: %s
        connectAddr: "127.0.0.1:%s"
        connectProtocol: tcp
        user: %s
        password: ""
        maxConns: %s
        maxIdleConns: %s
        maxConnLifetime: 1h
'
  {
    cat <<YAML
# Written by scripts/temporal-server.sh on each start; edits are lost.
log:
  stdout: true
  level: $LOG_LEVEL

persistence:
  defaultStore: default
  visibilityStore: visibility
  # Fixed when the database is first used; changing it needs new databases.
  numHistoryShards: $SHARDS
  datastores:
    default:
YAML
    # shellcheck disable=SC2059 # the format is ours
    printf "$store" "$DB" "$PG_PORT" "$PG_USER" 10 10
    echo "    visibility:"
    # shellcheck disable=SC2059
    printf "$store" "$VIS_DB" "$PG_PORT" "$PG_USER" 5 5
    cat <<YAML

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1

services:
  frontend:
    rpc:
      grpcPort: $FRONTEND_PORT
      httpPort: $HTTP_PORT
      membershipPort: $FRONTEND_MEMBERSHIP_PORT
      bindOnLocalHost: true
  history:
    rpc:
      grpcPort: $HISTORY_PORT
      membershipPort: $HISTORY_MEMBERSHIP_PORT
      bindOnLocalHost: true
  matching:
    rpc:
      grpcPort: $MATCHING_PORT
      membershipPort: $MATCHING_MEMBERSHIP_PORT
      bindOnLocalHost: true
  worker:
    rpc:
      grpcPort: $WORKER_PORT
      membershipPort: $WORKER_MEMBERSHIP_PORT
      bindOnLocalHost: true

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "$ADDRESS"

dcRedirectionPolicy:
  policy: noop

archival:
  history:
    state: disabled
  visibility:
    state: disabled

namespaceDefaults:
  archival:
    history:
      state: disabled
    visibility:
      state: disabled

dynamicConfigClient:
  filepath: "$FULL_DIR/dynamicconfig.yaml"
  pollInterval: 10s
YAML
  } >"$FULL_DIR/config.yaml.tmp"
  mv -f "$FULL_DIR/config.yaml.tmp" "$FULL_DIR/config.yaml"
  cat >"$FULL_DIR/dynamicconfig.yaml" <<'YAML'
# Written by scripts/temporal-server.sh on each start; edits are lost.
# Server defaults otherwise (production-like). Keys:
# https://github.com/temporalio/temporal/blob/main/common/dynamicconfig/constants.go
limit.maxIDLength:
  - value: 255
YAML
}

# ---------------------------------------------------------------- start

# launch CMD...: as services.sh's launch: own session (stop signals the
# group; a closing terminal does not kill it), stdin from /dev/null, output
# appended to the log; the pid file is written by the shell that execs CMD.
launch() {
  rm -f "$PIDFILE"
  printf '\n==== %s: starting %s\n' "$(date -Is)" "$NAME" >>"$LOGFILE"
  # shellcheck disable=SC2016 # $$ and $@ expand in the inner shell
  # 9>&-: the server must not inherit (and so hold) take_lock's lock.
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" "$@" \
    </dev/null >>"$LOGFILE" 2>&1 9>&- &
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s $PIDFILE ]] && return 0
    sleep 0.1
  done
  die "$NAME: no pid file after launch; see $LOGFILE"
}

wait_healthy() {
  local deadline=$((SECONDS + START_TIMEOUT))
  wait_for_port 127.0.0.1 "$FRONTEND_PORT" "$START_TIMEOUT" "$NAME"
  until healthy; do
    if ! pid_alive "$PIDFILE"; then
      tail -n 30 "$LOGFILE" >&2 || true
      die "$NAME: exited while starting; see $LOGFILE"
    fi
    ((SECONDS < deadline)) || die "$NAME: frontend $ADDRESS not SERVING after ${START_TIMEOUT}s; see $LOGFILE"
    sleep 0.5
  done
}

ensure_namespace() {
  local out
  temporal_cli operator namespace describe --namespace default >/dev/null 2>&1 && return 0
  # Retention: how long closed workflows stay visible; 1 day is plenty.
  out="$(temporal_cli operator namespace create --namespace default --retention 24h 2>&1)" ||
    grep -qi 'already' <<<"$out" ||
    die "$NAME: creating namespace default failed: $out"
  log "$NAME: created namespace default"
  # The frontend's namespace cache learns of a new namespace in a moment
  # (~1-2 s here); until then calls fail with "Namespace default is not found".
  local deadline=$((SECONDS + 60)) t0=$EPOCHREALTIME
  until temporal_cli workflow count --namespace default >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$NAME: namespace default not usable after 60s; see $LOGFILE"
    sleep 0.5
  done
  log "$NAME: namespace default usable after $(since "$t0")s"
}

# Prints NAME=Type of each of SEARCH_ATTRIBUTES not registered with its type.
missing_search_attributes() {
  local list
  list="$(temporal_cli operator search-attribute list --namespace default 2>/dev/null)" ||
    { printf '%s\n' "${SEARCH_ATTRIBUTES[@]}"; return; }
  missing_search_attributes_in "$list"
}

# A visibility query that names every attribute, each compared with a value
# of its type: the frontend accepts it only once its namespace cache knows
# the namespace and the attributes, so starting a workflow with them works
# too (a new attribute is "invalid" for a moment, ~1 s here).
search_attributes_usable() {
  local q="" sa value
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do
    case ${sa#*=} in
      Int | Double) value=0 ;;
      Bool) value=false ;;
      Datetime) value="'2000-01-01T00:00:00Z'" ;;
      *) value="'probe'" ;;
    esac
    q+="${q:+ AND }${sa%%=*} = $value"
  done
  temporal_cli workflow count --namespace default --query "$q" >/dev/null 2>&1
}

ensure_search_attributes() {
  local missing sa out deadline
  missing="$(missing_search_attributes)"
  for sa in $missing; do
    # "already exists" with the right type is a race with another start; with
    # another type it stays missing and the wait below names it.
    out="$(temporal_cli operator search-attribute create --namespace default \
      --name "${sa%%=*}" --type "${sa#*=}" 2>&1)" ||
      grep -qi 'already' <<<"$out" ||
      die "$NAME: creating search attribute ${sa%%=*} (${sa#*=}) failed: $out"
    log "$NAME: registered search attribute ${sa%%=*} (${sa#*=})"
  done
  [[ -z $missing ]] && search_attributes_usable && return 0
  local t0=$EPOCHREALTIME
  deadline=$((SECONDS + 60))
  until missing="$(missing_search_attributes)" && [[ -z $missing ]] && search_attributes_usable; do
    ((SECONDS < deadline)) ||
      die "$NAME: search attributes not usable after 60s (missing or of another type: ${missing//$'\n'/ }); see $LOGFILE"
    sleep 0.5
  done
  log "$NAME: search attributes usable after $(since "$t0")s"
}

start_server() {
  local t0=$EPOCHREALTIME t pid port
  mkdir -p "$LOG_DIR" "$RUN_DIR" "$FULL_DIR"
  if is_up; then
    log "$NAME: already running (pid $(head -n 1 "$PIDFILE"), $ADDRESS)"
    echo "KAIZEN_FULL_TEMPORAL_ADDRESS=$ADDRESS"
    return 0
  fi
  if server_alive; then
    log "$NAME: process alive but frontend not healthy; restarting it"
    stop_server
  fi
  rm -f "$PIDFILE"
  [[ -x $TEMPORAL_BIN ]] || die "$NAME: temporal CLI $TEMPORAL_BIN missing; run scripts/install.sh"
  for port in $(all_ports); do
    port_open 127.0.0.1 "$port" &&
      die "$NAME: port $port on 127.0.0.1 is already in use by another process (set FULL_TEMPORAL_PORT to move all ports)"
  done

  require_postgres
  install_server
  log "$NAME: build step $(since "$t0")s"

  t=$EPOCHREALTIME
  setup_db "$DB" postgresql/v12/temporal
  setup_db "$VIS_DB" postgresql/v12/visibility
  log "$NAME: schema step $(since "$t")s"

  t=$EPOCHREALTIME
  write_config
  launch "$SERVER_BIN" --config-file "$FULL_DIR/config.yaml" --allow-no-auth start
  wait_healthy
  log "$NAME: frontend serving after $(since "$t")s"
  ensure_namespace
  ensure_search_attributes
  pid="$(head -n 1 "$PIDFILE")"
  log "$NAME: start step $(since "$t")s"
  log "$NAME: up ($(since "$t0")s total, pid $pid, $ADDRESS, log $LOGFILE)"
  echo "KAIZEN_FULL_TEMPORAL_ADDRESS=$ADDRESS"
}

# ---------------------------------------------------------------- stop

# SIGTERM to the process group (launch made the server its leader), wait up
# to STOP_TIMEOUT, then SIGKILL.
stop_server() {
  local pid target deadline t0=$EPOCHREALTIME
  if ! server_alive; then
    rm -f "$PIDFILE"
    log "$NAME: not running"
    return 0
  fi
  pid="$(head -n 1 "$PIDFILE")"
  if [[ "$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" == "$pid" ]]; then target="-$pid"; else target="$pid"; fi
  log "$NAME: stopping (pid $pid)"
  kill -TERM -- "$target" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while pid_alive "$PIDFILE" && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if pid_alive "$PIDFILE"; then
    log "$NAME: still running after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL -- "$target" 2>/dev/null || true
    # Dying takes a moment; start must not find the ports still taken.
    deadline=$((SECONDS + 10))
    while pid_alive "$PIDFILE" && ((SECONDS < deadline)); do
      sleep 0.1
    done
    pid_alive "$PIDFILE" && die "$NAME: pid $pid survived SIGKILL for 10s"
  fi
  rm -f "$PIDFILE"
  log "$NAME: stopped ($(since "$t0")s)"
}

status_server() {
  if is_up; then
    printf '%-13s up    %s pid %s\n' "$NAME" "$ADDRESS" "$(head -n 1 "$PIDFILE")"
    return 0
  fi
  if server_alive; then
    printf '%-13s down  %s pid %s alive, frontend not healthy\n' "$NAME" "$ADDRESS" "$(head -n 1 "$PIDFILE")"
  else
    printf '%-13s down  %s\n' "$NAME" "$ADDRESS"
  fi
  return 3
}

usage() {
  sed -n '2,/^[^#]/{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  local cmd=${1:-}
  (($# <= 1)) || usage
  case $cmd in
    install) install_server ;;
    start)
      take_lock
      start_server
      ;;
    stop)
      take_lock
      stop_server
      ;;
    restart)
      take_lock
      stop_server
      start_server
      ;;
    status) status_server ;;
    *) usage ;;
  esac
}

main "$@"
