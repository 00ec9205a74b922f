/**
 * The engine's side of the rest of sklearn.neighbors and KNNImputer (issue 16):
 * their scikit-learn parameter names, how each is built from a fit request,
 * and the operations on them. engine.ts dispatches here for these kinds; the
 * error codes are the engine's.
 *
 * Multi-output targets cross as one flat row-major y with the field
 * `outputs` (the number of columns).
 */
import {
  KNNImputer,
  KNeighborsMultiOutputClassifier,
  KNeighborsMultiOutputRegressor,
  KNeighborsTransformer,
  KnnInputError,
  LocalOutlierFactor,
  NearestCentroid,
  RadiusNeighborsClassifier,
  RadiusNeighborsRegressor,
  RadiusNeighborsTransformer,
  MODEL_NAMES,
  modelName,
  r2Score,
  type CsrGraph,
  type Model,
  type ModelName,
  type Label,
  type CsrMatrix,
  type Matrix,
} from "@knnkit/core";
import { EngineError, decodeNumber, type EngineAnswer, type EngineArray, type EngineInputs, type Labels } from "./engine.js";

export const MORE_KINDS = MODEL_NAMES;
export type MoreKind = ModelName;

const NEIGHBORS: Record<string, string> = {
  algorithm: "algorithm",
  leaf_size: "leafSize",
  metric: "metric",
  p: "p",
  metric_params: "",
  n_jobs: "",
};

/** scikit-learn parameter name -> core option name ("" : handled by the engine or the client, not passed to core). */
export const MORE_PARAMS: Record<MoreKind, Record<string, string>> = {
  RadiusNeighborsClassifier: { ...NEIGHBORS, radius: "radius", weights: "weights", outlier_label: "outlierLabel" },
  RadiusNeighborsRegressor: { ...NEIGHBORS, radius: "radius", weights: "weights" },
  // KNeighborsClassifier/Regressor with a 2-D y (scikit-learn's parameters, prefilter knobs excepted)
  KNeighborsMultiOutputClassifier: { ...NEIGHBORS, n_neighbors: "nNeighbors", weights: "weights" },
  KNeighborsMultiOutputRegressor: { ...NEIGHBORS, n_neighbors: "nNeighbors", weights: "weights" },
  KNeighborsTransformer: { ...NEIGHBORS, n_neighbors: "nNeighbors", mode: "mode" },
  RadiusNeighborsTransformer: { ...NEIGHBORS, radius: "radius", mode: "mode" },
  LocalOutlierFactor: { ...NEIGHBORS, n_neighbors: "nNeighbors", contamination: "contamination", novelty: "" },
  NearestCentroid: { metric: "metric", shrink_threshold: "shrinkThreshold", priors: "priors" },
  KNNImputer: {
    n_neighbors: "nNeighbors",
    weights: "weights",
    missing_values: "missingValues",
    add_indicator: "addIndicator",
    keep_empty_features: "keepEmptyFeatures",
    copy: "",
    n_jobs: "",
  },
};

/** Operations only these kinds have (any other kind answers "unsupported"). */
export const MORE_OPERATIONS: readonly string[] = ["transform", "score_samples", "decision_function", "attributes"];

export function isMoreKind(kind: unknown): kind is MoreKind {
  return typeof kind === "string" && (MORE_KINDS as readonly string[]).includes(kind);
}

/** The target's columns: one, or `outputs` columns of a flat row-major y. */
function columns(y: Labels, outputs: unknown): Labels[] {
  const n = outputs === undefined || outputs === null ? 1 : outputs;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) throw new EngineError("param", `outputs must be an integer >= 1, got ${String(n)}`);
  if (n === 1) return [y];
  if (y.length % n !== 0) throw new EngineError("input", `y has ${y.length} values, not a multiple of its ${n} outputs`);
  const rows = y.length / n;
  return Array.from({ length: n }, (_, k) => {
    if (y instanceof Float64Array) return Float64Array.from({ length: rows }, (_, i) => y[i * n + k]);
    return Array.from({ length: rows }, (_, i) => y[i * n + k]);
  });
}

/** A builder for a kind from core options (the constructor runs now, so a bad option is a "param" error). */
export function constructMore(
  kind: MoreKind,
  options: Record<string, unknown>,
  asParam: <T>(make: () => T) => T,
): (X: Matrix | CsrMatrix, y: Labels | undefined, fields: Record<string, unknown>) => Model {
  const needY = (y: Labels | undefined): Labels => {
    if (y === undefined) throw new EngineError("input", `${kind} needs a target y`);
    return y;
  };
  switch (kind) {
    case "RadiusNeighborsClassifier": {
      const est = asParam(() => new RadiusNeighborsClassifier(options));
      return (X, y, fields) => {
        const label = est.outlierLabel;
        const target = needY(y);
        if (label !== null && label !== "most_frequent" && (typeof label === "number") !== target instanceof Float64Array) {
          throw new EngineError("param", `the type of outlier_label ${JSON.stringify(label)} is inconsistent with the classes in y`);
        }
        return est.fit(X, columns(target, fields.outputs) as Label[][]);
      };
    }
    case "RadiusNeighborsRegressor": {
      const est = asParam(() => new RadiusNeighborsRegressor(options));
      return (X, y, fields) => est.fit(X, numeric(columns(needY(y), fields.outputs)));
    }
    case "KNeighborsMultiOutputClassifier": {
      const est = asParam(() => new KNeighborsMultiOutputClassifier(options));
      return (X, y, fields) => est.fit(X, columns(needY(y), fields.outputs) as Label[][]);
    }
    case "KNeighborsMultiOutputRegressor": {
      const est = asParam(() => new KNeighborsMultiOutputRegressor(options));
      return (X, y, fields) => est.fit(X, numeric(columns(needY(y), fields.outputs)));
    }
    case "KNeighborsTransformer": {
      const est = asParam(() => new KNeighborsTransformer(options));
      return (X) => est.fit(X);
    }
    case "RadiusNeighborsTransformer": {
      const est = asParam(() => new RadiusNeighborsTransformer(options));
      return (X) => est.fit(X);
    }
    case "LocalOutlierFactor": {
      const est = asParam(() => new LocalOutlierFactor(options));
      return (X) => est.fit(X);
    }
    case "NearestCentroid": {
      const est = asParam(() => new NearestCentroid(options));
      return (X, y) => est.fit(X, needY(y));
    }
    case "KNNImputer": {
      const est = asParam(() => new KNNImputer(options));
      return (X) => est.fit(X);
    }
  }
}

function numeric(cols: Labels[]): Float64Array[] {
  return cols.map((c) => {
    if (!(c instanceof Float64Array)) throw new EngineError("input", "a regressor needs a numeric target y");
    return c;
  });
}

/** The kind of an object of these kinds (null for any other). */
export const kindOfMore: (obj: object) => MoreKind | null = modelName;

/** What the client learns at fit: sizes, the index's algorithm, classes per output, and fitted scalars. */
export function describeMore(obj: Model): Record<string, unknown> {
  if (obj instanceof NearestCentroid) {
    const c = obj.centroids!;
    return { rows: c.rows, cols: c.cols, algorithm: "", dtype: "float64", classes: obj.classes };
  }
  if (obj instanceof KNNImputer) return { rows: 0, cols: obj.nFeaturesIn, algorithm: "", dtype: "float64" };
  const nn = obj.neighbors;
  const base = { rows: nn.nSamplesFit, cols: nn.nFeaturesIn, algorithm: String(nn.fitAlgorithm), dtype: nn.fittedIndex.dtype };
  if (obj instanceof RadiusNeighborsClassifier) return { ...base, outputClasses: obj.outputs.map((o) => o.classes), outlierLabels: obj.outlierLabels };
  if (obj instanceof KNeighborsMultiOutputClassifier) return { ...base, outputClasses: obj.outputs.map((o) => o.classes) };
  if (obj instanceof RadiusNeighborsRegressor || obj instanceof KNeighborsMultiOutputRegressor) return { ...base, outputs: obj.values.length };
  if (obj instanceof LocalOutlierFactor) return { ...base, nNeighbors: obj.nNeighborsUsed, offset: obj.offset };
  return base;
}

function graphArrays(g: CsrGraph): EngineAnswer {
  return { result: { shape: g.shape }, arrays: { indptr: g.indptr, indices: g.indices, data: g.data } };
}

function flatCodes(codes: Int32Array[]): Int32Array {
  const n = codes.length;
  const out = new Int32Array(codes[0].length * n);
  codes.forEach((c, k) => c.forEach((v, i) => (out[i * n + k] = v)));
  return out;
}

/** Runs an operation on an object of these kinds; null when the kind has no such operation. */
export function moreOperation(obj: Model, op: string, fields: Record<string, unknown>, inputs: EngineInputs): EngineAnswer | null {
  const X = (): Matrix | CsrMatrix => {
    if (!inputs.X) throw new EngineError("input", `${op} needs the matrix X`);
    return inputs.X;
  };
  const none = { result: {}, arrays: {} as Record<string, EngineArray> };
  switch (op) {
    case "predict":
      if (obj instanceof RadiusNeighborsClassifier || obj instanceof KNeighborsMultiOutputClassifier) {
        return { result: { outputs: obj.outputs.length }, arrays: { codes: flatCodes(obj.predictCodes(X())) } };
      }
      if (obj instanceof RadiusNeighborsRegressor || obj instanceof KNeighborsMultiOutputRegressor) return { result: {}, arrays: { values: obj.predict(X()).data } };
      if (obj instanceof NearestCentroid) return { result: {}, arrays: { codes: obj.predictCodes(X()) } };
      if (obj instanceof LocalOutlierFactor) return { result: {}, arrays: { labels: obj.predict(X()) } };
      return null;
    case "predict_proba":
      if (obj instanceof RadiusNeighborsClassifier || obj instanceof KNeighborsMultiOutputClassifier) {
        const arrays: Record<string, EngineArray> = {};
        obj.predictProbaOutputs(X()).forEach((p, k) => (arrays[`proba_${k}`] = p));
        return { result: { outputs: obj.outputs.length }, arrays };
      }
      if (obj instanceof NearestCentroid) return { result: {}, arrays: { proba: obj.predictProba(X()) } };
      return null;
    case "decision_function":
      if (obj instanceof NearestCentroid) return { result: {}, arrays: { scores: obj.scores(X()) } };
      if (obj instanceof LocalOutlierFactor) return { result: {}, arrays: { scores: obj.decisionFunction(X()) } };
      return null;
    case "score_samples":
      if (obj instanceof LocalOutlierFactor) return { result: {}, arrays: { scores: obj.scoreSamples(X()) } };
      return null;
    case "transform":
      if (obj instanceof KNeighborsTransformer || obj instanceof RadiusNeighborsTransformer) return graphArrays(obj.transform(X()));
      if (obj instanceof KNNImputer) return { result: {}, arrays: { X: obj.transform(X()) } };
      return null;
    case "score": {
      if (!inputs.y) throw new EngineError("input", "score needs the target y");
      const y = inputs.y;
      if (obj instanceof RadiusNeighborsRegressor) {
        if (!(y instanceof Float64Array) || obj.values.length !== 1) throw new EngineError("input", "score needs a numeric single-output target y");
        return { result: { score: r2Score(y, obj.predict(X()).data) }, arrays: {} };
      }
      if (obj instanceof RadiusNeighborsClassifier || obj instanceof NearestCentroid) {
        const pred = obj instanceof NearestCentroid ? obj.predict(X()) : obj.predict(X())[0];
        if (pred.length !== y.length) throw new KnnInputError(`y has ${y.length} values but X has ${pred.length} rows`);
        let hits = 0;
        for (let i = 0; i < pred.length; i++) if (pred[i] === y[i]) hits++;
        return { result: { score: hits / pred.length }, arrays: {} };
      }
      return null;
    }
    case "attributes":
      if (obj instanceof LocalOutlierFactor) return { result: { offset: obj.offset, n_neighbors: obj.nNeighborsUsed }, arrays: { negative_outlier_factor: obj.negativeOutlierFactor } };
      if (obj instanceof NearestCentroid) {
        return {
          result: {},
          arrays: { centroids: obj.centroids!, deviations: obj.deviations!, within_class_std_dev: obj.withinClassStdDev, class_prior: obj.classPrior },
        };
      }
      if (obj instanceof KNNImputer) return { result: {}, arrays: { valid: obj.validFeatures, missing_features: obj.missingFeatures } };
      return none;
    case "kneighbors": {
      if (obj instanceof NearestCentroid || obj instanceof KNNImputer) return null;
      const k = fields.k;
      if (typeof k !== "number" || !Number.isInteger(k) || k < 1) throw new EngineError("param", `k (n_neighbors) must be an integer >= 1, got ${String(k)}`);
      const res = obj.neighbors.kneighbors(inputs.X, k);
      return { result: { rows: res.rows, k: res.k }, arrays: { indices: res.indices, distances: res.distances } };
    }
    case "radius": {
      if (obj instanceof NearestCentroid || obj instanceof KNNImputer) return null;
      const r = decodeNumber(fields.radius);
      if (typeof r !== "number") throw new EngineError("param", `radius must be a number, got ${String(r)}`);
      const res = obj.neighbors.radiusNeighbors(inputs.X, r, { sortResults: fields.sort === true });
      return { result: { rows: res.rows }, arrays: { offsets: res.offsets, indices: res.indices, distances: res.distances } };
    }
    default:
      return null;
  }
}
