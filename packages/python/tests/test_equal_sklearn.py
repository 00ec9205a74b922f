"""knnkit's estimators give scikit-learn's answers on the same data."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import datasets, neighbors

import knnkit

ALGORITHMS = ["brute", "kd_tree", "ball_tree", "auto"]
METRICS = [("euclidean", 2), ("manhattan", 1), ("chebyshev", 2), ("minkowski", 3)]


def _data(rng, dtype, n=300, d=4):
    X = rng.random((n, d)).astype(dtype)
    Q = rng.random((40, d)).astype(dtype)
    y = (X[:, 0] + X[:, 1] > 1).astype(int) + (X[:, 2] > 0.7)
    return X, Q, y


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("metric,p", METRICS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kneighbors_equal(rng, algorithm, metric, p, dtype):
    X, Q, _ = _data(rng, dtype)
    for k in (1, 7):
        ours = knnkit.NearestNeighbors(n_neighbors=k, algorithm=algorithm, metric=metric, p=p).fit(X)
        ref = neighbors.NearestNeighbors(n_neighbors=k, algorithm=algorithm, metric=metric, p=p).fit(X)
        d1, i1 = ours.kneighbors(Q)
        d2, i2 = ref.kneighbors(Q)
        assert_array_equal(i1, i2)
        assert_allclose(d1, d2, rtol=1e-6)
        # the training data itself, each row excluded
        d1, i1 = ours.kneighbors()
        d2, i2 = ref.kneighbors()
        assert_array_equal(i1, i2)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_classifier_and_regressor_equal(rng, algorithm, weights, dtype):
    X, Q, y = _data(rng, dtype)
    for k in (1, 5):
        ours = knnkit.KNeighborsClassifier(k, weights=weights, algorithm=algorithm).fit(X, y)
        ref = neighbors.KNeighborsClassifier(k, weights=weights, algorithm=algorithm).fit(X, y)
        assert_array_equal(ours.predict(Q), ref.predict(Q))
        assert_allclose(ours.predict_proba(Q), ref.predict_proba(Q), rtol=1e-6, atol=1e-12)
        assert ours.score(Q, y[:40]) == ref.score(Q, y[:40])
        target = X[:, 0] * 3 + X[:, 1]
        r1 = knnkit.KNeighborsRegressor(k, weights=weights, algorithm=algorithm).fit(X, target)
        r2 = neighbors.KNeighborsRegressor(k, weights=weights, algorithm=algorithm).fit(X, target)
        assert_allclose(r1.predict(Q), r2.predict(Q), rtol=1e-6)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_radius_neighbors_equal_as_sets(rng, algorithm):
    X, Q, _ = _data(rng, np.float64)
    ours = knnkit.NearestNeighbors(radius=0.3, algorithm=algorithm).fit(X)
    ref = neighbors.NearestNeighbors(radius=0.3, algorithm=algorithm).fit(X)
    d1, i1 = ours.radius_neighbors(Q, sort_results=True)
    d2, i2 = ref.radius_neighbors(Q, sort_results=True)
    for a, b, da, db in zip(i1, i2, d1, d2):
        assert set(a.tolist()) == set(b.tolist())
        assert_allclose(np.sort(da), np.sort(db), rtol=1e-9)
    g1 = ours.radius_neighbors_graph(Q, mode="distance").toarray()
    g2 = ref.radius_neighbors_graph(Q, mode="distance").toarray()
    assert_allclose(g1, g2, rtol=1e-9)
    k1 = ours.kneighbors_graph(Q, 3, mode="distance").toarray()
    k2 = ref.kneighbors_graph(Q, 3, mode="distance").toarray()
    assert_allclose(k1, k2, rtol=1e-9)


def _tie_safe_equal(d1, i1, d2, i2):
    """Indices equal wherever the distance is not tied with another candidate's (d2, i2 hold one extra column)."""
    k = d1.shape[1]
    assert_allclose(d1, d2[:, :k], rtol=1e-9)
    for row in range(d1.shape[0]):
        for j in range(k):
            tied = np.sum(np.isclose(d2[row], d2[row, j], rtol=1e-12)) > 1
            if not tied:
                assert i1[row, j] == i2[row, j]


@pytest.mark.parametrize("loader", [datasets.load_digits, datasets.load_iris, datasets.load_diabetes])
def test_bundled_datasets(loader):
    X, y = loader(return_X_y=True)
    X = X.astype(np.float64)
    Xtr, Xte, ytr, yte = X[::2], X[1::2], y[::2], y[1::2]
    for algorithm in ("brute", "kd_tree", "ball_tree"):
        ours = knnkit.NearestNeighbors(n_neighbors=5, algorithm=algorithm).fit(Xtr)
        ref = neighbors.NearestNeighbors(n_neighbors=5, algorithm=algorithm).fit(Xtr)
        _tie_safe_equal(*ours.kneighbors(Xte), *ref.kneighbors(Xte, 6))
        if loader is datasets.load_diabetes:
            a = knnkit.KNeighborsRegressor(5, algorithm=algorithm).fit(Xtr, ytr).predict(Xte)
            b = neighbors.KNeighborsRegressor(5, algorithm=algorithm).fit(Xtr, ytr).predict(Xte)
            assert_allclose(a, b, rtol=1e-9)
        else:
            a = knnkit.KNeighborsClassifier(5, algorithm=algorithm).fit(Xtr, ytr)
            b = neighbors.KNeighborsClassifier(5, algorithm=algorithm).fit(Xtr, ytr)
            # ties at the k-th neighbour may pick different rows; the scores must agree closely
            agree = np.mean(a.predict(Xte) == b.predict(Xte))
            assert agree >= 0.99
            assert abs(a.score(Xte, yte) - b.score(Xte, yte)) <= 0.01


@pytest.mark.parametrize("Tree,SkTree", [(knnkit.KDTree, neighbors.KDTree), (knnkit.BallTree, neighbors.BallTree)])
def test_trees_match_sklearn(rng, Tree, SkTree):
    X = rng.random((400, 3))
    Q = rng.random((30, 3))
    ours, ref = Tree(X, leaf_size=10), SkTree(X, leaf_size=10)
    d1, i1 = ours.query(Q, k=4)
    d2, i2 = ref.query(Q, k=4)
    assert_array_equal(i1, i2)
    assert_allclose(d1, d2, rtol=1e-12)
    assert i1.dtype == i2.dtype
    only = ours.query(Q, k=2, return_distance=False)
    assert_array_equal(only, i2[:, :2])
    c1 = ours.query_radius(Q, r=0.2, count_only=True)
    c2 = ref.query_radius(Q, r=0.2, count_only=True)
    assert_array_equal(c1, c2)
    ind1, dist1 = ours.query_radius(Q, r=0.2, return_distance=True, sort_results=True)
    ind2, dist2 = ref.query_radius(Q, r=0.2, return_distance=True, sort_results=True)
    for a, b, da, db in zip(ind1, ind2, dist1, dist2):
        assert_array_equal(a, b)
        assert_allclose(da, db, rtol=1e-12)
    radii = np.linspace(0.05, 0.3, len(Q))
    assert_array_equal(ours.query_radius(Q, r=radii, count_only=True), ref.query_radius(Q, r=radii, count_only=True))
