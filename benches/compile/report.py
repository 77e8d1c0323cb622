#!/usr/bin/env python3
"""Helpers of benches/compile/run.sh.

  report.py timings <cargo-timing.html> <package>   per-unit times of one `cargo --timings` run
  report.py summary <results.tsv>                   the summary table and ratios (Markdown)

results.tsv lines: key <TAB> value <TAB> load (1-minute load average when the measurement began).
"""

import json
import sys


def units(path):
    html = open(path, encoding="utf-8").read()
    start = html.index("const UNIT_DATA = ") + len("const UNIT_DATA = ")
    end = html.index("];", start) + 1
    return json.loads(html[start:end])


def timings(path, package):
    data = units(path)
    wall = max((u["start"] + u["duration"] for u in data), default=0.0)
    total = sum(u["duration"] for u in data)
    mine = [u for u in data if u["name"] == package and "build-script" not in u["target"]]
    print(f"RESULT wall_s {wall:.2f}")
    print(f"RESULT units {len(data)}")
    print(f"RESULT unit_sum_s {total:.2f}")
    if mine:
        u = mine[-1]
        print(f"RESULT crate_s {u['duration']:.2f}")
        print(f"RESULT crate_start_s {u['start']:.2f}")
        for name, span in u.get("sections") or []:
            print(f"RESULT crate_{name}_s {span['end'] - span['start']:.2f}")
    top = sorted(data, key=lambda u: -u["duration"])[:8]
    print("  slowest units (s): " + ", ".join(
        f"{u['name']}{' (build script)' if 'build-script' in u['target'] else ''} {u['duration']:.1f}"
        for u in top))


def fmt(v, unit="s"):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    return f"{v:.2f} {unit}" if unit == "s" else f"{v:.1f} {unit}"


def summary(path):
    res, load = {}, {}
    for line in open(path, encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 2:
            continue
        key, value = parts[0], parts[1]
        try:
            res[key] = float(value)
        except ValueError:
            res[key] = value
        if len(parts) > 2 and parts[2]:
            load[key] = parts[2]

    def get(k):
        return res.get(k)

    def ratio(a, b):
        a, b = get(a), get(b)
        if isinstance(a, float) and isinstance(b, float) and b > 0:
            return a / b
        return None

    def row(label, key, unit="s", target=""):
        v = get(key)
        print(f"| {label} | {fmt(v, unit)} | {load.get(key, '')} | {target} |")

    machine = ", ".join((str(int(res[k])) if isinstance(res[k], float) else str(res[k])) for k in ("machine.cpu", "machine.nproc", "machine.rustc", "machine.commit") if k in res)
    if machine:
        print(f"Machine: {machine} (CPU, nproc, compiler, commit).\n")
    print("### Macro expansion (402 documents)\n")
    print("| measurement | median | load at start | target |")
    print("|---|---|---|---|")
    for prof in ("release", "debug"):
        k = f"expand.{prof}.cold_median_ms"
        v = get(k)
        met = "" if not isinstance(v, float) else ("< 1 s: met" if v < 1000 else "< 1 s: NOT met")
        row(f"`expand` standalone, {prof} (opt-level {'3' if prof == 'release' else '0'}), cold", k, "ms", met)
        row(f"`expand` standalone, {prof}, warm file cache", f"expand.{prof}.warm_median_ms", "ms")
        row(f"`expand` standalone, {prof}, include subset, cold", f"expand.{prof}.include_cold_median_ms", "ms")
    for opt in ("0", "3"):
        k = f"probe.opt{opt}.cold_median_ms"
        v = get(k)
        met = "" if not isinstance(v, float) else ("< 1 s: met" if v < 1000 else "< 1 s: NOT met")
        row(f"`expand` inside rustc (proc macro at opt-level {opt}), first call", k, "ms", met)
        row(f"  same, later calls in the same rustc (warm cache)", f"probe.opt{opt}.warm_median_ms", "ms")
        row(f"  conversion to proc_macro::TokenStream", f"probe.opt{opt}.convert_median_ms", "ms")
    row("rustc parsing the expansion (`cargo check` with it cfg-ed out, minus without it)", "probe.parse_s")
    print()
    print("Phases (standalone, cold, medians):\n")
    print("| phase | release | debug |")
    print("|---|---|---|")
    for ph, label in (("read", "read_sources: file I/O + JSON parse + model"),
                      ("read_io", "  of which file I/O"),
                      ("read_json", "  of which JSON parse"),
                      ("read_model", "  of which model building (rest)"),
                      ("check", "check"),
                      ("resolve", "resolve (registry + refs)"),
                      ("emit", "emit (+ rest of expand)")):
        print(f"| {label} | {fmt(get(f'phase.release.{ph}_ms'), 'ms')} | {fmt(get(f'phase.debug.{ph}_ms'), 'ms')} |")
    print()
    print("### cargo build / check (dev profile, wall time; load at start in brackets)\n")
    print("| measurement | atlex, all 402 | atlex, include subset | atrium-api 0.25.8 |")
    print("|---|---|---|---|")
    for k, label in (("build.full", "(a) clean build, deps included, own target dir"),
                     ("build.alone", "(b) the crate alone (`cargo clean -p`, build)"),
                     ("build.alone.noincr", "(b) the crate alone, CARGO_INCREMENTAL=0"),
                     ("build.touch", "touch lib.rs + build (incremental)"),
                     ("check.full", "(c) clean check, deps included, own target dir"),
                     ("check.alone", "(c) the crate alone, check"),
                     ("check.alone.noincr", "(c) the crate alone, check, CARGO_INCREMENTAL=0")):
        cells = []
        for name in ("all402", "include", "atrium"):
            key = f"{name}.{k}"
            v = get(key)
            if name == "atrium" and k.endswith("noincr") and isinstance(get("atrium." + k[:-7]), float):
                cells.append("= row above (never incremental)")
            elif name == "atrium" and k == "build.touch":
                cells.append("n/a")
            else:
                cells.append(f"{fmt(v)} [{load[key]}]" if key in load else fmt(v))
        print(f"| {label} | " + " | ".join(cells) + " |")
    print()
    print("The measured crate's own rustc run, from `--timings` (s; frontend = until metadata, codegen = the rest):\n")
    print("| | all402 | include | atrium-api |")
    print("|---|---|---|---|")
    for k, label in (("build.full.crate_s", "(a) own unit"),
                     ("build.full.crate_frontend_s", "(a) frontend"),
                     ("build.full.crate_codegen_s", "(a) codegen"),
                     ("build.full.unit_sum_s", "(a) all units, summed (CPU-ish time)"),
                     ("build.alone.crate_s", "(b) own unit"),
                     ("build.alone.crate_frontend_s", "(b) frontend"),
                     ("build.alone.crate_codegen_s", "(b) codegen"),
                     ("check.alone.crate_s", "(c) own unit, check")):
        print(f"| {label} | " + " | ".join(fmt(get(f"{n}.{k}")) for n in ("all402", "include", "atrium")) + " |")
    extra = get("all402.build.alone.macro_opt3")
    if extra is not None:
        print(f"\nall402 crate alone, built with the proc macro at opt-level 3 "
              f"(CARGO_PROFILE_DEV_BUILD_OVERRIDE_OPT_LEVEL=3): {fmt(extra)} "
              f"[load {load.get('all402.build.alone.macro_opt3', '?')}]")
    dd, dn = get("deps-default.build.full"), get("deps-nodefault.build.full")
    if isinstance(dd, float) or isinstance(dn, float):
        print(f"\nDependencies alone, clean build of an empty crate over the atlex runtime: "
              f"{fmt(dd)} with its default features (reqwest, rustls), {fmt(dn)} without "
              f"[loads {load.get('deps-default.build.full', '?')}, {load.get('deps-nodefault.build.full', '?')}]; "
              f"in (a), the measured crate started after {fmt(get('all402.build.full.crate_start_s'))} (all402) and "
              f"{fmt(get('atrium.build.full.crate_start_s'))} (atrium-api).")
    if isinstance(get("expand.text_kib"), float) and isinstance(get("atrium.src_kib"), float):
        print(f"\nSize: the all-402 expansion is {get('expand.tokens'):.0f} tokens, "
              f"{get('expand.text_kib'):.0f} KiB as text; atrium-api's sources are "
              f"{get('atrium.src_kib'):.0f} KiB ({get('atrium.src_lines'):.0f} lines) before serde's derives expand.")

    base_c, base_b = get("variant.none.check"), get("variant.none.build")
    if isinstance(base_c, float):
        print("\nThe all-402 expansion, written out by `expand-time --write` and served back by a "
              "proc macro (so that its tokens carry the call site's span, as lexicon!'s do), compiled "
              "with CARGO_INCREMENTAL=0; variants replace the fn bodies of some impls by `loop {}` "
              "(`all`: every fn body). The difference to `none` is what "
              "those bodies (or the eager codegen) cost rustc; stubs give a bound, as cheaper code "
              "still costs something.\n")
        print("| variant | file KiB | check s | check saves | build s | build saves |")
        print("|---|---|---|---|---|---|")
        for spec in ("none", "Serialize+Deserialize", "Validate", "Debug+Display", "PartialEq",
                     "UnionTag", "all"):
            c, b, kib = get(f"variant.{spec}.check"), get(f"variant.{spec}.build"), get(f"variant.{spec}.kib")
            dc = f"{base_c - c:.2f} s ({100 * (base_c - c) / base_c:.0f}%)" if isinstance(c, float) and spec != "none" else ""
            db = (f"{base_b - b:.2f} s ({100 * (base_b - b) / base_b:.0f}%)"
                  if isinstance(b, float) and isinstance(base_b, float) and spec != "none" else "")
            lc = f" [{load[f'variant.{spec}.check']}]" if f"variant.{spec}.check" in load else ""
            lb = f" [{load[f'variant.{spec}.build']}]" if f"variant.{spec}.build" in load else ""
            print(f"| {spec} | {fmt(kib, 'KiB')} | {fmt(c)}{lc} | {dc} | {fmt(b)}{lb} | {db} |")

    none_b, all_b = get("variant.none.build"), get("all402.build.alone.noincr")
    if isinstance(none_b, float) and isinstance(all_b, float):
        print(f"\n(`none` builds in {none_b:.2f} s; the all402 crate alone, CARGO_INCREMENTAL=0, "
              f"in {all_b:.2f} s: the variants stand for the real crate.)")

    # Where the all-402 crate's own compile time goes, (b): from --timings sections, the probe.
    crate, front, code = (get("all402.build.alone.crate_s"), get("all402.build.alone.crate_frontend_s"),
                          get("all402.build.alone.crate_codegen_s"))
    exp, parse = get("probe.opt0.cold_median_ms"), get("probe.parse_s")
    if all(isinstance(v, float) for v in (crate, front, code, exp, parse)):
        exp /= 1000.0
        rest = front - exp - parse
        print("\nWhere the all-402 crate's own `cargo build` time goes, (b) (no -Z flags: "
              "--timings frontend/codegen sections, the probe for expansion and parsing):\n")
        print("| part | s | share |")
        print("|---|---|---|")
        for label, v in (("`lexicon!` expansion (proc macro at opt-level 0, in rustc)", exp),
                         ("parsing the expanded tokens", parse),
                         ("rest of the frontend: name resolution, macro/derive expansion, type and trait checking, borrowck, lints, metadata", rest),
                         ("codegen: MIR to LLVM IR, LLVM, debuginfo, rlib", code)):
            print(f"| {label} | {v:.2f} | {100 * v / crate:.0f}% |")
        print(f"| total (own unit) | {crate:.2f} | |")
    if isinstance(get("pair.atrium.wall"), float):
        print("\n### Head to head: the crates alone, interleaved rounds (fastest of each)\n")
        print("Each round builds atrium-api alone, then the all-402 crate alone without and with "
              "incremental compilation, then the include crate alone the same two ways (each after "
              "`cargo clean -p`). Wall and CPU (user+sys) seconds, the fastest of the rounds.\n")
        print("| crate alone | wall s | CPU s | wall / atrium-api | CPU / atrium-api | target 0.5 (wall) |")
        print("|---|---|---|---|---|---|")
        aw, ac = get("pair.atrium.wall"), get("pair.atrium.cpu")
        for label, key in (("atrium-api 0.25.8 (crates.io: never incremental)", "atrium"),
                           ("atlex all 402, CARGO_INCREMENTAL=0", "all402.noincr"),
                           ("atlex all 402, incremental (cargo's default for a local crate)", "all402.incr"),
                           ("atlex include subset, CARGO_INCREMENTAL=0", "include.noincr"),
                           ("atlex include subset, incremental", "include.incr")):
            w, c = get(f"pair.{key}.wall"), get(f"pair.{key}.cpu")
            if not isinstance(w, float):
                continue
            rw = w / aw if isinstance(aw, float) else None
            rc = c / ac if isinstance(c, float) and isinstance(ac, float) else None
            verdict = "" if key == "atrium" or rw is None else ("met" if rw <= 0.5 else "NOT met")
            print(f"| {label} | {w:.2f} | {fmt(c)} | {'' if key == 'atrium' else f'{rw:.2f}x'} | "
                  f"{'' if key == 'atrium' or rc is None else f'{rc:.2f}x'} | {verdict} |")
    lean = get("all402-lean.build.full")
    if isinstance(lean, float):
        print(f"\nClean build, dependencies included, of the all-402 crate over atlex without its default "
              f"features (no reqwest client, like atrium-api which has no HTTP client): {lean:.2f} s "
              f"[load {load.get('all402-lean.build.full', '?')}]"
              + (f", {lean / get('atrium.build.full'):.2f}x atrium-api's clean build" if isinstance(get('atrium.build.full'), float) else "")
              + ".")
    print()
    print("### Ratios (target: atlex all-402 <= 0.5 x atrium-api)\n")
    print("| ratio | value | target 0.5 |")
    print("|---|---|---|")
    for label, a, b in (
        ("all402 / atrium, (a) clean build", "all402.build.full", "atrium.build.full"),
        ("all402 / atrium, (b) crate alone (wall)", "all402.build.alone", "atrium.build.alone"),
        ("all402 / atrium-api, (b) own unit (--timings)", "all402.build.alone.crate_s", "atrium.build.alone.crate_s"),
        ("all402 / atrium, (b) crate alone, CARGO_INCREMENTAL=0 (wall)", "all402.build.alone.noincr", "atrium.build.alone"),
        ("all402 / atrium, (c) clean check", "all402.check.full", "atrium.check.full"),
        ("all402 / atrium, (c) crate alone, check", "all402.check.alone", "atrium.check.alone"),
        ("all402 / atrium, head to head, crate alone, CARGO_INCREMENTAL=0 (wall)", "pair.all402.noincr.wall", "pair.atrium.wall"),
        ("all402 / atrium, head to head, crate alone, incremental (wall)", "pair.all402.incr.wall", "pair.atrium.wall"),
        ("all402 (no default features) / atrium, (a) clean build", "all402-lean.build.full", "atrium.build.full"),
        ("include / atrium, (a) clean build", "include.build.full", "atrium.build.full"),
        ("include / atrium, (b) crate alone (wall)", "include.build.alone", "atrium.build.alone"),
        ("include / atrium, (b) crate alone, CARGO_INCREMENTAL=0 (wall)", "include.build.alone.noincr", "atrium.build.alone"),
        ("include / atrium, (c) clean check", "include.check.full", "atrium.check.full"),
        ("include / atrium, (c) crate alone, check", "include.check.alone", "atrium.check.alone"),
    ):
        r = ratio(a, b)
        verdict = "" if r is None else ("met" if r <= 0.5 else "NOT met")
        print(f"| {label} | {'n/a' if r is None else f'{r:.2f}x'} | {verdict} |")


if __name__ == "__main__":
    if sys.argv[1] == "timings":
        timings(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "summary":
        summary(sys.argv[2])
    else:
        sys.exit(__doc__)
