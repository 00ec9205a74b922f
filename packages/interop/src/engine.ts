/**
 * The engine behind every front door. It owns the handle table, the list of
 * operations, the translation of scikit-learn's parameters into core options,
 * the encoding of class labels and one error scheme (a stable code plus a
 * message). Transports (the IPC bridge, the Pyodide host) only decode arrays and
 * messages, call `Engine.call`, and encode the answer.
 */
import {
  BallTree,
  BruteForce,
  KDTree,
  KERNEL_NAMES,
  KNeighborsClassifier,
  KNeighborsRegressor,
  KnnIndex,
  KnnInputError,
  NearestNeighbors,
  NotFittedError,
  SparseBruteForce,
  cpuCount,
  csrMatrix,
  isCsr,
  isModel,
  resolveMetric,
  sparseRefused,
  type CsrMatrix,
  type KernelName,
  type Matrix,
  type Model,
} from "@knnkit/core";
import { MORE_KINDS, MORE_OPERATIONS, MORE_PARAMS, constructMore, describeMore, isMoreKind, kindOfMore, moreOperation } from "./engine-more.js";
import { autoReason } from "./notebook.js";
import { deserialize, serialize } from "./persistence.js";

/**
 * input: bad data; param: a bad parameter; not_fitted: unknown or freed handle; unsupported: valid but not
 * supported; io: a transport could not write its answer; internal: a bug.
 */
export type ErrorCode = "input" | "param" | "not_fitted" | "unsupported" | "io" | "internal";

export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "EngineError";
  }
}

/** The error code of anything thrown by the engine or by core. */
export function errorCode(e: unknown): ErrorCode {
  if (e instanceof EngineError) return e.code;
  if (e instanceof NotFittedError) return "not_fitted";
  if (e instanceof KnnInputError) return "input";
  return "internal";
}

export type Estimator = NearestNeighbors | KNeighborsClassifier | KNeighborsRegressor;
export type Fitted = Estimator | KDTree | BallTree | Model;
/** What the operations below take (the other kinds are answered in engine-more.ts first). */
type CoreFitted = Exclude<Fitted, Model>;
export type Labels = Float64Array | string[];

/** Arrays a transport decoded for a request. */
export interface EngineInputs {
  /** Dense rows, or sparse ones (see csrInput). */
  X?: Matrix | CsrMatrix;
  y?: Labels;
  bytes?: Uint8Array;
}

export type EngineArray = Float64Array | Float32Array | Int32Array | Uint8Array | Matrix;

export interface EngineAnswer {
  result: Record<string, unknown>;
  arrays: Record<string, EngineArray>;
}

/** What a fitted object is, for the client. */
export interface Description {
  handle: number;
  kind: FitKind;
  rows: number;
  cols: number;
  algorithm: string;
  dtype: string;
  classes?: (number | string)[];
  /** Bytes the index holds (see KnnIndex.memoryBytes). */
  memory_bytes?: number;
  /** Bytes of the index's own arrays (its state), without the kernels' scratch and copies. */
  index_bytes?: number;
  /** Brute force's distance path (see BruteForce.kernelKind). */
  kernel?: string;
  /** An estimator's: why it searches with its algorithm (the clause of `auto`'s rule, or requested). */
  why?: string;
  /** A prefilter fitted with target_recall: the setting the tuner chose. */
  tuned?: { fraction: number; candidates: number; halving_stages: number; recall: number };
}

function indexFacts(index: KnnIndex): Pick<Description, "memory_bytes" | "index_bytes" | "kernel"> {
  let arrays = 0;
  // sparse brute force has no saved state: its arrays are what it holds
  if (index instanceof SparseBruteForce) arrays = index.memoryBytes;
  else for (const a of Object.values(index.state().arrays) as ArrayBufferView[]) arrays += a.byteLength;
  return { memory_bytes: index.memoryBytes, index_bytes: arrays, kernel: index instanceof BruteForce ? index.kernelKind : undefined };
}

const FIT_KINDS = ["NearestNeighbors", "KNeighborsClassifier", "KNeighborsRegressor", "KDTree", "BallTree", ...MORE_KINDS] as const;
export type FitKind = (typeof FIT_KINDS)[number];

export const OPERATIONS = [
  "fit",
  "kneighbors",
  "radius",
  "predict",
  "predict_proba",
  "score",
  "save",
  "load",
  "free",
  "info",
  "count",
  "transform",
  "score_samples",
  "decision_function",
  "attributes",
  "kernel_density",
  "two_point_correlation",
  "ping",
  "echo",
] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Whether an operation keeps its input arrays (fit keeps X, load keeps the bytes): a transport must hand it memory it owns. */
export function retainsInputs(op: string): boolean {
  return op === "fit" || op === "load";
}

/** Operations that change nothing, which a benchmark may ask to be repeated (`repeat_ms`). */
const REPEATABLE = ["kneighbors", "radius", "predict", "predict_proba"];

/** scikit-learn parameter name -> core option name. */
const ESTIMATOR_PARAMS: Record<string, string> = {
  n_neighbors: "nNeighbors",
  radius: "radius",
  algorithm: "algorithm",
  leaf_size: "leafSize",
  metric: "metric",
  p: "p",
  metric_params: "",
  n_jobs: "",
  weights: "weights",
  candidates: "candidates",
  n_filter_features: "nFilterFeatures",
  halving_stages: "halvingStages",
  scoring: "scoring",
  target_recall: "targetRecall",
  prefilter_mode: "prefilterMode",
  prefilter_sort_key: "prefilterSortKey",
};
const TREE_PARAMS: Record<string, string> = { leaf_size: "leafSize", metric: "metric", metric_params: "" };
/** metric_params keys the engine honours (any other is refused, never ignored); core checks each applies to the metric. */
const METRIC_PARAMS = ["p", "w", "V", "VI"];

const SNAKE = Object.fromEntries(Object.entries(Object.assign({}, ESTIMATOR_PARAMS, TREE_PARAMS, ...Object.values(MORE_PARAMS))).filter(([, c]) => c).map(([s, c]) => [c, s]));

/** The parts of a sparse X, as a transport receives them: inputs X_data, X_indices, X_indptr and the field X_shape. */
export interface CsrParts {
  data?: unknown;
  indices?: unknown;
  indptr?: unknown;
}

/**
 * A sparse X from its parts: data (float32/float64), indices and indptr (int32) and
 * shape [rows, cols], checked by core's csrMatrix (code "input" for bad arrays).
 */
export function csrInput(parts: CsrParts, shape: unknown): CsrMatrix {
  if (!Array.isArray(shape) || shape.length !== 2) throw new EngineError("input", `a sparse X needs X_shape = [rows, cols], got ${JSON.stringify(shape) ?? String(shape)}`);
  for (const name of ["data", "indices", "indptr"] as const) {
    if (parts[name] === undefined) throw new EngineError("input", `a sparse X needs the array X_${name}`);
  }
  return csrMatrix({ data: parts.data, indices: parts.indices, indptr: parts.indptr, rows: shape[0], cols: shape[1] } as Parameters<typeof csrMatrix>[0], "X");
}

/** Non-finite numbers cross JSON as the strings "inf", "-inf" and "nan". */
export function decodeNumber(v: unknown): unknown {
  if (v === "inf" || v === "Infinity") return Infinity;
  if (v === "-inf" || v === "-Infinity") return -Infinity;
  if (v === "nan" || v === "NaN") return NaN;
  return v;
}

function describeValue(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/** Core options for a kind from scikit-learn parameters (names checked; values checked by core). */
export function coreOptions(kind: FitKind, params: Record<string, unknown>): Record<string, unknown> {
  if (params === null || typeof params !== "object" || Array.isArray(params)) {
    throw new EngineError("param", "params must be an object of parameter names to values");
  }
  const tree = kind === "KDTree" || kind === "BallTree";
  const names = tree ? TREE_PARAMS : isMoreKind(kind) ? MORE_PARAMS[kind] : ESTIMATOR_PARAMS;
  const options: Record<string, unknown> = { workers: 1 };
  for (const [key, raw] of Object.entries(params)) {
    if (!(key in names)) {
      throw new EngineError("param", `${kind} got an unexpected parameter "${key}"; expected one of ${Object.keys(names).join(", ")}`);
    }
    const value = decodeNumber(raw);
    if (value === null || value === undefined || names[key] === "") continue;
    options[names[key]] = value;
  }
  const metricParams = params.metric_params;
  if (metricParams !== null && metricParams !== undefined) {
    if (typeof metricParams !== "object" || Array.isArray(metricParams)) {
      throw new EngineError("param", `metric_params must be a dict or None, got ${describeValue(metricParams)}`);
    }
    for (const [key, value] of Object.entries(metricParams)) {
      if (!METRIC_PARAMS.includes(key)) {
        throw new EngineError("unsupported", `metric_params "${key}" is not supported by knnkit (supported: ${METRIC_PARAMS.join(", ")})`);
      }
      options[key] = decodeNumber(value);
    }
  }
  if (!tree) options.workers = workersFor(params.n_jobs);
  if (kind === "NearestNeighbors" || !("weights" in names)) delete options.weights;
  return options;
}

/** scikit-learn's n_jobs as a thread count: None -> 1, -1 -> all cores, -2 -> all but one; capped at the cores. */
export function workersFor(nJobs: unknown): number {
  const cores = cpuCount();
  if (nJobs === null || nJobs === undefined) return 1;
  if (typeof nJobs !== "number" || !Number.isInteger(nJobs) || nJobs === 0) {
    throw new EngineError("param", `n_jobs must be None or a nonzero integer, got ${describeValue(nJobs)}`);
  }
  return Math.max(1, Math.min(cores, nJobs > 0 ? nJobs : cores + 1 + nJobs));
}

/** Rewrites core option names in a message into the scikit-learn names the client uses. */
function snakeMessage(message: string): string {
  return message.replace(/\b[a-z]+[A-Z]\w*\b/g, (name) => SNAKE[name] ?? name);
}

function construct(kind: FitKind, params: Record<string, unknown>, maxWorkers: number): (X: Matrix | CsrMatrix, y: Labels | undefined, fields: Record<string, unknown>) => Fitted {
  const options = coreOptions(kind, params);
  options.workers = Math.min(options.workers as number, maxWorkers);
  const asParam = <T>(make: () => T): T => {
    try {
      return make();
    } catch (e) {
      if (e instanceof KnnInputError) throw new EngineError("param", snakeMessage(e.message));
      throw e;
    }
  };
  const needY = (y: Labels | undefined): Labels => {
    if (y === undefined) throw new EngineError("input", `${kind} needs a target y`);
    return y;
  };
  if (isMoreKind(kind)) return constructMore(kind, options, asParam);
  switch (kind) {
    case "NearestNeighbors": {
      const est = asParam(() => new NearestNeighbors(options));
      return (X) => est.fit(X);
    }
    case "KNeighborsClassifier": {
      const est = asParam(() => new KNeighborsClassifier(options));
      return (X, y) => est.fit(X, needY(y));
    }
    case "KNeighborsRegressor": {
      const est = asParam(() => new KNeighborsRegressor(options));
      return (X, y) => {
        const values = needY(y);
        if (!(values instanceof Float64Array)) throw new EngineError("input", "KNeighborsRegressor needs a numeric target y");
        return est.fit(X, values);
      };
    }
    case "KDTree":
    case "BallTree": {
      const Tree = kind === "KDTree" ? KDTree : BallTree;
      asParam(() => resolveMetric(options));
      return (X) => Tree.build(X, options);
    }
  }
}

function isFitKind(kind: unknown): kind is FitKind {
  return typeof kind === "string" && (FIT_KINDS as readonly string[]).includes(kind);
}

function kindOf(obj: Fitted): FitKind {
  const more = kindOfMore(obj);
  if (more) return more;
  if (obj instanceof KNeighborsClassifier) return "KNeighborsClassifier";
  if (obj instanceof KNeighborsRegressor) return "KNeighborsRegressor";
  if (obj instanceof NearestNeighbors) return "NearestNeighbors";
  return obj instanceof KDTree ? "KDTree" : "BallTree";
}

function integerField(fields: Record<string, unknown>, name: string): number {
  const v = fields[name];
  if (typeof v !== "number" || !Number.isInteger(v)) throw new EngineError("param", `${name} must be an integer, got ${describeValue(v)}`);
  return v;
}

/** The engine: fitted objects behind integer handles, and the operations on them. */
export class Engine {
  private readonly objects = new Map<number, Fitted>();
  private nextHandle = 1;

  /** `maxWorkers: 1` where the runtime cannot block on worker threads (Pyodide). */
  constructor(private readonly options: { maxWorkers?: number } = {}) {}

  /**
   * Runs one operation. Throws EngineError (see errorCode), its message in the client's parameter names.
   * `repeat_ms` (benchmarks, query operations only): the operation runs again until that many milliseconds have
   * passed, in one stretch as a loop in the client's own process would; `calls` says how often, and the answer
   * is the last one's.
   */
  call(op: string, fields: Record<string, unknown> = {}, inputs: EngineInputs = {}): EngineAnswer {
    try {
      const { repeat_ms: repeatMs, ...rest } = fields;
      if (repeatMs !== undefined && (typeof repeatMs !== "number" || !(repeatMs >= 0) || !REPEATABLE.includes(op))) {
        throw new EngineError("param", `repeat_ms must be a number of milliseconds >= 0 on ${REPEATABLE.join(", ")}, got ${describeValue(repeatMs)} on ${op}`);
      }
      const start = performance.now();
      let answer = this.dispatch(op, rest, inputs);
      let calls = 1;
      while (repeatMs !== undefined && performance.now() - start < repeatMs) {
        answer = this.dispatch(op, rest, inputs);
        calls++;
      }
      // the call's own time (a fit's: the build), which a client tells from the transfer around it
      answer.result.engine_ms = performance.now() - start;
      if (repeatMs !== undefined) answer.result.calls = calls;
      return answer;
    } catch (e) {
      if (e instanceof EngineError || !(e instanceof KnnInputError || e instanceof NotFittedError)) throw e;
      throw new EngineError(errorCode(e), snakeMessage(e.message));
    }
  }

  private dispatch(op: string, fields: Record<string, unknown>, inputs: EngineInputs): EngineAnswer {
    // free, info and save are the same for every kind
    const obj = op !== "free" && op !== "info" && op !== "save" && fields.handle !== undefined ? this.get(fields) : null;
    if (obj !== null && (isModel(obj) || MORE_OPERATIONS.includes(op))) {
      const answer = isModel(obj) ? moreOperation(obj, op, fields, inputs) : null;
      if (answer) return answer;
      if ((OPERATIONS as readonly string[]).includes(op)) throw new EngineError("unsupported", `${kindOf(obj)} has no ${op}`);
    }
    switch (op as Operation) {
      case "fit":
        return { result: { ...this.fit(fields, inputs) }, arrays: {} };
      case "kneighbors":
        return this.kneighbors(fields, inputs);
      case "radius":
        return this.radius(fields, inputs);
      case "predict":
        return this.predict(fields, inputs);
      case "predict_proba": {
        const est = this.classifier(fields, "predict_proba");
        return { result: {}, arrays: { proba: est.predictProba(this.needX(inputs, op)) } };
      }
      case "score":
        return { result: { score: this.score(fields, inputs) }, arrays: {} };
      case "save":
        return { result: {}, arrays: { bytes: serialize(this.get(fields)) } };
      case "load": {
        if (!inputs.bytes) throw new EngineError("input", "load needs the saved bytes");
        const obj = deserialize(inputs.bytes);
        if (obj instanceof KnnIndex && !(obj instanceof KDTree || obj instanceof BallTree)) {
          throw new EngineError("unsupported", `the file holds a ${obj.algorithm} index; the engine loads estimators, KD-trees and Ball trees`);
        }
        return { result: { ...this.store(obj as Fitted) }, arrays: {} };
      }
      case "free":
        this.objects.delete(integerField(fields, "handle"));
        return { result: {}, arrays: {} };
      case "info": {
        const handle = integerField(fields, "handle");
        return { result: { ...this.describe(handle, this.get(fields)) }, arrays: {} };
      }
      case "count":
        return { result: { objects: this.objects.size }, arrays: {} };
      case "kernel_density":
        return { result: {}, arrays: { density: this.kernelDensity(fields, inputs) } };
      case "two_point_correlation": {
        const r = fields.r;
        if (!Array.isArray(r)) throw new EngineError("param", `r must be a list of radii, got ${describeValue(r)}`);
        return { result: {}, arrays: { counts: this.tree(fields, op).twoPointCorrelation(this.needDense(inputs, op), r.map((v) => decodeNumber(v) as number)) } };
      }
      case "ping":
        return { result: { pid: globalThis.process?.pid ?? null, operations: OPERATIONS }, arrays: {} };
      case "echo": {
        const X = this.needDense(inputs, op);
        return { result: { rows: X.rows, cols: X.cols, viewAtMs: performance.timeOrigin + performance.now() }, arrays: { X } };
      }
      default:
        throw new EngineError("input", `unknown operation "${op}"; expected one of ${OPERATIONS.join(", ")}`);
    }
  }

  private fit(fields: Record<string, unknown>, inputs: EngineInputs): Description {
    const kind = fields.kind;
    if (!isFitKind(kind)) throw new EngineError("param", `unknown estimator or tree "${String(kind)}"; expected one of ${FIT_KINDS.join(", ")}`);
    const build = construct(kind, (fields.params ?? {}) as Record<string, unknown>, this.options.maxWorkers ?? Infinity);
    return this.store(build(this.needX(inputs, "fit"), inputs.y, fields));
  }

  private store(obj: Fitted): Description {
    const handle = this.nextHandle++;
    this.objects.set(handle, obj);
    return this.describe(handle, obj);
  }

  private describe(handle: number, obj: Fitted): Description {
    const kind = kindOf(obj);
    if (isModel(obj)) return { handle, kind, ...describeMore(obj) } as Description;
    if (obj instanceof KnnIndex) return { handle, kind, rows: obj.rows, cols: obj.cols, algorithm: obj.algorithm, dtype: obj.dtype, ...indexFacts(obj) };
    return {
      handle,
      kind,
      rows: obj.nSamplesFit,
      cols: obj.nFeaturesIn,
      algorithm: String(obj.fitAlgorithm),
      dtype: obj.fittedIndex.dtype,
      classes: obj instanceof KNeighborsClassifier ? obj.classes : undefined,
      ...indexFacts(obj.fittedIndex),
      why: autoReason(obj),
      tuned: obj.prefilterTuning
        ? { fraction: obj.prefilterTuning.fraction, candidates: obj.prefilterTuning.candidates, halving_stages: obj.prefilterTuning.halvingStages, recall: obj.prefilterTuning.recall }
        : undefined,
    };
  }

  private get(fields: Record<string, unknown>): Fitted {
    const handle = integerField(fields, "handle");
    const obj = this.objects.get(handle);
    if (!obj) throw new EngineError("not_fitted", `no fitted object has handle ${handle} (never fitted, or freed)`);
    return obj;
  }

  private classifier(fields: Record<string, unknown>, op: string): KNeighborsClassifier {
    const obj = this.get(fields);
    if (!(obj instanceof KNeighborsClassifier)) throw new EngineError("unsupported", `${kindOf(obj)} has no ${op}`);
    return obj;
  }

  private tree(fields: Record<string, unknown>, op: string): KDTree | BallTree {
    const obj = this.get(fields);
    if (!(obj instanceof KDTree || obj instanceof BallTree)) throw new EngineError("unsupported", `${kindOf(obj)} has no ${op}; KDTree and BallTree have`);
    return obj;
  }

  /** Densities (or log densities) of the rows of X; y, when given, holds one weight per training row. */
  private kernelDensity(fields: Record<string, unknown>, inputs: EngineInputs): Float64Array {
    const tree = this.tree(fields, "kernel_density");
    const h = decodeNumber(fields.h);
    const kernel = fields.kernel ?? "gaussian";
    if (typeof kernel !== "string" || !(KERNEL_NAMES as readonly string[]).includes(kernel)) {
      throw new EngineError("param", `kernel = ${describeValue(kernel)} not recognized; expected one of ${KERNEL_NAMES.join(", ")}`);
    }
    if (inputs.y !== undefined && !(inputs.y instanceof Float64Array)) throw new EngineError("input", "sample weights must be numbers");
    return tree.kernelDensity(this.needDense(inputs, "kernel_density"), {
      h: h as number,
      kernel: kernel as KernelName,
      atol: decodeNumber(fields.atol ?? 0) as number,
      rtol: decodeNumber(fields.rtol ?? 1e-8) as number,
      breadthFirst: fields.breadth_first !== false,
      returnLog: fields.return_log === true,
      sampleWeight: inputs.y ?? null,
    });
  }

  private needX(inputs: EngineInputs, op: string): Matrix | CsrMatrix {
    if (!inputs.X) throw new EngineError("input", `${op} needs the matrix X`);
    return inputs.X;
  }

  /** X where only dense rows are taken (scikit-learn's message for sparse ones). */
  private needDense(inputs: EngineInputs, op: string): Matrix {
    const X = this.needX(inputs, op);
    if (isCsr(X)) throw new EngineError("input", sparseRefused("X"));
    return X;
  }

  private kneighbors(fields: Record<string, unknown>, inputs: EngineInputs): EngineAnswer {
    const obj = this.get(fields) as CoreFitted;
    const k = fields.k;
    if (typeof k !== "number" || !Number.isInteger(k) || k < 1) {
      throw new EngineError("param", `k (n_neighbors) must be an integer >= 1, got ${describeValue(k)}`);
    }
    const res = obj instanceof KnnIndex ? obj.query(this.needX(inputs, "query"), k) : obj.kneighbors(inputs.X, k);
    const arrays: Record<string, EngineArray> = { indices: res.indices, distances: res.distances };
    if ("certified" in res) arrays.certified = res.certified as Uint8Array; // the prefilter's (see PrefilterResult)
    return { result: { rows: res.rows, k: res.k }, arrays };
  }

  private radius(fields: Record<string, unknown>, inputs: EngineInputs): EngineAnswer {
    const obj = this.get(fields) as CoreFitted;
    const r = decodeNumber(fields.radius);
    if (typeof r !== "number") throw new EngineError("param", `radius must be a number, got ${describeValue(r)}`);
    const options = { sortResults: fields.sort === true, countOnly: fields.count_only === true };
    const res = obj instanceof KnnIndex ? obj.queryRadius(this.needX(inputs, "query_radius"), r, options) : obj.radiusNeighbors(inputs.X, r, options);
    const arrays: Record<string, EngineArray> = { offsets: res.offsets };
    if (!options.countOnly) {
      arrays.indices = res.indices;
      arrays.distances = res.distances;
    }
    return { result: { rows: res.rows }, arrays };
  }

  private predict(fields: Record<string, unknown>, inputs: EngineInputs): EngineAnswer {
    const obj = this.get(fields);
    const X = this.needX(inputs, "predict");
    if (obj instanceof KNeighborsClassifier) return { result: {}, arrays: { codes: obj.predictCodes(X) } };
    if (obj instanceof KNeighborsRegressor) return { result: {}, arrays: { values: obj.predict(X) } };
    throw new EngineError("unsupported", `${kindOf(obj)} has no predict`);
  }

  private score(fields: Record<string, unknown>, inputs: EngineInputs): number {
    const obj = this.get(fields);
    const X = this.needX(inputs, "score");
    if (!inputs.y) throw new EngineError("input", "score needs the target y");
    if (obj instanceof KNeighborsClassifier) return obj.score(X, inputs.y);
    if (obj instanceof KNeighborsRegressor) {
      if (!(inputs.y instanceof Float64Array)) throw new EngineError("input", "a regressor's score needs a numeric target y");
      return obj.score(X, inputs.y);
    }
    throw new EngineError("unsupported", `${kindOf(obj)} has no score`);
  }
}
