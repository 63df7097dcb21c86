# shellcheck shell=bash
# Temporal dev server (SQLite) with its Web UI. Sourced by scripts/services.sh.

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

stop_temporal() { stop_pid temporal 30; }

# Called by start_one when the server already runs.
already_up_temporal() {
  ensure_search_attributes
  check_temporal_codec_flag
}
