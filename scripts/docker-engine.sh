#!/usr/bin/env bash
# The project's own Docker engine, for the image and compose tests: Debian's dockerd with its own
# data root, exec root, socket, pid file and log, never the machine's default daemon. No bridge
# and no iptables: containers use the host network only, so their traffic stays on loopback.
#
#   scripts/docker-engine.sh start    start the engine (once; a running one is reused), wait
#   scripts/docker-engine.sh stop     SIGTERM, SIGKILL after 30 s (images and layers are kept)
#   scripts/docker-engine.sh status   print up/down; exit 3 when down
#   scripts/docker-engine.sh env      print DOCKER_HOST=… for `docker` and `docker-compose`
#
# Images live in $CACHE_DIR/docker (kept between checkouts and runs, so a second run builds
# nothing); the engine is one per cache folder, shared by the checkouts that use it. Its exec root
# and socket sit under /run with a short name (socket paths are limited to 107 bytes), its log in
# $CACHE_DIR/docker-engine.log. Run as root (dockerd needs it).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DATA_ROOT="$CACHE_DIR/docker"
# Short and unique per cache folder: containerd's shim sockets live below the exec root.
ENGINE_ID="$(printf '%s' "$CACHE_DIR" | sha256sum | cut -c1-8)"
EXEC_ROOT="/run/kaizen-docker-$ENGINE_ID"
SOCKET="/run/kaizen-docker-$ENGINE_ID.sock"
PIDFILE="/run/kaizen-docker-$ENGINE_ID.pid"
ENGINE_LOG="$CACHE_DIR/docker-engine.log"
export DOCKER_HOST="unix://$SOCKET"

engine_answers() {
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

start_engine() {
  command -v dockerd >/dev/null || die "docker-engine: dockerd missing; run scripts/install.sh (package docker.io)"
  [[ $EUID -eq 0 ]] || die "docker-engine: dockerd needs root"
  if engine_answers; then
    log "docker-engine: already running (socket $SOCKET)"
    return 0
  fi
  # A containerd at the default socket would be used instead of one of our own.
  [[ ! -S /run/containerd/containerd.sock ]] ||
    log "docker-engine: note: /run/containerd/containerd.sock exists; dockerd may use that containerd"
  mkdir -p "$DATA_ROOT" "$EXEC_ROOT"
  rm -f "$SOCKET"
  printf '\n==== %s: starting dockerd\n' "$(date -Is)" >>"$ENGINE_LOG"
  setsid dockerd \
    --data-root "$DATA_ROOT" \
    --exec-root "$EXEC_ROOT" \
    --pidfile "$PIDFILE" \
    -H "unix://$SOCKET" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
    --storage-driver overlay2 \
    </dev/null >>"$ENGINE_LOG" 2>&1 &
  local deadline=$((SECONDS + 60))
  until engine_answers; do
    if ((SECONDS >= deadline)); then
      tail -n 30 "$ENGINE_LOG" >&2 || true
      die "docker-engine: dockerd did not answer on $SOCKET within 60 s; see $ENGINE_LOG"
    fi
    sleep 0.5
  done
  log "docker-engine: up (socket $SOCKET, data root $DATA_ROOT, log $ENGINE_LOG)"
}

stop_engine() {
  if ! pid_alive "$PIDFILE"; then
    log "docker-engine: not running"
    return 0
  fi
  local pid deadline=$((SECONDS + 30))
  pid="$(head -n 1 "$PIDFILE")"
  log "docker-engine: stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  while pid_alive "$PIDFILE" && ((SECONDS < deadline)); do sleep 0.5; done
  if pid_alive "$PIDFILE"; then
    log "docker-engine: still running after 30 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$SOCKET"
}

case "${1:-}" in
  start) start_engine ;;
  stop) stop_engine ;;
  status)
    if engine_answers; then echo "docker-engine up ($SOCKET)"; else
      echo "docker-engine down"
      exit 3
    fi
    ;;
  env) echo "DOCKER_HOST=$DOCKER_HOST" ;;
  *)
    echo "usage: scripts/docker-engine.sh start|stop|status|env" >&2
    exit 2
    ;;
esac
