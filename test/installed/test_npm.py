"""The npm tarballs from `pnpm package` install into a fresh folder (apache-arrow from the npm registry)
and work from a plain Node script, through the knnkit-bridge bin, and in a tslab notebook opened there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT, VERSION, run_ok

# KDTree equal to brute force, a save/load round trip through interop, answers printed as JSON;
# both JavaScript (check.mjs) and TypeScript within tslab's settings (not strict)
CHECK = """
import { BruteForce, KDTree, matrixView, mulberry32 } from "@knnkit/core";
import { deserialize, serialize } from "@knnkit/interop";

const rnd = mulberry32(14);
const X = matrixView(Float64Array.from({ length: 2000 * 5 }, rnd), 2000, 5);
const Q = matrixView(Float64Array.from({ length: 100 * 5 }, rnd), 100, 5);
const tree = KDTree.build(X, { leafSize: 16 });
const a = tree.query(Q, 4);
const b = BruteForce.build(X).query(Q, 4);
const restored = deserialize(serialize(tree));
const c = restored instanceof KDTree ? restored.query(Q, 4) : null;
const equal = (u, v) => u.length === v.length && u.every((x, i) => x === v[i]);
console.log(JSON.stringify({
  treeEqualsBrute: equal(a.indices, b.indices) && equal(a.distances, b.distances),
  restoredEqual: equal(a.indices, c.indices) && equal(a.distances, c.distances),
  rows: a.indices.length / 4,
}));
"""


@pytest.fixture(scope="module")
def project(dist: Path, tmp_path_factory) -> Path:
    """A fresh folder with both tarballs installed by npm."""
    folder = tmp_path_factory.mktemp("npm-project")
    assert ROOT not in folder.parents
    tarballs = [f"knnkit-core-{VERSION}.tgz", f"knnkit-interop-{VERSION}.tgz"]
    for name in tarballs:
        shutil.copy(dist / name, folder / name)
    run_ok(["npm", "install", "--no-audit", "--no-fund", *(f"./{t}" for t in tarballs)], cwd=folder, timeout=600)
    assert not (folder / "node_modules/pyodide").exists()  # an optional peer: not pulled in
    return folder


def test_plain_node_script(project: Path):
    (project / "check.mjs").write_text(CHECK)
    done = run_ok(["node", "check.mjs"], cwd=project, timeout=120)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"treeEqualsBrute": True, "restoredEqual": True, "rows": 100}


def test_bridge_bin_answers(project: Path, tmp_path: Path):
    done = subprocess.run([project / "node_modules/.bin/knnkit-bridge", f"--workdir={tmp_path}"], input='{"id": 1, "op": "ping"}\n',
                          capture_output=True, text=True, timeout=60, cwd=project)
    answer = json.loads(done.stdout.splitlines()[0])
    assert answer["id"] == 1 and answer["ok"] is True, done


def test_tslab_notebook(project: Path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "tslab", "display_name": "TypeScript", "language": "typescript"}
    nb.cells = [nbformat.v4.new_code_cell(CHECK)]
    os.environ["JUPYTER_PATH"] = str(ROOT / ".jupyter/share/jupyter")
    NotebookClient(nb, timeout=300, kernel_name="tslab", resources={"metadata": {"path": str(project)}}).execute()
    outputs = nb.cells[0].outputs
    assert not any(o.get("output_type") == "error" or o.get("name") == "stderr" for o in outputs), outputs
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert json.loads(text.strip().splitlines()[-1]) == {"treeEqualsBrute": True, "restoredEqual": True, "rows": 100}
