import { BallTree, KDTree } from "./binary-tree.js";
import { BruteForce } from "./brute.js";
import { KnnInputError, NotFittedError, checkPositiveInteger, describeValue } from "./errors.js";
import type { KnnIndex } from "./index-base.js";
import type { Matrix } from "./matrix.js";
import { isCsr, toRows, type CsrMatrix, type RowsLike } from "./sparse.js";
import { SparseBruteForce } from "./sparse-brute.js";
import { MetricKind, kdTreeAllows, resolveMetric, type Metric, type MetricOptions } from "./metrics.js";
import type { KnnResult, RadiusResult } from "./results.js";
import { r2Score } from "./evaluation.js";
import { PrefilterIndex, type Label, type PrefilterMode, type PrefilterOptions } from "./prefilter.js";
import type { ScoringMethod } from "./scoring.js";
import { tunePrefilter, type TuneResult } from "./tuner.js";
import { checkIndexState, indexFromState, type RestoreOptions } from "./index-state.js";
import { STATE_VERSION, type IndexState } from "./shared.js";

export { r2Score, type Label };

export type Algorithm = "auto" | "brute" | "kd_tree" | "ball_tree" | "prefilter";
const ALGORITHMS: readonly string[] = ["auto", "brute", "kd_tree", "ball_tree", "prefilter"];

export interface NeighborsOptions extends MetricOptions {
  /** Default k for kneighbors / predict (scikit-learn's n_neighbors). Default 5. */
  nNeighbors?: number;
  /** Default radius for radiusNeighbors; Infinity takes every training row. Default 1. */
  radius?: number;
  algorithm?: Algorithm;
  /** Leaf size of the trees. Default 30, as scikit-learn's estimators. */
  leafSize?: number;
  /** Threads for queries: a number (capped at cpuCount()), or "auto" (all cores when the batch is large enough). */
  workers?: number | "auto";
  /** Columns holding integer category codes (brute force and prefilter; see mixed-metric.ts). */
  categoricalFeatures?: number[];
  categoricalWeight?: number;
  /** Prefilter knobs (algorithm "prefilter"). */
  candidates?: number;
  nFilterFeatures?: number;
  halvingStages?: number;
  scoring?: ScoringMethod;
  features?: number[];
  /** With algorithm "prefilter": tune candidates and halving stages at fit to reach this recall@k on held-out rows. */
  targetRecall?: number;
  /** The prefilter's mode (PrefilterSettings.mode): "budget" (default) or "exact". */
  prefilterMode?: PrefilterMode;
  /** The prefilter's sort key (PrefilterOptions.sortKey): "auto" (default), "feature" or "principal". */
  prefilterSortKey?: PrefilterOptions["sortKey"];
}

const PREFILTER_KNOBS = ["candidates", "nFilterFeatures", "halvingStages", "scoring", "features", "targetRecall", "prefilterMode", "prefilterSortKey"] as const;

/**
 * The `auto` rule (scikit-learn's): brute force when the metric is cosine, when
 * there are more than 15 features (trees stop pruning), or when k is at least
 * half the training rows; otherwise the KD-tree, or the Ball tree for metrics a
 * KD-tree cannot bound (and for minkowski with weights, as scikit-learn does).
 */
export function chooseAlgorithm(
  algorithm: string,
  metric: Metric,
  rows: number,
  cols: number,
  k: number,
  categorical = false,
): Exclude<Algorithm, "auto"> {
  if (!ALGORITHMS.includes(algorithm)) {
    throw new KnnInputError(`unknown algorithm "${algorithm}"; expected one of ${ALGORITHMS.join(", ")}`);
  }
  if (algorithm !== "auto") {
    if ((metric.kind === MetricKind.Cosine || metric.kind === MetricKind.Precomputed) && algorithm !== "brute") {
      throw new KnnInputError(`metric "${metric.name}" is not supported by ${algorithm}; use algorithm "brute"`);
    }
    if (algorithm === "kd_tree" && metric.kind === MetricKind.WMinkowski) {
      // as scikit-learn's estimators (its KDTree class takes w; so does ours)
      throw new KnnInputError("algorithm kd_tree is not valid for metric minkowski with weights w; use ball_tree or brute");
    }
    if (categorical && (algorithm === "kd_tree" || algorithm === "ball_tree")) {
      throw new KnnInputError(`categoricalFeatures are not supported by ${algorithm}; use algorithm "brute" or "prefilter"`);
    }
    return algorithm as Exclude<Algorithm, "auto">;
  }
  if (metric.kind === MetricKind.Cosine || metric.kind === MetricKind.Precomputed || cols > 15 || k >= Math.floor(rows / 2) || categorical) return "brute";
  return kdTreeAllows(metric) && metric.kind !== MetricKind.WMinkowski ? "kd_tree" : "ball_tree";
}

/** The algorithm for sparse training rows: brute force (the prefilter and categorical columns refused). */
function sparseAlgorithm(algorithm: string, categorical: boolean): "brute" {
  if (!ALGORITHMS.includes(algorithm)) throw new KnnInputError(`unknown algorithm "${algorithm}"; expected one of ${ALGORITHMS.join(", ")}`);
  if (algorithm === "prefilter") throw new KnnInputError('algorithm "prefilter" does not take sparse input; use "brute" or "auto"');
  if (categorical) throw new KnnInputError("categoricalFeatures do not apply to sparse input");
  return "brute";
}

export interface CsrGraph {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly data: Float64Array;
  readonly shape: readonly [number, number];
}

type CoreOptions = Pick<NeighborsOptions, "nNeighbors" | "radius" | "algorithm" | "leafSize" | "metric" | "p" | "workers">;

abstract class NeighborsBase {
  readonly options: Required<CoreOptions>;
  /** Options passed through to brute force / the prefilter. */
  readonly extraOptions: Omit<NeighborsOptions, keyof CoreOptions>;
  /** With targetRecall: what the tuner chose and measured at fit. */
  prefilterTuning: TuneResult | null = null;
  protected index: KnnIndex | null = null;
  protected fitX: Matrix | CsrMatrix | null = null;
  /** The algorithm `auto` resolved to at fit. */
  fitAlgorithm: Exclude<Algorithm, "auto"> | null = null;

  constructor(options: NeighborsOptions = {}) {
    const nNeighbors = options.nNeighbors ?? 5;
    checkPositiveInteger(nNeighbors, "nNeighbors");
    const radius = options.radius ?? 1;
    if (typeof radius !== "number" || !(radius >= 0)) throw new KnnInputError(`radius must be a number >= 0 (or Infinity), got ${describeValue(radius)}`);
    const leafSize = options.leafSize ?? 30;
    checkPositiveInteger(leafSize, "leafSize");
    const algorithm = options.algorithm ?? "auto";
    if (!ALGORITHMS.includes(algorithm)) {
      throw new KnnInputError(`unknown algorithm "${algorithm}"; expected one of ${ALGORITHMS.join(", ")}`);
    }
    resolveMetric(options);
    this.options = {
      nNeighbors,
      radius,
      algorithm,
      leafSize,
      metric: options.metric ?? "minkowski",
      p: options.p ?? 2,
      workers: options.workers ?? "auto",
    };
    const { nNeighbors: _n, radius: _r, algorithm: _a, leafSize: _l, metric: _m, p: _p, workers: _w, ...extra } = options;
    if (algorithm !== "prefilter") {
      const knob = PREFILTER_KNOBS.find((key) => extra[key] !== undefined);
      if (knob) throw new KnnInputError(`option ${knob} only applies to algorithm "prefilter" (algorithm is "${algorithm}")`);
    }
    this.extraOptions = extra;
  }

  protected fitIndex(X: RowsLike, y?: ArrayLike<Label>, task?: "classification" | "regression"): Matrix | CsrMatrix {
    const m = toRows(X, "X");
    const extra = this.extraOptions;
    const { w, V, VI } = extra;
    const metric = resolveMetric({ ...this.options, w, V, VI });
    const categorical = (extra.categoricalFeatures?.length ?? 0) > 0;
    const sparse = isCsr(m);
    // sparse rows take brute force (scikit-learn falls back to it from a tree, with a warning)
    const algorithm = sparse ? sparseAlgorithm(this.options.algorithm, categorical) : chooseAlgorithm(this.options.algorithm, metric, m.rows, m.cols, this.options.nNeighbors, categorical);
    const opts = { metric: this.options.metric, p: this.options.p, w, V, VI, workers: this.options.workers, leafSize: this.options.leafSize };
    let tuning: TuneResult | null = null;
    let index: KnnIndex;
    if (isCsr(m)) index = SparseBruteForce.build(m, opts);
    else if (algorithm === "prefilter") {
      const { targetRecall, prefilterMode, prefilterSortKey, ...knobs } = extra;
      const base = { ...opts, ...knobs, y, task, mode: prefilterMode, sortKey: prefilterSortKey };
      if (targetRecall !== undefined && prefilterMode === "exact") throw new KnnInputError('targetRecall tunes a budget; prefilterMode "exact" has none (recall is always 1)');
      if (targetRecall !== undefined) {
        tuning = tunePrefilter(m, y, { ...base, k: this.options.nNeighbors, targetRecall, halvingStages: undefined });
        index = PrefilterIndex.build(m, { ...base, candidates: tuning.candidates, halvingStages: tuning.halvingStages });
      } else index = PrefilterIndex.build(m, base);
    } else if (algorithm === "brute") {
      index = BruteForce.build(m, { ...opts, categoricalFeatures: extra.categoricalFeatures, categoricalWeight: extra.categoricalWeight });
    } else index = algorithm === "kd_tree" ? KDTree.build(m, opts) : BallTree.build(m, opts);
    this.index = index;
    this.fitX = m;
    this.fitAlgorithm = algorithm;
    this.prefilterTuning = tuning;
    return m;
  }

  protected fitted(): KnnIndex {
    if (this.index === null) throw new NotFittedError(this.constructor.name);
    return this.index;
  }

  /** The fitted index (for persistence and inspection). */
  get fittedIndex(): KnnIndex {
    return this.fitted();
  }

  /** Serializable state: options, the index's state and the target (views of the arrays; nothing is copied or changed). */
  abstract toState(): EstimatorState;

  protected baseState(): EstimatorStateBase {
    return {
      version: STATE_VERSION,
      options: storedOptions({ ...this.options, ...this.extraOptions }),
      fitAlgorithm: this.fitAlgorithm as Exclude<Algorithm, "auto">,
      index: this.fitted().state(),
    };
  }

  /** Installs the index of a checked state (each estimator's static fromState). */
  protected restoreIndex(state: EstimatorState): void {
    const index = indexFromState(state.index, { trusted: true });
    index.workers = this.options.workers;
    this.index = index;
    this.fitX = null;
    this.fitAlgorithm = state.fitAlgorithm;
  }

  protected trainingMatrix(): Matrix | CsrMatrix {
    if (this.fitX === null) this.fitX = this.fitted().trainingRows();
    return this.fitX;
  }

  /** Number of training rows. */
  get nSamplesFit(): number {
    return this.fitted().rows;
  }

  /** Number of features seen at fit. */
  get nFeaturesIn(): number {
    return this.fitted().cols;
  }

  /**
   * The k nearest training rows of each row of Q. Without Q, the training rows
   * are the queries and each row is not its own neighbour (as in scikit-learn).
   */
  kneighbors(Q?: RowsLike, k: number = this.options.nNeighbors): KnnResult {
    const index = this.fitted();
    checkPositiveInteger(k, "nNeighbors");
    if (Q !== undefined) return index.query(Q, k);
    if (k >= index.rows) {
      throw new KnnInputError(
        `nNeighbors=${k} must be smaller than the number of training rows (${index.rows}) when querying the training data itself`,
      );
    }
    const all = index.query(this.trainingMatrix(), k + 1);
    // a prefilter's certificate for the k + 1 nearest holds for them without the row itself
    const out: KnnResult & { certified?: Uint8Array } = dropSelf(all, k);
    if ("certified" in all) out.certified = all.certified as Uint8Array;
    return out;
  }

  /** Training rows within `radius` of each row of Q (without Q: of each training row, itself excluded). */
  radiusNeighbors(Q?: RowsLike, radius: number = this.options.radius, options: { sortResults?: boolean } = {}): RadiusResult {
    const index = this.fitted();
    const result = index.queryRadius(Q ?? this.trainingMatrix(), radius, options);
    return Q === undefined ? dropSelfRadius(result) : result;
  }

  /** The k-neighbours graph as CSR arrays: mode "connectivity" (ones) or "distance". */
  kneighborsGraph(Q?: RowsLike, k: number = this.options.nNeighbors, mode: "connectivity" | "distance" = "connectivity"): CsrGraph {
    if (mode !== "connectivity" && mode !== "distance") {
      throw new KnnInputError(`mode must be "connectivity" or "distance", got "${String(mode)}"`);
    }
    const res = this.kneighbors(Q, k);
    const indptr = new Int32Array(res.rows + 1);
    for (let i = 0; i <= res.rows; i++) indptr[i] = i * k;
    const data = mode === "distance" ? res.distances.slice() : new Float64Array(res.rows * k).fill(1);
    return { indptr, indices: res.indices, data, shape: [res.rows, this.nSamplesFit] };
  }
}

/** Removes each query row itself from a (k+1)-result, as scikit-learn does (or the first column when it is absent). */
function dropSelf(all: KnnResult, k: number): KnnResult {
  const kk = k + 1;
  const indices = new Int32Array(all.rows * k);
  const distances = new Float64Array(all.rows * k);
  for (let i = 0; i < all.rows; i++) {
    let skip = 0;
    for (let j = 0; j < kk; j++) {
      if (all.indices[i * kk + j] === i) {
        skip = j;
        break;
      }
    }
    for (let j = 0, o = 0; j < kk; j++) {
      if (j === skip) continue;
      indices[i * k + o] = all.indices[i * kk + j];
      distances[i * k + o] = all.distances[i * kk + j];
      o++;
    }
  }
  return { indices, distances, rows: all.rows, k };
}

function dropSelfRadius(r: RadiusResult): RadiusResult {
  const offsets = new Int32Array(r.rows + 1);
  const keep: number[] = [];
  for (let i = 0; i < r.rows; i++) {
    for (let j = r.offsets[i]; j < r.offsets[i + 1]; j++) if (r.indices[j] !== i) keep.push(j);
    offsets[i + 1] = keep.length;
  }
  const indices = new Int32Array(keep.length);
  const distances = new Float64Array(keep.length);
  keep.forEach((j, o) => {
    indices[o] = r.indices[j];
    distances[o] = r.distances[j];
  });
  return { offsets, indices, distances, rows: r.rows };
}

/** Unsupervised neighbours search (scikit-learn's NearestNeighbors). */
export class NearestNeighbors extends NeighborsBase {
  fit(X: RowsLike): this {
    this.fitIndex(X);
    return this;
  }

  toState(): NearestNeighborsState {
    return { estimator: "NearestNeighbors", ...this.baseState() };
  }

  /** A fitted estimator from its state, checked first (see checkEstimatorState); no refit. */
  static fromState(state: NearestNeighborsState, restore: RestoreOptions = {}): NearestNeighbors {
    if (!restore.trusted) checkEstimatorState(state);
    const est = new NearestNeighbors(restoredOptions(state));
    est.restoreIndex(state);
    return est;
  }
}

/** "uniform", "distance" (1/d; a zero-distance neighbour takes all the weight), or a function of one row of distances. */
export type Weights = "uniform" | "distance" | ((distances: Float64Array) => ArrayLike<number>);

export interface WeightedOptions extends NeighborsOptions {
  weights?: Weights;
}

export function checkWeights(weights: unknown): Weights {
  if (weights === "uniform" || weights === "distance" || typeof weights === "function") return weights as Weights;
  throw new KnnInputError(`weights must be "uniform", "distance" or a function, got ${String(weights)}`);
}

/** Weights of one row of k neighbour distances, written into `out`. */
export function rowWeights(weights: Weights, distances: Float64Array, out: Float64Array): void {
  const k = distances.length;
  if (weights === "uniform") {
    out.fill(1);
    return;
  }
  if (weights === "distance") {
    let zero = false;
    for (let j = 0; j < k; j++) if (distances[j] === 0) zero = true;
    for (let j = 0; j < k; j++) out[j] = zero ? (distances[j] === 0 ? 1 : 0) : 1 / distances[j];
    return;
  }
  const w = weights(distances);
  if (w.length !== k) throw new KnnInputError(`the weights function returned ${w.length} values for ${k} neighbours`);
  for (let j = 0; j < k; j++) out[j] = w[j];
}

export function checkTarget(y: ArrayLike<unknown>, rows: number): void {
  if (y === null || typeof y !== "object" || typeof (y as ArrayLike<unknown>).length !== "number") {
    throw new KnnInputError("y must be an array of labels or values");
  }
  if (y.length !== rows) throw new KnnInputError(`y has ${y.length} values but X has ${rows} rows`);
}

/** A dense row-major matrix of class probabilities; columns follow `classes`. */
export interface Probabilities {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** k-nearest-neighbours classification (scikit-learn's KNeighborsClassifier). */
export class KNeighborsClassifier extends NeighborsBase {
  readonly weights: Weights;
  /** The sorted distinct labels seen at fit. */
  classes: Label[] = [];
  private codes: Int32Array = new Int32Array(0);

  constructor(options: WeightedOptions = {}) {
    super(options);
    this.weights = checkWeights(options.weights ?? "uniform");
  }

  fit(X: RowsLike, y: ArrayLike<Label>): this {
    const m = toRows(X, "X");
    checkTarget(y, m.rows);
    const labels = Array.from(y);
    const kinds = new Set(labels.map((v) => typeof v));
    if (kinds.size !== 1 || !(kinds.has("number") || kinds.has("string"))) {
      throw new KnnInputError("labels must be all numbers or all strings");
    }
    if (kinds.has("number") && labels.some((v) => !Number.isFinite(v as number))) {
      throw new KnnInputError("labels contain NaN or Infinity");
    }
    const classes = [...new Set(labels)].sort((a, b) =>
      typeof a === "number" ? (a as number) - (b as number) : a < b ? -1 : a > b ? 1 : 0,
    );
    const code = new Map(classes.map((c, i) => [c, i]));
    this.fitIndex(m, labels, "classification");
    this.classes = classes;
    this.codes = Int32Array.from(labels, (v) => code.get(v) as number);
    return this;
  }

  toState(): ClassifierState {
    return { estimator: "KNeighborsClassifier", ...this.baseState(), classes: this.classes, codes: this.codes };
  }

  /**
   * A fitted classifier from its state, checked first (see checkEstimatorState);
   * no refit. A weights function is not stored: give it again in `weights`.
   */
  static fromState(state: ClassifierState, restore: RestoreOptions & { weights?: Weights } = {}): KNeighborsClassifier {
    if (!restore.trusted) checkEstimatorState(state);
    const est = new KNeighborsClassifier(restoredOptions(state, restore.weights));
    est.restoreIndex(state);
    est.classes = [...state.classes];
    est.codes = state.codes;
    return est;
  }

  /** Class probabilities: weighted neighbour votes, normalised per row. */
  predictProba(Q: RowsLike): Probabilities {
    const res = this.kneighbors(Q);
    const c = this.classes.length;
    const k = res.k;
    const out = new Float64Array(res.rows * c);
    const w = new Float64Array(k);
    for (let i = 0; i < res.rows; i++) {
      rowWeights(this.weights, res.distances.subarray(i * k, i * k + k), w);
      let total = 0;
      for (let j = 0; j < k; j++) {
        out[i * c + this.codes[res.indices[i * k + j]]] += w[j];
        total += w[j];
      }
      if (total === 0) total = 1;
      for (let j = 0; j < c; j++) out[i * c + j] /= total;
    }
    return { data: out, rows: res.rows, cols: c };
  }

  /** The position in `classes` of each row's most probable class (ties go to the class that sorts first). */
  predictCodes(Q: RowsLike): Int32Array {
    const proba = this.predictProba(Q);
    const out = new Int32Array(proba.rows);
    for (let i = 0; i < proba.rows; i++) {
      let best = 0;
      for (let j = 1; j < proba.cols; j++) if (proba.data[i * proba.cols + j] > proba.data[i * proba.cols + best]) best = j;
      out[i] = best;
    }
    return out;
  }

  /** The most probable class of each row (ties go to the class that sorts first). */
  predict(Q: RowsLike): Label[] {
    return Array.from(this.predictCodes(Q), (code) => this.classes[code]);
  }

  /** Mean accuracy on (Q, y). */
  score(Q: RowsLike, y: ArrayLike<Label>): number {
    const pred = this.predict(Q);
    checkTarget(y, pred.length);
    let hits = 0;
    for (let i = 0; i < pred.length; i++) if (pred[i] === y[i]) hits++;
    return hits / pred.length;
  }
}

/** k-nearest-neighbours regression (scikit-learn's KNeighborsRegressor). */
export class KNeighborsRegressor extends NeighborsBase {
  readonly weights: Weights;
  private y: Float64Array = new Float64Array(0);

  constructor(options: WeightedOptions = {}) {
    super(options);
    this.weights = checkWeights(options.weights ?? "uniform");
  }

  fit(X: RowsLike, y: ArrayLike<number>): this {
    const m = toRows(X, "X");
    checkTarget(y, m.rows);
    const values = Float64Array.from(y as ArrayLike<number>);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw new KnnInputError(`y contains a non-finite value at position ${i}`);
    }
    this.fitIndex(m, values, "regression");
    this.y = values;
    return this;
  }

  toState(): RegressorState {
    return { estimator: "KNeighborsRegressor", ...this.baseState(), values: this.y };
  }

  /**
   * A fitted regressor from its state, checked first (see checkEstimatorState);
   * no refit. A weights function is not stored: give it again in `weights`.
   */
  static fromState(state: RegressorState, restore: RestoreOptions & { weights?: Weights } = {}): KNeighborsRegressor {
    if (!restore.trusted) checkEstimatorState(state);
    const est = new KNeighborsRegressor(restoredOptions(state, restore.weights));
    est.restoreIndex(state);
    est.y = state.values;
    return est;
  }

  /** Weighted mean of the neighbours' targets (0 where every weight is 0). */
  predict(Q: RowsLike): Float64Array {
    const res = this.kneighbors(Q);
    const k = res.k;
    const out = new Float64Array(res.rows);
    const w = new Float64Array(k);
    for (let i = 0; i < res.rows; i++) {
      rowWeights(this.weights, res.distances.subarray(i * k, i * k + k), w);
      let num = 0;
      let den = 0;
      for (let j = 0; j < k; j++) {
        num += w[j] * this.y[res.indices[i * k + j]];
        den += w[j];
      }
      out[i] = den === 0 ? 0 : num / den;
    }
    return out;
  }

  /** Coefficient of determination R² on (Q, y). */
  score(Q: RowsLike, y: ArrayLike<number>): number {
    const pred = this.predict(Q);
    checkTarget(y, pred.length);
    return r2Score(y, pred);
  }
}

/** The options without `weights` (a function cannot be stored), which weightsName names when it is a string. */
function storedOptions(options: NeighborsOptions & { weights?: unknown }): StoredOptions {
  const { weights, ...rest } = options;
  return { ...rest, weightsName: typeof weights === "string" ? weights : undefined };
}

/** Constructor options as stored: a weights function is not, weightsName names "uniform" or "distance". */
export type StoredOptions = Omit<NeighborsOptions, "weights"> & { weightsName?: string };

interface EstimatorStateBase {
  readonly version: typeof STATE_VERSION;
  readonly options: StoredOptions;
  readonly fitAlgorithm: Exclude<Algorithm, "auto">;
  readonly index: IndexState;
}

export interface NearestNeighborsState extends EstimatorStateBase {
  readonly estimator: "NearestNeighbors";
}

export interface ClassifierState extends EstimatorStateBase {
  readonly estimator: "KNeighborsClassifier";
  /** Sorted distinct labels. */
  readonly classes: readonly Label[];
  /** Per training row, its label's position in classes. */
  readonly codes: Int32Array;
}

export interface RegressorState extends EstimatorStateBase {
  readonly estimator: "KNeighborsRegressor";
  readonly values: Float64Array;
}

/** A fitted estimator's typed, versioned state (see NeighborsBase.toState). */
export type EstimatorState = NearestNeighborsState | ClassifierState | RegressorState;
export type EstimatorName = EstimatorState["estimator"];
export const ESTIMATOR_NAMES: readonly EstimatorName[] = ["NearestNeighbors", "KNeighborsClassifier", "KNeighborsRegressor"];

/** The constructor options of a stored estimator (weightsName, or the given weights function). */
function restoredOptions(state: EstimatorState, weights?: Weights): WeightedOptions {
  const { weightsName: name, ...stored } = state.options;
  const options: Record<string, unknown> = {};
  // JSON has no undefined, and writes Infinity (p of chebyshev) as null
  for (const [key, value] of Object.entries(stored)) if (value !== undefined && value !== null) options[key] = value;
  if (weights !== undefined) options.weights = weights;
  else if (name !== undefined) options.weights = name;
  return options as WeightedOptions;
}

function stateError(message: string): never {
  throw new KnnInputError(`estimator state: ${message}`);
}

/**
 * Checks a fitted estimator's state before use: its index (checkIndexState),
 * options the constructor accepts, an algorithm matching the index, and a
 * target of one entry per training row (class codes within the classes,
 * finite values). One KnnInputError names the first problem. `finite`: see
 * RestoreOptions.
 */
export function checkEstimatorState(state: unknown, finite?: ReadonlySet<ArrayBufferView>): asserts state is EstimatorState {
  if (typeof state !== "object" || state === null) stateError("not an object");
  const s = state as Record<string, unknown>;
  const name = s.estimator as EstimatorName;
  if (!ESTIMATOR_NAMES.includes(name)) stateError(`unknown estimator "${String(name)}"; expected one of ${ESTIMATOR_NAMES.join(", ")}`);
  if (s.version !== STATE_VERSION) stateError(`version ${String(s.version)} is not supported (this build reads version ${STATE_VERSION})`);
  const options = s.options as Record<string, unknown>;
  if (typeof options !== "object" || options === null || Array.isArray(options)) stateError("options must be an object");
  const w = options.weightsName;
  if (w !== undefined && w !== null && w !== "uniform" && w !== "distance") stateError(`weightsName must be "uniform" or "distance", got ${String(w)}`);
  if (options.workers !== undefined && options.workers !== null && options.workers !== "auto") checkPositiveInteger(options.workers as number, "workers");
  const stored = state as EstimatorState;
  new NearestNeighbors(restoredOptions(stored)); // the constructor checks the options
  checkIndexState(s.index, finite);
  const index = s.index as IndexState;
  if (s.fitAlgorithm !== index.kind) stateError(`fitAlgorithm "${String(s.fitAlgorithm)}" does not match the index kind "${index.kind}"`);
  if (options.algorithm !== undefined && options.algorithm !== "auto" && options.algorithm !== index.kind) {
    stateError(`algorithm "${String(options.algorithm)}" does not match the index kind "${index.kind}"`);
  }
  const rows = index.params.rows;
  if (name === "KNeighborsClassifier") checkClasses(s.classes, s.codes, rows);
  else if (name === "KNeighborsRegressor") {
    const values = s.values;
    if (!(values instanceof Float64Array)) stateError("values must be a Float64Array");
    if (values.length !== rows) stateError(`values has ${values.length} entries, but the index has ${rows} rows`);
    for (let i = 0; i < rows; i++) if (!Number.isFinite(values[i])) stateError(`values holds ${values[i]} at position ${i}`);
  }
}

/** Sorted distinct labels of one type, and one code per training row within them. */
export function checkClasses(classes: unknown, codes: unknown, rows: number): void {
  if (!Array.isArray(classes) || classes.length === 0) stateError("classes must be a non-empty array of labels");
  const numbers = typeof classes[0] === "number";
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i] as unknown;
    if (numbers ? typeof c !== "number" || !Number.isFinite(c) : typeof c !== "string") stateError("classes must be all finite numbers or all strings");
    if (i > 0 && !((classes[i - 1] as number | string) < (c as number | string))) stateError(`classes must be sorted and distinct (position ${i})`);
  }
  if (!(codes instanceof Int32Array)) stateError("codes must be an Int32Array");
  if (codes.length !== rows) stateError(`codes has ${codes.length} entries, but the index has ${rows} rows`);
  for (let i = 0; i < rows; i++) {
    if (codes[i] < 0 || codes[i] >= classes.length) stateError(`codes holds ${codes[i]} at position ${i}, outside the ${classes.length} classes`);
  }
}

/**
 * Rebuilds a fitted estimator from its state without refitting, after
 * checking it. A weights function cannot be stored: such an estimator comes
 * back with "uniform" unless `weights` is given again.
 */
export function estimatorFromState(state: EstimatorState, weights?: Weights, restore: RestoreOptions = {}): NearestNeighbors | KNeighborsClassifier | KNeighborsRegressor {
  if (!restore.trusted) checkEstimatorState(state, restore.finite);
  const trusted = { trusted: true, weights };
  switch (state.estimator) {
    case "NearestNeighbors":
      return NearestNeighbors.fromState(state, trusted);
    case "KNeighborsClassifier":
      return KNeighborsClassifier.fromState(state, trusted);
    case "KNeighborsRegressor":
      return KNeighborsRegressor.fromState(state, trusted);
  }
}
