#!/usr/bin/env bash
# The image of the last release, for the compose upgrade test (test/stack/upgrade.test.ts): the
# release's tree (git archive) built with today's Dockerfile on the local Node stand-in, tagged
# kaizen-onboarding:<release>. Today's Dockerfile differs from the release's only in how the base
# image and the build's CA bundle are given (BASE_IMAGE, .build-ca.pem), which the release's
# cannot take here: no registry serves node:20-bookworm-slim.
#
#   scripts/release-image.sh            v0.1.0: its tag, else the commit that added "## v0.1.0"
#                                       to CHANGELOG.md (a clone may lack tags)
#   KAIZEN_UPGRADE_FROM=REF scripts/release-image.sh   another git ref, tagged by its name
#
# Cached by a label with the commit, the Node stand-in and the Dockerfile: built once a machine.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
eval "$("$ROOT/scripts/docker-engine.sh" env | sed 's/^/export /')"

RELEASE="${KAIZEN_UPGRADE_FROM:-v0.1.0}"
NODE_IMAGE=kaizen-standin/node:20-bookworm-slim
CA_BUNDLE="${KAIZEN_BUILD_CA:-/etc/ssl/certs/ca-certificates.crt}"
IMAGE="kaizen-onboarding:${RELEASE//[^A-Za-z0-9_.-]/-}"

release_commit() {
  git -C "$ROOT" rev-parse --quiet --verify "$RELEASE^{commit}" && return 0
  local added
  added="$(git -C "$ROOT" log --format=%H -S"## $RELEASE" -- CHANGELOG.md | tail -n 1)"
  [[ -n $added ]] ||
    die "release-image: no $RELEASE: no such git ref and no commit adds \"## $RELEASE\" to CHANGELOG.md (git fetch --tags)"
  echo "$added"
}

COMMIT="$(release_commit)"
"$ROOT/scripts/images.sh" node
RECIPE="$(printf '%s %s %s' "$COMMIT" "$(docker image inspect -f '{{.Id}}' "$NODE_IMAGE")" \
  "$(sha256sum <"$ROOT/Dockerfile")" | sha256sum | cut -c1-12)"
if [[ "$(docker image inspect -f '{{index .Config.Labels "kaizen.recipe"}}' "$IMAGE" 2>/dev/null)" == "$RECIPE" ]]; then
  log "release-image: $IMAGE already built (cached)"
  exit 0
fi

started=$SECONDS
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
git -C "$ROOT" archive "$COMMIT" | tar -x -C "$dir"
cp "$ROOT/Dockerfile" "$ROOT/.dockerignore" "$dir/"
cp "$CA_BUNDLE" "$dir/.build-ca.pem"
log "release-image: building $IMAGE from $RELEASE (${COMMIT:0:12}) with today's Dockerfile"
docker build --network host --label "kaizen.recipe=$RECIPE" --build-arg "BASE_IMAGE=$NODE_IMAGE" \
  -t "$IMAGE" "$dir" >"$CACHE_DIR/release-image-build.log" 2>&1 || {
  tail -n 40 "$CACHE_DIR/release-image-build.log" >&2
  die "release-image: building $IMAGE failed; see $CACHE_DIR/release-image-build.log"
}
log "release-image: $IMAGE built in $((SECONDS - started)) s"
