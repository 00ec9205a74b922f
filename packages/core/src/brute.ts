import { NeighborHeap, type RaggedBuilder } from "./heap.js";
import { KnnIndex } from "./index-base.js";
import { toMatrix, type FloatArray, type Matrix, type MatrixLike } from "./matrix.js";
import { checkCategoricalCodes, checkCategoricalFeatures, mixedReducedDistance } from "./mixed-metric.js";
import {
  MetricKind,
  reducedToDistance,
  resolveMetric,
  rowNorms,
  type Metric,
  type MetricOptions,
  type ReducedDistance,
} from "./metrics.js";
import { KERNEL_CHOICES, distanceKernel, type DistanceKernel, type KernelChoice, type KernelPrecision } from "./kernels/blocked.js";
import { identityIndex, scanRowsEuclidean } from "./scan.js";

/** Below this many columns the row-at-a-time scan (with early exit) beats the blocked kernel. */
export const BLOCKED_MIN_COLS = 16;
import { STATE_VERSION, toShared, type BruteState } from "./shared.js";
import { KnnInputError } from "./errors.js";
import { LeafScanKernel } from "./kernels/leaf-scan.js";
import { BlockedSearch } from "./kernels/blocked-search.js";

export interface BruteForceOptions extends MetricOptions {
  /** Threads for queries: a number, or "auto" (all cores when the batch is large enough). */
  workers?: number | "auto";
  /** Columns holding integer category codes, compared as 0/1 mismatch (see mixed-metric.ts). */
  categoricalFeatures?: number[];
  /** What one categorical mismatch weighs, in units of a numeric difference. Default 1. */
  categoricalWeight?: number;
  /** Distance path for euclidean data with 16+ features (see KernelChoice); answers are the same on every path. Default "auto". */
  kernel?: KernelChoice;
}

/**
 * Exact search by scanning every training row. Holds the caller's matrix as a
 * view (no copy); cosine keeps the row norms as well.
 */
export class BruteForce extends KnnIndex {
  readonly algorithm = "brute" as const;
  private data: FloatArray;
  private norms: Float64Array | null;
  readonly categoricalFeatures: readonly number[];
  readonly categoricalWeight: number;
  private readonly rdist: ReducedDistance | null;
  /** Euclidean, or cosine through unit rows when no row has length zero (cosine distance 1 by convention). */
  private readonly blockedMetric: boolean;

  private constructor(
    data: FloatArray,
    rows: number,
    cols: number,
    metric: Metric,
    workers: BruteForceOptions["workers"],
    norms: Float64Array | null,
    categorical: readonly number[],
    categoricalWeight: number,
    readonly kernelChoice: KernelChoice,
  ) {
    super(rows, cols, metric, data instanceof Float32Array ? "float32" : "float64", workers);
    this.data = data;
    this.norms = norms;
    this.categoricalFeatures = categorical;
    this.categoricalWeight = categoricalWeight;
    this.rdist = metric.kind === MetricKind.Cosine ? null : mixedReducedDistance(metric, categorical, cols, categoricalWeight);
    this.blockedMetric = metric.kind === MetricKind.Euclidean || (metric.kind === MetricKind.Cosine && (norms as Float64Array).every((n) => n > 0));
  }

  static build(X: MatrixLike, options: BruteForceOptions = {}): BruteForce {
    const metric = resolveMetric(options);
    const m: Matrix = toMatrix(X, "X");
    const categorical = checkCategoricalFeatures(options.categoricalFeatures, m.cols);
    checkCategoricalCodes(m.data, m.rows, m.cols, categorical, "X");
    const kernel = options.kernel ?? "auto";
    if (!KERNEL_CHOICES.includes(kernel)) {
      throw new KnnInputError(`unknown kernel "${String(kernel)}"; expected one of ${KERNEL_CHOICES.join(", ")}`);
    }
    const norms = metric.kind === MetricKind.Cosine ? rowNorms(m.data, m.rows, m.cols) : null;
    return new BruteForce(m.data, m.rows, m.cols, metric, options.workers, norms, categorical, options.categoricalWeight ?? 1, kernel);
  }

  /** Rebuilds from a state without checking it (indexFromState checks first). */
  static fromState(state: BruteState): BruteForce {
    const p = state.params;
    const metric = resolveMetric(p);
    return new BruteForce(state.arrays.data, p.rows, p.cols, metric, 1, state.arrays.norms ?? null, [...p.categorical], p.categoricalWeight, p.kernel);
  }

  state(): BruteState {
    return {
      kind: "brute",
      version: STATE_VERSION,
      params: {
        rows: this.rows,
        cols: this.cols,
        metric: this.metric.name,
        p: this.metric.p,
        categorical: this.categoricalFeatures,
        categoricalWeight: this.categoricalWeight,
        kernel: this.kernelChoice,
      },
      arrays: this.norms ? { data: this.data, norms: this.norms } : { data: this.data },
    };
  }

  sharedState(): BruteState {
    this.data = toShared(this.data);
    if (this.norms) this.norms = toShared(this.norms);
    return this.state();
  }

  trainingRows(): Matrix {
    return { data: this.data, rows: this.rows, cols: this.cols };
  }

  protected queryCost(): number {
    return this.rows;
  }

  /** Reduced distances from query row qi to every training row, into `out`. */
  private reducedRow(q: FloatArray, qi: number, out: Float64Array): void {
    const { data, rows, cols } = this;
    const qo = qi * cols;
    const kind = this.metric.kind;
    if (kind === MetricKind.Euclidean && this.categoricalFeatures.length === 0) {
      for (let i = 0, o = 0; i < rows; i++, o += cols) {
        let s = 0;
        for (let j = 0; j < cols; j++) {
          const t = q[qo + j] - data[o + j];
          s += t * t;
        }
        out[i] = s;
      }
    } else if (kind === MetricKind.Cosine) {
      const norms = this.norms as Float64Array;
      let qn = 0;
      for (let j = 0; j < cols; j++) qn += q[qo + j] * q[qo + j];
      qn = Math.sqrt(qn);
      for (let i = 0, o = 0; i < rows; i++, o += cols) {
        let dot = 0;
        for (let j = 0; j < cols; j++) dot += q[qo + j] * data[o + j];
        const denom = qn * norms[i];
        out[i] = denom === 0 ? 1 : Math.min(2, Math.max(0, 1 - dot / denom));
      }
    } else {
      const rdist = this.rdist as ReducedDistance;
      for (let i = 0, o = 0; i < rows; i++, o += cols) out[i] = rdist(q, qo, data, o, cols);
    }
  }

  private kernel: DistanceKernel | null = null;
  private rowKernel: LeafScanKernel | null | undefined;

  /** The one-query WebAssembly scan for euclidean data below BLOCKED_MIN_COLS features (built at first use), else null. */
  private rowScan(): LeafScanKernel | null {
    if (this.rowKernel === undefined) this.rowKernel = LeafScanKernel.create(this.data, this.rows, this.cols, 1024);
    return this.rowKernel;
  }

  /**
   * Which distance path euclidean queries take: "wasm" or "typescript" (the blocked
   * kernels, 16+ features), "wasm-rows" (one query at a time in WebAssembly SIMD,
   * fewer features) or "plain" (TypeScript, a row at a time).
   */
  get kernelKind(): "wasm" | "typescript" | "wasm-rows" | "plain" {
    if (this.usesBlockedKernel()) return this.blockedKernel().kind;
    return this.usesRowScan() && this.rowScan() ? "wasm-rows" : "plain";
  }

  private usesRowScan(): boolean {
    return this.metric.kind === MetricKind.Euclidean && this.categoricalFeatures.length === 0 && this.kernelChoice === "auto";
  }

  /** Arithmetic of the blocked kernel's approximation ("float32" or "float64"), or null on the plain path. */
  get kernelPrecision(): KernelPrecision | null {
    return this.usesBlockedKernel() ? this.blockedKernel().precision : null;
  }

  private usesBlockedKernel(): boolean {
    return this.blockedMetric && this.categoricalFeatures.length === 0 && this.cols >= BLOCKED_MIN_COLS && this.kernelChoice !== "plain";
  }

  private blockedKernel(): DistanceKernel {
    // only reached when usesBlockedKernel(), so the choice is not "plain"
    this.kernel ??= distanceKernel(this.kernelRows(), this.rows, this.cols, this.kernelChoice === "plain" ? "auto" : this.kernelChoice);
    return this.kernel;
  }

  /** The rows the blocked kernel works on: the data, or for cosine the rows scaled to unit length. */
  private kernelRows(): FloatArray {
    if (this.metric.kind !== MetricKind.Cosine) return this.data;
    const { data, rows, cols } = this;
    const norms = this.norms as Float64Array;
    const unit = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const scale = 1 / norms[i];
      for (let j = 0, o = i * cols; j < cols; j++) unit[o + j] = data[o + j] * scale;
    }
    return unit;
  }

  /** Blocked k-NN (see BlockedSearch), 4 queries at a time over every row. */
  private knnBlocked(q: FloatArray, k: number, from: number, to: number, outIdx: Int32Array, outDist: Float64Array): void {
    const cosine = this.metric.kind === MetricKind.Cosine;
    const search = new BlockedSearch(this.blockedKernel(), this.data, this.cols, k, cosine ? this.norms : null);
    const qRows = new Int32Array(4);
    const lo = new Int32Array(4);
    const hi = new Int32Array(4).fill(this.rows);
    for (let q0 = from; q0 < to; q0 += 4) {
      const nq = Math.min(4, to - q0);
      for (let t = 0; t < 4; t++) qRows[t] = q0 + t;
      search.run(q, qRows, nq, lo, hi, null, outIdx, outDist, qRows);
    }
  }

  knnRange(q: FloatArray, k: number, from: number, to: number, outIdx: Int32Array, outDist: Float64Array): void {
    if (this.usesBlockedKernel()) {
      this.knnBlocked(q, k, from, to, outIdx, outDist);
      return;
    }
    const heap = new NeighborHeap(k);
    const { dist, idx } = heap;
    const scan = this.metric.kind === MetricKind.Euclidean && this.categoricalFeatures.length === 0;
    const row = new Float64Array(scan ? 0 : this.rows);
    const identity = scan ? identityIndex(this.rows) : null;
    const rowScan = this.usesRowScan() ? this.rowScan() : null;
    for (let qi = from; qi < to; qi++) {
      heap.reset();
      if (rowScan) {
        rowScan.setQuery(q, qi * this.cols);
        rowScan.scanInto(0, this.rows, heap, identity as Int32Array);
      } else if (identity) scanRowsEuclidean(q, qi * this.cols, this.data, this.cols, 0, this.rows, heap, identity);
      else {
        this.reducedRow(q, qi, row);
        for (let i = 0; i < this.rows; i++) {
          const r = row[i];
          if (r <= dist[0]) heap.push(r, i);
        }
      }
      heap.sortAscending();
      for (let j = 0; j < k; j++) {
        outIdx[qi * k + j] = idx[j];
        outDist[qi * k + j] = reducedToDistance(this.metric, dist[j]);
      }
    }
  }

  radiusRange(q: FloatArray, rr: number, from: number, to: number, out: RaggedBuilder, countOnly: boolean): void {
    const row = new Float64Array(this.rows);
    let count = 0;
    for (let qi = from; qi < to; qi++) {
      this.reducedRow(q, qi, row);
      for (let i = 0; i < this.rows; i++) {
        if (row[i] <= rr) {
          if (countOnly) count++;
          else out.push(i, reducedToDistance(this.metric, row[i]));
        }
      }
      out.offsets[qi - from + 1] = countOnly ? count : out.length;
    }
  }
}
