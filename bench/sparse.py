"""Sparse input (issue 15, item 3): one training epoch on a text-like matrix, sgdswift reading it sparse
against sgdswift on the same rows densified and against scikit-learn's MLPClassifier on the same sparse input.

    python bench/sparse.py [--out bench/sparse.md]

The data: a hashed bag of words, ROWS documents of 100 to 300 tokens each drawn from a Zipf law over a
vocabulary hashed into COLUMNS columns (repeats add up), each row scaled to unit norm, float64 CSR;
labels from a sparse linear rule, so that the model has something to learn. The model: COLUMNS-64-1 as
the estimators build it (one logistic output, ReLU hidden layer), solver "sgd" (momentum 0.9, Nesterov),
batch_size 200, shuffle=False, the same random_state for both libraries (so both start from the same
weights). Each figure is the best of REPEATS epochs (partial_fit calls) after a first one.

Densified, X.toarray() of all ROWS rows would take ROWS·COLUMNS·8 bytes (8 GB): the dense runs take the
first DENSE_ROWS rows, and the sparse sgdswift fit is timed on those same rows for the ratio.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as harness  # noqa: E402  (the machine's description is run.py's)

import sgdswift as sg  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

ROWS, COLUMNS, DENSE_ROWS, REPEATS = 20_000, 50_000, 2_000, 2
SETTINGS = dict(hidden_layer_sizes=(64,), solver="sgd", learning_rate_init=0.05, batch_size=200, shuffle=False,
                random_state=0)


def bag_of_words(rows: int, columns: int, seed: int = 0) -> tuple[sparse.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(100, 301, rows)
    tokens = rng.zipf(1.2, lengths.sum())
    hashed = (tokens * 2_654_435_761) % columns  # Knuth's multiplicative hash spreads the frequent words
    row_of = np.repeat(np.arange(rows), lengths)
    X = sparse.coo_matrix((np.ones(len(hashed)), (row_of, hashed)), shape=(rows, columns)).tocsr()  # sums repeats
    X = sparse.csr_matrix(X.multiply(1 / np.sqrt(X.multiply(X).sum(axis=1))))
    rule = sparse.random(columns, 1, density=0.05, random_state=seed).toarray()[:, 0] - 0.025
    scores = X @ rule
    return X, (scores > np.median(scores)).astype(np.int64)


def best_epoch(make, X, y) -> float:
    """Seconds of an epoch (a partial_fit call) after a first one, which also builds and initialises the
    model (3.2 million weights drawn in NumPy: a fixed cost that is not the epoch's)."""
    estimator = make(**SETTINGS).partial_fit(X, y, classes=np.unique(y))
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        estimator.partial_fit(X, y)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "sparse.md"))
    out = parser.parse_args().out
    warnings.simplefilter("ignore", ConvergenceWarning)
    load = os.getloadavg()[0]  # the cores may be shared: say how busy they were
    X, y = bag_of_words(ROWS, COLUMNS)
    density = X.nnz / (ROWS * COLUMNS)
    print(f"X: {ROWS} × {COLUMNS}, {X.nnz} entries (density {density:.3%})", flush=True)
    head, head_y = X[:DENSE_ROWS], y[:DENSE_ROWS]
    dense_head = head.toarray()
    figures = {
        "sgdswift, sparse, all rows": best_epoch(sg.MLPClassifier, X, y),
        "scikit-learn, sparse, all rows": best_epoch(MLPClassifier, X, y),
        f"sgdswift, sparse, first {DENSE_ROWS} rows": best_epoch(sg.MLPClassifier, head, head_y),
        f"sgdswift, densified, first {DENSE_ROWS} rows": best_epoch(sg.MLPClassifier, dense_head, head_y),
        f"scikit-learn, densified, first {DENSE_ROWS} rows": best_epoch(MLPClassifier, dense_head, head_y),
    }
    for name, seconds in figures.items():
        print(f"{name}: {seconds:.3f} s", flush=True)
    names = list(figures)
    densify_ratio = figures[names[3]] / figures[names[2]]
    sklearn_ratio = figures[names[1]] / figures[names[0]]
    lines = [
        "# Sparse input: one epoch on a text-like matrix",
        "",
        "Written by `python bench/sparse.py` (the setup is in its docstring).",
        "",
        f"Machine: {harness.machine()}. Load average when the run began: {load:.1f}.",
        "",
        f"X: a hashed bag of words, {ROWS:,} rows × {COLUMNS:,} columns, {X.nnz:,} stored entries (density "
        f"{density:.3%}), float64 CSR. Model {COLUMNS}-64-1 (ReLU, logistic output), `solver=\"sgd\"` (momentum "
        f"0.9, Nesterov), batch 200, `shuffle=False`: seconds of one epoch (`partial_fit`), the best of {REPEATS} "
        f"after a first one that builds the model. Densified X of all rows would "
        f"need {ROWS * COLUMNS * 8 / 1e9:.0f} GB: the densified runs take the first {DENSE_ROWS:,} rows "
        f"({DENSE_ROWS * COLUMNS * 8 / 1e9:.1f} GB), and sgdswift's sparse fit is timed on the same rows for the "
        "ratio.",
        "",
        "| run | seconds per epoch |",
        "|---|---:|",
        *[f"| {name} | {seconds:.3f} |" for name, seconds in figures.items()],
        "",
        f"- Sparse against densified (sgdswift, the same {DENSE_ROWS:,} rows): **{densify_ratio:.1f}× faster**.",
        f"- sgdswift sparse against scikit-learn sparse (all rows): **{sklearn_ratio:.1f}× faster**.",
        "",
    ]
    with open(out, "w") as file:
        file.write("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
