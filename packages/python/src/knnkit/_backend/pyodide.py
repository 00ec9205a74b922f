"""The Pyodide backend: the engine is the JavaScript module `knnkit_engine` in the same process.

Inputs cross by the buffer protocol (numpy arrays, memoryviews, array.array) and
string labels as a list; JavaScript reads query rows in place from the
WebAssembly heap. Results are copied into Python memory.
"""

from __future__ import annotations

import json

from .._errors import engine_exception
from . import encode_fields


def _transport():
    import knnkit_engine

    return knnkit_engine


def _memoryview(proxy):
    return proxy.to_memoryview() if hasattr(proxy, "to_memoryview") else memoryview(proxy.to_py())


class PyodideBackend:
    name = "pyodide"
    generation = 1
    current_generation = 1

    def call(self, op, inputs=None, **fields):
        answer = _transport().call(op, json.dumps(encode_fields(fields)), inputs or None)
        if not answer.ok:
            raise engine_exception(answer.error.code, answer.error.message)
        shapes = answer.shapes.to_py() if answer.shapes else {}
        arrays = {}
        for name in answer.arrays.object_keys():
            mv = _memoryview(getattr(answer.arrays, name))
            shape = shapes.get(name)
            arrays[name] = mv.cast("B").cast(mv.format, list(shape)) if shape else mv
        return json.loads(answer.result), arrays
