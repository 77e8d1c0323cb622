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
#   bot       (not in the default PARTS) the same small bot twice (benches/compile/bot/): on
#             atlex with the official lexicons crate (`atlex-lexicons`, a path dependency on
#             lexicons/, default features) and on atrium-api =0.25.8 with atrium-xrpc-client
#             =0.5.15 over reqwest (rustls, as atlex's client); it logs in, posts with a link
#             facet, likes, follows, lists with a cursor and deletes. A one-line edit to its
#             main.rs, then `cargo build`, in the edit part's rounds
#   features  (not in the default PARTS) one clean build each of an empty crate over atlex with
#             its default features, none, `reqwest` alone, `cbor` alone, and each of `crypto`,
#             `identity`, `auth`, `stream`, `server` both alone (`default-features = false`)
#             and on top of the defaults: what each costs (wall and CPU time)
#   tree      (with `features`, or alone: no build) `cargo tree -e normal` of the empty crates
#             over atlex: which of the crates that only `crypto`, `identity`, `auth`, `stream`
#             and `server` bring each holds (none without those features)
#   namespaces (not in the default PARTS) a clean build with dependencies of an empty crate over
#             atlex-lexicons with `default-features = false` and one namespace feature
#             (`com.atproto`, `app.bsky`, `chat.bsky`, `tools.ozone`), and with all of them,
#             each in a new target dir and with CARGO_INCREMENTAL=0 (cargo never compiles a
#             crates.io dependency incrementally); then `cargo clean -p atlex-lexicons` and
#             the crate alone again (wall and CPU time)
# The table goes to target/compile-bench/edit/table.md and, with BENCH_WRITE=1, into
# BENCHMARKS.md between the markers `<!-- edit-table -->` and `<!-- /edit-table -->`. A row
# whose part was not measured (and not kept by APPEND=1) keeps its figures from the table
# BENCHMARKS.md has, marked as such.
#
# Environment knobs:
#   ROUNDS=3          interleaved rounds of the edit and alone measurements
#   CLEAN_ROUNDS=2    rounds of the clean builds (each is a full build of everything)
#   QUIET_LOAD=1.5    before each round, wait until the 1-minute load average is below this
#   QUIET_WAIT=300    ... but at most this many seconds per round (then measure anyway, and say so)
#   PROFILE_TOML=""   extra lines for every atlex layout's root Cargo.toml (a profile to try),
#                     e.g. $'[profile.dev.package.atlex-codegen]\nopt-level = 3'
#   PARTS="edit alone clean"   what to measure (add `bot`, `features`, `tree`, `namespaces`)
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
# record KEY SECONDS [CPU]: a line of the results: key, wall seconds, the load before, and the
# CPU seconds (user + system) of the command and its children.
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "${LOAD:-}" "${3:-}" >>"$RESULTS"; }

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
# The bot on atrium-api shares the atrium app's target dir.
target_of() { case $1 in */atrium | */bot-atrium) echo "$OUT/atrium/target" ;; *) echo "$ATLEX_TARGET" ;; esac; }

# in_dir DIR [ENV=..] cargo ARGS...: a cargo command in DIR with the layout's target dir (unless
# the command sets CARGO_TARGET_DIR itself).
in_dir() {
    local dir=$1
    shift
    (cd "$dir" && env CARGO_TARGET_DIR="$(target_of "$dir")" "$@")
}

# timed KEY DIR [ENV=..] cargo ARGS...: wall seconds of one cargo command in DIR (and its CPU
# seconds, which other work on the machine disturbs less).
timed() {
    local key=$1 dir=$2 t0 t1 st=0 cpu
    shift 2
    t0=$(now)
    local TIMEFORMAT='%U %S'
    { time in_dir "$dir" "$@" >"$LOGS/$key.log" 2>&1; } 2>"$LOGS/$key.cpu" || st=$?
    t1=$(now)
    cpu=$(awk 'NF == 2 { printf "%.2f", $1 + $2 }' "$LOGS/$key.cpu")
    if [ "$st" -ne 0 ]; then
        echo "   $key: FAILED, log $LOGS/$key.log"
        tail -n 30 "$LOGS/$key.log" | sed 's/^/   | /'
        record "$key" FAILED
        return 1
    fi
    local secs
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    record "$key" "$secs" "$cpu"
    printf '   %-34s %6ss  (CPU %ss)\n' "$key" "$secs" "$cpu"
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
    for d in atrium split include inapp; do prepare "$OUT/$d"; done
}

# prepare DIR: the repository's Cargo.lock (on the first run), the sources, one build.
prepare() {
    [ -f "$1/Cargo.lock" ] || cp "$ROOT/Cargo.lock" "$1/Cargo.lock"
    (cd "$1" && cargo fetch -q)
    echo "   building ${1##*/}"
    in_dir "$1" cargo build -q
}

# The bot, twice: benches/compile/bot/atrium.rs and atlex.rs as the main.rs of a bin crate.
setup_bot() {
    local d
    d="$OUT/bot-atrium"
    mkdir -p "$d/src"
    { manifest bot-atrium 'atrium-api = "=0.25.8"
atrium-xrpc-client = { version = "=0.5.15", default-features = false, features = ["reqwest"] }
reqwest = { version = "0.12", default-features = false, features = ["rustls-tls"] }
tokio = { version = "1", features = ["rt", "macros"] }'; printf '\n[workspace]\n'; } >"$d/Cargo.toml"
    cp "$HERE/bot/atrium.rs" "$d/src/main.rs"
    d="$OUT/bot-atlex"
    mkdir -p "$d/src"
    { manifest bot-atlex "atlex = { path = \"$ROOT/runtime\" }
atlex-lexicons = { path = \"$ROOT/lexicons\" }
tokio = { version = \"1\", features = [\"rt\", \"macros\"] }"; printf '\n[workspace]\n\n%s\n' "$ATLEX_PROFILE"; } >"$d/Cargo.toml"
    cp "$HERE/bot/atlex.rs" "$d/src/main.rs"
    for d in bot-atrium bot-atlex; do prepare "$OUT/$d"; done
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
echo "== setup (builds every layout of the parts measured once)"
if want edit || want alone; then setup; fi
if want bot; then setup_bot; fi

for round in $(seq "$ROUNDS"); do
    want edit || want alone || want bot || break
    echo "== round $round"
    wait_quiet "round $round"
    if want bot; then
        for d in bot-atrium bot-atlex; do
            edit "$OUT/$d"
            timed "bot.${d#bot-}.r$round" "$OUT/$d" cargo build
        done
    fi
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
# Crates that only the key, identity, auth, stream and server features bring: a user without
# those features must compile none of them.
FEATURE_ONLY='k256|p256|ecdsa|elliptic-curve|primeorder|crypto-bigint|rand_core|hickory-.*|jsonwebtoken|tokio-tungstenite|tungstenite|axum|axum-core|matchit'

# empty_crate NAME DEPS: a library crate with nothing in it but its dependencies.
empty_crate() {
    local d="$OUT/$1"
    mkdir -p "$d/src"
    { manifest "$(tr "+." "--" <<<"$1")" "$2"; printf '\n[workspace]\n'; } >"$d/Cargo.toml"
    echo '//! Dependencies alone (generated by benches/compile/edit.sh).' >"$d/src/lib.rs"
    cp "$ROOT/Cargo.lock" "$d/Cargo.lock"
    (cd "$d" && cargo fetch -q)
}

FEATURE_SETS="default none reqwest cbor crypto identity auth stream server"
FEATURE_SETS="$FEATURE_SETS default+crypto default+identity default+auth default+stream default+server"
# feature_dep SET: the dependency line of the empty crate over atlex with that feature set.
feature_dep() {
    case $1 in
        default) echo "atlex = { path = \"$ROOT/runtime\" }" ;;
        none) echo "atlex = { path = \"$ROOT/runtime\", default-features = false }" ;;
        default+*) echo "atlex = { path = \"$ROOT/runtime\", features = [\"${1#default+}\"] }" ;;
        *) echo "atlex = { path = \"$ROOT/runtime\", default-features = false, features = [\"$1\"] }" ;;
    esac
}

if want tree || want features; then
    # Which of the feature-only crates each feature set's crate compiles (`cargo tree`, no
    # build): none for the JSON half (no default features, `reqwest` alone) and the defaults,
    # and those of the feature for each new feature alone (which shows the check finds them).
    echo "== tree: the feature-only crates in each crate's normal dependencies"
    for f in none reqwest default crypto identity auth stream server; do
        empty_crate "features-$f" "$(feature_dep "$f")"
        deps=$(cd "$OUT/features-$f" && cargo tree -q -e normal --prefix none | sed 's/ .*//' | sort -u)
        found=$(grep -E -x "$FEATURE_ONLY" <<<"$deps" | tr '\n' ' ' | sed 's/ $//' || true)
        n=$(wc -l <<<"$deps")
        echo "   features-$f: $n crates; of the feature-only ones: ${found:-none}"
        printf 'tree.%s\t%s crates; %s\n' "$f" "$n" "${found:-none}" >>"$RESULTS"
    done
fi
if want features; then
    echo "== features: clean builds of an empty crate over atlex"
    for f in $FEATURE_SETS; do
        d="$OUT/features-$f"
        empty_crate "features-$f" "$(feature_dep "$f")"
        wait_quiet "features $f"
        rm -rf "$d/target-clean"
        timed "features.$f.r1" "$d" env CARGO_TARGET_DIR="$d/target-clean" cargo build || true
        rm -rf "$d/target-clean"
    done
fi
if want namespaces; then
    echo "== namespaces: clean builds of an empty crate over atlex-lexicons, one namespace each"
    for ns in com.atproto app.bsky chat.bsky tools.ozone all; do
        if [ "$ns" = all ]; then
            feats=$(sed -n '/^\[features\]/,/^\[/p' "$ROOT/lexicons/Cargo.toml" |
                grep -o -E '^"[a-z.]+"' | grep -v -x '"default"' | paste -sd, -)
        else
            feats="\"$ns\""
        fi
        d="$OUT/namespaces-$ns"
        empty_crate "namespaces-$ns" "atlex-lexicons = { path = \"$ROOT/lexicons\", default-features = false, features = [$feats] }"
        wait_quiet "namespaces $ns"
        rm -rf "$d/target-clean"
        timed "namespaces.$ns.r1" "$d" env CARGO_TARGET_DIR="$d/target-clean" CARGO_INCREMENTAL=0 cargo build || true
        in_dir "$d" env CARGO_TARGET_DIR="$d/target-clean" cargo clean -q -p atlex-lexicons
        timed "namespaces.alone.$ns.r1" "$d" env CARGO_TARGET_DIR="$d/target-clean" CARGO_INCREMENTAL=0 cargo build || true
        rm -rf "$d/target-clean"
    done
fi

python3 - "$RESULTS" "$OUT/table.md" "$ROUNDS" "$CLEAN_ROUNDS" "${NOISY[*]:-}" "$ROOT/BENCHMARKS.md" <<'EOF'
import collections, re, sys
path, out, rounds, clean_rounds, noisy, md = sys.argv[1:7]
runs = collections.defaultdict(list)
cpus = collections.defaultdict(list)
notes = {}
for line in open(path):
    k, v, *rest = line.rstrip("\n").split("\t")
    m = re.match(r"(.+)\.r\d+$", k)
    if m and v != "FAILED":
        runs[m.group(1)].append(float(v))
        if len(rest) > 1 and rest[1]:
            cpus[m.group(1)].append(float(rest[1]))
    elif not m:
        notes[k] = v
best = {k: min(v) for k, v in runs.items()}
cpu = {k: min(v) for k, v in cpus.items()}

# The rows of the table BENCHMARKS.md has, by label: a row not measured now keeps them.
old = {}
try:
    text = open(md).read()
    a, b = "<!-- edit-table -->", "<!-- /edit-table -->"
    for line in text[text.index(a) + len(a):text.index(b)].splitlines():
        cells = line.split(" | ")
        if line.startswith("| ") and len(cells) > 1:
            old[cells[0][2:].removesuffix(" †")] = line
except (OSError, ValueError):
    pass
kept = []
def keep(label, fallback):
    if label in old:
        kept.append(label)
        cells = old[label].split(" | ")
        return " | ".join([cells[0].removesuffix(" †") + " †"] + cells[1:])
    return fallback

def row(label, key, base, target):
    if key not in best:
        return keep(label, f"| {label} | n/a | | {target} |")
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
    row("the bot on atrium-api 0.25.8 and atrium-xrpc-client 0.5.15: rebuild after a one-line edit to main.rs", "bot.atrium", "bot.atrium", ""),
    row("the same bot on atlex and `atlex-lexicons` (default features): rebuild after the edit", "bot.atlex", "bot.atrium", "<= 1.2x"),
    row("atrium-api alone (`cargo clean -p atrium-api`, build; never incremental)", "alone.atrium", "alone.atrium", ""),
    row("whole-set crate alone, incremental", "alone.incr", "alone.atrium", "<= 0.5x"),
    row("whole-set crate alone, `CARGO_INCREMENTAL=0`", "alone.noincr", "alone.atrium", "<= 0.4x"),
    row("atrium-api app: clean build with dependencies", "clean.atrium", "clean.atrium", ""),
    row("whole-set crate: clean build with dependencies (default features)", "clean.atlex", "clean.atrium", "<= 1.0x"),
]

FEATURES = [
    ("default", "default features (`reqwest`, `cbor`)", None),
    ("none", "`default-features = false`", None),
    ("reqwest", "`reqwest` alone", "none"),
    ("cbor", "`cbor` alone", "none"),
    ("crypto", "`crypto` alone", "none"),
    ("identity", "`identity` alone (brings `crypto`)", "none"),
    ("auth", "`auth` alone (brings `identity`)", "none"),
    ("stream", "`stream` alone (brings `cbor`)", "none"),
    ("server", "`server` alone", "none"),
    ("default+crypto", "default features and `crypto`", "default"),
    ("default+identity", "default features and `identity`", "default"),
    ("default+auth", "default features and `auth`", "default"),
    ("default+stream", "default features and `stream`", "default"),
    ("default+server", "default features and `server`", "default"),
]
BASES = {"none": "`default-features = false`", "default": "the default features"}
if any(k.startswith("features.") for k in best) or any(f[1] in old for f in FEATURES):
    lines += [
        "",
        "| an empty crate over atlex, clean build (one run each) | wall | CPU (user + system) | what the feature adds, CPU |",
        "|---|---:|---:|---:|",
    ]
    for f, label, base in FEATURES:
        k = f"features.{f}"
        if k not in best:
            if label in old:
                lines.append(keep(label, ""))
            continue
        added = ""
        if base and k in cpu and f"features.{base}" in cpu:
            added = f"{cpu[k] - cpu[f'features.{base}']:+.1f} s over {BASES[base]}"
        c = f"{cpu[k]:.1f} s" if k in cpu else ""
        lines.append(f"| {label} | {best[k]:.2f} s | {c} | {added} |")
TREES = [("none", "`default-features = false`"), ("reqwest", "`reqwest` alone"), ("default", "the default features"),
         ("crypto", "`crypto` alone"), ("identity", "`identity` alone"), ("auth", "`auth` alone"), ("stream", "`stream` alone"), ("server", "`server` alone")]
if any(f"tree.{f}" in notes for f, _ in TREES):
    lines += [
        "",
        "| `cargo tree -e normal` of the empty crate over atlex with | its crates; those of them that only the key, identity, auth, stream and server features bring |",
        "|---|---|",
    ]
    lines += [f"| {label} | {notes[f'tree.{f}']} |" for f, label in TREES if f"tree.{f}" in notes]

NAMESPACES = [
    ("com.atproto", "`com.atproto`"),
    ("app.bsky", "`app.bsky` (brings `com.atproto`)"),
    ("chat.bsky", "`chat.bsky` (brings `app.bsky`)"),
    ("tools.ozone", "`tools.ozone` (brings `chat.bsky`)"),
    ("all", "every feature"),
]
if any(k.startswith("namespaces.") for k in best) or any(n[1] in old for n in NAMESPACES):
    lines += [
        "",
        "| atlex-lexicons, `default-features = false` and (one run each, `CARGO_INCREMENTAL=0`) | clean build with dependencies: wall (CPU) | the crate alone: wall (CPU) |",
        "|---|---:|---:|",
    ]
    for ns, label in NAMESPACES:
        k, a = f"namespaces.{ns}", f"namespaces.alone.{ns}"
        if k not in best and a not in best:
            if label in old:
                lines.append(keep(label, ""))
            continue
        cell = lambda key: (f"{best[key]:.2f} s" + (f" ({cpu[key]:.1f} s)" if key in cpu else "")) if key in best else "n/a"
        lines.append(f"| {label} | {cell(k)} | {cell(a)} |")

text = "\n".join(lines) + "\n"
text += f"\nRounds: {rounds} interleaved (edit, bot, alone), {clean_rounds} (clean).\n"
if kept:
    text += "\n† Not measured in this run: the figures of the previous run, as this table had them.\n"
if noisy:
    text += f"\nMeasured on a busy machine (1-minute load above the threshold when measuring): {noisy}\n"
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
