import type { RaggedBuilder } from "./results.js";
import { KnnIndex } from "./index-base.js";
import { toMatrix, type FloatArray, type Matrix, type MatrixLike } from "./matrix.js";
import { checkCategoricalCodes, checkCategoricalFeatures } from "./mixed-metric.js";
import { MetricKind, checkPrecomputed, metricState, resolveMetric, rowNorms, type Metric, type MetricOptions } from "./metrics.js";
import type { KernelChoice, KernelPrecision } from "./kernels/blocked.js";
import { toRowMemory } from "./kernels/memory.js";
import { identityIndex } from "./scan.js";
import { RowScanner, checkKernelChoice } from "./scanner.js";
import { STATE_VERSION, toShared, type BruteState } from "./shared.js";

export interface BruteForceOptions extends MetricOptions {
  /** Threads for queries: a number (capped at cpuCount()), or "auto" (all cores when the batch is large enough). */
  workers?: number | "auto";
  /** Columns holding integer category codes, compared as 0/1 mismatch (see mixed-metric.ts). */
  categoricalFeatures?: number[];
  /** What one categorical mismatch weighs, in units of a numeric difference. Default 1. */
  categoricalWeight?: number;
  /** Distance path for euclidean data with 16+ features (see KernelChoice); answers are the same on every path. Default "auto". */
  kernel?: KernelChoice;
}

/**
 * Exact search by scanning every training row. Holds one copy of the rows, in
 * the memory the kernels read (kernels/memory.ts); cosine keeps the row norms as well.
 */
export class BruteForce extends KnnIndex {
  readonly algorithm = "brute" as const;
  private data: FloatArray;
  private norms: Float64Array | null;
  readonly categoricalFeatures: readonly number[];
  readonly categoricalWeight: number;
  /** The distance path (see scanner.ts). */
  private readonly scanner: RowScanner;

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
    this.scanner = new RowScanner(data, rows, cols, metric, { site: "brute", choice: kernelChoice, categorical, categoricalWeight, norms, maxRun: 1024 });
  }

  static build(X: MatrixLike, options: BruteForceOptions = {}): BruteForce {
    const metric = resolveMetric(options);
    const m: Matrix = toMatrix(X, "X");
    const categorical = checkCategoricalFeatures(options.categoricalFeatures, m.cols);
    checkCategoricalCodes(m.data, m.rows, m.cols, categorical, "X");
    checkPrecomputed(metric, m.data, "X");
    const kernel = options.kernel ?? "auto";
    checkKernelChoice(kernel);
    const norms = metric.kind === MetricKind.Cosine ? rowNorms(m.data, m.rows, m.cols) : null;
    // the rows go where every kernel, on every thread, reads them in place (see kernels/memory.ts)
    return new BruteForce(toRowMemory(m.data), m.rows, m.cols, metric, options.workers, norms, categorical, options.categoricalWeight ?? 1, kernel);
  }

  /** Rebuilds from a state without checking it (indexFromState checks first). */
  static fromState(state: BruteState): BruteForce {
    const p = state.params;
    const metric = resolveMetric({ ...p, ...p.metricParams });
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
        ...metricState(this.metric),
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

  /**
   * Which distance path queries take: "wasm" or "typescript" (the blocked kernels),
   * "wasm-rows" (one query at a time in WebAssembly SIMD) or "plain" (TypeScript,
   * one query at a time); see scanner.ts.
   */
  get kernelKind(): "wasm" | "typescript" | "wasm-rows" | "plain" {
    return this.scanner.kind;
  }

  /** Arithmetic of the blocked kernel's approximation ("float32" or "float64"), or null without one. */
  get kernelPrecision(): KernelPrecision | null {
    return this.scanner.blocked()?.precision ?? null;
  }

  knnRange(q: FloatArray, k: number, from: number, to: number, outIdx: Int32Array, outDist: Float64Array): void {
    const search = this.scanner.blockedSearch(k);
    if (search) {
      // 4 queries at a time over every row
      const qRows = new Int32Array(4);
      const lo = new Int32Array(4);
      const hi = new Int32Array(4).fill(this.rows);
      for (let q0 = from; q0 < to; q0 += 4) {
        const nq = Math.min(4, to - q0);
        for (let t = 0; t < 4; t++) qRows[t] = q0 + t;
        search.run(q, qRows, nq, lo, hi, null, outIdx, outDist, qRows);
      }
      return;
    }
    this.scanner.knnAllRows(q, from, to, k, identityIndex(this.rows), outIdx, outDist);
  }

  radiusRange(q: FloatArray, rr: number, from: number, to: number, out: RaggedBuilder, countOnly: boolean): void {
    const identity = identityIndex(this.rows);
    let count = 0;
    for (let qi = from; qi < to; qi++) {
      count += this.scanner.within(q, qi * this.cols, null, 0, this.rows, rr, identity, out, countOnly);
      out.offsets[qi - from + 1] = countOnly ? count : out.length;
    }
  }
}
