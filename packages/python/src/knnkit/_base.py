"""The base classes: scikit-learn's when it is importable, else minimal ones with the same method names.

Either way the estimator bodies in _estimators.py and _trees.py are the same;
only input validation differs (scikit-learn's validate_data, which also tracks
n_features_in_ and feature names, or a plain conversion to a buffer).
"""

from __future__ import annotations

import inspect
import warnings
from types import SimpleNamespace

from ._arrays import as_csr, as_rows, is_sparse, np
from ._errors import NotFittedError

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import validate_data

    SKLEARN = True
except ImportError:  # Pyodide has no scikit-learn (and maybe no numpy)
    SKLEARN = False

    class BaseEstimator:
        """get_params / set_params / repr from the __init__ signature, as scikit-learn's."""

        @classmethod
        def _get_param_names(cls):
            sig = inspect.signature(cls.__init__)
            return sorted(p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD)

        def get_params(self, deep=True):
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params):
            valid = self._get_param_names()
            for key, value in params.items():
                if key not in valid:
                    raise ValueError(f"Invalid parameter {key!r} for estimator {type(self).__name__}. Valid parameters are: {valid!r}.")
                setattr(self, key, value)
            return self

        def __repr__(self):
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
            return f"{type(self).__name__}({args})"

        def __sklearn_tags__(self):
            return SimpleNamespace(input_tags=SimpleNamespace(), classifier_tags=SimpleNamespace(), target_tags=SimpleNamespace())

    class ClassifierMixin:
        _estimator_type = "classifier"

        def score(self, X, y):
            """Mean accuracy, computed by the engine."""
            return self._engine_score(X, y)

    class RegressorMixin:
        _estimator_type = "regressor"

        def score(self, X, y):
            """Coefficient of determination R², computed by the engine."""
            return self._engine_score(X, y)


_FLOATS = [np.float64, np.float32] if np is not None else None


def accept_sparse(est):
    """scikit-learn's accept_sparse for the estimator: "csr" where it takes scipy.sparse input (its `_sparse`), else False."""
    return "csr" if getattr(est, "_sparse", False) else False


def sparse_fit(est, X):
    """Canonical CSR rows for sparse X (see as_csr), with scikit-learn's warning when a tree falls back to brute force."""
    if not is_sparse(X):
        return X
    if getattr(est, "algorithm", None) in ("kd_tree", "ball_tree"):
        warnings.warn("cannot use tree with sparse input: using brute force")
    return as_csr(X)


def fit_input(est, X, y=None, *, supervised=True, classifier=False):
    """Validated training data (X, y) and n_features_in_ set."""
    if SKLEARN:
        if not supervised:
            return sparse_fit(est, validate_data(est, X, accept_sparse=accept_sparse(est), dtype=_FLOATS, order="C")), None
        X, y = validate_data(est, X, y, accept_sparse=accept_sparse(est), dtype=_FLOATS, order="C", y_numeric=not classifier)
        if classifier:
            check_classification_targets(y)
        return sparse_fit(est, X), y
    if supervised and y is None:
        raise ValueError(f"{type(est).__name__} requires y to be passed, but the target y is None.")
    X = sparse_fit(est, as_rows(X, accept_sparse(est)))
    est.n_features_in_ = X.shape[1]
    return X, y


def query_input(est, X):
    """Validated query rows (same width as at fit)."""
    if SKLEARN:
        X = validate_data(est, X, reset=False, accept_sparse=accept_sparse(est), dtype=_FLOATS, order="C")
        return as_csr(X) if is_sparse(X) else X
    X = as_rows(X, accept_sparse(est))
    if X.shape[1] != est.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but {type(est).__name__} is expecting {est.n_features_in_} features as input.")
    return X


def fitted_remote(est):
    """The estimator's engine object, or scikit-learn's NotFittedError."""
    remote = getattr(est, "_remote", None)
    if remote is None:
        raise NotFittedError(
            f"This {type(est).__name__} instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator."
        )
    return remote
