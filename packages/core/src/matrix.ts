import { KnnInputError, describeValue, sparseRefused } from "./errors.js";

export type FloatArray = Float64Array | Float32Array;

/** A dense row-major matrix: row i is data[i*cols .. (i+1)*cols). */
export interface Matrix {
  readonly data: FloatArray;
  readonly rows: number;
  readonly cols: number;
}

export type MatrixLike = Matrix | readonly (readonly number[])[];

export type Dtype = "float64" | "float32";

/**
 * Copies `number[][]` once into a row-major typed array (float64 unless asked).
 * Every value must be a number: null, strings, BigInts or nested arrays are
 * refused (not coerced), naming row and column.
 */
export function matrixFromRows(rows: readonly (readonly number[])[], dtype: Dtype = "float64"): Matrix {
  if (dtype !== "float64" && dtype !== "float32") throw new KnnInputError(`dtype must be "float64" or "float32", got ${describeValue(dtype)}`);
  if (!Array.isArray(rows)) throw new KnnInputError(`expected an array of rows or a matrix { data, rows, cols }, got ${describeValue(rows)}`);
  const n = rows.length;
  if (n === 0) throw new KnnInputError("the matrix has zero rows");
  const first = rows[0];
  if (!Array.isArray(first)) throw new KnnInputError(`row 0 is ${describeValue(first)}, not an array of numbers`);
  const d = first.length;
  if (d === 0) throw new KnnInputError("the matrix has zero columns");
  const data = dtype === "float32" ? new Float32Array(n * d) : new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (!Array.isArray(row) || row.length !== d) {
      throw new KnnInputError(
        `ragged rows: row ${i} has ${Array.isArray(row) ? row.length : "no"} values, row 0 has ${d}`,
      );
    }
    for (let j = 0; j < d; j++) {
      const v: unknown = row[j];
      if (typeof v !== "number") throw new KnnInputError(`row ${i}, column ${j} is ${describeValue(v)}, not a number`);
      data[i * d + j] = v;
    }
  }
  return { data, rows: n, cols: d };
}

/** Wraps an existing typed array as a matrix without copying. */
export function matrixView(data: FloatArray, rows: number, cols: number): Matrix {
  if (!(data instanceof Float64Array || data instanceof Float32Array)) {
    throw new KnnInputError(`matrix data must be a Float64Array or Float32Array, got ${describeValue(data)}`);
  }
  checkSize(rows, "rows");
  checkSize(cols, "cols");
  if (data.length !== rows * cols) {
    throw new KnnInputError(`data length ${data.length} does not equal rows*cols = ${rows}*${cols}`);
  }
  return { data, rows, cols };
}

function checkSize(n: unknown, name: "rows" | "cols"): void {
  if (n === 0) throw new KnnInputError(`the matrix has zero ${name === "rows" ? "rows" : "columns"}`);
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) throw new KnnInputError(`${name} must be a positive integer, got ${describeValue(n)}`);
}

function isMatrix(x: unknown): x is Matrix {
  return typeof x === "object" && x !== null && "data" in x && "rows" in x && "cols" in x;
}

/** Accepts a Matrix (validated, no copy) or `number[][]` (one copy). */
export function toMatrix(x: MatrixLike, what = "X"): Matrix {
  if (typeof x === "object" && x !== null && "indptr" in x) throw new KnnInputError(sparseRefused(what));
  let m: Matrix;
  try {
    m = isMatrix(x) ? matrixView(x.data, x.rows, x.cols) : matrixFromRows(x as readonly (readonly number[])[]);
  } catch (e) {
    if (e instanceof KnnInputError) throw new KnnInputError(`${what}: ${e.message}`);
    throw e;
  }
  checkFinite(m, what);
  return m;
}

export function checkFinite(m: Matrix, what: string): void {
  const { data, cols } = m;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) {
      const row = Math.floor(i / cols);
      const col = i % cols;
      throw new KnnInputError(
        `${what} contains ${Number.isNaN(v) ? "NaN" : "Infinity"} at row ${row}, column ${col}`,
      );
    }
  }
}

export function checkColumns(m: Matrix, expected: number, what = "X"): void {
  if (m.cols !== expected) {
    throw new KnnInputError(
      `${what} has ${m.cols} features, but the index was fitted with ${expected} features`,
    );
  }
}
