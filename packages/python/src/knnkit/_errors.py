"""NotFittedError: scikit-learn's when it is installed, else one of the same shape."""

try:
    from sklearn.exceptions import NotFittedError
except ImportError:  # scikit-learn is optional inside Pyodide

    class NotFittedError(ValueError, AttributeError):
        """Raised when an estimator is used before fit (as scikit-learn's)."""
