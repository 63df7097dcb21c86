#!/bin/sh
# As the official image's /etc/temporal/entrypoint.sh: bind to the container's address unless
# BIND_ON_IP says otherwise, then start every service in one process; the server renders its
# configuration from the environment (its built-in template). On the host network set
# BIND_ON_IP=127.0.0.1 (deploy/compose.test.yml does).
set -eu

: "${BIND_ON_IP:=$(getent hosts "$(cat /proc/sys/kernel/hostname)" | awk '{ print $1; exit }')}"
export BIND_ON_IP

# Bound to every address: the other members reach it on the container's own.
if [ "$BIND_ON_IP" = 0.0.0.0 ] || [ "$BIND_ON_IP" = ::0 ]; then
  : "${TEMPORAL_BROADCAST_ADDRESS:=$(getent hosts "$(cat /proc/sys/kernel/hostname)" | awk '{ print $1; exit }')}"
  export TEMPORAL_BROADCAST_ADDRESS
fi

exec temporal-server start
