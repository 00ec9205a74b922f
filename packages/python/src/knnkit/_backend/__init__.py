"""Backends run the engine: "ipc" (a Node process over Arrow IPC files) and
"pyodide" (the engine in the same WebAssembly process), chosen automatically
from sys.platform unless KNNKIT_BACKEND names one."""

from __future__ import annotations

import os
import sys

_backends: dict = {}


def default_backend() -> str:
    return os.environ.get("KNNKIT_BACKEND") or ("pyodide" if sys.platform == "emscripten" else "ipc")


def get_backend(name: str | None = None):
    name = name or default_backend()
    if name not in _backends:
        if name == "ipc":
            from .ipc import IpcBackend

            _backends[name] = IpcBackend()
        elif name == "pyodide":
            from .pyodide import PyodideBackend

            _backends[name] = PyodideBackend()
        else:
            raise ValueError(f"unknown knnkit backend {name!r}; expected 'ipc' or 'pyodide'")
    return _backends[name]
