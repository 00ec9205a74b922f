"""Issue 16: metric_params metrics (seuclidean, mahalanobis, weighted minkowski, haversine), KernelDensity and the
trees' kernel_density / two_point_correlation, each equal to scikit-learn's."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import datasets
from sklearn import neighbors as skn
from sklearn.utils.estimator_checks import check_estimator

import knnkit


def _data(name):
    if name == "random":
        rng = np.random.default_rng(16)
        return rng.normal(size=(400, 5)), rng.normal(size=(40, 5))
    X = {"iris": datasets.load_iris, "diabetes": datasets.load_diabetes, "digits": datasets.load_digits}[name]().data
    X = X[:, :12] if name == "digits" else X  # 12 of the 64 pixel columns keep the trees in play (auto -> brute past 15)
    rng = np.random.default_rng(7)
    return X, X[rng.choice(len(X), 40, replace=False)] + rng.normal(scale=1e-3, size=(40, X.shape[1]))


def _metric_params(metric, X):
    d = X.shape[1]
    rng = np.random.default_rng(d)
    if metric == "seuclidean":
        return {"V": X.var(axis=0) + 0.1}
    if metric == "mahalanobis":
        return {"VI": np.linalg.inv(np.cov(X.T) + np.eye(d))}
    return {"w": rng.random(d) + 0.1, "p": 3}


def _same_neighbours(ours, theirs_k1, k):
    """Distances equal; neighbour sets equal on every row whose k-th and (k+1)-th distances differ (no tie at the cut)."""
    (d, i), (D, I) = ours, theirs_k1
    np.testing.assert_allclose(d, D[:, :k], rtol=1e-9, atol=1e-12)
    clear = D[:, k] - D[:, k - 1] > 1e-9 * (1 + D[:, k])
    assert clear.mean() > 0.5
    for row in np.flatnonzero(clear):
        assert set(i[row]) == set(I[row, :k])


ALGORITHMS = {"seuclidean": ["auto", "brute", "ball_tree"], "mahalanobis": ["auto", "brute", "ball_tree"], "minkowski": ["auto", "brute", "ball_tree"]}


@pytest.mark.parametrize("dataset", ["random", "iris", "diabetes", "digits"])
@pytest.mark.parametrize("metric", ["seuclidean", "mahalanobis", "minkowski"])
def test_metric_params_equal_sklearn(dataset, metric):
    X, Q = _data(dataset)
    params = _metric_params(metric, X)
    k = 5
    for algorithm in ALGORITHMS[metric]:
        theirs = skn.NearestNeighbors(n_neighbors=k + 1, algorithm=algorithm, metric=metric, metric_params=params).fit(X)
        ours = knnkit.NearestNeighbors(n_neighbors=k, algorithm=algorithm, metric=metric, metric_params=params).fit(X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-learn warns that brute force ignores w for p=2 (not here) and similar
            _same_neighbours(ours.kneighbors(Q), theirs.kneighbors(Q), k)
        assert ours._fit_method == theirs._fit_method
        assert ours.effective_metric_ == theirs.effective_metric_
        r = float(np.median(theirs.kneighbors(Q)[0][:, k]))
        got = ours.radius_neighbors(Q, r, return_distance=False)
        want = theirs.radius_neighbors(Q, r, return_distance=False)
        assert all(set(a) == set(b) for a, b in zip(got, want))
    # the trees take the same parameters as keyword arguments; scikit-learn's KDTree accepts w but its node bounds
    # ignore it (it misses neighbours), so its BallTree is the reference for both of ours
    want = skn.BallTree(X, metric=metric, **params).query(Q, k=k + 1)
    for Tree in (knnkit.KDTree, knnkit.BallTree) if metric == "minkowski" else (knnkit.BallTree,):
        _same_neighbours(Tree(X, metric=metric, **params).query(Q, k=k), want, k)


def _latlon(n, seed):
    rng = np.random.default_rng(seed)
    return np.c_[rng.uniform(-np.pi / 2, np.pi / 2, n), rng.uniform(-np.pi, np.pi, n)]


@pytest.mark.parametrize("algorithm", ["auto", "brute", "ball_tree"])
def test_haversine_equal_sklearn(algorithm):
    X, Q = _latlon(500, 1), _latlon(30, 2)
    k = 4
    theirs = skn.NearestNeighbors(n_neighbors=k + 1, algorithm=algorithm, metric="haversine").fit(X)
    ours = knnkit.NearestNeighbors(n_neighbors=k, algorithm=algorithm, metric="haversine").fit(X)
    _same_neighbours(ours.kneighbors(Q), theirs.kneighbors(Q), k)
    assert ours._fit_method == theirs._fit_method
    clf = knnkit.KNeighborsClassifier(metric="haversine").fit(X, (X[:, 0] > 0).astype(int))
    sk_clf = skn.KNeighborsClassifier(metric="haversine").fit(X, (X[:, 0] > 0).astype(int))
    np.testing.assert_array_equal(clf.predict(Q), sk_clf.predict(Q))


def test_haversine_iris_in_radians():
    X = np.radians(datasets.load_iris().data[:, :2] * [10, 20] - [60, 100])
    _same_neighbours(knnkit.BallTree(X, metric="haversine").query(X[:50], k=3), skn.BallTree(X, metric="haversine").query(X[:50], k=4), 3)


@pytest.mark.parametrize("dataset", ["random", "iris", "diabetes"])
def test_precomputed_equal_sklearn(dataset):
    from scipy.spatial.distance import cdist

    X, Q = _data(dataset)
    D, DQ = cdist(X, X), cdist(Q, X)
    y = (X[:, 0] > np.median(X[:, 0])).astype(int)
    k = 5
    ours = knnkit.NearestNeighbors(n_neighbors=k, metric="precomputed").fit(D)
    theirs = skn.NearestNeighbors(n_neighbors=k + 1, metric="precomputed").fit(D)
    assert ours._fit_method == "brute"
    _same_neighbours(ours.kneighbors(DQ), theirs.kneighbors(DQ), k)
    # without X: each training row's neighbours, itself left out
    d, i = ours.kneighbors()
    D2, I2 = theirs.kneighbors(n_neighbors=k)
    np.testing.assert_allclose(d, D2)
    clf, sk_clf = knnkit.KNeighborsClassifier(metric="precomputed").fit(D, y), skn.KNeighborsClassifier(metric="precomputed").fit(D, y)
    np.testing.assert_allclose(clf.predict_proba(DQ), sk_clf.predict_proba(DQ))
    reg, sk_reg = knnkit.KNeighborsRegressor(metric="precomputed", weights="distance").fit(D, X[:, 1]), skn.KNeighborsRegressor(metric="precomputed", weights="distance").fit(D, X[:, 1])
    np.testing.assert_allclose(reg.predict(DQ), sk_reg.predict(DQ), rtol=1e-12)
    assert ours.__sklearn_tags__().input_tags.pairwise
    with pytest.raises(ValueError, match="Negative values"):
        knnkit.NearestNeighbors(metric="precomputed").fit(-D)
    with pytest.raises(ValueError, match="Negative values"):
        ours.kneighbors(-DQ)
    with pytest.raises(ValueError, match="must be square"):
        knnkit.NearestNeighbors(metric="precomputed").fit(D[:, :10])
    with pytest.raises(ValueError, match="not supported by kd_tree"):
        knnkit.NearestNeighbors(metric="precomputed", algorithm="kd_tree").fit(D)
    with pytest.raises(ValueError, match="features"):
        ours.kneighbors(DQ[:, :10])


KERNELS = ["gaussian", "tophat", "epanechnikov", "exponential", "linear", "cosine"]


def _assert_density_close(ours_log, theirs_log):
    # densities (not logs) to 1e-6 relative; where the true density is 0 (compact kernels) scikit-learn's log-space
    # bounds leave ~1e-16 of the largest density instead of 0 (the exact check below holds ours to 0 there)
    theirs = np.exp(theirs_log)
    np.testing.assert_allclose(np.exp(ours_log), theirs, rtol=1e-6, atol=1e-12 * theirs.max())


def _exact_log_density(X, Q, h, kernel, weights=None):
    """The density summed over every training row in numpy (euclidean)."""
    from scipy.spatial.distance import cdist
    from scipy.special import gammaln

    d = cdist(Q, X) / h
    inside = d < 1
    K = {
        "gaussian": np.exp(-0.5 * d * d),
        "tophat": inside * 1.0,
        "epanechnikov": inside * (1 - d * d),
        "exponential": np.exp(-d),
        "linear": inside * (1 - d),
        "cosine": inside * np.cos(0.5 * np.pi * np.minimum(d, 1)),
    }[kernel]
    w = np.ones(len(X)) if weights is None else weights
    n = X.shape[1]
    log_vn = 0.5 * n * np.log(np.pi) - gammaln(0.5 * n + 1)
    # log surface of the unit (n-1)-sphere: log(2 pi) + log V(n-2)
    log_sn = np.log(2 * np.pi) + 0.5 * (n - 2) * np.log(np.pi) - gammaln(0.5 * (n - 2) + 1)
    if kernel == "cosine":
        factor, tmp = 0.0, 2 / np.pi
        for k in range(1, n + 1, 2):
            factor += tmp
            tmp *= -(n - k) * (n - k - 1) * (2 / np.pi) ** 2
    factor = {
        "gaussian": 0.5 * n * np.log(2 * np.pi),
        "tophat": log_vn,
        "epanechnikov": log_vn + np.log(2 / (n + 2)),
        "exponential": log_sn + gammaln(n),
        "linear": log_vn - np.log(n + 1),
        "cosine": np.log(factor) + log_sn if kernel == "cosine" else 0,
    }[kernel] if kernel != "cosine" or factor > 0 else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(K @ w) - factor - n * np.log(h) - np.log(w.sum())


@pytest.mark.parametrize("dataset", ["random", "iris", "diabetes", "digits"])
@pytest.mark.parametrize("kernel", KERNELS)
def test_kernel_density_equal_sklearn(dataset, kernel):
    X, Q = _data(dataset)
    scale = X.std()
    for algorithm, bandwidth in [("kd_tree", 0.5 * scale), ("ball_tree", "scott"), ("auto", "silverman")]:
        bw = bandwidth if isinstance(bandwidth, str) else float(bandwidth)
        theirs = skn.KernelDensity(kernel=kernel, algorithm=algorithm, bandwidth=bw).fit(X)
        ours = knnkit.KernelDensity(kernel=kernel, algorithm=algorithm, bandwidth=bw).fit(X)
        assert ours.bandwidth_ == pytest.approx(theirs.bandwidth_, rel=1e-15)
        for data in (Q, X[:50]):
            got = ours.score_samples(data)
            _assert_density_close(got, theirs.score_samples(data))
            np.testing.assert_allclose(np.exp(got), np.exp(_exact_log_density(X, data, ours.bandwidth_, kernel)), rtol=1e-9, atol=0)
        # (scikit-learn's cosine normalisation is NaN in even dimensions; ours is the same formula, so NaN as well)
        np.testing.assert_allclose(ours.score(X[:50]), theirs.score(X[:50]), rtol=1e-9)


@pytest.mark.parametrize("breadth_first", [True, False])
def test_kernel_density_weights_metrics_and_tolerance(breadth_first):
    X, Q = _data("random")
    w = np.random.default_rng(3).random(len(X))
    for kwargs in [{}, {"metric": "manhattan"}, {"metric": "seuclidean", "metric_params": {"V": X.var(0)}}, {"metric": "chebyshev"}]:
        theirs = skn.KernelDensity(bandwidth=0.7, breadth_first=breadth_first, **kwargs).fit(X, sample_weight=w)
        ours = knnkit.KernelDensity(bandwidth=0.7, breadth_first=breadth_first, **kwargs).fit(X, sample_weight=w)
        _assert_density_close(ours.score_samples(Q), theirs.score_samples(Q))
    # with tolerances the answer stays within atol + rtol * density of the exact one
    exact = np.exp(skn.KernelDensity(bandwidth=0.3).fit(X).score_samples(Q))
    for atol, rtol in [(0, 1e-3), (1e-3, 0), (1e-4, 1e-2)]:
        got = np.exp(knnkit.KernelDensity(bandwidth=0.3, atol=atol, rtol=rtol, breadth_first=breadth_first).fit(X).score_samples(Q))
        assert np.all(np.abs(got - exact) <= atol + rtol * exact + 1e-15)


def test_tree_kernel_density_and_two_point_correlation():
    X, Q = _data("iris")
    for Ours, Theirs in [(knnkit.KDTree, skn.KDTree), (knnkit.BallTree, skn.BallTree)]:
        ours, theirs = Ours(X), Theirs(X)
        for kernel in KERNELS:
            for return_log in (False, True):
                got = ours.kernel_density(Q, h=0.6, kernel=kernel, rtol=0, return_log=return_log)
                want = theirs.kernel_density(Q, h=0.6, kernel=kernel, rtol=0, return_log=return_log)
                if return_log:
                    _assert_density_close(got, want)
                else:
                    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-14)
        r = np.array([0.1, 0.5, 1.0, 2.0, 0.3])
        np.testing.assert_array_equal(ours.two_point_correlation(Q, r), theirs.two_point_correlation(Q, r))
        np.testing.assert_array_equal(ours.two_point_correlation(X, [0.5]), theirs.two_point_correlation(X, [0.5]))


def test_sample_equals_sklearn():
    X, _ = _data("iris")
    w = np.random.default_rng(0).random(len(X))
    for kernel in ("gaussian", "tophat"):
        for weights in (None, w):
            theirs = skn.KernelDensity(kernel=kernel, bandwidth=0.4).fit(X, sample_weight=weights)
            ours = knnkit.KernelDensity(kernel=kernel, bandwidth=0.4).fit(X, sample_weight=weights)
            np.testing.assert_allclose(ours.sample(20, random_state=3), theirs.sample(20, random_state=3), rtol=1e-12)
    with pytest.raises(NotImplementedError):
        knnkit.KernelDensity(kernel="linear").fit(X).sample()


# check_estimator: KernelDensity passes every check; none is skipped by us (scikit-learn itself skips
# check_array_api_input unless SCIPY_ARRAY_API is set)
def test_kernel_density_check_estimator():
    check_estimator(knnkit.KernelDensity())


def test_bad_input():
    X, _ = _data("random")
    with pytest.raises(ValueError, match="kernel"):
        knnkit.KernelDensity(kernel="gausian").fit(X)
    with pytest.raises(ValueError, match="bandwidth"):
        knnkit.KernelDensity(bandwidth=0).fit(X)
    with pytest.raises(ValueError, match="kernel"):
        knnkit.KDTree(X).kernel_density(X, h=1, kernel="box")
    with pytest.raises(ValueError, match="haversine.*2-D"):
        knnkit.BallTree(X, metric="haversine")
    with pytest.raises(ValueError, match="haversine.*2-D"):
        knnkit.NearestNeighbors(metric="haversine", algorithm="brute").fit(X)
    singular = np.ones((5, 5))
    with pytest.raises(ValueError, match="positive definite"):
        knnkit.NearestNeighbors(metric="mahalanobis", metric_params={"VI": singular}).fit(X)
    with pytest.raises(ValueError, match="singular"):
        knnkit.BallTree(X, metric="mahalanobis", V=singular)
    with pytest.raises(ValueError, match="needs either V"):
        knnkit.BallTree(X, metric="mahalanobis")
    with pytest.raises(ValueError, match="not valid for kd_tree"):
        knnkit.KDTree(X, metric="seuclidean", V=np.ones(5))
    with pytest.raises(ValueError, match="not valid for kd_tree"):
        knnkit.NearestNeighbors(metric="haversine", algorithm="kd_tree").fit(X[:, :2])
    with pytest.raises(ValueError, match="kd_tree is not valid for metric minkowski with weights"):
        knnkit.NearestNeighbors(algorithm="kd_tree", metric_params={"w": np.ones(5)}).fit(X)
    with pytest.raises(ValueError, match="V has 3 values"):
        knnkit.NearestNeighbors(metric="seuclidean", metric_params={"V": np.ones(3)}).fit(X)
    with pytest.raises(ValueError, match="negative"):
        knnkit.NearestNeighbors(metric="minkowski", metric_params={"w": -np.ones(5)}).fit(X)
    with pytest.raises(ValueError, match="does not apply"):
        knnkit.NearestNeighbors(metric="euclidean", metric_params={"V": np.ones(5)}).fit(X)
    for Tree in (knnkit.KDTree, knnkit.BallTree):
        with pytest.raises(TypeError, match="Sparse data was passed"):
            Tree(sp.csr_matrix(X))
    with pytest.raises(ValueError, match="invalid metric"):
        knnkit.KernelDensity(metric="cosine").fit(X)
