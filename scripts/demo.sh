#!/usr/bin/env bash
# The whole system on this machine: installs what is missing, starts Temporal, Keystone and
# Mailpit, runs the worker, the setpass API and the codec endpoint (the Temporal Web UI decodes
# payloads through it), onboards the sample registration and prints where to look.
#   scripts/demo.sh        start it all (again: what runs is left running)
#   scripts/demo.sh link   print the newest set-password link mailed to the sample user
#   scripts/demo.sh stop   stop everything again
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

app_pid() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }

stop_app() {
  local name
  for name in codec worker api; do
    if pid_alive "$(app_pid "$name")"; then
      log "stopping $name"
      kill "$(cat "$(app_pid "$name")")" 2>/dev/null || true
    fi
    rm -f "$(app_pid "$name")"
  done
}

# The sample registration's address and its onboarding's workflow id.
DEMO_EMAIL=ada.lovelace@example.org
DEMO_WORKFLOW=onboard:$DEMO_EMAIL:analytical-engine

# Mailpit's search for the newest set-password mail (first mail, reminder or new link) to the
# sample user; newest first, so after a resend it finds the new link.
link_query() {
  printf '%s/api/v1/search?query=to:%s%%20subject:password&limit=1' "$KAIZEN_MAILPIT_API" "$DEMO_EMAIL"
}

# Prints the link of that mail, or nothing when there is none yet.
newest_link() {
  local id
  id=$(curl -fsS "$(link_query)" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const m=JSON.parse(s).messages[0];console.log(m?m.ID:"")})')
  [[ -n $id ]] || return 0
  curl -fsS "$KAIZEN_MAILPIT_API/api/v1/message/$id" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const t=JSON.parse(s).Text;const m=/(http\S+token=\S+)/.exec(t);console.log(m?m[1]:"")})'
}

case ${1:-} in
  stop)
    stop_app
    "$ROOT/scripts/services.sh" stop
    exit 0
    ;;
  link)
    # shellcheck source=/dev/null
    source "$STATE_DIR/services.env"
    link=$(newest_link)
    [[ -n $link ]] || die "no set-password mail to $DEMO_EMAIL in Mailpit yet ($(link_query))"
    echo "$link"
    exit 0
    ;;
  "") ;;
  *) die "usage: scripts/demo.sh [link|stop]" ;;
esac

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
# Demo durations: the mailed link stays valid 30 minutes, time enough to open it and set a
# password; meanwhile reminders (same link) arrive after 1, 5 and 20 minutes, and without a
# password the onboarding is abandoned (admins told) after 60. A reminder sent once the link
# has expired mails a new one: set the schedule past it to see that (e.g. "1m, 35m").
# `npm run cli -- resend <workflow id>` mails a new link at any time. Each is overridable here;
# production defaults are reminders after 1d, 3d, 7d, abandon after 14d and 48h links.
export KAIZEN_REMINDER__SCHEDULE="${KAIZEN_REMINDER__SCHEDULE:-1m, 5m, 20m}"
export KAIZEN_REMINDER__ABANDON_AFTER="${KAIZEN_REMINDER__ABANDON_AFTER:-60m}"
export KAIZEN_SETPASS__TOKEN_EXPIRATION="${KAIZEN_SETPASS__TOKEN_EXPIRATION:-30m}"
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
# Listens on KAIZEN_CODEC__LISTEN (services.env: 127.0.0.1:$CODEC_PORT), the endpoint the dev
# server's Web UI was started with; loopback only, so it needs no login.
start_app codec "$CODEC_PORT" node --import tsx codec/server.ts

log "onboarding the sample registration (sample/registration.json)"
node --import tsx cli/main.ts start --json sample/registration.json
log "scheduling the poller of the access and quota spreadsheets and polling once now"
node --import tsx cli/main.ts schedule-poller
node --import tsx cli/main.ts poll-now
# The sample quota request (cores 32, ram 64 GB, network 6) applies within seconds of the poll.
sleep 5
node --import tsx cli/main.ts quotas analytical-engine

setpass_link=$(newest_link)
# The CLI needs the services' environment (Temporal's address, the codec key) and the settings.
cli=". $STATE_DIR/services.env && KAIZEN_SETTINGS=$KAIZEN_SETTINGS npm run cli --"

cat <<INFO

Kaizen onboarding is running.
  Temporal Web UI     $KAIZEN_TEMPORAL_UI  (search: OnboardingStep = "waiting-for-password")
  Codec endpoint      http://127.0.0.1:$CODEC_PORT  (the Web UI shows payloads decoded through it)
  Mail (Mailpit API)  $KAIZEN_MAILPIT_API/api/v1/messages
  Set-password page   ${setpass_link:-see the set-password mail}
                      valid for $KAIZEN_SETPASS__TOKEN_EXPIRATION; PIN of the sample registration: 1842
  Reminders           after $KAIZEN_REMINDER__SCHEDULE (a new link once the $KAIZEN_SETPASS__TOKEN_EXPIRATION link expired);
                      abandoned after $KAIZEN_REMINDER__ABANDON_AFTER
  Access spreadsheet  $KAIZEN_INTAKE__LOCAL_FILE  (type "approved" in the first column of a row;
                      polled every $KAIZEN_INTAKE__POLL_INTERVAL; completed rows move to "Current Users")
  Quota spreadsheet   $KAIZEN_QUOTA_SHEET__LOCAL_FILE  (applied rows move to "Processed Requests")
  Quotas of a project $cli quotas analytical-engine
  Logs                $LOG_DIR/{worker,api,codec}.log
  Status              $cli status $DEMO_WORKFLOW
  Audit               $cli audit $DEMO_EMAIL
                      everything the system did for the sample person, in time order (--json too)
  A fresh link        $cli resend $DEMO_WORKFLOW
                      mails a new link (the old one stops working); then scripts/demo.sh link prints it,
                      from Mailpit's newest set-password mail: curl -s '$(link_query)'
                      (its ID, then $KAIZEN_MAILPIT_API/api/v1/message/ID has the link in "Text")
  Stop everything     scripts/demo.sh stop
INFO
