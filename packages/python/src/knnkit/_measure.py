"""The comparison's measurements: knnkit's engines and their peers, timed by one set of rules.

The one comparison implementation: knnkit.compare (the caller's data, in a notebook) and the repository's
`pnpm compare` (built-in datasets and a report) both measure with `measure` and write results.schema.json.

Rules. Every engine builds, answers one cold query of all held-out rows (the one-shot figure is build + that
query), knnkit's engines then get a warm-up window (V8 optimises the query loops over several calls), and each
engine is called again until `min_time` seconds have passed. Each of `repeats` rounds runs the engines in a rotated
order, and medians are reported. knnkit is timed inside its engine (each answer carries its engine_ms), like the
peers inside Python: its steady figure loops inside the engine (`repeat_ms`) in one stretch, as the peers' loops
do in Python (timing many short calls with waits between them would flatter it on a loaded host: a process that
has just woken up is scheduled first). Moving arrays between Python and the engine is reported apart
(`knnkit_process`). Recall@k is
against scikit-learn's exact brute force (a row tied with the k-th distance counts as a hit); the score is the
majority vote's accuracy (classes) or the mean's R² (values) over the engine's neighbours, or an estimator's own
score(). A peer that is not installed or fails on the data keeps its row with the reason.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

KNNKIT_KINDS = ("brute", "kd_tree", "ball_tree", "prefilter")
KNNKIT_ENGINES = ["brute", "brute@all", "kd_tree", "kd_tree@all", "ball_tree", "ball_tree@all", "prefilter:0.05",
                  "prefilter:0.2", "prefilter:0.5", "prefilter:tuned", "prefilter:exact", "knnkit_estimator"]
PEER_ENGINES = ["sklearn_kd_tree", "sklearn_kd_tree@all", "sklearn_ball_tree", "sklearn_ball_tree@all", "sklearn_brute",
                "sklearn_brute@all", "scipy_ckdtree", "scipy_ckdtree@all", "pykdtree", "pykdtree@all", "faiss_flat",
                "faiss_hnsw", "hnswlib", "sklearn_estimator"]
EXACT_SKLEARN = ("sklearn_kd_tree", "sklearn_ball_tree", "sklearn_brute")
GRAPH_ENGINES = ("faiss_hnsw", "hnswlib")
EF_SWEEP = (10, 20, 40, 80, 160)
# the peers beyond scikit-learn: knnkit[compare]
_PEER_MODULES = {"scipy_ckdtree": "scipy.spatial", "pykdtree": "pykdtree.kdtree", "faiss_flat": "faiss",
                 "faiss_hnsw": "faiss", "hnswlib": "hnswlib"}
SCHEMA = Path(__file__).with_name("results.schema.json")


def is_knnkit(name: str) -> bool:
    """Whether an engine name is one of knnkit's (anything not a peer is taken as knnkit's, and refused if unknown)."""
    return name.replace("@all", "") not in PEER_ENGINES


def label(name: str) -> str:
    """An engine's row name: knnkit's carry the "knnkit " prefix ("kd_tree" -> "knnkit kd_tree")."""
    return "knnkit " + name.removeprefix("knnkit_") if is_knnkit(name) else name


def check_name(name: str) -> None:
    """Raises ValueError, naming the engines there are, if `name` is none of them."""
    base = name.replace("@all", "")
    if base == "knnkit_estimator" or not is_knnkit(name):
        return
    kind, _, param = base.partition(":")
    try:
        fine = kind in KNNKIT_KINDS and (not param or (kind == "prefilter" and (param in ("tuned", "exact") or float(param) > 0)))
    except ValueError:
        fine = False
    if not fine:
        raise ValueError(f"unknown engine {name!r}; knnkit: {', '.join(KNNKIT_ENGINES)} (prefilter:FRACTION for any fraction); "
                         f"peers: {', '.join(PEER_ENGINES)} (any with @all for every core)")


def missing(name: str) -> str | None:
    """Why a peer cannot run here (its library is not installed), or None."""
    module = _PEER_MODULES.get(name.replace("@all", ""))
    if module is None:
        return None
    try:
        __import__(module)
        return None
    except Exception as e:  # noqa: BLE001
        return f"not installed ({type(e).__name__}: {e}); pip install 'knnkit[compare]'"


# ---------------------------------------------------------------- engines

@dataclass
class Engine:
    build: Callable[[], Any]
    query: Callable[[Any], Any]  # the timed call: neighbour indices, or an estimator's predictions
    memory: Callable[[Any], tuple]  # (index bytes or None, knnkit's total with kernel copies or None)
    knnkit: bool = False
    label: str | None = None  # a name carrying the chosen setting ("prefilter:tuned(0.2,h0)")
    neighbours: Callable[[Any], Any] | None = None  # an estimator's neighbour indices (for recall)
    score: Callable[[Any], Any] | None = None  # an estimator's own score()
    resident: bool = True  # without a memory figure, count the resident set's growth while building
    # knnkit: seconds per call of the timed operation repeated inside its engine for at least the given seconds
    repeated: Callable[[Any, float], float] | None = None


def _one_thread(api=None):
    """A context keeping BLAS/OpenMP pools to one thread; the controller is made once per engine, after its
    library loaded (threadpool_limits would look the libraries up again at every call, milliseconds each)."""
    from threadpoolctl import ThreadpoolController

    controller = ThreadpoolController()
    return lambda: controller.limit(limits=1, user_api=api)


def _knnkit_engine(kind, param, all_cores, X, Q, k, y_train, task, tuned: dict) -> Engine:
    from ._backend import get_backend
    from ._estimators import KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors

    options = {"n_neighbors": k, "algorithm": kind, "n_jobs": -1 if all_cores else None}
    name = None
    if kind in ("kd_tree", "ball_tree"):
        options["leaf_size"] = 40
    if kind == "prefilter":
        options["n_filter_features"] = min(4, X.shape[1])
    # the prefilter uses the target to choose its filter features
    supervised = kind == "prefilter" and y_train is not None and task in ("classification", "regression")
    Est = (KNeighborsClassifier if task == "classification" else KNeighborsRegressor) if supervised else NearestNeighbors

    def fit(**extra):
        est = Est(**options, **extra)
        return est.fit(X, y_train) if supervised else est.fit(X)

    if kind == "prefilter":
        if param == "exact":
            options["prefilter_mode"] = "exact"
        elif param == "tuned":
            if "setting" not in tuned:  # tuned once (untimed), then built with the chosen setting every round
                tuned["setting"] = fit(target_recall=0.9)._remote.info["tuned"]
            s = tuned["setting"]
            options.update(candidates=s["candidates"], halving_stages=s["halving_stages"])
            name = f"prefilter:tuned({s['fraction']:g},h{s['halving_stages']}){'@all' if all_cores else ''}"
        else:
            fraction = float(param)
            options["candidates"] = fraction if fraction < 1 else len(X)

    def memory(est):
        info, _ = get_backend().call("info", handle=est._remote.handle)  # after the queries: kernel copies exist
        return info.get("index_bytes"), info.get("memory_bytes")
    return Engine(fit, lambda est: est.kneighbors(Q, k, return_distance=False), memory, knnkit=True, label=name,
                  repeated=_repeated("kneighbors", Q, k=k))


def _repeated(op, Q, **fields):
    """Seconds per call of a knnkit operation on Q, repeated inside the engine for at least min_time seconds."""
    def run(est, min_time):
        result, _ = est._remote.call(op, {"X": est._query(Q)}, repeat_ms=min_time * 1000, **fields)
        return result["engine_ms"] / 1000 / result["calls"]
    return run


def _estimator(name, X, Q, k, y_train, y_test, task) -> Engine:
    """knnkit's or scikit-learn's KNeighborsClassifier/Regressor (algorithm="auto", one thread): timed predict."""
    if task == "none" or y_train is None:
        raise ValueError("needs a target y")
    if name == "knnkit_estimator":
        from ._estimators import KNeighborsClassifier, KNeighborsRegressor
        limit = None
    else:
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
        limit = _one_thread()
    Est = KNeighborsClassifier if task == "classification" else KNeighborsRegressor

    def predict(est):
        if limit is None:
            return est.predict(Q)
        with limit():
            return est.predict(Q)
    return Engine(lambda: Est(n_neighbors=k, n_jobs=1).fit(X, y_train), predict, lambda est: (None, None),
                  knnkit=name == "knnkit_estimator", neighbours=lambda est: est.kneighbors(Q, k, return_distance=False),
                  score=None if y_test is None else lambda est: float(est.score(Q, y_test)), resident=False,
                  repeated=_repeated("predict", Q) if name == "knnkit_estimator" else None)


def _tree_bytes(tree) -> int:
    return int(sum(a.nbytes for a in tree.get_arrays()))


def _peer_engine(name, X, Q, k) -> Engine:
    import numpy as np

    all_cores = name.endswith("@all")
    base = name.replace("@all", "")
    jobs = -1 if all_cores else 1
    if base in ("sklearn_kd_tree", "sklearn_ball_tree"):
        algorithm = base.removeprefix("sklearn_")
        if all_cores:
            from sklearn.neighbors import NearestNeighbors
            return Engine(lambda: NearestNeighbors(n_neighbors=k, algorithm=algorithm, leaf_size=40, n_jobs=-1).fit(X),
                          lambda m: m.kneighbors(Q, k)[1], lambda m: (_tree_bytes(m._tree), None))
        from sklearn.neighbors import BallTree, KDTree
        Tree = KDTree if algorithm == "kd_tree" else BallTree
        return Engine(lambda: Tree(X, leaf_size=40), lambda t: t.query(Q, k)[1], lambda t: (_tree_bytes(t), None))
    if base == "sklearn_brute":
        from sklearn.neighbors import NearestNeighbors
        limit = _one_thread()

        def query(m):
            if all_cores:
                return m.kneighbors(Q, k)[1]
            with limit():
                return m.kneighbors(Q, k)[1]
        return Engine(lambda: NearestNeighbors(n_neighbors=k, algorithm="brute", n_jobs=jobs).fit(X), query, lambda m: (X.nbytes, None))
    if base == "scipy_ckdtree":
        from scipy.spatial import cKDTree
        return Engine(lambda: cKDTree(X, leafsize=40), lambda t: t.query(Q, k, workers=jobs)[1].reshape(len(Q), k), lambda t: (None, None))
    if base == "pykdtree":
        # its default leaf size (16); its queries use OpenMP with OMP_NUM_THREADS threads (read when the library
        # loads), so one thread is set on its OpenMP runtime for the call instead
        from pykdtree.kdtree import KDTree as PyKDTree
        limit = _one_thread("openmp")

        def query(t):
            if all_cores:
                return t.query(Q, k=k)[1].reshape(len(Q), k)
            with limit():
                return t.query(Q, k=k)[1].reshape(len(Q), k)
        return Engine(lambda: PyKDTree(X), query, lambda t: (None, None))
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
        return Engine(build, lambda i: i.search(Q32, k)[1], lambda i: (X32.nbytes if base == "faiss_flat" else None, None))
    if base == "hnswlib":
        import hnswlib

        def build():
            index = hnswlib.Index(space="l2", dim=X.shape[1])
            index.init_index(max_elements=len(X), ef_construction=100, M=16, random_seed=1)
            index.set_num_threads(os.cpu_count() if all_cores else 1)
            index.add_items(X)
            index.set_ef(max(64, k))
            return index
        return Engine(build, lambda i: i.knn_query(Q, k)[0], lambda i: (None, None))
    raise ValueError(f"unknown engine {name!r}")


def engine(name, X, Q, k, y_train=None, y_test=None, task="none", tuned: dict | None = None) -> Engine:
    """An engine by name: knnkit's kinds (brute, kd_tree, ball_tree, prefilter:FRACTION|tuned|exact), knnkit_estimator,
    or a peer from PEER_ENGINES; "@all" uses every core. Raises ValueError for an unknown name."""
    all_cores = name.endswith("@all")
    base = name.replace("@all", "")
    if base in ("knnkit_estimator", "sklearn_estimator"):
        return _estimator(base, X, Q, k, y_train, y_test, task)
    check_name(name)
    if is_knnkit(name):
        kind, _, param = base.partition(":")
        return _knnkit_engine(kind, param, all_cores, X, Q, k, y_train, task, {} if tuned is None else tuned)
    return _peer_engine(name, X, Q, k)


# ---------------------------------------------------------------- timing

class _Clock:
    """Seconds of calls: inside knnkit's engine (the engine_ms of its answers) for knnkit, else wall time."""

    def __init__(self, times=None):
        self.times = times  # a CallTimes recording knnkit's engine calls, or None

    def _engine_s(self) -> float:
        return self.times.engine_seconds() if self.times is not None else 0.0

    def once(self, fn):
        """(seconds, result) of one call."""
        e, t = self._engine_s(), time.perf_counter()
        out = fn()
        return (self._engine_s() - e if self.times is not None else time.perf_counter() - t), out

    def per_call(self, fn, min_time):
        """(seconds per call, last result): fn called again until min_time seconds of wall time have passed."""
        e, t, calls = self._engine_s(), time.perf_counter(), 0
        while True:
            out = fn()
            calls += 1
            elapsed = time.perf_counter() - t
            if elapsed >= min_time:
                return (self._engine_s() - e if self.times is not None else elapsed) / calls, out


def seconds_per_call(fn, min_time):
    """(seconds per call, last result) of fn called again until min_time seconds have passed (wall time)."""
    return _Clock().per_call(fn, min_time)


def _rss_bytes() -> int:
    """Resident set size of this process (for indexes whose arrays Python cannot see)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return 0


def _round(spec: Engine, min_time: float, clock: _Clock) -> dict:
    """One round of an engine: build, first (cold) query, steady query; neighbours, memory and own score."""
    rss = _rss_bytes()
    built, index = clock.once(spec.build)
    grown = _rss_bytes() - rss
    first, out = clock.once(lambda: spec.query(index))
    if spec.repeated is not None:
        spec.repeated(index, min_time)  # warm-up
        per_call = spec.repeated(index, min_time)
    else:
        per_call, out = clock.per_call(lambda: spec.query(index), min_time)
    index_bytes, total = spec.memory(index)
    if index_bytes is None and spec.resident and grown > 0:
        index_bytes = grown  # graph indexes keep their memory in C++: the resident set's growth while building
    return {"build": built, "first": first, "query": per_call, "total": total, "memory": index_bytes,
            "ind": spec.neighbours(index) if spec.neighbours else out, "own_score": spec.score(index) if spec.score else None}


def build_seconds(name: str, X, repeats: int) -> float:
    """Median build time of an engine over `repeats` builds (knnkit's inside its engine)."""
    from ._magics import CallTimes

    spec = engine(name, X, X[:1], 1)
    times = []
    for _ in range(repeats):
        if spec.knnkit:
            with CallTimes() as calls:
                times.append(_Clock(calls).once(spec.build)[0])
        else:
            times.append(_Clock().once(spec.build)[0])
    return statistics.median(times)


def ef_sweep(name, X, Q, k, exact, exact_dist, min_time) -> list[dict]:
    """Recall@k and queries/s of a graph index (faiss_hnsw, hnswlib) over its search breadth ef (one build)."""
    import numpy as np

    index = engine(name, X, Q, k).build()
    Q32 = Q.astype(np.float32)
    points = []
    for ef in EF_SWEEP:
        if name == "faiss_hnsw":
            index.hnsw.efSearch = max(ef, k)
            query = lambda: index.search(Q32, k)[1]  # noqa: E731
        else:
            index.set_ef(max(ef, k))
            query = lambda: index.knn_query(Q, k)[0]  # noqa: E731
        query()
        per_call, ind = _Clock().per_call(query, min_time)
        points.append({"param": f"ef={ef}", "qps": len(Q) / per_call, "recall": recall_at_k(np.asarray(ind), exact, X, Q, exact_dist)})
    return points


# ---------------------------------------------------------------- scores

def recall_at_k(approx, exact, X=None, Q=None, exact_dist=None) -> float:
    """Mean fraction of each query's exact k neighbours found by the result.

    With X, Q and the exact distances, ties count: a returned row is a hit when its distance is within the exact
    k-th distance (any of several tied rows is exact)."""
    import numpy as np

    approx = np.asarray(approx, dtype=np.int64)
    k = exact.shape[1]
    if exact_dist is None:
        return sum(len(np.intersect1d(a, e)) for a, e in zip(approx, exact)) / (exact.shape[0] * k)
    d = np.sqrt(((X[approx] - Q[:, None, :]) ** 2).sum(axis=2))
    hits = np.minimum((d <= exact_dist[:, -1:] * (1 + 1e-9) + 1e-12).sum(axis=1), k)
    return float(hits.sum() / (exact.shape[0] * k))


def vote_score(ind, y_train, y_test, task):
    """Accuracy of the uniform majority vote (ties to the smallest label), or R² of the mean; None without a target."""
    import numpy as np

    if y_test is None or task == "none":
        return None
    ind = np.asarray(ind, dtype=np.int64)
    if task == "classification":
        classes, codes = np.unique(y_train, return_inverse=True)
        votes = np.apply_along_axis(lambda r: np.bincount(r, minlength=len(classes)), 1, codes[ind])
        return float(np.mean(classes[np.argmax(votes, axis=1)] == y_test))
    pred = np.asarray(y_train, dtype=np.float64)[ind].mean(axis=1)
    ss_res = float(np.sum((y_test - pred) ** 2))
    ss_tot = float(np.sum((y_test - np.mean(y_test)) ** 2))
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else float(ss_res == 0)


# ---------------------------------------------------------------- one dataset

def measure(X, y_train, Q, y_test, task, *, k, engines, repeats=3, min_time=0.2, dataset="user", progress=None) -> dict:
    """Every engine on one dataset: {"rows": [...], "curves": {graph engine: ef sweep}, "knnkit_process": [...]}
    in results.schema.json's shapes. progress(label) is called after each engine's round."""
    import numpy as np
    from sklearn.neighbors import NearestNeighbors

    from ._magics import CallTimes

    exact_dist, exact = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(X).kneighbors(Q)
    names = list(engines)
    if any(is_knnkit(n) for n in names):
        from ._backend import get_backend

        get_backend().generation  # the engine starts here, outside every timing
    timings = {n: {"build": [], "first": [], "query": [], "tuned": {}} for n in names}
    process = []
    for r in range(repeats):
        spent = {"calls": 0, "wall_s": 0.0, "in_engine_s": 0.0}
        for name in names[r % len(names):] + names[: r % len(names)]:
            t = timings[name]
            if "error" not in t and (reason := missing(name)):
                t["error"] = reason
            if "error" not in t:
                try:
                    spec = engine(name, X, Q, k, y_train, y_test, task, t["tuned"])
                    if spec.knnkit:
                        with CallTimes() as calls:
                            got = _round(spec, min_time, _Clock(calls))
                        spent["calls"] += sum(e["calls"] for e in calls.ops.values())
                        spent["wall_s"] += calls.total_seconds()
                        spent["in_engine_s"] += calls.engine_seconds()
                    else:
                        got = _round(spec, min_time, _Clock())
                    for key in ("build", "first", "query"):
                        t[key].append(got[key])
                    t.update(ind=got["ind"], memory=got["memory"], total=got["total"], own_score=got["own_score"], label=spec.label)
                except Exception as e:  # noqa: BLE001  (the row keeps the reason; the comparison goes on)
                    t["error"] = f"{type(e).__name__}: {e}"
            if progress is not None:
                progress(f"{dataset}: {name}")
        if spent["calls"]:
            process.append({"dataset": dataset, "repeat": r, **spent, "transfer_s": spent["wall_s"] - spent["in_engine_s"]})
    best = max((len(Q) / statistics.median(t["query"]) for n, t in timings.items() if n in EXACT_SKLEARN and t["query"]), default=None)
    rows = []
    for name in names:
        t = timings[name]
        row = {"dataset": dataset, "engine": label(t.get("label") or name), "rows": len(X), "cols": X.shape[1], "queries": len(Q),
               "k": k, "task": task, "workers": "all" if name.endswith("@all") else 1}
        if not t["query"]:
            row["error"] = t.get("error", "not run")
            rows.append(row)
            continue
        qs = statistics.median(t["query"])
        row.update({
            "build_s": statistics.median(t["build"]),
            "first_query_s": statistics.median(t["first"]),
            "oneshot_s": statistics.median(b + f for b, f in zip(t["build"], t["first"])),  # paired within each round
            "qps": len(Q) / qs,
            "speedup_vs_sklearn_best_exact": (len(Q) / qs) / best if best else None,
            "recall": recall_at_k(t["ind"], exact, X, Q, exact_dist),
            "score": t["own_score"] if t["own_score"] is not None else vote_score(t["ind"], y_train, y_test, task),
            "index_bytes": None if t["memory"] is None else int(t["memory"]),
        })
        if t["total"] is not None:
            row["index_bytes_total"] = int(t["total"])
        rows.append(row)
    curves = {n: ef_sweep(n, X, Q, k, exact, exact_dist, min_time) for n in GRAPH_ENGINES if timings.get(n, {}).get("query")}
    return {"rows": rows, "curves": curves, "knnkit_process": process}


# ---------------------------------------------------------------- the run's facts

def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for key, dist in (("knnkit", "knnkit"), ("numpy", "numpy"), ("sklearn", "scikit-learn"), ("scipy", "scipy"),
                      ("faiss", "faiss-cpu"), ("hnswlib", "hnswlib"), ("pykdtree", "pykdtree"), ("pyarrow", "pyarrow")):
        try:
            out[key] = version(dist)
        except PackageNotFoundError:
            out[key] = None
    try:
        from ._bridge import _node

        out["node"] = subprocess.run([_node(), "--version"], capture_output=True, text=True).stdout.strip()
    except Exception:  # noqa: BLE001  (Pyodide: no Node process)
        out["node"] = None
    return out


def machine() -> dict:
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        cpu = platform.processor()
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform()}
