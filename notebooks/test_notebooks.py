"""Every notebook executes headlessly with its small default parameters and produces its expected outputs."""

import base64
import json
import shutil
import struct
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
                                "04-in-pyodide.ipynb", "05-scaling.ts.ipynb", "06-your-own-data.ipynb"]


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


def test_your_own_data(executed):
    nb = executed["06-your-own-data.ipynb"]
    assert len(list(outputs(nb, "application/vnd.plotly.v1+json"))) == 4  # two charts from compare, two from the magic
    tables = [o["data"]["text/html"] for o in outputs(nb, "text/html") if "knnkit-compare" in o["data"]["text/html"]]
    assert len(tables) == 2 and all("knnkit kd_tree" in t for t in tables)
    text = "".join(o.get("text", "") for o in outputs(nb, "stream"))
    assert "every exact engine scores [" in text and "," not in text.split("every exact engine scores [")[1].split("]")[0]
    assert "predict" in text and "in engine ms" in text
    assert any("auto: 30 features &gt; 15" in o["data"]["text/html"] for o in outputs(nb, "text/html"))


def _figures_without_image(nb):
    return [i for i, o in enumerate(outputs(nb, run.PLOTLY))
            if not {"image/png", "image/svg+xml"} & set(o["data"])]


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_notebook_has_a_static_image_for_every_figure(path):
    """A code host's viewer and nbconvert run no JavaScript: each interactive figure carries a PNG beside it."""
    nb = nbformat.read(path, as_version=4)
    assert _figures_without_image(nb) == []
    for o in outputs(nb, "image/png"):
        png = base64.b64decode(o["data"]["image/png"])
        assert png.startswith(b"\x89PNG") and len(png) > 5_000


def test_executed_notebooks_get_their_images(executed):
    assert sum(len(list(outputs(nb, run.PLOTLY))) for nb in executed.values()) >= 7
    for name, nb in executed.items():
        assert _figures_without_image(nb) == [], name


def test_static_image_renders_the_figure():
    fig = {"data": [{"type": "scatter", "x": [1, 2, 3], "y": [3, 1, 2], "marker": {"color": "#ff0000", "size": 30}}],
           "layout": {"width": 400, "height": 300}}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("display_data", data={run.PLOTLY: fig})])])
    assert run.add_static_images(nb) == 1
    png = base64.b64decode(nb.cells[0].outputs[0]["data"]["image/png"])
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (400, 300)
    assert nb.cells[0].outputs[0]["data"][run.PLOTLY] == fig  # the interactive figure stays


def test_broken_import_fails_the_run(tmp_path):
    nb = nbformat.read(NOTEBOOKS / "01-quickstart.ts.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "@knnkit/core" in cell.source:
            cell.source = cell.source.replace("KDTree,", "KDTreeRenamed,")
    broken = tmp_path / "broken.ts.ipynb"
    nbformat.write(nb, broken)
    with pytest.raises(run.NotebookFailed):
        run.execute(broken, tmp_path / "out.ipynb")
