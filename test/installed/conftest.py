"""Fixtures for the installed-package tests: dist/ built by `pnpm package`, a fresh virtual environment
outside the repository with the wheel installed from it (its dependencies from PyPI), and an
environment for subprocesses with no `node` on PATH and nothing of the repository on any path.

KNNKIT_DIST=<folder> reuses a dist/ built just before (scripts/test-all.sh builds it once).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VERSION = json.loads((ROOT / "package.json").read_text())["version"]


def run_ok(args: list, **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run that fails the test with the command's output."""
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, args))} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="session")
def dist() -> Path:
    chosen = os.environ.get("KNNKIT_DIST")
    if chosen:
        return Path(chosen).resolve()
    run_ok(["pnpm", "package"], cwd=ROOT)
    return ROOT / "dist"


@pytest.fixture(scope="session")
def wheel(dist: Path) -> Path:
    path = dist / f"knnkit-{VERSION}-py3-none-any.whl"
    assert path.is_file(), f"{path} missing: `pnpm package` writes it"
    return path


def node_free_path() -> str:
    """The current PATH without every directory that holds a `node`."""
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not os.path.exists(os.path.join(d, "node"))]
    path = os.pathsep.join(dirs)
    assert shutil.which("node", path=path) is None
    return path


def clean_env(**extra: str) -> dict[str, str]:
    """A subprocess environment with no node on PATH, no PYTHONPATH and no KNNKIT_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KNNKIT_", "PYTHON", "VIRTUAL_ENV", "NODE"))}
    env["PATH"] = node_free_path()
    env.update(extra)
    return env


class Venv:
    def __init__(self, path: Path):
        self.path = path
        self.python = path / "bin" / "python"
        out = run_ok([self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
        self.site = Path(out.stdout.strip())

    def run(self, code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
        """Runs `code` with this venv's python in `cwd` (outside the repository), in clean_env(**env)."""
        return subprocess.run([self.python, "-c", code], cwd=cwd, env=clean_env(**env), capture_output=True, text=True, timeout=600)


def pins(folder: Path) -> Path:
    """A pip constraints file with the versions of packages/python/requirements.txt (extras dropped: constraints take none)."""
    lines = (ROOT / "packages/python/requirements.txt").read_text().splitlines()
    path = folder / "constraints.txt"
    path.write_text("".join(re.sub(r"\[[^\]]*\]", "", line) + "\n" for line in lines))
    return path


@pytest.fixture(scope="session")
def venv(wheel: Path):
    """A fresh venv in the system temp dir with the wheel and its dependencies (versions as the repository's .venv)."""
    base = Path(tempfile.mkdtemp(prefix="knnkit-installed-"))
    assert ROOT not in base.parents
    try:
        run_ok([sys.executable, "-m", "venv", base / "venv"])
        run_ok([base / "venv/bin/python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                wheel, "-c", pins(base)], env=clean_env(), cwd=base)
        yield Venv(base / "venv")
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A working directory outside the repository."""
    assert ROOT not in tmp_path.parents
    return tmp_path
