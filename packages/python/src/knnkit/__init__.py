"""knnkit: k-nearest neighbours with scikit-learn's API, computed by the knnkit TypeScript engine."""

from ._estimators import KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors
from ._trees import BallTree, KDTree

__all__ = ["KNeighborsClassifier", "KNeighborsRegressor", "NearestNeighbors", "KDTree", "BallTree"]
__version__ = "0.1.0"
