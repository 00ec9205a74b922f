"""A fitted engine object owned by a Python object: its handle, and how to rebuild it.

If the engine restarted since the fit (a new generation), the object is rebuilt
from its recipe: the fit inputs, or saved bytes after unpickling (the fit inputs
themselves for sparse ones, which the engine does not save).
"""

from __future__ import annotations

import time
import weakref

from ._arrays import is_sparse
from ._backend import get_backend


def _free(backend_name, handle, generation) -> None:
    try:
        backend = get_backend(backend_name)
        if backend.current_generation == generation:
            backend.call("free", handle=handle)
    except Exception:
        pass


class Remote:
    def __init__(self, backend_name, kind, params, X, y=None, **fields):
        self.backend_name = backend_name
        self.kind = kind
        self.params = params
        self.fields = fields  # more fields of the fit call (a multi-output y's number of outputs)
        self.X = X
        self.y = y
        self.saved: bytes | None = None
        self.handle = None
        self.generation = None
        self.info: dict = {}
        self.fit_seconds: float | None = None  # the fit call as the client saw it (None after a load)
        self._build()

    @property
    def backend(self):
        return get_backend(self.backend_name)

    def _build(self) -> None:
        backend = self.backend
        if self.saved is not None and self.X is None:
            info, _ = backend.call("load", {"bytes": self.saved})
        else:
            inputs = {"X": self.X} if self.y is None else {"X": self.X, "y": self.y}
            start = time.perf_counter()
            info, _ = backend.call("fit", inputs, kind=self.kind, params=self.params, **self.fields)
            self.fit_seconds = time.perf_counter() - start
        self.info = info
        self.handle = info["handle"]
        self.generation = backend.generation
        weakref.finalize(self, _free, self.backend_name, self.handle, self.generation)

    def call(self, op, inputs=None, **fields):
        """Runs an operation on this object (rebuilt first if the engine restarted)."""
        if self.generation != self.backend.generation:
            self._build()
        return self.backend.call(op, inputs, handle=self.handle, **fields)

    def __getstate__(self):
        state = dict(self.__dict__)
        if self.saved is None and is_sparse(self.X):
            # the engine does not save an index over sparse rows: keep the fit inputs, refitted when next used
            return {**state, "handle": None, "generation": None}
        if self.saved is None:
            _, arrays = self.call("save")
            state["saved"] = bytes(arrays["bytes"])
        state["X"] = None
        state["y"] = None
        state["handle"] = None
        state["generation"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
