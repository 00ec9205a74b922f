"""Brute-force distance kernels against scikit-learn's brute force (BLAS), in the same run.

    PYTHONPATH=packages/bench/python .venv/bin/python -m knnkit_bench.kernels [--datasets W5,digits]
        [--scale 1] [--repeats 3] [--k 10]

For each dataset and each dtype (float64, float32) it times, one thread each, knnkit's brute force
on every distance path (plain loop, blocked TypeScript, WebAssembly float64 form, the default
"auto" path) and on two workers, and scikit-learn's NearestNeighbors(algorithm="brute") on the same
arrays; median of `repeats` rounds (engine order rotated). GFLOP/s counts the 2·N·d flops per query
of the dot products. Prints a Markdown table for BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .compare import (SYNTHETIC, dataset_files, node, read_split, records, repo_root,
                      seconds_per_call)

PATHS = ["brute:plain", "brute:typescript", "brute:wasm-float64", "brute:auto", "brute@all:auto"]
SKLEARN = "sklearn brute (BLAS)"


def sklearn_brute(X, Q, k):
    from sklearn.neighbors import NearestNeighbors
    from threadpoolctl import threadpool_limits
    model = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(X)
    with threadpool_limits(1):
        model.kneighbors(Q, k)  # warm-up
        return seconds_per_call(lambda: model.kneighbors(Q, k))[0]


def knnkit_paths(root, train, test, k, dtype):
    with tempfile.TemporaryDirectory() as d:
        out = node(root, ["run", "--train", str(train), "--test", str(test), "--k", str(k), "--engines", ",".join(PATHS),
                          "--out", d, "--repeats", "1", "--dtype", dtype])
    return {r["engine"]: r["query_s"][0] for r in records(out)}


def cpu_mhz() -> float | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1])
    except OSError:
        pass
    return None


def measure(datasets: list[str], scale: float, repeats: int, k: int) -> list[dict]:
    """One row per dataset x dtype x engine: queries/s (median of the rounds) and its ratios."""
    root = repo_root()
    cache = root / ".cache" / "datasets"
    cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in datasets:
        set_scale = scale if name in SYNTHETIC else 1.0
        train, test, _ = dataset_files(name, set_scale, cache, root, argparse.Namespace(data=None, target=None))
        X, _ = read_split(train)
        Q, _ = read_split(test)
        n, d = X.shape
        for dtype in ("float64", "float32"):
            Xd, Qd = X.astype(dtype), Q.astype(dtype)
            times: dict[str, list[float]] = {}
            for r in range(repeats):
                for step in (["knnkit", "sklearn"] if r % 2 == 0 else ["sklearn", "knnkit"]):
                    if step == "knnkit":
                        for engine, t in knnkit_paths(root, train, test, k, dtype).items():
                            times.setdefault(engine, []).append(t)
                    else:
                        times.setdefault(SKLEARN, []).append(sklearn_brute(Xd, Qd, k))
                print(f"{name} {dtype} round {r + 1}/{repeats}", file=sys.stderr)
            qps = {e: len(Q) / statistics.median(ts) for e, ts in times.items()}
            for engine, v in qps.items():
                rows.append({"dataset": name, "rows": n, "cols": d, "dtype": dtype, "engine": engine,
                             "threads": 2 if "@all" in engine else 1, "qps": v,
                             "vs_sklearn": v / qps[SKLEARN], "vs_plain": v / qps["brute:plain"],
                             "gflops": 2 * n * d * v / 1e9})
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| dataset | dtype | engine | threads | queries/s | x sklearn brute | x plain loop | GFLOP/s |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['dataset']} ({r['rows']:,}x{r['cols']}) | {r['dtype']} | {r['engine']} | {r['threads']} | "
                     f"{r['qps']:,.0f} | {r['vs_sklearn']:.2f}x | {r['vs_plain']:.1f}x | {r['gflops']:.1f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="knnkit_bench.kernels", description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", default="W5,digits")
    ap.add_argument("--scale", type=float, default=1.0, help="size of the synthetic sets (1 = documented size)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args(argv)
    rows = measure(args.datasets.split(","), args.scale, args.repeats, args.k)
    mhz = cpu_mhz()
    print(f"\nRun {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, k={args.k}, median of {args.repeats} rounds"
          + (f", CPU at {mhz:.0f} MHz" if mhz else ""))
    print()
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
