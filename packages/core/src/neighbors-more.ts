/**
 * The rest of scikit-learn's neighbours estimators, each built on a
 * NearestNeighbors (the same indexes, algorithms and options):
 * RadiusNeighborsClassifier/Regressor, KNeighborsTransformer and
 * RadiusNeighborsTransformer (CSR graphs), LocalOutlierFactor and
 * NearestCentroid (which densifies sparse rows, as scikit-learn's fit does). Targets may have several outputs: `y` as one array (one
 * output) or an array of columns (one array per output).
 */
import { KnnInputError, NotFittedError, describeValue } from "./errors.js";
import {
  NearestNeighbors,
  checkTarget,
  checkWeights,
  rowWeights,
  type CsrGraph,
  type NearestNeighborsState,
  type NeighborsOptions,
  type Probabilities,
  type Weights,
} from "./estimators.js";
import { KNNImputer } from "./imputer.js";
import type { RestoreOptions } from "./index-state.js";
import {
  checkModelState,
  type LocalOutlierFactorState,
  type ModelName,
  type ModelState,
  type MultiOutputClassifierState,
  type NearestCentroidState,
  type RadiusNeighborsClassifierState,
  type TransformerState,
  type ValuesState,
} from "./more-state.js";
import { STATE_VERSION } from "./shared.js";
import type { Matrix } from "./matrix.js";
import { toDense, toRows, type RowsLike } from "./sparse.js";
import type { Label } from "./prefilter.js";
import type { RadiusResult } from "./results.js";

/** One output's labels, encoded: sorted distinct classes and per row its class's position. */
export interface EncodedOutput {
  readonly classes: Label[];
  readonly codes: Int32Array;
}

/** Labels as sorted classes and codes (all numbers or all strings, finite). */
export function encodeLabels(y: ArrayLike<Label>): EncodedOutput {
  const labels = Array.from(y);
  const kinds = new Set(labels.map((v) => typeof v));
  if (kinds.size !== 1 || !(kinds.has("number") || kinds.has("string"))) throw new KnnInputError("labels must be all numbers or all strings");
  if (kinds.has("number") && labels.some((v) => !Number.isFinite(v as number))) throw new KnnInputError("labels contain NaN or Infinity");
  const classes = [...new Set(labels)].sort((a, b) => (typeof a === "number" ? (a as number) - (b as number) : a < b ? -1 : a > b ? 1 : 0));
  const code = new Map(classes.map((c, i) => [c, i]));
  return { classes, codes: Int32Array.from(labels, (v) => code.get(v) as number) };
}

/** y as its outputs: one array, or an array of per-output arrays, each of `rows` entries. */
export function targetColumns<T>(y: ArrayLike<T> | readonly ArrayLike<T>[], rows: number): ArrayLike<T>[] {
  const multi = Array.isArray(y) && y.length > 0 && typeof y[0] === "object" && y[0] !== null;
  const columns = multi ? (y as ArrayLike<T>[]) : [y as ArrayLike<T>];
  for (const c of columns) checkTarget(c, rows);
  return columns;
}

/** A neighbour result as ragged rows (k-NN results have offsets i·k). */
interface Ragged {
  readonly offsets: Int32Array;
  readonly indices: Int32Array;
  readonly distances: Float64Array;
  readonly rows: number;
}

function weightsOf(weights: Weights, r: Ragged, i: number): Float64Array {
  const d = r.distances.subarray(r.offsets[i], r.offsets[i + 1]);
  const w = new Float64Array(d.length);
  rowWeights(weights, d, w);
  return w;
}

/**
 * Per output, the weighted class votes of each row's neighbours, normalised per
 * row (a row without votes stays 0, or 1 for its output's outlier code when >= 0).
 */
function voteProbabilities(r: Ragged, weights: Weights, outputs: EncodedOutput[], outlierCodes: number[]): Probabilities[] {
  const w = Array.from({ length: r.rows }, (_, i) => weightsOf(weights, r, i));
  return outputs.map((o, k) => {
    const c = o.classes.length;
    const data = new Float64Array(r.rows * c);
    for (let i = 0; i < r.rows; i++) {
      const from = r.offsets[i];
      for (let j = from; j < r.offsets[i + 1]; j++) data[i * c + o.codes[r.indices[j]]] += w[i][j - from];
      if (from === r.offsets[i + 1] && outlierCodes[k] >= 0) data[i * c + outlierCodes[k]] = 1;
      let total = 0;
      for (let j = 0; j < c; j++) total += data[i * c + j];
      if (total === 0) total = 1;
      for (let j = 0; j < c; j++) data[i * c + j] /= total;
    }
    return { data, rows: r.rows, cols: c };
  });
}

/** Each row's most probable class (the first on ties), or `none` where every probability is 0. */
function argmaxCodes(p: Probabilities, none: number): Int32Array {
  const out = new Int32Array(p.rows);
  for (let i = 0; i < p.rows; i++) {
    let best = 0;
    for (let j = 1; j < p.cols; j++) if (p.data[i * p.cols + j] > p.data[i * p.cols + best]) best = j;
    out[i] = p.data[i * p.cols + best] === 0 ? none : best;
  }
  return out;
}

function knnRagged(res: { indices: Int32Array; distances: Float64Array; rows: number; k: number }): Ragged {
  return { offsets: Int32Array.from({ length: res.rows + 1 }, (_, i) => i * res.k), indices: res.indices, distances: res.distances, rows: res.rows };
}

/** A stored weights name ("uniform" or "distance"; a weights function is not stored). */
function weightsName(weights: Weights): string | undefined {
  return typeof weights === "string" ? weights : undefined;
}

/** The restored estimator, around the NearestNeighbors of a checked state (the constructor made an unfitted one). */
function withNeighbors<T extends { neighbors: NearestNeighbors }>(est: T, state: { neighbors: NearestNeighborsState }): T {
  (est as { neighbors: NearestNeighbors }).neighbors = NearestNeighbors.fromState(state.neighbors, { trusted: true });
  return est;
}

/** Per output, the stored classes and codes (views, not copies). */
function storedOutputs(outputs: readonly EncodedOutput[]): { classes: Label[]; codes: Int32Array }[] {
  return outputs.map((o) => ({ classes: o.classes, codes: o.codes }));
}

function restoredOutputs(outputs: readonly { classes: readonly Label[]; codes: Int32Array }[]): EncodedOutput[] {
  return outputs.map((o) => ({ classes: [...o.classes], codes: o.codes }));
}

/** k-nearest-neighbours classification of several outputs (y as columns): one search, one vote per output. */
export class KNeighborsMultiOutputClassifier {
  readonly neighbors: NearestNeighbors;
  readonly weights: Weights;
  outputs: EncodedOutput[] = [];

  constructor(options: NeighborsOptions & { weights?: Weights } = {}) {
    const { weights, ...rest } = options;
    this.weights = checkWeights(weights ?? "uniform");
    this.neighbors = new NearestNeighbors(rest);
  }

  fit(X: RowsLike, y: readonly ArrayLike<Label>[]): this {
    const m = toRows(X, "X");
    const outputs = targetColumns(y, m.rows).map(encodeLabels);
    this.neighbors.fit(m);
    this.outputs = outputs;
    return this;
  }

  toState(): MultiOutputClassifierState {
    if (this.outputs.length === 0) throw new NotFittedError("KNeighborsMultiOutputClassifier");
    return {
      estimator: "KNeighborsMultiOutputClassifier",
      version: STATE_VERSION,
      neighbors: this.neighbors.toState(),
      weightsName: weightsName(this.weights),
      outputs: storedOutputs(this.outputs),
    };
  }

  /** A fitted estimator from its state, checked first (see checkModelState); no refit. */
  static fromState(state: MultiOutputClassifierState, restore: RestoreOptions = {}): KNeighborsMultiOutputClassifier {
    if (!restore.trusted) checkModelState(state);
    const est = withNeighbors(new KNeighborsMultiOutputClassifier({ weights: state.weightsName as Weights | undefined }), state);
    est.outputs = restoredOutputs(state.outputs);
    return est;
  }

  predictProbaOutputs(Q: RowsLike): Probabilities[] {
    if (this.outputs.length === 0) throw new NotFittedError("KNeighborsMultiOutputClassifier");
    const r = knnRagged(this.neighbors.kneighbors(toRows(Q, "Q")));
    return voteProbabilities(r, this.weights, this.outputs, this.outputs.map(() => -1));
  }

  predictCodes(Q: RowsLike): Int32Array[] {
    return this.predictProbaOutputs(Q).map((p) => argmaxCodes(p, 0));
  }

  predict(Q: RowsLike): Label[][] {
    return this.predictCodes(Q).map((codes, k) => Array.from(codes, (c) => this.outputs[k].classes[c]));
  }
}

/** k-nearest-neighbours regression of several outputs (y as columns): rows × outputs predictions. */
export class KNeighborsMultiOutputRegressor {
  readonly neighbors: NearestNeighbors;
  readonly weights: Weights;
  values: Float64Array[] = [];

  constructor(options: NeighborsOptions & { weights?: Weights } = {}) {
    const { weights, ...rest } = options;
    this.weights = checkWeights(weights ?? "uniform");
    this.neighbors = new NearestNeighbors(rest);
  }

  fit(X: RowsLike, y: readonly ArrayLike<number>[]): this {
    const m = toRows(X, "X");
    const values = targetColumns(y, m.rows).map((c) => finiteValues(c));
    this.neighbors.fit(m);
    this.values = values;
    return this;
  }

  toState(): ValuesState {
    if (this.values.length === 0) throw new NotFittedError("KNeighborsMultiOutputRegressor");
    return { estimator: "KNeighborsMultiOutputRegressor", version: STATE_VERSION, neighbors: this.neighbors.toState(), weightsName: weightsName(this.weights), values: this.values };
  }

  /** A fitted estimator from its state, checked first (see checkModelState); no refit. */
  static fromState(state: ValuesState, restore: RestoreOptions = {}): KNeighborsMultiOutputRegressor {
    if (!restore.trusted) checkModelState(state);
    const est = withNeighbors(new KNeighborsMultiOutputRegressor({ weights: state.weightsName as Weights | undefined }), state);
    est.values = [...state.values];
    return est;
  }

  predict(Q: RowsLike): Matrix {
    if (this.values.length === 0) throw new NotFittedError("KNeighborsMultiOutputRegressor");
    return weightedMeans(knnRagged(this.neighbors.kneighbors(toRows(Q, "Q"))), this.weights, this.values);
  }
}

type ClassifierOptions = NeighborsOptions & { weights?: Weights; outlierLabel?: Label | "most_frequent" | null };

/** Classification by a vote of the training rows within `radius` (scikit-learn's RadiusNeighborsClassifier). */
export class RadiusNeighborsClassifier {
  readonly neighbors: NearestNeighbors;
  readonly weights: Weights;
  readonly outlierLabel: Label | "most_frequent" | null;
  /** Per output: the sorted classes and the training rows' codes. */
  outputs: EncodedOutput[] = [];
  /** Per output, the label given to rows without neighbours (null: such rows are an error). */
  outlierLabels: (Label | null)[] = [];

  constructor(options: ClassifierOptions = {}) {
    const { weights, outlierLabel, ...rest } = options;
    this.weights = checkWeights(weights ?? "uniform");
    const label = outlierLabel ?? null;
    if (label !== null && typeof label !== "number" && typeof label !== "string") {
      throw new KnnInputError(`outlierLabel must be a class label, "most_frequent" or null, got ${describeValue(label)}`);
    }
    this.outlierLabel = label;
    this.neighbors = new NearestNeighbors(rest);
  }

  fit(X: RowsLike, y: ArrayLike<Label> | readonly ArrayLike<Label>[]): this {
    const m = toRows(X, "X");
    const outputs = targetColumns(y, m.rows).map(encodeLabels);
    const outliers = outputs.map((o) => {
      const label = this.outlierLabel;
      if (label === null) return null;
      if (label === "most_frequent") {
        const counts = new Int32Array(o.classes.length);
        for (const c of o.codes) counts[c]++;
        let best = 0;
        for (let c = 1; c < counts.length; c++) if (counts[c] > counts[best]) best = c;
        return o.classes[best];
      }
      if (typeof label !== typeof o.classes[0]) {
        throw new KnnInputError(`outlierLabel ${describeValue(label)} is not of the type of the classes (${typeof o.classes[0]}s)`);
      }
      return label;
    });
    this.neighbors.fit(m);
    this.outputs = outputs;
    this.outlierLabels = outliers;
    return this;
  }

  private fitted(): void {
    if (this.outputs.length === 0) throw new NotFittedError("RadiusNeighborsClassifier");
  }

  toState(): RadiusNeighborsClassifierState {
    this.fitted();
    return {
      estimator: "RadiusNeighborsClassifier",
      version: STATE_VERSION,
      neighbors: this.neighbors.toState(),
      weightsName: weightsName(this.weights),
      outlierLabel: this.outlierLabel,
      outputs: storedOutputs(this.outputs),
      outlierLabels: this.outlierLabels,
    };
  }

  /** A fitted estimator from its state, checked first (see checkModelState); no refit. */
  static fromState(state: RadiusNeighborsClassifierState, restore: RestoreOptions = {}): RadiusNeighborsClassifier {
    if (!restore.trusted) checkModelState(state);
    const est = withNeighbors(new RadiusNeighborsClassifier({ weights: state.weightsName as Weights | undefined, outlierLabel: state.outlierLabel }), state);
    est.outputs = restoredOutputs(state.outputs);
    est.outlierLabels = [...state.outlierLabels];
    return est;
  }

  /** Per output, class probabilities (rows without neighbours: 1 for the outlier label when it is a class, else all 0). */
  predictProbaOutputs(Q: RowsLike): Probabilities[] {
    this.fitted();
    const r = this.neighbors.radiusNeighbors(toRows(Q, "Q"));
    const empty: number[] = [];
    for (let i = 0; i < r.rows; i++) if (r.offsets[i + 1] === r.offsets[i]) empty.push(i);
    if (empty.length > 0 && this.outlierLabels.some((l) => l === null)) {
      throw new KnnInputError(
        `no neighbours within the radius for query rows [${empty.slice(0, 10).join(", ")}${empty.length > 10 ? ", ..." : ""}]; use a larger radius, give an outlierLabel, or remove them`,
      );
    }
    return voteProbabilities(r, this.weights, this.outputs, this.outputs.map((o, k) => o.classes.indexOf(this.outlierLabels[k] as Label)));
  }

  /** Per output, each row's most probable class code (-1 where every probability is 0: the outlier label, not a class). */
  predictCodes(Q: RowsLike): Int32Array[] {
    return this.predictProbaOutputs(Q).map((p, k) => argmaxCodes(p, this.outputs[k].classes.indexOf(this.outlierLabels[k] as Label)));
  }

  /** The predicted labels, one array per output. */
  predict(Q: RowsLike): Label[][] {
    return this.predictCodes(Q).map((codes, k) => Array.from(codes, (c) => (c < 0 ? (this.outlierLabels[k] as Label) : this.outputs[k].classes[c])));
  }
}

/** The weighted mean target of the training rows within `radius` (NaN where there are none), per output. */
export class RadiusNeighborsRegressor {
  readonly neighbors: NearestNeighbors;
  readonly weights: Weights;
  /** Per output, the training targets. */
  values: Float64Array[] = [];

  constructor(options: NeighborsOptions & { weights?: Weights } = {}) {
    const { weights, ...rest } = options;
    this.weights = checkWeights(weights ?? "uniform");
    this.neighbors = new NearestNeighbors(rest);
  }

  fit(X: RowsLike, y: ArrayLike<number> | readonly ArrayLike<number>[]): this {
    const m = toRows(X, "X");
    const values = targetColumns(y, m.rows).map((c) => finiteValues(c));
    this.neighbors.fit(m);
    this.values = values;
    return this;
  }

  toState(): ValuesState {
    if (this.values.length === 0) throw new NotFittedError("RadiusNeighborsRegressor");
    return { estimator: "RadiusNeighborsRegressor", version: STATE_VERSION, neighbors: this.neighbors.toState(), weightsName: weightsName(this.weights), values: this.values };
  }

  /** A fitted estimator from its state, checked first (see checkModelState); no refit. */
  static fromState(state: ValuesState, restore: RestoreOptions = {}): RadiusNeighborsRegressor {
    if (!restore.trusted) checkModelState(state);
    const est = withNeighbors(new RadiusNeighborsRegressor({ weights: state.weightsName as Weights | undefined }), state);
    est.values = [...state.values];
    return est;
  }

  /** Predictions as a row-major matrix: rows × outputs. */
  predict(Q: RowsLike): Matrix {
    if (this.values.length === 0) throw new NotFittedError("RadiusNeighborsRegressor");
    const r = this.neighbors.radiusNeighbors(toRows(Q, "Q"));
    return weightedMeans(r, this.weights, this.values);
  }
}

function finiteValues(c: ArrayLike<number>): Float64Array {
  const v = Float64Array.from(c);
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new KnnInputError(`y contains a non-finite value at position ${i}`);
  return v;
}

/** Per row and output, Σ w·y / Σ w over the row's neighbours (NaN for a row without any). */
export function weightedMeans(r: Ragged, weights: Weights, values: Float64Array[]): Matrix {
  const n = values.length;
  const data = new Float64Array(r.rows * n);
  for (let i = 0; i < r.rows; i++) {
    const from = r.offsets[i];
    const w = weightsOf(weights, r, i);
    let den = 0;
    for (const x of w) den += x;
    for (let k = 0; k < n; k++) {
      let num = 0;
      for (let j = from; j < r.offsets[i + 1]; j++) num += w[j - from] * values[k][r.indices[j]];
      data[i * n + k] = w.length === 0 ? NaN : num / den;
    }
  }
  return { data, rows: r.rows, cols: n };
}

/** "distance" (the graph holds distances) or "connectivity" (ones). */
export type GraphMode = "distance" | "connectivity";

function checkMode(mode: unknown): GraphMode {
  if (mode !== "distance" && mode !== "connectivity") throw new KnnInputError(`mode must be "distance" or "connectivity", got ${describeValue(mode)}`);
  return mode;
}

function radiusGraph(r: RadiusResult, mode: GraphMode, cols: number): CsrGraph {
  const data = mode === "distance" ? r.distances : new Float64Array(r.indices.length).fill(1);
  return { indptr: r.offsets, indices: r.indices, data, shape: [r.rows, cols] };
}

/** What both graph transformers share: the mode, the fitted neighbours, fit and fitTransform. */
abstract class GraphTransformer {
  readonly neighbors: NearestNeighbors;
  readonly mode: GraphMode;

  constructor(options: NeighborsOptions & { mode?: GraphMode } = {}) {
    const { mode, ...rest } = options;
    this.mode = checkMode(mode ?? "distance");
    this.neighbors = new NearestNeighbors(rest);
  }

  fit(X: RowsLike): this {
    this.neighbors.fit(X);
    return this;
  }

  abstract transform(X: RowsLike): CsrGraph;

  toState(): TransformerState {
    return { estimator: this instanceof KNeighborsTransformer ? "KNeighborsTransformer" : "RadiusNeighborsTransformer", version: STATE_VERSION, neighbors: this.neighbors.toState(), mode: this.mode };
  }

  /** A fitted transformer from its state, checked first (see checkModelState); no refit. */
  static fromState(state: TransformerState, restore: RestoreOptions = {}): KNeighborsTransformer | RadiusNeighborsTransformer {
    if (!restore.trusted) checkModelState(state);
    const Kind = state.estimator === "KNeighborsTransformer" ? KNeighborsTransformer : RadiusNeighborsTransformer;
    return withNeighbors(new Kind({ mode: state.mode }), state);
  }

  fitTransform(X: RowsLike): CsrGraph {
    return this.fit(X).transform(X);
  }
}

/**
 * The k-neighbours graph of X as a sparse matrix (scikit-learn's
 * KNeighborsTransformer). In "distance" mode each row holds nNeighbors + 1
 * entries, so that transforming the training rows (where each row is its own
 * nearest, at distance 0) leaves nNeighbors others.
 */
export class KNeighborsTransformer extends GraphTransformer {
  transform(X: RowsLike): CsrGraph {
    const k = this.neighbors.options.nNeighbors + (this.mode === "distance" ? 1 : 0);
    return this.neighbors.kneighborsGraph(toRows(X, "X"), k, this.mode);
  }
}

/** The radius-neighbours graph of X as a sparse matrix, rows sorted by distance in "distance" mode (scikit-learn's RadiusNeighborsTransformer). */
export class RadiusNeighborsTransformer extends GraphTransformer {
  transform(X: RowsLike): CsrGraph {
    const r = this.neighbors.radiusNeighbors(toRows(X, "X"), this.neighbors.options.radius, { sortResults: this.mode === "distance" });
    return radiusGraph(r, this.mode, this.neighbors.nSamplesFit);
  }
}

/** The q-th percentile (0..100) of values, interpolated linearly (numpy's default). */
export function percentile(values: Float64Array, q: number): number {
  const s = Float64Array.from(values).sort();
  const pos = ((s.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * Local Outlier Factor (scikit-learn's LocalOutlierFactor): how much lower a
 * row's local reachability density is than its neighbours'. negativeOutlierFactor
 * holds -LOF of each training row; offset is -1.5 for contamination "auto",
 * else the contamination-th percentile of negativeOutlierFactor.
 */
export class LocalOutlierFactor {
  readonly neighbors: NearestNeighbors;
  readonly contamination: number | "auto";
  nNeighborsUsed = 0;
  negativeOutlierFactor: Float64Array = new Float64Array(0);
  offset = 0;
  private lrd: Float64Array = new Float64Array(0);
  /** Each training row's distance to its nNeighborsUsed-th neighbour. */
  private kDistance: Float64Array = new Float64Array(0);

  constructor(options: NeighborsOptions & { contamination?: number | "auto" } = {}) {
    const { contamination, nNeighbors, ...rest } = options;
    const c = contamination ?? "auto";
    if (c !== "auto" && !(typeof c === "number" && c > 0 && c <= 0.5)) throw new KnnInputError(`contamination must be "auto" or a number in (0, 0.5], got ${describeValue(c)}`);
    this.contamination = c;
    this.neighbors = new NearestNeighbors({ ...rest, nNeighbors: nNeighbors ?? 20 });
  }

  fit(X: RowsLike): this {
    const m = toRows(X, "X");
    if (m.rows < 2) throw new KnnInputError(`LocalOutlierFactor needs at least 2 training rows, got n_samples = ${m.rows}`);
    this.neighbors.fit(m);
    const k = Math.max(1, Math.min(this.neighbors.options.nNeighbors, m.rows - 1));
    const res = this.neighbors.kneighbors(undefined, k);
    const kDistance = new Float64Array(m.rows);
    for (let i = 0; i < m.rows; i++) kDistance[i] = res.distances[i * k + k - 1];
    this.nNeighborsUsed = k;
    this.kDistance = kDistance;
    this.lrd = this.density(res.indices, res.distances, m.rows);
    this.negativeOutlierFactor = this.negatedFactors(res.indices, this.lrd);
    this.offset = this.contamination === "auto" ? -1.5 : percentile(this.negativeOutlierFactor, 100 * this.contamination);
    return this;
  }

  toState(): LocalOutlierFactorState {
    if (this.nNeighborsUsed === 0) throw new NotFittedError("LocalOutlierFactor");
    return {
      estimator: "LocalOutlierFactor",
      version: STATE_VERSION,
      neighbors: this.neighbors.toState(),
      contamination: this.contamination,
      nNeighborsUsed: this.nNeighborsUsed,
      offset: this.offset,
      negativeOutlierFactor: this.negativeOutlierFactor,
      lrd: this.lrd,
      kDistance: this.kDistance,
    };
  }

  /** A fitted estimator from its state, checked first (see checkModelState); no refit. */
  static fromState(state: LocalOutlierFactorState, restore: RestoreOptions = {}): LocalOutlierFactor {
    if (!restore.trusted) checkModelState(state);
    const est = withNeighbors(new LocalOutlierFactor({ contamination: state.contamination }), state);
    est.nNeighborsUsed = state.nNeighborsUsed;
    est.offset = state.offset;
    est.negativeOutlierFactor = state.negativeOutlierFactor;
    est.lrd = state.lrd;
    est.kDistance = state.kDistance;
    return est;
  }

  private density(indices: Int32Array, distances: Float64Array, rows: number): Float64Array {
    const k = this.nNeighborsUsed;
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.max(distances[i * k + j], this.kDistance[indices[i * k + j]]);
      out[i] = 1 / (sum / k + 1e-10);
    }
    return out;
  }

  private negatedFactors(indices: Int32Array, lrd: Float64Array): Float64Array {
    const k = this.nNeighborsUsed;
    const out = new Float64Array(lrd.length);
    for (let i = 0; i < lrd.length; i++) {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += this.lrd[indices[i * k + j]] / lrd[i];
      out[i] = -(sum / k);
    }
    return out;
  }

  /** -LOF of new rows against the training rows (scikit-learn's score_samples with novelty=True). */
  scoreSamples(Q: RowsLike): Float64Array {
    if (this.nNeighborsUsed === 0) throw new NotFittedError("LocalOutlierFactor");
    const res = this.neighbors.kneighbors(toRows(Q, "Q"), this.nNeighborsUsed);
    return this.negatedFactors(res.indices, this.density(res.indices, res.distances, res.rows));
  }

  /** scoreSamples − offset: negative for outliers. */
  decisionFunction(Q: RowsLike): Float64Array {
    return this.scoreSamples(Q).map((s) => s - this.offset);
  }

  /** 1 for inliers, -1 for outliers, of new rows. */
  predict(Q: RowsLike): Int32Array {
    return Int32Array.from(this.decisionFunction(Q), (d) => (d < 0 ? -1 : 1));
  }

  /** 1 for inliers, -1 for outliers, of the training rows. */
  fitPredict(X: RowsLike): Int32Array {
    this.fit(X);
    return Int32Array.from(this.negativeOutlierFactor, (s) => (s < this.offset ? -1 : 1));
  }
}

/**
 * Nearest centroid classification (scikit-learn's NearestCentroid): class means
 * (medians for manhattan), optionally shrunk towards the overall mean, and the
 * discriminant scores −‖x − c‖²/σ² + 2·log(prior) (euclidean).
 */
export class NearestCentroid {
  readonly metric: "euclidean" | "manhattan";
  readonly shrinkThreshold: number | null;
  readonly priors: "uniform" | "empirical" | readonly number[];
  classes: Label[] = [];
  centroids: Matrix | null = null;
  classPrior: Float64Array = new Float64Array(0);
  withinClassStdDev: Float64Array = new Float64Array(0);
  deviations: Matrix | null = null;

  constructor(options: { metric?: "euclidean" | "manhattan"; shrinkThreshold?: number | null; priors?: "uniform" | "empirical" | readonly number[] } = {}) {
    const metric = options.metric ?? "euclidean";
    if (metric !== "euclidean" && metric !== "manhattan") throw new KnnInputError(`metric must be "euclidean" or "manhattan", got ${describeValue(metric)}`);
    const shrink = options.shrinkThreshold ?? null;
    if (shrink !== null && !(typeof shrink === "number" && shrink >= 0)) throw new KnnInputError(`shrinkThreshold must be a number >= 0 or null, got ${describeValue(shrink)}`);
    const priors = options.priors ?? "uniform";
    if (priors !== "uniform" && priors !== "empirical" && !Array.isArray(priors)) throw new KnnInputError(`priors must be "uniform", "empirical" or an array, got ${describeValue(priors)}`);
    this.metric = metric;
    this.shrinkThreshold = shrink;
    this.priors = priors;
  }

  fit(X: RowsLike, y: ArrayLike<Label>): this {
    const m = toDense(X, "X");
    checkTarget(y, m.rows);
    const { classes, codes } = encodeLabels(y);
    const nc = classes.length;
    if (nc < 2) throw new KnnInputError(`the number of classes has to be greater than one; got ${nc} class`);
    const { rows, cols, data } = m;
    const nk = new Float64Array(nc);
    for (const c of codes) nk[c]++;
    let prior: Float64Array;
    if (this.priors === "empirical") prior = nk.map((n) => n / rows);
    else if (this.priors === "uniform") prior = new Float64Array(nc).fill(1 / nc);
    else {
      if (this.priors.length !== nc) throw new KnnInputError(`priors has ${this.priors.length} entries for ${nc} classes`);
      prior = Float64Array.from(this.priors);
    }
    if (prior.some((p) => !(p >= 0))) throw new KnnInputError("priors must be non-negative");
    const total = prior.reduce((a, b) => a + b, 0);
    if (Math.abs(total - 1) > 1e-8) prior = prior.map((p) => p / total);
    const centroids = new Float64Array(nc * cols);
    for (let c = 0; c < nc; c++) {
      const members: number[] = [];
      for (let i = 0; i < rows; i++) if (codes[i] === c) members.push(i);
      for (let j = 0; j < cols; j++) {
        const v = Float64Array.from(members, (i) => data[i * cols + j]);
        centroids[c * cols + j] = this.metric === "manhattan" ? percentile(v, 50) : v.reduce((a, b) => a + b, 0) / v.length;
      }
    }
    const std = new Float64Array(cols);
    const mean = new Float64Array(cols);
    let constant = true;
    for (let j = 0; j < cols; j++) {
      let ss = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < rows; i++) {
        const v = data[i * cols + j];
        const d = v - centroids[codes[i] * cols + j];
        ss += d * d;
        mean[j] += v;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      if (hi > lo) constant = false;
      std[j] = Math.sqrt(ss / (rows - nc));
      mean[j] /= rows;
    }
    if (constant) throw new KnnInputError("all features have zero variance (division by zero)");
    const s = std.map((v) => v + percentile(std, 50));
    const deviations = new Float64Array(nc * cols);
    for (let c = 0; c < nc; c++) {
      const mc = Math.sqrt(1 / nk[c] - 1 / rows);
      for (let j = 0; j < cols; j++) {
        const ms = mc * s[j];
        let dev = (centroids[c * cols + j] - mean[j]) / ms;
        if (this.shrinkThreshold) {
          dev = Math.sign(dev) * Math.max(0, Math.abs(dev) - this.shrinkThreshold);
          centroids[c * cols + j] = mean[j] + ms * dev;
        }
        deviations[c * cols + j] = dev;
      }
    }
    this.classes = classes;
    this.centroids = { data: centroids, rows: nc, cols };
    this.classPrior = prior;
    this.withinClassStdDev = std;
    this.deviations = { data: deviations, rows: nc, cols };
    return this;
  }

  toState(): NearestCentroidState {
    if (this.centroids === null) throw new NotFittedError("NearestCentroid");
    return {
      estimator: "NearestCentroid",
      version: STATE_VERSION,
      metric: this.metric,
      shrinkThreshold: this.shrinkThreshold,
      priors: this.priors,
      classes: this.classes,
      cols: this.centroids.cols,
      centroids: this.centroids.data as Float64Array,
      deviations: this.deviations!.data as Float64Array,
      classPrior: this.classPrior,
      withinClassStdDev: this.withinClassStdDev,
    };
  }

  /** A fitted estimator from its state, checked first (see checkModelState); no refit. */
  static fromState(state: NearestCentroidState, restore: RestoreOptions = {}): NearestCentroid {
    if (!restore.trusted) checkModelState(state);
    const est = new NearestCentroid({ metric: state.metric, shrinkThreshold: state.shrinkThreshold, priors: state.priors });
    const nc = state.classes.length;
    est.classes = [...state.classes];
    est.centroids = { data: state.centroids, rows: nc, cols: state.cols };
    est.deviations = { data: state.deviations, rows: nc, cols: state.cols };
    est.classPrior = state.classPrior;
    est.withinClassStdDev = state.withinClassStdDev;
    return est;
  }

  private fittedCentroids(Q: RowsLike): { q: Matrix; c: Matrix } {
    if (this.centroids === null) throw new NotFittedError("NearestCentroid");
    const q = toDense(Q, "Q");
    if (q.cols !== this.centroids.cols) throw new KnnInputError(`Q has ${q.cols} features, but NearestCentroid was fitted with ${this.centroids.cols} features`);
    return { q, c: this.centroids };
  }

  /** Discriminant scores, rows × classes: −‖(x − c)/σ‖² + 2·log(prior) (σ = withinClassStdDev where nonzero). */
  scores(Q: RowsLike): Matrix {
    const { q, c } = this.fittedCentroids(Q);
    const nc = c.rows;
    const out = new Float64Array(q.rows * nc);
    const std = this.withinClassStdDev;
    for (let i = 0; i < q.rows; i++) {
      for (let k = 0; k < nc; k++) {
        let s = 0;
        for (let j = 0; j < q.cols; j++) {
          const sd = std[j] !== 0 ? std[j] : 1;
          const d = q.data[i * q.cols + j] / sd - c.data[k * c.cols + j] / sd;
          s += this.metric === "manhattan" ? Math.abs(d) : d * d;
        }
        const dist = this.metric === "manhattan" ? s : Math.sqrt(s);
        out[i * nc + k] = -(dist * dist) + 2 * Math.log(this.classPrior[k]);
      }
    }
    return { data: out, rows: q.rows, cols: nc };
  }

  /** Each row's class code: the nearest centroid with uniform priors, else the best discriminant score. */
  predictCodes(Q: RowsLike): Int32Array {
    const uniform = this.classPrior.every((p) => Math.abs(p - 1 / this.classPrior.length) <= 1e-8 + 1e-5 / this.classPrior.length);
    if (!uniform) {
      const s = this.scores(Q);
      return Int32Array.from({ length: s.rows }, (_, i) => argmax(s.data.subarray(i * s.cols, (i + 1) * s.cols) as Float64Array));
    }
    const { q, c } = this.fittedCentroids(Q);
    const out = new Int32Array(q.rows);
    for (let i = 0; i < q.rows; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let k = 0; k < c.rows; k++) {
        let s = 0;
        for (let j = 0; j < q.cols; j++) {
          const d = q.data[i * q.cols + j] - c.data[k * c.cols + j];
          s += this.metric === "manhattan" ? Math.abs(d) : d * d;
        }
        if (s < bestD) {
          bestD = s;
          best = k;
        }
      }
      out[i] = best;
    }
    return out;
  }

  predict(Q: RowsLike): Label[] {
    return Array.from(this.predictCodes(Q), (c) => this.classes[c]);
  }

  /** Class probabilities: the softmax of the discriminant scores (euclidean only, as scikit-learn). */
  predictProba(Q: RowsLike): Matrix {
    if (this.metric !== "euclidean") throw new KnnInputError('predictProba needs metric "euclidean"');
    const s = this.scores(Q);
    const out = new Float64Array(s.data.length);
    for (let i = 0; i < s.rows; i++) {
      const row = s.data.subarray(i * s.cols, (i + 1) * s.cols);
      const max = Math.max(...row);
      let sum = 0;
      for (let k = 0; k < s.cols; k++) sum += Math.exp(row[k] - max);
      for (let k = 0; k < s.cols; k++) out[i * s.cols + k] = Math.exp(row[k] - max - Math.log(sum));
    }
    return { data: out, rows: s.rows, cols: s.cols };
  }
}

function argmax(a: Float64Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}


/** Any estimator of this file, or a KNNImputer: the kinds a ModelState describes. */
export type Model =
  | RadiusNeighborsClassifier
  | RadiusNeighborsRegressor
  | KNeighborsMultiOutputClassifier
  | KNeighborsMultiOutputRegressor
  | KNeighborsTransformer
  | RadiusNeighborsTransformer
  | LocalOutlierFactor
  | NearestCentroid
  | KNNImputer;

/** Each kind's class, by its name. */
const MODEL_CLASSES = [
  ["RadiusNeighborsClassifier", RadiusNeighborsClassifier],
  ["RadiusNeighborsRegressor", RadiusNeighborsRegressor],
  ["KNeighborsMultiOutputClassifier", KNeighborsMultiOutputClassifier],
  ["KNeighborsMultiOutputRegressor", KNeighborsMultiOutputRegressor],
  ["KNeighborsTransformer", KNeighborsTransformer],
  ["RadiusNeighborsTransformer", RadiusNeighborsTransformer],
  ["LocalOutlierFactor", LocalOutlierFactor],
  ["NearestCentroid", NearestCentroid],
  ["KNNImputer", KNNImputer],
] as const satisfies readonly (readonly [ModelName, unknown])[];

/** The kind of a Model (null for anything else). */
export function modelName(obj: unknown): ModelName | null {
  for (const [name, C] of MODEL_CLASSES) if (obj instanceof C) return name;
  return null;
}

export function isModel(obj: unknown): obj is Model {
  return modelName(obj) !== null;
}

/** Rebuilds a fitted model from its state without refitting, after checking it (see checkModelState). */
export function modelFromState(state: ModelState, restore: RestoreOptions = {}): Model {
  if (!restore.trusted) checkModelState(state);
  const trusted = { trusted: true };
  switch (state.estimator) {
    case "RadiusNeighborsClassifier":
      return RadiusNeighborsClassifier.fromState(state, trusted);
    case "KNeighborsMultiOutputClassifier":
      return KNeighborsMultiOutputClassifier.fromState(state, trusted);
    case "RadiusNeighborsRegressor":
      return RadiusNeighborsRegressor.fromState(state, trusted);
    case "KNeighborsMultiOutputRegressor":
      return KNeighborsMultiOutputRegressor.fromState(state, trusted);
    case "KNeighborsTransformer":
    case "RadiusNeighborsTransformer":
      return GraphTransformer.fromState(state, trusted);
    case "LocalOutlierFactor":
      return LocalOutlierFactor.fromState(state, trusted);
    case "NearestCentroid":
      return NearestCentroid.fromState(state, trusted);
    case "KNNImputer":
      return KNNImputer.fromState(state, trusted);
  }
}
