"""scipy.sparse input: knnkit's estimators against scikit-learn's on the same sparse data, and the refusals."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.neighbors as skn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.impute import KNNImputer as SkKNNImputer

import knnkit


def sparse_rows(rng, rows, cols, density):
    """A CSR matrix whose every row has at least one non-zero, values continuous (no distance ties)."""
    X = sp.random(rows, cols, density=density, format="lil", random_state=rng, data_rvs=lambda n: rng.uniform(0.1, 2, n))
    for i in range(rows):
        if X[i].nnz == 0:
            X[i, rng.integers(cols)] = rng.uniform(0.1, 2)
    return X.tocsr()


def assert_same_neighbors(ours, theirs, Q, k):
    """Equal distances, and equal indices wherever a distance is not tied (scikit-learn orders ties arbitrarily;
    knnkit by index, as its dense brute force, which the core tests check bit for bit). Ties are looked for
    among the k + 1 nearest, so that a tie across the k-th place is seen."""
    d1, i1 = ours.kneighbors(Q, k)
    d2, i2 = theirs.kneighbors(Q, k + 1)
    assert_allclose(d1, d2[:, :k], rtol=1e-9, atol=1e-12)
    untied = 0
    for a, b, d in zip(i1, i2, d2):
        tied = (np.isclose(d[:, None], d[None, :], rtol=1e-9, atol=1e-12).sum(axis=1) > 1)[:k]
        assert_array_equal(a[~tied], b[:k][~tied])
        untied += (~tied).sum()
    assert untied > i1.size / 2


@pytest.fixture
def data(rng):
    X = sparse_rows(rng, 300, 80, 0.05)
    Q = sparse_rows(rng, 40, 80, 0.05)
    y = rng.integers(0, 3, 300)
    return X, Q, y


FORMATS = [sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array]


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine", "l1", "l2", "cityblock", "minkowski"])
@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.__name__)
def test_kneighbors_equal_sklearn(data, metric, fmt):
    X, Q, _ = data
    ours = knnkit.NearestNeighbors(n_neighbors=5, metric=metric).fit(fmt(X))
    theirs = skn.NearestNeighbors(n_neighbors=5, metric=metric).fit(fmt(X))
    assert ours._fit_method == theirs._fit_method == "brute"
    for q in (fmt(Q), None, Q.toarray()):
        assert_same_neighbors(ours, theirs, q, 5)


def test_radius_neighbors_and_graphs_equal_sklearn(data):
    X, Q, _ = data
    ours = knnkit.NearestNeighbors(radius=1.5).fit(X)
    theirs = skn.NearestNeighbors(radius=1.5).fit(X)
    d1, i1 = ours.radius_neighbors(Q, sort_results=True)
    d2, i2 = theirs.radius_neighbors(Q, sort_results=True)
    assert sum(len(r) for r in i1) > 0
    for a, b, c, d in zip(d1, i1, d2, i2):
        assert_array_equal(b, d)
        assert_allclose(a, c, rtol=1e-9, atol=1e-12)
    for mode in ("connectivity", "distance"):
        g1, g2 = ours.kneighbors_graph(Q, 4, mode=mode), theirs.kneighbors_graph(Q, 4, mode=mode)
        assert sp.issparse(g1) and g1.shape == g2.shape
        assert_allclose(g1.toarray(), g2.toarray(), rtol=1e-9, atol=1e-12)
        r1, r2 = ours.radius_neighbors_graph(Q, mode=mode), theirs.radius_neighbors_graph(Q, mode=mode)
        assert_allclose(r1.toarray(), r2.toarray(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_classifier_regressor_equal_sklearn(data, weights):
    X, Q, y = data
    c1 = knnkit.KNeighborsClassifier(n_neighbors=7, weights=weights, metric="cosine").fit(X, y)
    c2 = skn.KNeighborsClassifier(n_neighbors=7, weights=weights, metric="cosine").fit(X, y)
    assert_array_equal(c1.predict(Q), c2.predict(Q))
    assert_allclose(c1.predict_proba(Q), c2.predict_proba(Q), rtol=1e-9)
    assert c1.score(Q, y[:40]) == c2.score(Q, y[:40])
    target = X[:, :3].toarray().sum(axis=1)
    r1 = knnkit.KNeighborsRegressor(n_neighbors=4, weights=weights).fit(X, target)
    r2 = skn.KNeighborsRegressor(n_neighbors=4, weights=weights).fit(X, target)
    assert_allclose(r1.predict(Q), r2.predict(Q), rtol=1e-9)


def test_radius_family_transformers_lof_centroid_equal_sklearn(data):
    X, Q, y = data
    rc1 = knnkit.RadiusNeighborsClassifier(radius=1.6, outlier_label="most_frequent").fit(X, y)
    rc2 = skn.RadiusNeighborsClassifier(radius=1.6, outlier_label="most_frequent").fit(X, y)
    assert_array_equal(rc1.predict(Q), rc2.predict(Q))
    assert_allclose(rc1.predict_proba(Q), rc2.predict_proba(Q), rtol=1e-9)
    target = np.asarray(X.sum(axis=1)).ravel()
    rr1 = knnkit.RadiusNeighborsRegressor(radius=2.0).fit(X, target)
    rr2 = skn.RadiusNeighborsRegressor(radius=2.0).fit(X, target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rows without neighbours: NaN, with scikit-learn's warning
        assert_allclose(rr1.predict(Q), rr2.predict(Q), rtol=1e-9)
    for ours, theirs in [
        (knnkit.KNeighborsTransformer(n_neighbors=4), skn.KNeighborsTransformer(n_neighbors=4)),
        (knnkit.RadiusNeighborsTransformer(radius=1.5), skn.RadiusNeighborsTransformer(radius=1.5)),
    ]:
        g1, g2 = ours.fit_transform(X), theirs.fit_transform(X)
        assert sp.issparse(g1)
        assert_allclose(g1.toarray(), g2.toarray(), rtol=1e-9, atol=1e-12)
        assert_allclose(ours.transform(Q).toarray(), theirs.transform(Q).toarray(), rtol=1e-9, atol=1e-12)
    l1 = knnkit.LocalOutlierFactor(n_neighbors=10, metric="manhattan").fit(X)
    l2 = skn.LocalOutlierFactor(n_neighbors=10, metric="manhattan").fit(X)
    assert_allclose(l1.negative_outlier_factor_, l2.negative_outlier_factor_, rtol=1e-9)
    n1 = knnkit.LocalOutlierFactor(n_neighbors=10, novelty=True).fit(X)
    n2 = skn.LocalOutlierFactor(n_neighbors=10, novelty=True).fit(X)
    assert_allclose(n1.score_samples(Q), n2.score_samples(Q), rtol=1e-9)
    for metric in ("euclidean", "manhattan"):
        nc1 = knnkit.NearestCentroid(metric=metric).fit(X, y)
        nc2 = skn.NearestCentroid(metric=metric).fit(X, y)
        assert_allclose(nc1.centroids_, nc2.centroids_, rtol=1e-12, atol=1e-15)
        assert_array_equal(nc1.predict(Q), nc2.predict(Q))


def test_trees_fall_back_to_brute_force_with_sklearns_warning(data):
    X, Q, _ = data
    for algorithm in ("kd_tree", "ball_tree"):
        with pytest.warns(UserWarning, match="cannot use tree with sparse input: using brute force"):
            ours = knnkit.NearestNeighbors(algorithm=algorithm).fit(X)
        assert ours._fit_method == "brute"
        assert_same_neighbors(ours, skn.NearestNeighbors().fit(X), Q, 5)


def test_refusals_match_sklearn(data):
    X, Q, y = data

    def raised(make):
        try:
            make()
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            return type(e), str(e)
        return None, ""

    cases = [
        lambda m: m.KDTree(X),
        lambda m: m.BallTree(X),
        lambda m: (m.KNNImputer if m is knnkit else SkKNNImputer)().fit(X),
        lambda m: m.KernelDensity().fit(X),
        lambda m: m.NearestNeighbors(algorithm="kd_tree").fit(X.toarray()).kneighbors(Q),
        lambda m: m.NearestNeighbors(algorithm="ball_tree").fit(X.toarray()).radius_neighbors(Q),
        lambda m: m.NearestNeighbors(metric="chebyshev").fit(X),
        lambda m: m.NearestNeighbors(p=3).fit(X),
    ]
    for case in cases:
        ours, message = raised(lambda: case(knnkit))
        theirs, their_message = raised(lambda: case(skn))
        assert ours is not None and issubclass(ours, theirs), (ours, theirs, message, their_message)
    assert "Sparse data was passed" in raised(lambda: knnkit.KDTree(X))[1]
    assert "kd_tree does not work with sparse matrices" in raised(lambda: cases[4](knnkit))[1]
    assert "not valid for sparse input" in raised(lambda: cases[6](knnkit))[1]


def test_sparse_stays_sparse_to_the_engine(data, monkeypatch):
    """The estimators hand the backend CSR parts, not a dense matrix."""
    from knnkit._backend import ipc

    X, Q, _ = data
    seen = []
    real = ipc.client

    class Spy:
        def __getattr__(self, name):
            return getattr(real(), name)

        def call(self, op, arrays, **fields):
            seen.append((op, sorted(arrays), fields.get("X_shape")))
            return real().call(op, arrays, **fields)

    monkeypatch.setattr(ipc, "client", lambda: Spy())
    est = knnkit.NearestNeighbors(n_neighbors=3).fit(sp.coo_matrix(X))
    est.kneighbors(Q)
    assert seen[0] == ("fit", ["X_data", "X_indices", "X_indptr"], [300, 80])
    assert seen[1] == ("kneighbors", ["X_data", "X_indices", "X_indptr"], [40, 80])


def test_unsorted_and_duplicate_entries_are_canonicalised(data):
    X, Q, _ = data
    coo = X.tocoo()
    # the same matrix with each entry split in two halves, in reverse order (duplicates, unsorted)
    dup = sp.csr_matrix(
        (np.concatenate([coo.data / 2, coo.data / 2])[::-1], (np.concatenate([coo.row, coo.row])[::-1], np.concatenate([coo.col, coo.col])[::-1])),
        shape=X.shape,
    )
    dup.has_canonical_format = False
    assert_same_neighbors(knnkit.NearestNeighbors().fit(dup), skn.NearestNeighbors().fit(X), Q, 4)


def test_pickle_refits_from_the_sparse_rows(data):
    X, Q, y = data
    for est in (knnkit.NearestNeighbors(n_neighbors=4).fit(X), knnkit.KNeighborsClassifier(metric="cosine").fit(X, y)):
        back = pickle.loads(pickle.dumps(est))
        for a, b in zip(back.kneighbors(Q), est.kneighbors(Q)):
            assert_array_equal(a, b)
