"""The Pyodide backend: the engine is the JavaScript module `knnkit_engine` in the same process.

Arrays cross by the buffer protocol (numpy arrays, memoryviews, array.array):
JavaScript reads the query rows in place from the WebAssembly heap. The
training rows are copied once at fit (the index must own them: WebAssembly
memory can grow and move), and results are copied into Python memory.
"""

from __future__ import annotations

import json

try:
    import numpy as np
except ImportError:  # numpy is optional: results come back as memoryviews
    np = None

from .._errors import NotFittedError


def _engine():
    import knnkit_engine

    return knnkit_engine


def _call(fn, *args):
    try:
        return fn(*args)
    except Exception as e:  # JavaScript errors arrive as JsException
        message = str(e)
        for prefix, kind in (("KnnInputError: ", ValueError), ("NotFittedError: ", NotFittedError)):
            at = message.find(prefix)
            if at >= 0:
                raise kind(message[at + len(prefix):].splitlines()[0]) from None
        raise


def _shape(X):
    mv = memoryview(X)
    if mv.ndim != 2:
        raise ValueError(f"expected a 2-D buffer, got {mv.ndim}-D")
    return mv.shape


def _typed(proxy, fmt, shape):
    mv = proxy.to_memoryview() if hasattr(proxy, "to_memoryview") else memoryview(proxy.to_py())
    mv = mv.cast("B").cast(fmt) if mv.format != fmt else mv
    if np is not None:
        return np.asarray(mv).reshape(shape)
    return mv.cast("B").cast(fmt, list(shape)) if len(shape) > 1 else mv


class PyodideBackend:
    name = "pyodide"
    generation = 1
    current_generation = 1

    def fit(self, kind, params, X, y=None):
        rows, cols = _shape(X)
        info = _call(_engine().fit, kind, json.dumps(params), X, rows, cols, y)
        return json.loads(info)

    def kneighbors(self, handle, X, k):
        rows, cols = _shape(X) if X is not None else (None, 0)
        res = _call(_engine().kneighbors, handle, X, rows or 0, cols, int(k))
        n = res.indices.length // k
        return _typed(res.distances, "d", (n, k)), _typed(res.indices, "i", (n, k))

    def radius(self, handle, X, r, sort, count_only):
        rows, cols = _shape(X) if X is not None else (0, 0)
        res = _call(_engine().radius, handle, X, rows, cols, float(r), bool(sort), bool(count_only))
        offsets = _typed(res.offsets, "i", (res.offsets.length,))
        if count_only:
            return offsets, None, None
        return offsets, _typed(res.indices, "i", (res.indices.length,)), _typed(res.distances, "d", (res.distances.length,))

    def predict(self, handle, X):
        rows, cols = _shape(X)
        out = _call(_engine().predict, handle, X, rows, cols)
        return _typed(out, "d", (rows,))

    def predict_proba(self, handle, X):
        rows, cols = _shape(X)
        out = _call(_engine().predict_proba, handle, X, rows, cols)
        return _typed(out, "d", (rows, out.length // rows))

    def save_bytes(self, handle):
        return bytes(_call(_engine().save_bytes, handle).to_bytes())

    def load_bytes(self, data):
        return json.loads(_call(_engine().load_bytes, memoryview(data)))

    def free(self, handle):
        _engine().free(handle)
