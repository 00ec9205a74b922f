"""Arrays with numpy when it is there, else Python buffers (Pyodide has no numpy wheel).

Inputs become C-contiguous 2-D float64/float32 buffers, or scipy CSR matrices for
the estimators that take sparse input; the engine checks their values (NaN,
infinity, shapes). Outputs are numpy arrays, or memoryviews and
lists without numpy.
"""

from __future__ import annotations

import array
import sys

try:
    import numpy as np
except ImportError:
    np = None


SPARSE_REFUSED = "Sparse data was passed for X, but dense data is required. Use '.toarray()' to convert to a dense numpy array."


def is_sparse(X):
    """Whether X is a scipy.sparse matrix or array (scipy is loaded whenever one exists)."""
    module = sys.modules.get("scipy.sparse")
    return module is not None and module.issparse(X)


def as_csr(X):
    """X as a CSR matrix with float32/float64 values and canonical rows (sorted, no duplicates); copied only if needed."""
    X = X.tocsr()
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


def as_rows(X, sparse, what="X"):
    """as_matrix, or as_csr for sparse X where sparse input is taken (else scikit-learn's TypeError)."""
    return as_csr(X) if sparse and is_sparse(X) else as_matrix(X, what)


def csr_parts(X):
    """The engine's parts of a CSR matrix: data, int32 indices and indptr, and [rows, cols]."""
    if X.nnz > 2**31 - 1:
        raise ValueError(f"X has {X.nnz} stored values; the engine takes at most 2**31 - 1")
    return X.data, X.indices.astype(np.int32, copy=False), X.indptr.astype(np.int32, copy=False), [int(n) for n in X.shape]


def as_matrix(X, what="X"):
    """A C-contiguous 2-D float64/float32 buffer: a numpy array when numpy is there (sparse X refused: TypeError)."""
    if is_sparse(X):
        raise TypeError(SPARSE_REFUSED)
    if np is not None:
        a = np.asarray(X)
        if a.dtype.kind not in "fiub":
            raise ValueError(f"{what} must be numeric, got dtype {a.dtype}")
        if a.dtype not in (np.float32, np.float64):
            a = a.astype(np.float64)
        if a.ndim != 2:
            raise ValueError(f"Expected 2D array, got {a.ndim}D array instead")
        return np.ascontiguousarray(a)
    if isinstance(X, (list, tuple)):
        if not X:
            raise ValueError(f"{what} is empty")
        cols = len(X[0])
        flat = array.array("d")
        for i, row in enumerate(X):
            if len(row) != cols:
                raise ValueError(f"{what} has ragged rows: row {i} has {len(row)} values, row 0 has {cols}")
            for v in row:
                if isinstance(v, (str, bytes)):
                    raise ValueError(f"{what} must be numeric, found {v!r}")
                flat.append(float(v))
        return memoryview(flat).cast("B").cast("d", [len(X), cols])
    mv = memoryview(X)
    if mv.ndim != 2:
        raise ValueError(f"{what} must be a 2-D buffer; cast a flat one: memoryview(a).cast('B').cast('d', [rows, cols])")
    if mv.format not in ("d", "f"):
        raise ValueError(f"{what} must hold float64 ('d') or float32 ('f') values, got format {mv.format!r}")
    if not mv.c_contiguous:
        raise ValueError(f"{what} must be C-contiguous")
    return mv


def shape(X):
    return tuple(X.shape)


def target(y, rows, numeric):
    """A target for the engine: float64 values, or a list of strings for string class labels."""
    if np is not None:
        a = np.asarray(y)
        if a.ndim != 1:
            raise ValueError(f"y must be 1-D (multi-output targets are not supported yet), got shape {a.shape}")
        if len(a) != rows:
            raise ValueError(f"Found input variables with inconsistent numbers of samples: [{rows}, {len(a)}]")
        if a.dtype.kind in "biuf":
            return a.astype(np.float64)
        if numeric:
            raise ValueError(f"y must be numeric, got dtype {a.dtype}")
        if not all(isinstance(v, str) for v in a.tolist()):
            raise ValueError("class labels must be all numbers or all strings")
        return [str(v) for v in a.tolist()]
    values = list(y.tolist() if hasattr(y, "tolist") else y)
    if len(values) != rows:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: [{rows}, {len(values)}]")
    if all(isinstance(v, str) for v in values) and not numeric:
        return values
    if any(isinstance(v, (str, bytes)) for v in values):
        raise ValueError("y must be numeric" if numeric else "class labels must be all numbers or all strings")
    return memoryview(array.array("d", (float(v) for v in values)))


def classes_array(classes, y):
    """The engine's sorted classes in the dtype of the labels given to fit."""
    if np is None:
        return list(classes)
    a = np.asarray(y)
    return np.asarray(classes, dtype=a.dtype if a.dtype.kind in "biufU" else object)


def take(classes, codes):
    """classes[codes] (the labels of predicted class codes)."""
    if np is not None:
        return np.asarray(classes)[np.asarray(codes, dtype=np.intp)]
    return [classes[int(c)] for c in codes]


def reshape(a, shape):
    """A flat engine array as `shape` (numpy, or a memoryview cast)."""
    if np is not None:
        return np.asarray(a).reshape(shape)
    return a.cast("B").cast(a.format, list(shape))


def floats(a):
    return np.array(a, dtype=np.float64) if np is not None else a


def indices(a):
    return np.asarray(a).astype(np.intp) if np is not None else a


def ragged(offsets, values, as_float):
    """Rows of a CSR result: an object array of arrays (numpy) or a list of memoryview slices."""
    n = len(offsets) - 1
    rows = [values[offsets[i]:offsets[i + 1]] for i in range(n)]
    if np is None:
        return rows
    out = np.empty(n, dtype=object)
    out[:] = [np.array(r, dtype=np.float64) if as_float else np.asarray(r).astype(np.intp) for r in rows]
    return out


def counts(offsets):
    n = len(offsets) - 1
    c = [offsets[i + 1] - offsets[i] for i in range(n)]
    return np.asarray(c, dtype=np.intp) if np is not None else c
