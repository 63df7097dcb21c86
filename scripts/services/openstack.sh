# shellcheck shell=bash
# What nova.sh, cinder.sh and neutron.sh share. Sourced by scripts/services.sh.
# Quota APIs only: no message bus (transport_url = fake://), no scheduler,
# compute, volume backend or agents. Each runs under uwsgi like Keystone and
# validates tokens against the local Keystone with its own service user.

os_dir_of() { printf '%s/%s' "$STATE_DIR" "$1"; }

os_port_of() {
  case $1 in
    nova) echo "$NOVA_PORT" ;;
    cinder) echo "$CINDER_PORT" ;;
    neutron) echo "$NEUTRON_PORT" ;;
  esac
}

os_password_of() {
  case $1 in
    nova) echo "$NOVA_PASSWORD" ;;
    cinder) echo "$CINDER_PASSWORD" ;;
    neutron) echo "$NEUTRON_PASSWORD" ;;
  esac
}

pg_url() { printf 'postgresql+psycopg2://postgres@127.0.0.1:%s/%s' "$PG_PORT" "$1"; }

# Catalog entries: NAME TYPE URL.
os_catalog_entries() {
  printf '%s\n' \
    "nova compute http://127.0.0.1:$NOVA_PORT/v2.1" \
    "cinderv3 volumev3 http://127.0.0.1:$CINDER_PORT/v3/%(project_id)s" \
    "neutron network http://127.0.0.1:$NEUTRON_PORT"
}

# Settings all three share: state and lock folders, no bus, real token
# validation against the local Keystone as the service's own user.
os_common_conf() {
  local name=$1
  render_template openstack-common.conf.in DIR="$(os_dir_of "$name")" \
    KEYSTONE_PORT="$KEYSTONE_PORT" NAME="$name" PASSWORD="$(os_password_of "$name")"
}

# write_os_uwsgi_ini NAME WSGI_FILE EXTRA_LINES
write_os_uwsgi_ini() {
  local name=$1 wsgi=$2 extra=$3
  render_template openstack-uwsgi.ini.in PORT="$(os_port_of "$name")" WSGI_FILE="$wsgi" \
    EXTRA="$extra" >"$(os_dir_of "$name")/uwsgi.ini"
}

# write_os_conf NAME TEMPLATE [KEY=VALUE...]: the service's config file from
# its template, with the shared settings in place of @COMMON@.
write_os_conf() {
  local name=$1 template=$2 dir common
  shift 2
  dir="$(os_dir_of "$name")"
  common="$(os_common_conf "$name")" # assigned apart so a failure stops us
  render_template "$template" COMMON="$common" DIR="$dir" "$@" >"$dir/$name.conf"
}

# The config is rewritten on each start (ports may change); the dir holds the
# service user's password.
prepare_os_dir() {
  local dir
  dir="$(os_dir_of "$1")"
  mkdir -p "$dir/state" "$dir/lock"
  chmod 700 "$dir"
}

# os_manage NAME CMD...: runs a schema tool, output into NAME-manage.log.
os_manage() {
  local name=$1 logfile
  shift
  logfile="$(logfile_of "$name-manage")"
  printf '\n==== %s: %s\n' "$(date -Is)" "$*" >>"$logfile"
  "$@" >>"$logfile" 2>&1 ||
    { tail -n 30 "$logfile" >&2; die "$name: '$*' failed; see $logfile"; }
}

# Ready = an authenticated quota GET answers 200 (the app is imported, its
# database reachable and Keystone validates the token).
wait_os_api() {
  local name=$1 port auth token pid path code deadline=$((SECONDS + 180))
  port="$(os_port_of "$name")"
  wait_for_port 127.0.0.1 "$port" 60 "$name"
  auth="$(keystone_os_auth admin "$ADMIN_PASSWORD" admin)" || die "$name: admin cannot get a Keystone token"
  token=${auth%% *} pid=${auth#* } pid=${pid%% *}
  case $name in
    nova) path="/v2.1/os-quota-sets/$pid" ;;
    cinder) path="/v3/$pid/os-quota-sets/$pid" ;;
    neutron) path="/v2.0/quotas/$pid" ;;
  esac
  until code="$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' \
    -H "X-Auth-Token: $token" "http://127.0.0.1:$port$path")" && [[ $code == 200 ]]; do
    pid_alive "$(pidfile_of "$name")" || { tail -n 30 "$(logfile_of "$name")" >&2; die "$name: uwsgi exited; see $(logfile_of "$name")"; }
    ((SECONDS < deadline)) || die "$name: GET $path still answers ${code:-nothing} after 180s; see $(logfile_of "$name")"
    sleep 0.5
  done
}

start_os_api() {
  local name=$1 wsgi
  case $name in
    nova) wsgi=/usr/bin/nova-api-wsgi ;;
    cinder) wsgi=/usr/bin/cinder-wsgi ;;
    neutron) wsgi=/usr/bin/neutron-api ;;
  esac
  [[ -x $wsgi ]] || die "$name: $wsgi missing; run scripts/install.sh"
  command -v uwsgi >/dev/null 2>&1 || die "$name: uwsgi not installed; run scripts/install.sh"
  ensure_secrets
  ensure_os_catalog
  "write_${name}_conf"
  "sync_${name}_db"
  launch "$name" uwsgi --ini "$(os_dir_of "$name")/uwsgi.ini"
  wait_os_api "$name"
}
