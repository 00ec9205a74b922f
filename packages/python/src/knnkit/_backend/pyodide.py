"""The Pyodide backend: the engine runs in the same process, in Pyodide's JavaScript context.

The engine is the bundle shipped inside this package (knnkit/_engine/knnkit-pyodide.js),
evaluated once in Pyodide's JavaScript runtime, in Node or in a browser: no host
has to register anything. A writable matrix crosses as its address in the
WebAssembly heap (JavaScript reads the rows in place), other inputs by the
buffer protocol (numpy arrays, memoryviews, array.array) and string labels as a
list. An answer is one JavaScript byte array
(a JSON head, then the arrays), so a call crosses the language boundary twice:
the call, and one copy of the answer into Python memory.
"""

from __future__ import annotations

import json
from pathlib import Path

try:
    import ctypes
except ImportError:  # a Pyodide built without it: every input crosses as a buffer proxy
    ctypes = None

from .._arrays import np
from .._errors import EngineError, engine_exception
from . import encode_fields, split_sparse

BUNDLE = Path(__file__).resolve().parent.parent / "_engine" / "knnkit-pyodide.js"
_transport = None


def transport():
    """The engine's transport, loaded from the bundle on first use."""
    global _transport
    if _transport is None:
        if not BUNDLE.is_file():
            raise EngineError(f"the knnkit engine bundle is missing ({BUNDLE}); reinstall knnkit")
        import pyodide_js
        from pyodide.code import run_js

        try:
            factory = run_js(BUNDLE.read_text(encoding="utf-8") + "\n;knnkitPyodide")
            _transport = factory.createTransport(pyodide_js)
        except Exception as e:  # a damaged bundle: say which file, not a stack trace from inside it
            raise EngineError(f"the knnkit engine bundle {BUNDLE} could not be loaded ({type(e).__name__}: {e}); reinstall knnkit") from None
    return _transport


_ITEMSIZE = {"d": 8, "f": 4, "i": 4, "B": 1}
_KEYS: dict = {}


def fields_json(fields):
    """JSON of encode_fields(fields); a flat dict of integers, booleans and None (a query's handle
    and k) is written directly, as the json module costs a tiny call several microseconds."""
    parts = []
    for key, value in fields.items():
        kind = type(value)
        if kind is int:
            text = str(value)
        elif kind is bool or value is None:
            text = "null" if value is None else ("true" if value else "false")
        else:
            return json.dumps(encode_fields(fields))
        prefix = _KEYS.get(key)
        if prefix is None:
            prefix = _KEYS[key] = json.dumps(str(key)) + ":"
        parts.append(prefix + text)
    return "{" + ",".join(parts) + "}"


def decode(answer):
    """(head, {name: array}) of a transport answer, one JavaScript byte array (see encodeAnswer in
    pyodide-transport.ts): copied once into Python memory, the arrays are views on that copy."""
    data = answer.to_memoryview()
    n = int.from_bytes(data[:4], "little")
    head = json.loads(str(data[4 : 4 + n], "utf-8"))
    arrays = {}
    at = (4 + n + 7) & ~7
    for name, fmt, length, shape in head.get("arrays", ()):
        end = at + length * _ITEMSIZE[fmt]
        if np is not None:
            a = np.frombuffer(data[at:end], dtype=fmt)
            arrays[name] = a.reshape(shape) if shape else a
        else:  # memoryview.cast refuses a shape with a zero in it
            arrays[name] = data[at:end].cast(fmt, shape) if shape and length else data[at:end].cast(fmt)
        at = (end + 7) & ~7
    return head, arrays


def _place(X):
    """(address, rows, cols, float32) of a writable C-contiguous 2-D float64/float32 buffer in the
    WebAssembly heap, where JavaScript reads it for as long as the call holds X; None for any other
    (read-only buffers: ctypes takes writable ones only), which then crosses as a buffer proxy."""
    if ctypes is None:
        return None
    try:
        address = ctypes.addressof(ctypes.c_char.from_buffer(X))
    except (TypeError, ValueError, BufferError):
        return None
    mv = memoryview(X)
    if mv.ndim != 2 or mv.format not in ("d", "f"):
        return None
    return address, mv.shape[0], mv.shape[1], mv.format == "f"


class PyodideBackend:
    name = "pyodide"
    generation = 1
    current_generation = 1

    def __init__(self, transport=None):
        """transport: a PyodideTransport (JsProxy); by default the bundle's, loaded on first use."""
        self._transport = transport
        self._call = self._call_at = None  # JsProxies of its two functions, made once

    def send(self, op, inputs, fields):
        """One operation's answer: (head, arrays), an engine error in the head. inputs: X (dense or
        scipy.sparse), y, bytes, or a sparse X already as its parts X_data, X_indices, X_indptr."""
        if self._call is None:
            t = self._transport if self._transport is not None else transport()
            self._call, self._call_at = t.call, t.callAt
        if not inputs:
            return decode(self._call(op, fields_json(fields)))
        X = inputs.get("X")
        place = _place(X) if X is not None and len(inputs) == 1 else None
        if place is not None:
            return decode(self._call_at(op, fields_json(fields), *place))
        inputs, shape = split_sparse(inputs)
        if shape is not None:
            fields = {**fields, "X_shape": shape}
        X = inputs["X_data"] if "X_data" in inputs else inputs.get("X")
        return decode(self._call(op, fields_json(fields), X, inputs.get("y"), inputs.get("bytes"), inputs.get("X_indices"), inputs.get("X_indptr")))

    def call(self, op, inputs=None, **fields):
        head, arrays = self.send(op, inputs, fields)
        if not head["ok"]:
            raise engine_exception(head["error"]["code"], head["error"]["message"])
        return head["result"], arrays
