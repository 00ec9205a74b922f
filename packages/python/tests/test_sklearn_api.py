"""scikit-learn machinery works on knnkit's estimators."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

import knnkit

# Checks skipped, with the reason:
EXPECTED_FAILED = {
    # sample weights are not supported by k-NN estimators (scikit-learn's own are exempt too)
}


@pytest.mark.parametrize(
    "estimator",
    [knnkit.KNeighborsClassifier(), knnkit.KNeighborsRegressor(), knnkit.NearestNeighbors()],
    ids=lambda e: type(e).__name__,
)
def test_check_estimator(estimator):
    check_estimator(estimator, expected_failed_checks=EXPECTED_FAILED)


def test_clone_pipeline_gridsearch_cross_val(rng):
    X = rng.random((200, 3))
    y = (X[:, 0] > 0.5).astype(int)
    clf = knnkit.KNeighborsClassifier(3, weights="distance", algorithm="ball_tree")
    cloned = clone(clf)
    assert cloned.get_params() == clf.get_params()
    pipe = make_pipeline(StandardScaler(), knnkit.KNeighborsClassifier())
    assert pipe.fit(X, y).score(X, y) > 0.9
    grid = GridSearchCV(knnkit.KNeighborsClassifier(), {"n_neighbors": [1, 3, 7], "algorithm": ["kd_tree", "brute"]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_["n_neighbors"] in (1, 3, 7)
    scores = cross_val_score(knnkit.KNeighborsRegressor(4), X, X[:, 0] * 2, cv=4)
    assert scores.shape == (4,) and np.all(scores > 0.5)


def test_pickle_roundtrip(rng):
    X = rng.random((150, 4))
    y = np.array(["a", "b", "c"])[(X[:, 0] * 3).astype(int)]
    Q = rng.random((20, 4))
    for est in (knnkit.KNeighborsClassifier(4).fit(X, y), knnkit.NearestNeighbors(n_neighbors=3).fit(X)):
        back = pickle.loads(pickle.dumps(est))
        assert_array_equal(back.kneighbors(Q)[1], est.kneighbors(Q)[1])
    clf = knnkit.KNeighborsClassifier(4).fit(X, y)
    assert_array_equal(pickle.loads(pickle.dumps(clf)).predict(Q), clf.predict(Q))
    reg = knnkit.KNeighborsRegressor(4, weights="distance").fit(X, X[:, 1])
    assert_allclose(pickle.loads(pickle.dumps(reg)).predict(Q), reg.predict(Q))
    for Tree in (knnkit.KDTree, knnkit.BallTree):
        tree = Tree(X, leaf_size=5)
        back = pickle.loads(pickle.dumps(tree))
        assert_array_equal(back.query(Q, k=3)[1], tree.query(Q, k=3)[1])


def test_prefilter_from_python(rng):
    X = rng.random((2000, 6))
    y = (X[:, 0] > 0.5).astype(int)
    Q = rng.random((50, 6))
    exact = knnkit.KNeighborsClassifier(5, algorithm="brute").fit(X, y)
    full = knnkit.KNeighborsClassifier(5, algorithm="prefilter", candidates=2000).fit(X, y)
    assert_array_equal(full.kneighbors(Q)[1], exact.kneighbors(Q)[1])
    approx = knnkit.KNeighborsClassifier(5, algorithm="prefilter", candidates=0.2, n_filter_features=2).fit(X, y)
    assert approx.score(Q, (Q[:, 0] > 0.5).astype(int)) > 0.8
    with pytest.raises(ValueError, match='only applies to algorithm "prefilter"'):
        knnkit.KNeighborsClassifier(candidates=0.2).fit(X, y)
    for metric in ("euclidean", "manhattan", "chebyshev"):
        brute = knnkit.NearestNeighbors(n_neighbors=7, algorithm="brute", metric=metric).fit(X)
        want_dist, want_ind = brute.kneighbors(Q)
        for key in ("feature", "principal"):
            by_key = knnkit.NearestNeighbors(n_neighbors=7, algorithm="prefilter", prefilter_mode="exact", metric=metric,
                                             prefilter_sort_key=key).fit(X)
            dist, ind = by_key.kneighbors(Q)
            assert_array_equal(ind, want_ind)
            assert_array_equal(dist, want_dist)
        exact_mode = knnkit.NearestNeighbors(n_neighbors=7, algorithm="prefilter", prefilter_mode="exact", metric=metric).fit(X)
        dist, ind = exact_mode.kneighbors(Q)
        assert_array_equal(ind, want_ind)
        assert_array_equal(dist, want_dist)
        assert exact_mode.kneighbors(Q, return_certified=True)[2].all()
    budget = knnkit.NearestNeighbors(n_neighbors=5, algorithm="prefilter", candidates=0.05).fit(X)
    dist, ind, certified = budget.kneighbors(Q, return_certified=True)
    assert certified.dtype == bool and certified.shape == (50,)
    assert_array_equal(ind[certified], exact.kneighbors(Q)[1][certified])
    full = knnkit.NearestNeighbors(n_neighbors=5, algorithm="prefilter", candidates=2000).fit(X)
    assert full.kneighbors(Q, return_distance=False, return_certified=True)[1].all()
    with pytest.raises(ValueError, match="return_certified"):
        exact.kneighbors(Q, return_certified=True)
    with pytest.raises(ValueError, match='sortKey must be "auto", "feature" or "principal"'):
        knnkit.NearestNeighbors(algorithm="prefilter", prefilter_sort_key="pca").fit(X)
    with pytest.raises(ValueError, match='prefilterMode|prefilter_mode|mode "exact"'):
        knnkit.KNeighborsClassifier(algorithm="prefilter", prefilter_mode="exact", target_recall=0.9).fit(X, y)
