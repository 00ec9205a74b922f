"""Builds a JupyterLite site with the Pyodide kernel and knnkit that runs with no
network at all: Pyodide from the `pyodide` npm package, everything else from PyPI
at build time.

    python scripts/build-jupyterlite.py --wheel dist/knnkit-<v>-py3-none-any.whl \
        --out site [--contents notebooks-folder]

Needs scripts/requirements-jupyterlite.txt installed in the running Python, PyPI
(pip) and `pnpm install` (the pyodide npm package).

What the pieces are and why:
- The npm package carries Pyodide's runtime and its lock file but no wheels. The
  kernel loads micropip, then ipython and jedi with their dependencies through
  that lock, which points at Pyodide's CDN. They are all pure-Python wheels, so
  this script downloads the same versions from PyPI next to the runtime and
  rewrites their lock entries (file name, sha256): Pyodide's own builds of them
  differ byte for byte from PyPI's, and the lock carries each wheel's sha256.
- comm, which the kernel also installs, is not in the lock: it goes to the site's
  piplite index, with the knnkit wheel. The kernel's own wheels (piplite,
  pyodide-kernel, the ipykernel shim) come inside jupyterlite-pyodide-kernel.
- PyPI fallback is turned off, so a missing package fails at once instead of
  waiting on the network.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYODIDE_NPM = ROOT / "packages/interop/node_modules/pyodide"
# what the kernel installs from Pyodide's lock (see the kernel worker's initKernel)
KERNEL_LOCK_PACKAGES = ["micropip", "ipython", "jedi"]
# what it installs that the lock does not have
KERNEL_PIPLITE_PACKAGES = ["comm"]
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"


def pip_download(specs: list[str], dest: Path) -> dict[str, Path]:
    """Pure-Python wheels for Pyodide's Python from PyPI (one pip call), copied into dest; by canonical name."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
             "--only-binary=:all:", "--python-version", "3.14", "--platform", "any", "-d", tmp, *specs],
            check=True,
        )
        wheels = {canonical(w.name.split("-")[0]): Path(shutil.copy2(w, dest)) for w in Path(tmp).glob("*.whl")}
    missing = [s for s in specs if canonical(s.split("==")[0]) not in wheels]
    if missing:
        raise SystemExit(f"pip downloaded no wheel for {missing}")
    return wheels


def canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def lock_closure(packages: dict, names: list[str]) -> list[str]:
    """The names and their dependencies in the lock."""
    seen: list[str] = []
    todo = list(names)
    while todo:
        name = canonical(todo.pop())
        if name in seen:
            continue
        seen.append(name)
        todo += packages[name].get("depends", [])
    return sorted(seen)


def pyodide_with_kernel_wheels(target: Path) -> None:
    """Pyodide from the npm package, with the kernel's lock packages as PyPI wheels beside it."""
    shutil.copytree(PYODIDE_NPM, target, dirs_exist_ok=True, symlinks=False)
    lock_path = target / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text())
    packages = lock["packages"]
    names = lock_closure(packages, KERNEL_LOCK_PACKAGES)
    wheels = pip_download([f"{packages[n]['name']}=={packages[n]['version']}" for n in names], target)
    for name in names:
        entry = packages[name]
        wheel = wheels[canonical(entry["name"])]
        entry["file_name"] = wheel.name
        entry["sha256"] = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lock_path.write_text(json.dumps(lock))


def build(wheel: Path, out: Path, contents: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="knnkit-lite-") as tmp:
        lite = Path(tmp)
        pyodide_with_kernel_wheels(lite / "static" / "pyodide")
        extra = lite / "extra-wheels"
        extra.mkdir()
        wheels = [wheel, *pip_download(KERNEL_PIPLITE_PACKAGES, extra).values()]
        (lite / "jupyter-lite.json").write_text(json.dumps({
            "jupyter-lite-schema-version": 0,
            "jupyter-config-data": {"litePluginSettings": {KERNEL_PLUGIN: {"disablePyPIFallback": True}}},
        }))
        command = [sys.executable, "-m", "jupyter", "lite", "build", "--lite-dir", str(lite), "--output-dir", str(out)]
        for w in wheels:
            command += ["--piplite-wheels", str(w)]
        if contents:
            command += ["--contents", str(contents)]
        subprocess.run(command, check=True, cwd=lite, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, required=True, help="the knnkit wheel")
    parser.add_argument("--out", type=Path, required=True, help="the site's folder (replaced)")
    parser.add_argument("--contents", type=Path, help="a folder of notebooks to include")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    build(args.wheel.resolve(), args.out.resolve(), args.contents.resolve() if args.contents else None)
    print(args.out)


if __name__ == "__main__":
    main()
