"""The engine's error codes as the exceptions scikit-learn raises."""

try:
    from sklearn.exceptions import NotFittedError
except ImportError:  # scikit-learn is optional inside Pyodide

    class NotFittedError(ValueError, AttributeError):
        """Raised when an estimator is used before fit (as scikit-learn's)."""


class InvalidParameterError(ValueError, TypeError):
    """A parameter of the wrong type or out of range (as scikit-learn's InvalidParameterError)."""


class EngineError(RuntimeError):
    """The engine failed in a way that is not the caller's input (a bug, or the engine process died)."""


_BY_CODE = {
    "input": ValueError,
    "param": InvalidParameterError,
    "not_fitted": NotFittedError,
    "unsupported": ValueError,
}


def engine_exception(code: str, message: str) -> Exception:
    """The exception for an engine error code ('input', 'param', 'not_fitted', 'unsupported', 'internal')."""
    kind = _BY_CODE.get(code)
    return kind(message) if kind is not None else EngineError(f"knnkit engine error ({code}): {message}")
