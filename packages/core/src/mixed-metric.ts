/**
 * The heterogeneous (mixed) distance: numeric columns as the chosen metric,
 * categorical columns as 0/1 mismatch. A categorical column contributes like a
 * numeric column whose values differ by `weight` when the codes differ and by 0
 * when they are equal: euclidean sqrt(sum (x-q)^2 + weight^2 * mismatches),
 * manhattan sum |x-q| + weight * mismatches, chebyshev max(max |x-q|,
 * weight if any mismatch), minkowski (sum |x-q|^p + weight^p * mismatches)^(1/p).
 */
import { KnnInputError } from "./errors.js";
import type { FloatArray } from "./matrix.js";
import { MetricKind, gapPower, reducedDistanceFn, type Metric, type ReducedDistance } from "./metrics.js";

/** Validates a list of distinct column indices (order kept). */
export function checkColumnIndices(features: readonly number[] | undefined, cols: number, name: string): number[] {
  if (features === undefined) return [];
  if (!Array.isArray(features)) throw new KnnInputError(`${name} must be an array of column indices`);
  const seen = new Set<number>();
  for (const j of features) {
    if (!Number.isInteger(j) || j < 0 || j >= cols) {
      throw new KnnInputError(`${name} holds ${j}, which is not a column index in [0, ${cols})`);
    }
    if (seen.has(j)) throw new KnnInputError(`${name} lists column ${j} twice`);
    seen.add(j);
  }
  return [...features];
}

export function checkCategoricalFeatures(features: readonly number[] | undefined, cols: number): number[] {
  return checkColumnIndices(features, cols, "categoricalFeatures").sort((a, b) => a - b);
}

/** Reduced mixed distance; plain reduced distance when there are no categorical columns. */
export function mixedReducedDistance(metric: Metric, categorical: readonly number[], cols: number, weight = 1): ReducedDistance {
  if (categorical.length === 0) return reducedDistanceFn(metric);
  if (metric.kind === MetricKind.Cosine || metric.kind > MetricKind.Minkowski) {
    throw new KnnInputError(`categoricalFeatures cannot be combined with metric "${metric.name}"${metric.param ? " with parameters" : ""}`);
  }
  if (!(weight > 0) || !Number.isFinite(weight)) throw new KnnInputError(`categoricalWeight must be a finite number > 0, got ${weight}`);
  const isCat = new Uint8Array(cols);
  for (const j of categorical) isCat[j] = 1;
  const mismatch = gapPower(metric, weight);
  const chebyshev = metric.kind === MetricKind.Chebyshev;
  return (a: FloatArray, ao: number, b: FloatArray, bo: number, d: number): number => {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const diff = a[ao + j] - b[bo + j];
      const term = isCat[j] === 1 ? (diff === 0 ? 0 : mismatch) : gapPower(metric, Math.abs(diff));
      if (chebyshev) s = term > s ? term : s;
      else s += term;
    }
    return s;
  };
}

/** Checks that categorical columns of a matrix hold integer codes. */
export function checkCategoricalCodes(data: FloatArray, rows: number, cols: number, categorical: readonly number[], what: string): void {
  for (const j of categorical) {
    for (let i = 0; i < rows; i++) {
      const v = data[i * cols + j];
      if (!Number.isInteger(v)) {
        throw new KnnInputError(`${what}: categorical feature ${j} must hold integer codes, found ${v} at row ${i}`);
      }
    }
  }
}
