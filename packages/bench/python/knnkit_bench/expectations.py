"""The issue's expectations of the engine, checked against a results.json, and its table as Markdown.

    PYTHONPATH=packages/bench/python .venv/bin/python -m knnkit_bench.expectations report/results.json [--section]

--section prints the whole BENCHMARKS.md section (run description, table, expectations, scaling, trade-off).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

KNNKIT_EXACT = ("knnkit brute", "knnkit kd_tree", "knnkit ball_tree")
SKLEARN_EXACT = ("sklearn_kd_tree", "sklearn_ball_tree", "sklearn_brute")


def _qps(rows, dataset, engine):
    for r in rows:
        if r["dataset"] == dataset and r["engine"] == engine and "qps" in r:
            return r["qps"]
    return None


def _best(rows, dataset, engines):
    found = [(r["qps"], r["engine"]) for r in rows if r["dataset"] == dataset and r["engine"] in engines and "qps" in r]
    return max(found) if found else (None, None)


def check(results: dict) -> list[dict]:
    """One entry per expectation and dataset: the two figures, their ratio, and whether it holds (None: not measured)."""
    rows = results["rows"]
    out = []

    def pair(claim, dataset, ours, theirs, need):
        a, b = _qps(rows, dataset, ours), _qps(rows, dataset, theirs)
        ratio = a / b if a and b else None
        out.append({"claim": claim, "dataset": dataset, "knnkit": ours, "knnkit_qps": a, "peer": theirs, "peer_qps": b,
                    "ratio": ratio, "needed": need, "met": None if ratio is None else ratio >= need})

    for ds in ("W1", "W2"):
        pair("KD-tree >= scikit-learn KDTree, one thread each", ds, "knnkit kd_tree", "sklearn_kd_tree", 1.0)
    pair("Ball tree >= scikit-learn BallTree, one thread each", "W3", "knnkit ball_tree", "sklearn_ball_tree", 1.0)
    for ds in ("W5", "digits"):
        a, ae = _best(rows, ds, KNNKIT_EXACT)
        b, be = _best(rows, ds, SKLEARN_EXACT)
        ratio = a / b if a and b else None
        out.append({"claim": "best exact within 3x of scikit-learn's best exact, one thread each", "dataset": ds,
                    "knnkit": ae, "knnkit_qps": a, "peer": be, "peer_qps": b, "ratio": ratio, "needed": 1 / 3,
                    "met": None if ratio is None else ratio >= 1 / 3})
    return out


def markdown(results: dict) -> str:
    lines = ["| dataset | engine | workers | build s | queries/s | × sklearn best exact | recall@k | score | index MB |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results["rows"]:
        if "qps" not in r:
            lines.append(f"| {r['dataset']} | {r['engine']} | {r['workers']} | {r.get('error', '')} | | | | | |")
            continue
        sp = r.get("speedup_vs_sklearn_best_exact")
        score = r.get("score")
        mb = r.get("index_bytes")
        lines.append(f"| {r['dataset']} | {r['engine']} | {r['workers']} | {r['build_s']:.3f} | {r['qps']:,.0f} | "
                     f"{'' if sp is None else f'{sp:.2f}×'} | {r['recall']:.3f} | {'' if score is None else f'{score:.3f}'} | "
                     f"{'' if mb is None else f'{mb / 1e6:.1f}'} |")
    lines += ["", "| expectation | dataset | knnkit q/s | scikit-learn q/s | ratio | met? |", "| --- | --- | ---: | ---: | ---: | --- |"]
    for e in check(results):
        fmt = lambda v: "n/a" if v is None else f"{v:,.0f}"  # noqa: E731
        met = "not measured" if e["met"] is None else ("yes" if e["met"] else "**no**")
        lines.append(f"| {e['claim']} | {e['dataset']} | {fmt(e['knnkit_qps'])} ({e['knnkit']}) | {fmt(e['peer_qps'])} ({e['peer']}) | "
                     f"{'n/a' if e['ratio'] is None else format(e['ratio'], '.2f')} | {met} |")
    return "\n".join(lines)


def section(r: dict) -> str:
    v, m = r["versions"], r["machine"]
    out = [
        "Command: `pnpm compare` (default sizes: the bundled scikit-learn datasets whole; W1/W2 at 1/4 of the documented",
        "size = 50,000 train x 2,500 queries; W3, W5, P1, P2 at 1/10; k = 10; median of 3 rounds, engine order rotated",
        f"each round). Run {r['date']}, {r['elapsed_s'] / 60:.1f} min wall in all, on a **shared** 2-core machine",
        f"({m['cpu']}, {m['cores']} cores, other jobs running: single figures move by up to ~2x between runs; read the ratios).",
        f"Versions: Node {v['node']}, Python {v['python']}, scikit-learn {v['sklearn']}, numpy {v['numpy']}, scipy {v['scipy']},",
        f"faiss-cpu {v['faiss']}, hnswlib {v['hnswlib']}; seed {r['seed']}. Full data: `report/results.json`, charts: `report/index.html`.",
        "",
        "knnkit is timed inside its engine (knnkit/_measure.py, knnkit.compare's rules); \"× sklearn best exact\" divides",
        "by the fastest one-thread scikit-learn exact method on that dataset (KDTree, BallTree or brute force). `@all` = all cores (workers=2 / n_jobs=-1).",
        "faiss and hnswlib run single-threaded; HNSW is approximate (faiss M=32, efSearch=64; hnswlib M=16, ef=64).",
        "Score = accuracy (R² for diabetes) of a uniform k-NN vote over the engine's neighbours (`sklearn_estimator`:",
        "KNeighborsClassifier/Regressor's own `score()`); index MB = the index's arrays, or resident-set growth while",
        "building for cKDTree/HNSW.",
        "",
        markdown(r).replace("| expectation |", "### Expectations from the issue\n\n| expectation |", 1),
        "",
        "### Build time vs N (W2, 8-D, seconds, median of the repeats)",
        "",
    ]
    sc = r["scaling"]
    engines = list(dict.fromkeys(x["engine"] for x in sc))
    ns = sorted({x["N"] for x in sc})
    out.append("| engine | " + " | ".join(f"N={n:,}" for n in ns) + " |")
    out.append("| --- |" + " ---: |" * len(ns))
    for e in engines:
        cells = [next((f"{x['build_s']:.3f}" for x in sc if x["engine"] == e and x["N"] == n), "") for n in ns]
        out.append(f"| {e} | " + " | ".join(cells) + " |")
    out += ["", "### Recall@k vs queries/s on W2 (approximate engines, one thread)", "",
            "| engine | setting | recall@k | queries/s |", "| --- | --- | ---: | ---: |"]
    for name, pts in r["tradeoff"].items():
        if isinstance(pts, list):
            out += [f"| {name} | {p['param']} | {p['recall']:.3f} | {p['qps']:,.0f} |" for p in pts]
        else:
            out.append(f"| {name} | {pts.get('error')} | | |")
    kp = r.get("knnkit_process", [])
    if kp:
        out += ["", "knnkit's engine calls (in no figure above, which are times inside the engine): moving the arrays between",
                f"Python and the engine and the Python side took {sum(p['transfer_s'] for p in kp):.2f} s over {sum(p['calls'] for p in kp):,} calls "
                f"({sum(p['transfer_s'] for p in kp) / sum(p['calls'] for p in kp) * 1000:.2f} ms a call; inside the engine "
                f"{sum(p['in_engine_s'] for p in kp):.2f} s)."]
    return "\n".join(out)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    results = json.loads(Path(args[0] if args else "report/results.json").read_text())
    print(section(results) if "--section" in sys.argv else markdown(results))
