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

ALL_SERVICES=(postgres keystone nova cinder neutron mailpit temporal)

# PostgreSQL's data dir, socket dir and log; see pg_locate.
PG_DATA="" PG_SOCKET_DIR="" PG_LOG=""
# Where they go when (as root) the postgres user cannot reach $STATE_DIR.
PG_FALLBACK_BASE="${KAIZEN_PG_FALLBACK_DIR:-/var/lib/kaizen-onboarding}"
KEYSTONE_DIR="$STATE_DIR/keystone"
TLS_DIR="$STATE_DIR/tls"
SECRETS_FILE="$STATE_DIR/secrets.env"
SERVICES_ENV="$STATE_DIR/services.env"
KEYSTONE_URL="http://127.0.0.1:$KEYSTONE_PORT/v3"
SELECTED=() # set by select_services
# The Debian OpenStack tools run on the system interpreter; `python3` on PATH
# may be another one (pyenv) that cannot import them, so call them by path.
KEYSTONE_MANAGE=/usr/bin/keystone-manage
KEYSTONE_WSGI=/usr/bin/keystone-wsgi-public

# ---------------------------------------------------------------- helpers

pidfile_of() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }
logfile_of() { printf '%s/%s.log' "$LOG_DIR" "$1"; }

# Ports that must answer for a service to count as up.
ports_of() {
  case $1 in
    postgres) echo "$PG_PORT" ;;
    keystone) echo "$KEYSTONE_PORT" ;;
    nova) echo "$NOVA_PORT" ;;
    cinder) echo "$CINDER_PORT" ;;
    neutron) echo "$NEUTRON_PORT" ;;
    mailpit) echo "$SMTP_PORT $MAILPIT_HTTP_PORT" ;;
    temporal) echo "$TEMPORAL_PORT $TEMPORAL_UI_PORT" ;;
  esac
}

# Pattern the service's command line contains; guards against a stale pid
# file (e.g. after a reboot) whose pid now belongs to another program.
program_of() {
  case $1 in
    postgres) echo postgres ;;
    keystone | nova | cinder | neutron) echo uwsgi ;;
    mailpit) echo mailpit ;;
    temporal) echo start-dev ;;
  esac
}

# service_alive NAME: its pid file names a live process running its program.
service_alive() {
  local pidfile pid
  pidfile="$(pidfile_of "$1")"
  pid_alive "$pidfile" || return 1
  pid="$(head -n 1 "$pidfile")"
  [[ -r /proc/$pid/cmdline ]] || return 0 # no procfs: trust the pid
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$(program_of "$1")"
}

is_up() {
  local port
  service_alive "$1" || return 1
  for port in $(ports_of "$1"); do
    port_open 127.0.0.1 "$port" || return 1
  done
}

# pg_locate: sets PG_DATA, PG_SOCKET_DIR and PG_LOG. Normally all three are
# in $STATE_DIR (pg, pg-socket, logs/postgres.log). When $STATE_DIR/pg is a
# symlink, pg_relocate put them beside its target (PG_FALLBACK_BASE/<id>/):
# the link records that choice, so every later run finds them there.
pg_locate() {
  local home=$STATE_DIR
  if [[ -L $STATE_DIR/pg ]]; then
    home="$(readlink "$STATE_DIR/pg")"
    home=${home%/pg}
  fi
  PG_DATA="$home/pg"
  PG_SOCKET_DIR="$home/pg-socket"
  if [[ $home == "$STATE_DIR" ]]; then
    PG_LOG="$(logfile_of postgres)"
  else
    PG_LOG="$home/postgres.log"
  fi
}

# pg_relocate: as root, when the postgres user cannot reach $STATE_DIR (a
# checkout under a home folder of mode 700, e.g. /root), PostgreSQL gets its
# own folder PG_FALLBACK_BASE/<id> instead: id = a short hash of the state
# folder's path, so it is the same on every run and differs between
# checkouts. The link $STATE_DIR/pg points there (see pg_locate); all other
# state stays in $STATE_DIR. Logged once, when the link is made.
pg_relocate() {
  ((EUID == 0)) || return 0
  [[ ! -L $STATE_DIR/pg ]] || return 0
  runuser -u postgres -- test -x "$STATE_DIR" && return 0
  local state id home
  state="$(cd "$STATE_DIR" && pwd -P)"
  id="$(printf '%s' "$state" | sha256sum | cut -c1-12)"
  home="$PG_FALLBACK_BASE/$id"
  install -d -m 755 "$PG_FALLBACK_BASE" "$home"
  runuser -u postgres -- test -x "$home" ||
    die "postgres: user postgres cannot reach $state, nor $home; set KAIZEN_PG_FALLBACK_DIR to a folder it can reach"
  # Whose folder this is, for whoever finds it later.
  printf '%s\n' "$state" >"$home/state-dir"
  if [[ -e $STATE_DIR/pg && -e $home/pg ]]; then
    die "postgres: user postgres cannot reach $state, and both $state/pg and $home/pg exist;" \
      "remove the one you do not need"
  fi
  log "postgres: user postgres cannot reach $state; PostgreSQL's data, socket and log go to $home" \
    "(linked from $STATE_DIR/pg and $(logfile_of postgres); delete $home when you delete the checkout)"
  if [[ -e $STATE_DIR/pg ]]; then
    # A cluster made while the folder was reachable (e.g. the checkout was
    # moved since). It cannot be running: postgres could not reach it.
    log "postgres: moving the cluster $state/pg there"
    mv "$STATE_DIR/pg" "$home/pg"
    if [[ -f $(logfile_of postgres) && ! -L $(logfile_of postgres) && ! -e $home/postgres.log ]]; then
      mv "$(logfile_of postgres)" "$home/postgres.log"
    fi
    rmdir "$STATE_DIR/pg-socket" 2>/dev/null || true
  elif [[ -f $home/pg/PG_VERSION ]]; then
    log "postgres: using the cluster already in $home/pg (remove that folder to start afresh)"
  fi
  ln -s "$home/pg" "$STATE_DIR/pg"
  pg_locate
}

pg_bin_dir() {
  local d
  # Newest installed major version; Debian keeps the tools off PATH.
  d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
  [[ -n $d && -x $d/pg_ctl ]] || die "postgres: PostgreSQL server binaries not found; run scripts/install.sh"
  echo "$d"
}

# PostgreSQL refuses to run as root: as root, run its tools as `postgres`.
# cd / so the postgres user never trips over an unreadable working directory.
as_pg() {
  if ((EUID == 0)); then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# Single-quote a value for a shell `export` line.
shquote() {
  local s=${1//\'/\'\\\'\'}
  printf "'%s'" "$s"
}

ensure_state_dirs() {
  mkdir -p "$STATE_DIR" "$LOG_DIR" "$RUN_DIR"
  # The postgres user must traverse into the state folder (its data dir and
  # log live there); x without r is enough, secrets stay in 0600 files.
  chmod go+x "$STATE_DIR" "$LOG_DIR"
  # PostgreSQL keeps its own pid file; link it where the others' are. The
  # link dangles (= not running) while the cluster is stopped.
  ln -sfn ../pg/postmaster.pid "$(pidfile_of postgres)"
}

# Creates secrets once and keeps them: the admin password and the two
# app keys must survive restarts, or existing data becomes unreadable.
ensure_secrets() {
  local KAIZEN_KEYSTONE_ADMIN_PASSWORD="" KAIZEN_CODEC_KEY="" KAIZEN_SETPASS_KEY=""
  local KAIZEN_NOVA_PASSWORD="" KAIZEN_CINDER_PASSWORD="" KAIZEN_NEUTRON_PASSWORD=""
  if [[ -f $SECRETS_FILE ]]; then
    # shellcheck disable=SC1090
    . "$SECRETS_FILE"
  fi
  local changed=0
  # Hex keeps the password free of characters that need escaping in JSON/INI.
  [[ -n $KAIZEN_KEYSTONE_ADMIN_PASSWORD ]] || { KAIZEN_KEYSTONE_ADMIN_PASSWORD="$(openssl rand -hex 20)"; changed=1; }
  [[ -n $KAIZEN_CODEC_KEY ]] || { KAIZEN_CODEC_KEY="$(openssl rand -base64 32)"; changed=1; }
  [[ -n $KAIZEN_SETPASS_KEY ]] || { KAIZEN_SETPASS_KEY="$(openssl rand -base64 32)"; changed=1; }
  # Keystone passwords of the nova, cinder and neutron service users.
  [[ -n $KAIZEN_NOVA_PASSWORD ]] || { KAIZEN_NOVA_PASSWORD="$(openssl rand -hex 20)"; changed=1; }
  [[ -n $KAIZEN_CINDER_PASSWORD ]] || { KAIZEN_CINDER_PASSWORD="$(openssl rand -hex 20)"; changed=1; }
  [[ -n $KAIZEN_NEUTRON_PASSWORD ]] || { KAIZEN_NEUTRON_PASSWORD="$(openssl rand -hex 20)"; changed=1; }
  if ((changed)) || [[ "$(stat -c %a "$SECRETS_FILE")" != 600 ]]; then
    (
      umask 077
      {
        echo "# Generated once by scripts/services.sh; keep it: data depends on these."
        echo "KAIZEN_KEYSTONE_ADMIN_PASSWORD=$(shquote "$KAIZEN_KEYSTONE_ADMIN_PASSWORD")"
        echo "KAIZEN_CODEC_KEY=$(shquote "$KAIZEN_CODEC_KEY")"
        echo "KAIZEN_SETPASS_KEY=$(shquote "$KAIZEN_SETPASS_KEY")"
        echo "KAIZEN_NOVA_PASSWORD=$(shquote "$KAIZEN_NOVA_PASSWORD")"
        echo "KAIZEN_CINDER_PASSWORD=$(shquote "$KAIZEN_CINDER_PASSWORD")"
        echo "KAIZEN_NEUTRON_PASSWORD=$(shquote "$KAIZEN_NEUTRON_PASSWORD")"
      } >"$SECRETS_FILE.tmp"
      mv -f "$SECRETS_FILE.tmp" "$SECRETS_FILE"
    )
    chmod 600 "$SECRETS_FILE"
  fi
  ADMIN_PASSWORD=$KAIZEN_KEYSTONE_ADMIN_PASSWORD
  CODEC_KEY=$KAIZEN_CODEC_KEY
  SETPASS_KEY=$KAIZEN_SETPASS_KEY
  NOVA_PASSWORD=$KAIZEN_NOVA_PASSWORD
  CINDER_PASSWORD=$KAIZEN_CINDER_PASSWORD
  NEUTRON_PASSWORD=$KAIZEN_NEUTRON_PASSWORD
}

services_env_content() {
  ensure_secrets
  local name value
  local -a vars=(
    KAIZEN_AUTH__AUTH_URL "$KEYSTONE_URL"
    KAIZEN_AUTH__ADMIN_USER admin
    KAIZEN_AUTH__ADMIN_PWD "$ADMIN_PASSWORD"
    KAIZEN_AUTH__ADMIN_PROJECT admin
    KAIZEN_MAIL__SMTP_HOST 127.0.0.1
    KAIZEN_MAIL__SMTP_PORT "$SMTP_PORT"
    KAIZEN_MAIL__CA_FILE "$TLS_DIR/cert.pem"
    KAIZEN_TEMPORAL__ADDRESS "127.0.0.1:$TEMPORAL_PORT"
    KAIZEN_SECRETS__CODEC_KEY "$CODEC_KEY"
    KAIZEN_SECRETS__SETPASS_KEY "$SETPASS_KEY"
    KAIZEN_TEMPORAL_UI "http://127.0.0.1:$TEMPORAL_UI_PORT"
    # Where `npm run codec` listens: the address the dev server's UI was given.
    KAIZEN_CODEC__LISTEN "127.0.0.1:$CODEC_PORT"
    KAIZEN_MAILPIT_API "http://127.0.0.1:$MAILPIT_HTTP_PORT"
    KAIZEN_STATE_DIR "$STATE_DIR"
    # The cluster trusts local TCP connections (initdb -A trust): no password.
    KAIZEN_TEST_POSTGRES_URL "postgresql://postgres@127.0.0.1:$PG_PORT/setpass"
    TEMPORAL_CLI "$TEMPORAL_BIN"
  )
  echo "# Generated by scripts/services.sh start; source it: . .state/services.env"
  while ((${#vars[@]})); do
    name=${vars[0]} value=${vars[1]}
    vars=("${vars[@]:2}")
    echo "export $name=$(shquote "$value")"
  done
}

write_services_env() {
  local content
  content="$(services_env_content)"
  (
    umask 077
    printf '%s\n' "$content" >"$SERVICES_ENV.tmp"
    mv -f "$SERVICES_ENV.tmp" "$SERVICES_ENV"
  )
  chmod 600 "$SERVICES_ENV"
  log "wrote $SERVICES_ENV"
}

# launch NAME CMD...: runs CMD in its own session (so `stop` can signal the
# whole process group and a closing terminal does not kill it), stdin from
# /dev/null and output appended to the log (so callers capturing our stdout
# do not hang). The pid file is written by the process that then execs CMD.
launch() {
  local name=$1
  shift
  local pidfile logfile
  pidfile="$(pidfile_of "$name")"
  logfile="$(logfile_of "$name")"
  rm -f "$pidfile"
  printf '\n==== %s: starting %s\n' "$(date -Is)" "$name" >>"$logfile"
  # shellcheck disable=SC2016 # $$ and $@ expand in the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" \
    </dev/null >>"$logfile" 2>&1 &
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s $pidfile ]] && return 0
    sleep 0.1
  done
  die "$name: no pid file after launch; see $logfile"
}

# kill_leftovers PIDFILE: the leader named in PIDFILE is dead (e.g. killed
# with -9); kill what is left of its process group (uwsgi workers), which
# would otherwise keep the port. A dead leader's pid cannot be reused while
# its group still exists, so this cannot hit an unrelated process.
kill_leftovers() {
  local pid
  pid="$(head -n 1 "$1" 2>/dev/null || true)"
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  # A live process holds that pid now (stale file): not ours, hands off.
  if pid_alive "$1"; then return 0; fi
  if kill -0 -- "-$pid" 2>/dev/null; then
    log "killing leftover processes of group $pid"
    kill -KILL -- "-$pid" 2>/dev/null || true
    sleep 0.5
  fi
}

# stop_pid NAME TIMEOUT: SIGTERM the process group, wait, then SIGKILL.
stop_pid() {
  local name=$1 timeout=$2 pidfile pid pgid target
  pidfile="$(pidfile_of "$name")"
  if ! service_alive "$name"; then
    kill_leftovers "$pidfile"
    rm -f "$pidfile"
    log "$name: not running"
    return 0
  fi
  pid="$(head -n 1 "$pidfile")"
  pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ' || true)"
  # launch() made it a session/group leader: signal its children too.
  if [[ $pgid == "$pid" ]]; then target="-$pid"; else target="$pid"; fi
  log "$name: stopping (pid $pid)"
  kill -TERM -- "$target" 2>/dev/null || true
  local deadline=$((SECONDS + timeout))
  while pid_alive "$pidfile" && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if pid_alive "$pidfile"; then
    log "$name: still running after ${timeout}s; sending SIGKILL"
    kill -KILL -- "$target" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$pidfile"
}

# Refuse to start when another program holds one of our ports: the service
# would fail with a less obvious error, or we would talk to the wrong server.
check_ports_free() {
  local name=$1 port
  for port in $(ports_of "$name"); do
    if port_open 127.0.0.1 "$port"; then
      die "$name: port $port on 127.0.0.1 is already in use by another process (override with the *_PORT variables, see scripts/lib.sh)"
    fi
  done
}

# ---------------------------------------------------------------- postgres

start_postgres() {
  local bin logfile
  bin="$(pg_bin_dir)"
  if ((EUID == 0)); then
    id postgres >/dev/null 2>&1 || die "postgres: no 'postgres' user; run scripts/install.sh"
    pg_relocate
  fi
  logfile=$PG_LOG
  # Relocated: the log's usual place links to it.
  [[ $logfile == "$(logfile_of postgres)" ]] || ln -sfn "$logfile" "$(logfile_of postgres)"
  if [[ ! -f $PG_DATA/PG_VERSION ]]; then
    log "postgres: creating cluster in $PG_DATA"
    # initdb into a temporary folder and rename, so an interrupted initdb
    # never leaves a half-made cluster that blocks the next start.
    rm -rf "$PG_DATA.tmp"
    mkdir -p "$PG_DATA.tmp"
    ((EUID != 0)) || chown postgres: "$PG_DATA.tmp"
    chmod 700 "$PG_DATA.tmp"
    as_pg "$bin/initdb" -D "$PG_DATA.tmp" -U postgres -A trust -E UTF8 --no-locale -N >>"$logfile" 2>&1 ||
      die "postgres: initdb failed; see $logfile"
    # Our settings live in an included file rewritten on each start, so port
    # overrides apply and paths need no quoting on a command line.
    echo "include_if_exists = 'kaizen.conf'" >>"$PG_DATA.tmp/postgresql.conf"
    mv "$PG_DATA.tmp" "$PG_DATA"
  fi
  mkdir -p "$PG_SOCKET_DIR"
  touch "$logfile"
  if ((EUID == 0)); then
    # postgres writes its own log and socket; it cannot write root's files.
    chown postgres: "$PG_SOCKET_DIR" "$logfile"
  fi
  local sock=${PG_SOCKET_DIR//\'/\'\'}
  cat >"$PG_DATA/kaizen.conf" <<EOF
# Written by scripts/services.sh on each start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$sock'
# Dev/test cluster: durability traded for speed.
fsync = off
synchronous_commit = off
# Keystone now (4 uwsgi processes) and nova/cinder/neutron later each keep
# connection pools; the default 100 is too tight.
max_connections = 200
EOF
  ((EUID != 0)) || chown postgres: "$PG_DATA/kaizen.conf"
  # A crash leaves postmaster.pid behind; pg_ctl copes with a stale one.
  as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$logfile" -w -t 60 start >/dev/null ||
    { tail -n 30 "$logfile" >&2; die "postgres: failed to start; see $logfile"; }
  wait_for_port 127.0.0.1 "$PG_PORT" 30 postgres
  ensure_pg_databases
}

# Creates the databases that are missing. Runs on every `start`, also when the
# cluster was already up, so a database added here appears without a restart.
ensure_pg_databases() {
  local bin db existing
  bin="$(pg_bin_dir)"
  existing="$("$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -XAtq \
    -c 'SELECT datname FROM pg_database')"
  # keystone now; the others are cheap to create and used by later services.
  # setpass: the API's token store when it runs on PostgreSQL (and its tests).
  for db in keystone nova_api nova nova_cell0 cinder neutron setpass; do
    if ! grep -qx "$db" <<<"$existing"; then
      "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$db"
      log "postgres: created database $db"
    fi
  done
}

stop_postgres() {
  local bin
  if ! service_alive postgres; then
    log "postgres: not running"
    return 0
  fi
  bin="$(pg_bin_dir)"
  log "postgres: stopping"
  # fast = roll back open transactions and disconnect clients, then a clean
  # shutdown; immediate (no checkpoint, recovers on next start) as fallback.
  as_pg "$bin/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null ||
    as_pg "$bin/pg_ctl" -D "$PG_DATA" -m immediate -w -t 10 stop >/dev/null ||
    log "postgres: pg_ctl stop failed; see $PG_LOG"
}

# ---------------------------------------------------------------- keystone

write_keystone_conf() {
  mkdir -p "$KEYSTONE_DIR"
  chmod 700 "$KEYSTONE_DIR" # holds the fernet and credential keys
  cat >"$KEYSTONE_DIR/keystone.conf" <<EOF
# Written by scripts/services.sh on each start.
[DEFAULT]
debug = false

[database]
# PostgreSQL, not SQLite: SQLite fails as soon as two uwsgi processes or
# threads touch it ("database is locked").
connection = postgresql+psycopg2://postgres@127.0.0.1:$PG_PORT/keystone

[identity]
# bcrypt cost; default 12 costs ~225 ms per hash here. Applies to passwords
# hashed after it is set, so it must be in place before bootstrap.
password_hash_rounds = ${KAIZEN_KEYSTONE_HASH_ROUNDS:-4}

[security_compliance]
# A password policy, so the tests can prove that a refused password is explained to
# the person and leaves the link usable. Random passwords never contain the word.
password_regex = ^(?!.*[Pp]assword).*\$
password_regex_description = The password must not contain the word "password".

[token]
provider = fernet

[fernet_tokens]
key_repository = $KEYSTONE_DIR/fernet-keys

[fernet_receipts]
key_repository = $KEYSTONE_DIR/fernet-keys

[credential]
key_repository = $KEYSTONE_DIR/credential-keys
EOF
  cat >"$KEYSTONE_DIR/uwsgi.ini" <<EOF
; Written by scripts/services.sh on each start.
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:$KEYSTONE_PORT
wsgi-file = $KEYSTONE_WSGI
env = OS_KEYSTONE_CONFIG_FILES=$KEYSTONE_DIR/keystone.conf
master = true
processes = 4
threads = 1
; each worker imports Keystone itself (no state shared over fork)
lazy-apps = true
; without it uwsgi drops kept-alive connections and clients see resets
add-header = Connection: close
; SIGTERM means "reload" to uwsgi by default; we want it to exit
die-on-term = true
; exit instead of serving 500s when Keystone cannot be imported
need-app = true
buffer-size = 65535
EOF
}

keystone_manage() {
  local logfile
  logfile="$(logfile_of keystone-manage)"
  # Each run prints a harmless eventlet traceback on exit: keep it in the log.
  "$KEYSTONE_MANAGE" --config-file "$KEYSTONE_DIR/keystone.conf" "$@" >>"$logfile" 2>&1 ||
    { tail -n 30 "$logfile" >&2; die "keystone: keystone-manage $1 failed; see $logfile"; }
}

bootstrap_keystone() {
  local stamp="$KEYSTONE_DIR/.bootstrapped" want
  # The stamp records the password's hash: if secrets.env was lost and a new
  # password generated, bootstrap runs again and sets it (bootstrap is
  # idempotent apart from that).
  want="$(printf '%s' "$ADMIN_PASSWORD" | sha256sum | cut -d' ' -f1)"
  if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  log "keystone: db_sync, key setup and bootstrap (first start, or new admin password)"
  local user group
  user="$(id -un)" group="$(id -gn)"
  keystone_manage db_sync
  [[ -f $KEYSTONE_DIR/fernet-keys/0 ]] ||
    keystone_manage fernet_setup --keystone-user "$user" --keystone-group "$group"
  [[ -f $KEYSTONE_DIR/credential-keys/0 ]] ||
    keystone_manage credential_setup --keystone-user "$user" --keystone-group "$group"
  # Password via the environment, not argv (visible in ps).
  OS_BOOTSTRAP_PASSWORD="$ADMIN_PASSWORD" keystone_manage bootstrap \
    --bootstrap-username admin \
    --bootstrap-project-name admin \
    --bootstrap-role-name admin \
    --bootstrap-region-id RegionOne \
    --bootstrap-admin-url "$KEYSTONE_URL/" \
    --bootstrap-internal-url "$KEYSTONE_URL/" \
    --bootstrap-public-url "$KEYSTONE_URL/"
  printf '%s\n' "$want" >"$stamp"
}

# Prints an admin token (project-scoped) or fails.
keystone_admin_token() {
  local body headers
  body=$(printf '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"%s"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}' "$ADMIN_PASSWORD")
  headers="$(curl -sS --max-time 10 -o /dev/null -D - -H 'Content-Type: application/json' \
    --data-binary @- "$KEYSTONE_URL/auth/tokens" <<<"$body" 2>/dev/null)" || return 1
  grep -qE '^HTTP/[0-9.]+ 201' <<<"$headers" || return 1
  sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken:[[:space:]]*\([^[:space:]]*\).*/\1/p' <<<"$headers" | grep .
}

start_keystone() {
  [[ -x $KEYSTONE_MANAGE && -x $KEYSTONE_WSGI ]] || die "keystone: not installed; run scripts/install.sh"
  command -v uwsgi >/dev/null 2>&1 || die "keystone: uwsgi not installed; run scripts/install.sh"
  ensure_secrets
  write_keystone_conf
  bootstrap_keystone
  launch keystone uwsgi --ini "$KEYSTONE_DIR/uwsgi.ini"
  wait_for_port 127.0.0.1 "$KEYSTONE_PORT" 60 keystone

  # Listening is not serving: lazy-apps workers import Keystone after the
  # socket opens. Ready means the admin can get a token.
  local token="" deadline=$((SECONDS + 120))
  until token="$(keystone_admin_token)"; do
    pid_alive "$(pidfile_of keystone)" || die "keystone: uwsgi exited; see $(logfile_of keystone)"
    ((SECONDS < deadline)) || die "keystone: admin cannot get a token after 120s; see $(logfile_of keystone)"
    sleep 0.5
  done
  # Bootstrap creates roles admin, member and reader; the app assigns member.
  local roles
  roles="$(curl -sS --max-time 10 -H "X-Auth-Token: $token" "$KEYSTONE_URL/roles?name=member")" ||
    die "keystone: GET /v3/roles failed"
  grep -qE '"name": *"member"' <<<"$roles" ||
    die "keystone: role 'member' does not exist (GET /v3/roles?name=member returned: $roles)"
}

# ---------------------------------------------------------------- nova, cinder, neutron
# Quota APIs only: no message bus (transport_url = fake://), no scheduler,
# compute, volume backend or agents. Each runs under uwsgi like Keystone and
# validates tokens against the local Keystone with its own service user.

os_dir_of() { printf '%s/%s' "$STATE_DIR" "$1"; }

os_port_of() {
  case $1 in
    nova) echo "$NOVA_PORT" ;;
    cinder) echo "$CINDER_PORT" ;;
    neutron) echo "$NEUTRON_PORT" ;;
  esac
}

os_password_of() {
  case $1 in
    nova) echo "$NOVA_PASSWORD" ;;
    cinder) echo "$CINDER_PASSWORD" ;;
    neutron) echo "$NEUTRON_PASSWORD" ;;
  esac
}

pg_url() { printf 'postgresql+psycopg2://postgres@127.0.0.1:%s/%s' "$PG_PORT" "$1"; }

# Catalog entries: NAME TYPE URL.
os_catalog_entries() {
  printf '%s\n' \
    "nova compute http://127.0.0.1:$NOVA_PORT/v2.1" \
    "cinderv3 volumev3 http://127.0.0.1:$CINDER_PORT/v3/%(project_id)s" \
    "neutron network http://127.0.0.1:$NEUTRON_PORT"
}

# Settings all three share: state and lock folders, no bus, real token
# validation against the local Keystone as the service's own user.
os_common_conf() {
  local name=$1 dir
  dir="$(os_dir_of "$name")"
  cat <<EOF
[DEFAULT]
debug = false
state_path = $dir/state
transport_url = fake://

[oslo_concurrency]
lock_path = $dir/lock

[oslo_messaging_notifications]
driver = noop

[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:$KEYSTONE_PORT
auth_url = http://127.0.0.1:$KEYSTONE_PORT
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $name
password = $(os_password_of "$name")
region_name = RegionOne
EOF
}

# write_os_uwsgi_ini NAME WSGI_FILE EXTRA_LINES
write_os_uwsgi_ini() {
  local name=$1 wsgi=$2 extra=$3 dir
  dir="$(os_dir_of "$name")"
  cat >"$dir/uwsgi.ini" <<EOF
; Written by scripts/services.sh on each start.
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:$(os_port_of "$name")
wsgi-file = $wsgi
$extra
master = true
processes = 2
threads = 1
; as the Debian packages' own uwsgi files: oslo and keystonemiddleware start
; Python threads
enable-threads = true
; each worker imports the service itself (no state shared over fork)
lazy-apps = true
; without it uwsgi drops kept-alive connections and clients see resets
add-header = Connection: close
; SIGTERM means "reload" to uwsgi by default; we want it to exit
die-on-term = true
; exit instead of serving 500s when the app cannot be imported
need-app = true
; workers exit without Python's teardown: cinder's workers segfault in it
; (greenlet + librados destructors) and then hang until SIGKILL
skip-atexit-teardown = true
buffer-size = 65535
EOF
}

# The config is rewritten on each start (ports may change); the dir holds the
# service user's password.
prepare_os_dir() {
  local dir
  dir="$(os_dir_of "$1")"
  mkdir -p "$dir/state" "$dir/lock"
  chmod 700 "$dir"
}

write_nova_conf() {
  local dir
  dir="$(os_dir_of nova)"
  prepare_os_dir nova
  cp -f /etc/nova/api-paste.ini "$dir/api-paste.ini"
  {
    echo "# Written by scripts/services.sh on each start."
    os_common_conf nova
    cat <<EOF

[DEFAULT]
enabled_apis = osapi_compute

[api]
auth_strategy = keystone

[wsgi]
api_paste_config = $dir/api-paste.ini

[api_database]
connection = $(pg_url nova_api)

[database]
connection = $(pg_url nova)

[keystone]
# PUT os-quota-sets asks Keystone whether the project exists.
region_name = RegionOne
EOF
  } >"$dir/nova.conf"
  # nova-api-wsgi reads api-paste.ini and nova.conf from OS_NOVA_CONFIG_DIR.
  write_os_uwsgi_ini nova /usr/bin/nova-api-wsgi "env = OS_NOVA_CONFIG_DIR=$dir"
}

write_cinder_conf() {
  local dir
  dir="$(os_dir_of cinder)"
  prepare_os_dir cinder
  cp -f /etc/cinder/api-paste.ini "$dir/api-paste.ini"
  {
    echo "# Written by scripts/services.sh on each start."
    os_common_conf cinder
    cat <<EOF

[DEFAULT]
auth_strategy = keystone
api_paste_config = $dir/api-paste.ini

[database]
connection = $(pg_url cinder)
EOF
  } >"$dir/cinder.conf"
  # cinder-wsgi parses sys.argv: without --config-file it reads /etc/cinder.
  write_os_uwsgi_ini cinder /usr/bin/cinder-wsgi "pyargv = --config-file $dir/cinder.conf"
}

write_neutron_conf() {
  local dir
  dir="$(os_dir_of neutron)"
  prepare_os_dir neutron
  cp -f /etc/neutron/api-paste.ini "$dir/api-paste.ini"
  {
    echo "# Written by scripts/services.sh on each start."
    os_common_conf neutron
    cat <<EOF

[DEFAULT]
auth_strategy = keystone
api_paste_config = $dir/api-paste.ini
core_plugin = ml2
# Without the router plugin, router and floatingip quotas are refused.
service_plugins = router
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false

[database]
connection = $(pg_url neutron)
EOF
  } >"$dir/neutron.conf"
  cat >"$dir/ml2_conf.ini" <<EOF
# Written by scripts/services.sh on each start. No agents: quotas only.
[ml2]
type_drivers = flat
tenant_network_types =
mechanism_drivers =
extension_drivers =
EOF
  write_os_uwsgi_ini neutron /usr/bin/neutron-api \
    "env = OS_NEUTRON_CONFIG_DIR=$dir
env = OS_NEUTRON_CONFIG_FILES=neutron.conf;ml2_conf.ini"
}

# os_manage NAME CMD...: runs a schema tool, output into NAME-manage.log.
os_manage() {
  local name=$1 logfile
  shift
  logfile="$(logfile_of "$name-manage")"
  printf '\n==== %s: %s\n' "$(date -Is)" "$*" >>"$logfile"
  "$@" >>"$logfile" 2>&1 ||
    { tail -n 30 "$logfile" >&2; die "$name: '$*' failed; see $logfile"; }
}

# Schema setup once per state; the stamp is written only after all steps
# succeeded (each step is safe to repeat after an interruption).
sync_nova_db() {
  local dir stamp conf
  dir="$(os_dir_of nova)" stamp="$dir/.db-synced" conf="$dir/nova.conf"
  [[ -f $stamp ]] && return 0
  log "nova: creating database schemas and cells (first start)"
  os_manage nova /usr/bin/nova-manage --config-file "$conf" api_db sync
  os_manage nova /usr/bin/nova-manage --config-file "$conf" cell_v2 map_cell0 \
    --database_connection "$(pg_url nova_cell0)"
  if ! /usr/bin/nova-manage --config-file "$conf" cell_v2 list_cells 2>/dev/null | grep -q ' cell1 '; then
    os_manage nova /usr/bin/nova-manage --config-file "$conf" cell_v2 create_cell \
      --name cell1 --transport-url fake:// --database_connection "$(pg_url nova)"
  fi
  os_manage nova /usr/bin/nova-manage --config-file "$conf" db sync
  date -Is >"$stamp"
}

sync_cinder_db() {
  local dir stamp
  dir="$(os_dir_of cinder)" stamp="$dir/.db-synced"
  [[ -f $stamp ]] && return 0
  log "cinder: creating database schema (first start)"
  os_manage cinder /usr/bin/cinder-manage --config-file "$dir/cinder.conf" db sync
  date -Is >"$stamp"
}

sync_neutron_db() {
  local dir stamp
  dir="$(os_dir_of neutron)" stamp="$dir/.db-synced"
  [[ -f $stamp ]] && return 0
  log "neutron: creating database schema (first start)"
  os_manage neutron /usr/bin/neutron-db-manage --config-file "$dir/neutron.conf" \
    --config-file "$dir/ml2_conf.ini" upgrade heads
  date -Is >"$stamp"
}

# Prints "TOKEN PROJECT_ID" of a project-scoped token, or fails.
# keystone_os_auth USER PASSWORD PROJECT
keystone_os_auth() {
  KS_URL="$KEYSTONE_URL" KS_USER=$1 KS_PASS=$2 KS_PROJECT=$3 /usr/bin/python3 -c '
import json, os, sys, urllib.request
body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": os.environ["KS_USER"], "domain": {"id": "default"},
    "password": os.environ["KS_PASS"]}}},
    "scope": {"project": {"name": os.environ["KS_PROJECT"], "domain": {"id": "default"}}}}}
req = urllib.request.Request(os.environ["KS_URL"] + "/auth/tokens",
    data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        tok = json.load(r)["token"]
        print(r.headers["X-Subject-Token"], tok["project"]["id"],
              ",".join(sorted({e["type"] for e in tok.get("catalog", [])})))
except Exception as e:
    print(e, file=sys.stderr)
    sys.exit(1)
' 2>/dev/null
}

# Service project, users nova/cinder/neutron with role admin on it, and the
# catalog entries. Done once per state; the stamp records passwords and ports,
# so a changed port or a lost secrets.env redoes it. Redoing deletes the
# existing users and services first: a recreated user gets a new id, so none
# of its tokens can count as revoked (a password change revokes tokens issued
# in the same second).
ensure_os_catalog() {
  local stamp="$KEYSTONE_DIR/.os-services" want
  want="$(printf '%s\n' "$NOVA_PASSWORD" "$CINDER_PASSWORD" "$NEUTRON_PASSWORD" "$(os_catalog_entries)" | sha256sum | cut -d' ' -f1)"
  [[ -f $stamp && "$(cat "$stamp")" == "$want" ]] && return 0
  log "keystone: creating service users and catalog entries for nova, cinder, neutron (~15s, once)"
  local auth token existing batch name type url iface u
  auth="$(keystone_os_auth admin "$ADMIN_PASSWORD" admin)" || die "keystone: admin cannot get a token"
  token=${auth%% *}
  # Leftovers from an earlier run (e.g. other ports): their ids to delete.
  existing="$(
    { curl -sS --max-time 10 -H "X-Auth-Token: $token" "$KEYSTONE_URL/services"
      echo
      curl -sS --max-time 10 -H "X-Auth-Token: $token" "$KEYSTONE_URL/users"; } |
      /usr/bin/python3 -c '
import json, sys
text, dec, i = sys.stdin.read(), json.JSONDecoder(), 0
while text[i:].strip():
    d, i = dec.raw_decode(text, i + len(text[i:]) - len(text[i:].lstrip()))
    for s in d.get("services", []):
        if s["type"] in ("compute", "volumev3", "network"):
            print("service delete", s["id"])
    for u in d.get("users", []):
        if u["name"] in ("nova", "cinder", "neutron"):
            print("user delete", u["id"])
'
  )" || die "keystone: could not list services and users"
  batch="$existing
project create --domain default --description Services --or-show service"
  for u in nova cinder neutron; do
    batch+="
user create --domain default --password $(os_password_of "$u") $u
role add --project service --project-domain default --user $u --user-domain default admin"
  done
  while read -r name type url; do
    batch+="
service create --name $name $type"
    for iface in public internal admin; do
      batch+="
endpoint create --region RegionOne $type $iface $url"
    done
  done < <(os_catalog_entries)
  local logfile
  logfile="$(logfile_of keystone-catalog)"
  printf '\n==== %s\n' "$(date -Is)" >>"$logfile"
  # Commands on stdin: one CLI start (~1s each otherwise). Passwords go on
  # stdin, not argv. The interactive shell does not fail on a failed command,
  # so the result is checked below.
  env -u OS_CLOUD -u OS_TOKEN -u OS_AUTH_TYPE -u OS_PROJECT_ID \
    OS_AUTH_URL="$KEYSTONE_URL" OS_IDENTITY_API_VERSION=3 \
    OS_USERNAME=admin OS_PASSWORD="$ADMIN_PASSWORD" OS_PROJECT_NAME=admin \
    OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=RegionOne \
    /usr/bin/python3 /usr/bin/openstack <<<"$batch" >>"$logfile" 2>&1 ||
    { tail -n 30 "$logfile" >&2; die "keystone: openstack CLI batch failed; see $logfile"; }
  # Each service user must get a token on project service whose catalog
  # lists the three services.
  for u in nova cinder neutron; do
    auth="$(keystone_os_auth "$u" "$(os_password_of "$u")" service)" ||
      { tail -n 30 "$logfile" >&2; die "keystone: user $u cannot get a token on project service; see $logfile"; }
    [[ ${auth##* } == compute,identity,network,volumev3 ]] ||
      { tail -n 30 "$logfile" >&2; die "keystone: catalog incomplete (${auth##* }); see $logfile"; }
  done
  printf '%s\n' "$want" >"$stamp"
}

# Ready = an authenticated quota GET answers 200 (the app is imported, its
# database reachable and Keystone validates the token).
wait_os_api() {
  local name=$1 port auth token pid path code deadline=$((SECONDS + 180))
  port="$(os_port_of "$name")"
  wait_for_port 127.0.0.1 "$port" 60 "$name"
  auth="$(keystone_os_auth admin "$ADMIN_PASSWORD" admin)" || die "$name: admin cannot get a Keystone token"
  token=${auth%% *} pid=${auth#* } pid=${pid%% *}
  case $name in
    nova) path="/v2.1/os-quota-sets/$pid" ;;
    cinder) path="/v3/$pid/os-quota-sets/$pid" ;;
    neutron) path="/v2.0/quotas/$pid" ;;
  esac
  until code="$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' \
    -H "X-Auth-Token: $token" "http://127.0.0.1:$port$path")" && [[ $code == 200 ]]; do
    pid_alive "$(pidfile_of "$name")" || { tail -n 30 "$(logfile_of "$name")" >&2; die "$name: uwsgi exited; see $(logfile_of "$name")"; }
    ((SECONDS < deadline)) || die "$name: GET $path still answers ${code:-nothing} after 180s; see $(logfile_of "$name")"
    sleep 0.5
  done
}

start_os_api() {
  local name=$1 wsgi
  case $name in
    nova) wsgi=/usr/bin/nova-api-wsgi ;;
    cinder) wsgi=/usr/bin/cinder-wsgi ;;
    neutron) wsgi=/usr/bin/neutron-api ;;
  esac
  [[ -x $wsgi ]] || die "$name: $wsgi missing; run scripts/install.sh"
  command -v uwsgi >/dev/null 2>&1 || die "$name: uwsgi not installed; run scripts/install.sh"
  ensure_secrets
  ensure_os_catalog
  "write_${name}_conf"
  "sync_${name}_db"
  launch "$name" uwsgi --ini "$(os_dir_of "$name")/uwsgi.ini"
  wait_os_api "$name"
}

start_nova() { start_os_api nova; }
start_cinder() { start_os_api cinder; }
start_neutron() { start_os_api neutron; }

# ---------------------------------------------------------------- mailpit

ensure_tls_cert() {
  [[ -s $TLS_DIR/cert.pem && -s $TLS_DIR/key.pem ]] && return 0
  log "mailpit: generating self-signed certificate for localhost/127.0.0.1"
  mkdir -p "$TLS_DIR"
  local out
  # Self-signed, used by clients as their CA file (no verification turned off).
  out="$(
    umask 077
    openssl req -x509 -nodes -newkey rsa:2048 -sha256 -days 3650 \
      -subj /CN=localhost \
      -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
      -keyout "$TLS_DIR/key.pem" -out "$TLS_DIR/cert.pem" 2>&1
  )" || die "mailpit: openssl failed to create the certificate: $out"
  chmod 644 "$TLS_DIR/cert.pem" # the CA file clients read
}

start_mailpit() {
  [[ -x $MAILPIT_BIN ]] || die "mailpit: $MAILPIT_BIN missing; run scripts/install.sh"
  ensure_tls_cert
  # --smtp-auth-accept-any: any credentials or none are accepted.
  # --smtp-disable-rdns: no DNS here; reverse lookups would only add delay.
  # --disable-version-check: it would try GitHub on every start.
  # --smtp-allowed-recipients: a domain under a TLD of 2-6 letters is accepted; the reserved
  # TLD .invalid (7 letters) is refused with a 5xx, so tests can see a recipient refused for good.
  # --max: Mailpit keeps only 500 messages by default; benchmarks and long runs send thousands.
  launch mailpit "$MAILPIT_BIN" \
    --database "$STATE_DIR/mailpit.db" \
    --max 50000 \
    --listen "127.0.0.1:$MAILPIT_HTTP_PORT" \
    --smtp "127.0.0.1:$SMTP_PORT" \
    --smtp-tls-cert "$TLS_DIR/cert.pem" \
    --smtp-tls-key "$TLS_DIR/key.pem" \
    --smtp-require-starttls \
    --smtp-auth-accept-any \
    --smtp-disable-rdns \
    --smtp-allowed-recipients '^[^@]+@[^@]+\.[A-Za-z]{2,6}$' \
    --disable-version-check
  wait_for_port 127.0.0.1 "$SMTP_PORT" 30 mailpit
  wait_for_port 127.0.0.1 "$MAILPIT_HTTP_PORT" 30 mailpit
}

# ---------------------------------------------------------------- temporal

# Flags after the subcommand: cobra cannot tell a flag's value from a
# subcommand name when global flags come first.
temporal_cli() {
  "$TEMPORAL_BIN" "$@" --address "127.0.0.1:$TEMPORAL_PORT" --command-timeout 10s
}

# Prints NAME=Type of each of SEARCH_ATTRIBUTES (lib.sh) not registered with its type.
missing_search_attributes() {
  local list
  list="$(temporal_cli operator search-attribute list 2>/dev/null)" || { printf '%s\n' "${SEARCH_ATTRIBUTES[@]}"; return; }
  missing_search_attributes_in "$list"
}

# Registers those of SEARCH_ATTRIBUTES that are missing, each with its type,
# retrying for up to 15 s (a server just started may not take them yet), and
# fails naming any still missing. start-dev's --search-attribute registers
# them only in a new database: an existing one (made when the list was
# shorter) gets the new ones here, also when the server was already running.
# A name registered with another type cannot be changed: a new database is
# needed, and the message says so.
ensure_search_attributes() {
  local deadline=$((SECONDS + 15)) missing sa name out errors="" list
  while :; do
    missing="$(missing_search_attributes)"
    [[ -n $missing ]] || return 0
    # No use retrying once the server said "already exists and has different type".
    if ((SECONDS >= deadline)) || grep -qi 'different type' <<<"$errors"; then break; fi
    errors=""
    for sa in $missing; do
      name=${sa%%=*}
      if out="$(temporal_cli operator search-attribute create --name "$name" --type "${sa#*=}" 2>&1)"; then
        log "temporal: registered search attribute $name (${sa#*=})"
      else
        errors+="$name: ${out//$'\n'/ }"$'\n'
      fi
    done
    sleep 0.5
  done
  list="$(temporal_cli operator search-attribute list 2>/dev/null || true)"
  for sa in $missing; do
    name=${sa%%=*}
    out="$(grep -E "^[[:space:]]*${name}[[:space:]]" <<<"$list" | awk '{print $2}' || true)"
    log "temporal: search attribute $name: want ${sa#*=}, registered: ${out:-none}"
  done
  [[ -z $errors ]] || log "temporal: last errors of search-attribute create: ${errors%$'\n'}"
  die "temporal: search attributes missing or of another type (see above). Another type needs a" \
    "new database: stop temporal, move $STATE_DIR/temporal.db away, start temporal"
}

# The Web UI asks this endpoint to decode payloads; the browser calls it, so
# it is the address as the browser sees it.
codec_endpoint() { printf 'http://127.0.0.1:%s' "$CODEC_PORT"; }

# The dev server takes the codec endpoint only when it starts: one started
# without it (before this flag, or with another CODEC_PORT) keeps showing
# encoded payloads. Say so; do not restart a server someone may be using.
check_temporal_codec_flag() {
  local pid
  pid="$(head -n 1 "$(pidfile_of temporal)")"
  [[ -r /proc/$pid/cmdline ]] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--ui-codec-endpoint $(codec_endpoint) " && return 0
  log "temporal: the running dev server's UI does not use the codec endpoint $(codec_endpoint);" \
    "to pick it up: scripts/services.sh stop temporal && scripts/services.sh start temporal"
}

start_temporal() {
  [[ -x $TEMPORAL_BIN ]] || die "temporal: $TEMPORAL_BIN missing; run scripts/install.sh"
  local sa_flags=() sa
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do
    sa_flags+=(--search-attribute "$sa")
  done
  launch temporal "$TEMPORAL_BIN" server start-dev \
    --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    --ui-codec-endpoint "$(codec_endpoint)" \
    --db-filename "$STATE_DIR/temporal.db" \
    --namespace default --log-level warn \
    "${sa_flags[@]}"
  wait_for_port 127.0.0.1 "$TEMPORAL_PORT" 60 temporal
  wait_for_port 127.0.0.1 "$TEMPORAL_UI_PORT" 30 temporal
  ensure_search_attributes
}

# ---------------------------------------------------------------- commands

start_one() {
  local name=$1 pidfile
  pidfile="$(pidfile_of "$name")"
  if is_up "$name"; then
    log "$name: already running (pid $(head -n 1 "$pidfile"))"
    case $name in
      postgres) ensure_pg_databases ;;
      temporal)
        ensure_search_attributes
        check_temporal_codec_flag
        ;;
    esac
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

stop_one() {
  case $1 in
    postgres) stop_postgres ;;
    keystone | nova | cinder | neutron) stop_pid "$1" 30 ;;
    mailpit) stop_pid mailpit 15 ;;
    temporal) stop_pid temporal 30 ;;
  esac
}

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
