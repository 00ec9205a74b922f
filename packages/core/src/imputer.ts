/**
 * KNNImputer (scikit-learn's): each missing value is the (weighted) mean of
 * that column over the k nearest training rows that have the column, by the
 * nan_euclidean distance sqrt(n_features / n_present · Σ_present (x − y)²)
 * over the coordinates present in both rows. No distance matrix is built:
 * groups of receiving rows scan the training rows block by block (a block stays
 * in cache for the whole group), keeping per missing column the k nearest donors
 * (ties to the smaller row index), so memory stays the data, the output and k
 * entries per column; chunks of rows run on worker threads.
 *
 * Arrays: `filled` the training rows with missing values as 0; `present` 1 where
 * a training value is present, else 0 (both rows × cols, row-major).
 */
import { KnnInputError, NotFittedError, checkPositiveInteger, describeValue, sparseRefused } from "./errors.js";
import { matrixFromRows, matrixView, type Matrix, type MatrixLike } from "./matrix.js";
import { parallelAvailable, parallelRows, resolveWorkers } from "./parallel.js";
import type { RestoreOptions } from "./index-state.js";
import { checkModelState, type KNNImputerState } from "./more-state.js";
import { STATE_VERSION, allocShared } from "./shared.js";
import { isCsr } from "./sparse.js";

export interface KNNImputerOptions {
  /** Donors per missing value. Default 5. */
  nNeighbors?: number;
  /** "uniform", or "distance" (1/d; donors at distance 0 take all the weight). */
  weights?: "uniform" | "distance";
  /** The value that marks a missing entry. Default NaN. */
  missingValues?: number;
  /** Append one 0/1 column per feature that had missing values at fit. */
  addIndicator?: boolean;
  /** Keep features missing in every training row (as 0) instead of dropping them. */
  keepEmptyFeatures?: boolean;
  /** Threads: a number (capped at cpuCount()), or "auto" (every core for large inputs). */
  workers?: number | "auto";
}

/** What one chunk of receiving rows needs (shared with worker threads). */
export interface ImputeTask {
  filled: Float64Array;
  present: Float64Array;
  rows: number;
  cols: number;
  /** 1 for a column with at least one present training value. */
  valid: Uint8Array;
  colMean: Float64Array;
  /** Variance of each column's present values (orders the coordinates, see imputeRows). */
  colVar: Float64Array;
  k: number;
  distance: boolean;
  /** The receiving rows, missing entries as NaN; imputed in place. */
  out: Float64Array;
}

/** Receiving rows per group, and training rows per block: a group scans one block while it stays in cache. */
const GROUP = 32;
const BLOCK = 1024;

/** Imputes receiving rows [from, to) of task.out in place. */
export function imputeRows(task: ImputeTask, from: number, to: number): void {
  const { cols, k } = task;
  const state: GroupState = {
    np: new Int32Array(GROUP),
    nn: new Int32Array(GROUP),
    pc: new Int32Array(GROUP * cols),
    xv: new Float64Array(GROUP * cols),
    need: new Int32Array(GROUP * cols),
    size: new Int32Array(GROUP * cols),
    bestD: new Float64Array(GROUP * cols * k),
    bestI: new Int32Array(GROUP * cols * k),
    sLimit: new Float64Array(GROUP),
    gain: new Float64Array(cols),
  };
  for (let g = from; g < to; g += GROUP) imputeGroup(task, state, g, Math.min(to, g + GROUP));
}

interface GroupState {
  /** Per receiving row of the group: its present coordinates (pc, values xv, np of them), its columns to impute (need, nn). */
  np: Int32Array;
  nn: Int32Array;
  pc: Int32Array;
  xv: Float64Array;
  need: Int32Array;
  /** Per row and column to impute: the k nearest donors so far, sorted by (distance², row). */
  size: Int32Array;
  bestD: Float64Array;
  bestI: Int32Array;
  /** A partial sum above sLimit cannot reach any of the row's k nearest: d² >= partial · cols / np (fewer shared coordinates only raise it). */
  sLimit: Float64Array;
  gain: Float64Array;
}

function imputeGroup(task: ImputeTask, st: GroupState, from: number, to: number): void {
  const { filled, present, rows, cols, valid, colMean, colVar, k, out } = task;
  const { np: npA, nn: nnA, pc, xv, need, size, bestD, bestI, sLimit, gain } = st;
  for (let r = from; r < to; r++) {
    const g = r - from;
    const base = r * cols;
    const o = g * cols;
    let np = 0;
    let nn = 0;
    for (let j = 0; j < cols; j++) {
      const v = out[base + j];
      if (v === v) {
        pc[o + np] = j;
        xv[o + np++] = v;
      } else if (valid[j]) need[o + nn++] = j;
    }
    // coordinates with the largest expected (x − y)² first, so that partial sums pass sLimit sooner
    for (let t = 0; t < np; t++) gain[t] = (xv[o + t] - colMean[pc[o + t]]) ** 2 + colVar[pc[o + t]];
    for (let t = 1; t < np; t++) {
      const gt = gain[t];
      const c = pc[o + t];
      const v = xv[o + t];
      let u = t;
      for (; u > 0 && gain[u - 1] < gt; u--) {
        gain[u] = gain[u - 1];
        pc[o + u] = pc[o + u - 1];
        xv[o + u] = xv[o + u - 1];
      }
      gain[u] = gt;
      pc[o + u] = c;
      xv[o + u] = v;
    }
    npA[g] = np;
    nnA[g] = nn;
    size.fill(0, o, o + nn);
    sLimit[g] = Infinity;
  }
  for (let b = 0; b < rows; b += BLOCK) {
    const bEnd = Math.min(rows, b + BLOCK);
    for (let g = 0; g < to - from; g++) {
      const nn = nnA[g];
      if (nn === 0) continue;
      const np = npA[g];
      const o = g * cols;
      let limit = sLimit[g];
      for (let y = b; y < bEnd; y++) {
        const yb = y * cols;
        let s = 0;
        let c = 0;
        let t = 0;
        while (t < np) {
          const end = Math.min(np, t + 4);
          for (; t < end; t++) {
            const j = yb + pc[o + t];
            const p = present[j];
            const diff = xv[o + t] - filled[j];
            s += diff * diff * p;
            c += p;
          }
          if (s > limit) break;
        }
        if (t < np || c === 0) continue; // abandoned, or no shared coordinate (a NaN distance: never a donor with weight)
        const d2 = (s * cols) / c;
        let inserted = false;
        for (let u = 0; u < nn; u++) {
          if (present[yb + need[o + u]] === 0) continue;
          const h = (o + u) * k;
          let n = size[o + u];
          if (n === k) {
            if (!(d2 < bestD[h + k - 1])) continue;
            n--;
          } else size[o + u] = n + 1;
          let pos = n;
          while (pos > 0 && bestD[h + pos - 1] > d2) {
            bestD[h + pos] = bestD[h + pos - 1];
            bestI[h + pos] = bestI[h + pos - 1];
            pos--;
          }
          bestD[h + pos] = d2;
          bestI[h + pos] = y;
          inserted = true;
        }
        if (inserted) {
          let worst = 0;
          for (let u = 0; u < nn && worst < Infinity; u++) worst = size[o + u] < k ? Infinity : Math.max(worst, bestD[(o + u) * k + k - 1]);
          limit = (worst * np) / cols;
        }
      }
      sLimit[g] = limit;
    }
  }
  for (let r = from; r < to; r++) {
    const g = r - from;
    const o = g * cols;
    for (let u = 0; u < nnA[g]; u++) {
      const col = need[o + u];
      const n = size[o + u];
      if (n === 0) {
        out[r * cols + col] = colMean[col];
        continue;
      }
      const h = (o + u) * k;
      let zero = false;
      if (task.distance) for (let i = 0; i < n; i++) if (bestD[h + i] === 0) zero = true;
      let num = 0;
      let den = 0;
      for (let i = 0; i < n; i++) {
        const w = !task.distance ? 1 : zero ? (bestD[h + i] === 0 ? 1 : 0) : 1 / Math.sqrt(bestD[h + i]);
        num += w * filled[bestI[h + i] * cols + col];
        den += w;
      }
      out[r * cols + col] = num / den;
    }
  }
}

/** A matrix that may hold NaN (Infinity refused), copied into shared float64 memory with missing entries as NaN. */
function readMissing(X: MatrixLike, missing: number, what: string): { data: Float64Array; rows: number; cols: number } {
  if (isCsr(X)) throw new KnnInputError(sparseRefused(what));
  let m: Matrix;
  try {
    m = Array.isArray(X) ? matrixFromRows(X as readonly (readonly number[])[]) : matrixView((X as Matrix).data, (X as Matrix).rows, (X as Matrix).cols);
  } catch (e) {
    if (e instanceof KnnInputError) throw new KnnInputError(`${what}: ${e.message}`);
    throw e;
  }
  const data = allocShared(Float64Array, m.data.length);
  const nanMissing = Number.isNaN(missing);
  for (let i = 0; i < data.length; i++) {
    const v = m.data[i];
    if (v === Infinity || v === -Infinity || (!nanMissing && v !== v)) {
      throw new KnnInputError(
        `${what} contains ${v !== v ? "NaN" : "Infinity"} at row ${Math.floor(i / m.cols)}, column ${i % m.cols}${nanMissing ? "" : ` (missing values are marked by ${missing})`}`,
      );
    }
    data[i] = v === missing || v !== v ? NaN : v;
  }
  return { data, rows: m.rows, cols: m.cols };
}

/** Fills missing values from the nearest training rows (scikit-learn's KNNImputer). */
export class KNNImputer {
  readonly options: Required<KNNImputerOptions>;
  private fitted: Omit<ImputeTask, "out" | "k" | "distance"> | null = null;
  /** Columns that had a missing value at fit (the indicator's columns, with addIndicator). */
  missingFeatures: Int32Array = new Int32Array(0);

  constructor(options: KNNImputerOptions = {}) {
    const nNeighbors = options.nNeighbors ?? 5;
    checkPositiveInteger(nNeighbors, "nNeighbors");
    const weights = options.weights ?? "uniform";
    if (weights !== "uniform" && weights !== "distance") throw new KnnInputError(`weights must be "uniform" or "distance", got ${describeValue(weights)}`);
    const missingValues = options.missingValues ?? NaN;
    if (typeof missingValues !== "number" || missingValues === Infinity || missingValues === -Infinity) {
      throw new KnnInputError(`missingValues must be a finite number or NaN, got ${describeValue(missingValues)}`);
    }
    for (const name of ["addIndicator", "keepEmptyFeatures"] as const) {
      if (options[name] !== undefined && typeof options[name] !== "boolean") throw new KnnInputError(`${name} must be a boolean, got ${describeValue(options[name])}`);
    }
    const workers = options.workers ?? "auto";
    if (workers !== "auto") resolveWorkers(workers, 0, true);
    this.options = {
      nNeighbors,
      weights,
      missingValues,
      addIndicator: options.addIndicator ?? false,
      keepEmptyFeatures: options.keepEmptyFeatures ?? false,
      workers,
    };
  }

  fit(X: MatrixLike): this {
    return this.install(readMissing(X, this.options.missingValues, "X"));
  }

  /** The state: the options and the training rows (missing as NaN), all a fit keeps; the rows are a copy. */
  toState(): KNNImputerState {
    const fit = this.fitted;
    if (!fit) throw new NotFittedError("KNNImputer");
    const data = new Float64Array(fit.rows * fit.cols);
    for (let i = 0; i < data.length; i++) data[i] = fit.present[i] ? fit.filled[i] : NaN;
    const { workers: _w, ...options } = this.options;
    return { estimator: "KNNImputer", version: STATE_VERSION, ...options, rows: fit.rows, cols: fit.cols, data };
  }

  /** A fitted imputer from its state, checked first (see checkModelState). */
  static fromState(state: KNNImputerState, restore: RestoreOptions = {}): KNNImputer {
    if (!restore.trusted) checkModelState(state);
    const { nNeighbors, weights, missingValues, addIndicator, keepEmptyFeatures } = state;
    return new KNNImputer({ nNeighbors, weights, missingValues, addIndicator, keepEmptyFeatures }).install(state);
  }

  /** Fits on rows whose missing entries are NaN (and no other value is non-finite). */
  private install(m: { data: Float64Array; rows: number; cols: number }): this {
    const { rows, cols } = m;
    const filled = allocShared(Float64Array, rows * cols);
    const present = allocShared(Float64Array, rows * cols);
    const valid = allocShared(Uint8Array, cols);
    const colMean = allocShared(Float64Array, cols);
    const colVar = allocShared(Float64Array, cols);
    const counts = new Float64Array(cols);
    for (let i = 0; i < rows * cols; i++) {
      const v = m.data[i];
      if (v === v) {
        filled[i] = v;
        present[i] = 1;
        colMean[i % cols] += v;
        counts[i % cols]++;
      }
    }
    const missing: number[] = [];
    for (let j = 0; j < cols; j++) {
      valid[j] = counts[j] > 0 ? 1 : 0;
      colMean[j] = counts[j] > 0 ? colMean[j] / counts[j] : NaN;
      if (counts[j] < rows) missing.push(j);
    }
    for (let i = 0; i < rows * cols; i++) if (present[i]) colVar[i % cols] += (filled[i] - colMean[i % cols]) ** 2;
    for (let j = 0; j < cols; j++) colVar[j] = counts[j] > 0 ? colVar[j] / counts[j] : 0;
    this.fitted = { filled, present, rows, cols, valid, colMean, colVar };
    this.missingFeatures = Int32Array.from(missing);
    return this;
  }

  /** Number of features seen at fit. */
  get nFeaturesIn(): number {
    if (!this.fitted) throw new NotFittedError("KNNImputer");
    return this.fitted.cols;
  }

  /** Which training columns had at least one present value (the others are dropped, or 0 with keepEmptyFeatures). */
  get validFeatures(): Uint8Array {
    if (!this.fitted) throw new NotFittedError("KNNImputer");
    return this.fitted.valid;
  }

  /** X with its missing values imputed: the valid columns (all with keepEmptyFeatures), then the indicator columns. */
  transform(X: MatrixLike): Matrix {
    const fit = this.fitted;
    if (!fit) throw new NotFittedError("KNNImputer");
    const m = readMissing(X, this.options.missingValues, "X");
    if (m.cols !== fit.cols) throw new KnnInputError(`X has ${m.cols} features, but KNNImputer was fitted with ${fit.cols} features`);
    const mask = new Uint8Array(m.data.length);
    for (let i = 0; i < mask.length; i++) mask[i] = m.data[i] !== m.data[i] ? 1 : 0;
    const task: ImputeTask = { ...fit, k: Math.min(this.options.nNeighbors, fit.rows), distance: this.options.weights === "distance", out: m.data };
    const threads = resolveWorkers(this.options.workers, m.rows * fit.rows * fit.cols, parallelAvailable);
    if (threads > 1) parallelRows({ type: "impute", impute: task }, m.rows, threads, (from, to) => imputeRows(task, from, to));
    else imputeRows(task, 0, m.rows);
    return this.assemble(m, mask);
  }

  fitTransform(X: MatrixLike): Matrix {
    return this.fit(X).transform(X);
  }

  private assemble(m: Matrix, mask: Uint8Array): Matrix {
    const { valid } = this.fitted!;
    const keep = this.options.keepEmptyFeatures;
    const columns: number[] = [];
    for (let j = 0; j < m.cols; j++) if (keep || valid[j]) columns.push(j);
    const indicator = this.options.addIndicator ? this.missingFeatures : new Int32Array(0);
    const cols = columns.length + indicator.length;
    if (cols === 0) throw new KnnInputError("every feature is missing in every training row, so the output would have no columns (keepEmptyFeatures keeps them)");
    const data = new Float64Array(m.rows * cols);
    for (let i = 0; i < m.rows; i++) {
      const o = i * cols;
      for (let c = 0; c < columns.length; c++) {
        const j = columns[c];
        data[o + c] = valid[j] ? m.data[i * m.cols + j] : 0;
      }
      for (let c = 0; c < indicator.length; c++) data[o + columns.length + c] = mask[i * m.cols + indicator[c]];
    }
    return { data, rows: m.rows, cols };
  }
}
