"""KDTree and BallTree with scikit-learn's query / query_radius signatures."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_array

from ._estimators import _object_rows
from ._backend import default_backend
from ._remote import Remote

_TREE_METRICS = ("minkowski", "euclidean", "l2", "manhattan", "cityblock", "l1", "chebyshev", "infinity")


class _Tree:
    _kind = ""

    def __init__(self, X, leaf_size=40, metric="minkowski", **kwargs):
        X = check_array(X, dtype=[np.float64, np.float32], order="C")
        if metric not in _TREE_METRICS:
            raise ValueError(f"metric {metric!r} is not valid for {type(self).__name__}")
        if not isinstance(leaf_size, numbers.Integral) or leaf_size < 1:
            raise ValueError("leaf_size must be greater than or equal to 1")
        p = kwargs.pop("p", 2)
        if kwargs:
            raise TypeError(f"unexpected arguments: {sorted(kwargs)}")
        params = {"leafSize": int(leaf_size), "metric": metric, "workers": 1}
        if metric == "minkowski":
            if p == np.inf:
                params["metric"] = "chebyshev"
            else:
                params["p"] = float(p)
        self.leaf_size = leaf_size
        self.metric = metric
        self.p = p
        self.data = X
        self._remote = Remote(default_backend(), self._kind, params, X)

    @property
    def n_features(self):
        return self.data.shape[1] if self.data is not None else self._remote.info["cols"]

    def _queries(self, X):
        X = check_array(X, dtype=[np.float64, np.float32], order="C", ensure_2d=False)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        if X.shape[1] != self._remote.info["cols"]:
            raise ValueError("query data dimension must match training data dimension")
        return X

    def query(self, X, k=1, return_distance=True, dualtree=False, breadth_first=False, sort_results=True):
        X = self._queries(X)
        if not isinstance(k, numbers.Integral) or k < 1 or k > self._remote.info["rows"]:
            raise ValueError("k must be less than or equal to the number of training points")
        dist, ind = self._remote.backend.kneighbors(self._remote.live_handle(), X, int(k))
        ind = ind.astype(np.intp)
        return (np.array(dist, dtype=np.float64), ind) if return_distance else ind

    def query_radius(self, X, r, return_distance=False, count_only=False, sort_results=False):
        if count_only and return_distance:
            raise ValueError("count_only and return_distance cannot both be true")
        if sort_results and not return_distance:
            raise ValueError("return_distance must be True if sort_results is True")
        X = self._queries(X)
        r = np.asarray(r, dtype=np.float64)
        radii = np.broadcast_to(r, (X.shape[0],)) if r.ndim else None
        if radii is not None and r.shape not in ((), (X.shape[0],)):
            raise ValueError("r must be a scalar or of shape (n_queries,)")
        groups = [(np.arange(X.shape[0]), float(r))] if radii is None else [
            (np.flatnonzero(radii == value), float(value)) for value in np.unique(radii)
        ]
        counts = np.zeros(X.shape[0], dtype=np.intp)
        ind_rows = [None] * X.shape[0]
        dist_rows = [None] * X.shape[0]
        for rows, radius in groups:
            offsets, ind, dist = self._remote.backend.radius(
                self._remote.live_handle(), X[rows], radius, sort_results, count_only
            )
            counts[rows] = np.diff(offsets)
            if count_only:
                continue
            for j, row in enumerate(rows):
                ind_rows[row] = ind[offsets[j]:offsets[j + 1]].astype(np.intp)
                dist_rows[row] = np.array(dist[offsets[j]:offsets[j + 1]], dtype=np.float64)
        if count_only:
            return counts
        if return_distance:
            return _object_rows(ind_rows), _object_rows(dist_rows)
        return _object_rows(ind_rows)

    def __getstate__(self):
        state = dict(self.__dict__)
        return state


class KDTree(_Tree):
    """KDTree for fast generalized N-point problems (scikit-learn's API, knnkit's engine)."""

    _kind = "KDTree"


class BallTree(_Tree):
    """BallTree for fast generalized N-point problems (scikit-learn's API, knnkit's engine)."""

    _kind = "BallTree"
