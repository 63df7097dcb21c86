# shellcheck shell=bash
# The server process: is it ours and healthy, launching it, waiting for it,
# stopping it. Sourced by scripts/temporal-server.sh.

# The process in the pid file is alive and runs our server binary (a stale
# pid file, e.g. after a reboot, may name another program).
server_alive() {
  local pid
  pid_alive "$PIDFILE" || return 1
  pid="$(head -n 1 "$PIDFILE")"
  [[ -r /proc/$pid/cmdline ]] || return 0 # no procfs: trust the pid
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$SERVER_BIN"
}

healthy() {
  port_open 127.0.0.1 "$FRONTEND_PORT" &&
    temporal_cli operator cluster health 2>/dev/null | grep -q SERVING
}

is_up() {
  server_alive && healthy
}

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
