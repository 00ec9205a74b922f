/**
 * Typed, versioned states of the estimators in neighbors-more.ts and of
 * KNNImputer, and their checks. Those built on a NearestNeighbors keep its
 * state (checked by checkEstimatorState) beside their own fields; each check
 * is O(size of the state) and throws one KnnInputError naming the first
 * problem, before anything uses the state.
 */
import { KnnInputError } from "./errors.js";
import { checkClasses, checkEstimatorState, type NearestNeighborsState } from "./estimators.js";
import { Checker } from "./index-state.js";
import type { Label } from "./prefilter.js";
import { STATE_VERSION } from "./shared.js";

interface ModelStateBase {
  readonly version: typeof STATE_VERSION;
}

/** A state built on a fitted NearestNeighbors; weightsName: "uniform" or "distance" (a weights function is not stored). */
interface OnNeighbors extends ModelStateBase {
  readonly neighbors: NearestNeighborsState;
}

export interface OutputState {
  readonly classes: readonly Label[];
  readonly codes: Int32Array;
}

export interface RadiusNeighborsClassifierState extends OnNeighbors {
  readonly estimator: "RadiusNeighborsClassifier";
  readonly weightsName?: string;
  readonly outlierLabel: Label | "most_frequent" | null;
  readonly outputs: readonly OutputState[];
  readonly outlierLabels: readonly (Label | null)[];
}

export interface MultiOutputClassifierState extends OnNeighbors {
  readonly estimator: "KNeighborsMultiOutputClassifier";
  readonly weightsName?: string;
  readonly outputs: readonly OutputState[];
}

export interface ValuesState extends OnNeighbors {
  readonly estimator: "RadiusNeighborsRegressor" | "KNeighborsMultiOutputRegressor";
  readonly weightsName?: string;
  readonly values: readonly Float64Array[];
}

export interface TransformerState extends OnNeighbors {
  readonly estimator: "KNeighborsTransformer" | "RadiusNeighborsTransformer";
  readonly mode: "distance" | "connectivity";
}

export interface LocalOutlierFactorState extends OnNeighbors {
  readonly estimator: "LocalOutlierFactor";
  readonly contamination: number | "auto";
  readonly nNeighborsUsed: number;
  readonly offset: number;
  readonly negativeOutlierFactor: Float64Array;
  readonly lrd: Float64Array;
  readonly kDistance: Float64Array;
}

export interface NearestCentroidState extends ModelStateBase {
  readonly estimator: "NearestCentroid";
  readonly metric: "euclidean" | "manhattan";
  readonly shrinkThreshold: number | null;
  readonly priors: "uniform" | "empirical" | readonly number[];
  readonly classes: readonly Label[];
  readonly cols: number;
  /** classes × cols, row-major. */
  readonly centroids: Float64Array;
  readonly deviations: Float64Array;
  readonly classPrior: Float64Array;
  readonly withinClassStdDev: Float64Array;
}

export interface KNNImputerState extends ModelStateBase {
  readonly estimator: "KNNImputer";
  readonly nNeighbors: number;
  readonly weights: "uniform" | "distance";
  readonly missingValues: number;
  readonly addIndicator: boolean;
  readonly keepEmptyFeatures: boolean;
  readonly rows: number;
  readonly cols: number;
  /** The training rows, row-major, missing entries as NaN (the imputer's fit keeps only these). */
  readonly data: Float64Array;
}

/** The state of any of these kinds. */
export type ModelState =
  | RadiusNeighborsClassifierState
  | MultiOutputClassifierState
  | ValuesState
  | TransformerState
  | LocalOutlierFactorState
  | NearestCentroidState
  | KNNImputerState;
export type ModelName = ModelState["estimator"];
export const MODEL_NAMES: readonly ModelName[] = [
  "RadiusNeighborsClassifier",
  "RadiusNeighborsRegressor",
  "KNeighborsMultiOutputClassifier",
  "KNeighborsMultiOutputRegressor",
  "KNeighborsTransformer",
  "RadiusNeighborsTransformer",
  "LocalOutlierFactor",
  "NearestCentroid",
  "KNNImputer",
];

export function isModelName(name: unknown): name is ModelName {
  return typeof name === "string" && (MODEL_NAMES as readonly string[]).includes(name);
}

/** Checks a state of these kinds before use (see the file comment). */
export function checkModelState(state: unknown): asserts state is ModelState {
  const s = new Checker("model state").object(state, "model state");
  const name = s.estimator;
  if (!isModelName(name)) throw new KnnInputError(`unknown estimator "${String(name)}"; expected one of ${MODEL_NAMES.join(", ")}`);
  const c = new Checker(`${name} state`);
  if (s.version !== STATE_VERSION) c.fail(`version ${String(s.version)} is not supported (this build reads version ${STATE_VERSION})`);
  if (name === "NearestCentroid") return checkCentroids(c, s);
  if (name === "KNNImputer") return checkImputer(c, s);
  checkEstimatorState(s.neighbors);
  const neighbors = s.neighbors as NearestNeighborsState;
  if (neighbors.estimator !== "NearestNeighbors") c.fail(`neighbors must be a NearestNeighbors state, got ${String(neighbors.estimator)}`);
  const rows = neighbors.index.params.rows;
  if ("weightsName" in s && s.weightsName !== undefined && s.weightsName !== "uniform" && s.weightsName !== "distance") {
    c.fail(`weightsName must be "uniform" or "distance", got ${String(s.weightsName)}`);
  }
  switch (name) {
    case "RadiusNeighborsClassifier":
    case "KNeighborsMultiOutputClassifier": {
      const outputs = outputList<OutputState>(c, s.outputs, "outputs");
      outputs.forEach((o, k) => checkClasses(c.object(o, `outputs[${k}]`).classes, o.codes, rows));
      if (name === "RadiusNeighborsClassifier") checkOutliers(c, s, outputs);
      return;
    }
    case "RadiusNeighborsRegressor":
    case "KNeighborsMultiOutputRegressor":
      outputList(c, s.values, "values").forEach((v, k) => {
        c.finite(c.array({ [`values[${k}]`]: v }, `values[${k}]`, [Float64Array], rows), `values[${k}]`);
      });
      return;
    case "KNeighborsTransformer":
    case "RadiusNeighborsTransformer":
      if (s.mode !== "distance" && s.mode !== "connectivity") c.fail(`mode must be "distance" or "connectivity", got ${String(s.mode)}`);
      return;
    case "LocalOutlierFactor":
      return checkOutlierFactor(c, s, rows);
  }
}

function outputList<T>(c: Checker, list: unknown, name: string): T[] {
  if (!Array.isArray(list) || list.length === 0) c.fail(`${name} must be a non-empty array, one entry per output`);
  return list as T[];
}

function checkOutliers(c: Checker, s: Record<string, unknown>, outputs: OutputState[]): void {
  const label = s.outlierLabel;
  if (label !== null && typeof label !== "number" && typeof label !== "string") c.fail(`outlierLabel must be a label, "most_frequent" or null`);
  const labels = s.outlierLabels;
  if (!Array.isArray(labels) || labels.length !== outputs.length) c.fail(`outlierLabels must hold one entry per output (${outputs.length})`);
  labels.forEach((l: unknown, k) => {
    if (label === null ? l !== null : typeof l !== typeof outputs[k].classes[0]) c.fail(`outlierLabels[${k}] does not fit outlierLabel ${String(label)} and the classes of output ${k}`);
  });
}

function checkOutlierFactor(c: Checker, s: Record<string, unknown>, rows: number): void {
  const contamination = s.contamination;
  if (contamination !== "auto" && !(typeof contamination === "number" && contamination > 0 && contamination <= 0.5)) {
    c.fail(`contamination must be "auto" or a number in (0, 0.5], got ${String(contamination)}`);
  }
  c.int(s.nNeighborsUsed, "nNeighborsUsed", 1, Math.max(1, rows - 1));
  if (typeof s.offset !== "number" || !Number.isFinite(s.offset)) c.fail(`offset must be a finite number, got ${String(s.offset)}`);
  const arrays = s as Record<string, unknown>;
  const factors = c.array(arrays, "negativeOutlierFactor", [Float64Array], rows);
  c.finite(factors, "negativeOutlierFactor");
  const lrd = c.array(arrays, "lrd", [Float64Array], rows);
  const kDistance = c.array(arrays, "kDistance", [Float64Array], rows);
  c.finite(lrd, "lrd");
  c.finite(kDistance, "kDistance");
  for (let i = 0; i < rows; i++) {
    if (!(lrd[i] > 0)) c.fail(`array lrd holds ${lrd[i]} at position ${i}; a density is > 0`);
    if (kDistance[i] < 0) c.fail(`array kDistance holds ${kDistance[i]} at position ${i}; a distance is >= 0`);
  }
}

function checkCentroids(c: Checker, s: Record<string, unknown>): void {
  if (s.metric !== "euclidean" && s.metric !== "manhattan") c.fail(`metric must be "euclidean" or "manhattan", got ${String(s.metric)}`);
  const shrink = s.shrinkThreshold;
  if (shrink !== null && !(typeof shrink === "number" && shrink >= 0)) c.fail(`shrinkThreshold must be a number >= 0 or null, got ${String(shrink)}`);
  const priors = s.priors;
  if (priors !== "uniform" && priors !== "empirical" && !(Array.isArray(priors) && priors.every((p) => typeof p === "number" && p >= 0))) {
    c.fail(`priors must be "uniform", "empirical" or an array of numbers >= 0`);
  }
  const classes = s.classes;
  if (!Array.isArray(classes) || classes.length < 2) c.fail("classes must be an array of at least 2 labels");
  const nc = classes.length;
  checkClasses(classes, new Int32Array(0), 0);
  const cols = c.int(s.cols, "cols", 1);
  const arrays = s as Record<string, unknown>;
  for (const name of ["centroids", "deviations"]) c.finite(c.array(arrays, name, [Float64Array], nc * cols), name);
  const prior = c.array(arrays, "classPrior", [Float64Array], nc);
  const std = c.array(arrays, "withinClassStdDev", [Float64Array], cols);
  c.finite(prior, "classPrior");
  c.finite(std, "withinClassStdDev");
  if (prior.some((p) => p < 0)) c.fail("array classPrior holds a negative prior");
  if (std.some((v) => v < 0)) c.fail("array withinClassStdDev holds a negative deviation");
}

function checkImputer(c: Checker, s: Record<string, unknown>): void {
  c.int(s.nNeighbors, "nNeighbors", 1);
  if (s.weights !== "uniform" && s.weights !== "distance") c.fail(`weights must be "uniform" or "distance", got ${String(s.weights)}`);
  if (typeof s.missingValues !== "number" || s.missingValues === Infinity || s.missingValues === -Infinity) {
    c.fail(`missingValues must be a finite number or NaN, got ${String(s.missingValues)}`);
  }
  for (const name of ["addIndicator", "keepEmptyFeatures"]) if (typeof s[name] !== "boolean") c.fail(`${name} must be a boolean`);
  const rows = c.int(s.rows, "rows", 1);
  const cols = c.int(s.cols, "cols", 1);
  if (rows * cols > Number.MAX_SAFE_INTEGER) c.fail(`rows*cols = ${rows}*${cols} is too large`);
  const data = c.array(s, "data", [Float64Array], rows * cols);
  for (let i = 0; i < data.length; i++) if (data[i] === Infinity || data[i] === -Infinity) c.fail(`array data holds ${data[i]} at position ${i}`);
}
