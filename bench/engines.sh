#!/usr/bin/env bash
# Measures the candidate matrix engines on sgdswift's GEMM shapes and writes bench/ENGINES.md.
# Usage: bash bench/engines.sh            (as root: installs with apt-get and pip; ~5 minutes)
#        SECONDS_PER_CASE=0.5 bash bench/engines.sh   (longer timing budget per case)
#        REPORT_ONLY=1 bash bench/engines.sh          (rewrite ENGINES.md from the last raw results)
# Idempotent: installs are no-ops when present, the build and raw results live in /tmp/engines-build.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD=/tmp/engines-build
VENV=/tmp/engines-venv # our own venv: the project's .venv is left alone
PER_CASE="${SECONDS_PER_CASE:-0.2}"
mkdir -p "$BUILD"

# ---- install: Debian packages for four engines, PyPI for NumPy's OpenBLAS build ----
if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential libopenblas-dev \
        libblis-dev libblis4-openmp libxsmm-dev libdnnl-dev python3-venv >/dev/null
else
    echo "not root: assuming the Debian packages are installed" >&2
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q scipy-openblas32
SCIPY_LIB="$("$VENV/bin/python" -c 'import scipy_openblas32 as s; print(s.get_lib_dir())')"
SCIPY_INC="$("$VENV/bin/python" -c 'import scipy_openblas32 as s; print(s.get_include_dir())')"
SCIPY_VER="$("$VENV/bin/pip" show scipy-openblas32 | sed -n 's/^Version: //p')"

# ---- build: one binary per engine, since several export the same cblas_* symbols ----
SRC="$HERE/engines.c"
CC="gcc -O2 -Wall"
gcc -O3 -shared -fPIC -pthread "$HERE/fma_peak.c" -o "$BUILD/libfma_peak.so"
$CC -DENGINE_PEAK "$SRC" -o "$BUILD/engines_peak" -L"$BUILD" -lfma_peak -Wl,-rpath,"$BUILD" -pthread -lm
$CC -DENGINE_OPENBLAS -I/usr/include/x86_64-linux-gnu/openblas-pthread "$SRC" -o "$BUILD/engines_openblas" \
    -lopenblas -lm
$CC -DENGINE_SCIPY -I"$SCIPY_INC" "$SRC" -o "$BUILD/engines_scipy" -L"$SCIPY_LIB" -lscipy_openblas \
    -Wl,-rpath,"$SCIPY_LIB" -lm
$CC -DENGINE_BLIS -I/usr/include/x86_64-linux-gnu "$SRC" -o "$BUILD/engines_blis" -lblis -lm
# libxsmm is static; libxsmmnoblas stands in for the BLAS fallback that we never call.
$CC -DENGINE_XSMM "$SRC" -o "$BUILD/engines_xsmm" -L/usr/lib -lxsmm -lxsmmnoblas -lpthread -lrt -ldl -lm
$CC -DENGINE_DNNL -fopenmp "$SRC" -o "$BUILD/engines_dnnl" -ldnnl -lm

# ---- run: each line of raw.tsv is tagged with the variant (engine + environment) it ran under ----
RAW="$BUILD/raw.tsv"
AS_SET="OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-<unset>} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-<unset>}"
run() { # run VARIANT THREADS [env ...] BINARY: appends the binary's lines, tagged with VARIANT
    local variant="$1" threads="$2"
    shift 2
    echo "  $variant, $threads thread(s)" >&2
    "$@" "$threads" "$PER_CASE" | sed "s/^/$variant\t/" >>"$RAW"
}
if [ "${REPORT_ONLY:-0}" = 1 ] && [ -s "$RAW" ]; then
    echo "REPORT_ONLY=1: reusing $RAW" >&2
else
    # The previous run's results are kept, to report run-to-run variation against them.
    if [ -s "$RAW" ]; then mv "$RAW" "$BUILD/raw.prev.tsv"; fi
    : >"$RAW"
    echo "FMA peak" >&2
    "$BUILD/engines_peak" >"$BUILD/peak.tsv"
    for t in 1 2; do
        # OpenBLAS builds: the environment as sgdswift sees it, both variables unset, and SkylakeX forced.
        for e in openblas scipy; do
            run "$e|env" $t "$BUILD/engines_$e"
            run "$e|unset" $t env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$BUILD/engines_$e"
            run "$e|skx" $t env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=SkylakeX "$BUILD/engines_$e"
        done
        # BLIS: its own choice, then two sub-configurations forced by id (this build: 6 = zen3, 0 = skx).
        run "blis|auto" $t env -u BLIS_ARCH_TYPE "$BUILD/engines_blis"
        run "blis|zen3" $t env BLIS_ARCH_TYPE=6 "$BUILD/engines_blis"
        run "blis|skx" $t env BLIS_ARCH_TYPE=0 "$BUILD/engines_blis"
        run "onednn|" $t "$BUILD/engines_dnnl"
    done
    run "libxsmm|" 1 "$BUILD/engines_xsmm" # single-threaded kernels: 1 thread only
fi

# ---- report ----
VERSIONS="$(dpkg-query -W -f='${Package} ${Version}\n' libopenblas0-pthread libblis4-openmp libxsmm-dev \
    libdnnl2 2>/dev/null || true)"
CPU="$(lscpu | sed -n 's/^Model name: *//p') (family $(lscpu | sed -n 's/^CPU family: *//p'), model $(lscpu | sed -n 's/^Model: *//p'))"
CACHES="$(lscpu | sed -n 's/^\(L[123][di]* cache\): *\(.*\)/\1 \2/p' | paste -sd ';' | sed 's/;/; /g')"
ISA="$(grep -o -w -E 'avx2|fma|avx512f|avx512bw|avx512vl|avx512_bf16|avx512_vnni' /proc/cpuinfo | sort -u | paste -sd ' ')"
python3 - "$RAW" "$BUILD/raw.prev.tsv" "$BUILD/peak.tsv" "$HERE/ENGINES.md" "$CPU" "$CACHES" "$ISA" "$VERSIONS" "$SCIPY_VER" \
    "$AS_SET" "$PER_CASE" <<'PY'
import sys, collections, os, subprocess
lscpu = dict(l.split(":", 1) for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines() if ":" in l)
hyper = f" (virtual machine, hypervisor {lscpu['Hypervisor vendor'].strip()})" if "Hypervisor vendor" in lscpu else ""
raw, prevf, peakf, out, cpu, caches, isa, versions, scipy_ver, as_set, per_case = sys.argv[1:]

peak = {}  # (dtype, threads) -> GFLOP/s measured with AVX-512 FMAs
peak_lines = []
for line in open(peakf):
    _, dt, isa_name, th, g = line.split("\t")
    peak_lines.append(f"| {dt} | {isa_name} | {th} | {float(g):.1f} |")
    if isa_name == "avx512":
        peak[(dt, int(th))] = float(g)

res, notes, info, shapes = {}, [], collections.OrderedDict(), []
for line in open(raw):
    f = line.rstrip("\n").split("\t")
    variant = f[0]
    if f[1] == "#info":
        info.setdefault(variant, set()).add("; ".join(f[3:]))
        continue
    _, shape, th, dt, mode, val, detail = f[1:8]
    if shape not in shapes:
        shapes.append(shape)
    res[(variant, shape, int(th), dt, mode)] = (val, detail)
    if val in ("n/a", "FAIL") and int(th) == 1 and mode == "warm":
        notes.append((variant, shape, dt, val, detail))
fails = sum(1 for r in res.values() if r[0] == "FAIL")

columns = ["openblas|env", "openblas|unset", "openblas|skx", "scipy|env", "scipy|unset", "scipy|skx",
           "blis|auto", "blis|zen3", "blis|skx", "libxsmm|", "onednn|"]
titles = {"openblas|env": "Debian OpenBLAS, env as set", "openblas|unset": "Debian OpenBLAS, env unset",
          "openblas|skx": "Debian OpenBLAS, CORETYPE=SkylakeX", "scipy|env": "scipy-openblas32, env as set",
          "scipy|unset": "scipy-openblas32, env unset", "scipy|skx": "scipy-openblas32, CORETYPE=SkylakeX",
          "blis|auto": "BLIS auto", "blis|zen3": "BLIS zen3 (forced)", "blis|skx": "BLIS skx (forced)",
          "libxsmm|": "libxsmm (1T only)", "onednn|": "oneDNN"}

def cell(v, shape, dt, mode):
    parts = []
    for th in (1, 2):
        r = res.get((v, shape, th, dt, mode))
        if r is None:
            parts.append("—" if v == "libxsmm|" and th == 2 else "not measured")
        elif r[0] in ("n/a", "FAIL"):
            parts.append(r[0])
        else:
            g = float(r[0])
            parts.append(f"{g:.0f} ({100 * g / peak[(dt, th)]:.0f}%)")
    return " / ".join(parts)

md = ["# Matrix engines for sgdswift's products: measured", "",
      "Written by `bash bench/engines.sh` (harness: `bench/engines.c`). Every number below was measured by "
      "that script on the machine described here; rerun it to refresh this file.", "",
      "## Machine", "", f"- CPU: {cpu}; {os.cpu_count()} logical CPUs seen{hyper}.",
      f"- Caches (lscpu): {caches}.", f"- ISA flags present: {isa}.",
      "- FMA peak, measured with `bench/fma_peak.c` (12 independent FMA chains per thread, on float32 and, "
      "for float64, on AVX-512 doubles); best of 5 runs of 5·10⁷ iterations:", "",
      "| dtype | ISA | threads | GFLOP/s |", "| --- | --- | --- | --- |", *peak_lines, "",
      "The percentages in the tables are of the AVX-512 peak of the same dtype and thread count.", "",
      "## Libraries", "", "```", versions.strip(), f"scipy-openblas32 (PyPI) {scipy_ver}", "```", "",
      "What each engine reported about itself at run time (OpenBLAS: `openblas_get_corename()` / config; "
      "BLIS: `bli_arch_string(bli_arch_query_id())`; libxsmm: `libxsmm_get_target_arch()`; oneDNN: "
      "`dnnl_get_effective_cpu_isa()`, 0xe7 = avx512_core_bf16):", ""]
for v in columns:
    for s in sorted(info.get(v, [])):
        md.append(f"- {titles[v]}: `{s}`")
md += ["", "## Method", "",
       "- Products are row-major `C[m×n] = op(A)·op(B)`, alpha 1, beta 0; Aᵀ/Bᵀ cases pass the engine's "
       "transpose flag on the stored matrix (no copies). libxsmm is column-major, so it computes "
       "`Cᵀ = op(B)ᵀ·op(A)ᵀ` on the same memory.",
       "- Before timing, every engine's result is compared with a naive triple loop in double on the same "
       "operands (uniform in [-1, 1)): max|C − C_ref| / max|C_ref| ≤ 1e-4 (float32) / 1e-12 (float64). "
       + (f"{fails} case(s) FAILED this check and are marked FAIL." if fails else
        "Every case that ran passed it (the achieved errors are in the raw log, /tmp/engines-build/raw.tsv)."),
       f"- Timing: warm-up for 10% of a {per_case} s budget per case, then each call timed alone with "
       "CLOCK_MONOTONIC; the median is reported. Repetitions = budget / call time, bounded to [21, 20001] "
       "(so ≥ 21 for the C3 shapes, 20001 for the µs-scale C1/C2 shapes). GFLOP/s = 2·m·n·k / median.",
       "- Warm: one operand set, reused (stays in cache). Cold: rotate through as many distinct copies of "
       "(A, B, C) as make ≥ 8 MiB (at least 2), so each call reads operands not touched for 8 MiB of "
       "traffic: more than one core's L2, less than the L3 (sizes under Machine).",
       "- Threads: 1 and 2, set through the engine's own call (openblas_set_num_threads, "
       "scipy_openblas_set_num_threads, bli_thread_set_num_threads, omp_set_num_threads for oneDNN, which "
       "runs on libgomp). libxsmm's kernels are single-threaded: 1 thread only.",
       f"- Environment: 'env as set' = the variables as the shell had them ({as_set}), what sgdswift "
       "gets today; 'env unset' = `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`; 'SkylakeX' = "
       "OPENBLAS_CORETYPE=SkylakeX with OPENBLAS_L2_SIZE unset. BLIS picks its sub-configuration itself "
       "('auto'); 'zen3' and 'skx' force one with BLIS_ARCH_TYPE=6 / 0 (this build's ids).",
       "- Cells: `1 thread / 2 threads`, each `GFLOP/s (% of peak)`. n/a = the engine cannot do this case "
       "(reason below).", ""]
for dt in ("f32", "f64"):
    for mode in ("warm", "cold"):
        md += [f"## {'float32' if dt == 'f32' else 'float64'}, {mode}", "",
               "| shape | " + " | ".join(titles[v] for v in columns) + " |",
               "| --- |" + " --- |" * len(columns)]
        for s in shapes:
            md.append(f"| {s} | " + " | ".join(cell(v, s, dt, mode) for v in columns) + " |")
        md.append("")
md += ["## Cases an engine could not run", "",
       *([f"- {titles[v]}, {s}, {dt}: {val} ({d})" for v, s, dt, val, d in notes] or ["- none"]), ""]

# Reading: derived from the numbers above by this script (no hand edits, so a rerun stays consistent).
def gf(v, s, th, dt, mode):
    r = res.get((v, s, th, dt, mode))
    return float(r[0]) if r and r[0] not in ("n/a", "FAIL") else None

md += ["## Reading (computed from the tables)", "",
       "Fastest engine per shape and thread count; the factor is against Debian OpenBLAS with the "
       "environment as set (today's engine) at the same thread count and cache state.", ""]
close = cells = 0  # cells whose runner-up is within 5% of the fastest
for mode in ("warm", "cold"):
    md += [f"| {mode} shape | f32 1T | f32 2T | f64 1T | f64 2T |", "| --- | --- | --- | --- | --- |"]
    for s in shapes:
        row = []
        for dt in ("f32", "f64"):
            for th in (1, 2):
                cands = [(gf(v, s, th, dt, mode), v) for v in columns if gf(v, s, th, dt, mode)]
                base = gf("openblas|env", s, th, dt, mode)
                if not cands:
                    row.append("not measured")
                    continue
                cands.sort(reverse=True)
                g, v = cands[0]
                text = f"{titles[v]}: {g:.0f}" + (f" (×{g / base:.2f})" if base else "")
                if len(cands) > 1:
                    g2, v2 = cands[1]
                    close += g2 >= 0.95 * g
                    cells += 1
                    text += f"; 2nd {titles[v2]}: {g2:.0f}"
                row.append(text)
        md.append(f"| {s} | " + " | ".join(row) + " |")
    md.append("")
# Warm -> cold change and 1T -> 2T scaling of today's engine, as facts for the caveats.
def ratio_range(pairs):
    r = [b / a for a, b in pairs if a and b]
    return f"{min(r):.2f}–{max(r):.2f}" if r else "n/a"
md += ["Caveats measured in the same run:", "",
       f"- In {close} of these {cells} cells the runner-up is within 5% of the fastest: compare with the "
       "run-to-run spread below before reading a winner into them.",
       "- The 2T columns hold engines that ran with 2 threads (libxsmm is 1T only). Cases where the best 1T "
       "value beats the best 2T value: " + (", ".join(
           f"{s} {dt} {mode}" for dt in ("f32", "f64") for mode in ("warm", "cold") for s in shapes
           if max([gf(v, s, 1, dt, mode) or 0 for v in columns]) > max([gf(v, s, 2, dt, mode) or 0 for v in columns]))
           or "none") + "."]
for v in columns:
    wc = ratio_range([(gf(v, s, 1, dt, "warm"), gf(v, s, 1, dt, "cold")) for s in shapes for dt in ("f32", "f64")])
    sc = ratio_range([(gf(v, s, 1, dt, "warm"), gf(v, s, 2, dt, "warm")) for s in shapes for dt in ("f32", "f64")])
    md.append(f"- {titles[v]}: cold/warm (1T) {wc}; 2T/1T (warm) {sc}.")
md += ["- % of peak uses the AVX-512 FMA peak; engines running AVX2 kernels (OpenBLAS 'Haswell', BLIS "
       "'zen3') can reach at most about half of it (the AVX2 peak row above).",
       "- 2-thread numbers are per call, including each engine's own thread hand-off; a 2T/1T ratio "
       "near or below 1 means the second thread did not help that call (or the engine ran it on one).",
       "- Each number is one run's median (one process per engine, variant and thread count)."]

# Run-to-run: this run against the previous one on this machine, when the script has run before.
import os
def load(path):
    d = {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if f[1] != "#info" and f[6] not in ("n/a", "FAIL"):
            d[(f[0], f[2], int(f[3]), f[4], f[5])] = float(f[6])
    return d
if os.path.exists(prevf):
    now_, prev = load(raw), load(prevf)
    for th in (1, 2):
        r = sorted(now_[k] / prev[k] for k in now_ if k in prev and k[2] == th)
        if r:
            md.append(f"- Run-to-run, {th} thread(s): this run / the previous run of this script, over {len(r)} "
                      f"cases: median {r[len(r) // 2]:.2f}, 5th–95th percentile {r[len(r) // 20]:.2f}–"
                      f"{r[-1 - len(r) // 20]:.2f}, extremes {r[0]:.2f}–{r[-1]:.2f}.")
    worst = sorted(((now_[k] / prev[k], k) for k in now_ if k in prev), key=lambda x: -abs(x[0] - 1))[:8]
    md.append("  Largest differences: " + "; ".join(
        f"{titles[k[0]]} {k[1]} {k[3]} {k[4]} {k[2]}T {prev[k]:.0f}→{now_[k]:.0f}" for _, k in worst) + ".")
else:
    md.append("- Run-to-run variation: not measured (no previous run of this script on this machine).")
md += ["", '## The choice (what sgdswift uses, and why)', '', "- **Small products (≤ 2²³ multiply-adds per call, not transposing the second operand): libxsmm's generated kernels.** On every shape of C1 and C2 (the forward products and the weight gradients, whose inner dimension is the batch) they are the fastest single-thread engine in the tables above, float32 and float64, warm and cold, because they need no packing. sgdswift splits products into its own shape-fixed tiles and runs one engine call per tile on each thread, so the single-thread column is the one that counts.", "- **Large products and δ·Wᵀ: OpenBLAS, with its AVX-512 (SkylakeX) kernels on AVX-512 CPUs.** On the tiles of C3 (≥ 2²⁴ multiply-adds) libxsmm 1.17 falls behind (C3 fwd2 and dW), and it has no kernel for a transposed second operand. OpenBLAS's kernel choice follows sgdswift's instruction set, not OPENBLAS_CORETYPE (on this VM set to Haswell, which halves it).", "- Not chosen: BLIS 0.9 (it does not recognise this CPU and falls back to its generic kernels; forced to its skx kernels it does not beat OpenBLAS), oneDNN 2.6 (no float64; its 2-thread numbers come from its own OpenMP threading, which would fight sgdswift's worker pool and give up bit-identical results across thread counts), scipy-openblas32 (no faster than Debian's OpenBLAS once the kernels are chosen, and a second OpenBLAS in the process).", "- The threshold 2²³ sits between C2's tiles (≈ 3·10⁶) and C3's (≈ 3·10⁷); the measured bench/run.py epochs after the switch are in bench/results.md.", '']
md.append("")
open(out, "w").write("\n".join(md))
PY
echo "wrote $HERE/ENGINES.md (raw results: $RAW)" >&2
