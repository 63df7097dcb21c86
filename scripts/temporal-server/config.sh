# shellcheck shell=bash
# The server's config and dynamic config, from templates/. Sourced by
# scripts/temporal-server.sh.

write_config() {
  mkdir -p "$FULL_DIR"
  # Each of the four services in the process opens its own pools: at most
  # 4 x (10 + 5) = 60 of the cluster's max_connections (200).
  render_template config.yaml.in \
    LOG_LEVEL="$LOG_LEVEL" SHARDS="$SHARDS" PG_PORT="$PG_PORT" PG_USER="$PG_USER" \
    DB="$DB" DB_CONNS=10 VIS_DB="$VIS_DB" VIS_DB_CONNS=5 \
    FRONTEND_PORT="$FRONTEND_PORT" HTTP_PORT="$HTTP_PORT" \
    FRONTEND_MEMBERSHIP_PORT="$FRONTEND_MEMBERSHIP_PORT" \
    HISTORY_PORT="$HISTORY_PORT" HISTORY_MEMBERSHIP_PORT="$HISTORY_MEMBERSHIP_PORT" \
    MATCHING_PORT="$MATCHING_PORT" MATCHING_MEMBERSHIP_PORT="$MATCHING_MEMBERSHIP_PORT" \
    WORKER_PORT="$WORKER_PORT" WORKER_MEMBERSHIP_PORT="$WORKER_MEMBERSHIP_PORT" \
    ADDRESS="$ADDRESS" FULL_DIR="$FULL_DIR" >"$FULL_DIR/config.yaml.tmp"
  # Renamed last: a failed render leaves the previous config.yaml whole.
  mv -f "$FULL_DIR/config.yaml.tmp" "$FULL_DIR/config.yaml"
  render_template dynamicconfig.yaml.in >"$FULL_DIR/dynamicconfig.yaml"
}
