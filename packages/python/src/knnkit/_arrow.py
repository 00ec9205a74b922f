"""numpy <-> Arrow IPC files: a matrix is one FixedSizeList<float32|float64> column."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def write_matrix(path: str, X: np.ndarray) -> None:
    """Writes a 2-D float32/float64 array as an Arrow IPC file (the values are not converted)."""
    X = np.ascontiguousarray(X)
    values = pa.array(X.reshape(-1))
    column = pa.FixedSizeListArray.from_arrays(values, X.shape[1])
    _write(path, pa.table({"data": column}))


def write_vector(path: str, y: np.ndarray) -> None:
    _write(path, pa.table({"y": pa.array(np.ascontiguousarray(y))}))


def _write(path: str, table: pa.Table) -> None:
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def read_array(path: str) -> np.ndarray:
    """Maps an Arrow IPC file and returns its column as a numpy view (read-only, no copy)."""
    table = pa.ipc.open_file(pa.memory_map(path, "r")).read_all()
    column = table.column(0)
    chunk = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    if pa.types.is_fixed_size_list(chunk.type):
        width = chunk.type.list_size
        return chunk.values.to_numpy(zero_copy_only=True).reshape(-1, width)
    return chunk.to_numpy(zero_copy_only=True)

