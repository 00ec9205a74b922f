"""The estimators without scikit-learn (and without numpy if need be): for Pyodide.

Same class names, parameters and methods as the scikit-learn-based ones, on a
minimal base class with get_params / set_params. Inputs: numpy arrays when numpy
is there, else any 2-D buffer (memoryview of float64/float32) or a list of rows.
Outputs: numpy arrays when numpy is there, else memoryviews (2-D where
scikit-learn returns 2-D) and lists of labels.
"""

from __future__ import annotations

import array
import inspect
import math

try:
    import numpy as np
except ImportError:
    np = None

from ._backend import default_backend
from ._errors import NotFittedError
from ._params import NeighborsParams, WeightedParams, engine_params
from ._remote import Remote


class MinimalEstimator:
    """get_params / set_params / repr from the __init__ signature, as scikit-learn's BaseEstimator."""

    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        valid = self._param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"Invalid parameter {key!r} for estimator {type(self).__name__}. Valid parameters are: {valid!r}.")
            setattr(self, key, value)
        return self

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def as_matrix(X, what="X"):
    """A C-contiguous 2-D float64/float32 buffer (a numpy array when numpy is there)."""
    if np is not None and not isinstance(X, memoryview):
        try:
            a = np.asarray(X)
        except ValueError as e:
            raise ValueError(f"{what}: {e}") from None
        if a.dtype.kind not in "fiub":
            raise ValueError(f"{what} must be numeric, got dtype {a.dtype}")
        if a.dtype not in (np.float32, np.float64):
            a = a.astype(np.float64)
        if a.ndim != 2:
            raise ValueError(f"Expected 2D array, got {a.ndim}D array instead")
        if a.shape[0] == 0 or a.shape[1] == 0:
            raise ValueError(f"Found array with shape {a.shape}: {what} is empty")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"Input {what} contains NaN or infinity.")
        return np.ascontiguousarray(a)
    if isinstance(X, (list, tuple)):
        if not X:
            raise ValueError(f"{what} is empty")
        cols = len(X[0])
        flat = array.array("d")
        for i, row in enumerate(X):
            if len(row) != cols:
                raise ValueError(f"{what} has ragged rows: row {i} has {len(row)} values, row 0 has {cols}")
            for v in row:
                if isinstance(v, (str, bytes)):
                    raise ValueError(f"{what} must be numeric, found {v!r}")
                v = float(v)
                if not math.isfinite(v):
                    raise ValueError(f"Input {what} contains NaN or infinity.")
                flat.append(v)
        if cols == 0:
            raise ValueError(f"{what} has zero columns")
        return memoryview(flat).cast("B").cast("d", [len(X), cols])
    mv = memoryview(X)
    if mv.ndim != 2:
        raise ValueError(f"{what} must be a 2-D buffer; cast a flat one: memoryview(a).cast('B').cast('d', [rows, cols])")
    if mv.format not in ("d", "f"):
        raise ValueError(f"{what} must hold float64 ('d') or float32 ('f') values, got format {mv.format!r}")
    if not mv.c_contiguous:
        raise ValueError(f"{what} must be C-contiguous")
    return mv


def _rows(X):
    return X.shape[0]


def _labels_out(values):
    return np.asarray(values) if np is not None else list(values)


class _Base(MinimalEstimator):
    _kind = ""

    def _fit(self, X, y=None):
        X = as_matrix(X)
        self._remote = Remote(default_backend(), self._kind, engine_params(self, self.n_neighbors), X, y)
        self.n_samples_fit_ = _rows(X)
        self.n_features_in_ = X.shape[1]
        return self

    def _fitted(self):
        if not hasattr(self, "_remote"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator.")
        return self._remote

    def _query(self, X):
        X = as_matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting {self.n_features_in_} features as input.")
        return X

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        remote = self._fitted()
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        engine_params(self, k)
        if X is not None:
            X = self._query(X)
            if k > self.n_samples_fit_:
                raise ValueError(f"Expected n_neighbors <= n_samples_fit, but n_neighbors = {k}, n_samples_fit = {self.n_samples_fit_}")
        elif k >= self.n_samples_fit_:
            raise ValueError(f"Expected n_neighbors < n_samples_fit when querying the training data, but n_neighbors = {k}")
        dist, ind = remote.backend.kneighbors(remote.live_handle(), X, k)
        return (dist, ind) if return_distance else ind

    def radius_neighbors(self, X=None, radius=None, return_distance=True, sort_results=False):
        remote = self._fitted()
        if X is not None:
            X = self._query(X)
        r = self.radius if radius is None else radius
        offsets, ind, dist = remote.backend.radius(remote.live_handle(), X, r, sort_results, False)
        ind_rows = [ind[offsets[i]:offsets[i + 1]] for i in range(len(offsets) - 1)]
        dist_rows = [dist[offsets[i]:offsets[i + 1]] for i in range(len(offsets) - 1)]
        return (dist_rows, ind_rows) if return_distance else ind_rows


class NearestNeighbors(NeighborsParams, _Base):
    _kind = "NearestNeighbors"

    def fit(self, X, y=None):
        return self._fit(X)


class KNeighborsClassifier(WeightedParams, _Base):
    _kind = "KNeighborsClassifier"

    def fit(self, X, y):
        labels = list(y.tolist() if hasattr(y, "tolist") else y)
        X = as_matrix(X)
        if len(labels) != _rows(X):
            raise ValueError(f"Found input variables with inconsistent numbers of samples: [{_rows(X)}, {len(labels)}]")
        classes = sorted(set(labels))
        code = {c: i for i, c in enumerate(classes)}
        codes = array.array("d", (code[v] for v in labels))
        self.classes_ = _labels_out(classes)
        return self._fit(X, memoryview(codes))

    def predict(self, X):
        remote = self._fitted()
        codes = remote.backend.predict(remote.live_handle(), self._query(X))
        classes = list(self.classes_)
        return _labels_out([classes[int(c)] for c in codes])

    def predict_proba(self, X):
        remote = self._fitted()
        return remote.backend.predict_proba(remote.live_handle(), self._query(X))

    def score(self, X, y):
        pred = list(self.predict(X))
        y = list(y)
        return sum(a == b for a, b in zip(pred, y)) / len(y)


class KNeighborsRegressor(WeightedParams, _Base):
    _kind = "KNeighborsRegressor"

    def fit(self, X, y):
        values = array.array("d", (float(v) for v in (y.tolist() if hasattr(y, "tolist") else y)))
        X = as_matrix(X)
        if len(values) != _rows(X):
            raise ValueError(f"Found input variables with inconsistent numbers of samples: [{_rows(X)}, {len(values)}]")
        return self._fit(X, memoryview(values))

    def predict(self, X):
        remote = self._fitted()
        return remote.backend.predict(remote.live_handle(), self._query(X))

    def score(self, X, y):
        pred = list(self.predict(X))
        y = [float(v) for v in y]
        mean = sum(y) / len(y)
        ss_res = sum((a - b) ** 2 for a, b in zip(y, pred))
        ss_tot = sum((a - mean) ** 2 for a in y)
        return 1 - ss_res / ss_tot if ss_tot > 0 else float(ss_res == 0)


class _Tree:
    _kind = ""

    def __init__(self, X, leaf_size=40, metric="minkowski", **kwargs):
        X = as_matrix(X)
        p = kwargs.pop("p", 2)
        params = {"leafSize": int(leaf_size), "metric": "chebyshev" if p == math.inf else metric, "workers": 1}
        if metric == "minkowski" and p != math.inf:
            params["p"] = float(p)
        self._remote = Remote(default_backend(), self._kind, params, X)
        self._cols = X.shape[1]

    def query(self, X, k=1, return_distance=True, dualtree=False, breadth_first=False, sort_results=True):
        X = as_matrix(X)
        if X.shape[1] != self._cols:
            raise ValueError("query data dimension must match training data dimension")
        dist, ind = self._remote.backend.kneighbors(self._remote.live_handle(), X, int(k))
        return (dist, ind) if return_distance else ind

    def query_radius(self, X, r, return_distance=False, count_only=False, sort_results=False):
        X = as_matrix(X)
        offsets, ind, dist = self._remote.backend.radius(self._remote.live_handle(), X, float(r), sort_results, count_only)
        counts = [offsets[i + 1] - offsets[i] for i in range(len(offsets) - 1)]
        if count_only:
            return _labels_out(counts)
        ind_rows = [ind[offsets[i]:offsets[i + 1]] for i in range(len(counts))]
        if return_distance:
            return ind_rows, [dist[offsets[i]:offsets[i + 1]] for i in range(len(counts))]
        return ind_rows


class KDTree(_Tree):
    _kind = "KDTree"


class BallTree(_Tree):
    _kind = "BallTree"
