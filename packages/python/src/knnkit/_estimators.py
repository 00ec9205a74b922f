"""scikit-learn's neighbours estimators, computed by the knnkit engine.

One implementation for every backend: parameters are forwarded to the engine
as they are (it checks them and answers with the error scikit-learn raises).
"""

from __future__ import annotations

from . import _arrays as arr
from ._backend import default_backend
from ._base import BaseEstimator, ClassifierMixin, RegressorMixin, fit_input, fitted_remote, query_input
from ._display import FittedDisplay
from ._remote import Remote


class _Neighbors(FittedDisplay, BaseEstimator):
    _kind = ""
    #: takes scipy.sparse X (as CSR; brute force with euclidean, manhattan or cosine)
    _sparse = True

    def _fit(self, X, y=None):
        backend = getattr(self, "backend", None) or default_backend()
        remote = Remote(backend, self._kind, self.get_params(deep=False), X, y)
        info = remote.info
        self._remote = remote
        self._fit_method = info["algorithm"]
        self.n_samples_fit_ = info["rows"]
        metric_params = dict(self.metric_params or {})
        self.effective_metric_ = self.metric
        if self.metric == "minkowski":
            p = metric_params.pop("p", self.p)
            named = {1: "manhattan", 2: "euclidean", float("inf"): "chebyshev"}.get(p)
            if named is not None and metric_params.get("w") is None:
                self.effective_metric_ = named
                metric_params.pop("w", None)
            else:
                metric_params = {"p": p, "w": metric_params.pop("w", None), **metric_params}
        self.effective_metric_params_ = metric_params
        return self

    def _query(self, X):
        return None if X is None else query_input(self, X)

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True, return_certified=False):
        """The n_neighbors nearest training rows of each row of X (without X: of each training row, itself excluded).

        With return_certified=True (algorithm="prefilter" only) a boolean array is appended: True where the
        answer is provably exact (always in prefilter_mode="exact").
        """
        remote = fitted_remote(self)
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        X = self._query(X)
        result, arrays = remote.call("kneighbors", None if X is None else {"X": X}, k=k)
        shape = (result["rows"], result["k"])
        ind = arr.indices(arr.reshape(arrays["indices"], shape))
        out = (arr.floats(arr.reshape(arrays["distances"], shape)), ind) if return_distance else (ind,)
        if return_certified:
            if "certified" not in arrays:
                raise ValueError('return_certified=True needs algorithm="prefilter"')
            out += (arr.np.asarray(arrays["certified"]).astype(bool),)
        return out if len(out) > 1 else out[0]

    def radius_neighbors(self, X=None, radius=None, return_distance=True, sort_results=False):
        """Training rows within radius of each row of X (without X: of each training row, itself excluded)."""
        remote = fitted_remote(self)
        if sort_results and not return_distance:
            raise ValueError("return_distance must be True if sort_results is True.")
        X = self._query(X)
        r = self.radius if radius is None else radius
        _, arrays = remote.call("radius", None if X is None else {"X": X}, radius=r, sort=bool(sort_results))
        ind = arr.ragged(arrays["offsets"], arrays["indices"], as_float=False)
        if not return_distance:
            return ind
        return arr.ragged(arrays["offsets"], arrays["distances"], as_float=True), ind

    def kneighbors_graph(self, X=None, n_neighbors=None, mode="connectivity"):
        """The k-neighbours graph as a scipy CSR matrix ("connectivity" or "distance")."""
        from scipy import sparse

        if mode not in ("connectivity", "distance"):
            raise ValueError(f"Unsupported mode, must be one of 'connectivity', or 'distance' but got {mode!r} instead")
        dist, ind = self.kneighbors(X, n_neighbors, return_distance=True)
        rows, k = ind.shape
        data = arr.np.ones(rows * k) if mode == "connectivity" else dist.ravel()
        return sparse.csr_matrix((data, ind.ravel(), arr.np.arange(0, rows * k + 1, k)), shape=(rows, self.n_samples_fit_))

    def radius_neighbors_graph(self, X=None, radius=None, mode="connectivity", sort_results=False):
        """The radius-neighbours graph as a scipy CSR matrix ("connectivity" or "distance")."""
        from scipy import sparse

        np = arr.np
        dist, ind = self.radius_neighbors(X, radius, return_distance=True, sort_results=sort_results)
        indptr = np.concatenate([[0], np.cumsum([len(a) for a in ind])])
        flat_ind = np.concatenate(list(ind)) if len(ind) else np.zeros(0, dtype=np.intp)
        data = np.ones(len(flat_ind)) if mode == "connectivity" else np.concatenate(list(dist))
        return sparse.csr_matrix((data, flat_ind, indptr), shape=(len(ind), self.n_samples_fit_))

    def _engine_score(self, X, y):
        remote = fitted_remote(self)
        X = self._query(X)
        result, _ = remote.call("score", {"X": X, "y": arr.target(y, arr.shape(X)[0], numeric=self._kind == "KNeighborsRegressor")})
        return result["score"]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = False
        tags.input_tags.pairwise = self.metric == "precomputed"
        return tags


class NearestNeighbors(_Neighbors):
    """Unsupervised learner for neighbour searches (scikit-learn's NearestNeighbors)."""

    _kind = "NearestNeighbors"

    def __init__(self, *, n_neighbors=5, radius=1.0, algorithm="auto", leaf_size=30, metric="minkowski", p=2,
                 metric_params=None, n_jobs=None, candidates=None, n_filter_features=None, halving_stages=None,
                 scoring=None, target_recall=None, prefilter_mode=None, prefilter_sort_key=None):
        self.n_neighbors = n_neighbors
        self.radius = radius
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.metric = metric
        self.p = p
        self.metric_params = metric_params
        self.n_jobs = n_jobs
        self.candidates = candidates
        self.n_filter_features = n_filter_features
        self.halving_stages = halving_stages
        self.scoring = scoring
        self.target_recall = target_recall
        self.prefilter_mode = prefilter_mode
        self.prefilter_sort_key = prefilter_sort_key

    def fit(self, X, y=None):
        X, _ = fit_input(self, X, supervised=False)
        return self._fit(X)


class _Weighted(_Neighbors):
    def __init__(self, n_neighbors=5, *, weights="uniform", algorithm="auto", leaf_size=30, p=2, metric="minkowski",
                 metric_params=None, n_jobs=None, candidates=None, n_filter_features=None, halving_stages=None,
                 scoring=None, target_recall=None, prefilter_mode=None, prefilter_sort_key=None):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.p = p
        self.metric = metric
        self.metric_params = metric_params
        self.n_jobs = n_jobs
        self.candidates = candidates
        self.n_filter_features = n_filter_features
        self.halving_stages = halving_stages
        self.scoring = scoring
        self.target_recall = target_recall
        self.prefilter_mode = prefilter_mode
        self.prefilter_sort_key = prefilter_sort_key


class KNeighborsClassifier(ClassifierMixin, _Weighted):
    """Classifier implementing the k-nearest neighbours vote (scikit-learn's KNeighborsClassifier)."""

    _kind = "KNeighborsClassifier"

    def fit(self, X, y):
        from ._neighbors_more import multi_output_fit

        if multi_output_fit(self, X, y, classifier=True):
            return self
        X, y = fit_input(self, X, y, classifier=True)
        self._fit(X, arr.target(y, arr.shape(X)[0], numeric=False))
        self.classes_ = arr.classes_array(self._remote.info["classes"], y)
        self.outputs_2d_ = False
        return self

    def predict(self, X):
        """The most probable class of each row of X (one column per output for a 2-D y)."""
        if getattr(self, "outputs_2d_", False):
            from ._neighbors_more import multi_output_predict

            return multi_output_predict(self, X)
        remote = fitted_remote(self)
        _, arrays = remote.call("predict", {"X": query_input(self, X)})
        return arr.take(self.classes_, arrays["codes"])

    def predict_proba(self, X):
        """Class probabilities of each row of X; columns follow classes_ (a list, one per output, for a 2-D y)."""
        if getattr(self, "outputs_2d_", False):
            from ._neighbors_more import multi_output_proba

            return multi_output_proba(self, X)
        remote = fitted_remote(self)
        _, arrays = remote.call("predict_proba", {"X": query_input(self, X)})
        return arr.floats(arrays["proba"])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        tags.target_tags.multi_output = True
        return tags


class KNeighborsRegressor(RegressorMixin, _Weighted):
    """Regression based on k-nearest neighbours (scikit-learn's KNeighborsRegressor)."""

    _kind = "KNeighborsRegressor"

    def fit(self, X, y):
        from ._neighbors_more import multi_output_fit

        self.outputs_2d_ = False
        if multi_output_fit(self, X, y, classifier=False):
            return self
        X, y = fit_input(self, X, y)
        return self._fit(X, arr.target(y, arr.shape(X)[0], numeric=True))

    def predict(self, X):
        """The weighted mean of the neighbours' targets for each row of X (rows × outputs for a 2-D y)."""
        if getattr(self, "outputs_2d_", False):
            from ._neighbors_more import multi_output_predict

            return multi_output_predict(self, X)
        remote = fitted_remote(self)
        _, arrays = remote.call("predict", {"X": query_input(self, X)})
        return arr.floats(arrays["values"])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
