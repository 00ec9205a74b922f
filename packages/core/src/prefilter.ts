/**
 * The prefilter: approximate k-NN in two stages.
 *   1. Rows are kept sorted by a key: the first principal direction (numeric
 *      columns, projection.ts) or the best feature by how predictive it is of
 *      the target (scoring.ts); a query binary-searches its key there and takes
 *      a window of m rows, grown on whichever side is nearer. Each halving stage
 *      then keeps the half of the candidates nearer on the next ranked feature.
 *   2. Exact k-NN (same metric, heap and tie rule as the exact indexes) over
 *      the survivors. With m = N and no halving it returns brute force's answer.
 * Arrays:
 *   data           training rows permuted into sort-key order
 *   rowIds         position -> original row index
 *   primaryValues  the sort key's values in that order (sorted)
 *   direction      absent: the key is the primary feature; present: the key is
 *                  the projection on this direction (projection.ts)
 * On a categorical primary feature the window starts with the whole block of
 * the query's category and widens to neighbouring codes only if it holds fewer
 * than m rows.
 *
 * Certified windows (minkowski metrics, any p >= 1, chebyshev included): the gap
 * on one feature never exceeds the distance, |x_f - q_f| <= ||x - q||_p, nor does
 * the gap along a direction scaled as projection.ts scales it. So a row
 * outside a window whose edge gaps both exceed the k-th distance found cannot
 * be among the k nearest, nor tie with them. Mode "exact" grows the window from
 * the query's place outward until that holds (the answer is brute force's);
 * mode "budget" scans m rows and reports per query whether it holds (`certified`).
 */
import { KnnInputError } from "./errors.js";
import { NeighborHeap } from "./heap.js";
import type { KnnResult, QueryOptions, RaggedBuilder } from "./results.js";
import { KnnIndex } from "./index-base.js";
import { toMatrix, type FloatArray, type Matrix, type MatrixLike } from "./matrix.js";
import { MetricKind, reducedToDistance, resolveMetric, type Metric, type MetricOptions } from "./metrics.js";
import { checkCategoricalCodes, checkCategoricalFeatures, checkColumnIndices } from "./mixed-metric.js";
import type { BlockedSearch } from "./kernels/blocked-search.js";
import { allocRows } from "./kernels/memory.js";
import { RowScanner } from "./scanner.js";
import { keyMagnitude, keyRounding, principalDirection, projectRow } from "./projection.js";
import { nthSmallest } from "./select.js";
import { rankByScore, scoreFeatures, type PrefilterTarget, type ScoringMethod } from "./scoring.js";
import { STATE_VERSION, allocShared, shareArrays, unpermuteRows, type PrefilterState } from "./shared.js";

export type Label = number | string;

/** "budget": a window of `candidates` rows; "exact": the window grows until the answer is provably exact. */
export type PrefilterMode = "budget" | "exact";

export interface PrefilterSettings {
  /** Default "budget". Mode "exact" refuses categorical columns (a 0/1 mismatch bounds no numeric gap). */
  mode?: PrefilterMode;
  /** Rows kept by the window: a count (integer >= 1) or a fraction of N in (0, 1). Default 0.2. */
  candidates?: number;
  /** Halving stages after the window, each on the next ranked feature. Default 0. */
  halvingStages?: number;
}

export interface PrefilterOptions extends MetricOptions, PrefilterSettings {
  /** Target: class labels or numeric values. Without it features are ranked by variance. */
  y?: ArrayLike<Label>;
  /** How to read y. Default: "classification" for strings or integers with at most 100 distinct values, else "regression". */
  task?: "classification" | "regression";
  /** Ranked features used by the filter (1 window + up to K-1 halving stages). Default 4. */
  nFilterFeatures?: number;
  /** Feature scoring method. Default "auto" (see scoring.ts). */
  scoring?: ScoringMethod;
  /**
   * What rows are sorted by: "feature" (the first filter feature) or "principal" (the first
   * principal direction, numeric columns only; the first filter feature where its keys spread
   * no wider, see projection.ts). Default "auto": "principal" with numeric columns and no
   * `features`, else "feature" (the measurement behind it is in BENCHMARKS.md, issue 18).
   */
  sortKey?: "auto" | "feature" | "principal";
  /** Use these columns, in this order, instead of the ranking. */
  features?: number[];
  /** Columns holding integer category codes. */
  categoricalFeatures?: number[];
  /** Weight of one categorical mismatch in the exact stage. Default 1. */
  categoricalWeight?: number;
  /** Threads for queries: a number (capped at cpuCount()), or "auto" (all cores when the batch is large enough). */
  workers?: number | "auto";
}

interface PrefilterCore {
  data: FloatArray;
  rowIds: Int32Array;
  primaryValues: Float64Array;
  /** The sort key's direction, or null: the key is filterFeatures[0]. */
  direction: Float64Array | null;
  filterFeatures: number[];
  categorical: number[];
  categoricalWeight: number;
  scores: Float64Array;
}

/** Target of the prefilter from labels or values (see PrefilterOptions.task). */
export function prefilterTarget(y: ArrayLike<Label> | undefined, rows: number, task?: "classification" | "regression"): PrefilterTarget {
  if (y === undefined) return { kind: "none" };
  if (y.length !== rows) throw new KnnInputError(`y has ${y.length} values but X has ${rows} rows`);
  const values = Array.from(y);
  const strings = values.some((v) => typeof v === "string");
  let classify = task === "classification";
  if (task === undefined) {
    classify = strings || (values.every((v) => Number.isInteger(v)) && new Set(values).size <= 100);
  } else if (task !== "classification" && task !== "regression") {
    throw new KnnInputError(`task must be "classification" or "regression", got "${String(task)}"`);
  }
  if (classify) {
    const classes = [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const code = new Map(classes.map((c, i) => [c, i]));
    return { kind: "classes", codes: Int32Array.from(values, (v) => code.get(v) as number) };
  }
  if (strings) throw new KnnInputError("a regression target must be numeric");
  const out = Float64Array.from(values as number[]);
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) throw new KnnInputError(`y contains a non-finite value at position ${i}`);
  return { kind: "values", values: out };
}

/** A k-NN result of the prefilter: certified[i] = 1 where query i's answer is provably brute force's. */
export interface PrefilterResult extends KnnResult {
  readonly certified: Uint8Array;
}

/**
 * Slack on the k-th distance when comparing it with a projection gap: a row's computed
 * distance is at least its computed gap for euclidean, manhattan and chebyshev (sums and
 * maxima of non-negative terms); minkowski's final power may round an ulp below.
 */
const GAP_SLACK = 1 + 1e-9;

/** Mode "exact", blocked: the first run of rows around a block of queries, and the longest. */
const RUN_FIRST = 64;
const RUN_MAX = 4096;
/**
 * Where a block needed at least this share of all rows (its queries' reach at the end), the next
 * block takes every row in two runs (fewer kernel calls; brute force's work).
 */
const SCAN_ALL_SHARE = 0.9;

interface Settings {
  m: number;
  halving: number;
  mode: PrefilterMode;
}

function checkSettings(s: PrefilterSettings, rows: number, nFilter: number): Settings {
  const mode = s.mode ?? "budget";
  if (mode !== "budget" && mode !== "exact") throw new KnnInputError(`mode must be "budget" or "exact", got "${String(mode)}"`);
  const c = s.candidates ?? 0.2;
  if (typeof c !== "number" || !(c > 0) || !Number.isFinite(c)) {
    throw new KnnInputError(`candidates must be a count >= 1 or a fraction in (0, 1), got ${c}`);
  }
  if (c >= 1 && !Number.isInteger(c)) throw new KnnInputError(`candidates >= 1 is a row count and must be an integer, got ${c}`);
  const m = c < 1 ? Math.max(1, Math.ceil(c * rows)) : Math.min(c, rows);
  const halving = s.halvingStages ?? 0;
  if (!Number.isInteger(halving) || halving < 0) throw new KnnInputError(`halvingStages must be an integer >= 0, got ${halving}`);
  if (halving > nFilter - 1) {
    throw new KnnInputError(`halvingStages=${halving} needs ${halving + 1} filter features, but only ${nFilter} are used (nFilterFeatures)`);
  }
  if (mode === "exact" && halving > 0) throw new KnnInputError(`mode "exact" takes no halving stages (got halvingStages=${halving})`);
  return { m, halving, mode };
}

export class PrefilterIndex extends KnnIndex {
  readonly algorithm = "prefilter" as const;
  /** Window size in rows. */
  readonly m: number;
  readonly halvingStages: number;
  readonly mode: PrefilterMode;
  private readonly core: PrefilterCore;
  /** The distance path over windows (no halving) or halving survivors (see scanner.ts). */
  private readonly scanner: RowScanner;
  private readonly primaryCategorical: boolean;
  /** Largest Σ|u_j x_j| of a training row (0 with a feature key): bounds the keys' rounding. */
  private readonly keyMagnitude: number;

  private constructor(core: PrefilterCore, cols: number, metric: Metric, settings: Settings, workers: PrefilterOptions["workers"]) {
    super(core.rowIds.length, cols, metric, core.data instanceof Float32Array ? "float32" : "float64", workers);
    this.core = core;
    this.m = settings.m;
    this.halvingStages = settings.halving;
    this.mode = settings.mode;
    if (settings.mode === "exact" && core.categorical.length > 0) {
      throw new KnnInputError(`mode "exact" needs numeric columns only: a categorical mismatch bounds no gap on the sort feature (columns ${core.categorical.join(", ")} are categorical); use mode "budget" or algorithm "brute"`);
    }
    this.scanner = new RowScanner(core.data, core.rowIds.length, cols, metric, {
      site: settings.halving === 0 ? "windows" : "positions",
      categorical: core.categorical,
      categoricalWeight: core.categoricalWeight,
      maxRun: 256,
    });
    const u = core.direction;
    this.primaryCategorical = u === null && core.categorical.includes(core.filterFeatures[0]);
    let mag = 0;
    if (u !== null) for (let p = 0; p < this.rows; p++) mag = Math.max(mag, keyMagnitude(core.data, p * cols, cols, u));
    this.keyMagnitude = mag;
  }

  /** The sort key of row qo / d of q. */
  private key(q: FloatArray, qo: number): number {
    const u = this.core.direction;
    return u === null ? q[qo + this.core.filterFeatures[0]] : projectRow(q, qo, this.cols, u);
  }

  /**
   * The largest key gap a row at distance `dist` from row qo / d of q can show: dist itself,
   * widened for the rounding of the distance and, along a direction, of the keys.
   */
  private reach(dist: number, q: FloatArray, qo: number): number {
    const u = this.core.direction;
    if (u === null) return dist * GAP_SLACK;
    return dist * GAP_SLACK + keyRounding(this.cols) * (this.keyMagnitude + keyMagnitude(q, qo, this.cols, u)) * GAP_SLACK;
  }

  static build(X: MatrixLike, options: PrefilterOptions = {}): PrefilterIndex {
    const metric = resolveMetric(options);
    if (metric.kind === MetricKind.Cosine || metric.kind > MetricKind.Minkowski) {
      throw new KnnInputError(`metric "${metric.name}"${metric.param ? " with parameters" : ""} is not supported by the prefilter; use algorithm "brute"`);
    }
    const m = toMatrix(X, "X");
    const categorical = checkCategoricalFeatures(options.categoricalFeatures, m.cols);
    checkCategoricalCodes(m.data, m.rows, m.cols, categorical, "X");
    const nFilter = options.nFilterFeatures ?? Math.min(4, m.cols);
    if (!Number.isInteger(nFilter) || nFilter < 1) throw new KnnInputError(`nFilterFeatures must be an integer >= 1, got ${nFilter}`);
    if (nFilter > m.cols) throw new KnnInputError(`nFilterFeatures=${nFilter} is more than the ${m.cols} columns of X`);
    const settings = checkSettings(options, m.rows, options.features?.length ?? nFilter);
    const target = prefilterTarget(options.y, m.rows, options.task);
    const scores = scoreFeatures(m, target, options.scoring ?? "auto", new Set(categorical));
    let filterFeatures: number[];
    if (options.features !== undefined) {
      filterFeatures = checkColumnIndices(options.features, m.cols, "features");
      if (filterFeatures.length === 0) throw new KnnInputError("features must name at least one column");
    } else filterFeatures = rankByScore(scores).slice(0, nFilter);
    const sortKey = options.sortKey ?? "auto";
    if (sortKey !== "auto" && sortKey !== "feature" && sortKey !== "principal") {
      throw new KnnInputError(`sortKey must be "auto", "feature" or "principal", got "${String(sortKey)}"`);
    }
    if (sortKey === "principal" && categorical.length > 0) {
      throw new KnnInputError(`sortKey "principal" needs numeric columns only (columns ${categorical.join(", ")} are categorical)`);
    }
    const principal = sortKey === "principal" || (sortKey === "auto" && options.features === undefined && categorical.length === 0);
    const direction = principal ? principalDirection(m, metric.p) : null;
    const core = buildCore(m, filterFeatures, direction, categorical, options.categoricalWeight ?? 1, scores);
    return new PrefilterIndex(core, m.cols, metric, settings, options.workers);
  }

  /** Rebuilds from a state without checking it (indexFromState checks first). */
  static fromState(state: PrefilterState): PrefilterIndex {
    const p = state.params;
    const core: PrefilterCore = {
      ...state.arrays,
      direction: state.arrays.direction ?? null,
      filterFeatures: [...p.filterFeatures],
      categorical: [...p.categorical],
      categoricalWeight: p.categoricalWeight,
    };
    return new PrefilterIndex(core, p.cols, resolveMetric(p), { m: p.m, halving: p.halving, mode: p.mode ?? "budget" }, 1);
  }

  /** The same fitted projections with another window size or halving count (no rebuild). */
  withSettings(settings: PrefilterSettings): PrefilterIndex {
    const s = checkSettings(
      { candidates: settings.candidates ?? this.m, halvingStages: settings.halvingStages ?? this.halvingStages, mode: settings.mode ?? this.mode },
      this.rows,
      this.core.filterFeatures.length,
    );
    return new PrefilterIndex(this.core, this.cols, this.metric, s, this.workers);
  }

  /** Columns used by the filter, best first (window feature, then one per halving stage). */
  get filterFeatures(): readonly number[] {
    return this.core.filterFeatures;
  }

  /** Score of every column (larger = more predictive). */
  get featureScores(): Float64Array {
    return this.core.scores;
  }

  trainingRows(): Matrix {
    return { data: unpermuteRows(this.core.data, this.core.rowIds, this.cols), rows: this.rows, cols: this.cols };
  }

  state(): PrefilterState {
    const { data, rowIds, primaryValues, direction, scores, filterFeatures, categorical, categoricalWeight } = this.core;
    return {
      kind: "prefilter",
      version: STATE_VERSION,
      params: { rows: this.rows, cols: this.cols, metric: this.metric.name, p: this.metric.p, m: this.m, halving: this.halvingStages, mode: this.mode, filterFeatures, categorical, categoricalWeight },
      arrays: direction === null ? { data, rowIds, primaryValues, scores } : { data, rowIds, primaryValues, direction, scores },
    };
  }

  sharedState(): PrefilterState {
    // in place: indexes made by withSettings() share this core
    Object.assign(this.core, shareArrays(this.state().arrays));
    return this.state();
  }

  protected queryCost(k: number): number {
    if (this.mode === "exact") return Math.max(k, Math.sqrt(this.rows));
    return Math.max(k, this.m / 2 ** this.halvingStages) + this.m * 0.05;
  }

  /** As KnnIndex.query, with `certified` per query (all 1 in mode "exact"; see the header). */
  override query(Q: MatrixLike, k: number, options: QueryOptions = {}): PrefilterResult {
    const res = super.query(Q, k, options);
    return { ...res, certified: this.certify(toMatrix(Q, "Q"), res) };
  }

  /** Whether each answer is provably exact: both window edges' gaps exceed the k-th distance found. */
  private certify(q: Matrix, res: KnnResult): Uint8Array {
    const out = new Uint8Array(res.rows);
    if (this.mode === "exact") return out.fill(1);
    // halving drops rows inside the window on other features; a categorical key has no gap
    if (this.halvingStages > 0 || this.core.categorical.length > 0) return out;
    const vals = this.core.primaryValues;
    const n = vals.length;
    const k = res.k;
    for (let i = 0; i < res.rows; i++) {
      const v = this.key(q.data, i * q.cols);
      const [start, end] = this.windowAround(v, Math.max(this.m, k));
      const bound = this.reach(res.distances[i * k + k - 1], q.data, i * q.cols);
      out[i] = (start === 0 || v - vals[start - 1] > bound) && (end === n || vals[end] - v > bound) ? 1 : 0;
    }
    return out;
  }

  /** Window [start, end) in primary order around value v, at least `want` rows. */
  window(v: number, want: number): [number, number] {
    const [start, end] = this.windowAround(v, want);
    return [start, end];
  }

  /** The window and the insertion point of v (rows at or above v start there). */
  private windowAround(v: number, want: number): [number, number, number] {
    const vals = this.core.primaryValues;
    const n = vals.length;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (vals[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    if (!this.primaryCategorical) {
      // the `want` values nearest to v, the nearer side first and the left one on ties: the
      // leftmost window start whose first value is no farther than the value just past its end
      let first = Math.max(0, lo - want);
      let last = Math.min(lo, n - want);
      while (first < last) {
        const mid = (first + last) >> 1;
        if (v - vals[mid] > vals[mid + want] - v) first = mid + 1;
        else last = mid;
      }
      return [first, first + want, lo];
    }
    // a categorical key: the block of the query's code, widened a row at a time if too small
    let start = lo;
    let end = lo;
    while (end < n && vals[end] === v) end++;
    while (end - start < want) {
      if (start === 0) end++;
      else if (end === n) start--;
      else if (v - vals[start - 1] <= vals[end] - v) start--;
      else end++;
    }
    return [start, end, lo];
  }

  /**
   * Candidate positions after the window and the halving stages (count at least
   * k). Without halving the window is returned as a range (count -1); with it,
   * buf.pos holds the survivors in ascending position order.
   */
  private candidates(
    q: FloatArray,
    qo: number,
    k: number,
    buf: { pos: Int32Array; key: Float64Array; tmp: Float64Array },
  ): { start: number; end: number; at: number; count: number } {
    const [start, end, at] = this.windowAround(this.key(q, qo), Math.max(this.m, k));
    if (this.halvingStages === 0) return { start, end, at, count: -1 };
    let count = end - start;
    if (buf.pos.length < count) {
      buf.pos = new Int32Array(count);
      buf.key = new Float64Array(count);
      buf.tmp = new Float64Array(count);
    }
    const { pos, key, tmp } = buf;
    for (let i = 0; i < count; i++) pos[i] = start + i;
    const { data } = this.core;
    const d = this.cols;
    // with a direction key the stages start at the top-ranked feature, else at the next one
    const skip = this.core.direction === null ? 0 : 1;
    for (let s = 1; s <= this.halvingStages; s++) {
      const f = this.core.filterFeatures[s - skip];
      const cat = this.core.categorical.includes(f);
      const v = q[qo + f];
      for (let i = 0; i < count; i++) {
        const diff = Math.abs(data[pos[i] * d + f] - v);
        key[i] = cat ? (diff === 0 ? 0 : 1) : diff;
      }
      const keep = Math.max(k, Math.ceil(count / 2));
      if (keep >= count) continue;
      // the keep-th smallest key is the threshold; survivors stay in position order, ties by position
      tmp.set(key.subarray(0, count));
      const threshold = nthSmallest(tmp, count, keep - 1);
      let below = 0;
      for (let i = 0; i < count; i++) if (key[i] < threshold) below++;
      let ties = keep - below;
      let kept = 0;
      for (let i = 0; i < count; i++) {
        if (key[i] < threshold || (key[i] === threshold && ties-- > 0)) pos[kept++] = pos[i];
      }
      count = kept;
    }
    return { start, end, at, count };
  }

  /** Query rows [from, to) of q in order of their sort key. */
  private keyOrder(q: FloatArray, from: number, to: number): Int32Array {
    const keys = new Float64Array(to - from);
    for (let i = 0; i < keys.length; i++) keys[i] = this.key(q, (from + i) * this.cols);
    return Int32Array.from(keys.keys(), (i) => from + i).sort((a, b) => keys[a - from] - keys[b - from]);
  }

  /**
   * Windows searched 4 queries at a time by the blocked kernel: the queries in
   * order of their value on the sort feature, so that a block's windows overlap
   * and the kernel reads one span of rows for all four; each query still keeps
   * only rows of its own window.
   */
  private knnBlocked(search: BlockedSearch, q: FloatArray, k: number, from: number, to: number, outIdx: Int32Array, outDist: Float64Array): void {
    const d = this.cols;
    const order = this.keyOrder(q, from, to);
    const rows = new Int32Array(4);
    const lo = new Int32Array(4);
    const hi = new Int32Array(4);
    const buf = { pos: new Int32Array(0), key: new Float64Array(0), tmp: new Float64Array(0) };
    for (let b = 0; b < order.length; b += 4) {
      const nq = Math.min(4, order.length - b);
      for (let t = 0; t < nq; t++) {
        rows[t] = order[b + t];
        const c = this.candidates(q, rows[t] * d, k, buf);
        lo[t] = c.start;
        hi[t] = c.end;
      }
      search.run(q, rows, nq, lo, hi, this.core.rowIds, outIdx, outDist, rows);
    }
  }

  knnRange(q: FloatArray, k: number, from: number, to: number, outIdx: Int32Array, outDist: Float64Array): void {
    const search = this.scanner.blockedSearch(k);
    if (this.mode === "exact") {
      if (search) this.knnExactBlocked(q, k, from, to, outIdx, outDist);
      else this.knnExact(q, k, from, to, outIdx, outDist);
      return;
    }
    if (search) {
      this.knnBlocked(search, q, k, from, to, outIdx, outDist);
      return;
    }
    const rowIds = this.core.rowIds;
    const d = this.cols;
    const heap = new NeighborHeap(k);
    const hd = heap.dist;
    const scanner = this.scanner;
    const buf = { pos: new Int32Array(0), key: new Float64Array(0), tmp: new Float64Array(0) };
    for (let qi = from; qi < to; qi++) {
      const qo = qi * d;
      heap.reset();
      scanner.setQuery(q, qo);
      const c = this.candidates(q, qo, k, buf);
      if (c.count < 0) {
        // from the query's place outward: near rows first tighten the bound early
        scanner.scanRange(c.at, c.end, heap, rowIds);
        scanner.scanRange(c.start, c.at, heap, rowIds);
      } else scanner.scanPositions(buf.pos, 0, c.count, heap, rowIds);
      heap.sortAscending();
      for (let j = 0; j < k; j++) {
        outIdx[qi * k + j] = heap.idx[j];
        outDist[qi * k + j] = reducedToDistance(this.metric, hd[j]);
      }
    }
  }

  /**
   * Mode "exact": the k rows nearest on the sort feature first, then runs of rows on
   * whichever side has the smaller gap, each cut where the gap exceeds the k-th
   * distance so far, until both edges' gaps exceed it.
   */
  private knnExact(q: FloatArray, k: number, from: number, to: number, outIdx: Int32Array, outDist: Float64Array): void {
    const { rowIds, primaryValues: vals } = this.core;
    const n = vals.length;
    const d = this.cols;
    const metric = this.metric;
    const heap = new NeighborHeap(k);
    const hd = heap.dist;
    const scanner = this.scanner;
    for (let qi = from; qi < to; qi++) {
      const qo = qi * d;
      const v = this.key(q, qo);
      heap.reset();
      scanner.setQuery(q, qo);
      let [lo, hi] = this.windowAround(v, k);
      scanner.scanRange(lo, hi, heap, rowIds);
      let run = 16;
      for (;;) {
        const bound = this.reach(reducedToDistance(metric, hd[0]), q, qo);
        const left = lo > 0 ? v - vals[lo - 1] : Infinity;
        const right = hi < n ? vals[hi] - v : Infinity;
        if (!(left <= bound) && !(right <= bound)) break;
        if (left <= right) {
          let s = Math.max(0, lo - run);
          while (v - vals[s] > bound) s++; // stops at lo - 1 at the latest (its gap is within the bound)
          scanner.scanRange(s, lo, heap, rowIds);
          lo = s;
        } else {
          let e = Math.min(n, hi + run);
          while (vals[e - 1] - v > bound) e--;
          scanner.scanRange(hi, e, heap, rowIds);
          hi = e;
        }
        if (run < 256) run *= 2;
      }
      heap.sortAscending();
      for (let j = 0; j < k; j++) {
        outIdx[qi * k + j] = heap.idx[j];
        outDist[qi * k + j] = reducedToDistance(metric, hd[j]);
      }
    }
  }

  /**
   * Mode "exact" through the blocked kernel, 4 queries at a time (in order of their
   * key), over row positions (the kernel's fast path; ties fall to the smaller
   * position). The block's rows grow outward from the queries' places in runs that
   * double in length, each side only while some query's k + 1-th distance so far reaches
   * past it (each query measures only the rows within its own reach), the heaps carried
   * from run to run: near rows come first, so the bound is tight early. Where the
   * (k+1)-th is farther than the k-th, the k are the answer (ties among them re-sorted by
   * row index); where it ties, the query is searched again one row at a time (knnExact),
   * which breaks ties by row index as brute force does. Where the reach covers every
   * row this is brute force in the same kernel, rows in near-first order.
   */
  private knnExactBlocked(q: FloatArray, k: number, from: number, to: number, outIdx: Int32Array, outDist: Float64Array): void {
    const d = this.cols;
    const n = this.rows;
    const { rowIds, primaryValues: vals } = this.core;
    const kk = Math.min(k + 1, n);
    const search = this.scanner.blockedSearch(kk) as BlockedSearch;
    const order = this.keyOrder(q, from, to);
    const rows = new Int32Array(4);
    const slots = Int32Array.of(0, 1, 2, 3);
    const lo = new Int32Array(4);
    const hi = new Int32Array(4);
    const v = new Float64Array(4);
    const low = new Float64Array(4); // the smallest key within reach of query t
    const high = new Float64Array(4);
    const idx = new Int32Array(4 * kk);
    const dist = new Float64Array(4 * kk);
    let scanAll = false;
    for (let b = 0; b < order.length; b += 4) {
      const nq = Math.min(4, order.length - b);
      let L = n;
      let R = 0;
      for (let t = 0; t < nq; t++) {
        rows[t] = order[b + t];
        v[t] = this.key(q, rows[t] * d);
        const at = firstPosition(vals, (x) => x >= v[t]);
        L = Math.min(L, at);
        R = Math.max(R, at);
      }
      search.begin(q, rows, nq);
      let run = Math.max(2 * kk, RUN_FIRST);
      if (scanAll) {
        // the last block needed nearly every row: take them all in two runs, the queries' side first
        lo.fill(L);
        hi.fill(n);
        search.extend(lo, hi, null);
        lo.fill(0);
        hi.fill(L);
        search.extend(lo, hi, null);
        L = 0;
        R = n;
      } else {
        L = Math.max(0, L - (run >> 1));
        R = Math.min(n, Math.max(R, L + run));
        lo.fill(L);
        hi.fill(R);
        search.extend(lo, hi, null);
      }
      for (;;) {
        let needLeft = false;
        let needRight = false;
        let lowest = Infinity;
        let highest = -Infinity;
        for (let t = 0; t < nq; t++) {
          const bound = search.bound(t);
          const reach = bound === Infinity ? Infinity : this.reach(Math.sqrt(bound), q, rows[t] * d);
          low[t] = v[t] - reach;
          high[t] = v[t] + reach;
          lowest = Math.min(lowest, low[t]);
          highest = Math.max(highest, high[t]);
          needLeft ||= L > 0 && vals[L - 1] >= low[t];
          needRight ||= R < n && vals[R] <= high[t];
        }
        if (!needLeft && !needRight) break;
        run = Math.min(2 * run, RUN_MAX);
        if (needLeft) {
          const start = Math.max(L - run, firstPosition(vals, (x) => x >= lowest));
          for (let t = 0; t < nq; t++) {
            lo[t] = Math.min(L, Math.max(start, firstPosition(vals, (x) => x >= low[t])));
            hi[t] = L;
          }
          search.extend(lo, hi, null);
          L = start;
        }
        if (needRight) {
          const end = Math.min(R + run, firstPosition(vals, (x) => x > highest));
          for (let t = 0; t < nq; t++) {
            lo[t] = R;
            hi[t] = Math.max(R, Math.min(end, firstPosition(vals, (x) => x > high[t])));
          }
          search.extend(lo, hi, null);
          R = end;
        }
      }
      // the rows this block needed (its reach at the end), whichever way they were taken
      let lowest = Infinity;
      let highest = -Infinity;
      for (let t = 0; t < nq; t++) {
        const reach = this.reach(Math.sqrt(search.bound(t)), q, rows[t] * d);
        lowest = Math.min(lowest, v[t] - reach);
        highest = Math.max(highest, v[t] + reach);
      }
      scanAll = firstPosition(vals, (x) => x > highest) - firstPosition(vals, (x) => x >= lowest) >= SCAN_ALL_SHARE * n;
      search.finish(idx, dist, slots);
      for (let t = 0; t < nq; t++) {
        const qi = rows[t];
        // a tie at the k-th (or, never expected, fewer than k rows held)
        if (idx[t * kk + k - 1] >= n || (kk > k && !(dist[t * kk + k] > dist[t * kk + k - 1]))) {
          this.knnExact(q, k, qi, qi + 1, outIdx, outDist);
          continue;
        }
        // positions to row indices, sorted by (distance, index)
        for (let j = 0; j < k; j++) {
          const id = rowIds[idx[t * kk + j]];
          const r = dist[t * kk + j];
          let p = qi * k + j;
          while (p > qi * k && (outDist[p - 1] > r || (outDist[p - 1] === r && outIdx[p - 1] > id))) {
            outDist[p] = outDist[p - 1];
            outIdx[p] = outIdx[p - 1];
            p--;
          }
          outDist[p] = r;
          outIdx[p] = id;
        }
      }
    }
  }

  radiusRange(q: FloatArray, rr: number, from: number, to: number, out: RaggedBuilder, countOnly: boolean): void {
    const rowIds = this.core.rowIds;
    const d = this.cols;
    const buf = { pos: new Int32Array(0), key: new Float64Array(0), tmp: new Float64Array(0) };
    let count = 0;
    const vals = this.core.primaryValues;
    const radius = reducedToDistance(this.metric, rr);
    for (let qi = from; qi < to; qi++) {
      const qo = qi * d;
      // mode "exact": every row whose gap on the sort key is within the radius
      const v = this.key(q, qo);
      const reach = this.reach(radius, q, qo);
      const c = this.mode === "exact" ? { start: firstPosition(vals, (x) => x >= v - reach), end: firstPosition(vals, (x) => x > v + reach), count: -1 } : this.candidates(q, qo, 1, buf);
      const start = out.length;
      count +=
        c.count < 0
          ? this.scanner.within(q, qo, null, c.start, c.end, rr, rowIds, out, countOnly)
          : this.scanner.within(q, qo, buf.pos, 0, c.count, rr, rowIds, out, countOnly);
      // in the order of the original rows, as brute force answers
      if (!countOnly) out.sortByIndex(start);
      out.offsets[qi - from + 1] = countOnly ? count : out.length;
    }
  }
}

/** The first position of sorted vals where `past` holds (it holds from there on), or vals.length. */
function firstPosition(vals: Float64Array, past: (x: number) => boolean): number {
  let lo = 0;
  let hi = vals.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (past(vals[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function buildCore(m: Matrix, filterFeatures: number[], direction: Float64Array | null, categorical: number[], categoricalWeight: number, scores: Float64Array): PrefilterCore {
  const { data: X, rows: n, cols: d } = m;
  const f = filterFeatures[0];
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const key = new Float64Array(n);
  for (let i = 0; i < n; i++) key[i] = direction === null ? X[i * d + f] : projectRow(X, i * d, d, direction);
  order.sort((a, b) => key[a] - key[b] || a - b);
  const data = allocRows(X instanceof Float32Array ? Float32Array : Float64Array, n * d) as FloatArray;
  const rowIds = allocShared(Int32Array, n);
  const primaryValues = allocShared(Float64Array, n);
  for (let p = 0; p < n; p++) {
    const i = order[p];
    data.set(X.subarray(i * d, i * d + d), p * d);
    rowIds[p] = i;
    primaryValues[p] = key[i];
  }
  let u: Float64Array | null = null;
  if (direction !== null) (u = allocShared(Float64Array, d)).set(direction);
  return { data, rowIds, primaryValues, direction: u, filterFeatures, categorical, categoricalWeight, scores };
}
