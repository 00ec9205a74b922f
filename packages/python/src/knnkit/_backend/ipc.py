"""The IPC backend: the engine runs in a Node process (see _bridge)."""

from __future__ import annotations

import numpy as np

from .._bridge import client
from . import encode_fields, split_sparse


class IpcBackend:
    name = "ipc"

    @property
    def generation(self) -> int:
        return client().ensure()

    @property
    def current_generation(self) -> int | None:
        c = client()
        return c.generation if c.pid is not None else None

    def call(self, op, inputs=None, **fields):
        inputs, shape = split_sparse(inputs)
        if shape is not None:
            fields["X_shape"] = shape
        arrays = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, (bytes, bytearray, memoryview)):
                value = np.frombuffer(value, dtype=np.uint8)
            elif isinstance(value, list):  # string class labels
                value = np.asarray(value)
            arrays[name] = value
        return client().call(op, arrays, **encode_fields(fields))
