# shellcheck shell=bash
# Namespace `default` and the search attributes of SEARCH_ATTRIBUTES (lib.sh)
# on the running server, and waiting until the frontend knows them. Sourced
# by scripts/temporal-server.sh.

ensure_namespace() {
  local out
  temporal_cli operator namespace describe --namespace default >/dev/null 2>&1 && return 0
  # Retention: how long closed workflows stay visible; 1 day is plenty.
  out="$(temporal_cli operator namespace create --namespace default --retention 24h 2>&1)" ||
    grep -qi 'already' <<<"$out" ||
    die "$NAME: creating namespace default failed: $out"
  log "$NAME: created namespace default"
  # The frontend's namespace cache learns of a new namespace in a moment
  # (~1-2 s here); until then calls fail with "Namespace default is not found".
  local deadline=$((SECONDS + 60)) t0=$EPOCHREALTIME
  until temporal_cli workflow count --namespace default >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$NAME: namespace default not usable after 60s; see $LOGFILE"
    sleep 0.5
  done
  log "$NAME: namespace default usable after $(since "$t0")s"
}

# Prints NAME=Type of each of SEARCH_ATTRIBUTES not registered with its type.
missing_search_attributes() {
  local list
  list="$(temporal_cli operator search-attribute list --namespace default 2>/dev/null)" ||
    { printf '%s\n' "${SEARCH_ATTRIBUTES[@]}"; return; }
  missing_search_attributes_in "$list"
}

# A visibility query that names every attribute, each compared with a value
# of its type: the frontend accepts it only once its namespace cache knows
# the namespace and the attributes, so starting a workflow with them works
# too (a new attribute is "invalid" for a moment, ~1 s here).
search_attributes_usable() {
  local q="" sa value
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do
    case ${sa#*=} in
      Int | Double) value=0 ;;
      Bool) value=false ;;
      Datetime) value="'2000-01-01T00:00:00Z'" ;;
      *) value="'probe'" ;;
    esac
    q+="${q:+ AND }${sa%%=*} = $value"
  done
  temporal_cli workflow count --namespace default --query "$q" >/dev/null 2>&1
}

ensure_search_attributes() {
  local missing sa out deadline
  missing="$(missing_search_attributes)"
  for sa in $missing; do
    # "already exists" with the right type is a race with another start; with
    # another type it stays missing and the wait below names it.
    out="$(temporal_cli operator search-attribute create --namespace default \
      --name "${sa%%=*}" --type "${sa#*=}" 2>&1)" ||
      grep -qi 'already' <<<"$out" ||
      die "$NAME: creating search attribute ${sa%%=*} (${sa#*=}) failed: $out"
    log "$NAME: registered search attribute ${sa%%=*} (${sa#*=})"
  done
  [[ -z $missing ]] && search_attributes_usable && return 0
  local t0=$EPOCHREALTIME
  deadline=$((SECONDS + 60))
  until missing="$(missing_search_attributes)" && [[ -z $missing ]] && search_attributes_usable; do
    ((SECONDS < deadline)) ||
      die "$NAME: search attributes not usable after 60s (missing or of another type: ${missing//$'\n'/ }); see $LOGFILE"
    sleep 0.5
  done
  log "$NAME: search attributes usable after $(since "$t0")s"
}
