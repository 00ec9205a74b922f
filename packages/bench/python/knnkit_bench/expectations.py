"""The issue's expectations of the engine, checked against a results.json, and its table as Markdown.

    PYTHONPATH=packages/bench/python .venv/bin/python -m knnkit_bench.expectations report/results.json
"""

from __future__ import annotations

import json
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


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "report/results.json")
    print(markdown(json.loads(path.read_text())))
