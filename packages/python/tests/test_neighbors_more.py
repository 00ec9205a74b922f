"""The rest of sklearn.neighbors and KNNImputer equal scikit-learn's own, on random data and bundled datasets."""

import pickle
import warnings

import numpy as np
import pytest
import sklearn.neighbors as skn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.cluster import DBSCAN
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.impute import KNNImputer as SkKNNImputer
from sklearn.manifold import Isomap
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

import knnkit


def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def digits():
    X, y = load_digits(return_X_y=True)
    jitter = np.random.default_rng(0).normal(scale=1e-6, size=X[:600].shape)  # integer pixels tie; scikit-learn orders ties arbitrarily
    return X[:600] / 16.0 + jitter, y[:600]


def diabetes():
    return load_diabetes(return_X_y=True)


def both(name, **params):
    return getattr(knnkit, name)(**params), getattr(skn, name)(**params)


def same_graph(A, B, atol=1e-12):
    """Equal CSR matrices: same rows, same entries in the same order."""
    assert A.shape == B.shape
    assert_array_equal(A.indptr, B.indptr)
    assert_array_equal(A.indices, B.indices)
    assert_allclose(A.data, B.data, rtol=1e-12, atol=atol)


# scikit-learn's brute-force euclidean distances go through ‖x‖² + ‖y‖² − 2x·y: a row's distance to itself
# comes out near 1e-7 instead of 0 (knnkit's is 0), so those comparisons allow that much
SELF_DISTANCE = 3e-7


@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize("outlier_label", [None, "most_frequent", 1])
def test_radius_classifier_random(rng, weights, outlier_label):
    X = rng.random((400, 3))
    y = (X[:, 0] * 3).astype(int)
    Q = rng.random((80, 3)) * 1.3
    ours, theirs = both("RadiusNeighborsClassifier", radius=0.15, weights=weights, outlier_label=outlier_label)
    ours.fit(X, y)
    theirs.fit(X, y)
    if outlier_label is None:  # every query needs a neighbour
        Q = X[:50] + 0.01
    assert_array_equal(ours.predict(Q), theirs.predict(Q))
    assert_allclose(ours.predict_proba(Q), theirs.predict_proba(Q), rtol=1e-12, atol=1e-15)
    assert ours.outlier_label_ == theirs.outlier_label_


@pytest.mark.parametrize("data", [iris, digits])
def test_radius_classifier_datasets(data):
    X, y = data()
    radius = 1.0 if data is iris else 1.5
    ours, theirs = both("RadiusNeighborsClassifier", radius=radius, weights="distance", outlier_label="most_frequent")
    assert_array_equal(ours.fit(X, y).predict(X), theirs.fit(X, y).predict(X))
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-12, atol=SELF_DISTANCE)
    assert ours.score(X, y) == theirs.score(X, y)


def test_radius_classifier_outlier_label_not_a_class(rng):
    X = rng.random((100, 2))
    y = np.where(X[:, 0] > 0.5, "a", "b")
    Q = np.array([[5.0, 5.0], [0.5, 0.5]])
    ours, theirs = both("RadiusNeighborsClassifier", radius=0.2, outlier_label="z")
    ours.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = theirs.fit(X, y).predict(Q)
        assert_allclose(ours.predict_proba(Q), theirs.predict_proba(Q))
    assert_array_equal(ours.predict(Q), expected)


def test_multi_output_radius(rng):
    X = rng.random((300, 3))
    Y = np.stack([(X[:, 0] > 0.5).astype(int), (X[:, 1] * 3).astype(int)], axis=1)
    Q = X[:40] + 0.01
    ours, theirs = both("RadiusNeighborsClassifier", radius=0.2, weights="distance")
    assert_array_equal(ours.fit(X, Y).predict(Q), theirs.fit(X, Y).predict(Q))
    for a, b in zip(ours.predict_proba(Q), theirs.predict_proba(Q)):
        assert_allclose(a, b, rtol=1e-12)
    Yr = np.stack([X[:, 0] * 2, X[:, 1] - X[:, 2]], axis=1)
    ours, theirs = both("RadiusNeighborsRegressor", radius=0.2, weights="distance")
    assert_allclose(ours.fit(X, Yr).predict(Q), theirs.fit(X, Yr).predict(Q), rtol=1e-12)


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_radius_regressor(rng, weights):
    X = rng.random((400, 3))
    y = X @ [1.0, -2.0, 0.5]
    Q = rng.random((60, 3))
    ours, theirs = both("RadiusNeighborsRegressor", radius=0.2, weights=weights)
    assert_allclose(ours.fit(X, y).predict(Q), theirs.fit(X, y).predict(Q), rtol=1e-12)
    Xd, yd = diabetes()
    ours, theirs = both("RadiusNeighborsRegressor", radius=0.12, weights=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rows without neighbours: NaN, with scikit-learn's warning
        assert_allclose(ours.fit(Xd, yd).predict(Xd[:100] + 0.01), theirs.fit(Xd, yd).predict(Xd[:100] + 0.01), rtol=1e-12)
    with pytest.warns(UserWarning, match="no neighbors within specified radius"):
        ours.predict(Xd[:2] + 10)


@pytest.mark.parametrize("mode", ["distance", "connectivity"])
@pytest.mark.parametrize("algorithm", ["brute", "kd_tree"])
def test_kneighbors_transformer(rng, mode, algorithm):
    X = rng.random((300, 4))
    Q = rng.random((40, 4))
    ours, theirs = both("KNeighborsTransformer", mode=mode, n_neighbors=6, algorithm=algorithm)
    same_graph(ours.fit_transform(X), theirs.fit_transform(X))
    same_graph(ours.transform(Q), theirs.transform(Q))
    Xd, _ = digits()
    same_graph(ours.fit_transform(Xd), theirs.fit_transform(Xd), atol=SELF_DISTANCE)


@pytest.mark.parametrize("mode", ["distance", "connectivity"])
def test_radius_transformer(rng, mode):
    X = rng.random((300, 3))
    ours, theirs = both("RadiusNeighborsTransformer", mode=mode, radius=0.2, algorithm="brute")
    A, B = ours.fit_transform(X), theirs.fit_transform(X)
    assert A.nnz == B.nnz
    A.sort_indices()
    B.sort_indices()
    same_graph(A, B)
    if mode == "distance":  # rows sorted by distance, as scikit-learn's
        same_graph(ours.transform(X[:30]), theirs.transform(X[:30]))


def test_precomputed_pipelines():
    X, _ = digits()
    ours = make_pipeline(knnkit.KNeighborsTransformer(n_neighbors=10, mode="distance"), Isomap(n_neighbors=10, metric="precomputed"))
    theirs = make_pipeline(skn.KNeighborsTransformer(n_neighbors=10, mode="distance"), Isomap(n_neighbors=10, metric="precomputed"))
    assert_allclose(np.abs(ours.fit_transform(X)), np.abs(theirs.fit_transform(X)), rtol=1e-7, atol=1e-9)
    Xi, _ = iris()
    ours = make_pipeline(knnkit.RadiusNeighborsTransformer(radius=0.6), DBSCAN(eps=0.6, metric="precomputed"))
    theirs = make_pipeline(skn.RadiusNeighborsTransformer(radius=0.6), DBSCAN(eps=0.6, metric="precomputed"))
    assert_array_equal(ours.fit_predict(Xi), theirs.fit_predict(Xi))


@pytest.mark.parametrize("contamination", ["auto", 0.1])
def test_local_outlier_factor(rng, contamination):
    X = np.vstack([rng.normal(size=(300, 3)), rng.uniform(-6, 6, size=(15, 3))])
    Q = rng.uniform(-4, 4, size=(50, 3))
    ours, theirs = both("LocalOutlierFactor", n_neighbors=15, contamination=contamination)
    assert_array_equal(ours.fit_predict(X), theirs.fit_predict(X))
    assert_allclose(ours.negative_outlier_factor_, theirs.negative_outlier_factor_, rtol=1e-12)
    assert ours.offset_ == pytest.approx(theirs.offset_, rel=1e-12)
    ours, theirs = both("LocalOutlierFactor", n_neighbors=15, contamination=contamination, novelty=True)
    ours.fit(X)
    theirs.fit(X)
    assert_allclose(ours.score_samples(Q), theirs.score_samples(Q), rtol=1e-12)
    assert_allclose(ours.decision_function(Q), theirs.decision_function(Q), rtol=1e-12, atol=1e-12)
    assert_array_equal(ours.predict(Q), theirs.predict(Q))
    with pytest.raises(AttributeError):
        ours.fit_predict(X)
    with pytest.raises(AttributeError):
        knnkit.LocalOutlierFactor().fit(X).predict(Q)


def test_local_outlier_factor_digits():
    X, _ = digits()
    ours, theirs = both("LocalOutlierFactor", n_neighbors=20)
    assert_array_equal(ours.fit_predict(X), theirs.fit_predict(X))
    assert_allclose(ours.negative_outlier_factor_, theirs.negative_outlier_factor_, rtol=1e-10)


@pytest.mark.parametrize("params", [{}, {"metric": "manhattan"}, {"shrink_threshold": 0.3}, {"priors": "empirical"}, {"priors": [0.2, 0.3, 0.5]}])
def test_nearest_centroid(params):
    X, y = iris()
    ours, theirs = both("NearestCentroid", **params)
    ours.fit(X, y)
    theirs.fit(X, y)
    assert_allclose(ours.centroids_, theirs.centroids_, rtol=1e-12, atol=1e-14)
    assert_allclose(ours.within_class_std_dev_, theirs.within_class_std_dev_, rtol=1e-12)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    if params.get("metric") != "manhattan":
        assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9, atol=1e-15)
        assert_allclose(ours.decision_function(X), theirs.decision_function(X), rtol=1e-10)
    else:
        assert not hasattr(ours, "predict_proba")
    Xd, yd = digits()
    assert_array_equal(both("NearestCentroid", **{k: v for k, v in params.items() if k != "priors"})[0].fit(Xd, yd).predict(Xd),
                       skn.NearestCentroid(**{k: v for k, v in params.items() if k != "priors"}).fit(Xd, yd).predict(Xd))


def with_missing(X, rate, seed):
    X = np.array(X, dtype=np.float64)
    X[np.random.default_rng(seed).random(X.shape) < rate] = np.nan
    return X


@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize("n_neighbors", [1, 5])
def test_knn_imputer_random(rng, weights, n_neighbors):
    X = with_missing(rng.random((500, 6)), 0.2, 1)
    Q = with_missing(rng.random((100, 6)), 0.3, 2)
    ours = knnkit.KNNImputer(n_neighbors=n_neighbors, weights=weights, add_indicator=True).fit(X)
    theirs = SkKNNImputer(n_neighbors=n_neighbors, weights=weights, add_indicator=True).fit(X)
    assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-7)
    assert_allclose(ours.transform(Q), theirs.transform(Q), rtol=1e-7)
    assert_array_equal(ours.get_feature_names_out(), theirs.get_feature_names_out())


@pytest.mark.parametrize("data", [iris, diabetes])
def test_knn_imputer_datasets(data):
    X, _ = data()
    X = with_missing(X + np.random.default_rng(2).normal(scale=1e-6, size=X.shape), 0.1, 3)  # iris ties; scikit-learn's argpartition orders ties arbitrarily
    for n_jobs in (None, 2):
        assert_allclose(knnkit.KNNImputer(n_jobs=n_jobs).fit_transform(X), SkKNNImputer().fit_transform(X), rtol=1e-9)


def test_knn_imputer_edge_cases():
    X = np.array([[np.nan, 1.0, np.nan, 2.0],
                  [np.nan, np.nan, 3.0, np.nan],  # shares no present coordinate with row 3: column mean
                  [np.nan, 2.0, 4.0, 2.5],
                  [np.nan, 3.0, np.nan, 2.0],
                  [np.nan, 1.5, 5.0, 1.0]])
    for keep in (False, True):
        for add in (False, True):
            ours = knnkit.KNNImputer(n_neighbors=2, keep_empty_features=keep, add_indicator=add)
            theirs = SkKNNImputer(n_neighbors=2, keep_empty_features=keep, add_indicator=add)
            assert_allclose(ours.fit_transform(X), theirs.fit_transform(X))
    Xm = np.where(np.isnan(X), -1.0, X)
    assert_allclose(knnkit.KNNImputer(missing_values=-1.0, n_neighbors=2).fit_transform(Xm),
                    SkKNNImputer(missing_values=-1.0, n_neighbors=2).fit_transform(Xm))
    with pytest.raises(ValueError):
        knnkit.KNNImputer(missing_values=-1.0).fit(X)  # NaN where -1 marks missing values


@pytest.mark.parametrize(
    "make, fit_args",
    [
        (lambda: knnkit.RadiusNeighborsClassifier(radius=-1.0), "xy"),
        (lambda: knnkit.RadiusNeighborsRegressor(radius=-0.5), "xy"),
        (lambda: knnkit.RadiusNeighborsTransformer(radius=-1.0), "x"),
        (lambda: knnkit.KNeighborsTransformer(mode="both"), "x"),
        (lambda: knnkit.LocalOutlierFactor(contamination=0.7), "x"),
        (lambda: knnkit.NearestCentroid(metric="cosine"), "xy"),
        (lambda: knnkit.KNNImputer(n_neighbors=0), "x"),
        (lambda: knnkit.KNNImputer(weights="nearest"), "x"),
    ],
)
def test_bad_parameters(rng, make, fit_args):
    X = rng.random((30, 2))
    with pytest.raises(ValueError):
        make().fit(X, (X[:, 0] > 0.5).astype(int)) if fit_args == "xy" else make().fit(X)


def test_bad_input(rng):
    X = rng.random((30, 2))
    y = (X[:, 0] > 0.5).astype(int)
    with pytest.raises(TypeError):  # scikit-learn: the outlier label's type must match the classes'
        knnkit.RadiusNeighborsClassifier(outlier_label="far").fit(X, y)
    with pytest.raises(ValueError, match="no neighbours within the radius"):
        knnkit.RadiusNeighborsClassifier(radius=0.01).fit(X, y).predict(X + 5)
    with pytest.raises(ValueError, match="greater than one"):
        knnkit.NearestCentroid().fit(X, np.zeros(30))
    with pytest.raises(ValueError):
        knnkit.KNeighborsTransformer().fit(X).transform(rng.random((3, 5)))


def _answers(est, X, Xm):
    """What a fitted estimator answers for X (Xm: X with missing values), as arrays."""
    if isinstance(est, knnkit.KNNImputer):
        return [est.transform(Xm)]
    if isinstance(est, knnkit.KernelDensity):
        return [est.score_samples(X)]
    if isinstance(est, knnkit.LocalOutlierFactor):
        out = [est.negative_outlier_factor_]
        return out + ([est.score_samples(X), est.decision_function(X), est.predict(X)] if est.novelty else [])
    if hasattr(est, "transform"):
        return [est.transform(X).toarray()]
    out = [est.predict(X)]
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(X)
        out += proba if isinstance(proba, list) else [proba]
    return out + ([est.kneighbors(X, 3)[0]] if hasattr(est, "kneighbors") else [])


def test_pickle_carries_the_saved_engine_object_and_answers_equal(rng):
    X = rng.random((120, 3))
    y = (X[:, 0] > 0.5).astype(int) + (X[:, 1] > 0.7)
    Y = np.stack([y, (X[:, 2] > 0.4).astype(int)], axis=1)
    Xm = with_missing(X, 0.2, 4)
    fitted = [
        knnkit.RadiusNeighborsClassifier(0.3, weights="distance", outlier_label="most_frequent").fit(X, Y),
        knnkit.RadiusNeighborsRegressor(0.3, algorithm="ball_tree").fit(X, X[:, 0] * 3),
        knnkit.KNeighborsClassifier(4).fit(X, Y),
        knnkit.KNeighborsRegressor(3, weights="distance").fit(X, X[:, :2]),
        knnkit.KNeighborsTransformer(n_neighbors=4).fit(X),
        knnkit.RadiusNeighborsTransformer(radius=0.2, mode="connectivity").fit(X),
        knnkit.LocalOutlierFactor(novelty=True, contamination=0.1).fit(X),
        knnkit.LocalOutlierFactor(n_neighbors=7).fit(X),
        knnkit.NearestCentroid(shrink_threshold=0.1, priors="empirical").fit(X, y),
        knnkit.KNNImputer(n_neighbors=3, weights="distance", add_indicator=True).fit(Xm),
        knnkit.KernelDensity(bandwidth=0.3, kernel="epanechnikov").fit(X),
    ]
    for est in fitted:
        back = pickle.loads(pickle.dumps(est))
        remote = back.tree_._remote if isinstance(est, knnkit.KernelDensity) else back._remote
        # the engine object comes back from the checked bytes, not by fitting the inputs again
        assert remote.X is None and remote.y is None and remote.saved[:8] == b"\x89KNNKIT\n", type(est).__name__
        for a, b in zip(_answers(back, X, Xm), _answers(est, X, Xm), strict=True):
            assert_array_equal(a, b, err_msg=type(est).__name__)


def test_a_fit_on_sparse_rows_pickles_its_inputs(rng):
    from scipy import sparse

    X = sparse.random(80, 6, density=0.3, random_state=3, format="csr")
    for est in (knnkit.KNeighborsTransformer(n_neighbors=3).fit(X), knnkit.NearestNeighbors(n_neighbors=3).fit(X)):
        back = pickle.loads(pickle.dumps(est))
        assert back._remote.saved is None
        assert_array_equal(back.kneighbors(X[:5])[1], est.kneighbors(X[:5])[1])


def test_a_damaged_pickle_of_these_kinds_is_refused_clearly(rng):
    X = rng.random((60, 3))
    for est in (knnkit.LocalOutlierFactor(novelty=True).fit(X), knnkit.KNNImputer().fit(with_missing(X, 0.2, 5))):
        state = pickle.loads(pickle.dumps(est))
        saved = bytearray(state._remote.saved)
        saved[len(saved) // 2] ^= 0x10
        state._remote.saved = bytes(saved)
        with pytest.raises(ValueError, match="checksum mismatch"):
            (state.score_samples if hasattr(state, "score_samples") else state.transform)(X[:3])


# Checks skipped, per estimator, with the reason: none (the radius classifier needs an outlier label, as
# the check data leaves rows without neighbours within the default radius)
EXPECTED_FAILED: dict = {}


@pytest.mark.parametrize(
    "estimator",
    [
        knnkit.RadiusNeighborsClassifier(outlier_label="most_frequent"),
        knnkit.RadiusNeighborsRegressor(),
        knnkit.KNeighborsTransformer(),
        knnkit.RadiusNeighborsTransformer(radius=5.0),
        knnkit.LocalOutlierFactor(),
        knnkit.LocalOutlierFactor(novelty=True),
        knnkit.NearestCentroid(),
        knnkit.KNNImputer(),
    ],
    ids=lambda e: type(e).__name__ + ("(novelty)" if getattr(e, "novelty", False) else ""),
)
def test_check_estimator(estimator):
    check_estimator(estimator, expected_failed_checks=EXPECTED_FAILED.get(type(estimator).__name__, {}))


@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize("algorithm", ["brute", "kd_tree"])
def test_multi_output_kneighbors(rng, weights, algorithm):
    X = rng.random((300, 3))
    Q = rng.random((50, 3))
    Y = np.stack([(X[:, 0] > 0.5).astype(int), np.array(["a", "b", "c"])[(X[:, 1] * 3).astype(int)]], axis=1)
    ours, theirs = both("KNeighborsClassifier", n_neighbors=4, weights=weights, algorithm=algorithm)
    assert_array_equal(ours.fit(X, Y).predict(Q), theirs.fit(X, Y).predict(Q))
    for a, b in zip(ours.predict_proba(Q), theirs.predict_proba(Q)):
        assert_allclose(a, b, rtol=1e-12)
    assert [list(c) for c in ours.classes_] == [list(c) for c in theirs.classes_]
    Yr = np.stack([X[:, 0] * 2, X[:, 1] - X[:, 2], X[:, 2]], axis=1)
    ours, theirs = both("KNeighborsRegressor", n_neighbors=4, weights=weights, algorithm=algorithm)
    assert_allclose(ours.fit(X, Yr).predict(Q), theirs.fit(X, Yr).predict(Q), rtol=1e-12)
    assert_allclose(ours.fit(X, Yr[:, :1]).predict(Q), theirs.fit(X, Yr[:, :1]).predict(Q), rtol=1e-12)  # a column stays 2-D
    assert ours.score(Q, Yr[:50, :1]) == pytest.approx(theirs.score(Q, Yr[:50, :1]))
    Xd, yd = diabetes()
    Yd = np.stack([yd, Xd[:, 0]], axis=1)
    assert_allclose(ours.fit(Xd, Yd).predict(Xd[:60]), theirs.fit(Xd, Yd).predict(Xd[:60]), rtol=1e-12)
