/**
 * The row scanner: the one place that chooses how the distances from a query to
 * training rows are computed, for brute force, tree leaves and prefilter
 * windows alike. `chooseScan` makes the choice once per index; `RowScanner`
 * builds what it chose (at first use) and runs it. Every path gives the plain
 * loop's reduced distances bit for bit (the blocked kernels re-check their
 * candidates with the plain loop), so the choice changes speed, never answers.
 *
 * Paths, fastest first:
 *   blocked    4 queries at a time through a blocked kernel (kernels/blocked.ts, BlockedSearch):
 *              euclidean, or cosine on rows scaled to unit length; BLOCKED_MIN_COLS+ features
 *   wasm-rows  one query at a time in WebAssembly SIMD (kernels/leaf-scan.ts), euclidean
 *   euclidean  one query, four rows at a time in TypeScript (scan.ts)
 *   cosine     the plain cosine loop
 *   metric     the plain loop of the metric's reduced distance (with categorical columns, the mixed one)
 * A metric with a fast path of its own is added here (and in its tests), nowhere else.
 */
import { KnnInputError } from "./errors.js";
import { NeighborHeap } from "./heap.js";
import type { FloatArray } from "./matrix.js";
import { MetricKind, reducedToDistance, type Metric, type ReducedDistance } from "./metrics.js";
import type { RaggedBuilder } from "./results.js";
import { mixedReducedDistance } from "./mixed-metric.js";
import { scanPositionsEuclidean, scanRowsEuclidean } from "./scan.js";
import { BlockedSearch } from "./kernels/blocked-search.js";
import { KERNEL_CHOICES, distanceKernel, wasmKernelModule, type DistanceKernel, type KernelChoice } from "./kernels/blocked.js";
import { LeafScanKernel } from "./kernels/leaf-scan.js";

/** Below this many columns the row-at-a-time scan (with early exit) beats the blocked kernel. */
export const BLOCKED_MIN_COLS = 16;

/**
 * Where rows are scanned: every row per query (brute force), tree leaves,
 * contiguous prefilter windows, or scattered positions (prefilter halving survivors).
 */
export type ScanSite = "brute" | "leaves" | "windows" | "positions";

/** How one query is scanned when the blocked kernel is not used (see the header). */
export type RowPath = "wasm-rows" | "euclidean" | "cosine" | "metric";

/** What the choice depends on. */
export interface ScanFacts {
  readonly metric: MetricKind;
  readonly cols: number;
  /** Number of categorical columns. */
  readonly categorical: number;
  readonly site: ScanSite;
  /** Whether WebAssembly SIMD is available (and not turned off). */
  readonly wasm: boolean;
  /** A forced kernel (BruteForceOptions.kernel); "auto" elsewhere. */
  readonly choice: KernelChoice;
  /** Cosine: no training row has length zero, so the rows scale to unit length. */
  readonly unitRows: boolean;
}

export interface ScanPlan {
  /** The blocked kernel to build (distanceKernel's choice), or null. */
  readonly blocked: Exclude<KernelChoice, "plain"> | null;
  /** Taken when there is no blocked kernel. */
  readonly rows: RowPath;
}

/** The distance path for these facts (see the header). */
export function chooseScan(f: ScanFacts): ScanPlan {
  const numeric = f.categorical === 0;
  const euclidean = numeric && f.metric === MetricKind.Euclidean;
  const cosine = f.metric === MetricKind.Cosine;
  let blocked: ScanPlan["blocked"] = null;
  if ((euclidean || (cosine && numeric && f.unitRows)) && f.cols >= BLOCKED_MIN_COLS && f.choice !== "plain") {
    // brute force falls back to the TypeScript blocked kernel; windows take only WebAssembly's
    if (f.site === "brute") blocked = f.wasm ? f.choice : "typescript";
    else if (f.site === "windows" && f.wasm) blocked = "auto";
  }
  const wasmRows = f.wasm && f.choice === "auto" && f.site !== "positions";
  const rows: RowPath = euclidean ? (wasmRows ? "wasm-rows" : "euclidean") : cosine ? "cosine" : "metric";
  return { blocked, rows };
}

/** Checks a forced kernel choice. */
export function checkKernelChoice(choice: KernelChoice): void {
  if (!KERNEL_CHOICES.includes(choice)) {
    throw new KnnInputError(`unknown kernel "${String(choice)}"; expected one of ${KERNEL_CHOICES.join(", ")}`);
  }
}

export interface ScannerOptions {
  readonly site: ScanSite;
  /** Default "auto". */
  readonly choice?: KernelChoice;
  readonly categorical?: readonly number[];
  readonly categoricalWeight?: number;
  /** Cosine: the length of every training row. */
  readonly norms?: Float64Array | null;
  /** WebAssembly row scan: the longest run of rows offered in one call. */
  readonly maxRun: number;
}

const EMPTY = new Float64Array(0);

/**
 * Scans the rows of one row-major matrix for one query at a time (setQuery, then
 * scanRange / scanPositions into a heap; knnAllRows for brute force; within for
 * radius searches), or hands out the blocked search (4 queries at a time).
 */
export class RowScanner {
  readonly plan: ScanPlan;
  private readonly rdist: ReducedDistance | null;
  private readonly norms: Float64Array | null;
  private rowKernel: LeafScanKernel | null | undefined;
  private blockedKernel: DistanceKernel | null | undefined;
  private path: RowPath | undefined;
  private q: FloatArray = EMPTY;
  private qo = 0;
  /** Cosine: the query's length. */
  private qNorm = 0;

  constructor(
    private readonly data: FloatArray,
    private readonly rows: number,
    private readonly d: number,
    private readonly metric: Metric,
    private readonly options: ScannerOptions,
  ) {
    const cosine = metric.kind === MetricKind.Cosine;
    const categorical = options.categorical ?? [];
    // also refuses cosine with categorical columns, and a bad categorical weight
    this.rdist = cosine && categorical.length === 0 ? null : mixedReducedDistance(metric, categorical, d, options.categoricalWeight);
    this.norms = options.norms ?? null;
    if (cosine && this.norms === null) throw new Error("cosine scans need the row norms");
    this.plan = chooseScan({
      metric: metric.kind,
      cols: d,
      categorical: categorical.length,
      site: options.site,
      wasm: wasmKernelModule() !== null,
      choice: options.choice ?? "auto",
      unitRows: cosine && (this.norms as Float64Array).every((n) => n > 0),
    });
  }

  /** "wasm" or "typescript" (a blocked kernel), "wasm-rows" or "plain" (one query at a time, in TypeScript). */
  get kind(): "wasm" | "typescript" | "wasm-rows" | "plain" {
    const blocked = this.blocked();
    if (blocked) return blocked.kind;
    return this.rowPath() === "wasm-rows" ? "wasm-rows" : "plain";
  }

  /** The blocked kernel (built at first use), or null when the plan has none. */
  blocked(): DistanceKernel | null {
    if (this.blockedKernel === undefined) {
      const choice = this.plan.blocked;
      let kernel = choice === null ? null : distanceKernel(this.kernelRows(), this.rows, this.d, choice, this.data);
      // without WebAssembly memory, windows scan one query at a time instead
      if (kernel?.kind === "typescript" && this.options.site !== "brute") kernel = null;
      this.blockedKernel = kernel;
    }
    return this.blockedKernel;
  }

  /** A blocked k-NN search over the rows (see BlockedSearch), or null when the plan has no blocked kernel. */
  blockedSearch(k: number): BlockedSearch | null {
    const kernel = this.blocked();
    return kernel && new BlockedSearch(kernel, this.data, this.d, k, this.metric.kind === MetricKind.Cosine ? this.norms : null);
  }

  /** The rows the blocked kernel works on: the data, or for cosine the rows scaled to unit length. */
  private kernelRows(): FloatArray {
    if (this.metric.kind !== MetricKind.Cosine) return this.data;
    const { data, rows, d } = this;
    const norms = this.norms as Float64Array;
    const unit = new Float64Array(rows * d);
    for (let i = 0; i < rows; i++) {
      const scale = 1 / norms[i];
      for (let j = 0, o = i * d; j < d; j++) unit[o + j] = data[o + j] * scale;
    }
    return unit;
  }

  /** The one-query path, building the WebAssembly scan at first use ("euclidean" where it cannot be built). */
  private rowPath(): RowPath {
    if (this.path === undefined) {
      this.rowKernel = this.plan.rows === "wasm-rows" ? LeafScanKernel.create(this.data, this.d, this.options.maxRun) : null;
      this.path = this.plan.rows === "wasm-rows" && this.rowKernel === null ? "euclidean" : this.plan.rows;
    }
    return this.path;
  }

  /** Makes row qo / d of q the query of the following k-NN scans (building the one-query path at first use). */
  setQuery(q: FloatArray, qo: number): void {
    this.q = q;
    this.qo = qo;
    if (this.rowPath() === "wasm-rows") (this.rowKernel as LeafScanKernel).setQuery(q, qo);
    else if (this.norms !== null) this.qNorm = queryNorm(q, qo, this.d);
  }

  /** Offers rows [start, end) to the heap (reduced distances) as ids[row]. */
  scanRange(start: number, end: number, heap: NeighborHeap, ids: Int32Array): void {
    // kept small so that it inlines into the callers' loops (a tree calls it once per leaf)
    const kernel = this.rowKernel;
    if (kernel) kernel.scanInto(start, end, heap, ids);
    else this.scanRangeTypeScript(start, end, heap, ids);
  }

  private scanRangeTypeScript(start: number, end: number, heap: NeighborHeap, ids: Int32Array): void {
    const { q, qo, data, d, rdist } = this;
    const hd = heap.dist;
    if (this.path === "euclidean") scanRowsEuclidean(q, qo, data, d, start, end, heap, ids);
    else if (rdist === null) {
      for (let row = start; row < end; row++) {
        const r = this.cosine(q, qo, this.qNorm, row);
        if (r <= hd[0]) heap.push(r, ids[row]);
      }
    } else {
      for (let row = start, o = start * d; row < end; row++, o += d) {
        const r = rdist(q, qo, data, o, d);
        if (r <= hd[0]) heap.push(r, ids[row]);
      }
    }
  }

  /**
   * Brute force one query at a time: the k nearest of all rows (as ids[row]) for query rows
   * [from, to) of q, into those rows of outIdx / outDist (true distances, sorted).
   */
  knnAllRows(q: FloatArray, from: number, to: number, k: number, ids: Int32Array, outIdx: Int32Array, outDist: Float64Array): void {
    const heap = new NeighborHeap(k);
    const { dist, idx } = heap;
    for (let qi = from; qi < to; qi++) {
      heap.reset();
      this.setQuery(q, qi * this.d);
      // the kernel called here directly, not through scanRange: V8 then inlines it into this loop (about 10% faster)
      const kernel = this.rowKernel;
      if (kernel) kernel.scanInto(0, this.rows, heap, ids);
      else this.scanRange(0, this.rows, heap, ids);
      heap.sortAscending();
      for (let j = 0; j < k; j++) {
        outIdx[qi * k + j] = idx[j];
        outDist[qi * k + j] = reducedToDistance(this.metric, dist[j]);
      }
    }
  }

  /** Offers rows positions[from..to) to the heap (reduced distances) as ids[row]. */
  scanPositions(positions: Int32Array, from: number, to: number, heap: NeighborHeap, ids: Int32Array): void {
    const { q, qo, data, d, rdist } = this;
    if (this.path === "euclidean") {
      scanPositionsEuclidean(q, qo, data, d, positions, from, to, heap, ids);
      return;
    }
    const hd = heap.dist;
    for (let i = from; i < to; i++) {
      const row = positions[i];
      const r = rdist === null ? this.cosine(q, qo, this.qNorm, row) : rdist(q, qo, data, row * d, d);
      if (r <= hd[0]) heap.push(r, ids[row]);
    }
  }

  /**
   * Radius search of row qo / d of q over rows rows[from..to) (rows [from, to) when rows
   * is null): each row within reduced radius rr is appended to out as (ids[row], true
   * distance), or with countOnly only counted. Returns how many were found.
   */
  within(
    q: FloatArray,
    qo: number,
    rows: Int32Array | null,
    from: number,
    to: number,
    rr: number,
    ids: Int32Array,
    out: RaggedBuilder,
    countOnly: boolean,
  ): number {
    const { data, d, rdist, metric } = this;
    const euclidean = this.plan.rows === "wasm-rows" || this.plan.rows === "euclidean";
    const qNorm = rdist === null ? queryNorm(q, qo, d) : 0;
    let found = 0;
    for (let i = from, o = from * d; i < to; i++, o += d) {
      const row = rows === null ? i : rows[i];
      const ro = rows === null ? o : row * d;
      let r = 0;
      if (euclidean) {
        for (let j = 0; j < d; j++) {
          const t = q[qo + j] - data[ro + j];
          r += t * t;
        }
      } else r = rdist === null ? this.cosine(q, qo, qNorm, row) : rdist(q, qo, data, ro, d);
      if (r <= rr) {
        found++;
        if (!countOnly) out.push(ids[row], reducedToDistance(metric, r));
      }
    }
    return found;
  }

  /** The plain cosine distance (1 - cos, clamped to [0, 2]; 1 when either vector has length zero). */
  private cosine(q: FloatArray, qo: number, qNorm: number, row: number): number {
    const { data, d } = this;
    let dot = 0;
    for (let j = 0, o = row * d; j < d; j++) dot += q[qo + j] * data[o + j];
    const denom = qNorm * (this.norms as Float64Array)[row];
    return denom === 0 ? 1 : Math.min(2, Math.max(0, 1 - dot / denom));
  }
}

function queryNorm(q: FloatArray, qo: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += q[qo + j] * q[qo + j];
  return Math.sqrt(s);
}
