"""knnkit's KD-tree timed through the package's engine (as `pnpm compare` does) against the same index looped in
one Node process (runner.ts run) and two peers, interleaved: the two knnkit figures should agree.

    PYTHONPATH=packages/bench/python .venv/bin/python -m knnkit_bench.bridge_timing [--dataset W1] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile

from knnkit import _measure

from .compare import DEFAULT_SCALE, dataset_files, node, read_split, records, repo_root


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="knnkit_bench.bridge_timing", description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", default="W1")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    root = repo_root()
    cache = root / ".cache" / "datasets"
    cache.mkdir(parents=True, exist_ok=True)
    train, test, _ = dataset_files(args.dataset, DEFAULT_SCALE.get(args.dataset, 1.0), cache, root, args)
    X, _ = read_split(train)
    Q, _ = read_split(test)
    qps: dict[str, list[float]] = {"knnkit kd_tree (engine)": [], "knnkit kd_tree (runner)": [], "sklearn_kd_tree": [], "scipy_ckdtree": []}
    for _ in range(args.rounds):
        measured = _measure.measure(X, None, Q, None, "none", k=10, engines=["kd_tree", "sklearn_kd_tree", "scipy_ckdtree"], repeats=1)
        for row in measured["rows"]:
            qps["knnkit kd_tree (engine)" if row["engine"] == "knnkit kd_tree" else row["engine"]].append(row["qps"])
        with tempfile.TemporaryDirectory() as d:
            out = node(root, ["run", "--train", str(train), "--test", str(test), "--k", "10", "--engines", "kd_tree", "--out", d])
        qps["knnkit kd_tree (runner)"].append(len(Q) / records(out)[0]["query_s"][0])
    for name, values in qps.items():
        print(f"{name:<26}{statistics.median(values):>12,.0f}  ({', '.join(f'{v:,.0f}' for v in values)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
