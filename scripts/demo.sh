#!/usr/bin/env bash
# The whole system on this machine: installs what is missing, starts Temporal, Keystone and
# Mailpit, runs the worker and the setpass API, onboards the sample registration and prints
# where to look. `scripts/demo.sh stop` stops everything again.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

app_pid() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }

stop_app() {
  local name
  for name in worker api; do
    if pid_alive "$(app_pid "$name")"; then
      log "stopping $name"
      kill "$(cat "$(app_pid "$name")")" 2>/dev/null || true
    fi
    rm -f "$(app_pid "$name")"
  done
}

if [[ ${1:-} == stop ]]; then
  stop_app
  "$ROOT/scripts/services.sh" stop
  exit 0
fi

"$ROOT/scripts/install.sh"
"$ROOT/scripts/services.sh" start
# shellcheck source=/dev/null
source "$STATE_DIR/services.env"
if [[ -z ${KAIZEN_SETTINGS:-} ]]; then
  if [[ -f settings.ini ]]; then
    export KAIZEN_SETTINGS=settings.ini
  else
    export KAIZEN_SETTINGS=example_settings.ini
  fi
fi
log "settings: $KAIZEN_SETTINGS (plus the local services' values from $STATE_DIR/services.env)"
# The mailed links and the reset address point at the local API.
export KAIZEN_SETPASS__SETPASS_URL="${KAIZEN_SETPASS__SETPASS_URL:-http://127.0.0.1:5001/}"
export KAIZEN_SETPASS__DATABASE="${KAIZEN_SETPASS__DATABASE:-$STATE_DIR/setpass.sqlite}"
export KAIZEN_INTAKE__LOCAL_FILE="${KAIZEN_INTAKE__LOCAL_FILE:-$STATE_DIR/registrations.xlsx}"
export KAIZEN_INTAKE__POLL_INTERVAL="${KAIZEN_INTAKE__POLL_INTERVAL:-1m}"
# Short durations, so the demo shows a reminder (1 min) and a renewed link (3 min, after the
# 2-minute link expired) while you watch; production defaults are 1d, 3d, 7d and 48h links.
export KAIZEN_REMINDER__SCHEDULE="${KAIZEN_REMINDER__SCHEDULE:-1m, 3m, 5m}"
export KAIZEN_REMINDER__ABANDON_AFTER="${KAIZEN_REMINDER__ABANDON_AFTER:-10m}"
export KAIZEN_SETPASS__TOKEN_EXPIRATION="${KAIZEN_SETPASS__TOKEN_EXPIRATION:-2m}"
export KAIZEN_QUOTA_SHEET__LOCAL_FILE="${KAIZEN_QUOTA_SHEET__LOCAL_FILE:-$STATE_DIR/quota-requests.xlsx}"
node --import tsx scripts/sample-spreadsheet.ts "$KAIZEN_INTAKE__LOCAL_FILE" "$KAIZEN_QUOTA_SHEET__LOCAL_FILE"

start_app() {
  local name=$1 port=$2
  shift 2
  if pid_alive "$(app_pid "$name")"; then
    log "$name already running"
    return
  fi
  log "starting $name (log: $LOG_DIR/$name.log)"
  nohup "$@" >>"$LOG_DIR/$name.log" 2>&1 &
  echo $! >"$(app_pid "$name")"
  if [[ -n $port ]]; then wait_for_port 127.0.0.1 "$port" 60 "$name"; fi
}
start_app api 5001 node --import tsx api/server.ts
start_app worker "" node --import tsx worker.ts

log "onboarding the sample registration (sample/registration.json)"
node --import tsx cli/main.ts start --json sample/registration.json
log "scheduling the poller of the access and quota spreadsheets and polling once now"
node --import tsx cli/main.ts schedule-poller
node --import tsx cli/main.ts poll-now
# The sample quota request (cores 32, ram 64 GB, network 6) applies within seconds of the poll.
sleep 5
node --import tsx cli/main.ts quotas analytical-engine

link=$(curl -fsS "$KAIZEN_MAILPIT_API/api/v1/search?query=to:ada.lovelace@example.org%20subject:password&limit=1" |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const m=JSON.parse(s).messages[0];console.log(m?m.ID:"")})')
setpass_link=""
if [[ -n $link ]]; then
  setpass_link=$(curl -fsS "$KAIZEN_MAILPIT_API/api/v1/message/$link" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const t=JSON.parse(s).Text;const m=/(http\S+token=\S+)/.exec(t);console.log(m?m[1]:"")})')
fi

cat <<INFO

Kaizen onboarding is running.
  Temporal Web UI     $KAIZEN_TEMPORAL_UI  (search: OnboardingStep = "waiting-for-password")
  Mail (Mailpit API)  $KAIZEN_MAILPIT_API/api/v1/messages
  Set-password page   ${setpass_link:-see the set-password mail}
                      PIN of the sample registration: 1842
  Reminders           after $KAIZEN_REMINDER__SCHEDULE (a new link once the $KAIZEN_SETPASS__TOKEN_EXPIRATION link expired);
                      abandoned after $KAIZEN_REMINDER__ABANDON_AFTER
  Access spreadsheet  $KAIZEN_INTAKE__LOCAL_FILE  (type "approved" in the first column of a row;
                      polled every $KAIZEN_INTAKE__POLL_INTERVAL; completed rows move to "Current Users")
  Quota spreadsheet   $KAIZEN_QUOTA_SHEET__LOCAL_FILE  (applied rows move to "Processed Requests")
  Quotas of a project npm run cli -- quotas analytical-engine
  Logs                $LOG_DIR/{worker,api}.log
  Status              KAIZEN_SETTINGS=$KAIZEN_SETTINGS npm run cli -- status onboard:ada.lovelace@example.org:analytical-engine
  Stop everything     scripts/demo.sh stop
INFO
