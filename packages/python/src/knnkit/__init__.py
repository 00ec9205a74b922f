"""knnkit: k-nearest neighbours with scikit-learn's API, computed by the knnkit TypeScript engine.

With numpy and scikit-learn installed the estimators are scikit-learn
estimators; without them (e.g. in Pyodide) the same classes come from
knnkit._pure on a minimal base class.
"""

try:
    from ._estimators import KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors
    from ._trees import BallTree, KDTree

    SKLEARN = True
except ImportError:  # no numpy or no scikit-learn
    from ._pure import BallTree, KDTree, KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors

    SKLEARN = False

__all__ = ["KNeighborsClassifier", "KNeighborsRegressor", "NearestNeighbors", "KDTree", "BallTree"]
__version__ = "0.1.0"
