# shellcheck shell=bash
# Helpers every service of scripts/services.sh uses: pid and log files,
# launching and stopping process groups, and filling config templates.
# Sourced by services.sh; defines functions only.

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
