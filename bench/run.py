"""One training epoch on real MNIST (60 000 images), sgdswift against its peers, in one process run.

    python bench/run.py [--epochs 3] [--configs C1 C2 C3] [--out bench/results]

Peers (`pip install .[bench]`): a vectorised NumPy implementation (always), scikit-learn's
MLPClassifier (partial_fit), PyTorch on the CPU (nn.Sequential + torch.optim, threads = cores) and
JAX (a jitted step per mini-batch, and the whole epoch jitted with lax.scan); for predict also ONNX
Runtime on the exported network (`pip install onnx onnxruntime`). A peer that is not
installed is reported as missing. Each figure is the median of `--epochs` timed epochs after one
warm-up epoch, data shuffled every epoch, float32 everywhere; each (configuration, peer) runs in a
process of its own, so that no peer's threads or libraries slow another. The table also gives every peer's ratio
to sgdswift, the achieved GFLOP/s (matrix-product work of forward and backward passes) and its share of
the machine's measured float32 FMA peak (bench/fma_peak.c, built with gcc: independent FMA chains on every
thread, for each vector instruction set the CPU has; the share is of the widest), and the sgemm ceiling
(NumPy float32 matmul 2048³). It is written to <out>.md and, with matplotlib,
drawn to <out>.png.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

import sgdswift as sg
from sgdswift.datasets import load_mnist

CONFIGS = {
    # name: (sizes, hidden, output, loss, batch size, optimizer description)
    "C1": ([784, 30, 10], "sigmoid", "sigmoid", "quadratic", 10, ("sgd", 3.0, 0.0)),
    "C2": ([784, 128, 10], "relu", "softmax", "cross_entropy", 64, ("sgd", 0.01, 0.9)),
    "C3": ([784, 1024, 1024, 10], "relu", "softmax", "cross_entropy", 256, ("adam", 1e-3, 0.0)),
}
DESCRIPTIONS = {
    "C1": "784-30-10 sigmoid, quadratic cost, batch 10, SGD η=3.0",
    "C2": "784-128-10 ReLU, softmax CE, batch 64, SGD η=0.01 momentum 0.9",
    "C3": "784-1024-1024-10 ReLU, softmax CE, batch 256, Adam η=1e-3",
}


def epoch_flops(sizes, rows):
    """Multiply-adds ×2 of one epoch's matrix products: forward z = aW, backward ∂W = aᵀδ, and δW ᵀ for
    every layer but the first."""
    products = [fan_in * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:])]
    return 2 * rows * (2 * sum(products) + sum(products[1:]))


def settle():
    """Lets every thread pool that ran before (NumPy's OpenBLAS, PyTorch's OpenMP, XLA's) stop
    busy-waiting, so that no peer is measured against another one's spinning threads."""
    time.sleep(1.0)


def median_epoch(run_epoch, epochs):
    settle()
    run_epoch()  # warm-up: compilation, allocation, thread pools
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        run_epoch()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---- the contenders ------------------------------------------------------------------------------

def bench_sgdswift(config, X, y, epochs, dtype="float32"):
    sizes, hidden, output, loss, batch, (kind, lr, momentum) = config
    net = sg.Network(sizes, hidden=hidden, output=output, loss=loss, init="auto", dtype=dtype, seed=0)
    optimizer = sg.SGD(lr=lr, momentum=momentum) if kind == "sgd" else sg.Adam(lr=lr)
    return median_epoch(lambda: net.fit(X, y, epochs=1, batch_size=batch, optimizer=optimizer, verbose=0), epochs)


def bench_numpy(config, X, y, epochs):
    """A vectorised NumPy mini-batch implementation, as a user would write it."""
    sizes, hidden, output, loss, batch, (kind, lr, momentum) = config
    rng = np.random.default_rng(0)
    W = [(rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:])]
    b = [np.zeros(n, np.float32) for n in sizes[1:]]
    state = [[np.zeros_like(p), np.zeros_like(p)] for p in W + b]
    one_hot = np.eye(sizes[-1], dtype=np.float32)[y]
    sigmoid = lambda z: 1 / (1 + np.exp(-z))
    t = [0]

    def step(xb, yb):
        activations = [xb]
        for layer, (w, bias) in enumerate(zip(W, b)):
            z = activations[-1] @ w + bias
            if layer < len(W) - 1:
                activations.append(sigmoid(z) if hidden == "sigmoid" else np.maximum(z, 0))
            elif output == "softmax":
                e = np.exp(z - z.max(axis=1, keepdims=True))
                activations.append(e / e.sum(axis=1, keepdims=True))
            else:
                activations.append(sigmoid(z))
        a = activations[-1]
        delta = (a - yb) / len(xb)
        if loss == "quadratic":
            delta *= a * (1 - a)
        grads_W, grads_b = [None] * len(W), [None] * len(W)
        for layer in reversed(range(len(W))):
            grads_W[layer] = activations[layer].T @ delta
            grads_b[layer] = delta.sum(axis=0)
            if layer:
                delta = delta @ W[layer].T
                previous = activations[layer]
                delta *= previous * (1 - previous) if hidden == "sigmoid" else (previous > 0)
        t[0] += 1
        for p, g, s in zip(W + b, grads_W + grads_b, state):
            if kind == "sgd":
                if momentum:
                    s[0] = momentum * s[0] + g if t[0] > 1 else g
                    g = s[0]
                p -= lr * g
            else:
                s[0] = 0.9 * s[0] + 0.1 * g
                s[1] = 0.999 * s[1] + 0.001 * g * g
                p -= (lr / (1 - 0.9 ** t[0])) * s[0] / (np.sqrt(s[1] / (1 - 0.999 ** t[0])) + 1e-8)

    def epoch():
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch):
            rows = order[start:start + batch]
            step(X[rows], one_hot[rows])

    return median_epoch(epoch, epochs)


def bench_sklearn(config, X, y, epochs):
    from sklearn.neural_network import MLPClassifier

    sizes, hidden, output, loss, batch, (kind, lr, momentum) = config
    model = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), activation="logistic" if hidden == "sigmoid" else hidden,
                          solver=kind, batch_size=batch, learning_rate_init=lr, momentum=momentum,
                          nesterovs_momentum=False, alpha=0.0, shuffle=True, random_state=0)
    classes = np.arange(10)
    return median_epoch(lambda: model.partial_fit(X, y, classes=classes), epochs)


def bench_torch(config, X, y, epochs, dtype="float32"):
    import torch

    sizes, hidden, output, loss, batch, (kind, lr, momentum) = config
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    layers = []
    for layer, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if layer < len(sizes) - 2:
            layers.append(torch.nn.Sigmoid() if hidden == "sigmoid" else torch.nn.ReLU())
    if output == "sigmoid":
        layers.append(torch.nn.Sigmoid())
    model = torch.nn.Sequential(*layers).to(getattr(torch, dtype))
    optimizer = (torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum) if kind == "sgd"
                 else torch.optim.Adam(model.parameters(), lr=lr))
    inputs, labels = torch.from_numpy(X.astype(dtype, copy=False)), torch.from_numpy(y)
    targets = torch.nn.functional.one_hot(labels, 10).to(inputs.dtype)
    cross_entropy = torch.nn.CrossEntropyLoss()

    def epoch():
        order = torch.randperm(len(X))
        for start in range(0, len(X), batch):
            rows = order[start:start + batch]
            optimizer.zero_grad()
            out = model(inputs[rows])
            cost = (0.5 * ((out - targets[rows]) ** 2).sum(dim=1).mean() if loss == "quadratic"
                    else cross_entropy(out, labels[rows]))
            cost.backward()
            optimizer.step()

    return median_epoch(epoch, epochs)


def _jax_parts(config, dtype="float32"):
    """float64 needs jax_enable_x64 set by the caller; without it JAX makes float32 arrays."""
    import jax
    import jax.numpy as jnp

    sizes, hidden, output, loss, batch, (kind, lr, momentum) = config
    keys = jax.random.split(jax.random.PRNGKey(0), len(sizes) - 1)
    params = [(jax.random.normal(k, (a, b), dtype) * jnp.sqrt(2 / a), jnp.zeros(b, dtype))
              for k, a, b in zip(keys, sizes[:-1], sizes[1:])]

    def cost(params, xb, yb):
        a = xb
        for w, bias in params[:-1]:
            a = jax.nn.sigmoid(a @ w + bias) if hidden == "sigmoid" else jax.nn.relu(a @ w + bias)
        z = a @ params[-1][0] + params[-1][1]
        if loss == "quadratic":
            return 0.5 * jnp.mean(jnp.sum((jax.nn.sigmoid(z) - yb) ** 2, axis=1))
        return -jnp.mean(jnp.sum(yb * jax.nn.log_softmax(z), axis=1))

    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    state = (zeros, zeros, jnp.zeros((), dtype))

    def update(params, state, xb, yb):
        grads = jax.grad(cost)(params, xb, yb)
        m, v, t = state
        t = t + 1
        if kind == "sgd":
            m = jax.tree_util.tree_map(lambda b, g: momentum * b + g, m, grads)
            params = jax.tree_util.tree_map(lambda p, b: p - lr * b, params, m)
        else:
            m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g, m, grads)
            v = jax.tree_util.tree_map(lambda v, g: 0.999 * v + 0.001 * g * g, v, grads)
            params = jax.tree_util.tree_map(
                lambda p, m, v: p - lr / (1 - 0.9 ** t) * m / (jnp.sqrt(v / (1 - 0.999 ** t)) + 1e-8), params, m, v)
        return params, (m, v, t)

    return jax, jnp, params, state, update


def bench_jax_step(config, X, y, epochs, dtype="float32"):
    jax, jnp, params, state, update = _jax_parts(config, dtype)
    batch = config[4]
    inputs, targets = jnp.asarray(X, dtype), jnp.asarray(np.eye(10, dtype=dtype)[y])
    # the batch is gathered inside the jitted step: one dispatch per mini-batch
    step = jax.jit(lambda p, s, rows, inputs, targets: update(p, s, inputs[rows], targets[rows]))
    rng = np.random.default_rng(0)
    holder = [params, state]

    def epoch():
        order = rng.permutation(len(X))
        p, s = holder
        for start in range(0, len(X), batch):
            p, s = step(p, s, order[start:start + batch], inputs, targets)
        jax.block_until_ready(p)
        holder[:] = [p, s]

    return median_epoch(epoch, epochs)


def bench_jax_scan(config, X, y, epochs, dtype="float32"):
    jax, jnp, params, state, update = _jax_parts(config, dtype)
    batch = config[4]
    full = len(X) // batch * batch  # scan needs equal batches: the last partial batch is left out
    inputs, targets = jnp.asarray(X, dtype), jnp.asarray(np.eye(10, dtype=dtype)[y])

    @jax.jit
    def run_epoch(params, state, key):
        order = jax.random.permutation(key, len(X))[:full].reshape(-1, batch)

        def body(carry, rows):
            return update(*carry, inputs[rows], targets[rows]), None

        return jax.lax.scan(body, (params, state), order)[0]

    holder = [params, state, jax.random.PRNGKey(1)]

    def epoch():
        p, s, key = holder
        key, sub = jax.random.split(key)
        p, s = run_epoch(p, s, sub)
        jax.block_until_ready(p)
        holder[:] = [p, s, key]

    return median_epoch(epoch, epochs)


PEERS = [("sgdswift", bench_sgdswift), ("NumPy", bench_numpy), ("scikit-learn", bench_sklearn),
         ("PyTorch", bench_torch), ("JAX step", bench_jax_step), ("JAX scan", bench_jax_scan)]


# ---- machine figures -----------------------------------------------------------------------------

def sgemm_ceiling(size=2048, repeats=5):
    a = np.random.default_rng(0).random((size, size), dtype=np.float32)
    b = a.copy()
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * size ** 3 / best / 1e9


ISAS = {"SSE2": 0, "AVX2": 1, "AVX-512": 2}  # the codes of bench/fma_peak.c


def fma_peak(threads, seconds=0.3, repeats=5, isas=ISAS):
    """The float32 peak of `threads` threads, measured by bench/fma_peak.c (built here with gcc -O3) for
    every vector instruction set the CPU has: {name: GFLOP/s}, best of `repeats` runs of about `seconds`.
    Empty when gcc is missing. `isas` picks fma_peak.c's kernels by code (3: float64 on AVX-512)."""
    import ctypes
    import shutil

    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        return {}
    library = os.path.join(tempfile.mkdtemp(prefix="sgdswift-bench-"), "fma_peak.so")
    subprocess.run([compiler, "-O3", "-shared", "-fPIC", "-pthread",
                    os.path.join(os.path.dirname(os.path.abspath(__file__)), "fma_peak.c"), "-o", library], check=True)
    peak = ctypes.CDLL(library)
    peak.fma_peak_run.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long]
    peak.fma_peak_flops_per_iteration.restype = ctypes.c_long
    results = {}
    for name, isa in isas.items():
        if not peak.fma_peak_supported(isa):
            continue
        iterations = 1 << 16
        while _timed(lambda: peak.fma_peak_run(isa, threads, iterations)) < seconds / 4:
            iterations *= 2
        best = min(_timed(lambda: peak.fma_peak_run(isa, threads, iterations)) for _ in range(repeats))
        results[name] = threads * iterations * peak.fma_peak_flops_per_iteration(isa) / best / 1e9
    return results


def _timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def predict_throughput(X, repeats=5):
    """Images per second of predict on all of X, 784-1024-1024-10: sgdswift, NumPy and, when onnx and
    onnxruntime are installed, ONNX Runtime running the network's `export` (its CPU provider, default threads)."""
    net = sg.Network(CONFIGS["C3"][0], hidden="relu", output="softmax", loss="cross_entropy", seed=0)
    W, b = [w.copy() for w in net.weights], [v.copy() for v in net.biases]

    def numpy_predict():
        a = X
        for layer, (w, bias) in enumerate(zip(W, b)):
            z = a @ w + bias
            a = np.maximum(z, 0) if layer < len(W) - 1 else np.exp(z - z.max(axis=1, keepdims=True))
        return a / a.sum(axis=1, keepdims=True)

    peers = [("sgdswift", lambda: net.predict(X)), ("NumPy", numpy_predict)]
    try:
        import onnxruntime
    except ImportError:
        print("onnxruntime missing: no ONNX Runtime predict figure")
    else:
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "C3.onnx")
            net.export(path)
            session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        inputs = {"X": np.ascontiguousarray(X, dtype=np.float32)}
        peers.append(("ONNX Runtime", lambda: session.run(None, inputs)))
    results = {}
    for name, function in peers:
        function()
        results[name] = len(X) / min(_timed(function) for _ in range(repeats))
    return results


def c2_network():
    return sg.Network(CONFIGS["C2"][0], hidden="relu", output="softmax", loss="cross_entropy", seed=0)


def c2_epoch(net, X, y):
    net.fit(X, y, epochs=1, batch_size=64, optimizer=sg.SGD(lr=0.01, momentum=0.9), verbose=0)


def threading_figures(X, y, epochs):
    """C2 epochs with 1 thread and with all of them (and whether the weights are bit-identical), and
    the two OpenBLAS pools side by side: a sgdswift epoch right after a NumPy product (NumPy's pool
    still spinning) against one after a pause, and NumPy's C2-sized product right after sgdswift."""
    figures, weights = {}, {}
    cores = sg.get_num_threads()
    for threads in sorted({1, cores}):
        sg.set_num_threads(threads)
        net = c2_network()
        figures[f"threads={threads}"] = median_epoch(lambda: c2_epoch(net, X, y), epochs)
        fresh = c2_network()
        c2_epoch(fresh, X, y)
        weights[threads] = fresh.parameters.tobytes()
    sg.set_num_threads(cores)
    figures["identical"] = len(set(weights.values())) == 1

    big = np.ones((1024, 1024), np.float32)
    a, w = X[:64].copy(), np.ones((784, 128), np.float32)
    net = c2_network()
    c2_epoch(net, X, y)
    after_numpy, paused = [], []
    for _ in range(epochs):
        settle()
        paused.append(_timed(lambda: c2_epoch(net, X, y)))
        big @ big
        after_numpy.append(_timed(lambda: c2_epoch(net, X, y)))
    figures["epoch paused"], figures["epoch after NumPy"] = statistics.median(paused), statistics.median(after_numpy)

    def numpy_products():
        for _ in range(200):
            a @ w
    numpy_products()
    settle()
    alone = _timed(numpy_products)
    net.fit(X[:6400], y[:6400], epochs=1, batch_size=64, lr=0.01, verbose=0)
    figures["NumPy alone"], figures["NumPy after sgdswift"] = alone / 200, _timed(numpy_products) / 200
    return figures


PEAK_MEMORY_SCRIPT = textwrap.dedent("""
    import sys, threading, time
    import numpy as np
    import sgdswift as sg
    from sgdswift.datasets import load_mnist

    def anonymous_rss():  # private memory only: a memory-mapped X's pages are the file's, not a copy
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("RssAnon:"))

    (X, y), _ = load_mnist()
    if sys.argv[1] == "memmap":
        X.tofile(sys.argv[2])
        del X
        X = np.memmap(sys.argv[2], dtype=np.float32, mode="r", shape=(60000, 784))
    net = sg.Network([784, 128, 10], hidden="relu", output="softmax", loss="cross_entropy", seed=0)
    net.fit(X[:64], y[:64], epochs=1, batch_size=64, lr=0.01, verbose=0)
    before, peak, done = anonymous_rss(), [0], threading.Event()

    def sample():  # fit releases the GIL, so this thread samples while the core trains
        while not done.is_set():
            peak[0] = max(peak[0], anonymous_rss())
            time.sleep(0.001)

    sampler = threading.Thread(target=sample)
    sampler.start()
    net.fit(X, y, epochs=1, batch_size=64, lr=0.01, verbose=0)
    done.set()
    sampler.join()
    print(max(peak[0] - before, 0), X.nbytes)
""")


def peak_memory(mode):
    """Growth of private (anonymous) resident memory during one fit epoch (C2), sampled every
    millisecond, in bytes, and X's size; in a fresh process."""
    with tempfile.TemporaryDirectory() as directory:
        output = subprocess.run([sys.executable, "-c", PEAK_MEMORY_SCRIPT, mode, os.path.join(directory, "X.f32")],
                                capture_output=True, text=True, check=True).stdout.split()
    return int(output[0]), int(output[1])


# ---- report --------------------------------------------------------------------------------------

def machine():
    cpu, flags = "unknown CPU", []
    try:
        with open("/proc/cpuinfo") as info:
            lines = info.read().splitlines()
        def field(name):
            return next(line.split(":", 1)[1].strip() for line in lines if line.split(":")[0].strip() == name)
        cpu = f"{field('model name')} (family {field('cpu family')} model {field('model')})"
        flags = field("flags").split()
    except (OSError, StopIteration):
        pass
    vectors = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE2 only"
    config = sg.get_config()
    return (f"{cpu} ({vectors}), {os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python "
            f"{platform.python_version()}, NumPy {np.__version__}; sgdswift: {config['instruction_set']} kernels, "
            f"{config['matrix_engine'].split(' NO_')[0]} with {config['matrix_kernels']} kernels, "
            f"{config['threads']} threads")


def machine_figures():
    """The report's header (the machine, the sgemm ceiling and the float32 FMA peak of every vector
    instruction set, measured now), printed, and the widest set's peak (None without a C compiler)."""
    ceiling, threads = sgemm_ceiling(), sg.get_num_threads()
    peaks = fma_peak(threads)
    widest = list(peaks)[-1] if peaks else None
    peak_text = "FMA peak not measured (no C compiler)"
    if peaks:
        peak_text = ("FMA peak (float32, " + ", ".join(f"{isa} {value:.0f}" for isa, value in peaks.items())
                     + f" GFLOP/s on {threads} threads; % of peak is of {widest})")
    header = f"Machine: {machine()}. sgemm ceiling (NumPy float32 2048³): {ceiling:.0f} GFLOP/s. {peak_text}."
    print(header, flush=True)
    return header, peaks.get(widest) if widest else None


def measure_alone(name, peer, epochs):
    """Seconds per epoch of `peer` on configuration `name`, measured in a process of its own: peers
    that share a process slow each other down (measured: JAX's C3 epoch took 1.8 s alone and 3.2 s after
    PyTorch had run in the same process). Returns (seconds, None) or (None, what is missing)."""
    child = subprocess.run([sys.executable, os.path.abspath(__file__), "--alone", name, peer, "--epochs", str(epochs)],
                           capture_output=True, text=True)
    if child.returncode != 0:
        raise RuntimeError(f"{name} {peer} failed:\n{child.stderr}")
    answer = child.stdout.strip().splitlines()[-1]
    return (None, answer.split(" ", 1)[1]) if answer.startswith("missing ") else (float(answer), None)


def run_alone(name, peer, epochs):
    """The child's side of `measure_alone`: prints the seconds, or "missing <module>"."""
    (X, y), _ = load_mnist()
    try:
        print(dict(PEERS)[peer](CONFIGS[name], X, y, epochs))
    except ImportError as error:
        print(f"missing {error.name or error}")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--alone":
        name, peer, epochs = sys.argv[2], sys.argv[3], int(sys.argv[5])
        return run_alone(name, peer, epochs)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per figure (after one warm-up)")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--peers", nargs="+", default=[name for name, _ in PEERS], choices=[name for name, _ in PEERS])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = parser.parse_args()

    (X, y), _ = load_mnist()
    header, peak = machine_figures()
    results = {}
    for name in args.configs:
        for peer, _ in PEERS:
            if peer not in args.peers:
                continue
            seconds, missing = measure_alone(name, peer, args.epochs)
            if missing:
                results[name, peer] = None
                print(f"{name} {peer:12s} missing ({missing})", flush=True)
                continue
            results[name, peer] = seconds
            print(f"{name} {peer:12s} {seconds:.3f} s/epoch", flush=True)
    throughput = predict_throughput(X)
    threading = threading_figures(X, y, args.epochs)
    print(f"threading: {threading}", flush=True)
    memory = {mode: peak_memory(mode) for mode in ("array", "memmap")}

    lines = [header, "",
             f"One epoch of 60 000 MNIST images, float32, median of {args.epochs} after a warm-up, each peer in a "
             "process of its own.", "",
             "| config | peer | s/epoch | peer ÷ sgdswift | GFLOP/s | % of peak |", "|---|---|---|---|---|---|"]
    for name in args.configs:
        ours = results.get((name, "sgdswift"))
        for peer, _ in PEERS:
            if (name, peer) not in results:
                continue
            seconds = results[name, peer]
            if seconds is None:
                lines.append(f"| {name} | {peer} | missing | | | |")
                continue
            ratio = f"{seconds / ours:.2f}×" if ours else ""
            gflops = epoch_flops(CONFIGS[name][0], len(X)) / seconds / 1e9
            share = f"{100 * gflops / peak:.0f}%" if peak else ""
            lines.append(f"| {name} | {peer} | {seconds:.3f} | {ratio} | {gflops:.1f} | {share} |")
    lines += ["", "Configurations: " + "; ".join(f"{name}: {DESCRIPTIONS[name]}" for name in args.configs) + ".",
              "scikit-learn has no quadratic cost: C1 uses its cross-entropy. JAX scan drops the last partial batch.",
              "", "predict on 60 000 images, 784-1024-1024-10: "
              + ", ".join(f"{name} {rate:,.0f} images/s" for name, rate in throughput.items()) + ".",
              "Threads (C2, s/epoch): " + ", ".join(f"{key} {value:.3f}" for key, value in threading.items()
                                                    if key.startswith("threads=")) + "; weights bit-identical: "
              + ("yes" if threading["identical"] else "NO") + ".",
              f"Two OpenBLAS pools (C2): a sgdswift epoch after a pause {threading['epoch paused']:.3f} s, right after "
              f"a NumPy 1024³ product {threading['epoch after NumPy']:.3f} s; NumPy's 64×784·784×128 product alone "
              f"{threading['NumPy alone'] * 1e6:.0f} µs, right after sgdswift {threading['NumPy after sgdswift'] * 1e6:.0f} µs.",
              "Peak private memory growth during one fit epoch (C2) beyond the data and parameters: "
              + ", ".join(f"X as {mode}: {grown / 2**20:.1f} MiB = {100 * grown / size:.1f}% of X's {size / 2**20:.0f} MiB"
                          for mode, (grown, size) in memory.items()) + "."]
    report = "\n".join(lines) + "\n"
    print("\n" + report)
    with open(args.out + ".md", "w") as file:
        file.write(report)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no chart")
        return
    figure, axes = plt.subplots(1, len(args.configs), figsize=(4 * len(args.configs), 3.5), squeeze=False)
    for axis, name in zip(axes[0], args.configs):
        peers = [peer for peer, _ in PEERS if results.get((name, peer))]
        axis.barh(peers, [results[name, peer] for peer in peers],
                  color=["tab:orange" if peer == "sgdswift" else "tab:blue" for peer in peers])
        axis.invert_yaxis()
        axis.set(title=f"{name}: {DESCRIPTIONS[name]}", xlabel="seconds per epoch (lower is better)")
        axis.title.set_fontsize(8)
    figure.tight_layout()
    figure.savefig(args.out + ".png", dpi=110)
    print(f"wrote {args.out}.md and {args.out}.png")


if __name__ == "__main__":
    main()
