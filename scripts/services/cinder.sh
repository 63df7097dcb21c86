# shellcheck shell=bash
# Cinder API, quotas only (see openstack.sh). Sourced by scripts/services.sh.

write_cinder_conf() {
  local dir
  dir="$(os_dir_of cinder)"
  prepare_os_dir cinder
  cp -f /etc/cinder/api-paste.ini "$dir/api-paste.ini"
  write_os_conf cinder cinder.conf.in DB_URL="$(pg_url cinder)"
  # cinder-wsgi parses sys.argv: without --config-file it reads /etc/cinder.
  write_os_uwsgi_ini cinder /usr/bin/cinder-wsgi "pyargv = --config-file $dir/cinder.conf"
}

# Schema once per state, as for nova (sync_nova_db).
sync_cinder_db() {
  local dir stamp
  dir="$(os_dir_of cinder)" stamp="$dir/.db-synced"
  [[ -f $stamp ]] && return 0
  log "cinder: creating database schema (first start)"
  os_manage cinder /usr/bin/cinder-manage --config-file "$dir/cinder.conf" db sync
  date -Is >"$stamp"
}

start_cinder() { start_os_api cinder; }
stop_cinder() { stop_pid cinder 30; }
