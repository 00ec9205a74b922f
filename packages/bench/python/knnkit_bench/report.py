"""The self-contained HTML report of the comparison (plotly.js inlined from the npm package, no CDN)."""

from __future__ import annotations

import html
import json
from pathlib import Path


def _plotly_js(root: Path) -> str:
    for candidate in (
        root / "packages" / "bench" / "node_modules" / "plotly.js-dist-min" / "plotly.min.js",
        root / "node_modules" / "plotly.js-dist-min" / "plotly.min.js",
    ):
        if candidate.exists():
            return candidate.read_text()
    raise RuntimeError("plotly.js-dist-min is not installed (run scripts/setup.sh)")


def figures(results: dict) -> list[dict]:
    rows = [r for r in results["rows"] if "qps" in r]
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    engines = list(dict.fromkeys(r["engine"] for r in rows))
    qps = {
        "id": "qps",
        "data": [
            {"type": "bar", "name": e, "x": [r["dataset"] for r in rows if r["engine"] == e], "y": [r["qps"] for r in rows if r["engine"] == e]}
            for e in engines
        ],
        "layout": {"title": {"text": "Queries per second per engine and dataset"}, "barmode": "group", "yaxis": {"type": "log", "title": {"text": "queries/s (log)"}}, "height": 560},
    }
    tradeoff = {
        "id": "tradeoff",
        "data": [
            {"type": "scatter", "mode": "lines+markers", "name": name, "x": [p["recall"] for p in pts], "y": [p["qps"] for p in pts], "text": [p["param"] for p in pts]}
            for name, pts in results["tradeoff"].items()
            if isinstance(pts, list)
        ],
        "layout": {"title": {"text": "Recall@k vs queries per second (approximate engines)"}, "xaxis": {"title": {"text": "recall@k"}}, "yaxis": {"type": "log", "title": {"text": "queries/s (log)"}}},
    }
    scaling_engines = list(dict.fromkeys(r["engine"] for r in results["scaling"]))
    scaling = {
        "id": "scaling",
        "data": [
            {"type": "scatter", "mode": "lines+markers", "name": e, "x": [r["N"] for r in results["scaling"] if r["engine"] == e], "y": [r["build_s"] for r in results["scaling"] if r["engine"] == e]}
            for e in scaling_engines
        ],
        "layout": {"title": {"text": "Build time vs N (W2, exact trees)"}, "xaxis": {"type": "log", "title": {"text": "N"}}, "yaxis": {"type": "log", "title": {"text": "seconds"}}},
    }
    real = [r for r in rows if r["task"] != "none" and r.get("score") is not None]
    accuracy = {
        "id": "accuracy",
        "data": [
            {"type": "bar", "name": e, "x": [r["dataset"] for r in real if r["engine"] == e], "y": [r["score"] for r in real if r["engine"] == e]}
            for e in dict.fromkeys(r["engine"] for r in real)
        ],
        "layout": {"title": {"text": "Accuracy (R² for diabetes) of each engine's k-NN vote"}, "barmode": "group", "height": 520},
    }
    return [qps, tradeoff, scaling, accuracy]


def write_html(results: dict, path: Path, root: Path) -> None:
    figs = figures(results)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(c)))}</td>" for c in ("dataset", "engine", "workers", "build_s", "qps", "speedup_vs_sklearn_best_exact", "recall", "score", "index_bytes", "error")) + "</tr>"
        for r in results["rows"]
    )
    process = "".join(
        f"<tr><td>{html.escape(p['dataset'])}</td><td>{p['wall_s']:.2f}</td><td>{p['load_s']:.3f}</td><td>{p['in_engine_s']:.2f}</td><td>{p['startup_and_transfer_s']:.2f}</td></tr>"
        for p in results.get("knnkit_process", [])
    )
    expectations = "".join(
        f"<tr><td>{html.escape(e['claim'])}</td><td>{html.escape(e['dataset'])}</td><td>{_fmt(e['knnkit_qps'])} ({html.escape(str(e['knnkit']))})</td>"
        f"<td>{_fmt(e['peer_qps'])} ({html.escape(str(e['peer']))})</td><td>{_fmt(e['ratio'])}</td>"
        f"<td>{'not measured' if e['met'] is None else 'yes' if e['met'] else '<b>no</b>'}</td></tr>"
        for e in results.get("expectations", [])
    )
    divs = "".join(f'<div id="{f["id"]}" class="chart"></div>' for f in figs)
    script = "".join(
        f"Plotly.newPlot({json.dumps(f['id'])}, {json.dumps(f['data'])}, {json.dumps(f['layout'])});" for f in figs
    )
    meta = html.escape(json.dumps({"versions": results["versions"], "machine": results["machine"], "seed": results["seed"], "date": results["date"]}))
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>knnkit comparison</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}.chart{{margin:1em 0}}</style>
<script>{_plotly_js(root)}</script></head>
<body><h1>knnkit against scikit-learn and peers</h1>
<p>k = {results['k']}, median of {results['repeats']} runs per engine; speed-up against scikit-learn's best single-thread exact method; recall@k against exact neighbours; score = accuracy of the majority vote (R² for regression).</p>
<pre>{meta}</pre>
<h2>Expectations (queries/s, one thread each)</h2>
<table><tr><th>expectation</th><th>dataset</th><th>knnkit</th><th>scikit-learn</th><th>ratio</th><th>met?</th></tr>{expectations}</table>
{divs}
<p>index bytes: the index's own arrays (knnkit, scikit-learn trees, faiss flat) or, where the index lives in C/C++ memory Python cannot see (cKDTree, HNSW), the growth of the resident set while it was built.</p>
<table><tr><th>dataset</th><th>engine</th><th>workers</th><th>build s</th><th>queries/s</th><th>× sklearn best exact</th><th>recall@k</th><th>score</th><th>index bytes</th><th>note</th></tr>{rows}</table>
<h2>knnkit process (not counted in build or query times)</h2>
<table><tr><th>dataset</th><th>process wall s</th><th>reading input s</th><th>in engine s</th><th>start-up and transfer s</th></tr>{process}</table>
<script>{script}</script>
</body></html>"""
    path.write_text(page)


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)
