"""Issue 12 transport benchmark, IPC bridge from CPython, public API only (runs in either tree).

    <tree>/.venv/bin/python packages/python/benchmarks/bench_transport.py

Prints one JSON line:
  tiny_ms   median of 300 KDTree.query of 1 row on a 100 x 32 tree (k=1)
  nn_ms     median of 5 NearestNeighbors(algorithm="brute", n_jobs=1) fitted on 1,000 x 32,
            kneighbors of 100,000 x 32 float64 queries, k=1
  kd_ms     median of 5 KDTree fitted on 1,000 x 32, query of the same 100,000 x 32, k=1
"""

import json
import statistics
import time

import numpy as np

import knnkit


def med(fn, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


rng = np.random.default_rng(0)
small = knnkit.KDTree(rng.random((100, 32)))
one = rng.random((1, 32))
for _ in range(20):
    small.query(one, k=1)
tiny = med(lambda: small.query(one, k=1), 300)

X = rng.random((1_000, 32))
Q = rng.random((100_000, 32))
nn = knnkit.NearestNeighbors(n_neighbors=1, algorithm="brute", n_jobs=1).fit(X)
d, i = nn.kneighbors(Q, n_neighbors=1)
assert i.shape == (100_000, 1)
nn_ms = med(lambda: nn.kneighbors(Q, n_neighbors=1), 5)

kd = knnkit.KDTree(X)
kd.query(Q, k=1)
kd_ms = med(lambda: kd.query(Q, k=1), 5)
print(json.dumps({"tiny_ms": tiny, "nn_ms": nn_ms, "kd_ms": kd_ms}))
