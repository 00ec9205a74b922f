"""The Pyodide backend: the engine runs in the same process, in Pyodide's JavaScript context.

The engine is the bundle shipped inside this package (knnkit/_engine/knnkit-pyodide.js),
evaluated once in Pyodide's JavaScript runtime, in Node or in a browser: no host
has to register anything. Inputs cross by the buffer protocol (numpy arrays,
memoryviews, array.array) and string labels as a list; JavaScript reads query
rows in place from the WebAssembly heap. An answer is one JavaScript array (a
JSON head, then the typed arrays), so a call crosses the language boundary a few
times only. Results are copied into Python memory.
"""

from __future__ import annotations

import json
from pathlib import Path

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


def _array(proxy, shape):
    mv = proxy.to_memoryview() if hasattr(proxy, "to_memoryview") else memoryview(proxy.to_py())
    if np is not None:
        a = np.asarray(mv)
        return a.reshape(shape) if shape else a
    return mv.cast("B").cast(mv.format, list(shape)) if shape else mv


class PyodideBackend:
    name = "pyodide"
    generation = 1
    current_generation = 1

    def call(self, op, inputs=None, **fields):
        inputs, shape = split_sparse(inputs or {})
        if shape is not None:
            fields["X_shape"] = shape
        X = inputs.get("X_data") if shape is not None else inputs.get("X")
        answer = transport().call(op, json.dumps(encode_fields(fields)), X, inputs.get("y"), inputs.get("bytes"),
                                  inputs.get("X_indices"), inputs.get("X_indptr"))
        parts = answer.to_py(depth=1)
        head = json.loads(parts[0])
        if not head["ok"]:
            raise engine_exception(head["error"]["code"], head["error"]["message"])
        arrays = {name: _array(part, shape) for (name, shape), part in zip(head["arrays"], parts[1:])}
        return head["result"], arrays
