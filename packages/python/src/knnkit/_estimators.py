"""scikit-learn-compatible estimators computed by the knnkit engine."""

from __future__ import annotations

import os

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._backend import default_backend
from ._params import NeighborsParams, WeightedParams, engine_params
from ._remote import Remote

class _NeighborsBase(BaseEstimator):
    _kind = ""

    def _engine_params(self, n_neighbors):
        return engine_params(self, n_neighbors)

    def _fit(self, X, y=None, kind=None):
        self._remote = Remote(self._backend_name(), kind or self._kind, self._engine_params(self.n_neighbors), X, y)
        info = self._remote.info
        self._fit_method = info.get("algorithm")
        self.n_samples_fit_ = X.shape[0]
        self.effective_metric_ = "euclidean" if self.metric == "minkowski" and self.p == 2 else self.metric
        self.effective_metric_params_ = dict(self.metric_params or {})
        return self

    def _backend_name(self):
        return getattr(self, "backend", None) or default_backend()

    def _check_query(self, X):
        return validate_data(self, X, reset=False, dtype=[np.float64, np.float32], order="C")

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """Finds the K-neighbors of a point (scikit-learn semantics)."""
        check_is_fitted(self)
        if n_neighbors is None:
            n_neighbors = self.n_neighbors
        self._engine_params(n_neighbors)
        if X is None:
            if n_neighbors >= self.n_samples_fit_:
                raise ValueError(
                    f"Expected n_neighbors < n_samples_fit when querying the training data, but n_neighbors = {n_neighbors}, n_samples_fit = {self.n_samples_fit_}"
                )
        else:
            X = self._check_query(X)
            if n_neighbors > self.n_samples_fit_:
                raise ValueError(
                    f"Expected n_neighbors <= n_samples_fit, but n_neighbors = {n_neighbors}, n_samples_fit = {self.n_samples_fit_}, n_samples = {X.shape[0]}"
                )
        dist, ind = self._remote.backend.kneighbors(self._remote.live_handle(), X, n_neighbors)
        ind = ind.astype(np.intp)
        return (np.array(dist, dtype=np.float64), ind) if return_distance else ind

    def kneighbors_graph(self, X=None, n_neighbors=None, mode="connectivity"):
        if mode not in ("connectivity", "distance"):
            raise ValueError(f"Unsupported mode, must be one of 'connectivity', or 'distance' but got {mode!r} instead")
        dist, ind = self.kneighbors(X, n_neighbors, return_distance=True)
        rows, k = ind.shape
        data = np.ones(rows * k) if mode == "connectivity" else dist.ravel()
        return sparse.csr_matrix((data, ind.ravel(), np.arange(0, rows * k + 1, k)), shape=(rows, self.n_samples_fit_))

    def radius_neighbors(self, X=None, radius=None, return_distance=True, sort_results=False):
        check_is_fitted(self)
        if radius is None:
            radius = self.radius
        if sort_results and not return_distance:
            raise ValueError("return_distance must be True if sort_results is True.")
        if X is not None:
            X = self._check_query(X)
        offsets, ind, dist = self._remote.backend.radius(self._remote.live_handle(), X, radius, sort_results, False)
        splits = offsets[1:-1]
        neigh_ind = _object_rows(np.split(ind.astype(np.intp), splits))
        if not return_distance:
            return neigh_ind
        return _object_rows(np.split(np.array(dist, dtype=np.float64), splits)), neigh_ind

    def radius_neighbors_graph(self, X=None, radius=None, mode="connectivity", sort_results=False):
        dist, ind = self.radius_neighbors(X, radius, return_distance=True, sort_results=sort_results)
        counts = np.array([len(a) for a in ind])
        indptr = np.concatenate([[0], np.cumsum(counts)])
        flat_ind = np.concatenate(list(ind)) if len(ind) else np.zeros(0, dtype=np.intp)
        data = np.ones(len(flat_ind)) if mode == "connectivity" else np.concatenate(list(dist))
        return sparse.csr_matrix((data, flat_ind, indptr), shape=(len(ind), self.n_samples_fit_))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags


def _object_rows(parts):
    out = np.empty(len(parts), dtype=object)
    out[:] = parts
    return out


class NearestNeighbors(NeighborsParams, _NeighborsBase):
    """Unsupervised learner for neighbor searches (scikit-learn's NearestNeighbors)."""

    _kind = "NearestNeighbors"

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=[np.float64, np.float32], order="C")
        return self._fit(X)


class KNeighborsClassifier(ClassifierMixin, WeightedParams, _NeighborsBase):
    """Classifier implementing the k-nearest neighbors vote (scikit-learn's KNeighborsClassifier)."""

    _kind = "KNeighborsClassifier"

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C")
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.outputs_2d_ = False
        return self._fit(X, codes.astype(np.float64))

    def predict(self, X):
        check_is_fitted(self)
        X = self._check_query(X)
        codes = self._remote.backend.predict(self._remote.live_handle(), X)
        return self.classes_[codes.astype(np.intp)]

    def predict_proba(self, X):
        check_is_fitted(self)
        X = self._check_query(X)
        return np.array(self._remote.backend.predict_proba(self._remote.live_handle(), X), dtype=np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class KNeighborsRegressor(RegressorMixin, WeightedParams, _NeighborsBase):
    """Regression based on k-nearest neighbors (scikit-learn's KNeighborsRegressor)."""

    _kind = "KNeighborsRegressor"

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C", y_numeric=True)
        if y.ndim != 1:
            raise ValueError("knnkit regression takes a 1-D target")
        return self._fit(X, np.asarray(y, dtype=np.float64))

    def predict(self, X):
        check_is_fitted(self)
        X = self._check_query(X)
        return np.array(self._remote.backend.predict(self._remote.live_handle(), X), dtype=np.float64)
