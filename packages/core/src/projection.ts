/**
 * A sort key along a direction u for the prefilter: key(x) = u·x. For the minkowski
 * metrics Hölder's inequality bounds the gap by the distance, |u·(x − q)| <= ‖u‖_p' ‖x − q‖_p
 * with 1/p + 1/p' = 1, so a direction scaled to ‖u‖_p' = 1 gives gaps that never
 * exceed the distance, as a single feature's gap does (see prefilter.ts).
 * The direction is the first principal direction of the rows (power iteration on a
 * strided sample, deterministic), kept only where its keys spread wider than the
 * highest-variance feature's (always for euclidean; not always for manhattan or
 * chebyshev, where the scaling shrinks it by up to sqrt(D)).
 */
import type { FloatArray, Matrix } from "./matrix.js";

/** At most this many sample values (rows × columns) go into the power iteration. */
const SAMPLE_VALUES = 2 ** 17;
const ITERATIONS = 30;

/** ‖u‖_p' for the metric power p (p' = p / (p − 1): infinity for p = 1, 1 for p = infinity). */
export function dualNorm(u: ArrayLike<number>, p: number): number {
  let s = 0;
  if (p === 1) {
    for (let j = 0; j < u.length; j++) s = Math.max(s, Math.abs(u[j]));
    return s;
  }
  if (p === Infinity) {
    for (let j = 0; j < u.length; j++) s += Math.abs(u[j]);
    return s;
  }
  const q = p / (p - 1);
  for (let j = 0; j < u.length; j++) s += Math.abs(u[j]) ** q;
  return s ** (1 / q);
}

/** The key of row o / d of X along u (summed in column order: the same bits wherever computed). */
export function projectRow(X: FloatArray, o: number, d: number, u: Float64Array): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += u[j] * X[o + j];
  return s;
}

/** Σ_j |u_j x_j| of row o / d: with (d + 2)·2^-52 it bounds the rounding of projectRow. */
export function keyMagnitude(X: FloatArray, o: number, d: number, u: Float64Array): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += Math.abs(u[j] * X[o + j]);
  return s;
}

/** Rounding bound of one key per unit of keyMagnitude (the dot product's γ_d, doubled). */
export function keyRounding(d: number): number {
  return (d + 2) * 2 ** -52;
}

/**
 * The first principal direction of the rows, scaled to ‖u‖_p' = 1, or null where the
 * highest-variance feature spreads as wide (or the rows do not vary).
 */
export function principalDirection(m: Matrix, p: number): Float64Array | null {
  const { data: X, rows: n, cols: d } = m;
  const step = Math.max(1, Math.ceil((n * d) / SAMPLE_VALUES));
  const s = Math.ceil(n / step);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i += step) for (let j = 0; j < d; j++) mean[j] += X[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= s;
  const C = new Float64Array(s * d); // the centred sample
  for (let r = 0, i = 0; i < n; i += step, r++) for (let j = 0; j < d; j++) C[r * d + j] = X[i * d + j] - mean[j];
  const variance = new Float64Array(d);
  for (let r = 0; r < s; r++) for (let j = 0; j < d; j++) variance[j] += C[r * d + j] ** 2;
  let best = 0;
  for (let j = 1; j < d; j++) if (variance[j] > variance[best]) best = j;
  if (!(variance[best] > 0)) return null;
  // power iteration on CᵀC from the columns' spreads (a non-negative start, never orthogonal to all of them)
  let u = Float64Array.from(variance, Math.sqrt);
  normalise(u);
  for (let it = 0; it < ITERATIONS; it++) {
    const next = new Float64Array(d);
    for (let r = 0, o = 0; r < s; r++, o += d) {
      let t = 0;
      for (let j = 0; j < d; j++) t += u[j] * C[o + j];
      for (let j = 0; j < d; j++) next[j] += t * C[o + j];
    }
    if (!normalise(next)) return null;
    let change = 0;
    for (let j = 0; j < d; j++) change = Math.max(change, Math.abs(next[j] - u[j]));
    u = next;
    if (change < 1e-6) break;
  }
  // spreads under the metric's bound: the direction scaled to ‖u‖_p' = 1 against the feature (‖e_f‖_p' = 1)
  const scale = 1 / dualNorm(u, p);
  for (let j = 0; j < d; j++) u[j] *= scale;
  let spread = 0;
  for (let r = 0, o = 0; r < s; r++, o += d) {
    let t = 0;
    for (let j = 0; j < d; j++) t += u[j] * C[o + j];
    spread += t * t;
  }
  return spread > variance[best] ? u : null;
}

/** Scales u to euclidean length 1 in place; false where it is zero or not finite. */
function normalise(u: Float64Array): boolean {
  let s = 0;
  for (let j = 0; j < u.length; j++) s += u[j] * u[j];
  const len = Math.sqrt(s);
  if (!(len > 0) || !Number.isFinite(len)) return false;
  for (let j = 0; j < u.length; j++) u[j] /= len;
  return true;
}
