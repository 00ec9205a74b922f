"""Sparse (CSR) brute force: knnkit next to scikit-learn, in the same run (issue 16).

A text-like matrix (seeded; non-zeros per row vary, column popularity skewed as
word counts are; values tf-idf-like in (0, 1]) of --rows x --cols at --density,
and --queries rows of the same kind. Each round fits both estimators
(algorithm="brute", one thread) and asks kneighbors(Q) for k = 10; the
libraries alternate within a round, rounds repeat. Reported per library and
metric: median wall time and median CPU time (for knnkit the Python process's
plus the engine process's), and how many of the k indices agree.

    .venv/bin/python packages/python/benchmarks/bench_sparse.py --out bench-sparse.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
import scipy.sparse as sp


def text_like(rng, rows, cols, density):
    """rows x cols CSR: about density * cols non-zeros per row (Poisson), columns drawn Zipf-like."""
    per_row = rng.poisson(density * cols, rows).clip(1, cols)
    popularity = 1.0 / np.arange(1, cols + 1) ** 0.8
    popularity /= popularity.sum()
    row_cols = [np.unique(rng.choice(cols, n, p=popularity)) for n in per_row]
    indptr = np.concatenate([[0], np.cumsum([len(c) for c in row_cols])])
    indices = np.concatenate(row_cols).astype(np.int32)
    return sp.csr_matrix((rng.uniform(0.05, 1.0, len(indices)), indices, indptr), shape=(rows, cols))


def engine_cpu():
    from knnkit._bridge import client

    with open(f"/proc/{client().pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(lib, metric, X, Q, k):
    if lib == "knnkit":
        import knnkit as m
    else:
        import sklearn.neighbors as m
    e0 = engine_cpu() if lib == "knnkit" else 0.0
    c0 = time.process_time()
    t0 = time.perf_counter()
    est = m.NearestNeighbors(n_neighbors=k, algorithm="brute", metric=metric).fit(X)
    dist, ind = est.kneighbors(Q)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0 + ((engine_cpu() - e0) if lib == "knnkit" else 0.0)
    return seconds, cpu, ind


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--cols", type=int, default=10_000)
    ap.add_argument("--density", type=float, default=0.005)
    ap.add_argument("--queries", type=int, default=2_000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--metrics", default="euclidean,cosine,manhattan")
    ap.add_argument("--out")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    rng = np.random.default_rng(16)
    X = text_like(rng, args.rows, args.cols, args.density)
    Q = text_like(rng, args.queries, args.cols, args.density)
    import knnkit

    knnkit.NearestNeighbors(n_neighbors=1).fit(np.eye(2))  # start the engine (not timed)
    results = []
    for metric in args.metrics.split(","):
        times = {"knnkit": [], "sklearn": []}
        answers = {}
        for r in range(args.repeats):
            for lib in (("knnkit", "sklearn") if r % 2 == 0 else ("sklearn", "knnkit")):
                seconds, cpu, ind = run(lib, metric, X, Q, args.k)
                times[lib].append((seconds, cpu))
                answers[lib] = ind
        agree = float((answers["knnkit"] == answers["sklearn"]).mean())
        row = {"metric": metric, "rows": args.rows, "cols": args.cols, "nnz": int(X.nnz), "queries": args.queries, "k": args.k, "agree": agree}
        for lib, ts in times.items():
            row[f"{lib}_seconds"] = statistics.median(t[0] for t in ts)
            row[f"{lib}_cpu"] = statistics.median(t[1] for t in ts)
        row["speedup_wall"] = row["sklearn_seconds"] / row["knnkit_seconds"]
        row["speedup_cpu"] = row["sklearn_cpu"] / row["knnkit_cpu"]
        results.append(row)
        print(json.dumps(row), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
