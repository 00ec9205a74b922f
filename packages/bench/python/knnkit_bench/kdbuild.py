"""KD-tree build time against scipy's cKDTree and pykdtree, in the same run.

    PYTHONPATH=packages/bench/python .venv/bin/python -m knnkit_bench.kdbuild [--datasets W1,W2]
        [--scale 0.25] [--rounds 5]

Each round runs knnkit's comparison runner in a fresh Node process (kd_tree, leafSize 40, three
builds: the first is cold, unoptimised code and WebAssembly compiled on first use, as `pnpm
compare` measures it; the warm figure is the median of the other two) and builds cKDTree
(leafsize 40) and pykdtree (its default, 16; one OpenMP thread) three times each on the same
arrays, the order alternating between rounds. Wall-clock seconds, medians over the rounds.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile

from knnkit import _measure

from .compare import dataset_files, node, read_split, records, repo_root


def knnkit_builds(root, train, test) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as d:
        out = node(root, ["run", "--train", str(train), "--test", str(test), "--k", "10", "--engines", "kd_tree",
                          "--out", d, "--repeats", "3", "--min-time", "0.02"])
    builds = records(out)[0]["build_s"]
    return builds[0], statistics.median(builds[1:])


PEERS = {"cKDTree": "scipy_ckdtree", "pykdtree": "pykdtree"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="knnkit_bench.kdbuild", description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", default="W1,W2")
    ap.add_argument("--scale", type=float, default=0.25, help="size of the synthetic sets (0.25 = pnpm compare's default)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = "1"  # pykdtree's OpenMP, before it is imported
    root = repo_root()
    cache = root / ".cache" / "datasets"
    cache.mkdir(parents=True, exist_ok=True)
    print("| data | knnkit cold s | knnkit warm s | cKDTree s | pykdtree s | cold / cKDTree | warm / cKDTree | warm / pykdtree |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in args.datasets.split(","):
        train, test, _ = dataset_files(name, args.scale, cache, root, argparse.Namespace(data=None, target=None))
        X, _ = read_split(train)
        times: dict[str, list[float]] = {"cold": [], "warm": [], "cKDTree": [], "pykdtree": []}
        for r in range(args.rounds):
            for step in (["knnkit", "peers"] if r % 2 == 0 else ["peers", "knnkit"]):
                if step == "knnkit":
                    cold, warm = knnkit_builds(root, train, test)
                    times["cold"].append(cold)
                    times["warm"].append(warm)
                else:
                    for peer in ("cKDTree", "pykdtree"):
                        times[peer].append(_measure.build_seconds(PEERS[peer], X, 3))
            print(f"{name} round {r + 1}/{args.rounds}", file=sys.stderr)
        m = {k: statistics.median(v) for k, v in times.items()}
        print(f"| {name} {X.shape[0]:,} x {X.shape[1]} | {m['cold']:.4f} | {m['warm']:.4f} | {m['cKDTree']:.4f} | "
              f"{m['pykdtree']:.4f} | {m['cold'] / m['cKDTree']:.2f}x | {m['warm'] / m['cKDTree']:.2f}x | "
              f"{m['warm'] / m['pykdtree']:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
