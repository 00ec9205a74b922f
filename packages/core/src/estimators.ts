import { BallTree, KDTree } from "./binary-tree.js";
import { BruteForce } from "./brute.js";
import { KnnInputError, NotFittedError, checkPositiveInteger } from "./errors.js";
import type { KnnIndex } from "./index-base.js";
import { toMatrix, type Matrix, type MatrixLike } from "./matrix.js";
import { MetricKind, resolveMetric, type Metric, type MetricOptions } from "./metrics.js";
import type { KnnResult, RadiusResult } from "./results.js";
import { r2Score } from "./evaluation.js";
import { PrefilterIndex, type Label } from "./prefilter.js";
import type { ScoringMethod } from "./scoring.js";
import { tunePrefilter, type TuneResult } from "./tuner.js";
import { indexFromState } from "./index-state.js";
import type { IndexState } from "./shared.js";

export { r2Score, type Label };

export type Algorithm = "auto" | "brute" | "kd_tree" | "ball_tree" | "prefilter";
const ALGORITHMS: readonly string[] = ["auto", "brute", "kd_tree", "ball_tree", "prefilter"];

export interface NeighborsOptions extends MetricOptions {
  /** Default k for kneighbors / predict (scikit-learn's n_neighbors). Default 5. */
  nNeighbors?: number;
  /** Default radius for radiusNeighbors. Default 1. */
  radius?: number;
  algorithm?: Algorithm;
  /** Leaf size of the trees. Default 30, as scikit-learn's estimators. */
  leafSize?: number;
  /** Threads for queries: a number, or "auto" (all cores when the batch is large enough). */
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
}

const PREFILTER_KNOBS = ["candidates", "nFilterFeatures", "halvingStages", "scoring", "features", "targetRecall"] as const;

/**
 * The `auto` rule (scikit-learn's): brute force when the metric is cosine, when
 * there are more than 15 features (trees stop pruning), or when k is at least
 * half the training rows; otherwise the KD-tree.
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
    if (metric.kind === MetricKind.Cosine && algorithm !== "brute") {
      throw new KnnInputError(`metric "cosine" is not supported by ${algorithm}; use algorithm "brute"`);
    }
    if (categorical && (algorithm === "kd_tree" || algorithm === "ball_tree")) {
      throw new KnnInputError(`categoricalFeatures are not supported by ${algorithm}; use algorithm "brute" or "prefilter"`);
    }
    return algorithm as Exclude<Algorithm, "auto">;
  }
  if (metric.kind === MetricKind.Cosine || cols > 15 || k >= Math.floor(rows / 2) || categorical) return "brute";
  return "kd_tree";
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
  protected fitX: Matrix | null = null;
  /** The algorithm `auto` resolved to at fit. */
  fitAlgorithm: Exclude<Algorithm, "auto"> | null = null;

  constructor(options: NeighborsOptions = {}) {
    const nNeighbors = options.nNeighbors ?? 5;
    checkPositiveInteger(nNeighbors, "nNeighbors");
    const radius = options.radius ?? 1;
    if (!(radius >= 0) || radius === Infinity) throw new KnnInputError(`radius must be a finite number >= 0, got ${radius}`);
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

  protected fitIndex(X: MatrixLike, y?: ArrayLike<Label>, task?: "classification" | "regression"): Matrix {
    const m = toMatrix(X, "X");
    const metric = resolveMetric(this.options);
    const extra = this.extraOptions;
    const categorical = (extra.categoricalFeatures?.length ?? 0) > 0;
    const algorithm = chooseAlgorithm(this.options.algorithm, metric, m.rows, m.cols, this.options.nNeighbors, categorical);
    const opts = { metric: this.options.metric, p: this.options.p, workers: this.options.workers, leafSize: this.options.leafSize };
    let tuning: TuneResult | null = null;
    let index: KnnIndex;
    if (algorithm === "prefilter") {
      const { targetRecall, ...knobs } = extra;
      const base = { ...opts, ...knobs, y, task };
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

  /** Serializable state: options, the index's arrays, and the target (see estimatorFromState). */
  toState(): EstimatorState {
    const index = this.fitted();
    return {
      estimator: this.constructor.name as EstimatorState["estimator"],
      options: { ...this.options, ...this.extraOptions, weightsName: weightsName((this as { weights?: unknown }).weights) },
      fitAlgorithm: this.fitAlgorithm as Exclude<Algorithm, "auto">,
      index: index.sharedState(),
      ...this.targetState(),
    };
  }

  protected targetState(): Pick<EstimatorState, "classes" | "codes" | "values"> {
    return {};
  }

  /** Installs a restored index (used by estimatorFromState). */
  protected restoreIndex(index: KnnIndex, algorithm: Exclude<Algorithm, "auto">): void {
    this.index = index;
    this.fitX = null;
    this.fitAlgorithm = algorithm;
  }

  protected trainingMatrix(): Matrix {
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
  kneighbors(Q?: MatrixLike, k: number = this.options.nNeighbors): KnnResult {
    const index = this.fitted();
    checkPositiveInteger(k, "nNeighbors");
    if (Q !== undefined) return index.query(Q, k);
    if (k >= index.rows) {
      throw new KnnInputError(
        `nNeighbors=${k} must be smaller than the number of training rows (${index.rows}) when querying the training data itself`,
      );
    }
    const all = index.query(this.trainingMatrix(), k + 1);
    return dropSelf(all, k);
  }

  /** Training rows within `radius` of each row of Q (without Q: of each training row, itself excluded). */
  radiusNeighbors(Q?: MatrixLike, radius: number = this.options.radius, options: { sortResults?: boolean } = {}): RadiusResult {
    const index = this.fitted();
    const result = index.queryRadius(Q ?? this.trainingMatrix(), radius, options);
    return Q === undefined ? dropSelfRadius(result) : result;
  }

  /** The k-neighbours graph as CSR arrays: mode "connectivity" (ones) or "distance". */
  kneighborsGraph(Q?: MatrixLike, k: number = this.options.nNeighbors, mode: "connectivity" | "distance" = "connectivity"): CsrGraph {
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
  fit(X: MatrixLike): this {
    this.fitIndex(X);
    return this;
  }
}

/** "uniform", "distance" (1/d; a zero-distance neighbour takes all the weight), or a function of one row of distances. */
export type Weights = "uniform" | "distance" | ((distances: Float64Array) => ArrayLike<number>);

export interface WeightedOptions extends NeighborsOptions {
  weights?: Weights;
}

function checkWeights(weights: unknown): Weights {
  if (weights === "uniform" || weights === "distance" || typeof weights === "function") return weights as Weights;
  throw new KnnInputError(`weights must be "uniform", "distance" or a function, got ${String(weights)}`);
}

/** Weights of one row of k neighbour distances, written into `out`. */
function rowWeights(weights: Weights, distances: Float64Array, out: Float64Array): void {
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

function checkTarget(y: ArrayLike<unknown>, rows: number): void {
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

  fit(X: MatrixLike, y: ArrayLike<Label>): this {
    const m = toMatrix(X, "X");
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

  protected override targetState(): Pick<EstimatorState, "classes" | "codes"> {
    return { classes: this.classes, codes: this.codes };
  }

  /** @internal */
  restoreTarget(classes: Label[], codes: Int32Array): void {
    this.classes = classes;
    this.codes = codes;
  }

  /** Class probabilities: weighted neighbour votes, normalised per row. */
  predictProba(Q: MatrixLike): Probabilities {
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

  /** The most probable class of each row (ties go to the class that sorts first). */
  predict(Q: MatrixLike): Label[] {
    const proba = this.predictProba(Q);
    const out: Label[] = new Array(proba.rows);
    for (let i = 0; i < proba.rows; i++) {
      let best = 0;
      for (let j = 1; j < proba.cols; j++) if (proba.data[i * proba.cols + j] > proba.data[i * proba.cols + best]) best = j;
      out[i] = this.classes[best];
    }
    return out;
  }

  /** Mean accuracy on (Q, y). */
  score(Q: MatrixLike, y: ArrayLike<Label>): number {
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

  fit(X: MatrixLike, y: ArrayLike<number>): this {
    const m = toMatrix(X, "X");
    checkTarget(y, m.rows);
    const values = Float64Array.from(y as ArrayLike<number>);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw new KnnInputError(`y contains a non-finite value at position ${i}`);
    }
    this.fitIndex(m, values, "regression");
    this.y = values;
    return this;
  }

  protected override targetState(): Pick<EstimatorState, "values"> {
    return { values: this.y };
  }

  /** @internal */
  restoreTarget(values: Float64Array): void {
    this.y = values;
  }

  /** Weighted mean of the neighbours' targets (0 where every weight is 0). */
  predict(Q: MatrixLike): Float64Array {
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
  score(Q: MatrixLike, y: ArrayLike<number>): number {
    const pred = this.predict(Q);
    checkTarget(y, pred.length);
    return r2Score(y, pred);
  }
}

function weightsName(w: unknown): string | undefined {
  return typeof w === "string" ? w : undefined;
}

export interface EstimatorState {
  estimator: "NearestNeighbors" | "KNeighborsClassifier" | "KNeighborsRegressor";
  options: Record<string, unknown>;
  fitAlgorithm: Exclude<Algorithm, "auto">;
  index: IndexState;
  classes?: Label[];
  codes?: Int32Array;
  values?: Float64Array;
}

/**
 * Rebuilds a fitted estimator from its state without refitting. A weights
 * function cannot be stored: such an estimator comes back with "uniform"
 * unless `weights` is given again.
 */
export function estimatorFromState(state: EstimatorState, weights?: Weights): NearestNeighbors | KNeighborsClassifier | KNeighborsRegressor {
  const options = { ...state.options } as WeightedOptions;
  delete (options as Record<string, unknown>).weightsName;
  for (const key of Object.keys(options) as (keyof WeightedOptions)[]) if (options[key] === undefined || options[key] === null) delete options[key];
  if (weights !== undefined) options.weights = weights;
  else if (typeof state.options.weightsName === "string") options.weights = state.options.weightsName as Weights;
  const index = indexFromState(state.index);
  if (state.estimator === "KNeighborsClassifier") {
    const est = new KNeighborsClassifier(options);
    est["restoreIndex"](index, state.fitAlgorithm);
    est.restoreTarget(state.classes ?? [], state.codes ?? new Int32Array(0));
    return est;
  }
  if (state.estimator === "KNeighborsRegressor") {
    const est = new KNeighborsRegressor(options);
    est["restoreIndex"](index, state.fitAlgorithm);
    est.restoreTarget(state.values ?? new Float64Array(0));
    return est;
  }
  if (state.estimator === "NearestNeighbors") {
    const est = new NearestNeighbors(options);
    est["restoreIndex"](index, state.fitAlgorithm);
    return est;
  }
  throw new KnnInputError(`unknown estimator "${String(state.estimator)}"`);
}
