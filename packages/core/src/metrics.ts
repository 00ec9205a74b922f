import { KnnInputError } from "./errors.js";
import type { FloatArray } from "./matrix.js";

/**
 * Metrics work on a "reduced" distance inside loops (squared euclidean, sum of
 * |d|^p for minkowski, 1 - cos for cosine, scikit-learn's for the others) and
 * convert once for the result. Parameters are scikit-learn's metric_params:
 * minkowski weights w (sum w_j |d_j|^p), seuclidean variances V (sum d_j^2 / V_j),
 * mahalanobis VI (d' VI d; or V, inverted) and haversine on (lat, lon) in radians.
 */
export type MetricName = "euclidean" | "manhattan" | "chebyshev" | "minkowski" | "cosine" | "seuclidean" | "mahalanobis" | "haversine" | "precomputed";

export const enum MetricKind {
  Euclidean = 0,
  Manhattan = 1,
  Chebyshev = 2,
  Minkowski = 3,
  Cosine = 4,
  /** Minkowski with weights w (any p >= 1, even 1 or 2). */
  WMinkowski = 5,
  SEuclidean = 6,
  Mahalanobis = 7,
  Haversine = 8,
  /** Rows are distances: the distance from query q to training row i is q[i] (brute force only). */
  Precomputed = 9,
}

export interface MetricOptions {
  /** euclidean | manhattan | chebyshev | minkowski | cosine, plus scikit-learn's aliases (l2, l1, cityblock, infinity). */
  metric?: string;
  /** Minkowski power, p >= 1 (p = 1, 2, Infinity select manhattan, euclidean, chebyshev). */
  p?: number;
  /** minkowski: non-negative weight of each feature (scikit-learn's metric_params w; finite p only). */
  w?: ArrayLike<number>;
  /** seuclidean: the variance of each feature; mahalanobis: the covariance matrix (inverted here). */
  V?: ArrayLike<number> | ArrayLike<number>[];
  /** mahalanobis: the inverse covariance matrix, positive definite (row-major d*d values, or rows). */
  VI?: ArrayLike<number> | ArrayLike<number>[];
}

export interface Metric {
  readonly kind: MetricKind;
  readonly name: MetricName;
  readonly p: number;
  /** The metric's parameter: w (WMinkowski), V (SEuclidean), VI row-major (Mahalanobis); null for the others. */
  readonly param: Float64Array | null;
}

/** The metric parameters as stored in an index state (absent for metrics without one). */
export type MetricParams = { readonly w: number[] } | { readonly V: number[] } | { readonly VI: number[] };

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
  seuclidean: "seuclidean",
  mahalanobis: "mahalanobis",
  haversine: "haversine",
  precomputed: "precomputed",
};

export const METRIC_NAMES: readonly string[] = Object.keys(ALIASES);

/** Resolves a metric name, p and metric parameters into a kind (minkowski p=1/2/inf without w become their named forms). */
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
  const { w, V, VI } = options;
  for (const [key, value, owners] of [["w", w, ["minkowski"]], ["V", V, ["seuclidean", "mahalanobis"]], ["VI", VI, ["mahalanobis"]]] as const) {
    if (value !== undefined && value !== null && !(owners as readonly string[]).includes(name)) {
      throw new KnnInputError(`metric parameter ${key} does not apply to metric "${name}" (only to ${owners.join(" or ")})`);
    }
  }
  switch (name) {
    case "seuclidean": {
      if (V === undefined || V === null) throw new KnnInputError('metric "seuclidean" needs the variances V (one per feature)');
      const v = vector(V, "V");
      if (v.some((x) => !(x > 0))) throw new KnnInputError("seuclidean: every variance in V must be > 0");
      return { kind: MetricKind.SEuclidean, name, p: 2, param: v };
    }
    case "mahalanobis":
      return { kind: MetricKind.Mahalanobis, name, p: 2, param: mahalanobisVI(V, VI) };
    case "haversine":
      return { kind: MetricKind.Haversine, name, p: 2, param: null };
    case "precomputed":
      return { kind: MetricKind.Precomputed, name, p: 2, param: null };
    case "minkowski":
      if (w !== undefined && w !== null) {
        if (p === Infinity) throw new KnnInputError("minkowski with weights w needs a finite p (for p=inf use chebyshev)");
        const weights = vector(w, "w");
        if (weights.some((x) => !(x >= 0))) throw new KnnInputError("minkowski: the weights w cannot be negative");
        return { kind: MetricKind.WMinkowski, name, p, param: weights };
      }
      if (p === 1) return { kind: MetricKind.Manhattan, name: "manhattan", p, param: null };
      if (p === 2) return { kind: MetricKind.Euclidean, name: "euclidean", p, param: null };
      if (p === Infinity) return { kind: MetricKind.Chebyshev, name: "chebyshev", p, param: null };
      return { kind: MetricKind.Minkowski, name: "minkowski", p, param: null };
    default:
      p = name === "manhattan" ? 1 : name === "chebyshev" ? Infinity : 2;
      return { kind: kindOf(name), name, p, param: null };
  }
}

/** A finite numeric vector as doubles. */
function vector(x: ArrayLike<number> | ArrayLike<number>[], what: string): Float64Array {
  let flat: number[];
  try {
    flat = Array.from(x as ArrayLike<unknown>).flatMap((v) => (typeof v === "object" && v !== null ? Array.from(v as ArrayLike<number>) : [v as number]));
  } catch {
    throw new KnnInputError(`metric parameter ${what} must be an array of numbers`);
  }
  const out = Float64Array.from(flat, Number);
  if (out.length === 0 || flat.some((v) => typeof v !== "number") || out.some((v) => !Number.isFinite(v))) {
    throw new KnnInputError(`metric parameter ${what} must be a non-empty array of finite numbers`);
  }
  return out;
}

function squareSide(m: Float64Array, what: string): number {
  const d = Math.round(Math.sqrt(m.length));
  if (d * d !== m.length) throw new KnnInputError(`mahalanobis: ${what} must be a square matrix, got ${m.length} values`);
  return d;
}

/** VI given, or the inverse of V; refused unless positive definite (Cholesky of its symmetric part). */
function mahalanobisVI(V: MetricOptions["V"], VI: MetricOptions["VI"]): Float64Array {
  if ((V === undefined || V === null) && (VI === undefined || VI === null)) {
    throw new KnnInputError('metric "mahalanobis" needs either V (the covariance) or VI (its inverse)');
  }
  const vi = VI !== undefined && VI !== null ? vector(VI, "VI") : invert(vector(V as ArrayLike<number>, "V"));
  const d = squareSide(vi, "VI");
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0.5 * (vi[i * d + j] + vi[j * d + i]);
      for (let k = 0; k < j; k++) s -= L[i * d + k] * L[j * d + k];
      if (i === j) {
        if (!(s > 1e-12 * Math.abs(vi[i * d + i]))) {
          throw new KnnInputError(`mahalanobis: VI must be positive definite, but it is singular or indefinite (pivot ${i} is ${s}); check V or VI`);
        }
        L[i * d + i] = Math.sqrt(s);
      } else L[i * d + j] = s / L[j * d + j];
    }
  }
  return vi;
}

/** Inverse of a square matrix by Gauss-Jordan elimination with partial pivoting; a singular V is refused. */
function invert(m: Float64Array): Float64Array {
  const d = squareSide(m, "V");
  const a = Float64Array.from(m);
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) inv[i * d + i] = 1;
  let scale = 0;
  for (const v of a) scale = Math.max(scale, Math.abs(v));
  for (let col = 0; col < d; col++) {
    let pivot = col;
    for (let r = col + 1; r < d; r++) if (Math.abs(a[r * d + col]) > Math.abs(a[pivot * d + col])) pivot = r;
    if (!(Math.abs(a[pivot * d + col]) > 1e-12 * scale)) throw new KnnInputError("mahalanobis: V is singular (it has no inverse); give VI or a full-rank V");
    for (let j = 0; j < d; j++) {
      [a[col * d + j], a[pivot * d + j]] = [a[pivot * d + j], a[col * d + j]];
      [inv[col * d + j], inv[pivot * d + j]] = [inv[pivot * d + j], inv[col * d + j]];
    }
    const p = a[col * d + col];
    for (let j = 0; j < d; j++) {
      a[col * d + j] /= p;
      inv[col * d + j] /= p;
    }
    for (let r = 0; r < d; r++) {
      if (r === col) continue;
      const f = a[r * d + col];
      if (f === 0) continue;
      for (let j = 0; j < d; j++) {
        a[r * d + j] -= f * a[col * d + j];
        inv[r * d + j] -= f * inv[col * d + j];
      }
    }
  }
  return inv;
}

/** Checks that a metric fits data of `cols` features (parameter lengths; haversine needs 2; precomputed, given rows, a square). */
export function checkMetricColumns(metric: Metric, cols: number, rows?: number): void {
  const n = metric.param?.length ?? 0;
  if (metric.kind === MetricKind.Haversine && cols !== 2) {
    throw new KnnInputError(`metric "haversine" needs 2-D data (latitude, longitude in radians), got ${cols} features`);
  }
  if ((metric.kind === MetricKind.WMinkowski || metric.kind === MetricKind.SEuclidean) && n !== cols) {
    throw new KnnInputError(`${metric.name}: ${metric.kind === MetricKind.SEuclidean ? "V" : "w"} has ${n} values but the data has ${cols} features`);
  }
  if (metric.kind === MetricKind.Precomputed && rows !== undefined && rows !== cols) {
    throw new KnnInputError(`Precomputed matrix must be square. Input is a ${rows}x${cols} matrix.`);
  }
  if (metric.kind === MetricKind.Mahalanobis && n !== cols * cols) {
    throw new KnnInputError(`mahalanobis: VI is ${Math.sqrt(n)}x${Math.sqrt(n)} but the data has ${cols} features`);
  }
}

/** Precomputed distances must not be negative (scikit-learn's check). */
export function checkPrecomputed(metric: Metric, data: FloatArray, what: string): void {
  if (metric.kind !== MetricKind.Precomputed) return;
  for (let i = 0; i < data.length; i++) if (data[i] < 0) throw new KnnInputError(`Negative values in data passed to precomputed distance matrix ${what}.`);
}

/** The metric parameter as an index state's params hold it: { metricParams } or nothing. */
export function metricState(metric: Metric): { metricParams?: MetricParams } {
  if (metric.param === null) return {};
  const values = Array.from(metric.param);
  if (metric.kind === MetricKind.WMinkowski) return { metricParams: { w: values } };
  return { metricParams: metric.kind === MetricKind.SEuclidean ? { V: values } : { VI: values } };
}

/** The kinds a KD-tree bounds (the minkowski family, as scikit-learn's KDTree.valid_metrics). */
export function kdTreeAllows(metric: Metric): boolean {
  return metric.kind <= MetricKind.Minkowski || metric.kind === MetricKind.WMinkowski;
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
    case "seuclidean":
      return MetricKind.SEuclidean;
    case "mahalanobis":
      return MetricKind.Mahalanobis;
    case "haversine":
      return MetricKind.Haversine;
    case "precomputed":
      return MetricKind.Precomputed;
  }
}

export function reducedToDistance(metric: Metric, r: number): number {
  switch (metric.kind) {
    case MetricKind.Euclidean:
    case MetricKind.SEuclidean:
    case MetricKind.Mahalanobis:
      return Math.sqrt(r);
    case MetricKind.Minkowski:
    case MetricKind.WMinkowski:
      return Math.pow(r, 1 / metric.p);
    case MetricKind.Haversine:
      return 2 * Math.asin(Math.sqrt(r));
    default:
      return r;
  }
}

export function distanceToReduced(metric: Metric, d: number): number {
  switch (metric.kind) {
    case MetricKind.Euclidean:
    case MetricKind.SEuclidean:
    case MetricKind.Mahalanobis:
      return d * d;
    case MetricKind.Minkowski:
    case MetricKind.WMinkowski:
      return Math.pow(d, metric.p);
    case MetricKind.Haversine: {
      // no two points are farther apart than pi (half the unit sphere's circumference)
      if (d >= Math.PI) return 1;
      const s = Math.sin(0.5 * d);
      return s * s;
    }
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

function weightedMinkowski(p: number, w: Float64Array): ReducedDistance {
  if (p === 2) {
    return (a, ao, b, bo, d) => {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const t = a[ao + j] - b[bo + j];
        s += w[j] * t * t;
      }
      return s;
    };
  }
  if (p === 1) {
    return (a, ao, b, bo, d) => {
      let s = 0;
      for (let j = 0; j < d; j++) s += w[j] * Math.abs(a[ao + j] - b[bo + j]);
      return s;
    };
  }
  return (a, ao, b, bo, d) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += w[j] * Math.pow(Math.abs(a[ao + j] - b[bo + j]), p);
    return s;
  };
}

function seuclidean(V: Float64Array): ReducedDistance {
  return (a, ao, b, bo, d) => {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const t = a[ao + j] - b[bo + j];
      s += (t * t) / V[j];
    }
    return s;
  };
}

/** d' VI d, summed as scikit-learn sums it (row by row). */
function mahalanobis(VI: Float64Array, cols: number): ReducedDistance {
  const diff = new Float64Array(cols);
  return (a, ao, b, bo, d) => {
    for (let j = 0; j < d; j++) diff[j] = a[ao + j] - b[bo + j];
    let s = 0;
    for (let i = 0, o = 0; i < d; i++, o += d) {
      let row = 0;
      for (let j = 0; j < d; j++) row += VI[o + j] * diff[j];
      s += row * diff[i];
    }
    return s;
  };
}

/** sin^2(dlat/2) + cos(lat1) cos(lat2) sin^2(dlon/2), rows as (lat, lon) in radians. */
function haversine(a: FloatArray, ao: number, b: FloatArray, bo: number): number {
  const s0 = Math.sin(0.5 * (a[ao] - b[bo]));
  const s1 = Math.sin(0.5 * (a[ao + 1] - b[bo + 1]));
  return s0 * s0 + Math.cos(a[ao]) * Math.cos(b[bo]) * s1 * s1;
}

/** Precomputed: a is a row of distances to the training rows, b holds the training rows (row bo / d). */
function precomputed(a: FloatArray, ao: number, _b: FloatArray, bo: number, d: number): number {
  return a[ao + bo / d];
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
    case MetricKind.WMinkowski:
      return weightedMinkowski(metric.p, metric.param as Float64Array);
    case MetricKind.SEuclidean:
      return seuclidean(metric.param as Float64Array);
    case MetricKind.Mahalanobis: {
      const VI = metric.param as Float64Array;
      return mahalanobis(VI, Math.round(Math.sqrt(VI.length)));
    }
    case MetricKind.Haversine:
      return haversine;
    case MetricKind.Precomputed:
      return precomputed;
    case MetricKind.Cosine:
      throw new KnnInputError("cosine has no reduced form for trees; use brute force");
  }
}

/** Reduced form of a per-dimension gap (node lower bounds; the minkowski family, weights applied by the caller). */
export function gapPower(metric: Metric, gap: number): number {
  switch (metric.kind) {
    case MetricKind.Euclidean:
      return gap * gap;
    case MetricKind.Minkowski:
    case MetricKind.WMinkowski:
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
