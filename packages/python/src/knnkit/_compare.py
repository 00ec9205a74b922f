"""knnkit.compare: knnkit's engines and their peers side by side on the caller's own data, in a notebook.

The measuring (engines, peers, timing rules, scores, the results' schema) is knnkit/_measure.py, which the
repository's `pnpm compare` calls too; this module takes the caller's table (checks, split into fitted rows and
queries) and presents the outcome (a table, plotly charts, a page, the notebook display).
"""

from __future__ import annotations

import html
import json
import time
from pathlib import Path

from ._measure import machine, measure, versions

# the notebook's default: one thread each, the exact methods, one prefilter setting and the installed peers
DEFAULT_ENGINES = ["brute", "kd_tree", "ball_tree", "prefilter:0.2", "knnkit_estimator", "sklearn_brute", "sklearn_kd_tree",
                   "sklearn_ball_tree", "scipy_ckdtree", "pykdtree", "faiss_flat", "faiss_hnsw", "hnswlib", "sklearn_estimator"]


# ---------------------------------------------------------------- input

def _frame_columns(X):
    """The column names of a DataFrame (None for arrays)."""
    return list(X.columns) if hasattr(X, "columns") and hasattr(X, "dtypes") else None


def prepare(X, y=None):
    """(features as float64, target or None, task, feature names); bad input raises ValueError naming the column.

    y may be an array, or the name of a column of the DataFrame X (taken out of the features)."""
    import numpy as np

    columns = _frame_columns(X)
    target_name = "y"
    if isinstance(y, str):
        if columns is None:
            raise ValueError(f"y={y!r} names a column, but X is not a DataFrame")
        if y not in columns:
            raise ValueError(f"target column {y!r} is not in X; its columns are {columns}")
        target_name, y = y, X[y]
        X = X.drop(columns=[target_name])
        columns = list(X.columns)
    if columns is not None:
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        bad = [f"{c!r} ({X[c].dtype})" for c in columns if not (is_numeric_dtype(X[c]) or is_bool_dtype(X[c]))]
        if bad:
            raise ValueError(f"feature column{'s' if len(bad) > 1 else ''} {', '.join(bad)} not numeric: encode or drop "
                             f"{'them' if len(bad) > 1 else 'it'} first (knnkit measures distances between numbers)")
        missing = [f"{c!r} ({int(n)} missing)" for c, n in X.isna().sum().items() if n]
        if missing:
            raise ValueError(f"feature column{'s' if len(missing) > 1 else ''} {', '.join(missing)} hold NaN: impute or drop the rows first")
        names = [str(c) for c in columns]
        data = X.to_numpy(dtype=np.float64)
    else:
        try:
            data = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError(f"X must be numeric: {e}") from None
        if data.ndim != 2:
            raise ValueError(f"X must be a 2-D table (rows x features), got shape {data.shape}")
        names = [f"x{i}" for i in range(data.shape[1])]
        bad = np.flatnonzero(~np.isfinite(data).all(axis=0))
        if len(bad):
            raise ValueError(f"feature column{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad))} hold NaN or infinite values")
    if data.shape[1] < 1:
        raise ValueError("X has no feature columns")
    task = "none"
    if y is not None:
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(data):
            raise ValueError(f"target {target_name!r} must be one value per row of X ({len(data)}), got shape {y.shape}")
        missing = int(np.sum(y != y)) if y.dtype.kind in "fc" else int(sum(v is None or v != v for v in y)) if y.dtype.kind == "O" else 0
        if missing:
            raise ValueError(f"target column {target_name!r} has {missing} missing values (NaN): drop those rows or fill them first")
        task = task_of(y)
    return data, y, task, names


def task_of(y) -> str:
    import numpy as np

    if y.dtype.kind in "OUSb" or (np.all(np.equal(np.mod(y, 1), 0)) and len(np.unique(y)) <= 100):
        return "classification"
    return "regression"


def split(data, y, queries, k, seed):
    """(X, y_train, Q, y_test): a random fraction or count of the rows held out as queries, or queries given."""
    import numpy as np

    if not isinstance(queries, (int, float)) or isinstance(queries, bool):
        Q, _, _, _ = prepare(queries)
        if Q.shape[1] != data.shape[1]:
            raise ValueError(f"queries have {Q.shape[1]} features, X has {data.shape[1]}")
        X, y_train, y_test = data, y, None
    else:
        n = int(round(len(data) * queries)) if isinstance(queries, float) and 0 < queries < 1 else int(queries)
        if not 1 <= n < len(data):
            raise ValueError(f"queries={queries!r} must be a fraction in (0, 1) or a count below the {len(data)} rows of X")
        order = np.random.default_rng(seed).permutation(len(data))
        X, Q = data[order[n:]], data[order[:n]]
        y_train, y_test = (None, None) if y is None else (y[order[n:]], y[order[:n]])
    if len(X) <= k:
        raise ValueError(f"k={k} needs more than {k} training rows; X leaves {len(X)} after holding out {len(Q)} queries")
    return X, y_train, Q, y_test


# ---------------------------------------------------------------- the comparison

def _progress(total):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="knnkit.compare", leave=False)


def compare(X, y=None, *, queries=0.2, k=10, engines=None, repeats=3, seed=0, min_time=0.2, dataset="user"):
    """knnkit's engines and the peers side by side on X (and y: an array, or a column name of the DataFrame X).

    queries: a fraction or a number of rows held out as queries (random, from seed), or the query rows themselves.
    engines: names from knnkit._measure's KNNKIT_ENGINES and PEER_ENGINES (a name with "@all" uses every core;
    default DEFAULT_ENGINES); an engine that is not installed or fails on the data keeps its row with the reason.
    min_time: seconds of repeated calls per timing. Returns a Comparison.
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1, got {repeats!r}")
    data, target, task, _ = prepare(X, y)
    Xtr, y_train, Q, y_test = split(data, target, queries, k, seed)
    names = list(engines) if engines is not None else DEFAULT_ENGINES
    started = time.time()
    bar = _progress(repeats * len(names))

    def step(label):
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(label.split(": ", 1)[-1])
    try:
        measured = measure(Xtr, y_train, Q, y_test, task, k=k, engines=names, repeats=repeats, min_time=min_time,
                           dataset=dataset, progress=step)
    finally:
        if bar is not None:
            bar.close()
    results = {"seed": seed, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "elapsed_s": time.time() - started,
               "quick": False, "k": k, "repeats": repeats, "versions": versions(), "machine": machine(),
               "rows": measured["rows"], "scaling": [], "tradeoff": {}, "knnkit_process": measured["knnkit_process"],
               "curves": {dataset: measured["curves"]} if measured["curves"] else {}}
    return Comparison(results)


# ---------------------------------------------------------------- the result

def _number(v: float) -> str:
    return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"


class Comparison:
    """The outcome of knnkit.compare: .results (results.json's schema), .table, .figures(), .to_html(path)."""

    def __init__(self, results: dict):
        self.results = results
        self._images: list[bytes] | None = None
        self.image_error: str | None = None  # why images() drew none

    @property
    def table(self):
        """One row per engine (a pandas DataFrame): times in ms, queries/s, speed-up, recall, score, or the error."""
        import pandas as pd

        records = []
        for r in self.results["rows"]:
            records.append({
                "engine": r["engine"], "workers": r["workers"],
                "build ms": r.get("build_s", float("nan")) * 1000, "first query ms": r.get("first_query_s", float("nan")) * 1000,
                "queries/s": r.get("qps"), "vs sklearn best exact": r.get("speedup_vs_sklearn_best_exact"),
                "recall@k": r.get("recall"), "score": r.get("score"),
                "index MB": None if r.get("index_bytes") is None else r["index_bytes"] / 1e6, "error": r.get("error", ""),
            })
        return pd.DataFrame.from_records(records).set_index("engine")

    def _measured(self):
        return [r for r in self.results["rows"] if "qps" in r]

    def figures(self) -> list:
        """Plotly figures: the headline (queries/s per engine) and recall against speed."""
        import plotly.graph_objects as go

        rows = sorted(self._measured(), key=lambda r: r["qps"])
        colour = ["#d62728" if r["engine"].startswith("knnkit") else "#7f7f7f" for r in rows]
        first = self.results["rows"][0] if self.results["rows"] else {}
        where = f"{first.get('rows', 0):,} rows x {first.get('cols', 0)} features, {first.get('queries', 0):,} queries, k={self.results['k']}"
        headline = go.Figure(go.Bar(
            x=[r["qps"] for r in rows], y=[r["engine"] for r in rows], orientation="h", marker_color=colour,
            text=[f"{r['speedup_vs_sklearn_best_exact']:.2f}x" if r.get("speedup_vs_sklearn_best_exact") else "" for r in rows],
            textposition="outside", hovertemplate="%{y}: %{x:,.0f} queries/s<extra></extra>"))
        headline.update_layout(title=f"Queries per second (median of {self.results['repeats']}; x = vs scikit-learn's best exact) — {where}",
                               xaxis_type="log", xaxis_title="queries/s (log)", height=120 + 28 * len(rows), margin={"l": 10})
        trade = go.Figure()
        for r in rows:
            trade.add_trace(go.Scatter(x=[r["recall"]], y=[r["qps"]], mode="markers+text", name=r["engine"], text=[r["engine"]],
                                       textposition="top center", marker={"size": 11, "color": "#d62728" if r["engine"].startswith("knnkit") else "#7f7f7f"}))
        trade.update_layout(title="Recall@k against speed (up and right is better)", xaxis_title="recall@k", yaxis_type="log",
                            yaxis_title="queries/s (log)", showlegend=False, height=420)
        return [headline, trade]

    def _table_html(self) -> str:
        return self.table.to_html(float_format=_number, na_rep="—", classes="knnkit-compare")

    def to_html(self, path) -> Path:
        """Writes a standalone page (table and charts, plotly.js inlined) and returns its path."""
        figures = self.figures()
        parts = [fig.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, fig in enumerate(figures)]
        page = ("<!doctype html><html><head><meta charset='utf-8'><title>knnkit.compare</title></head><body>"
                f"<h1>knnkit.compare</h1>{self._table_html()}{''.join(parts)}"
                f"<details><summary>results.json</summary><pre>{html.escape(json.dumps(self.results, indent=1, default=float))}</pre></details>"
                "</body></html>")
        path = Path(path)
        path.write_text(page, encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return "knnkit.Comparison\n" + self.table.to_string(float_format=_number, na_rep="—", max_colwidth=60)

    def images(self) -> list[bytes] | None:
        """PNGs of figures(), drawn once by kaleido in a headless Chromium, offline (plotly.js from the plotly package,
        no MathJax, nothing downloaded): the browser is the one named by BROWSER_PATH, else the first chromium or
        chrome that choreographer finds on PATH or in the usual places (/usr/bin/chromium). None when that cannot
        be done; .image_error then says why."""
        if self._images is None and self.image_error is None:
            try:
                self._images = _render_png(self.figures())
            except Exception as e:  # noqa: BLE001  (no kaleido or no browser: the HTML and the plotly figures stand)
                self.image_error = f"{type(e).__name__}: {e}"
        return self._images

    def _figure_bundles(self) -> list[dict]:
        """Each chart as its own output: the plotly figure, and its PNG for front ends that run no JavaScript."""
        import base64

        figures = self.figures()
        images = self.images() or [None] * len(figures)
        bundles = []
        for fig, png in zip(figures, images):
            bundle = {"text/plain": f"<knnkit.compare chart: {fig.layout.title.text}>", "application/vnd.plotly.v1+json": json.loads(fig.to_json())}
            if png is not None:
                bundle["image/png"] = base64.b64encode(png).decode()
            bundles.append(bundle)
        return bundles

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The table (text and HTML, the HTML with both charts, plotly.js from its CDN), the headline chart as a
        plotly figure and as a PNG (when kaleido can draw one, see images())."""
        figures = self.figures()
        charts = "".join(fig.to_html(full_html=False, include_plotlyjs="cdn" if i == 0 else False) for i, fig in enumerate(figures))
        headline = self._figure_bundles()[0]
        del headline["text/plain"]
        return {"text/plain": repr(self), "text/html": self._table_html() + charts, **headline}

    def _ipython_display_(self):
        """In IPython: the table, then each chart as its own output (a plotly-aware front end draws them; others show the PNG)."""
        from IPython.display import display

        display({"text/plain": repr(self), "text/html": self._table_html()}, raw=True)
        for bundle in self._figure_bundles():
            display(bundle, raw=True)


def _render_png(figures, width=900, timeout=60) -> list[bytes]:
    """PNGs of plotly figures from one kaleido browser session (in a thread of its own: a notebook's event loop runs)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import kaleido

    async def draw():
        async with kaleido.Kaleido(n=1, mathjax=False, timeout=timeout) as k:
            return [await k.calc_fig(fig, opts={"format": "png", "width": width, "height": fig.layout.height or 500}) for fig in figures]
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, draw()).result()
