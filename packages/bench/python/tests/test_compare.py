"""The comparison harness: a quick run of every runner, the schema, the page in a real browser, and the figures it computes."""

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import numpy as np
import pytest

import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from knnkit_bench import compare, expectations  # noqa: E402

ROOT = compare.repo_root()


def test_recall_and_scores_are_computed():
    exact = np.array([[0, 1, 2], [3, 4, 5]])
    approx = np.array([[0, 1, 9], [5, 7, 8]])
    assert compare.recall_at_k(approx, exact) == pytest.approx(3 / 6)
    assert compare.recall_at_k(exact, exact) == 1.0
    # with distances, a tied row counts as exact
    X = np.array([[0.0], [1.0], [-1.0], [5.0]])
    Q = np.array([[0.0]])
    exact_dist = np.array([[0.0, 1.0]])
    assert compare.recall_at_k(np.array([[0, 2]]), np.array([[0, 1]]), X, Q, exact_dist) == 1.0
    assert compare.recall_at_k(np.array([[0, 3]]), np.array([[0, 1]]), X, Q, exact_dist) == 0.5
    y_train = np.array(["a", "a", "b", "b", "b", "a", "c", "c", "c", "c"])
    # votes: row 0 -> a, a, c => a; row 1 -> a, c, c => c
    assert compare.vote_score(approx, y_train, np.array(["a", "c"]), "classification") == 1.0
    assert compare.vote_score(approx, y_train, np.array(["b", "c"]), "classification") == 0.5
    # a 1-1-1 tie goes to the smallest label
    tie = np.array([[0, 2, 6]])
    assert compare.vote_score(tie, y_train, np.array(["a"]), "classification") == 1.0
    y = np.arange(10, dtype=float)
    pred = y[approx].mean(axis=1)
    truth = np.array([1.0, 6.0])
    expected = 1 - np.sum((truth - pred) ** 2) / np.sum((truth - truth.mean()) ** 2)
    assert compare.vote_score(approx, y, truth, "regression") == pytest.approx(expected)


def test_expectations_are_computed_from_rows():
    def row(ds, engine, qps):
        return {"dataset": ds, "engine": engine, "qps": qps}
    rows = [row("W1", "knnkit kd_tree", 100.0), row("W1", "sklearn_kd_tree", 50.0),
            row("W2", "knnkit kd_tree", 40.0), row("W2", "sklearn_kd_tree", 50.0),
            row("W3", "knnkit ball_tree", 10.0), row("W3", "sklearn_ball_tree", 10.0),
            row("W5", "knnkit brute", 30.0), row("W5", "knnkit kd_tree", 35.0), row("W5", "sklearn_brute", 100.0),
            row("W5", "sklearn_brute@all", 1000.0),  # all-cores peers are not the one-thread reference
            {"dataset": "digits", "engine": "knnkit brute", "error": "not installed"}]
    got = {(e["dataset"], e["claim"][:4]): e for e in expectations.check({"rows": rows})}
    assert got[("W1", "KD-t")]["met"] is True and got[("W1", "KD-t")]["ratio"] == 2.0
    assert got[("W2", "KD-t")]["met"] is False and got[("W2", "KD-t")]["ratio"] == pytest.approx(0.8)
    assert got[("W3", "Ball")]["met"] is True
    w5 = got[("W5", "best")]
    assert (w5["knnkit"], w5["peer"], w5["met"]) == ("knnkit kd_tree", "sklearn_brute", True)
    assert w5["ratio"] == pytest.approx(0.35)
    assert got[("digits", "best")]["met"] is None  # nothing measured is not a pass
    assert "| W2 |" in expectations.markdown({"rows": [dict(r, workers=1, build_s=0.1, recall=1.0, score=None) for r in rows if "qps" in r]})


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_quick_run_schema_and_browser(tmp_path):
    out = tmp_path / "report"
    assert compare.main(["--quick", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    schema = json.loads((Path(compare.__file__).parent / "results.schema.json").read_text())
    jsonschema.validate(results, schema)
    assert len(results["expectations"]) == 5
    text = expectations.section(results)
    assert "### Expectations from the issue" in text and "| W2 | knnkit kd_tree |" in text
    engines = {r["engine"].split(":")[0].split("(")[0] for r in results["rows"]}
    for expected in ["knnkit brute", "knnkit kd_tree", "knnkit ball_tree", "knnkit prefilter", "sklearn_kd_tree",
                     "sklearn_ball_tree", "sklearn_brute", "scipy_ckdtree", "faiss_flat", "faiss_hnsw", "hnswlib", "sklearn_estimator"]:
        assert expected in engines, f"runner {expected} missing from the report"
    datasets = {r["dataset"] for r in results["rows"]}
    assert datasets == {"digits", "iris", "wine", "breast_cancer", "diabetes", "W1", "W2", "W3", "W5", "P1", "P2"}
    # scikit-learn's own estimator score equals the vote over knnkit's exact neighbours on every real dataset
    for ds in ("digits", "iris", "wine", "breast_cancer", "diabetes"):
        est = next(r for r in results["rows"] if r["dataset"] == ds and r["engine"] == "sklearn_estimator")
        ours = next(r for r in results["rows"] if r["dataset"] == ds and r["engine"] == "knnkit kd_tree")
        assert est["score"] == pytest.approx(ours["score"], abs=1e-12), ds
    assert not any(r["engine"] == "sklearn_estimator" for r in results["rows"] if r["task"] == "none")
    exact_rows = [r for r in results["rows"] if "qps" in r and r["engine"].startswith(("knnkit kd_tree", "knnkit brute"))]
    assert all(r["recall"] == 1.0 for r in exact_rows)
    shot = out / "screenshot.png"
    rendered = subprocess.run(
        ["node", "--import", "tsx", "src/compare/render-report.ts", str(out / "index.html"), str(shot)],
        cwd=ROOT / "packages" / "bench", capture_output=True, text=True, timeout=180,
    )
    assert rendered.returncode == 0, rendered.stderr
    page = json.loads(rendered.stdout.strip().splitlines()[-1])
    assert page["errors"] == []
    assert [c["id"] for c in page["charts"]] == ["qps", "tradeoff", "scaling", "accuracy"]
    for chart in page["charts"]:
        assert chart["svgs"] >= 1 and chart["traces"] >= 1, chart
    assert shot.stat().st_size > 10_000
    (ROOT / "report").mkdir(exist_ok=True)
    shutil.copy(shot, ROOT / "report" / "screenshot-quick.png")
    # start-up and transfer of the knnkit process are reported apart from its timed work
    assert results["knnkit_process"] and all(p["wall_s"] >= p["in_engine_s"] >= p["load_s"] >= 0 for p in results["knnkit_process"])


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_user_csv_dataset_with_named_target(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] > 0).astype(int)
    csv = tmp_path / "mine.csv"
    lines = ["a,b,c,label"] + [f"{r[0]},{r[1]},{r[2]},{t}" for r, t in zip(X, y)]
    csv.write_text("\n".join(lines) + "\n")
    out = tmp_path / "report"
    assert compare.main(["--quick", "--data", str(csv), "--target", "label", "--engines", "kd_tree,sklearn_kd_tree",
                         "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    rows = {r["engine"]: r for r in results["rows"]}
    assert set(rows) == {"knnkit kd_tree", "sklearn_kd_tree"}
    for r in rows.values():
        assert r["dataset"] == "user" and r["cols"] == 3 and r["task"] == "classification"
        assert r["recall"] == 1.0
    # both exact engines vote over the same neighbours
    assert rows["knnkit kd_tree"]["score"] == pytest.approx(rows["sklearn_kd_tree"]["score"])
    with pytest.raises(SystemExit, match="target column 'nope'"):
        compare.main(["--quick", "--data", str(csv), "--target", "nope", "--engines", "kd_tree", "--out", str(out)])


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_a_peer_that_cannot_be_imported_keeps_its_row(tmp_path, monkeypatch):
    real = compare.installed
    monkeypatch.setattr(compare, "installed", lambda name: "not installed: ModuleNotFoundError: hnswlib" if name == "hnswlib" else real(name))
    out = tmp_path / "report"
    assert compare.main(["--quick", "--datasets", "iris", "--engines", "kd_tree,hnswlib", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    jsonschema.validate(results, json.loads((Path(compare.__file__).parent / "results.schema.json").read_text()))
    row = next(r for r in results["rows"] if r["engine"] == "hnswlib")
    assert row["error"].startswith("not installed") and "qps" not in row
    assert results["tradeoff"]["hnswlib"] == {"error": row["error"]}
    assert "not installed" in (out / "index.html").read_text()
