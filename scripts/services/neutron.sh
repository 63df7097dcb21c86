# shellcheck shell=bash
# Neutron API, quotas only: ML2 with no agents (see openstack.sh). Sourced by
# scripts/services.sh.

write_neutron_conf() {
  local dir
  dir="$(os_dir_of neutron)"
  prepare_os_dir neutron
  cp -f /etc/neutron/api-paste.ini "$dir/api-paste.ini"
  write_os_conf neutron neutron.conf.in DB_URL="$(pg_url neutron)"
  render_template neutron-ml2_conf.ini.in >"$dir/ml2_conf.ini"
  write_os_uwsgi_ini neutron /usr/bin/neutron-api \
    "env = OS_NEUTRON_CONFIG_DIR=$dir
env = OS_NEUTRON_CONFIG_FILES=neutron.conf;ml2_conf.ini"
}

# Schema once per state, as for nova (sync_nova_db).
sync_neutron_db() {
  local dir stamp
  dir="$(os_dir_of neutron)" stamp="$dir/.db-synced"
  [[ -f $stamp ]] && return 0
  log "neutron: creating database schema (first start)"
  os_manage neutron /usr/bin/neutron-db-manage --config-file "$dir/neutron.conf" \
    --config-file "$dir/ml2_conf.ini" upgrade heads
  date -Is >"$stamp"
}

start_neutron() { start_os_api neutron; }
stop_neutron() { stop_pid neutron 30; }
