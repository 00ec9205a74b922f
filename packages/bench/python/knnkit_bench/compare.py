"""The comparison harness: knnkit against scikit-learn and the best peers, side by side.

    pnpm compare -- [--quick] [--full]      (or
    PYTHONPATH=packages/bench/python .venv/bin/python -m knnkit_bench.compare)
                             [--quick] [--full] [--datasets digits,W1] [--engines ...]
                             [--k 10] [--repeats 3] [--out report] [--data file --target col]

knnkit is timed inside its Node engine (process start-up and file reading are
not counted); the peers inside Python. Every engine runs `repeats` rounds, the
order rotating each round, and the median is reported. Recall@k is measured
against scikit-learn's exact brute-force neighbours; accuracy (classes) or R²
(values) from the same majority/mean vote of each engine's neighbours.
Writes report/results.json and report/index.html (plotly.js inlined).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa


SEED = 20261123
REAL = {"digits": "load_digits", "iris": "load_iris", "wine": "load_wine", "breast_cancer": "load_breast_cancer", "diabetes": "load_diabetes"}
SYNTHETIC = ["W1", "W2", "W3", "W5", "P1", "P2"]
# default scales keep the whole run to a few minutes on 2 cores; --full uses the documented sizes
DEFAULT_SCALE = {"W1": 0.25, "W2": 0.25, "W3": 0.1, "W5": 0.1, "P1": 0.1, "P2": 0.1}
QUICK_SCALE = 0.005
KNNKIT_ENGINES = ["brute", "brute@all", "kd_tree", "kd_tree@all", "ball_tree", "ball_tree@all",
                  "prefilter:0.05", "prefilter:0.2", "prefilter:0.5", "prefilter:tuned", "prefilter:exact"]
PEER_ENGINES = ["sklearn_kd_tree", "sklearn_kd_tree@all", "sklearn_ball_tree", "sklearn_ball_tree@all",
                "sklearn_brute", "sklearn_brute@all", "scipy_ckdtree", "scipy_ckdtree@all", "pykdtree", "pykdtree@all",
                "faiss_flat", "faiss_hnsw", "hnswlib", "sklearn_estimator"]
EXACT_SKLEARN = ("sklearn_kd_tree", "sklearn_ball_tree", "sklearn_brute")


def repo_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "packages" / "bench" / "src" / "compare" / "runner.ts").exists():
            return parent
    raise RuntimeError("the comparison harness runs from the knnkit repository (packages/bench not found)")


def _column_view(table: pa.Table, name) -> np.ndarray:
    """A column of an Arrow table as a numpy view (FixedSizeList columns as 2-D)."""
    column = table.column(name)
    chunk = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    if pa.types.is_fixed_size_list(chunk.type):
        return chunk.values.to_numpy(zero_copy_only=True).reshape(-1, chunk.type.list_size)
    return chunk.to_numpy(zero_copy_only=True)


def read_array(path: str) -> np.ndarray:
    """The first column of an Arrow IPC file, memory-mapped."""
    return _column_view(pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all(), 0)


# ---------------------------------------------------------------- datasets

def read_split(path: Path):
    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    X = _column_view(table, "data")
    y = table.column("y").to_numpy() if "y" in table.column_names else None
    return X, y


def write_split(path: Path, X: np.ndarray, y) -> None:
    X = np.ascontiguousarray(X, dtype=np.float64)
    cols = {"data": pa.FixedSizeListArray.from_arrays(pa.array(X.reshape(-1)), X.shape[1])}
    if y is not None:
        cols["y"] = pa.array(np.asarray(y, dtype=np.float64))
    table = pa.table(cols)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)


def dataset_files(name: str, scale: float, cache: Path, root: Path, args) -> tuple[Path, Path, str]:
    """Cached Arrow IPC train/test files of a dataset; returns (train, test, task)."""
    tag = f"{name}-{scale:g}" if name in SYNTHETIC else name
    train, test = cache / f"{tag}.train.arrow", cache / f"{tag}.test.arrow"
    task = "regression" if name == "diabetes" else "classification" if name in REAL or name in ("P1", "P2") else "none"
    if name == "user":
        X, y, task = load_user_dataset(args.data, args.target)
        if X.ndim != 2 or len(X) < 2 or X.shape[1] < 1:
            raise SystemExit(f"{args.data}: need a 2-D table with at least 2 rows and 1 feature, got shape {X.shape}")
        if not np.isfinite(X).all():
            raise SystemExit(f"{args.data}: the feature columns contain NaN or infinite values")
        split(X, y, train, test)
        return train, test, task
    if train.exists() and test.exists():
        return train, test, task
    if name in REAL:
        from sklearn import datasets
        X, y = getattr(datasets, REAL[name])(return_X_y=True)
        split(X.astype(np.float64), y, train, test)
    elif name in SYNTHETIC:
        with tempfile.TemporaryDirectory() as d:
            node(root, ["generate", "--name", name, "--scale", str(scale), "--out", d])
            os.replace(Path(d) / f"{name}.train.arrow", train)
            os.replace(Path(d) / f"{name}.test.arrow", test)
    else:
        raise SystemExit(f"unknown dataset {name!r}; built in: {', '.join(list(REAL) + SYNTHETIC)}")
    return train, test, task


def split(X, y, train: Path, test: Path) -> None:
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(X))
    cut = int(round(len(X) * 0.75))
    write_split(train, X[order[:cut]], None if y is None else np.asarray(y)[order[:cut]])
    write_split(test, X[order[cut:]], None if y is None else np.asarray(y)[order[cut:]])


def load_user_dataset(path: str, target: str | None):
    p = Path(path)
    if p.suffix == ".npy":
        data = np.load(p)
        if data.dtype.names:  # a structured array: columns by name
            names = [n for n in data.dtype.names if n != target]
            if target is not None and target not in data.dtype.names:
                raise SystemExit(f"target column {target!r} not in {list(data.dtype.names)}")
            X = np.column_stack([data[n].astype(np.float64) for n in names])
            y = data[target] if target is not None else None
            return X, y, task_of(y) if y is not None else "none"
        if target is None:
            return data.astype(np.float64), None, "none"
        try:
            col = int(target)
        except ValueError:
            raise SystemExit(f"--target for a plain .npy array is a column number, not {target!r}") from None
        if not -data.shape[1] <= col < data.shape[1]:
            raise SystemExit(f"target column {col} outside the {data.shape[1]} columns of {p.name}")
        y = data[:, col]
        X = np.delete(data, col, axis=1)
        return X.astype(np.float64), y, task_of(y)
    if p.suffix == ".csv":
        import pyarrow.csv as pacsv
        table = pacsv.read_csv(p)
    else:
        import pyarrow.feather as feather
        table = feather.read_table(p)
    y = None
    if target is not None:
        if target not in table.column_names:
            raise SystemExit(f"target column {target!r} not in {table.column_names}")
        y = table.column(target).to_numpy()
        table = table.drop_columns([target])
    X = np.column_stack([table.column(c).to_numpy().astype(np.float64) for c in table.column_names])
    return X, y, task_of(y) if y is not None else "none"


def task_of(y) -> str:
    y = np.asarray(y)
    if y.dtype.kind in "OUSb" or (np.all(np.equal(np.mod(y, 1), 0)) and len(np.unique(y)) <= 100):
        return "classification"
    return "regression"


# ---------------------------------------------------------------- engines

def node(root: Path, argv: list[str]) -> str:
    runner = root / "packages" / "bench" / "src" / "compare" / "runner.ts"
    if argv[0] == "run":
        argv = [*argv, "--min-time", str(MIN_TIME)]
    cmd = ["node", "--max-old-space-size=8192", "--expose-gc", "--import", "tsx", str(runner), *argv]
    out = subprocess.run(cmd, cwd=root / "packages" / "bench", capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"knnkit runner failed: {out.stderr[-2000:]}")
    return out.stdout


def records(stdout: str) -> list[dict]:
    """The runner's per-engine JSON lines (its closing process summary is read by process_summary)."""
    return [r for r in map(json.loads, stdout.splitlines()) if "process" not in r]


def process_summary(stdout: str) -> dict:
    for r in map(json.loads, stdout.splitlines()):
        if "process" in r:
            return r["process"]
    return {}


def rss_bytes() -> int:
    """Resident set size of this process (for indexes whose arrays Python cannot see)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def peer_engine(name: str, X, Q, k):
    """Returns (build, query) closures for a peer, or raises ImportError if it is not installed."""
    all_cores = name.endswith("@all")
    base = name.replace("@all", "")
    jobs = -1 if all_cores else 1
    if base in ("sklearn_kd_tree", "sklearn_ball_tree"):
        from sklearn.neighbors import BallTree, KDTree
        from threadpoolctl import threadpool_limits
        Tree = KDTree if base == "sklearn_kd_tree" else BallTree
        if all_cores:
            from sklearn.neighbors import NearestNeighbors
            algo = "kd_tree" if base == "sklearn_kd_tree" else "ball_tree"
            return (lambda: NearestNeighbors(n_neighbors=k, algorithm=algo, leaf_size=40, n_jobs=-1).fit(X),
                    lambda m: m.kneighbors(Q, k)[1], lambda m: _tree_bytes(m._tree))
        return (lambda: Tree(X, leaf_size=40), lambda t: t.query(Q, k)[1], _tree_bytes)
    if base == "sklearn_brute":
        from sklearn.neighbors import NearestNeighbors
        from threadpoolctl import threadpool_limits

        def query(m):
            if all_cores:
                return m.kneighbors(Q, k)[1]
            with threadpool_limits(1):
                return m.kneighbors(Q, k)[1]
        return (lambda: NearestNeighbors(n_neighbors=k, algorithm="brute", n_jobs=jobs).fit(X), query, lambda m: X.nbytes)
    if base == "scipy_ckdtree":
        from scipy.spatial import cKDTree
        return (lambda: cKDTree(X, leafsize=40), lambda t: t.query(Q, k, workers=jobs)[1].reshape(len(Q), k), lambda t: None)
    if base == "pykdtree":
        # its default leaf size (16); its queries use OpenMP with OMP_NUM_THREADS threads, read when the
        # library loads, so one thread is set on its OpenMP runtime for the call instead (a controller made
        # once: threadpool_limits looks the libraries up again at every call, milliseconds each)
        from pykdtree.kdtree import KDTree as PyKDTree
        from threadpoolctl import ThreadpoolController
        controller = ThreadpoolController()

        def query(t):
            if all_cores:
                return t.query(Q, k=k)[1].reshape(len(Q), k)
            with controller.limit(limits=1, user_api="openmp"):
                return t.query(Q, k=k)[1].reshape(len(Q), k)
        return (lambda: PyKDTree(X), query, lambda t: None)
    if base == "faiss_flat":
        import faiss
        faiss.omp_set_num_threads(1)
        X32, Q32 = X.astype(np.float32), Q.astype(np.float32)

        def build():
            index = faiss.IndexFlatL2(X.shape[1])
            index.add(X32)
            return index
        return (build, lambda i: i.search(Q32, k)[1], lambda i: X32.nbytes)
    if base == "faiss_hnsw":
        import faiss
        faiss.omp_set_num_threads(1)
        X32, Q32 = X.astype(np.float32), Q.astype(np.float32)

        def build():
            index = faiss.IndexHNSWFlat(X.shape[1], 32)
            index.hnsw.efSearch = 64
            index.add(X32)
            return index
        return (build, lambda i: i.search(Q32, k)[1], lambda i: None)
    if base == "hnswlib":
        import hnswlib

        def build():
            index = hnswlib.Index(space="l2", dim=X.shape[1])
            index.init_index(max_elements=len(X), ef_construction=100, M=16, random_seed=1)
            index.set_num_threads(1)
            index.add_items(X)
            index.set_ef(max(64, k))
            return index
        return (build, lambda i: i.knn_query(Q, k)[0], lambda i: None)
    raise ValueError(f"unknown engine {name}")


def _tree_bytes(tree) -> int:
    return int(sum(a.nbytes for a in tree.get_arrays()))


DEFAULT_MIN_TIME = 0.2  # seconds of calls per timing; short windows are at the mercy of the shared host
QUICK_MIN_TIME = 0.01
MIN_TIME = DEFAULT_MIN_TIME


def seconds_per_call(fn):
    """(seconds per call, last result), calling fn again until MIN_TIME has passed (as the Node runner does)."""
    calls, t = 0, time.perf_counter()
    while True:
        out = fn()
        calls += 1
        elapsed = time.perf_counter() - t
        if elapsed >= MIN_TIME:
            return elapsed / calls, out


def time_peer(name, X, Q, k):
    build, query, memory = peer_engine(name, X, Q, k)
    rss = rss_bytes()
    t = time.perf_counter()
    index = build()
    b = time.perf_counter() - t
    grown = rss_bytes() - rss
    t = time.perf_counter()
    query(index)  # the first, cold query (one-shot figure); also the warm-up
    first = time.perf_counter() - t
    qt, ind = seconds_per_call(lambda: query(index))
    size = memory(index)
    # graph indexes keep their memory in C++: the growth of the resident set while building
    return b, first, qt, np.asarray(ind, dtype=np.int64), size if size is not None else (grown if grown > 0 else None)


def time_estimator(X, y_train, Q, y_test, k, task):
    """scikit-learn's KNeighborsClassifier/Regressor (algorithm="auto", n_jobs=1): fit time, first and steady predict time, and its own score()."""
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from threadpoolctl import threadpool_limits
    Est = KNeighborsClassifier if task == "classification" else KNeighborsRegressor
    t = time.perf_counter()
    est = Est(n_neighbors=k, n_jobs=1).fit(X, y_train)
    b = time.perf_counter() - t
    with threadpool_limits(1):
        t = time.perf_counter()
        est.predict(Q)  # the first, cold predict (one-shot figure); also the warm-up
        first = time.perf_counter() - t
        qt, _ = seconds_per_call(lambda: est.predict(Q))
        ind = est.kneighbors(Q, k, return_distance=False)
        score = float(est.score(Q, y_test))
    return b, first, qt, np.asarray(ind, dtype=np.int64), None, score


# ---------------------------------------------------------------- scores

def recall_at_k(approx: np.ndarray, exact: np.ndarray, X=None, Q=None, exact_dist=None) -> float:
    """Mean fraction of each query's exact k neighbours found by the approximate result.

    With X, Q and the exact distances, ties count: a returned row is a hit when its
    distance is within the exact k-th distance (any of several tied rows is exact).
    """
    k = exact.shape[1]
    if exact_dist is None:
        hits = sum(len(np.intersect1d(a, e)) for a, e in zip(approx, exact))
        return hits / (exact.shape[0] * k)
    kth = exact_dist[:, -1]
    d = np.sqrt(((X[approx] - Q[:, None, :]) ** 2).sum(axis=2))
    hits = np.minimum((d <= kth[:, None] * (1 + 1e-9) + 1e-12).sum(axis=1), k)
    return float(hits.sum() / (exact.shape[0] * k))


def vote_score(ind: np.ndarray, y_train, y_test, task: str):
    """Accuracy of the uniform majority vote (ties to the smallest label) or R² of the mean."""
    if task == "classification":
        classes, codes = np.unique(y_train, return_inverse=True)
        votes = np.apply_along_axis(lambda r: np.bincount(r, minlength=len(classes)), 1, codes[ind])
        pred = classes[np.argmax(votes, axis=1)]
        return float(np.mean(pred == y_test))
    if task == "regression":
        pred = np.asarray(y_train)[ind].mean(axis=1)
        ss_res = float(np.sum((y_test - pred) ** 2))
        ss_tot = float(np.sum((y_test - np.mean(y_test)) ** 2))
        return 1.0 - ss_res / ss_tot if ss_tot > 0 else float(ss_res == 0)
    return None


# ---------------------------------------------------------------- main

def progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label[:50]:<50}")
    sys.stderr.flush()


def installed(name: str):
    module = {"scipy_ckdtree": "scipy", "faiss_flat": "faiss", "faiss_hnsw": "faiss", "hnswlib": "hnswlib",
              "pykdtree": "pykdtree.kdtree"}.get(name.replace("@all", ""))
    if module is None:
        return None
    try:
        __import__(module)
        return None
    except Exception as e:  # noqa: BLE001
        return f"not installed: {type(e).__name__}: {e}"


def run_dataset(name, args, root, cache, out_dir, rows_out, plan_total, plan_done):
    scale = (QUICK_SCALE if args.quick else 1.0 if args.full else DEFAULT_SCALE.get(name, 1.0)) if name in SYNTHETIC else 1.0
    train_path, test_path, task = dataset_files(name, scale, cache, root, args)
    X, y_train = read_split(train_path)
    Q, y_test = read_split(test_path)
    k = min(args.k, len(X) - 1)
    from sklearn.neighbors import NearestNeighbors
    exact_dist, exact = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(X).kneighbors(Q)
    knn_engines = [e for e in args.knnkit_engines if not (e.startswith("prefilter") and X.shape[1] < 2)]
    # the scikit-learn estimator row needs a target: it is the reference accuracy / R² (its own score())
    peers = [e for e in args.peer_engines if e != "sklearn_estimator" or task != "none"]
    timings: dict[str, dict] = {}
    for r in range(args.repeats):
        order = ["knnkit"] + peers
        order = order[r % len(order):] + order[: r % len(order)]
        for engine in order:
            if engine == "knnkit":
                with tempfile.TemporaryDirectory() as d:
                    wall = time.perf_counter()
                    lines = node(root, ["run", "--train", str(train_path), "--test", str(test_path), "--k", str(k),
                                        "--engines", ",".join(knn_engines), "--out", d, "--repeats", "1"])
                    wall = time.perf_counter() - wall
                    summary = process_summary(lines)
                    args.process_rows.append({
                        "dataset": name, "repeat": r, "wall_s": wall, "load_s": summary.get("load_s"),
                        "in_engine_s": summary.get("run_s"),
                        # node start-up, module loading, writing results and reading them back here
                        "startup_and_transfer_s": wall - summary.get("run_s", 0.0),
                    })
                    for rec in records(lines):
                        if "error" in rec:
                            timings.setdefault("knnkit " + rec["engine"], new_timing(rec["family"], rec["workers"]))["error"] = rec["error"]
                            continue
                        ind = read_array(rec["indices"]).reshape(len(Q), k).astype(np.int64)
                        entry = timings.setdefault("knnkit " + rec["engine"], new_timing(rec["family"], rec["workers"]))
                        entry["build"] += rec["build_s"]
                        entry["first"] += rec["first_query_s"]
                        entry["query"] += rec["query_s"]
                        entry["ind"] = ind
                        entry["memory"] = rec["index_bytes"]
                        entry["memory_total"] = rec.get("index_bytes_total")
                plan_done[0] += 1
                progress(plan_done[0], plan_total, f"{name}: knnkit")
                continue
            missing = installed(engine)
            entry = timings.setdefault(engine, new_timing(engine, "all" if engine.endswith("@all") else 1))
            if missing:
                entry["error"] = missing
            else:
                try:
                    if engine == "sklearn_estimator":
                        b, first, q, ind, mem, entry["own_score"] = time_estimator(X, y_train, Q, y_test, k, task)
                    else:
                        b, first, q, ind, mem = time_peer(engine, X, Q, k)
                    entry["build"].append(b)
                    entry["first"].append(first)
                    entry["query"].append(q)
                    entry["ind"] = ind
                    entry["memory"] = mem
                except Exception as e:  # noqa: BLE001
                    entry["error"] = f"{type(e).__name__}: {e}"
            plan_done[0] += 1
            progress(plan_done[0], plan_total, f"{name}: {engine}")
    best_exact = max((len(Q) / statistics.median(t["query"]) for e, t in timings.items()
                      if e.replace("@all", "") in EXACT_SKLEARN and t["query"] and not e.endswith("@all")), default=None)
    for engine, t in timings.items():
        row = {"dataset": name, "engine": engine, "rows": len(X), "cols": X.shape[1], "queries": len(Q), "k": k,
               "task": task, "workers": t["workers"]}
        if "error" in t and not t["query"]:
            row["error"] = t["error"]
            rows_out.append(row)
            continue
        qs = statistics.median(t["query"])
        row.update({
            "build_s": statistics.median(t["build"]),
            "first_query_s": statistics.median(t["first"]),
            # build + first query, paired within each round
            "oneshot_s": statistics.median(b + f for b, f in zip(t["build"], t["first"])),
            "qps": len(Q) / qs,
            "speedup_vs_sklearn_best_exact": (len(Q) / qs) / best_exact if best_exact else None,
            "recall": recall_at_k(t["ind"], exact, X, Q, exact_dist),
            "score": t["own_score"] if "own_score" in t else vote_score(t["ind"], y_train, y_test, task),
            "index_bytes": t.get("memory"),
        })
        if t.get("memory_total") is not None:
            row["index_bytes_total"] = t["memory_total"]
        rows_out.append(row)
    sweeps = {}
    for engine in ("faiss_hnsw", "hnswlib"):
        if engine in peers and not timings.get(engine, {}).get("error"):
            sweeps[engine] = ef_sweep(engine, X, Q, k, exact, exact_dist)
    if sweeps:
        args.curves[name] = sweeps


def new_timing(family, workers) -> dict:
    return {"build": [], "first": [], "query": [], "family": family, "workers": workers}


def ef_sweep(engine, X, Q, k, exact, exact_dist) -> list[dict]:
    """Recall@k and queries/s of a graph index over its search breadth ef (one build)."""
    build, _, _ = peer_engine(engine, X, Q, k)
    index = build()
    points = []
    for ef in (10, 20, 40, 80, 160):
        if engine == "faiss_hnsw":
            index.hnsw.efSearch = max(ef, k)
            Q32 = Q.astype(np.float32)
            query = lambda: index.search(Q32, k)[1]
        else:
            index.set_ef(max(ef, k))
            query = lambda: index.knn_query(Q, k)[0]
        query()
        qt, ind = seconds_per_call(query)
        points.append({"param": f"ef={ef}", "qps": len(Q) / qt, "recall": recall_at_k(np.asarray(ind), exact, X, Q, exact_dist)})
    return points


def scaling_runs(args, root, cache, rows_out):
    """Build time of every exact tree (knnkit's with one and all cores) on W2 as N grows."""
    sizes = [2_000, 5_000] if args.quick else [10_000, 30_000, 100_000, 300_000]
    from sklearn.neighbors import BallTree, KDTree
    from scipy.spatial import cKDTree
    for n in sizes:
        scale = n / 200_000
        train_path, test_path, _ = dataset_files("W2", scale, cache, root, args)
        X, _ = read_split(train_path)
        with tempfile.TemporaryDirectory() as d:
            lines = node(root, ["run", "--train", str(train_path), "--test", str(test_path), "--k", "10",
                                "--engines", "kd_tree,kd_tree@all,ball_tree,ball_tree@all", "--out", d, "--repeats", str(args.repeats)])
        for rec in records(lines):
            rows_out.append({"N": len(X), "engine": "knnkit " + rec["engine"], "build_s": statistics.median(rec["build_s"])})
        trees = [("sklearn KDTree", lambda: KDTree(X, leaf_size=40)), ("sklearn BallTree", lambda: BallTree(X, leaf_size=40)), ("scipy cKDTree", lambda: cKDTree(X, leafsize=40))]
        if not installed("pykdtree"):
            from pykdtree.kdtree import KDTree as PyKDTree
            trees.append(("pykdtree", lambda: PyKDTree(X)))
        for label, build in trees:
            ts = []
            for _ in range(args.repeats):
                t = time.perf_counter()
                build()
                ts.append(time.perf_counter() - t)
            rows_out.append({"N": len(X), "engine": label, "build_s": statistics.median(ts)})


def approximate_curves(args, root, cache, out):
    """Recall vs queries/s for the approximate engines on W2 (or P1 with --full): knnkit prefilter fractions, faiss HNSW and hnswlib ef sweeps."""
    name = "W2"
    scale = QUICK_SCALE if args.quick else DEFAULT_SCALE[name]
    train_path, test_path, _ = dataset_files(name, scale, cache, root, args)
    X, _ = read_split(train_path)
    Q, _ = read_split(test_path)
    k = args.k
    from sklearn.neighbors import NearestNeighbors
    exact_dist, exact = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(X).kneighbors(Q)
    fractions = [0.02, 0.05, 0.1, 0.2, 0.4, 0.7]
    with tempfile.TemporaryDirectory() as d:
        lines = node(root, ["run", "--train", str(train_path), "--test", str(test_path), "--k", str(k),
                            "--engines", ",".join(f"prefilter:{f}" for f in fractions), "--out", d, "--repeats", "1"])
        points = []
        for rec in records(lines):
            ind = read_array(rec["indices"]).reshape(len(Q), k)
            points.append({"param": rec["engine"], "qps": len(Q) / statistics.median(rec["query_s"]), "recall": recall_at_k(ind, exact, X, Q, exact_dist)})
        out["knnkit prefilter"] = points
    for engine in ("faiss_hnsw", "hnswlib"):
        if installed(engine):
            out[engine] = {"error": installed(engine)}
            continue
        out[engine] = ef_sweep(engine, X, Q, k, exact, exact_dist)


def versions() -> dict:
    out = {"python": platform.python_version()}
    from importlib.metadata import PackageNotFoundError, version
    for key, dist in (("numpy", "numpy"), ("sklearn", "scikit-learn"), ("scipy", "scipy"), ("faiss", "faiss-cpu"),
                      ("hnswlib", "hnswlib"), ("pykdtree", "pykdtree"), ("pyarrow", "pyarrow")):
        try:
            out[key] = version(dist)
        except PackageNotFoundError:
            out[key] = None
    out["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return out


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform()}


def table(rows) -> str:
    head = f"{'dataset':<14}{'engine':<34}{'build s':>9}{'queries/s':>12}{'vs sklearn':>11}{'recall':>8}{'score':>8}"
    lines = [head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['dataset']:<14}{r['engine']:<34}  {r['error'][:60]}")
            continue
        sp = r["speedup_vs_sklearn_best_exact"]
        score = r["score"]
        lines.append(
            f"{r['dataset']:<14}{r['engine']:<34}{r['build_s']:>9.3f}{r['qps']:>12,.0f}"
            f"{(f'{sp:.2f}x' if sp else '—'):>11}{r['recall']:>8.3f}{(f'{score:.3f}' if score is not None else '—'):>8}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="knnkit_bench.compare", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default=",".join(list(REAL) + SYNTHETIC))
    ap.add_argument("--engines", default=None, help="comma-separated engine names (knnkit ones start with brute/kd_tree/ball_tree/prefilter)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes and one repeat (the test suite)")
    ap.add_argument("--full", action="store_true", help="the documented workload sizes (slow)")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--data", default=None, help="a user dataset: .arrow/.feather, .csv or .npy")
    ap.add_argument("--target", default=None, help="target column name (or index for .npy)")
    args = ap.parse_args(argv)
    root = repo_root()
    args.repeats = args.repeats or (1 if args.quick else 3)
    global MIN_TIME
    MIN_TIME = QUICK_MIN_TIME if args.quick else DEFAULT_MIN_TIME
    out_dir = Path(args.out) if args.out else root / "report"
    out_dir.mkdir(parents=True, exist_ok=True)
    cache = root / ".cache" / "datasets"
    cache.mkdir(parents=True, exist_ok=True)
    engines = args.engines.split(",") if args.engines else KNNKIT_ENGINES + PEER_ENGINES
    args.knnkit_engines = [e for e in engines if e.split(":")[0].replace("@all", "") in ("brute", "kd_tree", "ball_tree", "prefilter")]
    args.peer_engines = [e for e in engines if e not in args.knnkit_engines]
    unknown = [e for e in args.peer_engines if e not in PEER_ENGINES]
    if unknown:
        raise SystemExit(f"unknown engine(s) {', '.join(unknown)}; knnkit: {', '.join(KNNKIT_ENGINES)}; peers: {', '.join(PEER_ENGINES)}")
    datasets = args.datasets.split(",") if not args.data else ["user"]
    rows: list[dict] = []
    args.process_rows = []
    args.curves = {}
    plan_total = len(datasets) * args.repeats * (1 + len(args.peer_engines))
    done = [0]
    started = time.time()
    for name in datasets:
        run_dataset(name, args, root, cache, out_dir, rows, plan_total, done)
    progress(plan_total, plan_total, "scaling runs and trade-off curves")
    sys.stderr.write("\n")
    scaling: list[dict] = []
    scaling_runs(args, root, cache, scaling)
    curves: dict = {}
    approximate_curves(args, root, cache, curves)
    results = {
        "seed": SEED,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "elapsed_s": time.time() - started,
        "quick": args.quick,
        "k": args.k,
        "repeats": args.repeats,
        "versions": versions(),
        "machine": machine(),
        "rows": rows,
        "knnkit_process": args.process_rows,
        "scaling": scaling,
        "tradeoff": curves,
        "curves": args.curves,
    }
    from .expectations import check
    results["expectations"] = check(results)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2, default=float))
    from .report import summary, write_html
    write_html(results, out_dir / "index.html", root)
    print(table(rows))
    print("\n" + summary(results) + "\n")
    for e in (e for e in results["expectations"] if e["dataset"] in datasets):
        verdict = "not measured" if e["met"] is None else "met" if e["met"] else "NOT met"
        ratio = "" if e["ratio"] is None else f" ({e['ratio']:.2f}x of {e['peer']})"
        print(f"{e['dataset']:<8}{e['claim']}: {verdict}{ratio}")
    print(f"\nwrote {out_dir / 'results.json'} and {out_dir / 'index.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
