"""knnkit.compare on the caller's data, and the %load_ext knnkit magics in a real IPython kernel."""

import os
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbclient import NotebookClient

import knnkit

ROOT = Path(__file__).resolve().parents[3]
ENGINES = ["brute", "kd_tree", "ball_tree", "knnkit_estimator", "sklearn_brute", "sklearn_kd_tree", "sklearn_estimator", "no_such_peer_lib"]


def iris():
    from sklearn.datasets import load_iris

    return load_iris(as_frame=True).frame


@pytest.fixture(scope="module")
def result():
    return knnkit.compare(iris(), "target", k=5, engines=[e for e in ENGINES if e != "no_such_peer_lib"] + ["hnswlib"], repeats=1, min_time=0.001)


def test_exact_knnkit_rows_match_scikit_learn(result):
    table = result.table
    reference = table.loc["sklearn_estimator", "score"]
    assert 0.5 < reference <= 1.0
    for engine in ("knnkit brute", "knnkit kd_tree", "knnkit ball_tree", "knnkit estimator", "sklearn_brute"):
        assert table.loc[engine, "recall@k"] == 1.0, engine
        assert table.loc[engine, "score"] == pytest.approx(reference), engine
    rows = {r["engine"]: r for r in result.results["rows"]}
    assert rows["knnkit brute"]["rows"] == 120 and rows["knnkit brute"]["queries"] == 30 and rows["knnkit brute"]["cols"] == 4
    assert rows["knnkit kd_tree"]["qps"] > 0
    # the ratio divides by the fastest of scikit-learn's exact methods (which one is fastest depends on the host)
    best = max(rows[e]["qps"] for e in ("sklearn_brute", "sklearn_kd_tree"))
    for engine in ("knnkit brute", "sklearn_brute", "sklearn_kd_tree"):
        assert rows[engine]["speedup_vs_sklearn_best_exact"] == pytest.approx(rows[engine]["qps"] / best), engine


def test_mime_bundle_holds_table_and_plotly_figures(result, tmp_path):
    bundle = result._repr_mimebundle_()
    assert "<table" in bundle["text/html"] and "knnkit kd_tree" in bundle["text/html"]
    assert "knnkit kd_tree" in bundle["text/plain"]
    figure = bundle["application/vnd.plotly.v1+json"]
    assert {trace["type"] for trace in figure["data"]} == {"bar"}
    assert len(result.figures()) == 2 and result.figures()[1].data[0].type == "scatter"
    page = result.to_html(tmp_path / "compare.html").read_text()
    assert "knnkit kd_tree" in page and "plotly" in page


def test_mime_bundle_holds_static_images(result):
    """The PNG fallback, drawn by kaleido in the headless Chromium installed by scripts/setup.sh, offline."""
    import base64

    pytest.importorskip("kaleido", reason="kaleido (knnkit[compare]) draws the static images")
    bundle = result._repr_mimebundle_()
    if result.images() is None:
        pytest.skip(f"kaleido could not draw here: {result.image_error}")
    assert {"text/plain", "text/html", "application/vnd.plotly.v1+json", "image/png"} <= set(bundle)
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (900, result.figures()[0].layout.height)  # the headline chart, at its own height
    # each chart displayed on its own carries its PNG
    shown = result._figure_bundles()
    assert len(shown) == 2 and all(base64.b64decode(b["image/png"]).startswith(b"\x89PNG") for b in shown)
    assert [b["application/vnd.plotly.v1+json"]["data"][0]["type"] for b in shown] == ["bar", "scatter"]


def test_without_a_browser_the_bundle_says_why(result, monkeypatch):
    pytest.importorskip("kaleido", reason="kaleido (knnkit[compare]) draws the static images")
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    again = knnkit.Comparison(result.results)
    bundle = again._repr_mimebundle_()
    assert "image/png" not in bundle and "application/vnd.plotly.v1+json" in bundle and "<table" in bundle["text/html"]
    assert "/nonexistent/chromium" in again.image_error


def test_results_follow_the_schema(result):
    """.results has results.json's schema (one schema for knnkit.compare and pnpm compare)."""
    import json

    from knnkit import _measure

    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(result.results, json.loads(_measure.SCHEMA.read_text()))
    process = result.results["knnkit_process"]
    assert process and all(p["wall_s"] >= p["in_engine_s"] > 0 and p["calls"] > 0 for p in process)


def test_engine_that_cannot_run_keeps_its_row():
    result = knnkit.compare(np.random.default_rng(0).random((40, 3)), k=3, engines=["brute", "no_such_peer_lib", "sklearn_estimator"],
                            repeats=1, min_time=0.001)
    table = result.table
    assert "unknown engine 'no_such_peer_lib'" in table.loc["knnkit no_such_peer_lib", "error"]
    assert "needs a target y" in table.loc["sklearn_estimator", "error"]
    assert table.loc["knnkit brute", "recall@k"] == 1.0


@pytest.mark.parametrize(
    "change, y, message",
    [
        (lambda df: df.assign(target=df.target.where(df.index % 7 > 0)), "target", "target column 'target' has 22 missing values"),
        (lambda df: df.assign(colour="red"), "target", "feature column 'colour' (object) not numeric"),
        (lambda df: df.assign(mixed=[1, "a"] * 75), "target", "feature column 'mixed' (object) not numeric"),
        (lambda df: df.assign(**{"petal width (cm)": np.nan}), "target", "'petal width (cm)' (150 missing)"),
        (lambda df: df.head(12), "target", "k=10 needs more than 10 training rows"),
        (lambda df: df, "species", "target column 'species' is not in X"),
    ],
)
def test_bad_input_names_the_column(change, y, message):
    with pytest.raises(ValueError, match=None) as info:
        knnkit.compare(change(iris()), y, k=10, engines=["brute"], repeats=1)
    assert message in str(info.value)


def test_extension_in_a_real_kernel():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (
        "%load_ext knnkit",
        "import numpy as np, knnkit\nfrom sklearn.datasets import load_wine\ndf = load_wine(as_frame=True).frame",
        "%knnkit_compare df target --k 5 --engines brute,sklearn_brute --repeats 1",
        "%%knnkit_time\nnn = knnkit.NearestNeighbors(n_neighbors=3).fit(df.drop(columns='target'))\nnn.kneighbors(df.drop(columns='target')[:20])",
    )]
    nb.metadata["kernelspec"] = {"name": "knnkit-python", "display_name": "knnkit", "language": "python"}
    os.environ["JUPYTER_PATH"] = str(ROOT / ".jupyter" / "share" / "jupyter")
    NotebookClient(nb, timeout=120, kernel_name="knnkit-python").execute()
    compared = nb.cells[2].outputs
    data = {key for o in compared for key in o.get("data", {})}
    assert "text/html" in data and "application/vnd.plotly.v1+json" in data
    assert any("knnkit brute" in o.get("data", {}).get("text/html", "") for o in compared)  # besides tqdm's progress output
    timed = "".join(o.get("text", "") for o in nb.cells[3].outputs)
    assert "fit" in timed and "kneighbors" in timed and "in engine ms" in timed


def test_tslab_display_helper_renders_in_the_tslab_kernel():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        'import * as tslab from "tslab";\n'
        'import { NearestNeighbors, matrixView } from "@knnkit/core";\n'
        'import { display, recallSpeedFigure } from "@knnkit/interop";\n'
        'const X = matrixView(new Float64Array(400).map((_, i) => Math.sin(i)), 100, 4);\n'
        'display(tslab.display, new NearestNeighbors({ nNeighbors: 3 }).fit(X));\n'
        'display(tslab.display, recallSpeedFigure([{ engine: "knnkit brute", qps: 10, recall: 1 }]));'
    )]
    nb.metadata["kernelspec"] = {"name": "tslab", "display_name": "TypeScript", "language": "typescript"}
    os.environ["JUPYTER_PATH"] = str(ROOT / ".jupyter" / "share" / "jupyter")
    NotebookClient(nb, timeout=120, kernel_name="tslab", resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    shown = [o["data"] for o in nb.cells[0].outputs if "data" in o]
    assert any("algorithm</th><td style=\"text-align:left\">kd_tree" in d.get("text/html", "") for d in shown), nb.cells[0].outputs
    assert any(d.get("application/vnd.plotly.v1+json", {}).get("data", [{}])[0].get("name") == "knnkit brute" for d in shown)
