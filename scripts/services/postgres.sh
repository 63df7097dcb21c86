# shellcheck shell=bash
# PostgreSQL: a private cluster for Keystone, Nova, Cinder and Neutron.
# Sourced by scripts/services.sh.

# PostgreSQL's data dir, socket dir and log; see pg_locate.
PG_DATA="" PG_SOCKET_DIR="" PG_LOG=""
# Where they go when (as root) the postgres user cannot reach $STATE_DIR.
PG_FALLBACK_BASE="${KAIZEN_PG_FALLBACK_DIR:-/var/lib/kaizen-onboarding}"

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

# $PG_DATA/kaizen.conf, included by postgresql.conf (see start_postgres).
write_postgres_conf() {
  local sock=${PG_SOCKET_DIR//\'/\'\'} # doubled quotes inside '...'
  render_template postgres-kaizen.conf.in PG_PORT="$PG_PORT" SOCKET_DIR="$sock" >"$PG_DATA/kaizen.conf"
  ((EUID != 0)) || chown postgres: "$PG_DATA/kaizen.conf"
}

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
  write_postgres_conf
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

# Called by start_one when the cluster already runs: databases added since
# appear without a restart.
already_up_postgres() { ensure_pg_databases; }
