"""The self-contained HTML report of the comparison (plotly.js inlined from the npm package, no CDN).

Every figure and the summary paragraph are computed from results.json. Colour says
the library (one hue family each), the marker the algorithm, an open marker all cores.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

# ---------------------------------------------------------------- engines and their look

LIBRARIES = ("knnkit", "scikit-learn", "scipy", "faiss", "hnswlib", "pykdtree")
# engine (without "@all") -> colour: one hue family per library, a shade per algorithm
COLOURS = {
    "knnkit brute": "#08306b", "knnkit kd_tree": "#2171b5", "knnkit ball_tree": "#4eb3d3",
    "knnkit prefilter": "#6a8fd8", "knnkit prefilter:0.05": "#c6dbef", "knnkit prefilter:0.2": "#9ecae1",
    "knnkit prefilter:0.5": "#7fa7e0", "knnkit prefilter:tuned": "#4a6fc0",
    "sklearn_kd_tree": "#a63603", "sklearn_ball_tree": "#e6550d", "sklearn_brute": "#f5a142",
    "sklearn_estimator": "#c9792c",
    "scipy_ckdtree": "#238b45",
    "faiss_flat": "#54278f", "faiss_hnsw": "#9e7cc1",
    "hnswlib": "#c51b7d",
    "pykdtree": "#525252",
}
FALLBACK = {"knnkit": "#6baed6", "scikit-learn": "#fd8d3c", "scipy": "#74c476", "faiss": "#9e9ac8",
            "hnswlib": "#de77ae", "pykdtree": "#969696"}
SYMBOLS = {"brute": "square", "kd_tree": "circle", "ball_tree": "diamond", "prefilter": "triangle-up",
           "ckdtree": "circle", "flat": "square", "hnsw": "star", "hnswlib": "star", "estimator": "x",
           "pykdtree": "circle"}
# the scaling runs name the Python trees by their class
ALIASES = {"sklearn KDTree": "sklearn_kd_tree", "sklearn BallTree": "sklearn_ball_tree", "scipy cKDTree": "scipy_ckdtree"}
KNNKIT_ORDER = ("brute", "kd_tree", "ball_tree", "prefilter:0.05", "prefilter:0.2", "prefilter:0.5", "prefilter:tuned")
KNNKIT_EXACT = ("knnkit brute", "knnkit kd_tree", "knnkit ball_tree")
SKLEARN_EXACT = ("sklearn_kd_tree", "sklearn_ball_tree", "sklearn_brute")
# on par: within 10% either way (single figures move by more than that on a shared machine)
PAR = 1.1


def library(engine: str) -> str:
    name = ALIASES.get(engine, engine)
    for prefix, lib in (("knnkit", "knnkit"), ("sklearn", "scikit-learn"), ("scipy", "scipy"), ("faiss", "faiss"),
                        ("hnswlib", "hnswlib"), ("pykdtree", "pykdtree")):
        if name.startswith(prefix):
            return lib
    return "other"


def engine_key(engine: str) -> str:
    """The engine's name without the tuned setting ("knnkit prefilter:tuned(0.75,h0)" -> "knnkit prefilter:tuned")."""
    return re.sub(r"\(.*\)$", "", ALIASES.get(engine, engine))


def all_cores(engine: str) -> bool:
    return engine.endswith("@all")


def _base(engine: str) -> str:
    """The engine without its thread count and setting ("knnkit prefilter:0.2@all" -> "knnkit prefilter")."""
    return engine_key(engine).replace("@all", "").split(":")[0]


def style(engine: str) -> dict:
    base = _base(engine)
    setting = engine_key(engine).replace("@all", "")
    colour = COLOURS.get(setting, COLOURS.get(base, FALLBACK.get(library(engine), "#777777")))
    algo = base.split(" ")[-1].split("_", 1)[-1] if base.startswith(("sklearn", "scipy", "faiss")) else base.split(" ")[-1]
    symbol = SYMBOLS.get(algo, "circle")
    return {"color": colour, "symbol": symbol + ("-open" if all_cores(engine) else ""),
            "dash": "dash" if all_cores(engine) else "solid"}


def _rank(engine: str) -> int:
    """Legend order: by library, then algorithm, one thread before all cores."""
    key = engine_key(engine)
    lib = LIBRARIES.index(library(key)) if library(key) in LIBRARIES else len(LIBRARIES)
    name = key.replace("@all", "")
    if lib == 0:
        inner = KNNKIT_ORDER.index(name[7:]) if name[7:] in KNNKIT_ORDER else len(KNNKIT_ORDER)
    else:
        inner = sorted(COLOURS).index(name) if name in COLOURS else 99
    return lib * 1000 + inner * 10 + (1 if all_cores(key) else 0)


def _marker(engine: str, size: int = 9) -> dict:
    s = style(engine)
    return {"color": s["color"], "symbol": s["symbol"], "size": size, "line": {"color": s["color"], "width": 1.5}}


# ---------------------------------------------------------------- the numbers

def measured(results: dict) -> list[dict]:
    return [r for r in results["rows"] if "qps" in r]


def datasets(results: dict) -> list[str]:
    return list(dict.fromkeys(r["dataset"] for r in results["rows"]))


def is_peer(row: dict) -> bool:
    """A peer for queries/s: any other library's neighbour search (scikit-learn's estimator times predict, not a search)."""
    return library(row["engine"]) != "knnkit" and row["engine"] != "sklearn_estimator"


def best_peer(rows: list[dict], row: dict) -> dict | None:
    """The fastest peer on row's dataset that is at least as accurate (recall) and uses no more threads."""
    found = [p for p in rows if p["dataset"] == row["dataset"] and "qps" in p and is_peer(p)
             and p["recall"] >= row["recall"] - 1e-9 and (all_cores(row["engine"]) or not all_cores(p["engine"]))]
    return max(found, key=lambda p: p["qps"], default=None)


def best_sklearn_exact(rows: list[dict], dataset: str) -> dict | None:
    """scikit-learn's fastest one-thread exact method on a dataset (the harness's speed-up reference)."""
    found = [p for p in rows if p["dataset"] == dataset and "qps" in p and p["engine"] in SKLEARN_EXACT]
    return max(found, key=lambda p: p["qps"], default=None)


def _fastest(rows, dataset, engines):
    found = [r for r in rows if r["dataset"] == dataset and r["engine"] in engines]
    return max(found, key=lambda r: r["qps"], default=None)


def facts(results: dict) -> dict:
    """What the summary paragraph says, per dataset: knnkit's fastest one-thread exact index against the fastest
    one-thread peer that is as accurate, against scikit-learn's best exact method, and the one-shot winner."""
    rows = measured(results)
    out = {"datasets": [], "vs_peer": [], "vs_sklearn": [], "oneshot": []}
    for ds in datasets(results):
        ours = _fastest(rows, ds, KNNKIT_EXACT)
        if ours is None:
            continue
        out["datasets"].append(ds)
        peer = best_peer(rows, ours)
        if peer is not None:
            out["vs_peer"].append({"dataset": ds, "knnkit": ours["engine"], "peer": peer["engine"], "ratio": ours["qps"] / peer["qps"]})
        sk = best_sklearn_exact(rows, ds)
        if sk is not None:
            out["vs_sklearn"].append({"dataset": ds, "knnkit": ours["engine"], "peer": sk["engine"], "ratio": ours["qps"] / sk["qps"]})
        timed = [r for r in rows if r["dataset"] == ds and "oneshot_s" in r and r["recall"] >= 1 - 1e-9]
        if timed:
            first = min(timed, key=lambda r: r["oneshot_s"])
            out["oneshot"].append({"dataset": ds, "engine": first["engine"], "seconds": first["oneshot_s"]})
    return out


def ratio_text(ratio: float) -> str:
    return f"{ratio:.2f}×" if ratio >= 0.1 else f"{ratio:.2g}×"


def _short(engine: str) -> str:
    return engine[7:] if engine.startswith("knnkit ") else engine


def _list(items: list[dict]) -> str:
    return ", ".join(f"{i['dataset']} ({_short(i['knnkit'])} {ratio_text(i['ratio'])} {i['peer']})" for i in items)


def summary(results: dict) -> str:
    """One paragraph, computed from the results: where knnkit leads, where it trails, by how much."""
    f = facts(results)
    n = len(f["datasets"])
    if not n:
        return "No knnkit exact index was measured."
    lead = sorted((i for i in f["vs_peer"] if i["ratio"] >= PAR), key=lambda i: -i["ratio"])
    par = sorted((i for i in f["vs_peer"] if 1 / PAR < i["ratio"] < PAR), key=lambda i: -i["ratio"])
    trail = sorted((i for i in f["vs_peer"] if i["ratio"] <= 1 / PAR), key=lambda i: i["ratio"])
    parts = [f"One thread each, knnkit's fastest exact index leads the fastest peer that is as accurate on "
             f"{len(lead)} of {n} dataset{'s' if n > 1 else ''}" + (f": {_list(lead)}" if lead else "")]
    if par:
        parts.append(f"is within 10% on {len(par)}: {_list(par)}")
    parts.append(f"and trails on {len(trail)}" + (f": {_list(trail)}" if trail else ""))
    text = "; ".join(parts) + "."
    sk = f["vs_sklearn"]
    if sk:
        ahead = [i for i in sk if i["ratio"] >= 1]
        lo, hi = min(sk, key=lambda i: i["ratio"]), max(sk, key=lambda i: i["ratio"])
        spread = (f"at {ratio_text(lo['ratio'])} on {lo['dataset']}" if lo is hi else
                  f"from {ratio_text(lo['ratio'])} on {lo['dataset']} to {ratio_text(hi['ratio'])} on {hi['dataset']}")
        text += f" Against scikit-learn's fastest one-thread exact method it is ahead on {len(ahead)} of {len(sk)}, {spread}."
    if f["oneshot"]:
        ours = [i for i in f["oneshot"] if library(i["engine"]) == "knnkit"]
        text += (f" Building and querying every held-out row once (an exact engine's one-shot time, knnkit's "
                 f"inside its engine), knnkit is fastest on {len(ours)} of {len(f['oneshot'])}"
                 + (f": {', '.join(i['dataset'] for i in ours)}." if ours else "."))
    return text


# ---------------------------------------------------------------- figures

HEAT_SCALE = [[0.0, "#b2182b"], [0.25, "#ef8a62"], [0.5, "#f7f7f7"], [0.75, "#67a9cf"], [1.0, "#2166ac"]]
HEAT_LIMIT = 3  # the colour saturates at 8x either way (log2)
LEGEND = {"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top", "tracegroupgap": 0,
          "font": {"size": 11}}


def _knnkit_rows(rows: list[dict]) -> list[str]:
    keys = {engine_key(r["engine"]) for r in rows if library(r["engine"]) == "knnkit"}
    return sorted(keys, key=_rank)


def _heatmap(fig_id, title, rows, dss, reference, note):
    engines = _knnkit_rows(rows)
    z, text, custom = [], [], []
    for e in engines:
        cells = []
        for ds in dss:
            ours = next((r for r in rows if r["dataset"] == ds and engine_key(r["engine"]) == e), None)
            ref = reference(ours) if ours else None
            ratio = ours["qps"] / ref["qps"] if ours and ref else None
            cells.append((ratio, [ours["engine"], ours["qps"], ref["engine"], ref["qps"], ours["recall"]] if ratio else ["", 0, "", 0, 0]))
        z.append([None if r is None else max(-HEAT_LIMIT, min(HEAT_LIMIT, math.log2(r))) for r, _ in cells])
        text.append(["" if r is None else ratio_text(r) for r, _ in cells])
        custom.append([c for _, c in cells])
    ticks = list(range(-HEAT_LIMIT, HEAT_LIMIT + 1))
    return {
        "id": fig_id,
        "data": [{
            "type": "heatmap", "x": dss, "y": [e[7:] for e in engines], "z": z, "text": text, "customdata": custom,
            "texttemplate": "%{text}", "textfont": {"size": 11}, "zmin": -HEAT_LIMIT, "zmax": HEAT_LIMIT, "zmid": 0,
            "colorscale": HEAT_SCALE, "xgap": 2, "ygap": 2, "hoverongaps": False,
            "colorbar": {"title": {"text": "× the reference", "side": "right"}, "tickvals": ticks,
                         "ticktext": [f"{2 ** t:g}×" if t >= 0 else f"1/{2 ** -t:g}×" for t in ticks], "len": 0.9},
            "hovertemplate": "<b>%{customdata[0]}</b> on %{x}<br>%{customdata[1]:,.0f} queries/s (recall %{customdata[4]:.3f})"
                             "<br>" + note + ": %{customdata[2]}, %{customdata[3]:,.0f} queries/s<br><b>%{text}</b><extra></extra>",
        }],
        "layout": {"title": {"text": title}, "height": 90 + 34 * len(engines) + 60,
                   "yaxis": {"autorange": "reversed", "automargin": True}, "xaxis": {"side": "top", "automargin": True},
                   "margin": {"t": 90, "l": 10, "r": 10, "b": 20}},
    }


def _pareto(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points no other point beats on both recall and queries/s, by falling recall."""
    front, best = [], -1.0
    for recall, qps in sorted(points, key=lambda p: (-p[0], -p[1])):
        if qps > best:
            front.append((recall, qps))
            best = qps
    return front


RECALL_TICKS = (0, 0.5, 0.9, 0.99, 1)


def recall_axis(recall: float) -> float:
    """The recall axis stretches the top (as ann-benchmarks' logit axis): -log10(1 - recall + 0.001)."""
    return -math.log10(1 - recall + 1e-3)


def _grid(n: int, cols: int, gap_x=0.06, gap_y=0.1):
    rows = math.ceil(n / cols)
    w, h = (1 - gap_x * (cols - 1)) / cols, (1 - gap_y * (rows - 1)) / rows
    return rows, [([c * (w + gap_x), c * (w + gap_x) + w], [1 - r * (h + gap_y) - h, 1 - r * (h + gap_y)])
                  for r in range(rows) for c in range(cols)][:n]


def recall_panels(results: dict) -> dict:
    """Recall@k against queries/s on every dataset (ann-benchmarks style): exact engines are points at recall 1,
    the prefilter a curve over its candidate fractions, the graph indexes a curve over ef; Pareto front dashed."""
    rows, dss = measured(results), datasets(results)
    dss = [ds for ds in dss if any(r["dataset"] == ds for r in rows)]
    cols = 4
    nrows, cells = _grid(len(dss), cols)
    data, layout, shown = [], {}, set()
    curves = results.get("curves", {})
    shape = {r["dataset"]: (r["rows"], r["cols"]) for r in rows}
    for i, (ds, (xd, yd)) in enumerate(zip(dss, cells)):
        ax = "" if i == 0 else str(i + 1)
        here = [r for r in rows if r["dataset"] == ds and r["engine"] != "sklearn_estimator"]
        series: dict[str, list[tuple[float, float, str]]] = {}
        for r in here:
            name = r["engine"]
            if _base(name) == "knnkit prefilter":
                name = "knnkit prefilter" + ("@all" if all_cores(name) else "")
            elif name in curves.get(ds, {}):
                continue
            series.setdefault(name, []).append((r["recall"], r["qps"], r["engine"]))
        for name, pts in curves.get(ds, {}).items():
            series[name] = [(p["recall"], p["qps"], f"{name} {p['param']}") for p in pts]
        everything = []
        for name in sorted(series, key=_rank):
            pts = sorted(series[name])
            everything += [(p[0], p[1]) for p in pts]
            s = style(name)
            data.append({
                "type": "scatter", "mode": "lines+markers" if len(pts) > 1 else "markers", "name": name,
                "legendgroup": name, "showlegend": name not in shown, "legendrank": _rank(name),
                "x": [recall_axis(p[0]) for p in pts], "y": [p[1] for p in pts], "text": [p[2] for p in pts],
                "customdata": [p[0] for p in pts],
                "marker": _marker(name, 8), "line": {"color": s["color"], "dash": s["dash"], "width": 1.5},
                "xaxis": "x" + ax, "yaxis": "y" + ax,
                "hovertemplate": "%{text}<br>recall %{customdata:.3f}<br>%{y:,.0f} queries/s<extra>" + ds + "</extra>",
            })
            shown.add(name)
        front = _pareto(everything)
        data.append({
            "type": "scatter", "mode": "lines+markers", "name": "Pareto front", "legendgroup": "Pareto front",
            "showlegend": i == 0, "legendrank": 99_999, "x": [recall_axis(p[0]) for p in front], "y": [p[1] for p in front],
            "line": {"color": "rgba(0,0,0,0.5)", "dash": "dot", "width": 1.5, "shape": "hv"}, "hoverinfo": "skip",
            "marker": {"symbol": "circle-open", "size": 15, "color": "rgba(0,0,0,0.5)", "line": {"width": 1.5}},
            "xaxis": "x" + ax, "yaxis": "y" + ax,
        })
        layout["xaxis" + ax] = {"domain": xd, "range": [-0.15, recall_axis(1) + 0.2], "anchor": "y" + ax,
                                "tickvals": [recall_axis(t) for t in RECALL_TICKS], "ticktext": [f"{t:g}" for t in RECALL_TICKS],
                                "title": {"text": "recall@k" if i >= len(dss) - cols else "", "standoff": 4}}
        layout["yaxis" + ax] = {"domain": yd, "type": "log", "anchor": "x" + ax, "dtick": "D2",
                                "title": {"text": "queries/s" if i % cols == 0 else "", "standoff": 2}}
        layout.setdefault("annotations", []).append({
            "text": f"<b>{ds}</b> ({shape[ds][0]:,}×{shape[ds][1]})", "showarrow": False,
            "xref": "paper", "yref": "paper", "x": (xd[0] + xd[1]) / 2, "y": yd[1], "yanchor": "bottom",
            "xanchor": "center", "font": {"size": 12}})
    layout.update({"title": {"text": "Recall@k against queries/s per dataset (up and right is better)"},
                   "height": 300 * nrows + 120, "legend": LEGEND, "hovermode": "closest",
                   "margin": {"t": 80, "l": 60, "r": 10, "b": 50}})
    return {"id": "recall_qps", "data": data, "layout": layout}


def _dots(fig_id, title, rows, dss, value, axis, hover, extra=()):
    """One marker per engine and dataset, grouped side by side within each dataset."""
    data = []
    for e in sorted(dict.fromkeys(engine_key(r["engine"]) for r in rows), key=_rank):
        mine = [r for r in rows if engine_key(r["engine"]) == e and value(r) is not None]
        if not mine:
            continue
        data.append({"type": "scatter", "mode": "markers", "name": e, "legendrank": _rank(e),
                     "x": [r["dataset"] for r in mine], "y": [value(r) for r in mine],
                     "customdata": [hover(r) for r in mine], "marker": _marker(e, 9),
                     "hovertemplate": "<b>%{fullData.name}</b> on %{x}<br>%{customdata}<extra></extra>"})
    data += list(extra)
    return {"id": fig_id, "data": data, "layout": {
        "title": {"text": title}, "scattermode": "group", "scattergap": 0.35, "height": 560, "legend": LEGEND,
        "xaxis": {"categoryorder": "array", "categoryarray": dss, "showgrid": True, "gridcolor": "#eee"},
        "yaxis": {"dtick": "D2", **axis} if axis.get("type") == "log" else axis, "hovermode": "closest", "margin": {"t": 60, "l": 70, "r": 10, "b": 50}}}


def index_memory(row: dict) -> int | None:
    """The index's real memory: knnkit's arrays plus its kernel copies where measured, else the harness's index bytes."""
    return row.get("index_bytes_total", row.get("index_bytes"))


def _one_per_engine(rows: list[dict]) -> list[dict]:
    """The prefilter's tuned setting stands for it (its other fractions differ only in recall)."""
    return [r for r in rows if not (_base(r["engine"]) == "knnkit prefilter" and "tuned" not in r["engine"])]


def figures(results: dict) -> list[dict]:
    rows, dss = measured(results), datasets(results)
    rows_k = [r for r in rows if library(r["engine"]) == "knnkit"]
    figs = [
        _heatmap("vs_peer", "knnkit's queries/s relative to the fastest peer that is as accurate (one thread against one thread)",
                 rows_k, dss, lambda r: best_peer(rows, r), "fastest peer"),
        _heatmap("vs_sklearn", "knnkit's queries/s relative to scikit-learn's fastest one-thread exact method",
                 rows_k, dss, lambda r: best_sklearn_exact(rows, r["dataset"]), "scikit-learn's best exact"),
        recall_panels(results),
    ]
    timed = [r for r in _one_per_engine(rows) if "oneshot_s" in r]
    figs.append(_dots(
        "oneshot", "Fit + predict once: build, then query every held-out row once (lower is better)", timed, dss,
        lambda r: r["oneshot_s"] * 1e3, {"type": "log", "title": {"text": "milliseconds (log)"}},
        lambda r: f"{r['oneshot_s'] * 1e3:,.1f} ms = build {r['build_s'] * 1e3:,.1f} ms + first query "
                  f"{r['first_query_s'] * 1e3:,.1f} ms<br>{r['queries']:,} queries, {r['rows']:,} rows"
                  + ("<br>(fit + predict)" if r["engine"] == "sklearn_estimator" else "")))
    scaling = results.get("scaling", [])
    figs.append({"id": "scaling", "data": [
        {"type": "scatter", "mode": "lines+markers", "name": e, "legendrank": _rank(e),
         "x": [r["N"] for r in scaling if r["engine"] == e], "y": [r["build_s"] for r in scaling if r["engine"] == e],
         "marker": _marker(e, 8), "line": {"color": style(e)["color"], "dash": style(e)["dash"]},
         "hovertemplate": "<b>" + e + "</b><br>N = %{x:,}<br>%{y:.4f} s<extra></extra>"}
        for e in sorted(dict.fromkeys(r["engine"] for r in scaling), key=_rank)],
        "layout": {"title": {"text": "Build time against N, every tree (W2, 8-D uniform)"}, "height": 480, "legend": LEGEND,
                   "xaxis": {"type": "log", "title": {"text": "N (rows)"}, "tickformat": ",",
                             "tickvals": sorted({r["N"] for r in scaling})}, "yaxis": {"type": "log", "dtick": "D2", "title": {"text": "seconds (log)"}},
                   "margin": {"t": 60, "l": 70, "r": 10, "b": 50}}})
    one_thread = [r for r in _one_per_engine(rows) if not all_cores(r["engine"]) and index_memory(r)]
    sizes = {}
    for r in rows:
        sizes.setdefault(r["dataset"], r["rows"] * r["cols"] * 8)
    data_trace = {"type": "scatter", "mode": "markers", "name": "the data (float64)", "legendrank": 99_998,
                  "x": list(sizes), "y": [b / 2**20 for b in sizes.values()],
                  "marker": {"symbol": "line-ew-open", "size": 20, "color": "#000", "line": {"width": 2.5, "color": "#000"}},
                  "hovertemplate": "the data on %{x}: %{y:,.2f} MB<extra></extra>"}
    figs.append(_dots(
        "memory", "Index memory per engine next to the data's size (MB, log)", one_thread, dss,
        lambda r: index_memory(r) / 2**20, {"type": "log", "title": {"text": "MB (log)"}},
        lambda r: f"{index_memory(r) / 2**20:,.2f} MB = {index_memory(r) / sizes[r['dataset']]:.2f}× the data"
                  + (f"<br>arrays {r['index_bytes'] / 2**20:,.2f} MB + kernel copies "
                     f"{(r['index_bytes_total'] - r['index_bytes']) / 2**20:,.2f} MB" if "index_bytes_total" in r else ""),
        extra=[data_trace]))
    real = [r for r in rows if r["task"] != "none" and r.get("score") is not None and not all_cores(r["engine"])]
    figs.append(_dots(
        "accuracy", "Accuracy (R² for diabetes) of each engine's k-NN vote (one-thread engines)", real,
        [d for d in dss if any(r["dataset"] == d for r in real)], lambda r: r["score"],
        {"title": {"text": "accuracy / R²"}},
        lambda r: f"score {r['score']:.4f}, recall {r['recall']:.3f}"))
    return figs


# ---------------------------------------------------------------- the page

def _plotly_js(root: Path) -> str:
    for candidate in (
        root / "packages" / "bench" / "node_modules" / "plotly.js-dist-min" / "plotly.min.js",
        root / "node_modules" / "plotly.js-dist-min" / "plotly.min.js",
    ):
        if candidate.exists():
            return candidate.read_text()
    raise RuntimeError("plotly.js-dist-min is not installed (run scripts/setup.sh)")


SECTIONS = {
    "vs_peer": ("Where knnkit leads and trails",
                "Each cell divides a knnkit engine's queries/s by the fastest other library's on that dataset among those "
                "at least as accurate (recall@k) and using no more threads: one-thread knnkit rows against one-thread peers, "
                "all-core rows against any. Blue: knnkit ahead; red: behind; hover for the absolute figures and the peer."),
    "vs_sklearn": (None, "The same against scikit-learn's fastest one-thread exact method (KDTree, BallTree or brute force) "
                         "on each dataset, the speed-up column of the table below."),
    "recall_qps": ("Recall against speed, per dataset",
                   "Every engine on every dataset: exact engines sit at recall 1; knnkit's prefilter is drawn over its "
                   "candidate fractions and the HNSW indexes over their search breadth ef. The dotted line is the Pareto front "
                   "over all points. The recall axis stretches towards 1 (0.9 and 0.99 are as far apart as 0 and 0.9). "
                   "Click a legend entry to hide that engine in every panel."),
    "oneshot": ("Fit + predict",
                "What a notebook user waits for: the index's build and then one query of all held-out rows, cold "
                "(median of the rounds; knnkit's inside its engine, moving the arrays to it is reported apart, below). "
                "The prefilter is shown at its tuned setting."),
    "scaling": (None, "Build time as N grows on W2, for every tree; dashed lines use all cores."),
    "memory": ("Memory", "knnkit: the index's arrays plus the WebAssembly memories its kernels keep (the float32 copy of "
                         "the rows for brute force, the leaf-scan copy for the trees); scikit-learn and faiss flat: the "
                         "index's arrays; cKDTree and HNSW: the growth of the resident set while building (their memory "
                         "lives in C/C++). The black bar marks the data's size as float64; one-thread engines."),
    "accuracy": ("Accuracy", "Score of the uniform k-NN vote over each engine's neighbours on the datasets with a target."),
}


def write_html(results: dict, path: Path, root: Path) -> None:
    figs = figures(results)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(c)))}</td>" for c in ("dataset", "engine", "workers", "build_s", "first_query_s", "qps", "speedup_vs_sklearn_best_exact", "recall", "score", "index_bytes", "index_bytes_total", "error")) + "</tr>"
        for r in results["rows"]
    )
    process = "".join(
        f"<tr><td>{html.escape(p['dataset'])}</td><td>{p['repeat']}</td><td>{p['calls']}</td><td>{p['wall_s']:.2f}</td><td>{p['in_engine_s']:.2f}</td><td>{p['transfer_s']:.2f}</td></tr>"
        for p in results.get("knnkit_process", [])
    )
    expectations = "".join(
        f"<tr><td>{html.escape(e['claim'])}</td><td>{html.escape(e['dataset'])}</td><td>{_fmt(e['knnkit_qps'])} ({html.escape(str(e['knnkit']))})</td>"
        f"<td>{_fmt(e['peer_qps'])} ({html.escape(str(e['peer']))})</td><td>{_fmt(e['ratio'])}</td>"
        f"<td>{'not measured' if e['met'] is None else 'yes' if e['met'] else '<b>no</b>'}</td></tr>"
        for e in results.get("expectations", [])
    )
    divs = ""
    for f in figs:
        heading, note = SECTIONS[f["id"]]
        divs += (f"<h2>{html.escape(heading)}</h2>" if heading else "") + f'<p class="note">{html.escape(note)}</p><div id="{f["id"]}" class="chart"></div>'
    config = {"responsive": True, "displaylogo": False}
    script = "".join(
        f"Plotly.newPlot({json.dumps(f['id'])}, {json.dumps(f['data'])}, {json.dumps(f['layout'])}, {json.dumps(config)});" for f in figs
    )
    v, m = results["versions"], results["machine"]
    setup = (f"k = {results['k']}, median of {results['repeats']} round{'s' if results['repeats'] > 1 else ''} per engine{' (quick sizes)' if results.get('quick') else ''}; "
             f"run {results['date']} on {m['cpu'] or 'an unknown CPU'} ({m['cores']} cores). "
             f"Node {v.get('node')}, Python {v.get('python')}, scikit-learn {v.get('sklearn')}, numpy {v.get('numpy')}, "
             f"scipy {v.get('scipy')}, faiss {v.get('faiss')}, hnswlib {v.get('hnswlib')}; seed {results['seed']}.")
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>knnkit comparison</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5em 2em;color:#222}}h1{{margin-bottom:.2em}}h2{{margin:1.6em 0 .2em}}
.summary{{font-size:16px;line-height:1.5;max-width:75em;background:#f4f7fb;border-left:4px solid #2171b5;padding:.6em 1em}}
.note{{color:#555;max-width:75em;margin:.3em 0}}.setup{{color:#666;font-size:13px}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}.chart{{margin:.4em 0 1em}}</style>
<script>{_plotly_js(root)}</script></head>
<body><h1>knnkit against scikit-learn and peers</h1>
<p class="setup">{html.escape(setup)}</p>
<p class="summary" id="summary">{html.escape(summary(results))}</p>
{divs}
<h2>Expectations (queries/s, one thread each)</h2>
<table><tr><th>expectation</th><th>dataset</th><th>knnkit</th><th>scikit-learn</th><th>ratio</th><th>met?</th></tr>{expectations}</table>
<h2>All figures</h2>
<p class="note">index bytes: the index's own arrays (knnkit, scikit-learn trees, faiss flat) or, where the index lives in C/C++ memory Python cannot see (cKDTree, HNSW), the growth of the resident set while it was built.</p>
<table><tr><th>dataset</th><th>engine</th><th>workers</th><th>build s</th><th>first query s</th><th>queries/s</th><th>× sklearn best exact</th><th>recall@k</th><th>score</th><th>index bytes</th><th>+ kernel copies</th><th>note</th></tr>{rows}</table>
<h2>knnkit's engine calls (moving the arrays is not counted in build or query times)</h2>
<table><tr><th>dataset</th><th>round</th><th>calls</th><th>seen from Python s</th><th>in engine s</th><th>transfer and Python side s</th></tr>{process}</table>
<script>{script}</script>
</body></html>"""
    path.write_text(page)


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)
