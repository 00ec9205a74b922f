"""knnkit.compare: knnkit's engines and their peers side by side on the caller's own data, in a notebook.

The timing rules are those of `pnpm compare` (packages/bench/python/knnkit_bench/compare.py): every engine
builds, answers one cold query batch (the warm-up, and the one-shot figure), then is called again until a time
window has passed; each of `repeats` rounds runs the engines in a rotated order, and medians are reported.
Here knnkit is called through this package's own engine, so its times include moving the queries and the
answers between Python and the engine (the peers run inside Python). Recall@k is against scikit-learn's exact
brute force (ties count as hits); the score is the majority vote's accuracy (classes) or the mean's R² (values).
"""

from __future__ import annotations

import html
import json
import os
import platform
import statistics
import time
from pathlib import Path

KNNKIT_ENGINES = ["brute", "kd_tree", "ball_tree", "prefilter:0.2", "knnkit_estimator"]
PEER_ENGINES = ["sklearn_brute", "sklearn_kd_tree", "sklearn_ball_tree", "scipy_ckdtree", "pykdtree", "faiss_flat",
                "faiss_hnsw", "hnswlib", "sklearn_estimator"]
EXACT_SKLEARN = ("sklearn_kd_tree", "sklearn_ball_tree", "sklearn_brute")
_PEER_MODULES = {"scipy_ckdtree": "scipy.spatial", "pykdtree": "pykdtree.kdtree", "faiss_flat": "faiss", "faiss_hnsw": "faiss",
                 "hnswlib": "hnswlib"}


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


# ---------------------------------------------------------------- engines

def _missing(engine: str) -> str | None:
    module = _PEER_MODULES.get(engine.replace("@all", ""))
    if module is None:
        return None
    try:
        __import__(module)
        return None
    except Exception as e:  # noqa: BLE001
        return f"not installed ({type(e).__name__}: {e}); pip install 'knnkit[compare]'"


def _engine(name, X, Q, k, y_train, task):
    """(build, query, memory) closures of an engine: query(index) returns the neighbour indices."""
    import numpy as np

    all_cores = name.endswith("@all")
    base = name.replace("@all", "")
    kind, _, param = base.partition(":")
    if kind in ("brute", "kd_tree", "ball_tree", "prefilter"):
        from ._estimators import NearestNeighbors

        options = {"candidates": float(param)} if kind == "prefilter" else {}
        build = lambda: NearestNeighbors(n_neighbors=k, algorithm=kind, leaf_size=40, n_jobs=-1 if all_cores else None, **options).fit(X)
        return build, lambda m: m.kneighbors(Q, k, return_distance=False), lambda m: m._remote.info.get("memory_bytes")
    if base in ("knnkit_estimator", "sklearn_estimator"):
        if task == "none":
            raise ValueError("needs a target y")
        if base == "knnkit_estimator":
            from ._estimators import KNeighborsClassifier, KNeighborsRegressor
        else:
            from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
        Est = KNeighborsClassifier if task == "classification" else KNeighborsRegressor
        return lambda: Est(n_neighbors=k, n_jobs=1).fit(X, y_train), lambda m: m.predict(Q), lambda m: None
    jobs = -1 if all_cores else 1
    if base in ("sklearn_kd_tree", "sklearn_ball_tree", "sklearn_brute"):
        from sklearn.neighbors import NearestNeighbors
        from threadpoolctl import threadpool_limits

        algorithm = base.removeprefix("sklearn_")

        def query(m):
            if all_cores:
                return m.kneighbors(Q, k, return_distance=False)
            with threadpool_limits(1):
                return m.kneighbors(Q, k, return_distance=False)

        def memory(m):
            return X.nbytes if algorithm == "brute" else int(sum(a.nbytes for a in m._tree.get_arrays()))
        return lambda: NearestNeighbors(n_neighbors=k, algorithm=algorithm, leaf_size=40, n_jobs=jobs).fit(X), query, memory
    if base == "scipy_ckdtree":
        from scipy.spatial import cKDTree
        return lambda: cKDTree(X, leafsize=40), lambda t: t.query(Q, k, workers=jobs)[1].reshape(len(Q), k), lambda t: None
    if base == "pykdtree":
        from pykdtree.kdtree import KDTree
        return lambda: KDTree(X), lambda t: t.query(Q, k=k)[1].reshape(len(Q), k), lambda t: None
    if base in ("faiss_flat", "faiss_hnsw"):
        import faiss
        faiss.omp_set_num_threads(os.cpu_count() if all_cores else 1)
        X32, Q32 = X.astype(np.float32), Q.astype(np.float32)

        def build():
            index = faiss.IndexFlatL2(X.shape[1]) if base == "faiss_flat" else faiss.IndexHNSWFlat(X.shape[1], 32)
            if base == "faiss_hnsw":
                index.hnsw.efSearch = max(64, k)
            index.add(X32)
            return index
        return build, lambda i: i.search(Q32, k)[1], lambda i: X32.nbytes if base == "faiss_flat" else None
    if base == "hnswlib":
        import hnswlib

        def build():
            index = hnswlib.Index(space="l2", dim=X.shape[1])
            index.init_index(max_elements=len(X), ef_construction=100, M=16, random_seed=1)
            index.set_num_threads(os.cpu_count() if all_cores else 1)
            index.add_items(X)
            index.set_ef(max(64, k))
            return index
        return build, lambda i: i.knn_query(Q, k)[0], lambda i: None
    raise ValueError(f"unknown engine {name!r}; knnkit: {', '.join(KNNKIT_ENGINES)}; peers: {', '.join(PEER_ENGINES)} (any with @all for every core)")


def _seconds_per_call(fn, min_time):
    """(seconds per call, last result): fn called again until min_time has passed."""
    calls, start = 0, time.perf_counter()
    while True:
        out = fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / calls, out


def _time(name, X, Q, k, y_train, y_test, task, min_time):
    """One round of an engine: build, first (cold) query, steady query time, indices, memory, own score."""
    import numpy as np

    build, query, memory = _engine(name, X, Q, k, y_train, task)
    start = time.perf_counter()
    index = build()
    built = time.perf_counter() - start
    start = time.perf_counter()
    query(index)
    first = time.perf_counter() - start
    per_call, _ = _seconds_per_call(lambda: query(index), min_time)
    if name.endswith("estimator"):
        ind, score = index.kneighbors(Q, k, return_distance=False), float(index.score(Q, y_test))
    else:
        ind, score = query(index), None
    return built, first, per_call, np.asarray(ind, dtype=np.int64), memory(index), score


# ---------------------------------------------------------------- scores

def recall_at_k(approx, exact, exact_dist, X, Q) -> float:
    """Mean fraction of each query's exact k neighbours found; a row tied with the k-th distance counts."""
    import numpy as np

    k = exact.shape[1]
    d = np.sqrt(((X[approx] - Q[:, None, :]) ** 2).sum(axis=2))
    hits = np.minimum((d <= exact_dist[:, -1:] * (1 + 1e-9) + 1e-12).sum(axis=1), k)
    return float(hits.sum() / (exact.shape[0] * k))


def vote_score(ind, y_train, y_test, task):
    """Accuracy of the uniform majority vote (ties to the smallest label), or R² of the mean."""
    import numpy as np

    if y_test is None or task == "none":
        return None
    if task == "classification":
        classes, codes = np.unique(y_train, return_inverse=True)
        votes = np.apply_along_axis(lambda r: np.bincount(r, minlength=len(classes)), 1, codes[ind])
        return float(np.mean(classes[np.argmax(votes, axis=1)] == y_test))
    pred = np.asarray(y_train, dtype=np.float64)[ind].mean(axis=1)
    ss_res = float(np.sum((y_test - pred) ** 2))
    ss_tot = float(np.sum((y_test - np.mean(y_test)) ** 2))
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else float(ss_res == 0)


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
    engines: names from KNNKIT_ENGINES and PEER_ENGINES (a name with "@all" uses every core); a peer that is not
    installed or fails on the data keeps its row with the reason. Returns a Comparison.
    """
    import numpy as np
    from sklearn.neighbors import NearestNeighbors

    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1, got {repeats!r}")
    data, target, task, _ = prepare(X, y)
    Xtr, y_train, Q, y_test = split(data, target, queries, k, seed)
    names = list(engines) if engines is not None else KNNKIT_ENGINES + PEER_ENGINES
    started = time.time()
    exact_dist, exact = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(Xtr).kneighbors(Q)
    if any(name.replace("@all", "").partition(":")[0] in ("brute", "kd_tree", "ball_tree", "prefilter", "knnkit_estimator") for name in names):
        from ._backend import get_backend

        get_backend().generation  # the engine starts here, outside the first engine's build time
    timings = {name: {"build": [], "first": [], "query": []} for name in names}
    bar = _progress(repeats * len(names))
    for r in range(repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:
            t = timings[name]
            if "error" not in t:
                t["error"] = _missing(name)
                if t["error"] is None:
                    del t["error"]
                    try:
                        b, first, q, t["ind"], t["memory"], t["own_score"] = _time(name, Xtr, Q, k, y_train, y_test, task, min_time)
                        t["build"].append(b)
                        t["first"].append(first)
                        t["query"].append(q)
                    except Exception as e:  # noqa: BLE001
                        t["error"] = f"{type(e).__name__}: {e}"
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(name)
    if bar is not None:
        bar.close()
    best = max((len(Q) / statistics.median(t["query"]) for e, t in timings.items() if e in EXACT_SKLEARN and t["query"]), default=None)
    rows = []
    for name in names:
        t = timings[name]
        row = {"dataset": dataset, "engine": name if name.replace("@all", "") in PEER_ENGINES else "knnkit " + name.removeprefix("knnkit_"),
               "rows": len(Xtr), "cols": Xtr.shape[1], "queries": len(Q), "k": k, "task": task,
               "workers": "all" if name.endswith("@all") else 1}
        if not t["query"]:
            row["error"] = t.get("error", "not run")
            rows.append(row)
            continue
        qs = statistics.median(t["query"])
        row.update({
            "build_s": statistics.median(t["build"]),
            "first_query_s": statistics.median(t["first"]),
            "oneshot_s": statistics.median(b + f for b, f in zip(t["build"], t["first"])),
            "qps": len(Q) / qs,
            "speedup_vs_sklearn_best_exact": (len(Q) / qs) / best if best else None,
            "recall": recall_at_k(t["ind"], exact, exact_dist, Xtr, Q),
            "score": t["own_score"] if t.get("own_score") is not None else vote_score(t["ind"], y_train, y_test, task),
            "index_bytes": t.get("memory"),
        })
        rows.append(row)
    results = {"seed": seed, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "elapsed_s": time.time() - started,
               "quick": False, "k": k, "repeats": repeats, "versions": _versions(), "machine": _machine(), "rows": rows}
    return Comparison(results)


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for key, dist in (("knnkit", "knnkit"), ("numpy", "numpy"), ("sklearn", "scikit-learn"), ("scipy", "scipy"),
                      ("faiss", "faiss-cpu"), ("hnswlib", "hnswlib"), ("pykdtree", "pykdtree")):
        try:
            out[key] = version(dist)
        except PackageNotFoundError:
            out[key] = None
    return out


def _machine() -> dict:
    return {"cores": os.cpu_count(), "platform": platform.platform()}


# ---------------------------------------------------------------- the result

def _number(v: float) -> str:
    return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"


class Comparison:
    """The outcome of knnkit.compare: .results (results.json's schema), .table, .figures(), .to_html(path)."""

    def __init__(self, results: dict):
        self.results = results

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

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The table (text and HTML, the HTML with both charts, plotly.js from its CDN), the headline chart as a
        plotly figure, and as a PNG when plotly can draw one (kaleido installed)."""
        figures = self.figures()
        charts = "".join(fig.to_html(full_html=False, include_plotlyjs="cdn" if i == 0 else False) for i, fig in enumerate(figures))
        bundle = {
            "text/plain": repr(self),
            "text/html": self._table_html() + charts,
            "application/vnd.plotly.v1+json": json.loads(figures[0].to_json()),
        }
        try:
            import base64

            bundle["image/png"] = base64.b64encode(figures[0].to_image(format="png")).decode()
        except Exception:  # noqa: BLE001  (no kaleido: the HTML and the plotly figure stand)
            pass
        return bundle

    def _ipython_display_(self):
        """In IPython: the table, then each chart as its own output (a plotly-aware front end draws them)."""
        from IPython.display import display

        display({"text/plain": repr(self), "text/html": self._table_html()}, raw=True)
        for fig in self.figures():
            display(fig)
