"""`pnpm compare`: knnkit's comparison (knnkit/_measure.py, the code behind knnkit.compare) on the built-in datasets.

    pnpm compare -- [--quick] [--full]      (or
    PYTHONPATH=packages/bench/python .venv/bin/python -m knnkit_bench.compare)
                             [--quick] [--full] [--datasets digits,W1] [--engines ...]
                             [--k 10] [--repeats 3] [--out report] [--data file --target col]

What is here is the repository's part: the datasets (scikit-learn's bundled ones, the synthetic workloads made by
packages/bench/src/compare/runner.ts, or a file given with --data), the command line, the build-time-against-N and
trade-off runs, the issue's expectations and the report. Every figure is measured by knnkit's own comparison, by
its rules (see knnkit/_measure.py): knnkit timed inside its engine, the peers inside Python, `repeats` rounds in
a rotated order, medians. Writes report/results.json (knnkit/results.schema.json) and report/index.html.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from knnkit import _measure
from knnkit._compare import task_of


SEED = 20261123
REAL = {"digits": "load_digits", "iris": "load_iris", "wine": "load_wine", "breast_cancer": "load_breast_cancer", "diabetes": "load_diabetes"}
SYNTHETIC = ["W1", "W2", "W3", "W5", "P1", "P2"]
# default scales keep the whole run to a few minutes on 2 cores; --full uses the documented sizes
DEFAULT_SCALE = {"W1": 0.25, "W2": 0.25, "W3": 0.1, "W5": 0.1, "P1": 0.1, "P2": 0.1}
QUICK_SCALE = 0.005
# every engine but knnkit's estimator (the scikit-learn estimator's row is the reference score)
ENGINES = [e for e in _measure.KNNKIT_ENGINES if e != "knnkit_estimator"] + _measure.PEER_ENGINES
# build time against N (W2): every exact tree, labelled as the report names them
SCALING = {"kd_tree": "knnkit kd_tree", "kd_tree@all": "knnkit kd_tree@all", "ball_tree": "knnkit ball_tree",
           "ball_tree@all": "knnkit ball_tree@all", "sklearn_kd_tree": "sklearn KDTree", "sklearn_ball_tree": "sklearn BallTree",
           "scipy_ckdtree": "scipy cKDTree", "pykdtree": "pykdtree"}


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


DEFAULT_MIN_TIME = 0.2  # seconds of calls per timing; short windows are at the mercy of the shared host
QUICK_MIN_TIME = 0.01
MIN_TIME = DEFAULT_MIN_TIME


def seconds_per_call(fn):
    """(seconds per call, last result), calling fn again until MIN_TIME has passed (knnkit's rule)."""
    return _measure.seconds_per_call(fn, MIN_TIME)


# ---------------------------------------------------------------- main

def progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label[:50]:<50}")
    sys.stderr.flush()


def scale_of(name: str, args) -> float:
    return (QUICK_SCALE if args.quick else 1.0 if args.full else DEFAULT_SCALE.get(name, 1.0)) if name in SYNTHETIC else 1.0


def run_dataset(name, args, root, cache, report):
    """knnkit's comparison on one dataset; its rows, ef sweeps and knnkit process figures go into the results."""
    train_path, test_path, task = dataset_files(name, scale_of(name, args), cache, root, args)
    X, y_train = read_split(train_path)
    Q, y_test = read_split(test_path)
    k = min(args.k, len(X) - 1)
    # the scikit-learn estimator's row needs a target: it is the reference accuracy / R² (its own score())
    engines = [e for e in args.engines if (e != "sklearn_estimator" or task != "none") and not (e.startswith("prefilter") and X.shape[1] < 2)]
    measured = _measure.measure(X, y_train, Q, y_test, task, k=k, engines=engines, repeats=args.repeats, min_time=MIN_TIME,
                                dataset=name, progress=report)
    args.rows += measured["rows"]
    args.process_rows += measured["knnkit_process"]
    if measured["curves"]:
        args.curves[name] = measured["curves"]


def scaling_runs(args, root, cache) -> list[dict]:
    """Build time of every exact tree (knnkit's with one and all cores) on W2 as N grows."""
    sizes = [2_000, 5_000] if args.quick else [10_000, 30_000, 100_000, 300_000]
    rows = []
    for n in sizes:
        train_path, _, _ = dataset_files("W2", n / 200_000, cache, root, args)
        X, _ = read_split(train_path)
        for engine, name in SCALING.items():
            if not _measure.missing(engine):
                rows.append({"N": len(X), "engine": name, "build_s": _measure.build_seconds(engine, X, args.repeats)})
    return rows


def approximate_curves(args, root, cache) -> dict:
    """Recall vs queries/s of the approximate engines on W2: knnkit's prefilter fractions, the HNSW ef sweeps."""
    train_path, test_path, _ = dataset_files("W2", QUICK_SCALE if args.quick else DEFAULT_SCALE["W2"], cache, root, args)
    X, _ = read_split(train_path)
    Q, _ = read_split(test_path)
    fractions = [0.02, 0.05, 0.1, 0.2, 0.4, 0.7]
    measured = _measure.measure(X, None, Q, None, "none", k=args.k, engines=[f"prefilter:{f}" for f in fractions] + ["faiss_hnsw", "hnswlib"],
                                repeats=1, min_time=MIN_TIME, dataset="W2")
    out = {"knnkit prefilter": [{"param": r["engine"].removeprefix("knnkit "), "qps": r["qps"], "recall": r["recall"]}
                                for r in measured["rows"] if r["engine"].startswith("knnkit") and "qps" in r]}
    for engine in ("faiss_hnsw", "hnswlib"):
        row = next(r for r in measured["rows"] if r["engine"] == engine)
        out[engine] = measured["curves"][engine] if engine in measured["curves"] else {"error": row.get("error", "not measured")}
    return out


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
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--"]:  # `pnpm compare -- --datasets W1` passes the separator through
        argv = argv[1:]
    args = ap.parse_args(argv)
    root = repo_root()
    args.repeats = args.repeats or (1 if args.quick else 3)
    global MIN_TIME
    MIN_TIME = QUICK_MIN_TIME if args.quick else DEFAULT_MIN_TIME
    out_dir = Path(args.out) if args.out else root / "report"
    out_dir.mkdir(parents=True, exist_ok=True)
    cache = root / ".cache" / "datasets"
    cache.mkdir(parents=True, exist_ok=True)
    args.engines = args.engines.split(",") if args.engines else ENGINES
    for engine in args.engines:
        try:
            _measure.check_name(engine)
        except ValueError as e:
            raise SystemExit(str(e)) from None
    datasets = args.datasets.split(",") if not args.data else ["user"]
    args.rows, args.process_rows, args.curves = [], [], {}
    plan_total, done = len(datasets) * args.repeats * len(args.engines), [0]

    def report(label):
        done[0] += 1
        progress(done[0], plan_total, label)
    started = time.time()
    for name in datasets:
        run_dataset(name, args, root, cache, report)
    progress(plan_total, plan_total, "scaling runs and trade-off curves")
    sys.stderr.write("\n")
    scaling = scaling_runs(args, root, cache)
    curves = approximate_curves(args, root, cache)
    results = {
        "seed": SEED,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "elapsed_s": time.time() - started,
        "quick": args.quick,
        "k": args.k,
        "repeats": args.repeats,
        "versions": _measure.versions(),
        "machine": _measure.machine(),
        "rows": args.rows,
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
    print(table(args.rows))
    print("\n" + summary(results) + "\n")
    for e in (e for e in results["expectations"] if e["dataset"] in datasets):
        verdict = "not measured" if e["met"] is None else "met" if e["met"] else "NOT met"
        ratio = "" if e["ratio"] is None else f" ({e['ratio']:.2f}x of {e['peer']})"
        print(f"{e['dataset']:<8}{e['claim']}: {verdict}{ratio}")
    print(f"\nwrote {out_dir / 'results.json'} and {out_dir / 'index.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
