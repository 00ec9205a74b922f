"""knnkit: k-nearest neighbours with scikit-learn's API, computed by the knnkit TypeScript engine.

With scikit-learn installed the estimators are scikit-learn estimators; without
it (e.g. in Pyodide) the same classes stand on a minimal base class.
"""

from ._base import SKLEARN
from ._compare import Comparison, compare
from ._errors import InvalidParameterError, NotFittedError
from ._estimators import KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors
from ._kde import KernelDensity
from ._trees import BallTree, KDTree
from ._neighbors_more import (
    KNeighborsTransformer,
    KNNImputer,
    LocalOutlierFactor,
    NearestCentroid,
    RadiusNeighborsClassifier,
    RadiusNeighborsRegressor,
    RadiusNeighborsTransformer,
)

__all__ = ["KNeighborsClassifier", "KNeighborsRegressor", "NearestNeighbors", "KDTree", "BallTree", "KernelDensity", "RadiusNeighborsClassifier", "RadiusNeighborsRegressor",
           "KNeighborsTransformer", "RadiusNeighborsTransformer", "LocalOutlierFactor", "NearestCentroid", "KNNImputer",
           "InvalidParameterError", "NotFittedError", "compare", "Comparison"]


def load_ipython_extension(ipython) -> None:
    """`%load_ext knnkit`: the magics %knnkit_compare and %%knnkit_time (see _magics.py)."""
    from ._magics import load_ipython_extension as load

    load(ipython)


def _version() -> str:
    """The version the engine bundle was built with (the repository's root package.json)."""
    import json
    from pathlib import Path

    try:
        return json.loads((Path(__file__).parent / "_engine" / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "unknown"  # no engine bundle: the first call says so


__version__ = _version()
