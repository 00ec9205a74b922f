/**
 * One binary-tree core for the KD-tree and the Ball tree (they differ only in
 * how a node is bounded). Everything lives in flat typed arrays:
 *   data        training rows permuted into tree order (same dtype as the input)
 *   idxArray    tree position -> original row index
 *   nodeStart/nodeEnd  the positions [start, end) of node i; children of i are 2i+1 and 2i+2
 *   isLeaf      1 for leaves
 *   nodeBounds  KD: per node D lower bounds then D upper bounds; Ball: per node its centroid (D values)
 *   nodeRadius  Ball: per node the radius (true distance); KD: unused
 *   splitDim    KD: per node the dimension its rows are split across (-1 for leaves); Ball: unused
 * The node count is fixed before building (a complete tree), as in scikit-learn.
 * Building is in tree-build.ts, the KD-tree's traversal in kd-search.ts.
 */
import { KnnInputError } from "./errors.js";
import { NeighborHeap } from "./heap.js";
import type { RaggedBuilder } from "./results.js";
import { KDSearch } from "./kd-search.js";
import { RowScanner } from "./scanner.js";
import { KnnIndex } from "./index-base.js";
import { treeKernelDensity, twoPointCorrelation, type KernelDensityOptions } from "./kde.js";
import { toMatrix, type FloatArray, type Matrix, type MatrixLike } from "./matrix.js";
import {
  MetricKind,
  distanceToReduced,
  kdTreeAllows,
  metricState,
  reducedDistanceFn,
  reducedToDistance,
  resolveMetric,
  type Metric,
  type MetricOptions,
  type ReducedDistance,
} from "./metrics.js";
import { partitionRows } from "./tree-build.js";
import { STATE_VERSION, allocShared, shareArrays, unpermuteRows, type BallTreeState, type KDTreeState, type TreeArrays, type TreeState } from "./shared.js";

export type TreeKind = "kd_tree" | "ball_tree";

export interface TreeOptions extends MetricOptions {
  /** Maximum rows per leaf (a leaf holds between leafSize/2 and leafSize rows). Default 40. */
  leafSize?: number;
  /** Threads for queries: a number (capped at cpuCount()), or "auto" (all cores when the batch is large enough). */
  workers?: number | "auto";
}

/** Nodes of the complete tree over `rows` rows: each leaf holds at most leafSize rows (more than leafSize/2), and none is empty. */
export function treeNodeCount(rows: number, leafSize: number): number {
  const levels = 1 + Math.min(Math.max(0, Math.ceil(Math.log2(rows / leafSize))), Math.floor(Math.log2(rows)));
  return 2 ** levels - 1;
}

export abstract class BinaryTree extends KnnIndex {
  abstract override readonly algorithm: TreeKind;
  readonly leafSize: number;
  protected a: TreeArrays;
  private readonly rdist: ReducedDistance;
  /** The leaves' distance path (see scanner.ts). */
  private readonly scanner: RowScanner;
  private kd: KDSearch | null = null;

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

  /** Ball tree: reduced lower bound from query row qo to any row of a node, as a closure chosen once per batch (the hot loop stays monomorphic). */
  private lowerBoundFn(q: FloatArray): (qo: number, node: number) => number {
    const { nodeBounds, nodeRadius } = this.a;
    const { metric, rdist, cols } = this;
    if (metric.kind === MetricKind.Euclidean) return (qo, node) => ballLowerBoundEuclidean(nodeBounds, nodeRadius, cols, q, qo, node);
    return (qo, node) => ballLowerBound(metric, rdist, nodeBounds, nodeRadius, cols, q, qo, node);
  }

  /** The KD-tree's traversal (made at first use); null for the Ball tree. */
  private kdSearch(): KDSearch | null {
    if (this.algorithm !== "kd_tree") return null;
    this.kd ??= new KDSearch(this.a, this.cols, this.metric, this.scanner);
    return this.kd;
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

  /** Kernel density of each row of Q under the training rows (scikit-learn's kernel_density; see kde.ts). */
  kernelDensity(Q: MatrixLike, options: KernelDensityOptions): Float64Array {
    return treeKernelDensity(this, Q, options);
  }

  /** For each radius in r, the number of (query row, training row) pairs within it (scikit-learn's two_point_correlation). */
  twoPointCorrelation(Q: MatrixLike, r: ArrayLike<number>): Float64Array {
    return twoPointCorrelation(this, Q, r);
  }

  knnRange(q: FloatArray, k: number, from: number, to: number, outIdx: Int32Array, outDist: Float64Array): void {
    const d = this.cols;
    const heap = new NeighborHeap(k);
    const hd = heap.dist;
    const kd = this.kdSearch();
    const ball = kd ? null : new BallSearch(this.lowerBoundFn(q));
    for (let qi = from; qi < to; qi++) {
      const qo = qi * d;
      heap.reset();
      this.scanner.setQuery(q, qo);
      if (kd) kd.knn(q, qo, heap);
      else this.ballKnn(qo, heap, ball as BallSearch);
      heap.sortAscending();
      for (let j = 0; j < k; j++) {
        outIdx[qi * k + j] = heap.idx[j];
        outDist[qi * k + j] = reducedToDistance(this.metric, hd[j]);
      }
    }
  }

  /** Ball tree: depth-first, nearer child first, on an explicit stack of (node, lower bound). */
  private ballKnn(qo: number, heap: NeighborHeap, { lowerBound, stackNode, stackBound }: BallSearch): void {
    const { idxArray, nodeStart, nodeEnd, isLeaf } = this.a;
    const scanner = this.scanner;
    const hd = heap.dist;
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
  }

  radiusRange(q: FloatArray, rr: number, from: number, to: number, out: RaggedBuilder, countOnly: boolean): void {
    const { idxArray, nodeStart, nodeEnd, isLeaf } = this.a;
    const d = this.cols;
    const scanner = this.scanner;
    const kd = this.kdSearch();
    const lowerBound = kd ? null : this.lowerBoundFn(q);
    let qo = 0;
    let count = 0;
    const leaf = (start: number, end: number): void => {
      count += scanner.within(q, qo, null, start, end, rr, idxArray, out, countOnly);
    };
    const visit = (node: number): void => {
      if ((lowerBound as (qo: number, node: number) => number)(qo, node) > rr) return;
      if (isLeaf[node] === 1) {
        leaf(nodeStart[node], nodeEnd[node]);
        return;
      }
      visit(2 * node + 1);
      visit(2 * node + 2);
    };
    for (let qi = from; qi < to; qi++) {
      qo = qi * d;
      if (kd) kd.radius(q, qo, rr, leaf);
      else visit(0);
      out.offsets[qi - from + 1] = countOnly ? count : out.length;
    }
  }
}

/** A Ball tree k-NN batch: its lower bound and its stack. */
class BallSearch {
  readonly stackNode = new Int32Array(64);
  readonly stackBound = new Float64Array(64);
  constructor(readonly lowerBound: (qo: number, node: number) => number) {}
}

/** The most rows a leaf holds. */
function longestLeaf(a: TreeArrays): number {
  let rows = 0;
  for (let node = 0; node < a.isLeaf.length; node++) if (a.isLeaf[node] === 1) rows = Math.max(rows, a.nodeEnd[node] - a.nodeStart[node]);
  return rows;
}

/** Builds the shared arrays (see tree-build.ts); the Ball tree then bounds each node by its centroid and radius. */
function buildArrays(m: Matrix, leafSize: number, kind: TreeKind, metric: Metric): TreeArrays {
  const d = m.cols;
  const nNodes = treeNodeCount(m.rows, leafSize);
  const { data, idxArray, nodeStart, nodeEnd, isLeaf, splitDim, boxes } = partitionRows(m, nNodes, kind === "kd_tree");
  if (kind === "kd_tree") return { data, idxArray, nodeStart, nodeEnd, isLeaf, splitDim, nodeBounds: boxes, nodeRadius: allocShared(Float64Array, 0) };
  const centroids = allocShared(Float64Array, nNodes * d);
  const nodeRadius = allocShared(Float64Array, nNodes);
  const rdist = reducedDistanceFn(metric);
  for (let node = 0; node < nNodes; node++) {
    const start = nodeStart[node];
    const end = nodeEnd[node];
    const c = node * d;
    for (let o = start * d; o < end * d; o += d) for (let j = 0; j < d; j++) centroids[c + j] += data[o + j];
    for (let j = 0; j < d; j++) centroids[c + j] /= end - start;
    let radius = 0;
    for (let o = start * d; o < end * d; o += d) {
      const r = rdist(centroids, c, data, o, d);
      if (r > radius) radius = r;
    }
    nodeRadius[node] = reducedToDistance(metric, radius);
  }
  return { data, idxArray, nodeStart, nodeEnd, isLeaf, splitDim: allocShared(Int32Array, 0), nodeBounds: centroids, nodeRadius };
}

function checkLeafSize(leafSize: number): void {
  if (!Number.isInteger(leafSize) || leafSize < 1) {
    throw new KnnInputError(`leafSize must be an integer >= 1, got ${leafSize}`);
  }
}

function prepare(X: MatrixLike, options: TreeOptions, algorithm: TreeKind): { m: Matrix; metric: Metric; leafSize: number } {
  const metric = resolveMetric(options);
  if (metric.kind === MetricKind.Cosine || metric.kind === MetricKind.Precomputed) {
    throw new KnnInputError(`metric "${metric.name}" is not supported by ${algorithm}; use algorithm "brute"`);
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
