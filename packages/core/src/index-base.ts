import { KnnInputError, checkPositiveInteger, describeValue } from "./errors.js";
import { indexBytes } from "./kernels/memory.js";
import { checkColumns, toMatrix, type Dtype, type FloatArray, type Matrix, type MatrixLike } from "./matrix.js";
import { checkMetricColumns, checkPrecomputed, distanceToReduced, type Metric } from "./metrics.js";
import { parallelKnn, parallelRadius, resolveWorkers } from "./parallel.js";
import { RaggedBuilder, type KnnResult, type QueryOptions, type RadiusOptions, type RadiusResult } from "./results.js";
import type { IndexState } from "./shared.js";
import { webParallelKnn, webParallelRadius, webWorkersAvailable } from "./web-pool.js";
import { csrMatrix, csrRows, densifyRows, isCsr, type CsrInput, type CsrMatrix, type RowsLike } from "./sparse.js";

/** Values per block when sparse queries meet a dense index (see denseBlocks). */
const DENSE_BLOCK_VALUES = 1 << 20;

export type IndexAlgorithm = "brute" | "kd_tree" | "ball_tree" | "prefilter";

/**
 * What every index shares: input checks, output allocation and the split of a
 * query batch over worker threads. Subclasses supply the per-range kernels.
 */
export abstract class KnnIndex {
  abstract readonly algorithm: IndexAlgorithm;
  readonly rows: number;
  readonly cols: number;
  readonly metric: Metric;
  readonly dtype: Dtype;
  /** Default thread count for queries (see `resolveWorkers`). */
  workers: number | "auto";

  protected constructor(rows: number, cols: number, metric: Metric, dtype: Dtype, workers: number | "auto" | undefined) {
    this.rows = rows;
    this.cols = cols;
    this.metric = metric;
    checkMetricColumns(metric, cols, rows);
    this.dtype = dtype;
    if (workers !== undefined && workers !== "auto") checkWorkers(workers);
    this.workers = workers ?? "auto";
  }

  /** Fills rows [from, to) of a k-NN result: original indices and true distances, sorted. */
  abstract knnRange(q: FloatArray, k: number, from: number, to: number, outIdx: Int32Array, outDist: Float64Array): void;

  /** Appends rows [from, to) of a radius result (reduced radius rr) to `out`, whose offsets are local to `from`. */
  abstract radiusRange(q: FloatArray, rr: number, from: number, to: number, out: RaggedBuilder, countOnly: boolean): void;

  /** The index's parameters and its arrays as they are (views, no copy; read-only by contract). Changes nothing. */
  abstract state(): IndexState;

  /**
   * The state for worker threads: the same, with the arrays moved into shared
   * memory first (once; the index keeps using the shared copies).
   */
  abstract sharedState(): IndexState;

  /**
   * Bytes the index holds: its arrays (the WebAssembly memory its rows live in counted once,
   * with the scratch every kernel reserved there, on every thread), plus the memories of
   * their own its kernels made in this thread (see kernels/memory.ts).
   */
  get memoryBytes(): number {
    const arrays = this.state().arrays;
    return indexBytes(arrays as unknown as Record<string, ArrayBufferView>, arrays.data);
  }

  /** The training rows in their original order (a view where the index keeps them so, else a copy). */
  abstract trainingRows(): Matrix;

  /** Relative cost of one query (distance evaluations), used to decide whether threads pay off. */
  protected abstract queryCost(k: number): number;

  /** The k nearest training rows of each row of Q. In a browser it runs on the calling thread (see queryAsync). */
  query(Q: RowsLike, k: number, options: QueryOptions = {}): KnnResult {
    if (isCsr(Q)) {
      const parts = this.denseBlocks(Q).map((b) => this.query(b, k, options));
      return { indices: concat(Int32Array, parts.map((p) => p.indices)), distances: concat(Float64Array, parts.map((p) => p.distances)), rows: Q.rows, k };
    }
    const q = this.checkKnn(Q, k);
    const workers = resolveWorkers(options.workers ?? this.workers, q.rows * this.queryCost(k) * this.cols);
    if (workers > 1) return parallelKnn(this, q, k, workers);
    return this.knnSerial(q, k);
  }

  /**
   * `query` without blocking: in a cross-origin-isolated browser context the
   * rows are spread over Web Workers (web-pool.ts); elsewhere it answers what
   * `query` does (in Node, on worker threads). Same results either way.
   */
  async queryAsync(Q: MatrixLike, k: number, options: QueryOptions = {}): Promise<KnnResult> {
    if (!webWorkersAvailable) return this.query(Q, k, options);
    const q = this.checkKnn(Q, k);
    const workers = resolveWorkers(options.workers ?? this.workers, q.rows * this.queryCost(k) * this.cols, true);
    return workers > 1 ? webParallelKnn(this, q, k, workers) : this.knnSerial(q, k);
  }

  private checkKnn(Q: MatrixLike, k: number): Matrix {
    const q = this.checkQueries(Q);
    checkPositiveInteger(k, "k");
    if (k > this.rows) {
      throw new KnnInputError(`k=${k} is larger than the number of training rows (${this.rows})`);
    }
    return q;
  }

  private knnSerial(q: Matrix, k: number): KnnResult {
    const indices = new Int32Array(q.rows * k);
    const distances = new Float64Array(q.rows * k);
    this.knnRange(q.data, k, 0, q.rows, indices, distances);
    return { indices, distances, rows: q.rows, k };
  }

  /** Training rows within distance r (inclusive; Infinity takes every row) of each row of Q. In a browser it runs on the calling thread (see queryRadiusAsync). */
  queryRadius(Q: RowsLike, r: number, options: RadiusOptions = {}): RadiusResult {
    if (isCsr(Q)) return joinRadius(this.denseBlocks(Q).map((b) => this.queryRadius(b, r, options)));
    const q = this.checkQueries(Q);
    const rr = this.checkRadius(r);
    const countOnly = options.countOnly ?? false;
    const workers = resolveWorkers(options.workers ?? this.workers, q.rows * this.queryCost(1) * this.cols);
    const result =
      workers > 1
        ? parallelRadius(this, q, rr, countOnly, workers)
        : this.radiusBatch(q.data, rr, 0, q.rows, countOnly);
    if (options.sortResults && !countOnly) sortRadiusRows(result);
    return result;
  }

  /** `queryRadius` without blocking, on Web Workers where `queryAsync` uses them. */
  async queryRadiusAsync(Q: MatrixLike, r: number, options: RadiusOptions = {}): Promise<RadiusResult> {
    if (!webWorkersAvailable) return this.queryRadius(Q, r, options);
    const q = this.checkQueries(Q);
    const rr = this.checkRadius(r);
    const countOnly = options.countOnly ?? false;
    const workers = resolveWorkers(options.workers ?? this.workers, q.rows * this.queryCost(1) * this.cols, true);
    const result =
      workers > 1
        ? await webParallelRadius(this, q, rr, countOnly, workers)
        : this.radiusBatch(q.data, rr, 0, q.rows, countOnly);
    if (options.sortResults && !countOnly) sortRadiusRows(result);
    return result;
  }

  /** The reduced radius of a checked r. */
  private checkRadius(r: number): number {
    // Infinity (as scikit-learn allows) takes every row, with its true distance
    if (typeof r !== "number" || !(r >= 0)) throw new KnnInputError(`radius r must be a number >= 0 (or Infinity), got ${describeValue(r)}`);
    return distanceToReduced(this.metric, r);
  }

  /** Radius search of rows [from, to) into a fresh CSR result. */
  radiusBatch(q: FloatArray, rr: number, from: number, to: number, countOnly: boolean): RadiusResult {
    const out = new RaggedBuilder(to - from, !countOnly, countOnly ? 0 : 1024);
    this.radiusRange(q, rr, from, to, out, countOnly);
    return {
      offsets: out.offsets,
      indices: out.indices.slice(0, out.length),
      distances: out.distances.slice(0, countOnly ? 0 : out.length),
      rows: to - from,
    };
  }

  /**
   * Sparse queries to an index over dense rows: brute force takes them densified a
   * block of rows at a time; the other indexes refuse them (scikit-learn's message).
   */
  private denseBlocks(Q: CsrInput): Matrix[] {
    if (this.algorithm !== "brute") throw new KnnInputError(`${this.algorithm} does not work with sparse matrices. Densify the data, or set algorithm='brute'`);
    const q: CsrMatrix = csrMatrix(Q, "Q");
    checkColumns(q as unknown as Matrix, this.cols, "Q");
    const step = Math.max(1, Math.floor(DENSE_BLOCK_VALUES / q.cols));
    const blocks: Matrix[] = [];
    for (let from = 0; from < q.rows; from += step) blocks.push(densifyRows(csrRows(q, from, Math.min(q.rows, from + step))));
    return blocks;
  }

  protected checkQueries(Q: MatrixLike): Matrix {
    const q = toMatrix(Q, "Q");
    checkColumns(q, this.cols, "Q");
    checkPrecomputed(this.metric, q.data, "Q");
    return q;
  }
}

export function checkWorkers(workers: number): void {
  if (!Number.isInteger(workers) || workers < 1) {
    throw new KnnInputError(`workers must be an integer >= 1 or "auto", got ${workers}`);
  }
}

/** Sorts each row of a radius result by (distance, index), in place. */
export function sortRadiusRows(result: RadiusResult): void {
  const { offsets, indices, distances } = result;
  let order = new Int32Array(0);
  let tmpI = new Int32Array(0);
  let tmpD = new Float64Array(0);
  for (let row = 0; row < result.rows; row++) {
    const a = offsets[row];
    const n = offsets[row + 1] - a;
    if (n < 2) continue;
    if (order.length < n) {
      order = new Int32Array(n);
      tmpI = new Int32Array(n);
      tmpD = new Float64Array(n);
    }
    for (let j = 0; j < n; j++) order[j] = a + j;
    order.subarray(0, n).sort((x, y) => distances[x] - distances[y] || indices[x] - indices[y]);
    for (let j = 0; j < n; j++) {
      tmpI[j] = indices[order[j]];
      tmpD[j] = distances[order[j]];
    }
    indices.set(tmpI.subarray(0, n), a);
    distances.set(tmpD.subarray(0, n), a);
  }
}

function concat<T extends Int32Array | Float64Array>(Ctor: { new (n: number): T }, parts: T[]): T {
  if (parts.length === 1) return parts[0];
  const out = new Ctor(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p as never, at);
    at += p.length;
  }
  return out;
}

/** Radius results of consecutive blocks of queries as one. */
function joinRadius(parts: RadiusResult[]): RadiusResult {
  if (parts.length === 1) return parts[0];
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const offsets = new Int32Array(rows + 1);
  let row = 0;
  let base = 0;
  for (const p of parts) {
    for (let i = 1; i <= p.rows; i++) offsets[row + i] = base + p.offsets[i];
    row += p.rows;
    base += p.offsets[p.rows];
  }
  return { offsets, indices: concat(Int32Array, parts.map((p) => p.indices)), distances: concat(Float64Array, parts.map((p) => p.distances)), rows };
}
