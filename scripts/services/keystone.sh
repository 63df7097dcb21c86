# shellcheck shell=bash
# Keystone under uwsgi, plus the service users and catalog entries that the
# quota APIs (openstack.sh) need. Sourced by scripts/services.sh.

KEYSTONE_DIR="$STATE_DIR/keystone"
# The Debian OpenStack tools run on the system interpreter; `python3` on PATH
# may be another one (pyenv) that cannot import them, so call them by path.
KEYSTONE_MANAGE=/usr/bin/keystone-manage
KEYSTONE_WSGI=/usr/bin/keystone-wsgi-public

write_keystone_conf() {
  mkdir -p "$KEYSTONE_DIR"
  chmod 700 "$KEYSTONE_DIR" # holds the fernet and credential keys
  render_template keystone.conf.in PG_PORT="$PG_PORT" KEYSTONE_DIR="$KEYSTONE_DIR" \
    HASH_ROUNDS="${KAIZEN_KEYSTONE_HASH_ROUNDS:-4}" >"$KEYSTONE_DIR/keystone.conf"
  render_template keystone-uwsgi.ini.in PORT="$KEYSTONE_PORT" WSGI_FILE="$KEYSTONE_WSGI" \
    KEYSTONE_DIR="$KEYSTONE_DIR" >"$KEYSTONE_DIR/uwsgi.ini"
}

keystone_manage() {
  local logfile
  logfile="$(logfile_of keystone-manage)"
  # Each run prints a harmless eventlet traceback on exit: keep it in the log.
  "$KEYSTONE_MANAGE" --config-file "$KEYSTONE_DIR/keystone.conf" "$@" >>"$logfile" 2>&1 ||
    { tail -n 30 "$logfile" >&2; die "keystone: keystone-manage $1 failed; see $logfile"; }
}

bootstrap_keystone() {
  local stamp="$KEYSTONE_DIR/.bootstrapped" want
  # The stamp records the password's hash: if secrets.env was lost and a new
  # password generated, bootstrap runs again and sets it (bootstrap is
  # idempotent apart from that).
  want="$(printf '%s' "$ADMIN_PASSWORD" | sha256sum | cut -d' ' -f1)"
  if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  log "keystone: db_sync, key setup and bootstrap (first start, or new admin password)"
  local user group
  user="$(id -un)" group="$(id -gn)"
  keystone_manage db_sync
  [[ -f $KEYSTONE_DIR/fernet-keys/0 ]] ||
    keystone_manage fernet_setup --keystone-user "$user" --keystone-group "$group"
  [[ -f $KEYSTONE_DIR/credential-keys/0 ]] ||
    keystone_manage credential_setup --keystone-user "$user" --keystone-group "$group"
  # Password via the environment, not argv (visible in ps).
  OS_BOOTSTRAP_PASSWORD="$ADMIN_PASSWORD" keystone_manage bootstrap \
    --bootstrap-username admin \
    --bootstrap-project-name admin \
    --bootstrap-role-name admin \
    --bootstrap-region-id RegionOne \
    --bootstrap-admin-url "$KEYSTONE_URL/" \
    --bootstrap-internal-url "$KEYSTONE_URL/" \
    --bootstrap-public-url "$KEYSTONE_URL/"
  printf '%s\n' "$want" >"$stamp"
}

# Prints an admin token (project-scoped) or fails.
keystone_admin_token() {
  local body headers
  body=$(printf '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"%s"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}' "$ADMIN_PASSWORD")
  headers="$(curl -sS --max-time 10 -o /dev/null -D - -H 'Content-Type: application/json' \
    --data-binary @- "$KEYSTONE_URL/auth/tokens" <<<"$body" 2>/dev/null)" || return 1
  grep -qE '^HTTP/[0-9.]+ 201' <<<"$headers" || return 1
  sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken:[[:space:]]*\([^[:space:]]*\).*/\1/p' <<<"$headers" | grep .
}

start_keystone() {
  [[ -x $KEYSTONE_MANAGE && -x $KEYSTONE_WSGI ]] || die "keystone: not installed; run scripts/install.sh"
  command -v uwsgi >/dev/null 2>&1 || die "keystone: uwsgi not installed; run scripts/install.sh"
  ensure_secrets
  write_keystone_conf
  bootstrap_keystone
  launch keystone uwsgi --ini "$KEYSTONE_DIR/uwsgi.ini"
  wait_for_port 127.0.0.1 "$KEYSTONE_PORT" 60 keystone

  # Listening is not serving: lazy-apps workers import Keystone after the
  # socket opens. Ready means the admin can get a token.
  local token="" deadline=$((SECONDS + 120))
  until token="$(keystone_admin_token)"; do
    pid_alive "$(pidfile_of keystone)" || die "keystone: uwsgi exited; see $(logfile_of keystone)"
    ((SECONDS < deadline)) || die "keystone: admin cannot get a token after 120s; see $(logfile_of keystone)"
    sleep 0.5
  done
  # Bootstrap creates roles admin, member and reader; the app assigns member.
  local roles
  roles="$(curl -sS --max-time 10 -H "X-Auth-Token: $token" "$KEYSTONE_URL/roles?name=member")" ||
    die "keystone: GET /v3/roles failed"
  grep -qE '"name": *"member"' <<<"$roles" ||
    die "keystone: role 'member' does not exist (GET /v3/roles?name=member returned: $roles)"
}

stop_keystone() { stop_pid keystone 30; }

# Prints "TOKEN PROJECT_ID" of a project-scoped token, or fails.
# keystone_os_auth USER PASSWORD PROJECT
keystone_os_auth() {
  KS_URL="$KEYSTONE_URL" KS_USER=$1 KS_PASS=$2 KS_PROJECT=$3 /usr/bin/python3 -c '
import json, os, sys, urllib.request
body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": os.environ["KS_USER"], "domain": {"id": "default"},
    "password": os.environ["KS_PASS"]}}},
    "scope": {"project": {"name": os.environ["KS_PROJECT"], "domain": {"id": "default"}}}}}
req = urllib.request.Request(os.environ["KS_URL"] + "/auth/tokens",
    data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        tok = json.load(r)["token"]
        print(r.headers["X-Subject-Token"], tok["project"]["id"],
              ",".join(sorted({e["type"] for e in tok.get("catalog", [])})))
except Exception as e:
    print(e, file=sys.stderr)
    sys.exit(1)
' 2>/dev/null
}

# Service project, users nova/cinder/neutron with role admin on it, and the
# catalog entries. Done once per state; the stamp records passwords and ports,
# so a changed port or a lost secrets.env redoes it. Redoing deletes the
# existing users and services first: a recreated user gets a new id, so none
# of its tokens can count as revoked (a password change revokes tokens issued
# in the same second).
ensure_os_catalog() {
  local stamp="$KEYSTONE_DIR/.os-services" want
  want="$(printf '%s\n' "$NOVA_PASSWORD" "$CINDER_PASSWORD" "$NEUTRON_PASSWORD" "$(os_catalog_entries)" | sha256sum | cut -d' ' -f1)"
  [[ -f $stamp && "$(cat "$stamp")" == "$want" ]] && return 0
  log "keystone: creating service users and catalog entries for nova, cinder, neutron (~15s, once)"
  local auth token existing batch name type url iface u
  auth="$(keystone_os_auth admin "$ADMIN_PASSWORD" admin)" || die "keystone: admin cannot get a token"
  token=${auth%% *}
  # Leftovers from an earlier run (e.g. other ports): their ids to delete.
  existing="$(
    { curl -sS --max-time 10 -H "X-Auth-Token: $token" "$KEYSTONE_URL/services"
      echo
      curl -sS --max-time 10 -H "X-Auth-Token: $token" "$KEYSTONE_URL/users"; } |
      /usr/bin/python3 -c '
import json, sys
text, dec, i = sys.stdin.read(), json.JSONDecoder(), 0
while text[i:].strip():
    d, i = dec.raw_decode(text, i + len(text[i:]) - len(text[i:].lstrip()))
    for s in d.get("services", []):
        if s["type"] in ("compute", "volumev3", "network"):
            print("service delete", s["id"])
    for u in d.get("users", []):
        if u["name"] in ("nova", "cinder", "neutron"):
            print("user delete", u["id"])
'
  )" || die "keystone: could not list services and users"
  batch="$existing
project create --domain default --description Services --or-show service"
  for u in nova cinder neutron; do
    batch+="
user create --domain default --password $(os_password_of "$u") $u
role add --project service --project-domain default --user $u --user-domain default admin"
  done
  while read -r name type url; do
    batch+="
service create --name $name $type"
    for iface in public internal admin; do
      batch+="
endpoint create --region RegionOne $type $iface $url"
    done
  done < <(os_catalog_entries)
  local logfile
  logfile="$(logfile_of keystone-catalog)"
  printf '\n==== %s\n' "$(date -Is)" >>"$logfile"
  # Commands on stdin: one CLI start (~1s each otherwise). Passwords go on
  # stdin, not argv. The interactive shell does not fail on a failed command,
  # so the result is checked below.
  env -u OS_CLOUD -u OS_TOKEN -u OS_AUTH_TYPE -u OS_PROJECT_ID \
    OS_AUTH_URL="$KEYSTONE_URL" OS_IDENTITY_API_VERSION=3 \
    OS_USERNAME=admin OS_PASSWORD="$ADMIN_PASSWORD" OS_PROJECT_NAME=admin \
    OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=RegionOne \
    /usr/bin/python3 /usr/bin/openstack <<<"$batch" >>"$logfile" 2>&1 ||
    { tail -n 30 "$logfile" >&2; die "keystone: openstack CLI batch failed; see $logfile"; }
  # Each service user must get a token on project service whose catalog
  # lists the three services.
  for u in nova cinder neutron; do
    auth="$(keystone_os_auth "$u" "$(os_password_of "$u")" service)" ||
      { tail -n 30 "$logfile" >&2; die "keystone: user $u cannot get a token on project service; see $logfile"; }
    [[ ${auth##* } == compute,identity,network,volumev3 ]] ||
      { tail -n 30 "$logfile" >&2; die "keystone: catalog incomplete (${auth##* }); see $logfile"; }
  done
  printf '%s\n' "$want" >"$stamp"
}
