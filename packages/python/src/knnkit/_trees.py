"""KDTree and BallTree with scikit-learn's query / query_radius signatures, on the knnkit engine."""

from __future__ import annotations

from . import _arrays as arr
from ._arrays import as_matrix
from ._backend import default_backend
from ._display import FittedDisplay
from ._remote import Remote


class _Tree(FittedDisplay):
    _kind = ""

    def __init__(self, X, leaf_size=40, metric="minkowski", sample_weight=None, **kwargs):
        if hasattr(X, "tocsr") and hasattr(X, "nnz"):  # scipy.sparse
            raise TypeError("Sparse data was passed, but dense data is required. Use '.toarray()' to convert to a dense numpy array.")
        X = as_matrix(X)
        self.leaf_size = leaf_size
        self.metric = metric
        self.metric_params = kwargs
        self.data = X
        self.sample_weight = None if sample_weight is None else arr.target(sample_weight, arr.shape(X)[0], numeric=True)
        self.sum_weight = arr.shape(X)[0] if sample_weight is None else float(sum(self.sample_weight))
        params = {"leaf_size": leaf_size, "metric": metric, "metric_params": kwargs}
        self._remote = Remote(default_backend(), self._kind, params, X)

    def _queries(self, X):
        X = as_matrix(X) if arr.np is None else as_matrix(arr.np.atleast_2d(arr.np.asarray(X)))
        if X.shape[1] != self._remote.info["cols"]:
            raise ValueError("query data dimension must match training data dimension")
        return X

    def query(self, X, k=1, return_distance=True, dualtree=False, breadth_first=False, sort_results=True):
        """The k nearest training rows of each row of X: (distances, indices) or indices."""
        result, arrays = self._remote.call("kneighbors", {"X": self._queries(X)}, k=k)
        shape = (result["rows"], result["k"])
        ind = arr.indices(arr.reshape(arrays["indices"], shape))
        return (arr.floats(arr.reshape(arrays["distances"], shape)), ind) if return_distance else ind

    def query_radius(self, X, r, return_distance=False, count_only=False, sort_results=False):
        """Training rows within r of each row of X (r a scalar, or one radius per row with numpy)."""
        if count_only and return_distance:
            raise ValueError("count_only and return_distance cannot both be true")
        if sort_results and not return_distance:
            raise ValueError("return_distance must be True if sort_results is True")
        X = self._queries(X)
        rows = arr.shape(X)[0]
        np = arr.np
        if np is not None and np.ndim(r) > 0:
            radii = np.asarray(r, dtype=np.float64)
            if radii.shape != (rows,):
                raise ValueError("r must be a scalar or of shape (n_queries,)")
            groups = [(np.flatnonzero(radii == value), float(value)) for value in np.unique(radii)]
        else:
            groups = [(None, r)]
        counts = [0] * rows
        ind_rows = [None] * rows
        dist_rows = [None] * rows
        for where, radius in groups:
            _, arrays = self._remote.call(
                "radius", {"X": X if where is None else X[where]}, radius=radius, sort=bool(sort_results), count_only=bool(count_only)
            )
            offsets = arrays["offsets"]
            positions = range(rows) if where is None else where.tolist()
            part_counts = arr.counts(offsets)
            part_ind = None if count_only else arr.ragged(offsets, arrays["indices"], as_float=False)
            part_dist = None if count_only else arr.ragged(offsets, arrays["distances"], as_float=True)
            for j, row in enumerate(positions):
                counts[row] = part_counts[j]
                if not count_only:
                    ind_rows[row] = part_ind[j]
                    dist_rows[row] = part_dist[j]
        if count_only:
            return np.asarray(counts, dtype=np.intp) if np is not None else counts
        ind = _object_rows(ind_rows)
        return (ind, _object_rows(dist_rows)) if return_distance else ind


    def kernel_density(self, X, h, kernel="gaussian", atol=0, rtol=1e-8, breadth_first=True, return_log=False):
        """Kernel density estimate at each row of X (sum over the training rows, normalised kernel; see KernelDensity)."""
        inputs = {"X": self._queries(X)}
        if self.sample_weight is not None:
            inputs["y"] = self.sample_weight
        _, arrays = self._remote.call(
            "kernel_density", inputs, h=h, kernel=kernel, atol=atol, rtol=rtol, breadth_first=bool(breadth_first), return_log=bool(return_log)
        )
        return arr.floats(arrays["density"])

    def two_point_correlation(self, X, r, dualtree=False):
        """Numbers of (row of X, training row) pairs within each radius; as scikit-learn's, in increasing order of r."""
        radii = sorted(float(v) for v in (r.tolist() if hasattr(r, "tolist") else r))
        _, arrays = self._remote.call("two_point_correlation", {"X": self._queries(X)}, r=radii)
        counts = [int(c) for c in arrays["counts"]]
        return arr.np.asarray(counts, dtype=arr.np.intp) if arr.np is not None else counts


def _object_rows(rows):
    np = arr.np
    if np is None:
        return rows
    out = np.empty(len(rows), dtype=object)
    out[:] = rows
    return out


class KDTree(_Tree):
    """KDTree for fast generalized N-point problems (scikit-learn's API, knnkit's engine)."""

    _kind = "KDTree"


class BallTree(_Tree):
    """BallTree for fast generalized N-point problems (scikit-learn's API, knnkit's engine)."""

    _kind = "BallTree"
