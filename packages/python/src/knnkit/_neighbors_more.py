"""The rest of sklearn.neighbors and KNNImputer, computed by the engine (its engine-more.ts kinds).

One implementation for every backend, on scikit-learn's base classes when
they are importable and on the minimal ones otherwise. A pickled estimator
carries the engine's saved bytes, as the other estimators do (see Remote).
"""

from __future__ import annotations

import math
import warnings

from . import _arrays as arr
from ._backend import default_backend
from ._base import SKLEARN, BaseEstimator, ClassifierMixin, RegressorMixin, accept_sparse, fitted_remote, query_input, sparse_fit
from ._estimators import _Neighbors
from ._remote import Remote

if SKLEARN:
    from sklearn.base import ClassNamePrefixFeaturesOutMixin, OutlierMixin, TransformerMixin
    from sklearn.utils._available_if import available_if
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import validate_data
else:

    class TransformerMixin:
        def fit_transform(self, X, y=None, **fit_params):
            return self.fit(X, y, **fit_params).transform(X)

    class ClassNamePrefixFeaturesOutMixin:
        pass

    class OutlierMixin:
        _estimator_type = "outlier_detector"

    def available_if(check):
        """The method exists only where check(self) is true (as scikit-learn's available_if)."""

        class _Available:
            def __init__(self, fn):
                self.fn = fn

            def __get__(self, obj, owner=None):
                if obj is None:
                    return self.fn
                if not check(obj):
                    raise AttributeError(f"This {type(obj).__name__} has no attribute {self.fn.__name__!r}")
                return self.fn.__get__(obj, owner)

        return _Available


def _fit_engine(est, X, y=None, params=None, outputs=1, kind=None):
    backend = getattr(est, "backend", None) or default_backend()
    params = est.get_params(deep=False) if params is None else params
    est._remote = Remote(backend, kind or est._kind, params, X, y, **({} if outputs == 1 else {"outputs": outputs}))
    return est._remote.info


def _validate_xy(est, X, y, classifier, multi_output=True):
    """Training data: X as float rows, y as given (1-D, or 2-D for several outputs)."""
    if SKLEARN:
        X, y = validate_data(est, X, y, accept_sparse=accept_sparse(est), dtype=[arr.np.float64, arr.np.float32], order="C",
                             multi_output=multi_output, y_numeric=not classifier)
        if classifier:
            check_classification_targets(y)
        return sparse_fit(est, X), y
    if y is None:
        raise ValueError(f"{type(est).__name__} requires y to be passed, but the target y is None.")
    X = sparse_fit(est, arr.as_rows(X, accept_sparse(est)))
    est.n_features_in_ = X.shape[1]
    return X, y


def _validate_x(est, X, **kwargs):
    if SKLEARN:
        return sparse_fit(est, validate_data(est, X, accept_sparse=accept_sparse(est), dtype=[arr.np.float64, arr.np.float32],
                                             order="C", **kwargs))
    X = sparse_fit(est, arr.as_rows(X, accept_sparse(est)))
    est.n_features_in_ = X.shape[1]
    return X


def _target(y, rows, numeric):
    """(flat target for the engine, number of outputs, whether y was 2-D)."""
    if arr.np is not None:
        a = arr.np.asarray(y)
        if a.ndim == 2:
            return arr.target(a.ravel(), a.size, numeric), a.shape[1], True
    return arr.target(y, rows, numeric), 1, False


def multi_output_fit(est, X, y, classifier):
    """Fits KNeighborsClassifier/Regressor on a 2-D y (several outputs; a column for the regressor), else returns False."""
    if arr.np is None or arr.np.asarray(y).ndim != 2 or (classifier and arr.np.asarray(y).shape[1] == 1):
        return False
    X, y = _validate_xy(est, X, y, classifier=classifier)
    target, outputs, _ = _target(y, arr.shape(X)[0], numeric=not classifier)
    params = {k: v for k, v in est.get_params(deep=False).items() if v is not None or k in ("metric_params", "n_jobs")}
    kind = "KNeighborsMultiOutputClassifier" if classifier else "KNeighborsMultiOutputRegressor"
    info = _fit_engine(est, X, target, params, outputs, kind)
    _NeighborsMore._describe(est, info)
    if classifier:
        est.classes_ = [arr.classes_array(c, y[:, k]) for k, c in enumerate(info["outputClasses"])]
    est.outputs_2d_ = True
    est._outputs = outputs
    return True


def multi_output_predict(est, X):
    """Predictions of a multi-output fit: labels (classifier) or values, rows × outputs."""
    remote = fitted_remote(est)
    result, arrays = remote.call("predict", {"X": query_input(est, X)})
    if "codes" not in arrays:
        return arr.floats(arrays["values"]).reshape(-1, est._outputs)
    codes = arr.np.asarray(arrays["codes"]).reshape(-1, result["outputs"])
    return arr.np.stack([c.take(codes[:, k]) for k, c in enumerate(est.classes_)], axis=1)


def multi_output_proba(est, X):
    remote = fitted_remote(est)
    result, arrays = remote.call("predict_proba", {"X": query_input(est, X)})
    return [arr.floats(arrays[f"proba_{k}"]) for k in range(result["outputs"])]


class _NeighborsMore(_Neighbors):
    def _fit(self, X, y=None, outputs=1):
        info = _fit_engine(self, X, y, outputs=outputs)
        return self._describe(info)

    def _describe(self, info):
        self._fit_method = info["algorithm"]
        self.n_samples_fit_ = info["rows"]
        metric_params = dict(self.metric_params or {})
        p = metric_params.get("p", self.p)
        self.effective_metric_ = "euclidean" if self.metric == "minkowski" and p == 2 else self.metric
        self.effective_metric_params_ = metric_params
        return info


class RadiusNeighborsClassifier(ClassifierMixin, _NeighborsMore):
    """Classifier implementing a vote among neighbours within a radius (scikit-learn's RadiusNeighborsClassifier)."""

    _kind = "RadiusNeighborsClassifier"

    def __init__(self, radius=1.0, *, weights="uniform", algorithm="auto", leaf_size=30, p=2, metric="minkowski",
                 outlier_label=None, metric_params=None, n_jobs=None):
        self.radius = radius
        self.weights = weights
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.p = p
        self.metric = metric
        self.outlier_label = outlier_label
        self.metric_params = metric_params
        self.n_jobs = n_jobs

    def fit(self, X, y):
        X, y = _validate_xy(self, X, y, classifier=True)
        target, outputs, two_d = _target(y, arr.shape(X)[0], numeric=False)
        info = self._fit(X, target, outputs)
        if arr.np is not None and two_d:
            ys = arr.np.asarray(y)
            self.classes_ = [arr.classes_array(c, ys[:, k]) for k, c in enumerate(info["outputClasses"])]
        else:
            self.classes_ = [arr.classes_array(info["outputClasses"][0], y)]
        labels = info["outlierLabels"]
        self.outlier_label_ = None if labels[0] is None else labels
        self.outputs_2d_ = two_d
        if not two_d:
            self.classes_ = self.classes_[0]
        return self

    def _outputs(self):
        return self.classes_ if self.outputs_2d_ else [self.classes_]

    def predict(self, X):
        """The most probable class of each row of X (the outlier label where no training row is within the radius)."""
        remote = fitted_remote(self)
        result, arrays = remote.call("predict", {"X": query_input(self, X)})
        n = result["outputs"]
        if arr.np is None:
            cols = [[classes[c] if c >= 0 else self.outlier_label_[k] for c in list(arrays["codes"])[k::n]]
                    for k, classes in enumerate(self._outputs())]
            return [list(row) for row in zip(*cols)] if self.outputs_2d_ else cols[0]
        codes = arr.np.asarray(arrays["codes"]).reshape(-1, n)
        columns = []
        for k, classes in enumerate(self._outputs()):
            c = codes[:, k]
            col = classes.take(arr.np.maximum(c, 0))
            col[c < 0] = self.outlier_label_[k] if (c < 0).any() else col[c < 0]  # in the classes' dtype, as scikit-learn
            columns.append(col)
        return arr.np.stack(columns, axis=1) if self.outputs_2d_ else columns[0]

    def predict_proba(self, X):
        """Class probabilities of each row of X (a list of arrays, one per output, for a 2-D y)."""
        remote = fitted_remote(self)
        result, arrays = remote.call("predict_proba", {"X": query_input(self, X)})
        probas = [arr.floats(arrays[f"proba_{k}"]) for k in range(result["outputs"])]
        return probas if self.outputs_2d_ else probas[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.classifier_tags.multi_label = True
        return tags


class RadiusNeighborsRegressor(RegressorMixin, _NeighborsMore):
    """Regression on the neighbours within a radius (scikit-learn's RadiusNeighborsRegressor)."""

    _kind = "RadiusNeighborsRegressor"

    def __init__(self, radius=1.0, *, weights="uniform", algorithm="auto", leaf_size=30, p=2, metric="minkowski",
                 metric_params=None, n_jobs=None):
        self.radius = radius
        self.weights = weights
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.p = p
        self.metric = metric
        self.metric_params = metric_params
        self.n_jobs = n_jobs

    def fit(self, X, y):
        X, y = _validate_xy(self, X, y, classifier=False)
        target, outputs, two_d = _target(y, arr.shape(X)[0], numeric=True)
        self._fit(X, target, outputs)
        self._outputs = outputs
        self._y_2d = two_d
        return self

    def predict(self, X):
        """The weighted mean target of the training rows within the radius (NaN, with a warning, where there are none)."""
        remote = fitted_remote(self)
        _, arrays = remote.call("predict", {"X": query_input(self, X)})
        values = arr.floats(arrays["values"])
        if arr.np is None:
            return values
        values = values.reshape(-1, self._outputs) if self._y_2d else values
        if arr.np.isnan(values).any():
            warnings.warn("One or more samples have no neighbors within specified radius; predicting NaN.")
        return values

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _csr(result, arrays):
    from scipy import sparse

    np = arr.np
    return sparse.csr_matrix(
        (np.array(arrays["data"], dtype=np.float64), np.array(arrays["indices"]), np.array(arrays["indptr"])),
        shape=tuple(result["shape"]),
    )


class _GraphTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, _NeighborsMore):
    def fit(self, X, y=None):
        X = _validate_x(self, X)
        self._fit(X)
        self._n_features_out = self.n_samples_fit_
        return self

    def transform(self, X):
        """The neighbours graph of X as a scipy.sparse.csr_matrix of shape (n_queries, n_samples_fit_)."""
        remote = fitted_remote(self)
        result, arrays = remote.call("transform", {"X": query_input(self, X)})
        return _csr(result, arrays)

    def fit_transform(self, X, y=None):
        """fit(X).transform(X): each training row is its own first neighbour."""
        return self.fit(X).transform(X)


class KNeighborsTransformer(_GraphTransformer):
    """X as its k-neighbours graph (scikit-learn's KNeighborsTransformer), for metric="precomputed" pipelines."""

    _kind = "KNeighborsTransformer"

    def __init__(self, *, mode="distance", n_neighbors=5, algorithm="auto", leaf_size=30, metric="minkowski", p=2,
                 metric_params=None, n_jobs=None):
        self.mode = mode
        self.n_neighbors = n_neighbors
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.metric = metric
        self.p = p
        self.metric_params = metric_params
        self.n_jobs = n_jobs


class RadiusNeighborsTransformer(_GraphTransformer):
    """X as its radius-neighbours graph (scikit-learn's RadiusNeighborsTransformer), rows sorted by distance."""

    _kind = "RadiusNeighborsTransformer"

    def __init__(self, *, mode="distance", radius=1.0, algorithm="auto", leaf_size=30, metric="minkowski", p=2,
                 metric_params=None, n_jobs=None):
        self.mode = mode
        self.radius = radius
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.metric = metric
        self.p = p
        self.metric_params = metric_params
        self.n_jobs = n_jobs


def _novelty(est):
    if not est.novelty:
        raise AttributeError(
            "This method is not available when novelty=False: use fit_predict to label the training data, "
            "or novelty=True to use LocalOutlierFactor for novelty detection on new data."
        )
    return True


def _outlier(est):
    if est.novelty:
        raise AttributeError(
            "fit_predict is not available when novelty=True: use novelty=False to label the training data, "
            "or fit then predict to detect novelties."
        )
    return True


class LocalOutlierFactor(OutlierMixin, _NeighborsMore):
    """Unsupervised outlier detection by Local Outlier Factor (scikit-learn's LocalOutlierFactor)."""

    _kind = "LocalOutlierFactor"

    def __init__(self, n_neighbors=20, *, algorithm="auto", leaf_size=30, metric="minkowski", p=2, metric_params=None,
                 contamination="auto", novelty=False, n_jobs=None):
        self.n_neighbors = n_neighbors
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.metric = metric
        self.p = p
        self.metric_params = metric_params
        self.contamination = contamination
        self.novelty = novelty
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        X = _validate_x(self, X)
        self._fit(X)
        if isinstance(self.n_neighbors, int) and self.n_neighbors > self.n_samples_fit_:
            warnings.warn(
                f"n_neighbors ({self.n_neighbors}) is greater than the total number of samples ({self.n_samples_fit_}). "
                f"n_neighbors will be set to (n_samples - 1) for estimation."
            )
        result, arrays = self._remote.call("attributes")
        self.n_neighbors_ = result["n_neighbors"]
        self.offset_ = result["offset"]
        self.negative_outlier_factor_ = arr.floats(arrays["negative_outlier_factor"])
        return self

    @available_if(_outlier)
    def fit_predict(self, X, y=None):
        """Fits and labels the training rows: 1 inlier, -1 outlier."""
        self.fit(X)
        nof = self.negative_outlier_factor_
        if arr.np is not None:
            return arr.np.where(nof < self.offset_, -1, 1)
        return [-1 if v < self.offset_ else 1 for v in nof]

    def _call(self, op, X):
        remote = fitted_remote(self)
        return remote.call(op, {"X": query_input(self, X)})[1]

    @available_if(_novelty)
    def predict(self, X):
        """1 for inliers, -1 for outliers among new rows (novelty=True)."""
        return arr.indices(self._call("predict", X)["labels"])

    @available_if(_novelty)
    def decision_function(self, X):
        """score_samples(X) - offset_: negative for outliers (novelty=True)."""
        return arr.floats(self._call("decision_function", X)["scores"])

    @available_if(_novelty)
    def score_samples(self, X):
        """The opposite of the Local Outlier Factor of new rows (novelty=True)."""
        return arr.floats(self._call("score_samples", X)["scores"])


def _euclidean(est):
    return est.metric == "euclidean"


class NearestCentroid(ClassifierMixin, BaseEstimator):
    """Nearest centroid classifier (scikit-learn's NearestCentroid)."""

    _kind = "NearestCentroid"
    #: takes scipy.sparse X (the engine densifies it, as scikit-learn's fit does)
    _sparse = True

    def __init__(self, metric="euclidean", *, shrink_threshold=None, priors="uniform"):
        self.metric = metric
        self.shrink_threshold = shrink_threshold
        self.priors = priors

    def fit(self, X, y):
        X, y = _validate_xy(self, X, y, classifier=True, multi_output=False)
        if arr.np is not None and arr.np.asarray(y).ndim != 1:
            raise ValueError(f"y should be a 1d array, got an array of shape {arr.np.asarray(y).shape} instead.")
        params = self.get_params(deep=False)
        if not isinstance(self.priors, str):
            params["priors"] = [float(p) for p in self.priors]
            if sum(params["priors"]) and not math.isclose(sum(params["priors"]), 1.0):
                warnings.warn("The priors do not sum to 1. Normalizing such that it sums to one.", UserWarning)
        info = _fit_engine(self, X, arr.target(y, arr.shape(X)[0], numeric=False), params)
        self.classes_ = arr.classes_array(info["classes"], y)
        _, arrays = self._remote.call("attributes")
        self.centroids_ = arr.floats(arrays["centroids"])
        self.deviations_ = arr.floats(arrays["deviations"])
        self.within_class_std_dev_ = arr.floats(arrays["within_class_std_dev"])
        self.class_prior_ = arr.floats(arrays["class_prior"])
        if arr.np is not None and (self.within_class_std_dev_ == 0).any():
            warnings.warn("self.within_class_std_dev_ has at least 1 zero standard deviation."
                          "Inputs within the same classes for at least 1 feature are identical.")
        return self

    def predict(self, X):
        """The class of the nearest centroid (of the best discriminant score with non-uniform priors)."""
        remote = fitted_remote(self)
        _, arrays = remote.call("predict", {"X": query_input(self, X)})
        return arr.take(self.classes_, arrays["codes"])

    def _scores(self, X):
        remote = fitted_remote(self)
        return arr.floats(remote.call("decision_function", {"X": query_input(self, X)})[1]["scores"])

    @available_if(_euclidean)
    def decision_function(self, X):
        """Discriminant scores per class (for two classes, the second's minus the first's)."""
        s = self._scores(X)
        return s[:, 1] - s[:, 0] if len(self.classes_) == 2 else s

    @available_if(_euclidean)
    def predict_proba(self, X):
        """Class probabilities: the softmax of the discriminant scores."""
        remote = fitted_remote(self)
        return arr.floats(remote.call("predict_proba", {"X": query_input(self, X)})[1]["proba"])

    @available_if(_euclidean)
    def predict_log_proba(self, X):
        """The log of predict_proba, computed from the scores."""
        s = self._scores(X)
        np = arr.np
        ll = s - s.max(axis=1)[:, None]
        return ll - np.log(np.exp(ll).sum(axis=1)[:, None])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _is_nan(v):
    return isinstance(v, float) and math.isnan(v)


class KNNImputer(TransformerMixin, BaseEstimator):
    """Imputation of missing values from the nearest training rows (scikit-learn's KNNImputer), computed by the
    engine without a distance matrix; n_jobs threads (None: one, -1: every core)."""

    _kind = "KNNImputer"

    def __init__(self, *, missing_values=math.nan, n_neighbors=5, weights="uniform", metric="nan_euclidean", copy=True,
                 add_indicator=False, keep_empty_features=False, n_jobs=None):
        self.missing_values = missing_values
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.metric = metric
        self.copy = copy
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features
        self.n_jobs = n_jobs

    def _check(self, X, reset):
        if self.metric != "nan_euclidean":
            from ._errors import InvalidParameterError

            raise InvalidParameterError(f"knnkit's KNNImputer supports metric='nan_euclidean' only, got {self.metric!r}")
        finite = "allow-nan" if _is_nan(self.missing_values) else True
        if SKLEARN:
            return validate_data(self, X, dtype=[arr.np.float64, arr.np.float32], order="C", ensure_all_finite=finite,
                                 reset=reset)
        X = arr.as_matrix(X)
        if reset:
            self.n_features_in_ = X.shape[1]
        return X

    def fit(self, X, y=None):
        X = self._check(X, reset=True)
        params = {k: v for k, v in self.get_params(deep=False).items() if k != "metric"}
        _fit_engine(self, X, None, params)
        _, arrays = self._remote.call("attributes")
        self._valid_mask = arr.np.asarray(arrays["valid"]).astype(bool) if arr.np is not None else arrays["valid"]
        self._missing_features = arr.indices(arrays["missing_features"])
        return self

    def transform(self, X):
        """X with each missing value replaced by the mean of its nearest training rows' values (then the indicator)."""
        remote = fitted_remote(self)
        X = self._check(X, reset=False)
        _, arrays = remote.call("transform", {"X": X})
        out = arrays["X"]
        return out.astype(X.dtype, copy=False) if arr.np is not None else out

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: the kept input features, then missingindicator_<name>."""
        from sklearn.utils.validation import _check_feature_names_in

        names = _check_feature_names_in(self, input_features)
        kept = names if self.keep_empty_features else names[self._valid_mask]
        if not self.add_indicator:
            return kept
        ind = arr.np.asarray([f"missingindicator_{n}" for n in names[self._missing_features]], dtype=object)
        return arr.np.concatenate([kept, ind])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = _is_nan(self.missing_values)
        return tags
