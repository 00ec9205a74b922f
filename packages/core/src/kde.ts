/**
 * Kernel density estimation and two-point correlation on the KD-tree and the
 * Ball tree, as scikit-learn's `BinaryTree.kernel_density` and
 * `two_point_correlation`.
 *
 * The density at q is knorm(h) * sum_i w_i K(d(q, x_i) / h) (not divided by the
 * total weight; KernelDensity divides). A node whose rows lie between distances
 * dmin and dmax contributes between W K(dmax) and W K(dmin) (K decreases with
 * distance). It is taken as the midpoint of that range when half its width fits
 * the node's share of the allowed error, (W / W_total) (atol + rtol L), L being
 * a lower bound of the whole sum known so far (L only grows), so the total error
 * stays within atol + rtol * density; with atol = rtol = 0
 * only nodes whose bounds agree exactly (beyond a compact kernel's support, or
 * wholly inside a tophat) are pruned, and every other row is summed.
 */
import type { BinaryTree } from "./binary-tree.js";
import { KnnInputError } from "./errors.js";
import type { KnnIndex } from "./index-base.js";
import { checkColumns, toMatrix, type MatrixLike } from "./matrix.js";
import { MetricKind, gapPower, reducedDistanceFn, reducedToDistance } from "./metrics.js";

export type KernelName = "gaussian" | "tophat" | "epanechnikov" | "exponential" | "linear" | "cosine";
export const KERNEL_NAMES: readonly KernelName[] = ["gaussian", "tophat", "epanechnikov", "exponential", "linear", "cosine"];

export interface KernelDensityOptions {
  /** The bandwidth, > 0. */
  h: number;
  /** Default "gaussian". */
  kernel?: KernelName;
  /** Absolute tolerance of the (not log) result, >= 0. Default 0. */
  atol?: number;
  /** Relative tolerance, >= 0. Default 1e-8 (scikit-learn's tree default; its KernelDensity passes 0). */
  rtol?: number;
  /** Visit nodes level by level (true) or depth first; the answer is within the same tolerance either way. Default true. */
  breadthFirst?: boolean;
  /** Return log densities. Default false. */
  returnLog?: boolean;
  /** A non-negative weight per training row (in the original row order); default 1 each. */
  sampleWeight?: ArrayLike<number> | null;
}

const LOG_PI = Math.log(Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);

/** log Gamma(x) for x > 0 (Lanczos, g = 7, n = 9; relative error ~1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** log of the volume of the unit n-ball. */
function logVn(n: number): number {
  return 0.5 * n * LOG_PI - logGamma(0.5 * n + 1);
}

/** log of the surface area of the unit n-sphere. */
function logSn(n: number): number {
  return LOG_2PI + logVn(n - 1);
}

/** log of the factor that makes the kernel (bandwidth h, d dimensions) integrate to 1 (scikit-learn's _log_kernel_norm). */
export function logKernelNorm(h: number, d: number, kernel: KernelName): number {
  let factor: number;
  switch (kernel) {
    case "gaussian":
      factor = 0.5 * d * LOG_2PI;
      break;
    case "tophat":
      factor = logVn(d);
      break;
    case "epanechnikov":
      factor = logVn(d) + Math.log(2 / (d + 2));
      break;
    case "exponential":
      factor = logSn(d - 1) + logGamma(d);
      break;
    case "linear":
      factor = logVn(d) - Math.log(d + 1);
      break;
    case "cosine": {
      let sum = 0;
      let tmp = 2 / Math.PI;
      for (let k = 1; k < d + 1; k += 2) {
        sum += tmp;
        tmp *= -(d - k) * (d - k - 1) * (2 / Math.PI) ** 2;
      }
      factor = Math.log(sum) + logSn(d - 1);
      break;
    }
  }
  return -factor - d * Math.log(h);
}

/** The unnormalised kernel as a function of the distance (non-increasing). */
function kernelFn(kernel: KernelName, h: number): (d: number) => number {
  switch (kernel) {
    case "gaussian":
      return (d) => Math.exp((-0.5 * (d * d)) / (h * h));
    case "tophat":
      return (d) => (d < h ? 1 : 0);
    case "epanechnikov":
      return (d) => (d < h ? 1 - (d * d) / (h * h) : 0);
    case "exponential":
      return (d) => Math.exp(-d / h);
    case "linear":
      return (d) => (d < h ? 1 - d / h : 0);
    case "cosine":
      return (d) => (d < h ? Math.cos((0.5 * Math.PI * d) / h) : 0);
  }
}

/** The kernel as a function of the squared distance, where it has one (euclidean: gaussian, tophat, epanechnikov); else null. */
function squaredKernel(kind: MetricKind, kernel: KernelName, h: number): ((r: number) => number) | null {
  if (kind !== MetricKind.Euclidean) return null;
  const h2 = h * h;
  if (kernel === "gaussian") return (r) => Math.exp((-0.5 * r) / h2);
  if (kernel === "tophat") return (r) => (Math.sqrt(r) < h ? 1 : 0);
  if (kernel === "epanechnikov") return (r) => (r < h2 ? 1 - r / h2 : 0);
  return null;
}

function nonNegative(x: unknown, name: string): number {
  if (typeof x !== "number" || !(x >= 0) || !Number.isFinite(x)) throw new KnnInputError(`${name} must be a finite number >= 0, got ${String(x)}`);
  return x;
}

/** Bounds are widened by this relative margin so that rounding never prunes a node wrongly. */
const MARGIN = 1e-12;

/** Kernel density of each row of Q under the rows of a tree (see the header). */
export function treeKernelDensity(tree: BinaryTree, Q: MatrixLike, options: KernelDensityOptions): Float64Array {
  const q = toMatrix(Q, "Q");
  checkColumns(q, tree.cols, "Q");
  const kernel = options.kernel ?? "gaussian";
  if (!KERNEL_NAMES.includes(kernel)) throw new KnnInputError(`unknown kernel "${String(kernel)}"; expected one of ${KERNEL_NAMES.join(", ")}`);
  const h = options.h;
  if (typeof h !== "number" || !(h > 0) || !Number.isFinite(h)) throw new KnnInputError(`the bandwidth h must be a finite number > 0, got ${String(h)}`);
  const atol = nonNegative(options.atol ?? 0, "atol");
  const rtol = nonNegative(options.rtol ?? 1e-8, "rtol");
  const { data, idxArray, nodeStart, nodeEnd, isLeaf, nodeBounds, nodeRadius } = tree.arrays;
  const n = idxArray.length;
  const d = tree.cols;
  // prefix sums of the weights in tree order: a node's weight is cum[end] - cum[start]
  const cum = new Float64Array(n + 1);
  const sw = options.sampleWeight ?? null;
  if (sw !== null) {
    if (sw.length !== n) throw new KnnInputError(`sampleWeight has ${sw.length} values but the tree has ${n} rows`);
    for (let i = 0; i < n; i++) {
      if (!(sw[i] >= 0) || !Number.isFinite(sw[i])) throw new KnnInputError(`sampleWeight must hold finite numbers >= 0, found ${sw[i]} at row ${i}`);
    }
  }
  for (let pos = 0; pos < n; pos++) cum[pos + 1] = cum[pos] + (sw === null ? 1 : sw[idxArray[pos]]);
  const total = cum[n];
  const logNorm = logKernelNorm(h, d, kernel);
  // atol applies to knorm * sum; in units of the sum
  const atolSum = atol * Math.exp(-logNorm);
  const K = kernelFn(kernel, h);
  const metric = tree.metric;
  // squared-distance kernels skip the square root on euclidean data (the same values up to rounding)
  const KR = squaredKernel(metric.kind, kernel, h);
  const rdist = reducedDistanceFn(metric);
  const ball = tree.algorithm === "ball_tree";
  const weights = metric.param;
  const chebyshev = metric.kind === MetricKind.Chebyshev;
  const bounds = (qd: Float64Array | Float32Array, qo: number, node: number, out: Float64Array): void => {
    if (ball) {
      const toCentre = reducedToDistance(metric, rdist(qd, qo, nodeBounds, node * d, d));
      out[0] = Math.max(0, toCentre - nodeRadius[node]);
      out[1] = toCentre + nodeRadius[node];
    } else {
      let lo = 0;
      let hi = 0;
      const base = node * 2 * d;
      for (let j = 0; j < d; j++) {
        const v = qd[qo + j];
        const below = nodeBounds[base + j] - v;
        const above = v - nodeBounds[base + d + j];
        const near = below > 0 ? below : above > 0 ? above : 0;
        const far = Math.max(Math.abs(below), Math.abs(above));
        if (chebyshev) {
          lo = Math.max(lo, near);
          hi = Math.max(hi, far);
        } else {
          const wj = weights === null ? 1 : weights[j];
          lo += wj * gapPower(metric, near);
          hi += wj * gapPower(metric, far);
        }
      }
      out[0] = reducedToDistance(metric, lo);
      out[1] = reducedToDistance(metric, hi);
    }
    out[0] *= 1 - MARGIN;
    out[1] *= 1 + MARGIN;
  };
  const result = new Float64Array(q.rows);
  const queue = new Int32Array(tree.nodeCount);
  // per node: its contribution's lower and upper bounds, w K(dmax) and w K(dmin), set when it is queued
  const low = new Float64Array(tree.nodeCount);
  const high = new Float64Array(tree.nodeCount);
  const dm = new Float64Array(2);
  const breadthFirst = options.breadthFirst ?? true;
  const enqueue = (qo: number, node: number): boolean => {
    const w = cum[nodeEnd[node]] - cum[nodeStart[node]];
    if (w === 0) return false;
    bounds(q.data, qo, node, dm);
    high[node] = w * K(dm[0]);
    if (high[node] === 0) return false;
    low[node] = w * K(dm[1]);
    return true;
  };
  for (let qi = 0; qi < q.rows; qi++) {
    const qo = qi * d;
    let sum = 0;
    // a lower bound of the final sum: exact and pruned parts at their lower bounds, queued nodes at theirs
    let lower = 0;
    // breadth first: a FIFO over queue[head..tail); depth first: a stack over queue[0..tail)
    let head = 0;
    let tail = 0;
    if (enqueue(qo, 0)) {
      queue[tail++] = 0;
      lower = low[0];
    }
    while (tail > head) {
      const node = breadthFirst ? queue[head++] : queue[--tail];
      const start = nodeStart[node];
      const end = nodeEnd[node];
      const w = cum[end] - cum[start];
      // the node's share of the allowed error (the final sum is at least `lower`)
      if (0.5 * (high[node] - low[node]) <= (w / total) * (atolSum + rtol * lower)) {
        sum += 0.5 * (high[node] + low[node]);
        continue;
      }
      lower -= low[node];
      if (isLeaf[node] === 1) {
        let exact = 0;
        for (let pos = start, o = start * d; pos < end; pos++, o += d) {
          const r = rdist(q.data, qo, data, o, d);
          const k = KR === null ? K(reducedToDistance(metric, r)) : KR(r);
          exact += sw === null ? k : sw[idxArray[pos]] * k;
        }
        sum += exact;
        lower += exact;
      } else {
        for (const child of [2 * node + 1, 2 * node + 2]) {
          if (!enqueue(qo, child)) continue;
          queue[tail++] = child;
          lower += low[child];
        }
      }
    }
    result[qi] = options.returnLog ? Math.log(sum) + logNorm : sum * Math.exp(logNorm);
  }
  return result;
}

/**
 * Two-point correlation: for each radius r[i], the number of pairs (query row,
 * training row) at distance <= r[i], as scikit-learn's two_point_correlation.
 * Pairs are compared by their true distance (as scikit-learn compares them), so
 * a pair at exactly r counts however its reduced distance rounds.
 */
export function twoPointCorrelation(index: KnnIndex, Q: MatrixLike, r: ArrayLike<number>): Float64Array {
  const radii = Array.from(r);
  if (radii.length === 0) throw new KnnInputError("r must hold at least one radius");
  const counts = new Float64Array(radii.length);
  radii.forEach((radius, i) => {
    if (typeof radius !== "number" || !(radius >= 0)) throw new KnnInputError(`every radius in r must be a number >= 0, got ${String(radius)}`);
    const { distances } = index.queryRadius(Q, radius * (1 + 1e-9));
    let n = 0;
    for (const d of distances) if (d <= radius) n++;
    counts[i] = n;
  });
  return counts;
}
