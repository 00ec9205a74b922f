"""A fitted engine object owned by a Python object: its handle, and how to rebuild it.

If the engine process restarted since the fit (a new generation), the object is
rebuilt from its recipe: the fit inputs, or saved bytes after unpickling.
"""

from __future__ import annotations

import weakref

from ._backend import get_backend


def _free(backend_name, handle, generation) -> None:
    try:
        backend = get_backend(backend_name)
        if backend.current_generation == generation:
            backend.free(handle)
    except Exception:
        pass


class Remote:
    def __init__(self, backend_name, kind, params, X, y=None):
        self.backend_name = backend_name
        self.kind = kind
        self.params = params
        self.X = X
        self.y = y
        self.saved: bytes | None = None
        self.handle = None
        self.generation = None
        self.info: dict = {}
        self._build()

    @property
    def backend(self):
        return get_backend(self.backend_name)

    def _build(self) -> None:
        backend = self.backend
        if self.saved is not None and self.X is None:
            info = backend.load_bytes(self.saved)
        else:
            info = backend.fit(self.kind, self.params, self.X, self.y)
        self.info = info
        self.handle = info["handle"]
        self.generation = backend.generation
        weakref.finalize(self, _free, self.backend_name, self.handle, self.generation)

    def live_handle(self) -> int:
        if self.generation != self.backend.generation:
            self._build()
        return self.handle

    def __getstate__(self):
        state = dict(self.__dict__)
        if self.saved is None:
            state["saved"] = self.backend.save_bytes(self.live_handle())
        state["X"] = None
        state["y"] = None
        state["handle"] = None
        state["generation"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
