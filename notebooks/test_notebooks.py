"""Every notebook executes headlessly with its small default parameters and produces its expected outputs."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest

import run

NOTEBOOKS = Path(__file__).resolve().parent


def outputs(nb, kind=None):
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for o in cell.get("outputs", []):
            if kind is None or kind in o.get("data", {}) or o.get("output_type") == kind:
                yield o


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    out = tmp_path_factory.mktemp("notebooks")
    done = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        run.execute(path, out / path.name)
        done[path.name] = nbformat.read(out / path.name, as_version=4)
    return done


def test_all_notebooks_present(executed):
    assert sorted(executed) == ["01-quickstart.ts.ipynb", "02-prefilter-tradeoff.ts.ipynb", "03-vs-scikit-learn.ipynb",
                                "04-in-pyodide.ipynb", "05-scaling.ts.ipynb"]


def test_quickstart(executed):
    nb = executed["01-quickstart.ts.ipynb"]
    assert any("<table>" in o["data"]["text/html"] for o in outputs(nb, "text/html"))
    assert any("trees equal brute force: true" in o.get("text", "") for o in outputs(nb, "stream"))


def test_prefilter_tradeoff(executed):
    nb = executed["02-prefilter-tradeoff.ts.ipynb"]
    assert len(list(outputs(nb, "application/vnd.plotly.v1+json"))) >= 2
    summary = json.loads([o["text"] for o in outputs(nb, "stream")][-1])
    for name in ("P1", "P2"):
        for key in ("recall20", "tunedRecall"):
            assert 0 <= summary[name][key] <= 1
    # the tuner met its target on both sets
    assert summary["P1"]["tunedRecall"] >= 0.9 and summary["P2"]["tunedRecall"] >= 0.9


def test_vs_scikit_learn(executed):
    nb = executed["03-vs-scikit-learn.ipynb"]
    assert len(list(outputs(nb, "application/vnd.plotly.v1+json"))) >= 1
    assert any("Predictions agree" in o["data"]["text/markdown"] for o in outputs(nb, "text/markdown"))


def test_in_pyodide(executed):
    nb = executed["04-in-pyodide.ipynb"]
    text = "".join(o.get("text", "") for o in outputs(nb, "stream"))
    assert "emscripten backend: pyodide" in text
    lines = [l for l in text.splitlines() if l.startswith(("brute", "kd_tree", "ball_tree"))]
    assert len(lines) == 3 and len({l.split(" ", 1)[1] for l in lines}) == 1


def test_scaling(executed):
    nb = executed["05-scaling.ts.ipynb"]
    assert len(list(outputs(nb, "application/vnd.plotly.v1+json"))) == 3


def test_broken_import_fails_the_run(tmp_path):
    nb = nbformat.read(NOTEBOOKS / "01-quickstart.ts.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "@knnkit/core" in cell.source:
            cell.source = cell.source.replace("KDTree,", "KDTreeRenamed,")
    broken = tmp_path / "broken.ts.ipynb"
    nbformat.write(nb, broken)
    with pytest.raises(run.NotebookFailed):
        run.execute(broken, tmp_path / "out.ipynb")
