"""scikit-learn parameters -> engine options (no numpy needed: shared by every backend)."""

from __future__ import annotations

import math
import numbers
import os

ALGORITHMS = ("auto", "brute", "kd_tree", "ball_tree", "prefilter")
METRICS = ("minkowski", "euclidean", "l2", "manhattan", "cityblock", "l1", "chebyshev", "infinity", "cosine")


def _workers(n_jobs):
    if n_jobs is None:
        return 1
    if n_jobs == -1:
        return os.cpu_count() or 1
    if isinstance(n_jobs, numbers.Integral) and n_jobs >= 1:
        return int(n_jobs)
    raise ValueError(f"n_jobs must be None, -1 or a positive integer, got {n_jobs!r}")


def engine_params(self, n_neighbors):
    """The engine's options for an estimator's scikit-learn parameters (raises like scikit-learn on bad ones)."""
    if not isinstance(n_neighbors, numbers.Integral) or isinstance(n_neighbors, bool):
        raise TypeError(f"n_neighbors does not take {type(n_neighbors).__name__} value, enter integer value")
    if n_neighbors <= 0:
        raise ValueError(f"Expected n_neighbors > 0. Got {n_neighbors}")
    if self.algorithm not in ALGORITHMS:
        raise ValueError(f"The 'algorithm' parameter must be one of {ALGORITHMS}. Got {self.algorithm!r} instead.")
    if not isinstance(self.metric, str) or self.metric not in METRICS:
        raise ValueError(f"The 'metric' parameter must be one of {METRICS}. Got {self.metric!r} instead.")
    p = self.p
    if self.metric_params and "p" in self.metric_params:
        p = self.metric_params["p"]
    if not isinstance(p, numbers.Real) or p < 1:
        raise ValueError(f"The 'p' parameter must be a float >= 1. Got {p!r} instead.")
    if not isinstance(self.leaf_size, numbers.Integral) or self.leaf_size < 1:
        raise ValueError(f"The 'leaf_size' parameter must be an int >= 1. Got {self.leaf_size!r} instead.")
    params = {
        "nNeighbors": int(n_neighbors),
        "algorithm": self.algorithm,
        "leafSize": int(self.leaf_size),
        "metric": self.metric,
        "p": float(p) if p != math.inf else None,
        "workers": _workers(self.n_jobs),
    }
    if p == math.inf:
        params["metric"] = "chebyshev"
        del params["p"]
    radius = getattr(self, "radius", None)
    if radius is not None:
        params["radius"] = float(radius)
    knobs = {
        "candidates": self.candidates,
        "nFilterFeatures": self.n_filter_features,
        "halvingStages": self.halving_stages,
        "scoring": self.scoring,
        "targetRecall": self.target_recall,
    }
    for key, value in knobs.items():
        if value is not None:
            params[key] = value
    if self.algorithm != "prefilter" and any(v is not None for v in knobs.values()):
        raise ValueError("candidates, n_filter_features, halving_stages, scoring and target_recall apply to algorithm='prefilter' only")
    weights = getattr(self, "weights", None)
    if weights is not None:
        if callable(weights):
            raise ValueError("callable weights are not supported by the knnkit engine; use 'uniform' or 'distance'")
        if weights not in ("uniform", "distance"):
            raise ValueError(f"The 'weights' parameter must be 'uniform', 'distance' or a callable. Got {weights!r} instead.")
        params["weights"] = weights
    return params


class NeighborsParams:
    """scikit-learn's NearestNeighbors parameters (plus the prefilter's), shared by both estimator flavours."""

    def __init__(self, *, n_neighbors=5, radius=1.0, algorithm="auto", leaf_size=30, metric="minkowski", p=2,
                 metric_params=None, n_jobs=None, candidates=None, n_filter_features=None, halving_stages=None,
                 scoring=None, target_recall=None):
        self.n_neighbors = n_neighbors
        self.radius = radius
        _set_common(self, algorithm, leaf_size, metric, p, metric_params, n_jobs, candidates, n_filter_features,
                    halving_stages, scoring, target_recall)


class WeightedParams:
    """scikit-learn's KNeighborsClassifier / KNeighborsRegressor parameters (plus the prefilter's)."""

    def __init__(self, n_neighbors=5, *, weights="uniform", algorithm="auto", leaf_size=30, p=2, metric="minkowski",
                 metric_params=None, n_jobs=None, candidates=None, n_filter_features=None, halving_stages=None,
                 scoring=None, target_recall=None):
        self.n_neighbors = n_neighbors
        self.weights = weights
        _set_common(self, algorithm, leaf_size, metric, p, metric_params, n_jobs, candidates, n_filter_features,
                    halving_stages, scoring, target_recall)


def _set_common(self, algorithm, leaf_size, metric, p, metric_params, n_jobs, candidates, n_filter_features,
                halving_stages, scoring, target_recall):
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
