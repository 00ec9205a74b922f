"""Parameters as scikit-learn takes them: non-finite numbers, metric_params, n_jobs, and damaged pickles."""

import pickle
import subprocess

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import neighbors

import knnkit
from knnkit import InvalidParameterError
from knnkit._bridge import client


def _as_sets(rows):
    return [sorted(r.tolist()) for r in rows]


def test_infinite_radius_equals_scikit_learn(rng):
    X, Q = rng.random((60, 3)), rng.random((5, 3))
    ours = knnkit.NearestNeighbors(radius=np.inf).fit(X)
    ref = neighbors.NearestNeighbors(radius=np.inf).fit(X)
    d1, i1 = ours.radius_neighbors(Q, sort_results=True)
    d2, i2 = ref.radius_neighbors(Q, sort_results=True)
    assert [len(r) for r in i1] == [60] * 5
    assert _as_sets(i1) == _as_sets(i2)
    for a, b in zip(d1, d2):
        assert_allclose(a, b, rtol=1e-12)
    assert_array_equal(knnkit.KDTree(X).query_radius(Q, r=np.inf, count_only=True), [60] * 5)


@pytest.mark.parametrize(
    "params,sklearn_refuses",
    [({"p": np.nan}, True), ({"radius": np.nan}, True), ({"radius": -1.0}, True), ({"leaf_size": 0}, True), ({"n_neighbors": 0}, True),
     # scikit-learn's brute force takes p < 1 (not a metric); knnkit's trees need the triangle inequality and refuse it everywhere
     ({"p": 0.5}, False)],
)
def test_bad_numbers_are_refused_clearly(rng, params, sklearn_refuses):
    X = rng.random((20, 3))
    with pytest.raises(ValueError) as ours:
        knnkit.NearestNeighbors(**params).fit(X).radius_neighbors(X[:2])
    name = next(iter(params))
    assert name in str(ours.value), str(ours.value)
    if sklearn_refuses:
        with pytest.raises(ValueError):
            neighbors.NearestNeighbors(**params).fit(X).radius_neighbors(X[:2])


def test_metric_params_p_is_honoured(rng):
    X, Q = rng.random((80, 4)), rng.random((6, 4))
    ours = knnkit.NearestNeighbors(n_neighbors=4, metric_params={"p": 3}).fit(X).kneighbors(Q)
    ref = neighbors.NearestNeighbors(n_neighbors=4, metric_params={"p": 3}).fit(X).kneighbors(Q)
    assert_array_equal(ours[1], ref[1])
    assert_allclose(ours[0], ref[0], rtol=1e-12)
    assert_array_equal(knnkit.KDTree(X, p=3).query(Q, k=4)[1], ref[1])


def test_unknown_metric_params_are_refused_not_ignored(rng):
    X = rng.random((20, 3))
    with pytest.raises(ValueError, match='metric_params "q" is not supported'):
        knnkit.NearestNeighbors(metric_params={"q": 2}).fit(X)
    with pytest.raises(ValueError, match='metric_params "q" is not supported'):
        knnkit.BallTree(X, q=2)
    with pytest.raises(InvalidParameterError, match="k \\(n_neighbors\\) must be an integer >= 1, got -1"):
        knnkit.KDTree(X).query(X, k=-1)


def test_weighted_minkowski_equals_scikit_learn(rng):
    X, Q = rng.random((80, 3)), rng.random((6, 3))
    w = [1.0, 100.0, 1.0]
    ours = knnkit.NearestNeighbors(n_neighbors=4, metric_params={"w": w}, algorithm="brute").fit(X).kneighbors(Q)
    ref = neighbors.NearestNeighbors(n_neighbors=4, metric_params={"w": w}, algorithm="brute").fit(X).kneighbors(Q)
    assert_array_equal(ours[1], ref[1])
    assert_allclose(ours[0], ref[0], rtol=1e-12)


def _engine_threads() -> int:
    out = subprocess.run(["ps", "-o", "nlwp=", "-p", str(client().pid)], capture_output=True, text=True, check=True)
    return int(out.stdout)


def test_n_jobs_is_capped_at_the_cores(rng):
    import os

    X = rng.random((20_000, 8))
    knnkit.NearestNeighbors(n_jobs=1, algorithm="brute").fit(X).kneighbors(X[:8])
    before = _engine_threads()
    knnkit.NearestNeighbors(n_jobs=64, algorithm="brute").fit(X).kneighbors(X[:4000])
    # at most one helper thread per core beyond the main thread (Node's own threads were counted before)
    assert _engine_threads() - before <= (os.cpu_count() or 1) - 1


def test_a_damaged_pickle_is_refused_clearly(rng):
    X = rng.random((50, 3))
    clf = knnkit.KNeighborsClassifier(3).fit(X, np.arange(50) % 2)
    blob = pickle.dumps(clf)
    state = pickle.loads(blob)
    saved = bytearray(state._remote.saved)
    saved[len(saved) // 2] ^= 0xFF
    state._remote.saved = bytes(saved)
    with pytest.raises(ValueError, match="checksum|damaged|corrupt"):
        state.predict(X[:3])
    assert_array_equal(pickle.loads(blob).predict(X), clf.predict(X))


@pytest.mark.parametrize(
    "fields",
    [{}, {"handle": 3, "k": 1}, {"sort": True, "count_only": False, "handle": None}, {"k": np.int64(4)}, {"radius": 0.5},
     {"radius": np.inf, "h": np.nan}, {"kind": 'say "hi"\\', "params": {"p": 3, "w": np.ones(2)}}, {"r": [0.1, np.inf]}],
)
def test_pyodide_fields_json_says_what_encode_fields_says(fields):
    # the Pyodide backend writes flat integer/boolean/None fields without the json module; every field must read back the same
    import json

    from knnkit._backend import encode_fields
    from knnkit._backend.pyodide import fields_json

    assert json.loads(fields_json(fields)) == encode_fields(fields)
