"""Backends carry requests to the engine: "ipc" (a Node process over Arrow IPC
files) and "pyodide" (the engine in the same WebAssembly process), chosen from
sys.platform unless KNNKIT_BACKEND names one. Each implements `Backend`; every
operation, check and error is the engine's."""

from __future__ import annotations

import math
import os
import sys
from typing import Any, Protocol

_backends: dict = {}


class Backend(Protocol):
    name: str

    @property
    def generation(self) -> int:
        """Starts the engine if needed; handles are valid within one generation."""

    @property
    def current_generation(self) -> int | None:
        """The running engine's generation, without starting one."""

    def call(self, op: str, inputs: dict | None = None, **fields: Any) -> tuple[dict, dict]:
        """Runs one engine operation: (result, {name: array}); engine errors raise (see _errors)."""


def encode_fields(value):
    """Fields as JSON values: non-finite floats as "inf", "-inf", "nan"; callables as "callable"."""
    if isinstance(value, dict):
        return {str(k): encode_fields(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_fields(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if callable(value):
        return "callable"
    if hasattr(value, "tolist") and hasattr(value, "__len__"):  # numpy arrays (metric_params w, V, VI)
        return encode_fields(value.tolist())
    if hasattr(value, "item") and not hasattr(value, "__len__"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def split_sparse(inputs):
    """A sparse X as the engine's parts: (inputs with X_data, X_indices, X_indptr in place of X, its shape or None)."""
    from .._arrays import csr_parts, is_sparse

    X = (inputs or {}).get("X")
    if not is_sparse(X):
        return inputs, None
    data, indices, indptr, shape = csr_parts(X)
    rest = {k: v for k, v in inputs.items() if k != "X"}
    return {**rest, "X_data": data, "X_indices": indices, "X_indptr": indptr}, shape


def default_backend() -> str:
    return os.environ.get("KNNKIT_BACKEND") or ("pyodide" if sys.platform == "emscripten" else "ipc")


def get_backend(name: str | None = None) -> Backend:
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
