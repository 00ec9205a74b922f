/**
 * One binary-tree core for the KD-tree and the Ball tree (they differ only in
 * how a node is bounded). Everything lives in flat typed arrays:
 *   data        training rows permuted into tree order (same dtype as the input)
 *   idxArray    tree position -> original row index
 *   nodeStart/nodeEnd  the positions [start, end) of node i; children of i are 2i+1 and 2i+2
 *   isLeaf      1 for leaves
 *   nodeBounds  KD: per node D lower bounds then D upper bounds; Ball: per node its centroid (D values)
 *   nodeRadius  Ball: per node the radius (true distance); KD: unused
 * The node count is fixed before building (a complete tree), as in scikit-learn.
 */
import { KnnInputError } from "./errors.js";
import { NeighborHeap } from "./heap.js";
import type { RaggedBuilder } from "./results.js";
import { RowScanner } from "./scanner.js";
import { KnnIndex } from "./index-base.js";
import { toMatrix, type FloatArray, type Matrix, type MatrixLike } from "./matrix.js";
import {
  MetricKind,
  distanceToReduced,
  gapPower,
  kdTreeAllows,
  metricState,
  reducedDistanceFn,
  reducedToDistance,
  resolveMetric,
  type Metric,
  type MetricOptions,
  type ReducedDistance,
} from "./metrics.js";
import { STATE_VERSION, allocShared, shareArrays, unpermuteRows, type BallTreeState, type KDTreeState, type TreeArrays, type TreeState } from "./shared.js";

export type TreeKind = "kd_tree" | "ball_tree";

export interface TreeOptions extends MetricOptions {
  /** Maximum rows per leaf (a leaf holds between leafSize/2 and leafSize rows). Default 40. */
  leafSize?: number;
  /** Threads for queries: a number (capped at cpuCount()), or "auto" (all cores when the batch is large enough). */
  workers?: number | "auto";
}

/** Lower bounds may be computed a hair too high by rounding; shrink them so pruning never drops a true neighbour. */
const BOUND_SHRINK = 1 - 1e-10;

export function treeNodeCount(rows: number, leafSize: number): number {
  const levels = 1 + Math.floor(Math.log2(Math.max(1, (rows - 1) / leafSize)));
  return 2 ** levels - 1;
}

export abstract class BinaryTree extends KnnIndex {
  abstract override readonly algorithm: TreeKind;
  readonly leafSize: number;
  protected a: TreeArrays;
  private readonly rdist: ReducedDistance;
  /** The leaves' distance path (see scanner.ts). */
  private readonly scanner: RowScanner;

  protected constructor(arrays: TreeArrays, cols: number, metric: Metric, leafSize: number, workers: TreeOptions["workers"]) {
    super(arrays.idxArray.length, cols, metric, arrays.data instanceof Float32Array ? "float32" : "float64", workers);
    this.a = arrays;
    this.leafSize = leafSize;
    this.rdist = reducedDistanceFn(metric);
    this.scanner = new RowScanner(arrays.data, arrays.idxArray.length, cols, metric, { site: "leaves", maxRun: longestLeaf(arrays) });
  }

  get nodeCount(): number {
    return this.a.nodeStart.length;
  }

  /** The tree's arrays (read-only by contract): for persistence and inspection. */
  get arrays(): Readonly<TreeArrays> {
    return this.a;
  }

  /** Reduced lower bound from query row qo to any row of a node, as a closure chosen once per batch (the hot loop stays monomorphic). */
  private lowerBoundFn(q: FloatArray): (qo: number, node: number) => number {
    const { nodeBounds, nodeRadius } = this.a;
    const { metric, rdist, cols } = this;
    if (this.algorithm === "ball_tree") {
      if (metric.kind === MetricKind.Euclidean) return (qo, node) => ballLowerBoundEuclidean(nodeBounds, nodeRadius, cols, q, qo, node);
      return (qo, node) => ballLowerBound(metric, rdist, nodeBounds, nodeRadius, cols, q, qo, node);
    }
    if (metric.kind === MetricKind.Euclidean) return (qo, node) => boxLowerBoundEuclidean(nodeBounds, cols, q, qo, node);
    return (qo, node) => boxLowerBound(metric, nodeBounds, cols, q, qo, node);
  }

  trainingRows(): Matrix {
    return { data: unpermuteRows(this.a.data, this.a.idxArray, this.cols), rows: this.rows, cols: this.cols };
  }

  state(): TreeState {
    return {
      kind: this.algorithm,
      version: STATE_VERSION,
      params: { rows: this.rows, cols: this.cols, metric: this.metric.name, p: this.metric.p, ...metricState(this.metric), leafSize: this.leafSize },
      arrays: this.a,
    };
  }

  sharedState(): TreeState {
    // built trees are in shared memory already; loaded ones move there once
    this.a = shareArrays(this.a);
    return this.state();
  }

  protected queryCost(k: number): number {
    return Math.log2(this.rows + 1) * (this.leafSize + k);
  }

  /** How leaves are scanned: "wasm" (SIMD, bit-identical to the plain loop) or "typescript". */
  get leafKernelKind(): "wasm" | "typescript" {
    return this.scanner.kind === "wasm-rows" ? "wasm" : "typescript";
  }

  knnRange(q: FloatArray, k: number, from: number, to: number, outIdx: Int32Array, outDist: Float64Array): void {
    const { idxArray, nodeStart, nodeEnd, isLeaf } = this.a;
    const d = this.cols;
    const scanner = this.scanner;
    const heap = new NeighborHeap(k);
    const hd = heap.dist;
    const lowerBound = this.lowerBoundFn(q);

    // depth-first, nearer child first, on an explicit stack of (node, lower bound)
    const stackNode = new Int32Array(64);
    const stackBound = new Float64Array(64);
    for (let qi = from; qi < to; qi++) {
      const qo = qi * d;
      heap.reset();
      scanner.setQuery(q, qo);
      let top = 0;
      stackNode[0] = 0;
      stackBound[0] = lowerBound(qo, 0);
      while (top >= 0) {
        const node = stackNode[top];
        const lb = stackBound[top];
        top--;
        if (lb > hd[0]) continue;
        if (isLeaf[node] === 1) {
          scanner.scanRange(nodeStart[node], nodeEnd[node], heap, idxArray);
          continue;
        }
        const left = 2 * node + 1;
        const lbLeft = lowerBound(qo, left);
        const lbRight = lowerBound(qo, left + 1);
        const nearLeft = lbLeft <= lbRight;
        stackNode[top + 1] = nearLeft ? left + 1 : left;
        stackBound[top + 1] = nearLeft ? lbRight : lbLeft;
        stackNode[top + 2] = nearLeft ? left : left + 1;
        stackBound[top + 2] = nearLeft ? lbLeft : lbRight;
        top += 2;
      }
      heap.sortAscending();
      for (let j = 0; j < k; j++) {
        outIdx[qi * k + j] = heap.idx[j];
        outDist[qi * k + j] = reducedToDistance(this.metric, hd[j]);
      }
    }
  }

  radiusRange(q: FloatArray, rr: number, from: number, to: number, out: RaggedBuilder, countOnly: boolean): void {
    const { idxArray, nodeStart, nodeEnd, isLeaf } = this.a;
    const d = this.cols;
    const scanner = this.scanner;
    const lowerBound = this.lowerBoundFn(q);
    let qo = 0;
    let count = 0;
    const visit = (node: number): void => {
      if (lowerBound(qo, node) > rr) return;
      if (isLeaf[node] === 1) {
        count += scanner.within(q, qo, null, nodeStart[node], nodeEnd[node], rr, idxArray, out, countOnly);
        return;
      }
      visit(2 * node + 1);
      visit(2 * node + 2);
    };
    for (let qi = from; qi < to; qi++) {
      qo = qi * d;
      visit(0);
      out.offsets[qi - from + 1] = countOnly ? count : out.length;
    }
  }
}

/** The most rows a leaf holds. */
function longestLeaf(a: TreeArrays): number {
  let rows = 0;
  for (let node = 0; node < a.isLeaf.length; node++) if (a.isLeaf[node] === 1) rows = Math.max(rows, a.nodeEnd[node] - a.nodeStart[node]);
  return rows;
}

/** Builds the shared arrays: in-place quickselect partitioning, nodes in breadth-first order. */
function buildArrays(m: Matrix, leafSize: number, kind: TreeKind, metric: Metric): TreeArrays {
  const { data: X, rows: n, cols: d } = m;
  const nNodes = treeNodeCount(n, leafSize);
  const idxArray = new Int32Array(n);
  for (let i = 0; i < n; i++) idxArray[i] = i;
  const nodeStart = allocShared(Int32Array, nNodes);
  const nodeEnd = allocShared(Int32Array, nNodes);
  const isLeaf = allocShared(Uint8Array, nNodes);
  const nodeBounds = allocShared(Float64Array, kind === "kd_tree" ? nNodes * 2 * d : nNodes * d);
  const nodeRadius = allocShared(Float64Array, kind === "ball_tree" ? nNodes : 0);
  const lo = new Float64Array(d);
  const hi = new Float64Array(d);
  const rdist = reducedDistanceFn(metric);
  nodeStart[0] = 0;
  nodeEnd[0] = n;
  for (let node = 0; node < nNodes; node++) {
    const start = nodeStart[node];
    const end = nodeEnd[node];
    lo.fill(Infinity);
    hi.fill(-Infinity);
    for (let pos = start; pos < end; pos++) {
      const o = idxArray[pos] * d;
      for (let j = 0; j < d; j++) {
        const v = X[o + j];
        if (v < lo[j]) lo[j] = v;
        if (v > hi[j]) hi[j] = v;
      }
    }
    if (kind === "kd_tree") {
      nodeBounds.set(lo, node * 2 * d);
      nodeBounds.set(hi, node * 2 * d + d);
    } else {
      const c = node * d;
      for (let pos = start; pos < end; pos++) {
        const o = idxArray[pos] * d;
        for (let j = 0; j < d; j++) nodeBounds[c + j] += X[o + j];
      }
      for (let j = 0; j < d; j++) nodeBounds[c + j] /= end - start;
      let radius = 0;
      for (let pos = start; pos < end; pos++) {
        const r = rdist(nodeBounds, c, X, idxArray[pos] * d, d);
        if (r > radius) radius = r;
      }
      nodeRadius[node] = reducedToDistance(metric, radius);
    }
    const left = 2 * node + 1;
    if (left >= nNodes) {
      isLeaf[node] = 1;
      continue;
    }
    let splitDim = 0;
    let spread = -1;
    for (let j = 0; j < d; j++) {
      if (hi[j] - lo[j] > spread) {
        spread = hi[j] - lo[j];
        splitDim = j;
      }
    }
    const mid = start + ((end - start) >> 1);
    selectNth(idxArray, X, d, splitDim, start, end - 1, mid);
    nodeStart[left] = start;
    nodeEnd[left] = mid;
    nodeStart[left + 1] = mid;
    nodeEnd[left + 1] = end;
  }
  const data = allocShared(X instanceof Float32Array ? Float32Array : Float64Array, n * d) as FloatArray;
  for (let pos = 0; pos < n; pos++) data.set(X.subarray(idxArray[pos] * d, idxArray[pos] * d + d), pos * d);
  return { data, idxArray: sharedCopy(idxArray), nodeStart, nodeEnd, isLeaf, nodeBounds, nodeRadius };
}

function sharedCopy(a: Int32Array): Int32Array {
  const out = allocShared(Int32Array, a.length);
  out.set(a);
  return out;
}

/**
 * Reorders idx[lo..hi] (inclusive) so that idx[nth] holds the row whose value
 * in column dim ranks nth, smaller keys before it and larger after; ties are
 * ordered by row index, so every key is distinct and duplicates stay cheap.
 */
function selectNth(idx: Int32Array, X: FloatArray, d: number, dim: number, lo: number, hi: number, nth: number): void {
  while (hi > lo) {
    const a = idx[lo];
    const b = idx[(lo + hi) >> 1];
    const c = idx[hi];
    // median of three as the pivot
    let pivot = b;
    if (before(X, d, dim, a, b) !== before(X, d, dim, a, c)) pivot = a;
    else if (before(X, d, dim, b, c) !== before(X, d, dim, a, c)) pivot = c;
    const pv = X[pivot * d + dim];
    let i = lo;
    let j = hi;
    while (i <= j) {
      for (;;) {
        const v = X[idx[i] * d + dim];
        if (v < pv || (v === pv && idx[i] < pivot)) i++;
        else break;
      }
      for (;;) {
        const v = X[idx[j] * d + dim];
        if (v > pv || (v === pv && idx[j] > pivot)) j--;
        else break;
      }
      if (i <= j) {
        const t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        i++;
        j--;
      }
    }
    if (nth <= j) hi = j;
    else if (nth >= i) lo = i;
    else return;
  }
}

function before(X: FloatArray, d: number, dim: number, a: number, b: number): boolean {
  const va = X[a * d + dim];
  const vb = X[b * d + dim];
  return va < vb || (va === vb && a < b);
}

function checkLeafSize(leafSize: number): void {
  if (!Number.isInteger(leafSize) || leafSize < 1) {
    throw new KnnInputError(`leafSize must be an integer >= 1, got ${leafSize}`);
  }
}

function prepare(X: MatrixLike, options: TreeOptions, algorithm: TreeKind): { m: Matrix; metric: Metric; leafSize: number } {
  const metric = resolveMetric(options);
  if (metric.kind === MetricKind.Cosine) {
    throw new KnnInputError(`metric "cosine" is not supported by ${algorithm}; use algorithm "brute"`);
  }
  if (algorithm === "kd_tree" && !kdTreeAllows(metric)) {
    throw new KnnInputError(`metric "${metric.name}" is not valid for kd_tree (it bounds the minkowski family only); use ball_tree or brute`);
  }
  const leafSize = options.leafSize ?? 40;
  checkLeafSize(leafSize);
  return { m: toMatrix(X, "X"), metric, leafSize };
}

/** KD-tree: nodes bounded by axis-aligned boxes, split at the median of the widest dimension. */
export class KDTree extends BinaryTree {
  readonly algorithm = "kd_tree" as const;

  static build(X: MatrixLike, options: TreeOptions = {}): KDTree {
    const { m, metric, leafSize } = prepare(X, options, "kd_tree");
    return new KDTree(buildArrays(m, leafSize, "kd_tree", metric), m.cols, metric, leafSize, options.workers);
  }

  /** Rebuilds from a state without checking it (indexFromState checks first). */
  static fromState(state: KDTreeState): KDTree {
    const p = state.params;
    return new KDTree(state.arrays, p.cols, resolveMetric({ ...p, ...p.metricParams }), p.leafSize, 1);
  }
}

/** Ball tree: nodes bounded by a centroid and a radius, split at the median of the widest dimension. */
export class BallTree extends BinaryTree {
  readonly algorithm = "ball_tree" as const;

  static build(X: MatrixLike, options: TreeOptions = {}): BallTree {
    const { m, metric, leafSize } = prepare(X, options, "ball_tree");
    return new BallTree(buildArrays(m, leafSize, "ball_tree", metric), m.cols, metric, leafSize, options.workers);
  }

  /** Rebuilds from a state without checking it (indexFromState checks first). */
  static fromState(state: BallTreeState): BallTree {
    const p = state.params;
    return new BallTree(state.arrays, p.cols, resolveMetric({ ...p, ...p.metricParams }), p.leafSize, 1);
  }
}

/** Box lower bound (KD-tree), squared euclidean: the per-dimension gaps between the query and the node's bounds. */
function boxLowerBoundEuclidean(bounds: Float64Array, d: number, q: FloatArray, qo: number, node: number): number {
  const lo = node * 2 * d;
  const hi = lo + d;
  let s = 0;
  for (let j = 0; j < d; j++) {
    const v = q[qo + j];
    const below = bounds[lo + j] - v;
    const above = v - bounds[hi + j];
    const gap = below > 0 ? below : above > 0 ? above : 0;
    s += gap * gap;
  }
  return s * BOUND_SHRINK;
}

/** Box lower bound (KD-tree), metrics other than euclidean: the per-dimension gaps between the query and the node's bounds. */
function boxLowerBound(metric: Metric, bounds: Float64Array, d: number, q: FloatArray, qo: number, node: number): number {
  const base = node * 2 * d;
  const kind = metric.kind;
  const w = metric.param;
  let s = 0;
  for (let j = 0; j < d; j++) {
    const v = q[qo + j];
    const lo = bounds[base + j];
    const hi = bounds[base + d + j];
    const gap = v < lo ? lo - v : v > hi ? v - hi : 0;
    if (kind === MetricKind.Chebyshev) s = gap > s ? gap : s;
    else s += w === null ? gapPower(metric, gap) : w[j] * gapPower(metric, gap);
  }
  return s * BOUND_SHRINK;
}

/** Ball lower bound, squared euclidean: distance to the centroid minus the radius (with a rounding margin), squared. */
function ballLowerBoundEuclidean(centroids: Float64Array, radii: Float64Array, d: number, q: FloatArray, qo: number, node: number): number {
  let reduced = 0;
  for (let j = 0, c = node * d; j < d; j++) {
    const t = q[qo + j] - centroids[c + j];
    reduced += t * t;
  }
  const toCentre = Math.sqrt(reduced);
  const radius = radii[node];
  const gap = toCentre - radius - 1e-10 * (toCentre + radius);
  return gap > 0 ? gap * gap : 0;
}

/** Ball lower bound: distance to the centroid minus the radius (with a rounding margin), reduced. */
function ballLowerBound(
  metric: Metric,
  rdist: ReducedDistance,
  centroids: Float64Array,
  radii: Float64Array,
  d: number,
  q: FloatArray,
  qo: number,
  node: number,
): number {
  const reduced = rdist(q, qo, centroids, node * d, d);
  const toCentre = reducedToDistance(metric, reduced);
  const radius = radii[node];
  const gap = toCentre - radius - 1e-10 * (toCentre + radius);
  return gap > 0 ? distanceToReduced(metric, gap) : 0;
}
