import { KnnInputError } from "./errors.js";
import type { FloatArray } from "./matrix.js";

/**
 * Metrics work on a "reduced" distance inside loops (squared euclidean, sum of
 * |d|^p for minkowski, 1 - cos for cosine) and convert once for the result.
 */
export type MetricName = "euclidean" | "manhattan" | "chebyshev" | "minkowski" | "cosine";

export const enum MetricKind {
  Euclidean = 0,
  Manhattan = 1,
  Chebyshev = 2,
  Minkowski = 3,
  Cosine = 4,
}

export interface MetricOptions {
  /** euclidean | manhattan | chebyshev | minkowski | cosine, plus scikit-learn's aliases (l2, l1, cityblock, infinity). */
  metric?: string;
  /** Minkowski power, p >= 1 (p = 1, 2, Infinity select manhattan, euclidean, chebyshev). */
  p?: number;
}

export interface Metric {
  readonly kind: MetricKind;
  readonly name: MetricName;
  readonly p: number;
}

const ALIASES: Record<string, MetricName> = {
  euclidean: "euclidean",
  l2: "euclidean",
  manhattan: "manhattan",
  cityblock: "manhattan",
  l1: "manhattan",
  chebyshev: "chebyshev",
  infinity: "chebyshev",
  minkowski: "minkowski",
  cosine: "cosine",
};

export const METRIC_NAMES: readonly string[] = Object.keys(ALIASES);

/** Resolves a metric name and p into one of the five kinds (minkowski p=1/2/inf become their named forms). */
export function resolveMetric(options: MetricOptions = {}): Metric {
  const raw = options.metric ?? "minkowski";
  const name = typeof raw === "string" ? ALIASES[raw.toLowerCase()] : undefined;
  if (name === undefined) {
    throw new KnnInputError(`unknown metric "${String(raw)}"; expected one of ${METRIC_NAMES.join(", ")}`);
  }
  let p = options.p ?? 2;
  if (typeof p !== "number" || Number.isNaN(p) || p < 1) {
    throw new KnnInputError(`p must be a number >= 1 (got ${String(p)})`);
  }
  if (name !== "minkowski") {
    p = name === "manhattan" ? 1 : name === "chebyshev" ? Infinity : 2;
    return { kind: kindOf(name), name, p };
  }
  if (p === 1) return { kind: MetricKind.Manhattan, name: "manhattan", p };
  if (p === 2) return { kind: MetricKind.Euclidean, name: "euclidean", p };
  if (p === Infinity) return { kind: MetricKind.Chebyshev, name: "chebyshev", p };
  return { kind: MetricKind.Minkowski, name: "minkowski", p };
}

function kindOf(name: MetricName): MetricKind {
  switch (name) {
    case "euclidean":
      return MetricKind.Euclidean;
    case "manhattan":
      return MetricKind.Manhattan;
    case "chebyshev":
      return MetricKind.Chebyshev;
    case "minkowski":
      return MetricKind.Minkowski;
    case "cosine":
      return MetricKind.Cosine;
  }
}

export function reducedToDistance(metric: Metric, r: number): number {
  switch (metric.kind) {
    case MetricKind.Euclidean:
      return Math.sqrt(r);
    case MetricKind.Minkowski:
      return Math.pow(r, 1 / metric.p);
    default:
      return r;
  }
}

export function distanceToReduced(metric: Metric, d: number): number {
  switch (metric.kind) {
    case MetricKind.Euclidean:
      return d * d;
    case MetricKind.Minkowski:
      return Math.pow(d, metric.p);
    default:
      return d;
  }
}

/** Reduced distance between row a (offset ao) and row b (offset bo) of length d; not for cosine. */
export type ReducedDistance = (a: FloatArray, ao: number, b: FloatArray, bo: number, d: number) => number;

function sqeuclidean(a: FloatArray, ao: number, b: FloatArray, bo: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = a[ao + j] - b[bo + j];
    s += t * t;
  }
  return s;
}

function manhattan(a: FloatArray, ao: number, b: FloatArray, bo: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += Math.abs(a[ao + j] - b[bo + j]);
  return s;
}

function chebyshev(a: FloatArray, ao: number, b: FloatArray, bo: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = Math.abs(a[ao + j] - b[bo + j]);
    if (t > s) s = t;
  }
  return s;
}

function minkowski(p: number): ReducedDistance {
  return (a, ao, b, bo, d) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += Math.pow(Math.abs(a[ao + j] - b[bo + j]), p);
    return s;
  };
}

/** The reduced-distance function of a metric (chosen once per batch, never per element). */
export function reducedDistanceFn(metric: Metric): ReducedDistance {
  switch (metric.kind) {
    case MetricKind.Euclidean:
      return sqeuclidean;
    case MetricKind.Manhattan:
      return manhattan;
    case MetricKind.Chebyshev:
      return chebyshev;
    case MetricKind.Minkowski:
      return minkowski(metric.p);
    case MetricKind.Cosine:
      throw new KnnInputError("cosine has no reduced form for trees; use brute force");
  }
}

/** Reduced form of a per-dimension gap (used for node lower bounds). */
export function gapPower(metric: Metric, gap: number): number {
  switch (metric.kind) {
    case MetricKind.Euclidean:
      return gap * gap;
    case MetricKind.Minkowski:
      return Math.pow(gap, metric.p);
    default:
      return gap;
  }
}

/** L2 norm (length) of each row, as doubles. */
export function rowNorms(data: FloatArray, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const o = i * cols;
    for (let j = 0; j < cols; j++) s += data[o + j] * data[o + j];
    out[i] = Math.sqrt(s);
  }
  return out;
}
