"""The comparison harness: a quick run of every runner, the schema, the page in a real browser, and the figures it computes."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import numpy as np
import pytest

import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from knnkit import _measure  # noqa: E402
from knnkit_bench import compare, expectations, report  # noqa: E402

ROOT = compare.repo_root()


def test_recall_and_scores_are_computed():
    exact = np.array([[0, 1, 2], [3, 4, 5]])
    approx = np.array([[0, 1, 9], [5, 7, 8]])
    assert _measure.recall_at_k(approx, exact) == pytest.approx(3 / 6)
    assert _measure.recall_at_k(exact, exact) == 1.0
    # with distances, a tied row counts as exact
    X = np.array([[0.0], [1.0], [-1.0], [5.0]])
    Q = np.array([[0.0]])
    exact_dist = np.array([[0.0, 1.0]])
    assert _measure.recall_at_k(np.array([[0, 2]]), np.array([[0, 1]]), X, Q, exact_dist) == 1.0
    assert _measure.recall_at_k(np.array([[0, 3]]), np.array([[0, 1]]), X, Q, exact_dist) == 0.5
    y_train = np.array(["a", "a", "b", "b", "b", "a", "c", "c", "c", "c"])
    # votes: row 0 -> a, a, c => a; row 1 -> a, c, c => c
    assert _measure.vote_score(approx, y_train, np.array(["a", "c"]), "classification") == 1.0
    assert _measure.vote_score(approx, y_train, np.array(["b", "c"]), "classification") == 0.5
    # a 1-1-1 tie goes to the smallest label
    tie = np.array([[0, 2, 6]])
    assert _measure.vote_score(tie, y_train, np.array(["a"]), "classification") == 1.0
    y = np.arange(10, dtype=float)
    pred = y[approx].mean(axis=1)
    truth = np.array([1.0, 6.0])
    expected = 1 - np.sum((truth - pred) ** 2) / np.sum((truth - truth.mean()) ** 2)
    assert _measure.vote_score(approx, y, truth, "regression") == pytest.approx(expected)


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
    schema = json.loads(_measure.SCHEMA.read_text())
    jsonschema.validate(results, schema)
    assert len(results["expectations"]) == 5
    measured = [r for r in results["rows"] if "qps" in r]
    # the one-shot figure (build, then one cold query of every held-out row) for every engine and dataset
    for r in measured:
        assert r["oneshot_s"] == pytest.approx(r["build_s"] + r["first_query_s"], rel=0.5), r
        assert r["first_query_s"] > 0
    # knnkit's real index memory (memoryBytes): its arrays plus kernel scratch and copies (brute force on float64 rows keeps a float32 copy for its kernel)
    ours = [r for r in measured if r["engine"].startswith("knnkit")]
    assert all(r["index_bytes_total"] >= r["index_bytes"] for r in ours)
    brute = next(r for r in ours if r["dataset"] == "W5" and r["engine"] == "knnkit brute")
    assert brute["index_bytes_total"] >= brute["index_bytes"] + brute["rows"] * brute["cols"] * 4
    # the graph indexes are swept over ef on every dataset; every tree's build time is measured against N
    assert set(results["curves"]) == {r["dataset"] for r in measured}
    assert all(len(c["faiss_hnsw"]) == 5 and len(c["hnswlib"]) == 5 for c in results["curves"].values())
    assert {"knnkit kd_tree", "knnkit kd_tree@all", "knnkit ball_tree", "knnkit ball_tree@all", "sklearn KDTree",
            "sklearn BallTree", "scipy cKDTree", "pykdtree"} <= {r["engine"] for r in results["scaling"]}
    assert_summary_matches(results, report.summary(results))
    text = expectations.section(results)
    assert "### Expectations from the issue" in text and "| W2 | knnkit kd_tree |" in text
    engines = {r["engine"].split(":")[0].split("(")[0] for r in results["rows"]}
    for expected in ["knnkit brute", "knnkit kd_tree", "knnkit ball_tree", "knnkit prefilter", "sklearn_kd_tree",
                     "sklearn_ball_tree", "sklearn_brute", "scipy_ckdtree", "pykdtree", "faiss_flat", "faiss_hnsw", "hnswlib", "sklearn_estimator"]:
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
    assert page["errors"] == []  # no script errors and no request leaves the file (plotly is inlined)
    figures = report.figures(results)
    assert [c["id"] for c in page["charts"]] == [f["id"] for f in figures] == [
        "vs_peer", "vs_sklearn", "recall_qps", "oneshot", "scaling", "memory", "accuracy"]
    for chart, fig in zip(page["charts"], figures):
        # drawn: every trace of the figure is in the SVG, within the page's width, legend clear of the plots
        assert chart["svgs"] >= 1 and chart["traces"] == len(fig["data"]) > 0, chart
        assert chart["width"] <= 1280 and not chart["legendOverlapsPlot"] and chart["legendInside"], chart
    heat = figures[0]["data"][0]
    assert heat["y"] == ["brute", "brute@all", "kd_tree", "kd_tree@all", "ball_tree", "ball_tree@all",
                         "prefilter:0.05", "prefilter:0.2", "prefilter:0.5", "prefilter:tuned", "prefilter:exact"]
    assert heat["x"] == list(dict.fromkeys(r["dataset"] for r in results["rows"]))
    assert html_summary(out / "index.html") == report.summary(results)
    assert shot.stat().st_size > 10_000
    (ROOT / "report").mkdir(exist_ok=True)
    shutil.copy(shot, ROOT / "report" / "screenshot-quick.png")
    # moving arrays between Python and knnkit's engine is reported apart from its timed work
    process = results["knnkit_process"]
    assert {(p["dataset"], p["repeat"]) for p in process} == {(ds, 0) for ds in datasets}
    assert all(p["calls"] > 0 and p["wall_s"] >= p["in_engine_s"] > 0 for p in process)
    assert all(p["transfer_s"] == pytest.approx(p["wall_s"] - p["in_engine_s"]) for p in process)


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
    real = _measure.missing
    monkeypatch.setattr(_measure, "missing", lambda name: "not installed: ModuleNotFoundError: hnswlib" if name == "hnswlib" else real(name))
    out = tmp_path / "report"
    assert compare.main(["--quick", "--datasets", "iris", "--engines", "kd_tree,hnswlib", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    jsonschema.validate(results, json.loads(_measure.SCHEMA.read_text()))
    row = next(r for r in results["rows"] if r["engine"] == "hnswlib")
    assert row["error"].startswith("not installed") and "qps" not in row
    assert results["tradeoff"]["hnswlib"] == {"error": row["error"]}
    assert "not installed" in (out / "index.html").read_text()


# ---------------------------------------------------------------- the summary paragraph

def _fastest_peer_as_accurate(rows, ours):
    """Recomputed here, apart from report.py: the fastest one-thread peer search at least as accurate."""
    peers = [r for r in rows if r["dataset"] == ours["dataset"] and not r["engine"].startswith("knnkit")
             and r["engine"] != "sklearn_estimator" and not r["engine"].endswith("@all") and r["recall"] >= ours["recall"] - 1e-9]
    return max(peers, key=lambda r: r["qps"])


def _ratio(text: str) -> float:
    return float(text.rstrip("×"))


def assert_summary_matches(results, text):
    """Every claim of the summary paragraph against the numbers in results.json."""
    rows = [r for r in results["rows"] if "qps" in r]
    sets = list(dict.fromkeys(r["dataset"] for r in rows))
    first = re.split(r"\.(?= [A-Z])", text)[0]
    clauses = {"lead": first.split("; ")[0], "par": next((c for c in first.split("; ") if "within 10%" in c), ""),
               "trail": next(c for c in first.split("; ") if c.startswith("and trails"))}
    item = re.compile(r"(\w+) \((\w+) ([0-9.e-]+×) (\w+)\)")
    seen = {}
    for kind, clause in clauses.items():
        for ds, engine, ratio, peer in item.findall(clause):
            seen[ds] = (kind, "knnkit " + engine, _ratio(ratio), peer)
    assert sorted(seen) == sorted(sets)
    for ds in sets:
        ours = max((r for r in rows if r["dataset"] == ds and r["engine"] in ("knnkit brute", "knnkit kd_tree", "knnkit ball_tree")),
                   key=lambda r: r["qps"])
        peer = _fastest_peer_as_accurate(rows, ours)
        ratio = ours["qps"] / peer["qps"]
        kind, engine, shown, peer_name = seen[ds]
        assert (engine, peer_name) == (ours["engine"], peer["engine"]), ds
        assert shown == pytest.approx(ratio, rel=0.01, abs=0.006), ds
        assert kind == ("lead" if ratio >= 1.1 else "trail" if ratio <= 1 / 1.1 else "par"), ds
    counts = re.search(r"on (\d+) of (\d+) datasets?", clauses["lead"])
    assert counts and int(counts[1]) == sum(v[0] == "lead" for v in seen.values()) and int(counts[2]) == len(sets)
    assert re.search(r"and trails on (\d+)", text)[1] == str(sum(v[0] == "trail" for v in seen.values()))
    # against scikit-learn's fastest one-thread exact method
    sk = re.search(r"ahead on (\d+) of (\d+), from ([0-9.e-]+×) on (\w+) to ([0-9.e-]+×) on (\w+)\.", text)
    ratios = {}
    for ds in sets:
        ours = max((r for r in rows if r["dataset"] == ds and r["engine"] in ("knnkit brute", "knnkit kd_tree", "knnkit ball_tree")),
                   key=lambda r: r["qps"])
        ref = max((r for r in rows if r["dataset"] == ds and r["engine"] in ("sklearn_kd_tree", "sklearn_ball_tree", "sklearn_brute")),
                  key=lambda r: r["qps"])
        ratios[ds] = ours["qps"] / ref["qps"]
    assert int(sk[1]) == sum(v >= 1 for v in ratios.values()) and int(sk[2]) == len(sets)
    lo, hi = min(ratios, key=ratios.get), max(ratios, key=ratios.get)
    assert (sk[4], sk[6]) == (lo, hi)
    assert _ratio(sk[3]) == pytest.approx(ratios[lo], rel=0.01, abs=0.006) and _ratio(sk[5]) == pytest.approx(ratios[hi], rel=0.01, abs=0.006)
    # the one-shot winner among exact engines
    fastest = {ds: min((r for r in rows if r["dataset"] == ds and r["recall"] >= 1 - 1e-9), key=lambda r: r["oneshot_s"])["engine"]
               for ds in sets}
    ours = [ds for ds in sets if fastest[ds].startswith("knnkit")]
    one = re.search(r"knnkit is fastest on (\d+) of (\d+)(?:: ([\w, ]+))?\.", text)
    assert (int(one[1]), int(one[2])) == (len(ours), len(sets))
    assert (one[3].split(", ") if one[3] else []) == ours


def html_summary(page: Path) -> str:
    import html
    return html.unescape(re.search(r'<p class="summary" id="summary">(.*?)</p>', page.read_text(), re.S)[1])


def _row(ds, engine, qps, recall=1.0, oneshot=1.0):
    return {"dataset": ds, "engine": engine, "qps": qps, "recall": recall, "oneshot_s": oneshot, "rows": 100, "cols": 3,
            "queries": 10, "task": "none", "build_s": 0.0, "first_query_s": oneshot, "index_bytes": 2400, "score": None}


def test_summary_says_where_knnkit_leads_and_trails():
    rows = [
        # W1: knnkit's kd_tree leads; an all-core peer and scikit-learn's estimator are no reference
        _row("W1", "knnkit kd_tree", 300.0, oneshot=0.5), _row("W1", "knnkit brute", 50.0), _row("W1", "sklearn_kd_tree", 100.0),
        _row("W1", "scipy_ckdtree", 150.0), _row("W1", "scipy_ckdtree@all", 900.0), _row("W1", "sklearn_estimator", 5000.0),
        _row("W1", "sklearn_brute", 10.0),
        # W2: on par with scikit-learn; a faster but inexact HNSW is no reference for an exact index
        _row("W2", "knnkit ball_tree", 105.0), _row("W2", "sklearn_ball_tree", 100.0), _row("W2", "faiss_hnsw", 1000.0, recall=0.9),
        _row("W2", "sklearn_brute", 20.0, oneshot=0.1),
        # W5: trails faiss by a factor 4
        _row("W5", "knnkit brute", 25.0), _row("W5", "faiss_flat", 100.0), _row("W5", "sklearn_brute", 50.0, oneshot=0.2),
    ]
    results = {"rows": rows}
    text = report.summary(results)
    assert text.startswith("One thread each, knnkit's fastest exact index leads the fastest peer that is as accurate on 1 of 3 "
                           "datasets: W1 (kd_tree 2.00× scipy_ckdtree); is within 10% on 1: W2 (ball_tree 1.05× sklearn_ball_tree); "
                           "and trails on 1: W5 (brute 0.25× faiss_flat).")
    assert "ahead on 2 of 3, from 0.50× on W5 to 3.00× on W1." in text
    assert "knnkit is fastest on 1 of 3: W1." in text
    assert_summary_matches(results, text)
    # a wrong claim is caught
    with pytest.raises(AssertionError):
        assert_summary_matches(results, text.replace("2.00×", "2.50×"))
    with pytest.raises(AssertionError):
        assert_summary_matches(results, text.replace("on 1 of 3: W1", "on 0 of 3"))


def test_chart_colours_follow_the_library():
    families = {}
    for engine in ("knnkit brute", "knnkit kd_tree@all", "knnkit prefilter:tuned(0.5,h0)", "sklearn_kd_tree", "sklearn_brute@all",
                   "sklearn KDTree", "scipy_ckdtree", "scipy cKDTree", "faiss_flat", "faiss_hnsw", "hnswlib", "pykdtree"):
        families.setdefault(report.library(engine), set()).add(report.style(engine)["color"])
    assert sorted(families) == sorted(report.LIBRARIES)
    # the same engine looks the same in every chart; all cores differs by an open marker only
    assert report.style("sklearn KDTree")["color"] == report.style("sklearn_kd_tree")["color"]
    assert report.style("knnkit kd_tree@all")["symbol"] == report.style("knnkit kd_tree")["symbol"] + "-open"
    hue = {lib: {_hue(c) for c in colours} for lib, colours in families.items()}
    for lib, hues in hue.items():
        assert max(hues) - min(hues) <= 40 or lib == "pykdtree", (lib, hues)
    for a in ("knnkit", "scikit-learn", "scipy", "faiss", "hnswlib"):
        for b in ("knnkit", "scikit-learn", "scipy", "faiss", "hnswlib"):
            if a < b:
                assert min(min(abs(x - y), 360 - abs(x - y)) for x in hue[a] for y in hue[b]) >= 40, (a, b)


def _hue(colour: str) -> float:
    import colorsys
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hls(r, g, b)[0] * 360


def test_heatmap_cells_divide_by_the_right_peer():
    rows = [_row("W1", "knnkit kd_tree", 200.0), _row("W1", "knnkit kd_tree@all", 400.0),
            _row("W1", "knnkit prefilter:0.2", 900.0, recall=0.5), _row("W1", "knnkit prefilter:tuned(0.4,h0)", 300.0, recall=0.95),
            _row("W1", "scipy_ckdtree", 100.0), _row("W1", "scipy_ckdtree@all", 800.0),
            _row("W1", "hnswlib", 1800.0, recall=0.9), _row("W1", "sklearn_brute", 50.0), _row("W1", "sklearn_estimator", 9000.0)]
    heat = report.figures({"rows": rows, "scaling": []})[0]["data"][0]
    assert heat["y"] == ["kd_tree", "kd_tree@all", "prefilter:0.2", "prefilter:tuned"]
    cells = {y: (text[0], custom[0][2]) for y, text, custom in zip(heat["y"], heat["text"], heat["customdata"])}
    assert cells["kd_tree"] == ("2.00×", "scipy_ckdtree")  # one thread: an all-core peer and an inexact one are no reference
    assert cells["kd_tree@all"] == ("0.50×", "scipy_ckdtree@all")  # all cores: against any peer
    assert cells["prefilter:0.2"] == ("0.50×", "hnswlib")  # recall 0.5: hnswlib at 0.9 is as accurate
    assert cells["prefilter:tuned"] == ("3.00×", "scipy_ckdtree")  # recall 0.95: hnswlib at 0.9 is not
    vs_sklearn = report.figures({"rows": rows, "scaling": []})[1]["data"][0]
    assert [t[0] for t in vs_sklearn["text"]] == ["4.00×", "8.00×", "18.00×", "6.00×"]
