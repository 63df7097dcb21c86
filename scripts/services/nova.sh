# shellcheck shell=bash
# Nova API, quotas only (see openstack.sh). Sourced by scripts/services.sh.

write_nova_conf() {
  local dir
  dir="$(os_dir_of nova)"
  prepare_os_dir nova
  cp -f /etc/nova/api-paste.ini "$dir/api-paste.ini"
  write_os_conf nova nova.conf.in API_DB_URL="$(pg_url nova_api)" DB_URL="$(pg_url nova)"
  # nova-api-wsgi reads api-paste.ini and nova.conf from OS_NOVA_CONFIG_DIR.
  write_os_uwsgi_ini nova /usr/bin/nova-api-wsgi "env = OS_NOVA_CONFIG_DIR=$dir"
}

# Schema setup once per state; the stamp is written only after all steps
# succeeded (each step is safe to repeat after an interruption).
sync_nova_db() {
  local dir stamp conf
  dir="$(os_dir_of nova)" stamp="$dir/.db-synced" conf="$dir/nova.conf"
  [[ -f $stamp ]] && return 0
  log "nova: creating database schemas and cells (first start)"
  os_manage nova /usr/bin/nova-manage --config-file "$conf" api_db sync
  os_manage nova /usr/bin/nova-manage --config-file "$conf" cell_v2 map_cell0 \
    --database_connection "$(pg_url nova_cell0)"
  if ! /usr/bin/nova-manage --config-file "$conf" cell_v2 list_cells 2>/dev/null | grep -q ' cell1 '; then
    os_manage nova /usr/bin/nova-manage --config-file "$conf" cell_v2 create_cell \
      --name cell1 --transport-url fake:// --database_connection "$(pg_url nova)"
  fi
  os_manage nova /usr/bin/nova-manage --config-file "$conf" db sync
  date -Is >"$stamp"
}

start_nova() { start_os_api nova; }
stop_nova() { stop_pid nova 30; }
