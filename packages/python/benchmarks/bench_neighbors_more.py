"""KNNImputer and LocalOutlierFactor.fit: knnkit next to scikit-learn, in the same run (issue 16).

Each measurement runs in a fresh subprocess, which reports its wall time, its CPU
time (the process's threads, plus for knnkit the engine process's) and peak
memory: the process's peak RSS, plus for knnkit the engine's (the Node process's
VmHWM). Data: uniform random rows, seeded; KNNImputer with 10% of values missing.
Medians of --repeats runs, interleaved. scikit-learn's KNNImputer grows with rows² (its
chunked nan_euclidean matrix), so it runs at the --sizes only; the libraries of --big-libs
(knnkit by default) also run at --big rows, and --lof-rows 0 skips LOF. A scikit-learn
imputer prints one stderr line per distance chunk (rows done, wall, CPU, peak, load),
from which a run stopped early can be projected.

    .venv/bin/python packages/python/benchmarks/bench_neighbors_more.py --out bench-neighbors-more.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, os, resource, sys, time
import numpy as np
task, lib, n, d, n_jobs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
n_jobs = None if n_jobs == "None" else int(n_jobs)
rng = np.random.default_rng(16)
X = rng.random((n, d))
if task == "imputer":
    X[rng.random(X.shape) < 0.1] = np.nan
if lib == "knnkit":
    os.environ.setdefault("KNNKIT_TIMEOUT", "36000")  # one call may take long at 200,000 rows
    import knnkit as m
    from knnkit._bridge import client
    m.NearestNeighbors(n_neighbors=1).fit(np.eye(2))  # start the engine (not timed)
else:
    import sklearn.impute, sklearn.impute._knn, sklearn.neighbors
    chunked = sklearn.impute._knn.pairwise_distances_chunked
    def logged(X, *a, **kw):  # one stderr line per distance chunk: how far a long run has got
        t0, c0, done = time.perf_counter(), time.process_time(), [0]
        reduce = kw["reduce_func"]
        def counted(dist_chunk, start):
            done[0] = start + len(dist_chunk)
            return reduce(dist_chunk, start)
        kw["reduce_func"] = counted
        for i, chunk in enumerate(chunked(X, *a, **kw)):
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"chunk {i}: {done[0]} of {len(X)} receiving rows after {time.perf_counter() - t0:.0f} s, "
                  f"cpu {time.process_time() - c0:.0f} s, peak {rss:.0f} MiB, load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
            yield chunk
    sklearn.impute._knn.pairwise_distances_chunked = logged
def engine_cpu():
    if lib != "knnkit":
        return 0.0
    with open(f"/proc/{client().pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
load0 = os.getloadavg()[0]
c0, e0 = time.process_time(), engine_cpu()
t = time.perf_counter()
if task == "imputer":
    est = m.KNNImputer(n_jobs=n_jobs) if lib == "knnkit" else sklearn.impute.KNNImputer()
    out = est.fit_transform(X)
else:
    est = m.LocalOutlierFactor(n_jobs=n_jobs) if lib == "knnkit" else sklearn.neighbors.LocalOutlierFactor(n_jobs=n_jobs)
    est.fit(X)
    out = est.negative_outlier_factor_
seconds = time.perf_counter() - t
cpu = time.process_time() - c0 + engine_cpu() - e0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
engine = 0
if lib == "knnkit":
    with open(f"/proc/{client().pid}/status") as f:
        engine = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM"))
print(json.dumps({"load": [load0, os.getloadavg()[0]], "seconds": seconds, "cpu": cpu, "python_peak": peak, "engine_peak": engine, "checksum": float(np.nansum(out))}))
"""


def run(task, lib, n, d, n_jobs):
    out = subprocess.run([sys.executable, "-c", CHILD, task, lib, str(n), str(d), str(n_jobs)], stdout=subprocess.PIPE, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(configs, repeats):
    """Each (task, lib, n, d, n_jobs) `repeats` times, interleaved (the machine's load drifts), as summaries."""
    runs = {c: [] for c in configs}
    for _ in range(repeats):
        for c in configs:
            runs[c].append(run(*c))
    return [summary(*c, repeats, runs[c]) for c in configs]


def summary(task, lib, n, d, n_jobs, repeats, runs):
    return {
        "task": task, "lib": lib, "rows": n, "cols": d, "n_jobs": n_jobs, "repeats": repeats,
        "seconds": statistics.median(r["seconds"] for r in runs),
        "all_seconds": [r["seconds"] for r in runs],
        "cpu_seconds": statistics.median(r["cpu"] for r in runs),
        "peak_bytes": statistics.median(r["python_peak"] + r["engine_peak"] for r in runs),
        "checksum": runs[0]["checksum"],
        "load": [r["load"] for r in runs],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[5000, 10000])
    ap.add_argument("--big", type=int, default=200_000)
    ap.add_argument("--big-repeats", type=int, default=1)
    ap.add_argument("--big-libs", nargs="*", default=["knnkit"], help="libraries measured at --big rows (n_jobs=-1)")
    ap.add_argument("--lof-rows", type=int, default=50_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="bench-neighbors-more.json")
    args = ap.parse_args()
    rows = []

    def add(r):
        rows.append(r)
        print(f"{r['task']:8} {r['lib']:8} n={r['rows']:>7} n_jobs={str(r['n_jobs']):>4}  {r['seconds']:9.2f} s  cpu {r['cpu_seconds']:8.2f} s  "
              f"peak {r['peak_bytes'] / 2**20:8.0f} MiB  load {r['load']}  (runs {', '.join(f'{s:.2f}' for s in r['all_seconds'])})", flush=True)
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)

    for n in args.sizes:
        for r in measure([("imputer", lib, n, 20, j) for lib, j in (("sklearn", None), ("knnkit", None), ("knnkit", -1))], args.repeats):
            add(r)
    if args.lof_rows:
        for r in measure([("lof", lib, args.lof_rows, 10, j) for j in (None, -1) for lib in ("sklearn", "knnkit")], args.repeats):
            add(r)
    if args.big:
        for r in measure([("imputer", lib, args.big, 20, -1) for lib in args.big_libs], args.big_repeats):
            add(r)


if __name__ == "__main__":
    main()
