"""Executes the notebooks in place (or into --out), first error fatal.

    .venv/bin/python notebooks/run.py [NOTEBOOK ...] [--out DIR]

TypeScript notebooks run on the tslab kernel and Python ones on the .venv
kernel (both registered under .jupyter by scripts/setup.sh); a notebook whose
metadata says {"knnkit": {"runner": "pyodide"}} is executed by the Pyodide host
(notebooks/run_pyodide.ts). Parameters come from the environment
(KNNKIT_NB_SCALE=large for bigger runs).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent


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
    nbformat.write(nb, out)
    return out


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
