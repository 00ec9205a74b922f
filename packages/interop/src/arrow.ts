/**
 * Matrices and results as Apache Arrow. A matrix is one column of
 * FixedSizeList<Float32|Float64>[cols]; its child values are exactly the
 * row-major data, so it maps to a knnkit Matrix as a view.
 *
 * Copies happen only when they must:
 *  - a sliced column (offset into its child values) or a child buffer whose
 *    byte offset is not a multiple of the element size is copied;
 *  - arrow-js itself copies IPC bytes that start at an offset that is not a
 *    multiple of 8 (keep IPC buffers 8-aligned: fs.readFileSync's are);
 *  - a column with several record batches is concatenated (one copy);
 *  - a table of one numeric column per feature is copied into row-major order.
 */
import {
  Data,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  Uint8,
  makeData,
  makeVector,
  Table,
  tableFromIPC,
  tableToIPC,
  Type,
  Vector,
  type DataType,
} from "apache-arrow";
import { KnnInputError, matrixView, type Matrix } from "@knnkit/core";

export const MATRIX_COLUMN = "data";

/** A FixedSizeList vector over the matrix data (no copy). */
export function matrixToVector(m: Matrix): Vector<FixedSizeList<Float32 | Float64>> {
  const childType = m.data instanceof Float32Array ? new Float32() : new Float64();
  const child = makeData({ type: childType, length: m.data.length, data: m.data as never });
  const type = new FixedSizeList(m.cols, new Field("item", childType, false));
  return makeVector(makeData({ type, length: m.rows, nullCount: 0, child }) as Data<FixedSizeList<Float32 | Float64>>);
}

/** A one-column Arrow table holding the matrix. */
export function matrixToTable(m: Matrix, column = MATRIX_COLUMN): Table {
  return new Table({ [column]: matrixToVector(m) });
}

export function matrixToIPC(m: Matrix): Uint8Array {
  return tableToIPC(matrixToTable(m), "file");
}

/** Whether a matrix's data is a view of the given bytes (for tests and docs). */
export function sharesBuffer(m: Matrix, bytes: ArrayBufferView): boolean {
  return m.data.buffer === bytes.buffer;
}

function isFloatType(t: DataType): t is Float32 | Float64 {
  return t.typeId === Type.Float;
}

/**
 * A matrix from a FixedSizeList<Float32|Float64> vector: a view when the
 * column is one contiguous, aligned, unsliced chunk; otherwise one copy.
 */
export function vectorToMatrix(v: Vector): Matrix {
  const type = v.type as DataType;
  if (type.typeId !== Type.FixedSizeList) {
    throw new KnnInputError(`expected a FixedSizeList<Float32|Float64> column, got ${String(type)}`);
  }
  const fsl = type as FixedSizeList;
  const childType = fsl.children[0].type as DataType;
  if (!isFloatType(childType) || (childType.precision !== 1 && childType.precision !== 2)) {
    throw new KnnInputError(`matrix values must be float32 or float64, got ${String(childType)}`);
  }
  const cols = fsl.listSize;
  const rows = v.length;
  if (v.nullCount > 0) throw new KnnInputError("the matrix column contains nulls");
  if (v.data.length === 1) {
    const d = v.data[0];
    const values = d.children[0].values as Float32Array | Float64Array;
    const start = d.offset * cols;
    const view = values.subarray(start, start + rows * cols);
    if (d.children[0].nullCount > 0) throw new KnnInputError("the matrix values contain nulls");
    return matrixView(d.offset === 0 ? values.length === rows * cols ? values : view : view.slice(), rows, cols);
  }
  const Ctor = childType.precision === 1 ? Float32Array : Float64Array;
  const out = new Ctor(rows * cols);
  let at = 0;
  for (const d of v.data) {
    const values = d.children[0].values as Float32Array | Float64Array;
    out.set(values.subarray(d.offset * cols, (d.offset + d.length) * cols), at);
    at += d.length * cols;
  }
  return matrixView(out, rows, cols);
}

/**
 * A matrix from a table: its FixedSizeList column (named `column`, or the only
 * one) as a view, or one numeric column per feature copied into row-major float64.
 */
export function tableToMatrix(table: Table, column?: string): Matrix {
  const fields = table.schema.fields;
  const name = column ?? (fields.length === 1 ? fields[0].name : fields.find((f) => f.type.typeId === Type.FixedSizeList)?.name);
  if (name !== undefined) {
    const v = table.getChild(name);
    if (!v) throw new KnnInputError(`the table has no column "${name}"`);
    if (v.type.typeId === Type.FixedSizeList) return vectorToMatrix(v);
  }
  const rows = table.numRows;
  const cols = fields.length;
  if (rows === 0 || cols === 0) throw new KnnInputError("the table is empty");
  const out = new Float64Array(rows * cols);
  fields.forEach((f, j) => {
    if (![Type.Float, Type.Int].includes(f.type.typeId)) {
      throw new KnnInputError(`column "${f.name}" is ${String(f.type)}, not numeric`);
    }
    const v = table.getChild(f.name)!;
    let i = 0;
    for (const x of v) {
      if (x === null) throw new KnnInputError(`column "${f.name}" contains nulls`);
      out[i++ * cols + j] = Number(x);
    }
  });
  return matrixView(out, rows, cols);
}

/** Reads an Arrow IPC buffer (file or stream format) holding a matrix. */
export function matrixFromIPC(bytes: Uint8Array, column?: string): Matrix {
  return tableToMatrix(readIPC(bytes), column);
}

/** tableFromIPC with a clear error for foreign or truncated bytes. */
export function readIPC(bytes: Uint8Array): Table {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    throw new KnnInputError(`not a readable Arrow IPC buffer (${e instanceof Error ? e.message : String(e)})`);
  }
  if (table.schema.fields.length === 0 && bytes.length > 0) {
    throw new KnnInputError("not an Arrow IPC buffer, or truncated: no schema could be read");
  }
  return table;
}

/** A vector over a typed array (no copy). */
export function typedVector(a: Float64Array | Float32Array | Int32Array | Uint8Array): Vector {
  if (a instanceof Float64Array) return makeVector(makeData({ type: new Float64(), length: a.length, data: a }));
  if (a instanceof Float32Array) return makeVector(makeData({ type: new Float32(), length: a.length, data: a }));
  if (a instanceof Uint8Array) return makeVector(makeData({ type: new Uint8(), length: a.length, data: a }));
  return makeVector(makeData({ type: new Int32(), length: a.length, data: a }));
}

/** A table of equal-length typed arrays and matrices (no copies), as IPC bytes. */
export function arraysToIPC(columns: Record<string, Float64Array | Float32Array | Int32Array | Matrix>): Uint8Array {
  const vectors: Record<string, Vector> = {};
  for (const [name, a] of Object.entries(columns)) {
    vectors[name] = ArrayBuffer.isView(a) ? typedVector(a as Float64Array) : matrixToVector(a as Matrix);
  }
  return tableToIPC(new Table(vectors), "file");
}
