"""KernelDensity.score_samples: knnkit next to scikit-learn in the same run (median of repeats).

    .venv/bin/python packages/python/benchmarks/bench_kde.py [--rows 20000] [--queries 2000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn import neighbors as skn

import knnkit


def _median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(16)
    print(f"| data | kernel | algorithm | atol, rtol | scikit-learn s | knnkit s | speed-up | max rel. diff |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for cols in (3, 8):
        X = rng.normal(size=(args.rows, cols))
        Q = rng.normal(size=(args.queries, cols))
        for kernel, algorithm, rtol in [("gaussian", "kd_tree", 0), ("gaussian", "kd_tree", 1e-4), ("gaussian", "ball_tree", 0), ("epanechnikov", "kd_tree", 0)]:
            kw = dict(kernel=kernel, algorithm=algorithm, bandwidth="scott", rtol=rtol)
            theirs = skn.KernelDensity(**kw).fit(X)
            ours = knnkit.KernelDensity(**kw).fit(X)
            a, b = theirs.score_samples(Q), ours.score_samples(Q)
            # relative difference of the densities, where scikit-learn's is above 1e-9 of the largest (below, its log-space
            # bounds leave ~exp(-36) where the exact density of a compact kernel is 0)
            da, db = np.exp(a), np.exp(b)
            big = da > 1e-9 * da.max()
            diff = float(np.max(np.abs(db[big] - da[big]) / da[big]))
            ts = _median_seconds(lambda: theirs.score_samples(Q), args.repeats)
            tk = _median_seconds(lambda: ours.score_samples(Q), args.repeats)
            print(f"| {args.rows}x{cols}, {args.queries} queries | {kernel} | {algorithm} | 0, {rtol:g} | {ts:.3f} | {tk:.3f} | {ts / tk:.2f}x | {diff:.1e} |")


if __name__ == "__main__":
    main()
