"""knnkit: k-nearest neighbours with scikit-learn's API, computed by the knnkit TypeScript engine.

With scikit-learn installed the estimators are scikit-learn estimators; without
it (e.g. in Pyodide) the same classes stand on a minimal base class.
"""

from ._base import SKLEARN
from ._errors import InvalidParameterError, NotFittedError
from ._estimators import KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors
from ._trees import BallTree, KDTree

__all__ = ["KNeighborsClassifier", "KNeighborsRegressor", "NearestNeighbors", "KDTree", "BallTree", "InvalidParameterError", "NotFittedError"]
__version__ = "0.1.0"
