import fc from "fast-check";
import { matrixView, mulberry32, type Matrix } from "../src/index.js";

export { mulberry32 };

export type DataKind = "uniform" | "grid" | "duplicates";

/** Random data with deliberate ties: integer grids and repeated rows. */
export function makeData(kind: DataKind, rows: number, cols: number, seed: number, float32 = false): Matrix {
  const rand = mulberry32(seed);
  const data = float32 ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  const distinct = Math.max(1, Math.floor(rows / 4));
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (kind === "uniform") data[i * cols + j] = rand() * 10 - 5;
      else if (kind === "grid") data[i * cols + j] = Math.floor(rand() * 4);
      else data[i * cols + j] = i >= distinct ? data[(i % distinct) * cols + j] : Math.floor(rand() * 3) + rand();
    }
  }
  return matrixView(data, rows, cols);
}

export const dataArb = fc.record({
  kind: fc.constantFrom<DataKind>("uniform", "grid", "duplicates"),
  rows: fc.integer({ min: 1, max: 3000 }),
  cols: fc.integer({ min: 1, max: 24 }),
  queries: fc.integer({ min: 1, max: 30 }),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
  float32: fc.boolean(),
});

/** Plain reference: all distances, sorted by (distance, index). */
export function naiveKnn(X: Matrix, Q: Matrix, k: number, dist: (a: ArrayLike<number>, b: ArrayLike<number>) => number) {
  const indices: number[][] = [];
  const distances: number[][] = [];
  for (let i = 0; i < Q.rows; i++) {
    const q = Q.data.subarray(i * Q.cols, (i + 1) * Q.cols);
    const all = Array.from({ length: X.rows }, (_, r) => ({
      r,
      d: dist(q, X.data.subarray(r * X.cols, (r + 1) * X.cols)),
    }));
    all.sort((a, b) => a.d - b.d || a.r - b.r);
    indices.push(all.slice(0, k).map((e) => e.r));
    distances.push(all.slice(0, k).map((e) => e.d));
  }
  return { indices, distances };
}

export const naiveMetrics: Record<string, (p: number) => (a: ArrayLike<number>, b: ArrayLike<number>) => number> = {
  euclidean: () => (a, b) => Math.sqrt(Array.from(a).reduce((s, v, j) => s + (v - b[j]) ** 2, 0)),
  manhattan: () => (a, b) => Array.from(a).reduce((s, v, j) => s + Math.abs(v - b[j]), 0),
  chebyshev: () => (a, b) => Array.from(a).reduce((s, v, j) => Math.max(s, Math.abs(v - b[j])), 0),
  minkowski: (p) => (a, b) => Array.from(a).reduce((s, v, j) => s + Math.abs(v - b[j]) ** p, 0) ** (1 / p),
  cosine: () => (a, b) => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let j = 0; j < a.length; j++) {
      dot += a[j] * b[j];
      na += a[j] * a[j];
      nb += b[j] * b[j];
    }
    return na === 0 || nb === 0 ? 1 : Math.min(2, Math.max(0, 1 - dot / (Math.sqrt(na) * Math.sqrt(nb))));
  },
};

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-12): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Math.abs(a - e) > rel * Math.max(1, Math.abs(e))) {
      throw new Error(`element ${i}: ${a} != ${e} (rel ${rel})`);
    }
  }
}
