#!/usr/bin/env bash
# Makes sure a Redis server answers on 127.0.0.1:6379 (the Celery broker of the deployment test and
# `make worker`): starts one in the background when none answers, installs Debian's redis-server when
# there is none. It keeps nothing on disk: the broker holds only runs in flight.
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
ready() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
ready && exit 0
if ! command -v redis-server >/dev/null; then
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no >/dev/null
for _ in $(seq 1 30); do ready && break; sleep 0.5; done
ready || { echo "Redis did not start on 127.0.0.1:6379" >&2; exit 1; }
