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

# One file per job in scripts/temporal-server/ (install, db, config,
# process, namespace), config templates in its templates/; this file keeps
# the commands, the settings and the order of the start steps.
PARTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/temporal-server"
TEMPLATE_DIR="$PARTS_DIR/templates"

# shellcheck source=scripts/temporal-server/common.sh
. "$PARTS_DIR/common.sh"
# shellcheck source=scripts/temporal-server/install.sh
. "$PARTS_DIR/install.sh"
# shellcheck source=scripts/temporal-server/db.sh
. "$PARTS_DIR/db.sh"
# shellcheck source=scripts/temporal-server/config.sh
. "$PARTS_DIR/config.sh"
# shellcheck source=scripts/temporal-server/process.sh
. "$PARTS_DIR/process.sh"
# shellcheck source=scripts/temporal-server/namespace.sh
. "$PARTS_DIR/namespace.sh"

# ---------------------------------------------------------------- commands

all_ports() {
  echo "$FRONTEND_PORT $HTTP_PORT $HISTORY_PORT $MATCHING_PORT $WORKER_PORT" \
    "$FRONTEND_MEMBERSHIP_PORT $HISTORY_MEMBERSHIP_PORT" \
    "$MATCHING_MEMBERSHIP_PORT $WORKER_MEMBERSHIP_PORT"
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
