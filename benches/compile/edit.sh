#!/usr/bin/env bash
# Build cost as a user feels it: atlex's layouts against atrium-api 0.25.8, side by side in one
# run (results: BENCHMARKS.md, "Build cost as users feel it").
#
#   ATLEX_LEXICONS_DIR=../shared/lexicons bash benches/compile/edit.sh
#
# Layouts (each a new crate or workspace under target/compile-bench/edit/, the repository's
# Cargo.lock, dev profile, atlex with its default features; atrium has its own target dir, the
# atlex layouts share one):
#   atrium    an app (bin) depending on atrium-api =0.25.8 (crates.io)
#   split     a workspace: crate `lexicons` (all the documents through one `lexicon!`, and the
#             README's one-line build script) and the app depending on it: the README's
#             recommended layout
#   include   `lexicon! { path = .., include = ["app.bsky.feed.post", "com.atproto.repo.*"] }`
#             in the app crate (with the same build script)
#   inapp     `lexicon!` of all the documents in the app crate (with the same build script)
# The build script (`cargo:rerun-if-changed` on the lexicon folder) makes cargo watch the folder
# and gives the crate an OUT_DIR, where `lexicon!` keeps its expansion cache.
# Each app's main.rs names a record type. Measured, in ROUNDS interleaved rounds (the fastest of
# each is reported, with the ratio to atrium-api's figure of the same kind):
#   edit      a one-line edit to the app's main.rs (a string literal changes), then `cargo build`;
#             for inapp also with the expansion cache off (ATLEX_EXPANSION_CACHE=0)
#   alone     the whole-set crate alone (`cargo clean -p lexicons`, then `cargo build -p
#             lexicons`), incremental (cargo's default for a local crate) and with
#             CARGO_INCREMENTAL=0; atrium-api alone the same way (crates.io: never incremental)
#   clean     a clean build with dependencies: the split workspace's `lexicons` crate in a new
#             target dir against the atrium app in a new target dir (CLEAN_ROUNDS rounds)
#   features  (not in the default PARTS) one clean build each of an empty crate over atlex with
#             its default features, none, `reqwest` alone and `cbor` alone: what each costs
# The table goes to target/compile-bench/edit/table.md and, with BENCH_WRITE=1, into
# BENCHMARKS.md between the markers `<!-- edit-table -->` and `<!-- /edit-table -->`.
#
# Environment knobs:
#   ROUNDS=3          interleaved rounds of the edit and alone measurements
#   CLEAN_ROUNDS=2    rounds of the clean builds (each is a full build of everything)
#   QUIET_LOAD=1.5    before each round, wait until the 1-minute load average is below this
#   QUIET_WAIT=300    ... but at most this many seconds per round (then measure anyway, and say so)
#   PROFILE_TOML=""   extra lines for every atlex layout's root Cargo.toml (a profile to try),
#                     e.g. $'[profile.dev.package.atlex-codegen]\nopt-level = 3'
#   PARTS="edit alone clean"   what to measure (add `features` for the cost of each feature)
#   BENCH_WRITE=1     write the table into BENCHMARKS.md
#   APPEND=1          keep the figures of the parts not in PARTS from the previous run (to
#                     measure some parts again after a change)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
if [ -z "${ATLEX_LEXICONS_DIR:-}" ]; then
    echo "set ATLEX_LEXICONS_DIR to the official lexicons folder" >&2
    exit 2
fi
LEXICONS=$(cd "$ATLEX_LEXICONS_DIR" && pwd)
ROUNDS=${ROUNDS:-3}
CLEAN_ROUNDS=${CLEAN_ROUNDS:-2}
QUIET_LOAD=${QUIET_LOAD:-1.5}
QUIET_WAIT=${QUIET_WAIT:-300}
PARTS=" ${PARTS:-edit alone clean} "
OUT="$ROOT/target/compile-bench/edit"
RESULTS="$OUT/results.tsv"
LOGS="$OUT/logs"
mkdir -p "$OUT" "$LOGS"
if [ "${APPEND:-0}" = 1 ] && [ -f "$RESULTS" ]; then
    # Keep the other parts' figures; the parts measured now start anew.
    for p in $PARTS; do sed -i "/^$p\./d" "$RESULTS"; done
else
    : >"$RESULTS"
fi
NOISY=()

want() { [[ $PARTS == *" $1 "* ]]; }
now() { date +%s.%N; }
record() { printf '%s\t%s\t%s\n' "$1" "$2" "${LOAD:-}" >>"$RESULTS"; }

ATLEX_PROFILE="${PROFILE_TOML:-}"
ATLEX_TARGET="$OUT/target-atlex"

wait_quiet() {
    local waited=0
    LOAD=$(cut -d' ' -f1 /proc/loadavg)
    while awk -v l="$LOAD" -v q="$QUIET_LOAD" 'BEGIN { exit !(l >= q) }'; do
        if [ "$waited" -ge "$QUIET_WAIT" ]; then
            echo "   load $LOAD still >= $QUIET_LOAD after ${waited}s: measuring anyway"
            NOISY+=("$1 (load $LOAD)")
            return
        fi
        sleep 10
        waited=$((waited + 10))
        LOAD=$(cut -d' ' -f1 /proc/loadavg)
    done
    echo "   load $LOAD (waited ${waited}s)"
}

# target_of DIR: the target dir of a layout (atrium its own, the atlex layouts a shared one: their
# packages have names of their own, as cargo's hash of a workspace member does not depend on
# where the workspace is).
target_of() { case $1 in */atrium) echo "$1/target" ;; *) echo "$ATLEX_TARGET" ;; esac; }

# in_dir DIR [ENV=..] cargo ARGS...: a cargo command in DIR with the layout's target dir (unless
# the command sets CARGO_TARGET_DIR itself).
in_dir() {
    local dir=$1
    shift
    (cd "$dir" && env CARGO_TARGET_DIR="$(target_of "$dir")" "$@")
}

# timed KEY DIR [ENV=..] cargo ARGS...: wall seconds of one cargo command in DIR.
timed() {
    local key=$1 dir=$2 t0 t1 st=0
    shift 2
    t0=$(now)
    in_dir "$dir" "$@" >"$LOGS/$key.log" 2>&1 || st=$?
    t1=$(now)
    if [ "$st" -ne 0 ]; then
        echo "   $key: FAILED, log $LOGS/$key.log"
        tail -n 30 "$LOGS/$key.log" | sed 's/^/   | /'
        record "$key" FAILED
        return 1
    fi
    local secs
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    record "$key" "$secs"
    printf '   %-34s %6ss\n' "$key" "$secs"
}

manifest() { # NAME DEPS [EXTRA]
    cat <<EOF
[package]
name = "$1"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$2
EOF
}

main_rs() { # USE_LINE
    cat <<EOF
//! The app (generated by benches/compile/edit.sh).
$1

fn main() {
    println!("edit 0: {}", std::any::type_name::<Record>());
}
EOF
}

BUILD_RS='fn main() {
    println!("cargo:rerun-if-changed='"$LEXICONS"'");
}'

setup() {
    local d
    # atrium
    d="$OUT/atrium"
    mkdir -p "$d/src"
    { manifest app 'atrium-api = "=0.25.8"'; printf '\n[workspace]\n'; } >"$d/Cargo.toml"
    main_rs 'use atrium_api::app::bsky::feed::post::Record;' >"$d/src/main.rs"
    # split
    d="$OUT/split"
    mkdir -p "$d/lexicons/src" "$d/app/src"
    printf '[workspace]\nmembers = ["lexicons", "app"]\nresolver = "2"\n\n%s\n' "$ATLEX_PROFILE" >"$d/Cargo.toml"
    manifest lexicons "atlex = { path = \"$ROOT/runtime\" }" >"$d/lexicons/Cargo.toml"
    printf '%s\n' "$BUILD_RS" >"$d/lexicons/build.rs"
    printf '//! The lexicons (generated by benches/compile/edit.sh).\natlex::lexicon!("%s");\n' "$LEXICONS" >"$d/lexicons/src/lib.rs"
    manifest app-split "lexicons = { path = \"../lexicons\" }
atlex = { path = \"$ROOT/runtime\" }" >"$d/app/Cargo.toml"
    main_rs 'use lexicons::app::bsky::feed::post::Record;' >"$d/app/src/main.rs"
    # include
    d="$OUT/include"
    mkdir -p "$d/src"
    { manifest app-include "atlex = { path = \"$ROOT/runtime\" }"; printf '\n[workspace]\n\n%s\n' "$ATLEX_PROFILE"; } >"$d/Cargo.toml"
    printf '%s\n' "$BUILD_RS" >"$d/build.rs"
    main_rs "mod lexicons {
    atlex::lexicon! {
        path = \"$LEXICONS\",
        include = [\"app.bsky.feed.post\", \"com.atproto.repo.*\"],
    }
}
use lexicons::app::bsky::feed::post::Record;" >"$d/src/main.rs"
    # inapp
    d="$OUT/inapp"
    mkdir -p "$d/src"
    { manifest app-inapp "atlex = { path = \"$ROOT/runtime\" }"; printf '\n[workspace]\n\n%s\n' "$ATLEX_PROFILE"; } >"$d/Cargo.toml"
    printf '%s\n' "$BUILD_RS" >"$d/build.rs"
    main_rs "mod lexicons {
    atlex::lexicon!(\"$LEXICONS\");
}
use lexicons::app::bsky::feed::post::Record;" >"$d/src/main.rs"
    for d in atrium split include inapp; do
        [ -f "$OUT/$d/Cargo.lock" ] || cp "$ROOT/Cargo.lock" "$OUT/$d/Cargo.lock"
        (cd "$OUT/$d" && cargo fetch -q)
        echo "   building $d"
        in_dir "$OUT/$d" cargo build -q
    done
}

EDIT_N=0
# edit DIR: the one-line edit (the literal in main.rs names a new number).
edit() {
    EDIT_N=$((EDIT_N + 1))
    local f="$1/src/main.rs"
    [ -f "$f" ] || f="$1/app/src/main.rs"
    sed -i -E "s/edit [0-9]+:/edit $EDIT_N:/" "$f"
}

echo "== machine: nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); $(rustc -V)"
echo "== atlex at $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown); lexicons: $(find "$LEXICONS" -name '*.json' | wc -l) documents"
printf '== profile lines of the atlex layouts:\n%s\n' "${ATLEX_PROFILE:-(none)}"
echo "== setup (builds every layout once)"
setup

for round in $(seq "$ROUNDS"); do
    echo "== round $round"
    wait_quiet "round $round"
    if want edit; then
        for d in atrium split include inapp; do
            edit "$OUT/$d"
            timed "edit.$d.r$round" "$OUT/$d" cargo build
        done
        edit "$OUT/inapp"
        timed "edit.inapp-nocache.r$round" "$OUT/inapp" env ATLEX_EXPANSION_CACHE=0 cargo build
    fi
    if want alone; then
        in_dir "$OUT/atrium" cargo clean -q -p atrium-api
        timed "alone.atrium.r$round" "$OUT/atrium" cargo build -p atrium-api
        in_dir "$OUT/split" cargo clean -q -p lexicons
        timed "alone.incr.r$round" "$OUT/split" cargo build -p lexicons
        in_dir "$OUT/split" cargo clean -q -p lexicons
        timed "alone.noincr.r$round" "$OUT/split" env CARGO_INCREMENTAL=0 cargo build -p lexicons
        # Back to the incremental build the edit measurements start from (not timed).
        in_dir "$OUT/split" cargo build -q
    fi
done
if want clean; then
    for round in $(seq "$CLEAN_ROUNDS"); do
        echo "== clean builds, round $round"
        wait_quiet "clean round $round"
        rm -rf "$OUT/atrium/target-clean" "$OUT/split/target-clean"
        timed "clean.atrium.r$round" "$OUT/atrium" env CARGO_TARGET_DIR="$OUT/atrium/target-clean" cargo build
        wait_quiet "clean round $round (atlex)"
        timed "clean.atlex.r$round" "$OUT/split" env CARGO_TARGET_DIR="$OUT/split/target-clean" cargo build -p lexicons
        rm -rf "$OUT/atrium/target-clean" "$OUT/split/target-clean"
    done
fi
if want features; then
    echo "== features: clean builds of an empty crate over atlex"
    for f in default none reqwest cbor; do
        d="$OUT/features-$f"
        mkdir -p "$d/src"
        case $f in
            default) dep="atlex = { path = \"$ROOT/runtime\" }" ;;
            none) dep="atlex = { path = \"$ROOT/runtime\", default-features = false }" ;;
            *) dep="atlex = { path = \"$ROOT/runtime\", default-features = false, features = [\"$f\"] }" ;;
        esac
        { manifest "features-$f" "$dep"; printf '\n[workspace]\n'; } >"$d/Cargo.toml"
        echo '//! atlex alone (generated by benches/compile/edit.sh).' >"$d/src/lib.rs"
        cp "$ROOT/Cargo.lock" "$d/Cargo.lock"
        (cd "$d" && cargo fetch -q)
        wait_quiet "features $f"
        rm -rf "$d/target-clean"
        timed "features.$f.r1" "$d" env CARGO_TARGET_DIR="$d/target-clean" cargo build
        rm -rf "$d/target-clean"
    done
fi

python3 - "$RESULTS" "$OUT/table.md" "$ROUNDS" "$CLEAN_ROUNDS" "${NOISY[*]:-}" <<'EOF'
import collections, re, sys
path, out, rounds, clean_rounds, noisy = sys.argv[1:6]
runs = collections.defaultdict(list)
for line in open(path):
    k, v, *_ = line.rstrip("\n").split("\t")
    m = re.match(r"(.+)\.r\d+$", k)
    if m and v != "FAILED":
        runs[m.group(1)].append(float(v))
best = {k: min(v) for k, v in runs.items()}
def row(label, key, base, target):
    if key not in best:
        return f"| {label} | n/a | | {target} |"
    v = best[key]
    all_ = ", ".join(f"{x:.2f}" for x in runs[key])
    if base in best and base != key:
        ratio = v / best[base]
        lim = re.search(r"([0-9.]+)x", target)
        verdict = ""
        if lim:
            verdict = " **met**" if ratio <= float(lim.group(1)) + 1e-9 else " **not met**"
        return f"| {label} | {v:.2f} s ({all_}) | **{ratio:.2f}x** | {target}{verdict} |"
    return f"| {label} | {v:.2f} s ({all_}) | 1x | |"
lines = [
    f"| the user's layout (dev profile) | fastest of rounds (each round) | vs atrium-api | target |",
    "|---|---:|---:|---|",
    row("atrium-api 0.25.8 as a dependency: rebuild after a one-line edit to main.rs", "edit.atrium", "edit.atrium", ""),
    row("separate lexicon crate (all 402), the app depending on it: rebuild after the edit", "edit.split", "edit.atrium", "<= 1.2x"),
    row("`lexicon!` with `include` in the app crate: rebuild after the edit", "edit.include", "edit.atrium", "<= 1.5x"),
    row("`lexicon!` of all 402 in the app crate: rebuild after the edit", "edit.inapp", "edit.atrium", "<= 3x"),
    row("the same, expansion cache off (`ATLEX_EXPANSION_CACHE=0`)", "edit.inapp-nocache", "edit.atrium", ""),
    row("atrium-api alone (`cargo clean -p atrium-api`, build; never incremental)", "alone.atrium", "alone.atrium", ""),
    row("whole-set crate alone, incremental", "alone.incr", "alone.atrium", "<= 0.5x"),
    row("whole-set crate alone, `CARGO_INCREMENTAL=0`", "alone.noincr", "alone.atrium", "<= 0.4x"),
    row("atrium-api app: clean build with dependencies", "clean.atrium", "clean.atrium", ""),
    row("whole-set crate: clean build with dependencies (default features)", "clean.atlex", "clean.atrium", "<= 1.0x"),
]
if any(k.startswith("features.") for k in best):
    lines += [
        "",
        "| an empty crate over atlex, clean build (one run each) | wall | vs atrium-api app clean |",
        "|---|---:|---:|",
    ]
    for f, label in [("default", "default features (`reqwest`, `cbor`)"), ("none", "`default-features = false`"), ("reqwest", "`reqwest` alone"), ("cbor", "`cbor` alone")]:
        k = f"features.{f}"
        if k in best:
            r = f"{best[k] / best['clean.atrium']:.2f}x" if "clean.atrium" in best else ""
            lines.append(f"| {label} | {best[k]:.2f} s | {r} |")
text = "\n".join(lines) + "\n"
text += f"\nRounds: {rounds} interleaved (edit, alone), {clean_rounds} (clean).\n"
if noisy:
    text += f"\nMeasured on a busy machine: {noisy}\n"
open(out, "w").write(text)
print(text)
EOF

if [ "${BENCH_WRITE:-0}" = 1 ]; then
    python3 - "$ROOT/BENCHMARKS.md" "$OUT/table.md" <<'EOF'
import sys
md, table = sys.argv[1], open(sys.argv[2]).read()
text = open(md).read()
a, b = "<!-- edit-table -->", "<!-- /edit-table -->"
if a in text and b in text:
    i, j = text.index(a) + len(a), text.index(b)
    text = text[:i] + "\n" + table + text[j:]
    open(md, "w").write(text)
    print("BENCHMARKS.md updated")
else:
    print("BENCHMARKS.md has no edit-table markers: table not written", file=sys.stderr)
EOF
fi
echo "raw results: $RESULTS; logs: $LOGS"
