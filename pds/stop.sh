#!/usr/bin/env bash
# Stops the PDS started by start.sh (pid from ATLEX_PDS_PIDFILE, default pds/.pid).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pidfile="${ATLEX_PDS_PIDFILE:-$here/.pid}"

# True when pid $1 is a running server.mjs (guards against a reused pid).
is_server() {
  [[ $1 =~ ^[0-9]+$ && -r /proc/$1/cmdline ]] && tr '\0' ' ' </proc/"$1"/cmdline | grep -q 'server\.mjs'
}

log() { echo "pds/stop.sh: $*" >&2; }

if [[ ! -f $pidfile ]]; then
  log "not running (no $pidfile)"
  exit 0
fi
pid="$(cat "$pidfile")"
if ! is_server "$pid"; then
  log "not running (stale $pidfile)"
  rm -f "$pidfile"
  exit 0
fi

kill -TERM "$pid"
for _ in $(seq 1 40); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
if kill -0 "$pid" 2>/dev/null; then
  log "pid $pid still running after 20s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$pidfile"
log "stopped (pid $pid)"
