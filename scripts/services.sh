#!/usr/bin/env bash
# Starts and stops the local services the app and tests use, all on 127.0.0.1:
#   postgres  private PostgreSQL cluster (Keystone, Nova, Cinder, Neutron)
#   keystone  OpenStack Keystone under uwsgi
#   nova      Nova API (quotas only; no scheduler/compute) under uwsgi
#   cinder    Cinder API (quotas only; no volume backend) under uwsgi
#   neutron   Neutron API (quotas only; ML2 with no agents) under uwsgi
#   mailpit   SMTP with STARTTLS required, plus an HTTP API to read mail
#   temporal  Temporal dev server (SQLite) with its Web UI; the UI decodes
#             payloads through the codec endpoint on 127.0.0.1:8089
#             (CODEC_PORT), which is the app's `npm run codec`, not started here
#
#   scripts/services.sh start [SERVICE...]   start all (or the named) services
#   scripts/services.sh stop  [SERVICE...]   stop all (or the named) services
#   scripts/services.sh status [SERVICE...]  print up/down; exit 3 if any is down
#   scripts/services.sh env                  print the export lines of services.env
#
# State, logs and pid files live in $STATE_DIR (default: <repo>/.state);
# `start` writes $STATE_DIR/services.env for the app and tests to source.
# As root in a checkout the postgres user cannot reach (e.g. under /root,
# mode 700), PostgreSQL's data, socket and log go to
# /var/lib/kaizen-onboarding/<hash of the state folder's path>/ instead
# (KAIZEN_PG_FALLBACK_DIR), linked from $STATE_DIR/pg.
# Run install.sh first.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# One file per service in scripts/services/ (start_NAME, stop_NAME, config
# writing), config templates in scripts/services/templates/; this file keeps
# the commands, the start order and the settings several services share.
SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/services"
TEMPLATE_DIR="$SERVICES_DIR/templates"

ALL_SERVICES=(postgres keystone nova cinder neutron mailpit temporal)

TLS_DIR="$STATE_DIR/tls"
SECRETS_FILE="$STATE_DIR/secrets.env"
SERVICES_ENV="$STATE_DIR/services.env"
KEYSTONE_URL="http://127.0.0.1:$KEYSTONE_PORT/v3"
SELECTED=() # set by select_services

# shellcheck source=scripts/services/common.sh
. "$SERVICES_DIR/common.sh"
# shellcheck source=scripts/services/env.sh
. "$SERVICES_DIR/env.sh"
# shellcheck source=scripts/services/postgres.sh
. "$SERVICES_DIR/postgres.sh"
# shellcheck source=scripts/services/keystone.sh
. "$SERVICES_DIR/keystone.sh"
# shellcheck source=scripts/services/openstack.sh
. "$SERVICES_DIR/openstack.sh"
# shellcheck source=scripts/services/nova.sh
. "$SERVICES_DIR/nova.sh"
# shellcheck source=scripts/services/cinder.sh
. "$SERVICES_DIR/cinder.sh"
# shellcheck source=scripts/services/neutron.sh
. "$SERVICES_DIR/neutron.sh"
# shellcheck source=scripts/services/mailpit.sh
. "$SERVICES_DIR/mailpit.sh"
# shellcheck source=scripts/services/temporal.sh
. "$SERVICES_DIR/temporal.sh"

# ---------------------------------------------------------------- commands

start_one() {
  local name=$1 pidfile
  pidfile="$(pidfile_of "$name")"
  if is_up "$name"; then
    log "$name: already running (pid $(head -n 1 "$pidfile"))"
    if declare -F "already_up_$name" >/dev/null; then "already_up_$name"; fi
    return 0
  fi
  if service_alive "$name"; then
    # Alive but not listening: hung or half-started. Start over.
    log "$name: process alive but not listening; restarting it"
    stop_one "$name"
  elif [[ $name != postgres && -f $pidfile ]]; then
    # Died without `stop`: clear its pid file and any orphaned children.
    kill_leftovers "$pidfile"
    rm -f "$pidfile"
  fi
  check_ports_free "$name"
  local t0=$SECONDS
  "start_$name"
  log "$name: up ($((SECONDS - t0))s, pid $(head -n 1 "$pidfile"), log $(logfile_of "$name"))"
}

stop_one() { "stop_$1"; }

status_one() {
  local name=$1 pidfile state detail=""
  pidfile="$(pidfile_of "$name")"
  if is_up "$name"; then
    state=up
    detail="pid $(head -n 1 "$pidfile")"
  else
    state=down
    if service_alive "$name"; then detail="pid $(head -n 1 "$pidfile") alive, not listening"; fi
  fi
  printf '%-9s %-5s 127.0.0.1:%s %s\n' "$name" "$state" "$(ports_of "$name" | tr ' ' ',')" "$detail"
  [[ $state == up ]]
}

# select_services [NAME...]: sets SELECTED to the named services (all when
# none), validated and in start order (dependencies first).
select_services() {
  local want s ok
  SELECTED=()
  for want in "$@"; do
    ok=0
    for s in "${ALL_SERVICES[@]}"; do [[ $s == "$want" ]] && ok=1; done
    ((ok)) || die "unknown service '$want' (known: ${ALL_SERVICES[*]})"
  done
  for s in "${ALL_SERVICES[@]}"; do
    if (($# == 0)); then
      SELECTED+=("$s")
      continue
    fi
    for want in "$@"; do
      if [[ $s == "$want" ]]; then
        SELECTED+=("$s")
        break
      fi
    done
  done
}

usage() {
  sed -n '2,/^[^#]/{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  pg_locate
  local cmd=${1:-}
  (($#)) && shift
  local s i rc=0
  case $cmd in
    start)
      select_services "$@"
      ensure_state_dirs
      ensure_secrets
      for s in "${SELECTED[@]}"; do
        # Keystone keeps its data in PostgreSQL; the quota APIs need both.
        case $s in
          keystone | nova | cinder | neutron)
            is_up postgres || start_one postgres
            ;;&
          nova | cinder | neutron)
            is_up keystone || start_one keystone
            ;;
        esac
        start_one "$s"
      done
      write_services_env
      ;;
    stop)
      select_services "$@"
      # Reverse order: dependents before what they depend on.
      for ((i = ${#SELECTED[@]} - 1; i >= 0; i--)); do
        stop_one "${SELECTED[i]}"
      done
      ;;
    status)
      select_services "$@"
      for s in "${SELECTED[@]}"; do status_one "$s" || rc=3; done
      return "$rc"
      ;;
    env)
      ensure_state_dirs
      services_env_content
      ;;
    -h | --help | help) usage ;;
    *) usage ;;
  esac
}

main "$@"
