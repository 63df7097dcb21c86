# shellcheck shell=bash
# The server's two databases on the project's PostgreSQL: reaching the
# cluster, creating them and bringing their schemas up to date. Sourced by
# scripts/temporal-server.sh.

pg_bin_dir() {
  local d
  # Newest installed major version; Debian keeps the tools off PATH.
  d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
  [[ -n $d && -x $d/psql ]] || die "$NAME: psql not found; run scripts/install.sh"
  echo "$d"
}

# psql_q DB SQL: runs one statement, prints unaligned tuples.
psql_q() {
  "$(pg_bin_dir)/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$1" \
    -XAtq -v ON_ERROR_STOP=1 -c "$2"
}

# sql_tool DB ARGS...: Temporal's schema tool against one of our databases.
sql_tool() {
  local db=$1
  shift
  "$SQL_BIN" --plugin postgres12 --endpoint 127.0.0.1 --port "$PG_PORT" \
    --user "$PG_USER" --password "" --database "$db" "$@"
}

require_postgres() {
  if ! port_open 127.0.0.1 "$PG_PORT" || ! psql_q postgres 'SELECT 1' >/dev/null 2>&1; then
    die "$NAME: PostgreSQL is not reachable on 127.0.0.1:$PG_PORT as user $PG_USER; run scripts/services.sh start postgres"
  fi
}

# setup_db DB SCHEMA_NAME: creates DB if missing and brings its schema to
# the newest version embedded in the sql tool. Idempotent.
setup_db() {
  local db=$1 schema=$2 out
  if [[ -z "$(psql_q postgres "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]]; then
    out="$(sql_tool "$db" create-database 2>&1)" || { printf '%s\n' "$out" >&2; die "$NAME: creating database $db failed"; }
    log "$NAME: created database $db"
  fi
  # setup-schema would reset an existing database's version to 0.0, after
  # which update-schema fails on tables that exist: only on a new database.
  if [[ "$(psql_q "$db" "SELECT to_regclass('public.schema_version') IS NOT NULL")" != t ]]; then
    out="$(sql_tool "$db" setup-schema --version 0.0 2>&1)" || { printf '%s\n' "$out" >&2; die "$NAME: setup-schema of $db failed"; }
  fi
  # Applies only the versions newer than the database's (none: a no-op).
  out="$(sql_tool "$db" update-schema --schema-name "$schema" 2>&1)" || { printf '%s\n' "$out" >&2; die "$NAME: update-schema of $db failed"; }
  log "$NAME: $db at schema version $(psql_q "$db" 'SELECT curr_version FROM schema_version LIMIT 1')"
}
