/**
 * Sparse rows in CSR form (scipy.sparse's csr_matrix): the non-zeros of row i are
 * data[indptr[i] .. indptr[i+1]) in columns indices[indptr[i] .. indptr[i+1]),
 * columns strictly increasing within a row. Rows without entries are all zero.
 */
import { KnnInputError, describeValue } from "./errors.js";
import { toMatrix, type FloatArray, type Matrix, type MatrixLike } from "./matrix.js";

export interface CsrMatrix {
  readonly format: "csr";
  readonly data: FloatArray;
  readonly indices: Int32Array;
  readonly indptr: Int32Array;
  readonly rows: number;
  readonly cols: number;
}

/** What the check takes: the arrays and the shape. */
export interface CsrInput {
  readonly data: FloatArray;
  readonly indices: Int32Array;
  readonly indptr: Int32Array;
  readonly rows: number;
  readonly cols: number;
}

/** Rows as estimators take them: dense, or sparse (CSR). */
export type RowsLike = MatrixLike | CsrInput;

/** Checked rows: a CSR matrix (csrMatrix) or a dense one (toMatrix). */
export function toRows(x: RowsLike, what = "X"): Matrix | CsrMatrix {
  return isCsr(x) ? csrMatrix(x, what) : toMatrix(x, what);
}

/** Rows as a dense matrix: CSR rows densified (a copy), dense ones checked (toMatrix). */
export function toDense(x: RowsLike, what = "X"): Matrix {
  return isCsr(x) ? densifyRows(csrMatrix(x, what)) : toMatrix(x, what);
}

/** Whether x is a CSR matrix (has indptr); not whether it is a valid one. */
export function isCsr(x: unknown): x is CsrInput {
  return typeof x === "object" && x !== null && "indptr" in x && "indices" in x && "data" in x;
}

/**
 * A checked CSR matrix. Refuses wrong array types or lengths, an indptr that does
 * not start at 0, decreases or does not end at the number of entries, column
 * indices out of range or repeated within a row, and NaN or infinite values.
 * Rows whose columns are not in increasing order are sorted in a copy; otherwise
 * the arrays are used as they are.
 */
export function csrMatrix(x: CsrInput, what = "X"): CsrMatrix {
  const { data, indices, indptr, rows, cols } = x;
  const fail = (message: string): never => {
    throw new KnnInputError(`${what} (sparse CSR): ${message}`);
  };
  if (!(data instanceof Float64Array || data instanceof Float32Array)) fail(`data must be a Float64Array or Float32Array, got ${describeValue(data)}`);
  if (!(indices instanceof Int32Array)) fail(`indices must be an Int32Array, got ${describeValue(indices)}`);
  if (!(indptr instanceof Int32Array)) fail(`indptr must be an Int32Array, got ${describeValue(indptr)}`);
  for (const [name, n] of [["rows", rows], ["cols", cols]] as const) {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1) fail(`${name} must be an integer >= 1, got ${describeValue(n)}`);
  }
  if (indptr.length !== rows + 1) fail(`indptr has ${indptr.length} entries; a matrix of ${rows} rows needs ${rows + 1}`);
  if (indices.length !== data.length) fail(`indices has ${indices.length} entries but data has ${data.length}`);
  if (indptr[0] !== 0) fail(`indptr must start at 0, got ${indptr[0]}`);
  if (indptr[rows] !== data.length) fail(`indptr ends at ${indptr[rows]} but there are ${data.length} entries`);
  for (let i = 0; i < rows; i++) {
    if (indptr[i + 1] < indptr[i]) fail(`indptr is not monotone: indptr[${i + 1}] = ${indptr[i + 1]} < indptr[${i}] = ${indptr[i]}`);
  }
  let sorted = true;
  for (let i = 0; i < rows; i++) {
    const a = indptr[i];
    const b = indptr[i + 1];
    for (let p = a; p < b; p++) {
      const j = indices[p];
      if (!(j >= 0 && j < cols)) fail(`column index ${j} in row ${i} is out of range [0, ${cols})`);
      const v = data[p];
      if (v - v !== 0) fail(`${Number.isNaN(v) ? "NaN" : "Infinity"} in row ${i}, column ${j}`);
      if (p > a && j <= indices[p - 1]) {
        if (j === indices[p - 1]) fail(`column ${j} appears twice in row ${i} (sum duplicates first)`);
        sorted = false;
      }
    }
  }
  if (sorted) return { format: "csr", data, indices, indptr, rows, cols };
  const outIndices = indices.slice();
  const outData = data.slice();
  for (let i = 0; i < rows; i++) {
    const a = indptr[i];
    const n = indptr[i + 1] - a;
    const order = Int32Array.from({ length: n }, (_, t) => a + t).sort((s, t) => indices[s] - indices[t]);
    for (let t = 0; t < n; t++) {
      if (t > 0 && indices[order[t]] === indices[order[t - 1]]) fail(`column ${indices[order[t]]} appears twice in row ${i} (sum duplicates first)`);
      outIndices[a + t] = indices[order[t]];
      outData[a + t] = data[order[t]];
    }
  }
  return { format: "csr", data: outData, indices: outIndices, indptr, rows, cols };
}

/** Rows [from, to) of a CSR matrix as a dense row-major float64 matrix. */
export function densifyRows(m: CsrMatrix, from = 0, to = m.rows): Matrix {
  const { cols, indptr, indices, data } = m;
  const out = new Float64Array((to - from) * cols);
  for (let i = from; i < to; i++) {
    const o = (i - from) * cols;
    for (let p = indptr[i]; p < indptr[i + 1]; p++) out[o + indices[p]] = data[p];
  }
  return { data: out, rows: to - from, cols };
}

/** Rows [from, to) of a CSR matrix as a CSR matrix (views, indptr shifted). */
export function csrRows(m: CsrMatrix, from: number, to: number): CsrMatrix {
  const a = m.indptr[from];
  const b = m.indptr[to];
  const indptr = Int32Array.from(m.indptr.subarray(from, to + 1), (p) => p - a);
  return { format: "csr", data: m.data.subarray(a, b), indices: m.indices.subarray(a, b), indptr, rows: to - from, cols: m.cols };
}
