"""KNNImputer and LocalOutlierFactor.fit: knnkit next to scikit-learn, in the same run (issue 16).

Each measurement runs in a fresh subprocess, which reports its wall time and peak
memory: the process's peak RSS, plus for knnkit the engine's (the Node process's
VmHWM). Data: uniform random rows, seeded; KNNImputer with 10% of values missing.
Medians of --repeats runs. scikit-learn's KNNImputer grows with rows² (its
chunked nan_euclidean matrix), so it runs at the --sizes only; knnkit also
runs at --big rows.

    .venv/bin/python packages/python/benchmarks/bench_neighbors_more.py --out bench-neighbors-more.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np
task, lib, n, d, n_jobs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
n_jobs = None if n_jobs == "None" else int(n_jobs)
rng = np.random.default_rng(16)
X = rng.random((n, d))
if task == "imputer":
    X[rng.random(X.shape) < 0.1] = np.nan
if lib == "knnkit":
    import knnkit as m
    from knnkit._bridge import client
    m.NearestNeighbors(n_neighbors=1).fit(np.eye(2))  # start the engine (not timed)
else:
    import sklearn.impute, sklearn.neighbors
t = time.perf_counter()
if task == "imputer":
    est = m.KNNImputer(n_jobs=n_jobs) if lib == "knnkit" else sklearn.impute.KNNImputer()
    out = est.fit_transform(X)
else:
    est = m.LocalOutlierFactor(n_jobs=n_jobs) if lib == "knnkit" else sklearn.neighbors.LocalOutlierFactor(n_jobs=n_jobs)
    est.fit(X)
    out = est.negative_outlier_factor_
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
engine = 0
if lib == "knnkit":
    with open(f"/proc/{client().pid}/status") as f:
        engine = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM"))
print(json.dumps({"seconds": seconds, "python_peak": peak, "engine_peak": engine, "checksum": float(np.nansum(out))}))
"""


def run(task, lib, n, d, n_jobs):
    out = subprocess.run([sys.executable, "-c", CHILD, task, lib, str(n), str(d), str(n_jobs)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(task, lib, n, d, n_jobs, repeats):
    runs = [run(task, lib, n, d, n_jobs) for _ in range(repeats)]
    return {
        "task": task, "lib": lib, "rows": n, "cols": d, "n_jobs": n_jobs, "repeats": repeats,
        "seconds": statistics.median(r["seconds"] for r in runs),
        "all_seconds": [r["seconds"] for r in runs],
        "peak_bytes": statistics.median(r["python_peak"] + r["engine_peak"] for r in runs),
        "checksum": runs[0]["checksum"],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[5000, 10000])
    ap.add_argument("--big", type=int, default=200_000)
    ap.add_argument("--big-repeats", type=int, default=1)
    ap.add_argument("--lof-rows", type=int, default=50_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="bench-neighbors-more.json")
    args = ap.parse_args()
    rows = []

    def add(r):
        rows.append(r)
        print(f"{r['task']:8} {r['lib']:8} n={r['rows']:>7} n_jobs={str(r['n_jobs']):>4}  {r['seconds']:9.2f} s  "
              f"peak {r['peak_bytes'] / 2**20:8.0f} MiB  (runs {', '.join(f'{s:.2f}' for s in r['all_seconds'])})", flush=True)
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)

    for n in args.sizes:
        add(measure("imputer", "sklearn", n, 20, None, args.repeats))
        add(measure("imputer", "knnkit", n, 20, None, args.repeats))
        add(measure("imputer", "knnkit", n, 20, -1, args.repeats))
    for n_jobs in (None, -1):
        add(measure("lof", "sklearn", args.lof_rows, 10, n_jobs, args.repeats))
        add(measure("lof", "knnkit", args.lof_rows, 10, n_jobs, args.repeats))
    if args.big:
        add(measure("imputer", "knnkit", args.big, 20, -1, args.big_repeats))


if __name__ == "__main__":
    main()
