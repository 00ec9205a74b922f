"""The wheel from `pnpm package` is all Pyodide needs: installed by @knnkit/interop's Node host
(loadKnnkitPyodide({ wheel }), which unpacks it into site-packages as README's Install says), knnkit
finds its engine inside the wheel and answers like @knnkit/core on the same data."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ROOT, VERSION, run_ok

SCRIPT = """
import { KDTree, matrixView, mulberry32 } from "@ROOT@/packages/core/dist/index.js";
import { loadKnnkitPyodide } from "@ROOT@/packages/interop/dist/index.js";

const rnd = mulberry32(14);
const rows = 500, cols = 4, q = 20, k = 3;
const X = Array.from({ length: rows * cols }, rnd);
const Q = Array.from({ length: q * cols }, rnd);
const ts = KDTree.build(matrixView(Float64Array.from(X), rows, cols)).query(matrixView(Float64Array.from(Q), q, cols), k);
const { pyodide } = await loadKnnkitPyodide({ wheel: process.argv[2] });
pyodide.globals.set("X", X);
pyodide.globals.set("Q", Q);
const py = JSON.parse(pyodide.runPython(`
import json, knnkit
rows = lambda flat: [flat[i:i + ${cols}] for i in range(0, len(flat), ${cols})]
dist, ind = knnkit.KDTree(rows(X.to_py())).query(rows(Q.to_py()), k=${k})
flat = lambda a: [x for row in a.tolist() for x in row]
json.dumps({"version": knnkit.__version__, "file": knnkit.__file__, "indices": flat(ind), "distances": flat(dist)})
`));
console.log(JSON.stringify({ ...py, tsIndices: Array.from(ts.indices), tsDistances: Array.from(ts.distances) }));
"""


def test_wheel_in_pyodide_equals_core(wheel: Path, tmp_path: Path):
    script = tmp_path / "pyodide-wheel.mjs"
    script.write_text(SCRIPT.replace("@ROOT@", str(ROOT)))
    done = run_ok(["node", script, wheel], cwd=tmp_path, timeout=300)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["version"] == VERSION
    assert "site-packages/knnkit/" in seen["file"]
    assert len(seen["indices"]) == 20 * 3 and seen["indices"] == seen["tsIndices"]
    assert seen["distances"] == seen["tsDistances"]
