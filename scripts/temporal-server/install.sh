# shellcheck shell=bash
# Building the server and sql tool once per version, and the lock that
# serialises start/stop/restart. Sourced by scripts/temporal-server.sh.

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

# Serialises start/stop/restart: tests in parallel may call them at once.
take_lock() {
  mkdir -p "$FULL_DIR"
  exec 9>"$FULL_DIR/.lock"
  flock -w 300 9 || die "$NAME: another start/stop still holds $FULL_DIR/.lock after 300s"
}
