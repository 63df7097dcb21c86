# shellcheck shell=bash
# Helpers the parts of scripts/temporal-server.sh share. Sourced by it;
# defines functions only.

# since T0: seconds (0.1 s precision) since T0, a copy of $EPOCHREALTIME.
since() {
  local now=${EPOCHREALTIME/,/.} t0=${1/,/.}
  awk -v a="$t0" -v b="$now" 'BEGIN { printf "%.1f", b - a }'
}

# Flags after the subcommand: cobra cannot tell a flag's value from a
# subcommand name when global flags come first.
temporal_cli() {
  "$TEMPORAL_BIN" "$@" --address "$ADDRESS" --command-timeout 10s
}
