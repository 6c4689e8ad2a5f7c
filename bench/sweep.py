"""sgdswift against run.py's peers beyond its three fixed configurations (issue 13, section 4), in one run.

    python bench/sweep.py [--quick] [--out bench/sweep]

1. Batch-size sweep of C2 (784-128-10 ReLU, softmax cross-entropy, SGD η=0.01 momentum 0.9, float32, the
   60 000 MNIST images) at batch sizes 1, 2, 4, …, 1024: seconds per epoch of every peer in run.py's
   PEERS, built by run.py's own functions. Where a whole epoch would take over TARGET_SECONDS, only the
   first rows are timed (a multiple of the batch size, about TARGET_SECONDS of work as measured by a
   probe of PROBE_BATCHES mini-batches) and the time is scaled to 60 000 rows.
2. Cost growth: sgdswift's C2 epoch on 10⁴ … 10⁶ synthetic rows (MNIST tiled, with noise; beyond 10⁵
   rows in an np.memmap in a temporary file), fitted by least squares to time = a + b·rows.
3. float64: C2 in float64, sgdswift against PyTorch and JAX (jax_enable_x64 is switched on only here,
   after every float32 figure), against the measured float64 FMA peak.
4. predict throughput of C3 (784-1024-1024-10): run.py's predict_throughput.

Each peer's batch sweep and float64 figure run in a process of their own (peers sharing a process slow
each other down; see run.py's measure_alone). Each figure is the median of 3 timed epochs after a warm-up
(run.py's median_epoch); --quick times 1, on
fewer batch sizes and row counts, for development. Writes <out>.md and, with matplotlib, batch_sweep.png
and cost_growth.png in <out>'s directory.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import types

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as harness  # noqa: E402  (the peers, the timing and the machine figures are run.py's)

import sgdswift as sg  # noqa: E402
from sgdswift.datasets import load_mnist  # noqa: E402

TARGET_SECONDS = 2.0  # work per capped figure: long enough to swamp timer and scheduling noise
PROBE_BATCHES = 64  # enough steps to see a peer's per-step cost, few enough to stay cheap
BATCHES, QUICK_BATCHES = [2 ** k for k in range(11)], [1, 8, 64, 1024]
GROWTH_ROWS, QUICK_GROWTH_ROWS = [10_000, 30_000, 100_000, 300_000, 1_000_000], [10_000, 100_000, 300_000]
IN_MEMORY_LIMIT = 100_000  # synthetic sets larger than this live in a memmap, as a user's would
FLOAT64_PEERS = ["sgdswift", "PyTorch", "JAX step", "JAX scan"]
FLOAT64_KERNEL = {"AVX-512": 3}  # fma_peak.c's ISA_AVX512_FLOAT64
C2 = harness.CONFIGS["C2"]  # (sizes, hidden, output, loss, batch size, optimizer)


def run_peer(bench, *args, **kwargs):
    """(seconds, None) or (None, why): a peer failing at one point is a finding, not the end of the run."""
    try:
        return bench(*args, **kwargs), None
    except ImportError as error:
        return None, f"missing ({error.name or error})"
    except Exception as error:  # noqa: BLE001 — any failure is reported in the table
        return None, f"{type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else ''}"


def timed_epoch(bench, config, X, y, epochs, previous):
    """(seconds per len(X) rows, rows timed). The whole epoch when the peer's whole epoch at the previous,
    larger batch size (`previous`: (batch, seconds) or None) leaves it under TARGET_SECONDS even if all
    its cost were per step; else a probe of PROBE_BATCHES mini-batches sizes the rows for TARGET_SECONDS,
    because on shared cores a peer's per-step cost can jump far beyond what larger batches foretell."""
    batch, rows, probe = config[4], len(X), PROBE_BATCHES * config[4]
    if probe < len(X) and (previous is None or previous[1] * previous[0] / batch > TARGET_SECONDS):
        per_row = bench(config, X[:probe], y[:probe], 1) / probe
        rows = min(len(X), math.ceil(TARGET_SECONDS / per_row / batch) * batch)
    return bench(config, X[:rows], y[:rows], epochs) * len(X) / rows, rows


def batch_sweep(X, y, batches, epochs, peers):
    """{(batch, peer): (s per epoch of len(X) rows or None, rows timed, error)}, largest batches first:
    their cheap whole epochs tell which smaller ones need a cap."""
    results, previous = {}, {}
    for batch in sorted(batches, reverse=True):
        for peer, bench in harness.PEERS:
            if peer not in peers:
                continue
            figure, error = run_peer(timed_epoch, bench, (*C2[:4], batch, C2[5]), X, y, epochs, previous.get(peer))
            seconds, rows = figure if figure else (None, None)
            previous[peer] = (batch, seconds) if rows == len(X) else None
            results[batch, peer] = (seconds, rows, error)
            print(f"batch {batch:4d} {peer:12s} " + (f"{seconds:.3f} s/epoch ({rows} rows timed)" if figure else error),
                  flush=True)
    return results


def synthetic_rows(X, y, out):
    """Fills `out` with MNIST tiled, every pixel + N(0, 0.02²) clipped to [0, 1], so that no tile repeats
    another; returns the labels tiled alike."""
    rng = np.random.default_rng(1)
    for start in range(0, len(out), len(X)):
        block = X[:min(len(X), len(out) - start)]
        noise = rng.standard_normal(block.shape, dtype=np.float32) * np.float32(0.02)
        np.clip(block + noise, 0, 1, out=out[start:start + len(block)])
    return np.resize(y, len(out))


def cost_growth(X, y, row_counts, epochs):
    """{rows: s/epoch} of sgdswift's C2 epoch (run.py's bench_sgdswift), and {rows: "array" or "memmap"}."""
    times, storage = {}, {}
    with tempfile.TemporaryDirectory(prefix="sgdswift-sweep-") as directory:
        for where in ("array", "memmap"):
            counts = [rows for rows in row_counts if (rows > IN_MEMORY_LIMIT) == (where == "memmap")]
            if not counts:
                continue
            shape = (max(counts), X.shape[1])
            data = (np.empty(shape, np.float32) if where == "array"  # a file-backed memmap is used in place too
                    else np.memmap(os.path.join(directory, "X.f32"), np.float32, "w+", shape=shape))
            labels = synthetic_rows(X, y, data)
            for rows in counts:
                times[rows], storage[rows] = harness.bench_sgdswift(C2, data[:rows], labels[:rows], epochs), where
                print(f"growth {rows:9,d} rows {times[rows]:.3f} s/epoch ({where})", flush=True)
            del data  # unmapped before the directory goes
    return times, storage


def linear_fit(rows, seconds):
    """Least squares time = a + b·rows: (a, b, R²)."""
    b, a = np.polyfit(rows, seconds, 1)
    return a, b, np.corrcoef(rows, seconds)[0, 1] ** 2  # a straight line's R² is the squared correlation


def float64_figures(X, y, epochs, peers):
    """{peer: (s/epoch or None, error)} of C2 in float64. Runs last: jax_enable_x64 stays on once set."""
    try:
        import jax

        jax.config.update("jax_enable_x64", True)  # without it JAX would quietly make float32 arrays
    except ImportError:
        pass  # the JAX peers report themselves missing
    X64, results = X.astype(np.float64), {}
    for peer, bench in harness.PEERS:
        if peer in peers:
            results[peer] = run_peer(bench, C2, X64, y, epochs, dtype="float64")
            shown = f"{results[peer][0]:.3f} s/epoch" if results[peer][0] is not None else results[peer][1]
            print(f"float64 {peer:12s} {shown}", flush=True)
    return results


def gflops_cells(seconds, rows, peak):
    gflops = harness.epoch_flops(C2[0], rows) / seconds / 1e9
    return f"{gflops:.1f}", f"{100 * gflops / peak:.0f}%" if peak else ""


def peer_ratios(sweep, batches):
    """{(batch, peer): the peer's s/epoch ÷ sgdswift's}, where both have a figure."""
    return {(batch, peer): sweep[batch, peer][0] / sweep[batch, "sgdswift"][0] for batch in batches
            for peer, _ in harness.PEERS if sweep[batch, peer][0] and sweep[batch, "sgdswift"][0]}


def reading(figures, ratio):
    """The report's few sentences, written from the figures."""
    ours = {batch: figures.sweep[batch, "sgdswift"][0] for batch in figures.batches if figures.sweep[batch, "sgdswift"][0]}
    peers, text = [peer for peer, _ in harness.PEERS if peer != "sgdswift"], []
    if ours:
        best = min(ours, key=ours.get)
        wins = [str(batch) for batch in ours if all(ratio.get((batch, peer), math.inf) > 1 for peer in peers)]
        text.append(f"sgdswift's epoch falls from {ours[min(ours)]:.2f} s at batch {min(ours)} to {ours[best]:.3f} s "
                    f"at batch {best}; " + (f"it is the fastest of all at batch {', '.join(wins)}." if wins else
                                                   "no batch size makes it the fastest of all."))
    for peer in peers:
        faster = [f"{batch} ({ratio[batch, peer]:.2f}×)" for batch in figures.batches if ratio.get((batch, peer), 1) < 1]
        text += [f"{peer} is faster at batch {', '.join(faster)}."] if faster else []
    failed = [f"{peer} at batch {batch} ({figures.sweep[batch, peer][2]})" for batch in figures.batches
              for peer, _ in harness.PEERS if figures.sweep[batch, peer][0] is None]
    text += ["No figure for " + "; ".join(failed) + "."] if failed else []
    (a, b, r2), growth = figures.fit, figures.growth
    low, high = min(growth), max(growth)
    text.append(f"The epoch grows as {a:.3f} s + {b * 1e6:.2f} µs·rows (R² = {r2:.4f}), from "
                f"{growth[low] / low * 1e6:.2f} µs per row at {low:,} rows to {growth[high] / high * 1e6:.2f} at {high:,}.")
    ours64 = figures.float64.get("sgdswift", (None,))[0]
    if ours64 and ours.get(C2[4]):
        text.append(f"float64 costs sgdswift {ours64 / ours[C2[4]]:.2f}× its float32 epoch; against it " + ", ".join(
            f"{peer} takes {seconds / ours64:.2f}×" for peer, (seconds, _) in figures.float64.items()
            if seconds and peer != "sgdswift") + ".")
    rate = figures.throughput
    if {"sgdswift", "NumPy"} <= set(rate):
        text.append(f"predict (C3) runs at {rate['sgdswift'] / rate['NumPy']:.2f}× NumPy's throughput.")
    return " ".join(text)


def report(figures):
    ratio, peers, (a, b, r2) = peer_ratios(figures.sweep, figures.batches), [peer for peer, _ in harness.PEERS], figures.fit
    shared = (f" Other processes kept {figures.others:.2f} of the {os.cpu_count()} cores busy on average meanwhile "
              "(/proc/stat less this process's own CPU time).") if figures.others is not None else ""
    lines = [figures.header, "", f"C2 ({harness.DESCRIPTIONS['C2']}; the sweep varies the batch size), float32 unless "
             f"stated. Each figure: median of {figures.epochs} timed epoch(s) after a warm-up"
             f"{' (--quick)' * figures.quick}. "
             f"The run took {figures.minutes:.1f} min.{shared}", "", "## Batch-size sweep", "",
             f"Where a whole epoch would take over {TARGET_SECONDS:.0f} s, the first *rows timed* rows (a multiple of "
             f"the batch size, about {TARGET_SECONDS:.0f} s of work as a probe of {PROBE_BATCHES} mini-batches measured) "
             f"are timed and scaled to {figures.rows:,} rows. JAX scan drops a last partial batch.", "",
             "| batch | sgdswift s/epoch | " + " | ".join(f"{peer} ÷ sgdswift" for peer in peers[1:]) + " |",
             "|---" * (len(peers) + 1) + "|"]
    for batch in figures.batches:
        ours = figures.sweep[batch, "sgdswift"][0]
        lines.append(f"| {batch} | {f'{ours:.3f}' if ours else 'failed'} | " + " | ".join(
            f"{ratio[batch, peer]:.2f}×" if (batch, peer) in ratio else "" for peer in peers[1:]) + " |")
    lines += ["", "| batch | peer | rows timed | s/epoch | ÷ sgdswift | GFLOP/s | % of peak |", "|---" * 7 + "|"]
    for (batch, peer), (seconds, rows, error) in sorted(figures.sweep.items(), key=lambda item: item[0][0]):
        lines.append(f"| {batch} | {peer} | | {error} | | | |" if seconds is None else
                     f"| {batch} | {peer} | {rows:,} | {seconds:.3f} | {ratio.get((batch, peer), math.nan):.2f}× | "
                     + " | ".join(gflops_cells(seconds, figures.rows, figures.peak)) + " |")
    lines += ["", "## Cost growth (sgdswift, C2)", "", "Synthetic rows: MNIST tiled, every pixel + N(0, 0.02²) "
              "clipped to [0, 1].", "", "| rows | X held as | s/epoch | µs per row | fit a + b·rows | GFLOP/s |",
              "|---" * 6 + "|"]
    lines += [f"| {rows:,} | {figures.storage[rows]} | {seconds:.3f} | {seconds / rows * 1e6:.2f} | {a + b * rows:.3f} | "
              f"{gflops_cells(seconds, rows, None)[0]} |" for rows, seconds in figures.growth.items()]
    peak64 = ", ".join(f"{name} {value:.0f}" for name, value in figures.peak64.items())
    lines += ["", f"Least squares: time = {a:.4f} s + {b * 1e6:.3f} µs · rows, R² = {r2:.5f}.", "",
              "## float64 (C2)", "",
              f"FMA peak (float64, {peak64} GFLOP/s on {sg.get_num_threads()} threads)." if peak64 else
              "float64 FMA peak not measured (it needs AVX-512 and a C compiler).", "",
              "| peer | s/epoch | ÷ sgdswift | ÷ its float32 | GFLOP/s | % of float64 peak |", "|---" * 6 + "|"]
    ours64 = figures.float64.get("sgdswift", (None,))[0]
    for peer, (seconds, error) in figures.float64.items():
        float32 = figures.sweep.get((C2[4], peer), (None,))[0]
        lines.append(f"| {peer} | {error} | | | | |" if seconds is None else
                     f"| {peer} | {seconds:.3f} | {f'{seconds / ours64:.2f}×' if ours64 else ''} | "
                     f"{f'{seconds / float32:.2f}×' if float32 else ''} | "
                     + " | ".join(gflops_cells(seconds, figures.rows, next(iter(figures.peak64.values()), None))) + " |")
    lines += ["", f"## predict (C3, {'-'.join(map(str, harness.CONFIGS['C3'][0]))}, {figures.rows:,} images)", "",
              ", ".join(f"{name} {rate:,.0f} images/s" for name, rate in figures.throughput.items()) + ".", "",
              "## Reading", "", reading(figures, ratio)]
    return "\n".join(lines) + "\n"


def draw(out_dir, figures):
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def save(axis, name, ticks=None, **labels):
        axis.set(xscale="log", yscale="log", **labels)
        if ticks:  # after the log scale, which would replace them
            axis.set_xticks(ticks, [str(tick) for tick in ticks])
            axis.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
        axis.figure.tight_layout()
        axis.figure.savefig(os.path.join(out_dir, name), dpi=110)

    axis, colours = plt.subplots(figsize=(7, 4.5))[1], iter(["tab:blue", "tab:green", "tab:red", "tab:purple", "tab:brown"])
    for peer, _ in harness.PEERS:
        points = [(batch, figures.sweep[batch, peer][0]) for batch in figures.batches if figures.sweep[batch, peer][0]]
        ours = peer == "sgdswift"
        if points:
            axis.plot(*zip(*points), marker="o", label=peer, color="tab:orange" if ours else next(colours, None),
                      linewidth=3 if ours else 1.2, markersize=6 if ours else 4, zorder=3 if ours else 2)
    save(axis, "batch_sweep.png", figures.batches, xlabel="batch size", ylabel=f"seconds per epoch ({figures.rows:,} rows)",
         title="C2 (784-128-10 ReLU, SGD momentum), float32: batch-size sweep")

    (a, b, r2), growth = figures.fit, figures.growth
    axis = plt.subplots(figsize=(6, 4.5))[1]
    for where, marker in (("array", "o"), ("memmap", "s")):
        points = [(rows, seconds) for rows, seconds in growth.items() if figures.storage[rows] == where]
        if points:
            axis.plot(*zip(*points), marker, color="tab:orange", label=f"sgdswift, X as {where}")
    line = np.geomspace(min(growth), max(growth), 100)
    line = line[a + b * line > 0]  # a log axis cannot show a negative intercept's start
    axis.plot(line, a + b * line, color="tab:blue", label=f"{a:.3f} s + {b * 1e6:.2f} µs·rows (R² = {r2:.4f})")
    save(axis, "cost_growth.png", xlabel="rows", ylabel="seconds per epoch",
         title=f"sgdswift C2 epoch (batch {C2[4]}): cost growth")


def other_cpu_seconds():
    """CPU seconds the whole machine has been busy (/proc/stat, steal included) less this process's own:
    the other work that ran beside the benchmark. None where /proc/stat is missing."""
    try:
        with open("/proc/stat") as stat:
            user, nice, system, _, _, irq, softirq, steal = map(int, stat.readline().split()[1:9])
    except (OSError, ValueError):
        return None
    own = os.times()
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK") - sum(own[:4])


def alone(part, peer, quick):
    """`part` ("sweep" or "float64") for one peer, in a process of its own (run.py's measure_alone says
    why): {key: figure}, keys as batch_sweep's and float64_figures' results."""
    command = [sys.executable, os.path.abspath(__file__), "--alone", part, peer] + (["--quick"] if quick else [])
    child = subprocess.run(command, capture_output=True, text=True)
    print(child.stdout.rstrip().rsplit("\n", 1)[0] if "\n" in child.stdout.strip() else "", flush=True)
    if child.returncode != 0:
        return {}, f"failed (exit {child.returncode}): {(child.stderr.strip().splitlines() or [''])[-1][:120]}"
    return {tuple(key) if isinstance(key, list) else key: tuple(value)
            for key, value in json.loads(child.stdout.strip().splitlines()[-1])}, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer batch sizes and rows, 1 timed epoch")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "sweep"))
    parser.add_argument("--alone", nargs=2, metavar=("PART", "PEER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.alone:  # a child of `alone`: one peer's part, printed as JSON on the last line
        part, peer = args.alone
        (X, y), _ = load_mnist()
        epochs = 1 if args.quick else 3
        found = (batch_sweep(X, y, QUICK_BATCHES if args.quick else BATCHES, epochs, [peer]) if part == "sweep"
                 else float64_figures(X, y, epochs, [peer]))
        print(json.dumps([[list(key) if isinstance(key, tuple) else key, list(value)] for key, value in found.items()]))
        return
    figures = types.SimpleNamespace(quick=args.quick, epochs=1 if args.quick else 3,
                                batches=sorted(QUICK_BATCHES if args.quick else BATCHES))
    started, others_before = time.perf_counter(), other_cpu_seconds()

    (X, y), _ = load_mnist()
    figures.rows, threads = len(X), sg.get_num_threads()
    figures.header, figures.peak = harness.machine_figures()

    figures.sweep = {}
    for peer, _ in harness.PEERS:
        found, error = alone("sweep", peer, args.quick)
        figures.sweep.update(found or {(batch, peer): (None, None, error) for batch in figures.batches})
    figures.growth, figures.storage = cost_growth(X, y, QUICK_GROWTH_ROWS if args.quick else GROWTH_ROWS, figures.epochs)
    figures.fit = linear_fit(list(figures.growth), list(figures.growth.values()))
    figures.throughput = harness.predict_throughput(X)
    print(f"predict: {figures.throughput}", flush=True)
    figures.peak64 = harness.fma_peak(threads, isas=FLOAT64_KERNEL)
    figures.float64 = {}
    for peer in FLOAT64_PEERS:
        found, error = alone("float64", peer, args.quick)
        figures.float64.update(found or {peer: (None, error)})

    elapsed, others_after = time.perf_counter() - started, other_cpu_seconds()
    figures.others = (others_after - others_before) / elapsed if others_before is not None else None
    figures.minutes = elapsed / 60
    text = report(figures)
    print("\n" + text)
    with open(args.out + ".md", "w") as file:
        file.write(text)
    try:
        draw(os.path.dirname(os.path.abspath(args.out)), figures)
    except ImportError:
        print("matplotlib missing: no charts")
        return
    print(f"wrote {args.out}.md, batch_sweep.png and cost_growth.png")


if __name__ == "__main__":
    main()
