#!/usr/bin/env bash
# Compile-time benchmark of atlex (results: BENCHMARKS.md, "Compile time").
#
#   ATLEX_LEXICONS_DIR=../shared/lexicons bash benches/compile/run.sh
#
# 1. How long `atlex_codegen::expand` (the work of `lexicon!`) takes on the whole lexicon
#    directory: a standalone binary built in release and in debug (the proc macro runs at the
#    dev profile's build-override opt-level, 0 unless the user's Cargo.toml says otherwise), with
#    phases; and a probe proc macro that times it inside rustc, through the proc_macro bridge,
#    and measures what rustc spends parsing the expansion.
# 2. `cargo build` / `cargo check` (dev profile) of a crate holding all the documents through one
#    `lexicon!`, against a crate depending on atrium-api =0.25.8 (default features): (a) clean,
#    dependencies included, each in its own new target dir; (b) the measured crate alone, after
#    `cargo clean -p` (atrium: `cargo clean -p atrium-api`); also with CARGO_INCREMENTAL=0
#    (cargo never compiles a crates.io dependency such as atrium-api incrementally).
# 3. The same for `include = ["com.atproto.server.*", "app.bsky.feed.post"]`.
# 4. Where the all-402 crate's time goes: the expansion written out, served back through a
#    proc macro and compiled with the fn bodies of one kind of generated impl at a time replaced
#    by `loop {}`, and with `#[inline]` on every fn (machine code only for the functions a crate
#    uses).
# 5. A summary table with the ratios (target/compile-bench/summary.md).
#
# Every generated crate lives under target/compile-bench/. Needs cargo, python3 and access to
# crates.io (downloads happen before, not during, the timed builds).
#
# Environment knobs:
#   ITERS=10          expansion runs per profile (medians are reported)
#   PROBE_RUNS=5      rustc runs of the in-rustc probe per configuration
#   VARIANT_RUNS=1    runs per variant in part 4 (the fastest is reported)
#   QUIET_LOAD=1.0    before each measurement, wait until the 1-minute load average is below this
#   QUIET_WAIT=600    ... but at most this many seconds (then measure anyway, and say so)
#   QUIET_BUDGET=5400 ... and at most this many seconds of waiting in all
#   SKIP_CHECK=1      skip the `cargo check` measurements
#   PAIR_ROUNDS=3     rounds of the interleaved head-to-head (part 2')
#   PARTS="expand probe all402 lean include atrium deps pair variants"   what to run (default: all)
#   APPEND=1          add to target/compile-bench/results.tsv instead of starting it anew (to
#                     rerun some PARTS; the summary reads the last value of each figure)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
if [ -z "${ATLEX_LEXICONS_DIR:-}" ]; then
    echo "set ATLEX_LEXICONS_DIR to the official lexicons folder, e.g." >&2
    echo "  ATLEX_LEXICONS_DIR=../shared/lexicons bash benches/compile/run.sh" >&2
    exit 2
fi
LEXICONS=$(cd "$ATLEX_LEXICONS_DIR" && pwd)
# The generated crates sit elsewhere: `${ATLEX_LEXICONS_DIR}` in their lexicon! must be absolute.
export ATLEX_LEXICONS_DIR="$LEXICONS"

ITERS=${ITERS:-10}
PROBE_RUNS=${PROBE_RUNS:-5}
VARIANT_RUNS=${VARIANT_RUNS:-1}
QUIET_LOAD=${QUIET_LOAD:-1.0}
QUIET_WAIT=${QUIET_WAIT:-600}
QUIET_BUDGET=${QUIET_BUDGET:-5400}
PAIR_ROUNDS=${PAIR_ROUNDS:-3}
PARTS=" ${PARTS:-expand probe all402 lean include atrium deps pair variants} "
OUT="$ROOT/target/compile-bench"
RESULTS="$OUT/results.tsv"
LOGS="$OUT/logs"
EXPAND_BIN="$OUT/expand-time/target/release/expand-time"
INCLUDE_TOML='["com.atproto.server.*", "app.bsky.feed.post"]'
INCLUDE_ARGS=("com.atproto.server.*" "app.bsky.feed.post")

command -v python3 >/dev/null || { echo "python3 is needed (for the --timings reports and the summary)" >&2; exit 2; }
mkdir -p "$OUT" "$LOGS" "$OUT/timings"
if [ "${APPEND:-0}" != 1 ]; then : >"$RESULTS"; fi
NOISY=()
WAITED_TOTAL=0

want() { [[ $PARTS == *" $1 "* ]]; }
say() { printf '\n== %s\n' "$*"; }
record() { printf '%s\t%s\t%s\n' "$1" "$2" "${3:-}" >>"$RESULTS"; }
now() { date +%s.%N; }

# wait_quiet LABEL: waits (bounded) for a quiet machine; LOAD = 1-minute load average at the start.
wait_quiet() {
    local waited=0
    LOAD=$(cut -d' ' -f1 /proc/loadavg)
    while awk -v l="$LOAD" -v q="$QUIET_LOAD" 'BEGIN { exit !(l >= q) }'; do
        if [ "$waited" -ge "$QUIET_WAIT" ] || [ "$WAITED_TOTAL" -ge "$QUIET_BUDGET" ]; then
            echo "   load $LOAD still >= $QUIET_LOAD after waiting ${waited}s: measuring anyway"
            NOISY+=("$1 (load $LOAD)")
            return
        fi
        sleep 15
        waited=$((waited + 15))
        WAITED_TOTAL=$((WAITED_TOTAL + 15))
        LOAD=$(cut -d' ' -f1 /proc/loadavg)
    done
    echo "   load $LOAD (waited ${waited}s)"
}

# timed KEY COMMAND...: waits for quiet, runs COMMAND (output to a log), records wall seconds.
timed() {
    local key=$1 st=0 t0 t1 secs
    shift
    if [ "${NO_WAIT:-0}" != 1 ]; then wait_quiet "$key"; fi
    t0=$(now)
    "$@" >"$LOGS/$key.log" 2>&1 || st=$?
    t1=$(now)
    if [ "$st" -ne 0 ]; then
        record "$key" FAILED "$LOAD"
        echo "   $key: FAILED (exit $st), log: $LOGS/$key.log"
        tail -n 40 "$LOGS/$key.log" | sed 's/^/   | /'
        return 1
    fi
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    record "$key" "$secs" "$LOAD"
    echo "   $key: ${secs}s"
}

# keep_results PREFIX FILE: records FILE's `RESULT name value` lines as PREFIX.name, with LOAD;
# prints the other lines.
keep_results() {
    local prefix=$1 file=$2
    grep '^RESULT ' "$file" | while read -r _ name value; do record "$prefix.$name" "$value" "$LOAD"; done
    grep -v '^RESULT ' "$file" | sed 's/^/   /' || true
}

# After a `cargo ... --timings` run: keeps the HTML report and the measured crate's unit times.
keep_timings() {
    local key=$1 target=$2 package=$3 html="$2/cargo-timings/cargo-timing.html"
    [ -f "$html" ] || return 0
    cp "$html" "$OUT/timings/$key.html"
    python3 "$HERE/report.py" timings "$html" "$package" >"$LOGS/$key.timings.txt"
    keep_results "$key" "$LOGS/$key.timings.txt"
}

# cargo_in DIR TARGET_DIR ARGS...: cargo in a generated crate, with its own target dir.
cargo_in() {
    local dir=$1 target=$2
    shift 2
    (cd "$dir" && CARGO_TARGET_DIR="$target" cargo "$@")
}

# The generated crates take the repository's lock file, so they build the same versions.
lock_like_repo() {
    if [ -f "$ROOT/Cargo.lock" ] && [ ! -f "$1/Cargo.lock" ]; then cp "$ROOT/Cargo.lock" "$1/Cargo.lock"; fi
}

# new_crate NAME DEPENDENCY_LINE LIB_RS: a generated crate under target/compile-bench/NAME.
new_crate() {
    local dir="$OUT/$1"
    mkdir -p "$dir/src"
    cat >"$dir/Cargo.toml" <<EOF
[package]
name = "bench-$1"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$2

[workspace]
EOF
    printf '%s\n' "$3" >"$dir/src/lib.rs"
}

machine() {
    say "machine"
    local cpu
    cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
    echo "   nproc: $(nproc); CPU: $cpu; $(rustc -V); $(cargo -V)"
    echo "   lexicons: $LEXICONS ($(find "$LEXICONS" -name '*.json' | wc -l) .json files); load now: $(cut -d' ' -f1-3 /proc/loadavg)"
    record machine.nproc "$(nproc)"
    record machine.cpu "$cpu"
    record machine.rustc "$(rustc -V)"
}

# ---------------------------------------------------------------------------------------------
# 1. Expansion time

build_expand_time() {
    local dir="$OUT/expand-time"
    mkdir -p "$dir"
    cat >"$dir/Cargo.toml" <<EOF
[package]
name = "atlex-expand-time"
version = "0.0.0"
edition = "2021"
publish = false

[[bin]]
name = "expand-time"
path = "$HERE/expand_time.rs"

[dependencies]
atlex-codegen = { path = "$ROOT/macros/codegen" }
proc-macro2 = "1"

[workspace]
EOF
    lock_like_repo "$dir"
    cargo_in "$dir" "$dir/target" build --release -q
    cargo_in "$dir" "$dir/target" build -q
}

expand_standalone() {
    say "1. expand(): standalone binary, $ITERS runs per profile"
    local profile
    for profile in release debug; do
        echo "-- $profile"
        wait_quiet "expand $profile"
        "$OUT/expand-time/target/$profile/expand-time" "$LEXICONS" "$ITERS" "${INCLUDE_ARGS[@]}" \
            >"$LOGS/expand.$profile.log"
        # RESULT expand_<profile>_x -> expand.<profile>.x; RESULT files -> expand.files
        sed -E "s/^RESULT (expand|phase)_${profile}_/RESULT \1.${profile}./" \
            "$LOGS/expand.$profile.log" >"$LOGS/expand.$profile.res"
        grep '^RESULT ' "$LOGS/expand.$profile.res" | while read -r _ name value; do
            case $name in
                expand.* | phase.*) record "$name" "$value" "$LOAD" ;;
                *) record "expand.$name" "$value" "$LOAD" ;;
            esac
        done
        grep -v '^RESULT ' "$LOGS/expand.$profile.log" | sed 's/^/   /'
    done
}

median_of() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The probe: a proc-macro crate (benches/compile/expand_probe.rs) and a crate using it.
make_probe() {
    local dir="$OUT/probe"
    mkdir -p "$dir/macro" "$dir/user/src"
    cat >"$dir/Cargo.toml" <<EOF
[workspace]
members = ["macro", "user"]
resolver = "2"
EOF
    cat >"$dir/macro/Cargo.toml" <<EOF
[package]
name = "probe-macro"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
proc-macro = true
path = "$HERE/expand_probe.rs"

[dependencies]
atlex-codegen = { path = "$ROOT/macros/codegen" }
proc-macro2 = "1"
EOF
    cat >"$dir/user/Cargo.toml" <<EOF
[package]
name = "probe-user"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
probe-macro = { path = "../macro" }
EOF
    [ -f "$dir/user/src/lib.rs" ] || : >"$dir/user/src/lib.rs"
    lock_like_repo "$dir"
}

expand_in_rustc() {
    local dir="$OUT/probe" target="$OUT/probe/target"
    say "1b. expand() inside rustc (probe proc macro), $PROBE_RUNS rustc runs per configuration"
    make_probe
    local opt
    echo 'probe_macro::expand_timed!("${ATLEX_LEXICONS_DIR}", 3);' >"$dir/user/src/lib.rs"
    for opt in 0 3; do
        export CARGO_PROFILE_DEV_BUILD_OVERRIDE_OPT_LEVEL=$opt
        ATLEX_PROBE_OUT=/dev/null cargo_in "$dir" "$target" check -q -p probe-user
        local file="$OUT/probe/opt$opt.txt"
        : >"$file"
        wait_quiet "probe opt$opt"
        for _ in $(seq "$PROBE_RUNS"); do
            touch "$dir/user/src/lib.rs"
            ATLEX_PROBE_OUT="$file" cargo_in "$dir" "$target" check -q -p probe-user
        done
        unset CARGO_PROFILE_DEV_BUILD_OVERRIDE_OPT_LEVEL
        python3 - "$file" <<'EOF' >"$LOGS/probe.opt$opt.res"
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
cold = [float(r[1]) for r in rows if r[0] == "0"]
warm = [float(r[1]) for r in rows if r[0] != "0"]
conv = [float(r[2]) for r in rows]
drop = [float(r[3]) for r in rows if r[0] != "0"]
print(f"first call (cold): median {statistics.median(cold):.1f} ms of {len(cold)}: {', '.join(f'{c:.0f}' for c in cold)}")
print(f"later calls (warm): median {statistics.median(warm):.1f} ms; conversion to proc_macro::TokenStream: median {statistics.median(conv):.2f} ms; dropping a result: {statistics.median(drop):.1f} ms")
print(f"RESULT cold_median_ms {statistics.median(cold):.1f}")
print(f"RESULT warm_median_ms {statistics.median(warm):.1f}")
print(f"RESULT convert_median_ms {statistics.median(conv):.2f}")
print(f"RESULT drop_median_ms {statistics.median(drop):.1f}")
EOF
        echo "-- proc macro at opt-level $opt"
        keep_results "probe.opt$opt" "$LOGS/probe.opt$opt.res"
    done
    # What rustc spends parsing the expansion: `cargo check` when the probe returns nothing,
    # against the expansion returned inside `#[cfg(any())] mod { .. }` (parsed, then dropped).
    local -A med
    local mode
    for mode in empty parse; do
        if [ $mode = empty ]; then
            echo 'probe_macro::expand_timed!("${ATLEX_LEXICONS_DIR}", 1);' >"$dir/user/src/lib.rs"
        else
            echo 'probe_macro::expand_timed!("${ATLEX_LEXICONS_DIR}", 1, parse);' >"$dir/user/src/lib.rs"
        fi
        ATLEX_PROBE_OUT=/dev/null cargo_in "$dir" "$target" check -q -p probe-user
        wait_quiet "probe check $mode"
        local times=() t0 t1
        for _ in $(seq "$PROBE_RUNS"); do
            touch "$dir/user/src/lib.rs"
            t0=$(now)
            ATLEX_PROBE_OUT=/dev/null cargo_in "$dir" "$target" check -q -p probe-user
            t1=$(now)
            times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
        done
        med[$mode]=$(median_of "${times[@]}")
        record "probe.check_${mode}_s" "${med[$mode]}" "$LOAD"
        echo "   cargo check, probe returning $([ $mode = empty ] && echo nothing || echo 'the expansion, cfg-ed out'): median ${med[$mode]}s (${times[*]})"
    done
    local parse
    parse=$(awk -v a="${med[parse]}" -v b="${med[empty]}" 'BEGIN { printf "%.2f", a - b }')
    record probe.parse_s "$parse" "$LOAD"
    echo "   => rustc parsing the expansion: ~${parse}s"
}

# ---------------------------------------------------------------------------------------------
# 2./3. cargo build and check

# alone KEY DIR TARGET PACKAGE SUBCOMMAND [ARGS...]: PACKAGE alone, after `cargo clean -p`.
alone() {
    local key=$1 dir=$2 target=$3 package=$4 sub=$5
    shift 5
    wait_quiet "$key"
    # First rebuild whatever changed meanwhile (if the sources were edited): not part of (b).
    cargo_in "$dir" "$target" "$sub" -q
    cargo_in "$dir" "$target" clean -q -p "$package"
    NO_WAIT=1 timed "$key" cargo_in "$dir" "$target" "$sub" "$@"
}

# measure NAME PACKAGE LOCAL: (a) clean build, (b) PACKAGE alone; for the local (atlex) crates
# also without incremental compilation and a touch + rebuild; (c) the same with cargo check.
measure() {
    local name=$1 package=$2 local_crate=$3 dir="$OUT/$1"
    local tb="$dir/target-build" tc="$dir/target-check"
    say "$name: cargo build"
    (cd "$dir" && cargo fetch -q)
    rm -rf "$tb" "$tc"
    timed "$name.build.full" cargo_in "$dir" "$tb" build --timings || return 0
    keep_timings "$name.build.full" "$tb" "$package"
    alone "$name.build.alone" "$dir" "$tb" "$package" build --timings || return 0
    keep_timings "$name.build.alone" "$tb" "$package"
    if [ "$local_crate" = 1 ]; then
        CARGO_INCREMENTAL=0 alone "$name.build.alone.noincr" "$dir" "$tb" "$package" build || true
        cargo_in "$dir" "$tb" build -q
        touch "$dir/src/lib.rs"
        timed "$name.build.touch" cargo_in "$dir" "$tb" build || true
    fi
    if [ "$name" = all402 ]; then
        # The proc macro optimized: how much of (b) is the macro running unoptimized.
        CARGO_PROFILE_DEV_BUILD_OVERRIDE_OPT_LEVEL=3 alone "$name.build.alone.macro_opt3" "$dir" "$tb" "$package" build || true
    fi
    if [ "${SKIP_CHECK:-0}" != 1 ]; then
        say "$name: cargo check"
        timed "$name.check.full" cargo_in "$dir" "$tc" check --timings || return 0
        keep_timings "$name.check.full" "$tc" "$package"
        alone "$name.check.alone" "$dir" "$tc" "$package" check --timings || return 0
        keep_timings "$name.check.alone" "$tc" "$package"
        if [ "$local_crate" = 1 ]; then
            CARGO_INCREMENTAL=0 alone "$name.check.alone.noincr" "$dir" "$tc" "$package" check || true
        fi
    fi
}

crates() {
    new_crate all402 "atlex = { path = \"$ROOT/runtime\" }" \
        '//! Every lexicon of ATLEX_LEXICONS_DIR through one `lexicon!` (generated by benches/compile/run.sh).
atlex::lexicon!("${ATLEX_LEXICONS_DIR}");'
    lock_like_repo "$OUT/all402"
    new_crate include "atlex = { path = \"$ROOT/runtime\" }" \
        "//! A subset through \`include\` (generated by benches/compile/run.sh).
atlex::lexicon! { path = \"\${ATLEX_LEXICONS_DIR}\", include = $INCLUDE_TOML }"
    lock_like_repo "$OUT/include"
    new_crate atrium 'atrium-api = "=0.25.8"' \
        '//! atrium-api with its default features (generated by benches/compile/run.sh).
pub use atrium_api;'

    new_crate all402-lean "atlex = { path = \"$ROOT/runtime\", default-features = false }" \
        '//! Every lexicon through one `lexicon!`, atlex without its default features (no reqwest client; generated by benches/compile/run.sh).
atlex::lexicon!("${ATLEX_LEXICONS_DIR}");'
    lock_like_repo "$OUT/all402-lean"

    if want all402; then measure all402 bench-all402 1; fi
    if want lean; then
        say "all402-lean: cargo build, clean (atlex without default features)"
        (cd "$OUT/all402-lean" && cargo fetch -q)
        rm -rf "$OUT/all402-lean/target-build"
        timed all402-lean.build.full cargo_in "$OUT/all402-lean" "$OUT/all402-lean/target-build" build --timings || true
        keep_timings all402-lean.build.full "$OUT/all402-lean/target-build" bench-all402-lean
    fi
    if want include; then measure include bench-include 1; fi
    if want atrium; then
        measure atrium atrium-api 0
        # Size of what rustc compiles, for comparison with the expansion's size.
        python3 - "$OUT/atrium" <<'EOF' >"$LOGS/atrium.size.res" || true
import json, os, subprocess, sys
meta = json.loads(subprocess.check_output(
    ["cargo", "metadata", "--format-version", "1", "-q"], cwd=sys.argv[1]))
pkg = next(p for p in meta["packages"] if p["name"] == "atrium-api")
src = os.path.dirname(pkg["manifest_path"])
size = lines = 0
for d, _, files in os.walk(os.path.join(src, "src")):
    for f in files:
        if f.endswith(".rs"):
            p = os.path.join(d, f)
            size += os.path.getsize(p)
            lines += sum(1 for _ in open(p, encoding="utf-8", errors="replace"))
print(f"atrium-api {pkg['version']} sources (before serde's derives expand): {lines} lines, {size // 1024} KiB of .rs")
print(f"RESULT src_kib {size // 1024}")
print(f"RESULT src_lines {lines}")
EOF
        LOAD="" keep_results atrium "$LOGS/atrium.size.res"
    fi
}

# ---------------------------------------------------------------------------------------------
# 2'. Head to head: the crates alone, interleaved, PAIR_ROUNDS times (the fastest of each).

# alone_once KEY DIR PACKAGE: one `cargo build` of PACKAGE alone after `cargo clean -p`; records
# wall and CPU (user+sys) seconds.
alone_once() {
    local key=$1 dir=$2 package=$3 t
    cargo_in "$dir" "$dir/target-build" clean -q -p "$package"
    TIMEFORMAT='%R %U %S'
    t=$({ time cargo_in "$dir" "$dir/target-build" build -q >/dev/null 2>&1; } 2>&1) || return 1
    record "$key.wall" "$(echo "$t" | awk '{print $1}')" "$LOAD"
    record "$key.cpu" "$(echo "$t" | awk '{printf "%.2f", $2 + $3}')" "$LOAD"
}

pair() {
    local round d
    say "2'. head to head, crates alone, $PAIR_ROUNDS interleaved rounds (fastest of each)"
    for d in atrium all402 include; do
        (cd "$OUT/$d" && cargo fetch -q)
        cargo_in "$OUT/$d" "$OUT/$d/target-build" build -q
    done
    for round in $(seq "$PAIR_ROUNDS"); do
        wait_quiet "pair.round$round"
        alone_once "pair.atrium.r$round" "$OUT/atrium" atrium-api
        CARGO_INCREMENTAL=0 alone_once "pair.all402.noincr.r$round" "$OUT/all402" bench-all402
        alone_once "pair.all402.incr.r$round" "$OUT/all402" bench-all402
        CARGO_INCREMENTAL=0 alone_once "pair.include.noincr.r$round" "$OUT/include" bench-include
        alone_once "pair.include.incr.r$round" "$OUT/include" bench-include
        grep "^pair\..*\.r$round\.wall" "$RESULTS" | awk '{printf "   %s %ss\n", $1, $2}'
    done
    python3 - "$RESULTS" <<'EOF'
import collections, re, sys
path = sys.argv[1]
best = collections.defaultdict(dict)
for line in open(path):
    k, v, *_ = line.rstrip("\n").split("\t")
    m = re.match(r"pair\.(.+)\.r\d+\.(wall|cpu)$", k)
    if m and v != "FAILED":
        name, kind = m.groups()
        cur = best[name].get(kind)
        best[name][kind] = min(float(v), cur) if cur is not None else float(v)
with open(path, "a") as out:
    for name, kinds in best.items():
        for kind, v in kinds.items():
            out.write(f"pair.{name}.{kind}\t{v:.2f}\t\n")
EOF
}

# ---------------------------------------------------------------------------------------------
# 4. Where the time goes: stubbed variants of the expansion

variants() {
    local dir="$OUT/variants" target="$OUT/variants/target" spec key
    say "4. the all-402 expansion, one kind of fn body stubbed at a time (CARGO_INCREMENTAL=0)"
    make_probe
    # The variant is served by the probe's include_tokens!, so its tokens carry the call site's
    # span as lexicon!'s do (the same code read as a source file builds much slower in debug).
    new_crate variants "atlex = { path = \"$ROOT/runtime\" }
probe-macro = { path = \"../probe/macro\" }" "#![allow(warnings)]
probe_macro::include_tokens!(\"$dir/expansion.rs\");"
    lock_like_repo "$dir"
    export CARGO_INCREMENTAL=0
    "$EXPAND_BIN" --write "$LEXICONS" "$dir/expansion.rs" none
    cargo_in "$dir" "$target" build -q
    cargo_in "$dir" "$target" check -q
    for spec in none Serialize,Deserialize Validate Debug,Display PartialEq UnionTag all; do
        key="variant.${spec//,/+}"
        "$EXPAND_BIN" --write "$LEXICONS" "$dir/expansion.rs" "$spec"
        record "$key.kib" "$(($(wc -c <"$dir/expansion.rs") / 1024))"
        local run sub
        for sub in check build; do
            for run in $(seq "$VARIANT_RUNS"); do
                touch "$dir/src/lib.rs"
                timed "$key.$sub.run$run" cargo_in "$dir" "$target" "$sub" || true
            done
            # The fastest run: the one least disturbed by anything else on the machine.
            python3 - "$RESULTS" "$key.$sub" <<'EOF'
import sys
path, key = sys.argv[1], sys.argv[2]
runs = [l.rstrip("\n").split("\t") for l in open(path) if l.startswith(key + ".run")]
ok = [r for r in runs if r[1] != "FAILED"]
if ok:
    best = min(ok, key=lambda r: float(r[1]))
    open(path, "a").write(f"{key}\t{best[1]}\t{best[2]}\n")
EOF
        done
    done
    unset CARGO_INCREMENTAL
}

# The dependencies alone: an empty crate over the atlex runtime, with and without its default
# features (reqwest with rustls): how much of (a) no change to the generated code can remove.
deps_only() {
    local name
    say "deps: clean build of an empty crate over atlex"
    new_crate deps-default "atlex = { path = \"$ROOT/runtime\" }" '//! The atlex runtime alone (generated by benches/compile/run.sh).'
    new_crate deps-nodefault "atlex = { path = \"$ROOT/runtime\", default-features = false }" \
        '//! The atlex runtime alone, no default features (generated by benches/compile/run.sh).'
    for name in deps-default deps-nodefault; do
        lock_like_repo "$OUT/$name"
        (cd "$OUT/$name" && cargo fetch -q)
        rm -rf "$OUT/$name/target-build"
        timed "$name.build.full" cargo_in "$OUT/$name" "$OUT/$name/target-build" build --timings || continue
        keep_timings "$name.build.full" "$OUT/$name/target-build" "bench-$name"
    done
}

# A fingerprint of the sources measured: other work on the tree during a run shows up here.
sources_hash() {
    (cd "$ROOT" && find macros runtime syntax -path '*/target' -prune -o -type f \( -name '*.rs' -o -name Cargo.toml \) -print \
        | sort | xargs cat | cksum | cut -d' ' -f1)
}

machine
SOURCES_AT_START=$(sources_hash)
record machine.commit "$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if want expand || want variants; then build_expand_time; fi
if want expand; then expand_standalone; fi
if want probe; then expand_in_rustc; fi
crates
if want deps; then deps_only; fi
if want pair; then pair; fi
if want variants; then variants; fi

say "summary"
python3 "$HERE/report.py" summary "$RESULTS" >"$OUT/summary.md"
if [ -f "$LOGS/expand.release.log" ]; then
    {
        echo
        echo "The all-402 expansion by kind of item (tokens; from logs/expand.release.log):"
        echo
        echo '```'
        sed -n '/^emitted code by kind/,/^RESULT files/p' "$LOGS/expand.release.log" | grep -v '^RESULT'
        echo '```'
    } >>"$OUT/summary.md"
fi
if [ "$(sources_hash)" != "$SOURCES_AT_START" ]; then
    {
        echo
        echo "Warning: the sources of macros/, runtime/ or syntax/ changed during the run: the figures may mix versions."
    } >>"$OUT/summary.md"
fi
if [ "${#NOISY[@]}" -gt 0 ]; then
    {
        echo
        echo "Measured on a busy machine (load >= $QUIET_LOAD after the bounded wait): ${NOISY[*]}"
    } >>"$OUT/summary.md"
fi
cat "$OUT/summary.md"
echo
echo "Raw results: $RESULTS; logs: $LOGS; cargo --timings reports: $OUT/timings/"
