"""The IPC backend: fitted objects live in the bridge's Node process behind handles."""

from __future__ import annotations

import os
import tempfile

import numpy as np

from .._bridge import client


class IpcBackend:
    name = "ipc"

    @property
    def generation(self) -> int:
        return client().ensure()

    @property
    def current_generation(self) -> int | None:
        """The generation of a running process, without starting one."""
        c = client()
        return c.generation if c.pid is not None else None

    def fit(self, kind: str, params: dict, X: np.ndarray, y: np.ndarray | None = None) -> dict:
        inputs = {"X": X}
        if y is not None:
            inputs["y"] = y
        result, _ = client().call("fit", inputs, kind=kind, params=params)
        return result

    def kneighbors(self, handle: int, X: np.ndarray | None, k: int):
        inputs = {"X": X} if X is not None else {}
        result, arrays = client().call("kneighbors", inputs, handle=handle, k=int(k))
        rows = result["rows"]
        return arrays["distances"].reshape(rows, k), arrays["indices"].reshape(rows, k)

    def radius(self, handle: int, X: np.ndarray | None, r: float, sort: bool, count_only: bool):
        inputs = {"X": X} if X is not None else {}
        _, arrays = client().call("radius", inputs, handle=handle, radius=float(r), sort=bool(sort), countOnly=bool(count_only))
        return arrays["offsets"], arrays.get("indices"), arrays.get("distances")

    def predict(self, handle: int, X: np.ndarray) -> np.ndarray:
        _, arrays = client().call("predict", {"X": X}, handle=handle)
        return arrays.get("labels", arrays.get("values"))

    def predict_proba(self, handle: int, X: np.ndarray) -> np.ndarray:
        _, arrays = client().call("predict_proba", {"X": X}, handle=handle)
        return arrays["proba"]

    def save_bytes(self, handle: int) -> bytes:
        fd, path = tempfile.mkstemp(suffix=".knnkit.arrow")
        os.close(fd)
        try:
            client().call("save", handle=handle, path=path)
            with open(path, "rb") as f:
                return f.read()
        finally:
            os.unlink(path)

    def load_bytes(self, data: bytes) -> dict:
        fd, path = tempfile.mkstemp(suffix=".knnkit.arrow")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            result, _ = client().call("load", path=path)
            return result
        finally:
            os.unlink(path)

    def free(self, handle: int) -> None:
        client().call("free", handle=handle)
