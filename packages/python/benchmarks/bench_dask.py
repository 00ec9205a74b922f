"""knnkit.dask benchmark: queries/s and memory per worker for 1 vs 2 workers, and a reference set larger
than one worker's memory_limit (each worker holds only its shards).

    .venv/bin/python packages/python/benchmarks/bench_dask.py throughput [--rows 1000000] [--queries 20000] [--repeats 3]
    .venv/bin/python packages/python/benchmarks/bench_dask.py big [--rows 40000000] [--cols 8] [--memory-limit 1.5GB]

Data is generated on the workers (dask.array.random), so the reference set never exists on the client.
Memory: the resident set, peak (VmHWM) and at the end (VmRSS), of each worker process and of its knnkit engine (Node) process.
CPU: seconds of CPU (user + system) per query batch of each worker process and its engine; on a shared machine
queries / (the busiest worker's CPU seconds) is the rate the workers would reach with a core each.
Prints one JSON object per configuration.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

import knnkit.dask as kd


def _peak_rss() -> dict:
    """This worker's and its engine's resident set, peak (VmHWM) and now (VmRSS), in MiB."""
    from knnkit._bridge import client

    def status(pid):
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f)
        return {"peak": round(int(fields["VmHWM"].split()[0]) / 1024), "now": round(int(fields["VmRSS"].split()[0]) / 1024)}

    import os

    engine = client().pid
    return {"worker_mib": status(os.getpid()), "engine_mib": status(engine) if engine else None}


def _cpu_s() -> dict:
    """CPU seconds (user + system) used so far by this worker process and by its knnkit engine."""
    import os

    from knnkit._bridge import client

    def cpu(pid):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    engine = client().pid
    return {"worker": cpu(os.getpid()), "engine": cpu(engine) if engine else 0.0}


def _cpu_per_repeat(before: dict, after: dict, repeats: int) -> dict:
    return {
        w: {p: round((after[w][p] - before[w][p]) / repeats, 2) for p in ("worker", "engine")} for w in after
    }


def _cluster(n, memory_limit):
    return LocalCluster(n_workers=n, threads_per_worker=1, processes=True, memory_limit=memory_limit, dashboard_address=None)


def throughput(args) -> None:
    for n in args.workers:
        with _cluster(n, args.memory_limit) as cluster, Client(cluster) as client:
            X = da.random.default_rng(1).random((args.rows, args.cols), chunks=(args.rows // (2 * n), args.cols), dtype=np.float32)
            Q = da.random.default_rng(2).random((args.queries, args.cols), chunks=(args.query_block, args.cols), dtype=np.float32)
            Q = client.persist(Q)
            t = time.perf_counter()
            nn = kd.NearestNeighbors(n_neighbors=args.k, algorithm=args.algorithm).fit(X)
            fit_s = time.perf_counter() - t
            times = []
            before = client.run(_cpu_s)
            for _ in range(args.repeats):
                t = time.perf_counter()
                dist, ind = dask.compute(*nn.kneighbors(Q))
                times.append(time.perf_counter() - t)
            cpu = _cpu_per_repeat(before, client.run(_cpu_s), args.repeats)
            assert ind.shape == (args.queries, args.k) and (np.diff(dist, axis=1) >= 0).all()
            median = statistics.median(times)
            busiest = max(c["worker"] + c["engine"] for c in cpu.values())
            print(json.dumps({
                "config": "throughput", "workers": n, "rows": args.rows, "cols": args.cols, "queries": args.queries,
                "k": args.k, "algorithm": args.algorithm, "shards": len(nn.shards_), "fit_s": round(fit_s, 2),
                "query_s": [round(x, 2) for x in times], "queries_per_s": round(args.queries / median, 1),
                "cpu_s_per_query_batch": cpu, "queries_per_cpu_s_of_busiest_worker": round(args.queries / busiest, 1),
                "memory": client.run(_peak_rss),
            }), flush=True)


def big(args) -> None:
    with _cluster(2, args.memory_limit) as cluster, Client(cluster) as client:
        chunk = args.rows // args.shards
        X = da.random.default_rng(1).random((args.rows, args.cols), chunks=(chunk, args.cols), dtype=np.float32)
        Q = np.random.default_rng(2).random((args.queries, args.cols), dtype=np.float32)
        t = time.perf_counter()
        nn = kd.NearestNeighbors(n_neighbors=args.k, algorithm=args.algorithm).fit(X)
        fit_s = time.perf_counter() - t
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            dist, ind = dask.compute(*nn.kneighbors(Q))
            times.append(time.perf_counter() - t)
        # check three answers against brute force, one block of the reference set at a time on the client
        best = np.full((3, args.k), np.inf)
        for b in range(args.shards):
            block = X[b * chunk:(b + 1) * chunk].compute()
            for i in range(3):
                best[i] = np.sort(np.concatenate([best[i], np.sqrt(((block - Q[i]) ** 2).sum(axis=1))]))[: args.k]
        exact = [bool(np.allclose(best[i], dist[i], rtol=1e-5)) for i in range(3)]
        print(json.dumps({
            "config": "big", "workers": 2, "memory_limit": args.memory_limit, "rows": args.rows, "cols": args.cols,
            "reference_mib": round(args.rows * args.cols * 4 / 2**20), "shards": len(nn.shards_),
            "algorithm": args.algorithm, "fit_s": round(fit_s, 1), "queries": args.queries,
            "query_s": [round(x, 2) for x in times], "queries_per_s": round(args.queries / statistics.median(times), 1),
            "exact_on_3_queries": all(exact), "memory": client.run(_peak_rss),
        }), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--rows", type=int, default=1_000_000)
    t.add_argument("--cols", type=int, default=16)
    t.add_argument("--queries", type=int, default=20_000)
    t.add_argument("--query-block", type=int, default=5_000)
    t.add_argument("--k", type=int, default=10)
    t.add_argument("--algorithm", default="brute")
    t.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    t.add_argument("--repeats", type=int, default=3)
    t.add_argument("--memory-limit", default="4GB")
    b = sub.add_parser("big")
    b.add_argument("--rows", type=int, default=40_000_000)
    b.add_argument("--cols", type=int, default=8)
    b.add_argument("--shards", type=int, default=20)
    b.add_argument("--queries", type=int, default=1_000)
    b.add_argument("--k", type=int, default=10)
    b.add_argument("--algorithm", default="kd_tree")
    b.add_argument("--repeats", type=int, default=3)
    b.add_argument("--memory-limit", default="1.5GB")
    args = ap.parse_args()
    throughput(args) if args.what == "throughput" else big(args)


if __name__ == "__main__":
    main()
