"""scikit-learn's KernelDensity on knnkit's trees: densities computed by the engine (the trees' kernel_density)."""

from __future__ import annotations

import math

from . import _arrays as arr
from ._base import SKLEARN, BaseEstimator, fit_input, query_input
from ._errors import InvalidParameterError, NotFittedError
from ._trees import BallTree, KDTree

_KERNELS = ("gaussian", "tophat", "epanechnikov", "exponential", "linear", "cosine")
_KD_METRICS = ("euclidean", "l2", "minkowski", "p", "manhattan", "cityblock", "l1", "chebyshev", "infinity")
_BALL_METRICS = _KD_METRICS + ("seuclidean", "mahalanobis", "haversine")


def _invalid(name, expected, value):
    return InvalidParameterError(f"The {name!r} parameter of KernelDensity must be {expected}. Got {value!r} instead.")


class KernelDensity(BaseEstimator):
    """Kernel density estimation (scikit-learn's KernelDensity), on knnkit's KD-tree or Ball tree."""

    def __init__(self, *, bandwidth=1.0, algorithm="auto", kernel="gaussian", metric="euclidean", atol=0, rtol=0,
                 breadth_first=True, leaf_size=40, metric_params=None):
        self.bandwidth = bandwidth
        self.algorithm = algorithm
        self.kernel = kernel
        self.metric = metric
        self.atol = atol
        self.rtol = rtol
        self.breadth_first = breadth_first
        self.leaf_size = leaf_size
        self.metric_params = metric_params

    def _check_params(self):
        bw = self.bandwidth
        if isinstance(bw, str):
            if bw not in ("scott", "silverman"):
                raise _invalid("bandwidth", "a float in the range (0.0, inf) or a str among {'scott', 'silverman'}", bw)
        elif isinstance(bw, bool) or not isinstance(bw, (int, float)) or not bw > 0:
            raise _invalid("bandwidth", "a float in the range (0.0, inf) or a str among {'scott', 'silverman'}", bw)
        if self.algorithm not in ("auto", "kd_tree", "ball_tree"):
            raise _invalid("algorithm", "a str among {'auto', 'kd_tree', 'ball_tree'}", self.algorithm)
        if self.kernel not in _KERNELS:
            raise _invalid("kernel", f"a str among {set(_KERNELS)}", self.kernel)
        for name in ("atol", "rtol"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
                raise _invalid(name, "a float in the range [0, inf)", v)
        if not isinstance(self.leaf_size, int) or isinstance(self.leaf_size, bool) or self.leaf_size < 1:
            raise _invalid("leaf_size", "an int in the range [1, inf)", self.leaf_size)

    def _choose_algorithm(self):
        if self.algorithm == "auto":
            if self.metric in _KD_METRICS:
                return "kd_tree"
            if self.metric in _BALL_METRICS:
                return "ball_tree"
        elif self.metric in (_KD_METRICS if self.algorithm == "kd_tree" else _BALL_METRICS):
            return self.algorithm
        raise ValueError(f"invalid metric for {self.algorithm}: {self.metric!r}")

    def fit(self, X, y=None, sample_weight=None):
        """Builds the tree over X (sample_weight: one non-negative weight per row)."""
        self._check_params()
        algorithm = self._choose_algorithm()
        X, _ = fit_input(self, X, supervised=False)
        rows, cols = arr.shape(X)
        weights = None
        if sample_weight is not None:
            if SKLEARN:
                from sklearn.utils.validation import _check_sample_weight

                weights = _check_sample_weight(sample_weight, X, dtype=arr.np.float64, ensure_non_negative=True)
            else:
                weights = arr.target(sample_weight, rows, numeric=True)
                if any(w < 0 for w in weights):
                    raise ValueError("Negative values in data passed to sample_weight")
            if not any(w > 0 for w in weights):
                raise ValueError("Sample weights must contain at least one non-zero number.")
        if self.bandwidth == "scott":
            self.bandwidth_ = rows ** (-1 / (cols + 4))
        elif self.bandwidth == "silverman":
            self.bandwidth_ = (rows * (cols + 2) / 4) ** (-1 / (cols + 4))
        else:
            self.bandwidth_ = self.bandwidth
        tree = KDTree if algorithm == "kd_tree" else BallTree
        self.tree_ = tree(X, leaf_size=self.leaf_size, metric=self.metric, sample_weight=weights, **(self.metric_params or {}))
        return self

    def _tree(self):
        tree = getattr(self, "tree_", None)
        if tree is None:
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator."
            )
        return tree

    def score_samples(self, X):
        """Log density of each row of X (normalised over the training weight)."""
        tree = self._tree()
        X = query_input(self, X)
        N = tree.sum_weight
        log_density = tree.kernel_density(
            X, h=self.bandwidth_, kernel=self.kernel, atol=self.atol * N, rtol=self.rtol, breadth_first=self.breadth_first, return_log=True
        )
        if arr.np is not None:
            return log_density - math.log(N)
        return [v - math.log(N) for v in log_density]

    def score(self, X, y=None):
        """Total log-likelihood of the rows of X."""
        return float(sum(self.score_samples(X)))

    def sample(self, n_samples=1, random_state=None):
        """Random rows from the model (gaussian and tophat kernels), drawn as scikit-learn draws them (numpy)."""
        from scipy.special import gammainc
        from sklearn.utils import check_random_state

        np = arr.np
        tree = self._tree()
        if self.kernel not in ("gaussian", "tophat"):
            raise NotImplementedError()
        data = np.asarray(tree.data)
        rng = check_random_state(random_state)
        u = rng.uniform(0, 1, size=n_samples)
        if tree.sample_weight is None:
            i = (u * data.shape[0]).astype(np.int64)
        else:
            cumsum_weight = np.cumsum(np.asarray(tree.sample_weight))
            i = np.searchsorted(cumsum_weight, u * cumsum_weight[-1])
        if self.kernel == "gaussian":
            return np.atleast_2d(rng.normal(data[i], self.bandwidth_))
        dim = data.shape[1]
        Z = rng.normal(size=(n_samples, dim))
        s_sq = np.einsum("ij,ij->i", Z, Z)
        correction = gammainc(0.5 * dim, 0.5 * s_sq) ** (1.0 / dim) * self.bandwidth_ / np.sqrt(s_sq)
        return data[i] + Z * correction[:, np.newaxis]
