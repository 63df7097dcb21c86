#!/usr/bin/env bash
# The stand-in's entrypoint: what docker-compose.yml uses of the official postgres image's.
#   POSTGRES_USER (default postgres), POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE, POSTGRES_DB
#   (default: the user's name), POSTGRES_INITDB_ARGS; on an empty PGDATA: initdb, the database,
#   then /docker-entrypoint-initdb.d/*.sql, *.sql.gz and *.sh once, on a server no client reaches.
# Stand-in only: POSTGRES_LISTEN_ADDRESSES (default 127.0.0.1; the official image listens on
# '*'), as the stand-in runs on the host network. The port is PGPORT (default 5432).
set -Eeuo pipefail

# file_env VAR [DEFAULT]: VAR, or the content of the file named by VAR_FILE (not both).
file_env() {
  local var=$1 file_var="$1_FILE" value=${2:-}
  if [[ -n ${!var:-} && -n ${!file_var:-} ]]; then
    echo "error: both $var and $file_var are set (they are exclusive)" >&2
    exit 1
  fi
  if [[ -n ${!var:-} ]]; then
    value=${!var}
  elif [[ -n ${!file_var:-} ]]; then
    value="$(<"${!file_var}")"
  fi
  export "$var=$value"
  unset "$file_var"
}

# psql_init ARGS...: psql on the temporary server's private socket, stopping at the first error.
psql_init() {
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc "$@"
}

run_init_files() {
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh)
        if [[ -x $f ]]; then
          echo "$0: running $f"
          "$f"
        else
          echo "$0: sourcing $f"
          # shellcheck disable=SC1090
          . "$f"
        fi
        ;;
      *.sql)
        echo "$0: running $f"
        psql_init --dbname "$POSTGRES_DB" -f "$f"
        ;;
      *.sql.gz)
        echo "$0: running $f"
        gunzip -c "$f" | psql_init --dbname "$POSTGRES_DB"
        ;;
      *) echo "$0: ignoring $f" ;;
    esac
  done
}

init_cluster() {
  if [[ -z $POSTGRES_PASSWORD ]]; then
    echo "error: the database is not initialised and no POSTGRES_PASSWORD(_FILE) is set" >&2
    exit 1
  fi
  # Over TCP a password is always asked (scram-sha-256). The official image trusts 127.0.0.1,
  # which only its own container reaches; on the host network every client comes from there.
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of arguments, as in the official image
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --encoding=UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 \
    $POSTGRES_INITDB_ARGS
  printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"

  # A temporary server on a private socket and no TCP: neither clients nor pg_isready (the
  # health check) see it before the init files have run.
  local socket_dir
  socket_dir="$(mktemp -d)"
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=$socket_dir" start
  export PGHOST=$socket_dir
  if [[ $POSTGRES_DB != postgres ]]; then
    psql_init --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  run_init_files
  pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGHOST
  rm -rf "$socket_dir"
  echo "$0: PostgreSQL init process complete; ready for start up."
}

if [[ ${1:-} == -* ]]; then
  set -- postgres "$@"
fi

if [[ ${1:-} == postgres && $(id -u) == 0 ]]; then
  # As root: own the data and socket folders, then run again as postgres (the official image
  # uses gosu; setpriv is in Debian's base).
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [[ ${1:-} == postgres ]]; then
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  : "${POSTGRES_INITDB_ARGS:=}"
  if [[ ! -s $PGDATA/PG_VERSION ]]; then
    init_cluster
  else
    echo "$0: PostgreSQL database directory appears to contain a database; skipping initialization"
  fi
  unset POSTGRES_PASSWORD
  # Later -c arguments (the command's) win over this one.
  exec "$1" -c "listen_addresses=${POSTGRES_LISTEN_ADDRESSES:-127.0.0.1}" "${@:2}"
fi

exec "$@"
