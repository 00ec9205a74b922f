"""Executes the notebooks in place (or into --out), first error fatal.

    .venv/bin/python notebooks/run.py [NOTEBOOK ...] [--out DIR]

TypeScript notebooks run on the tslab kernel and Python ones on the .venv
kernel (both registered under .jupyter by scripts/setup.sh); a notebook whose
metadata says {"knnkit": {"runner": "pyodide"}} is executed by the Pyodide host
(notebooks/run_pyodide.ts). Parameters come from the environment
(KNNKIT_NB_SCALE=large for bigger runs). Every plotly figure then gets a PNG
in the same output (rendered by headless Chromium, notebooks/render_figures.ts),
so the notebook reads on a code host and in nbconvert, where no JavaScript runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
PLOTLY = "application/vnd.plotly.v1+json"


class NotebookFailed(RuntimeError):
    pass


def execute(path: Path, out: Path, timeout: int = 600) -> Path:
    nb = nbformat.read(path, as_version=4)
    if nb.metadata.get("knnkit", {}).get("runner") == "pyodide":
        done = subprocess.run(
            ["node", "--import", "tsx", str(ROOT / "notebooks" / "run_pyodide.ts"), str(path.resolve()), str(out.resolve())],
            cwd=ROOT / "packages" / "bench", capture_output=True, text=True, timeout=timeout,
        )
        if done.returncode != 0:
            raise NotebookFailed(f"{path.name}: {done.stderr.strip()[-3000:]}")
        nb = nbformat.read(out, as_version=4)
        if add_static_images(nb):
            nbformat.write(nb, out)
        return out
    os.environ["JUPYTER_PATH"] = str(ROOT / ".jupyter" / "share" / "jupyter")
    client = NotebookClient(nb, timeout=timeout, kernel_name=nb.metadata["kernelspec"]["name"],
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as e:
        raise NotebookFailed(f"{path.name}: {e}") from None
    for cell in nb.cells:  # tslab reports type errors as stderr with an error status
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                raise NotebookFailed(f"{path.name}: {output.get('ename')}: {output.get('evalue')}")
    add_static_images(nb)
    nbformat.write(nb, out)
    return out


def add_static_images(nb) -> int:
    """Puts a PNG of every plotly figure into the figure's own output; returns how many."""
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
               if PLOTLY in o.get("data", {})]
    if not outputs:
        return 0
    with tempfile.TemporaryDirectory() as d:
        figures = Path(d) / "figures.json"
        figures.write_text(json.dumps([{"data": o["data"][PLOTLY].get("data", []), "layout": o["data"][PLOTLY].get("layout", {})}
                                       for o in outputs]))
        done = subprocess.run(["node", "--import", "tsx", str(ROOT / "notebooks" / "render_figures.ts"), str(figures)],
                              cwd=ROOT / "packages" / "bench", capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise NotebookFailed(f"rendering the figures failed: {done.stderr.strip()[-3000:]}")
    images = json.loads(done.stdout.strip().splitlines()[-1])
    for output, png in zip(outputs, images, strict=True):
        output["data"]["image/png"] = png
    return len(images)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("notebooks", nargs="*")
    ap.add_argument("--out", default=None, help="write executed copies here instead of in place")
    args = ap.parse_args(argv)
    paths = [Path(p) for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        out = Path(args.out) / path.name if args.out else path
        print(f"executing {path.name} ...", flush=True)
        try:
            execute(path, out)
        except NotebookFailed as e:
            print(f"FAILED {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
