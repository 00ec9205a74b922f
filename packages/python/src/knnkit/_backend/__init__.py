"""Backends run the engine: "ipc" (a Node process over Arrow IPC files)."""

from __future__ import annotations

import os

_backends: dict = {}


def get_backend(name: str | None = None):
    name = name or os.environ.get("KNNKIT_BACKEND") or "ipc"
    if name not in _backends:
        if name == "ipc":
            from .ipc import IpcBackend

            _backends[name] = IpcBackend()
        else:
            raise ValueError(f"unknown knnkit backend {name!r}; expected 'ipc'")
    return _backends[name]
