/**
 * Index state in and out. `indexFromState` checks a state that came from
 * outside (a file, another process) before anything uses it or allocates by
 * it, then rebuilds the index around its arrays (no copy, no rebuild). Every
 * check is O(size of the state), each failure one KnnInputError naming it.
 */
import { BallTree, KDTree, treeNodeCount } from "./binary-tree.js";
import { BruteForce } from "./brute.js";
import { KnnInputError } from "./errors.js";
import type { KnnIndex } from "./index-base.js";
import { KERNEL_CHOICES } from "./kernels/blocked.js";
import { MetricKind, checkMetricColumns, kdTreeAllows, resolveMetric, rowNorms, type Metric } from "./metrics.js";
import { checkCategoricalCodes } from "./mixed-metric.js";
import { PrefilterIndex } from "./prefilter.js";
import { dualNorm, projectRow } from "./projection.js";
import { STATE_VERSION, type IndexKind, type IndexState } from "./shared.js";

export const INDEX_KINDS: readonly IndexKind[] = ["brute", "kd_tree", "ball_tree", "prefilter"];

/** Largest row count: row indices are int32. */
const MAX_ROWS = 2 ** 31 - 1;

export interface RestoreOptions {
  /** Skip the checks: only for a state this process made itself (worker threads, a file it wrote). */
  trusted?: boolean;
  /**
   * Float arrays of the state already found all finite (the file loader checks
   * them in its checksum pass): the checks skip scanning these again.
   */
  finite?: ReadonlySet<ArrayBufferView>;
}

/** Rebuilds an index from its state, after checking it (see checkIndexState). */
export function indexFromState(state: IndexState, options: RestoreOptions = {}): KnnIndex {
  if (!options.trusted) checkIndexState(state, options.finite);
  switch (state.kind) {
    case "brute":
      return BruteForce.fromState(state);
    case "kd_tree":
      return KDTree.fromState(state);
    case "ball_tree":
      return BallTree.fromState(state);
    case "prefilter":
      return PrefilterIndex.fromState(state);
  }
}

/** A checker for one state: `fail` throws the KnnInputError, prefixed with the kind. */
export class Checker {
  constructor(
    readonly what: string,
    readonly knownFinite: ReadonlySet<ArrayBufferView> = new Set(),
  ) {}

  fail(message: string): never {
    throw new KnnInputError(`${this.what}: ${message}`);
  }

  object(x: unknown, name: string): Record<string, unknown> {
    if (typeof x !== "object" || x === null || Array.isArray(x)) this.fail(`${name} must be an object`);
    return x as Record<string, unknown>;
  }

  int(x: unknown, name: string, min: number, max = MAX_ROWS): number {
    if (typeof x !== "number" || !Number.isInteger(x) || x < min || x > max) {
      this.fail(`${name} must be an integer in [${min}, ${max}], got ${String(x)}`);
    }
    return x;
  }

  /** Column indices: distinct integers in [0, cols), strictly increasing when `sorted`. */
  columns(x: unknown, name: string, cols: number, sorted: boolean): number[] {
    if (!Array.isArray(x)) this.fail(`${name} must be an array of column indices`);
    const seen = new Set<number>();
    (x as unknown[]).forEach((j, i) => {
      this.int(j, `${name}[${i}]`, 0, cols - 1);
      if (seen.has(j as number)) this.fail(`${name} lists column ${String(j)} twice`);
      if (sorted && i > 0 && (j as number) < (x as number[])[i - 1]) this.fail(`${name} must be in increasing order`);
      seen.add(j as number);
    });
    return x as number[];
  }

  /** The metric as stored (its resolved name; p only matters for minkowski, and Infinity reads back from JSON as null). */
  metric(params: Record<string, unknown>): Metric {
    const name = params.metric;
    let metric: Metric;
    try {
      const stored = params.metricParams;
      if (stored !== undefined && (typeof stored !== "object" || stored === null || Array.isArray(stored))) this.fail("metricParams must be an object");
      metric = resolveMetric({ metric: name as string, p: name === "minkowski" ? (params.p as number) : undefined, ...(stored as object) });
      checkMetricColumns(metric, params.cols as number, params.rows as number);
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
    }
    if (metric.name !== name) this.fail(`metric must be stored in its resolved form, got "${String(name)}" with p=${String(params.p)}`);
    return metric;
  }

  weight(x: unknown, categorical: readonly number[]): void {
    if (typeof x !== "number" || !Number.isFinite(x) || (categorical.length > 0 && !(x > 0))) {
      this.fail(`categoricalWeight must be a finite number${categorical.length > 0 ? " > 0" : ""}, got ${String(x)}`);
    }
  }

  array<C extends Float64ArrayConstructor | Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor>(
    arrays: Record<string, unknown>,
    name: string,
    types: readonly C[],
    length: number,
  ): InstanceType<C> {
    const a = arrays[name];
    if (a === undefined) this.fail(`array ${name} is missing`);
    if (!types.some((T) => a instanceof T)) this.fail(`array ${name} must be ${types.map((T) => T.name).join(" or ")}`);
    const n = (a as ArrayLike<number>).length;
    if (n !== length) this.fail(`array ${name} has ${n} values, expected ${length}`);
    return a as InstanceType<C>;
  }

  /** No array beyond the kind's own. */
  only(arrays: Record<string, unknown>, names: readonly string[]): void {
    for (const name of Object.keys(arrays)) if (!names.includes(name)) this.fail(`unexpected array ${name} (expected ${names.join(", ")})`);
  }

  data(arrays: Record<string, unknown>, rows: number, cols: number): Float64Array | Float32Array {
    const data = this.array(arrays, "data", [Float64Array, Float32Array], rows * cols);
    this.finite(data, "data");
    return data;
  }

  finite(a: Float64Array | Float32Array, name: string): void {
    if (this.knownFinite.has(a)) return;
    // x * 0 is 0 for a finite x and NaN for NaN or Infinity; four sums keep the loop short
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    const n = a.length;
    const n4 = n - (n % 4);
    for (let i = 0; i < n4; i += 4) {
      s0 += a[i] * 0;
      s1 += a[i + 1] * 0;
      s2 += a[i + 2] * 0;
      s3 += a[i + 3] * 0;
    }
    for (let i = n4; i < n; i++) s0 += a[i] * 0;
    if (s0 + s1 + s2 + s3 === 0) return;
    for (let i = 0; i < n; i++) if (!Number.isFinite(a[i])) this.fail(`array ${name} holds ${a[i]} at position ${i}`);
  }

  /** ids must hold each of 0..rows-1 exactly once. */
  permutation(ids: Int32Array, name: string): void {
    const seen = new Uint8Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i];
      if (v < 0 || v >= ids.length) this.fail(`array ${name} holds ${v} at position ${i}, outside [0, ${ids.length})`);
      if (seen[v] === 1) this.fail(`array ${name} holds ${v} twice (it must be a permutation of the rows)`);
      seen[v] = 1;
    }
  }
}

/**
 * Checks every part of a state before it is used; throws one KnnInputError
 * naming the first problem. `finite`: see RestoreOptions.
 */
export function checkIndexState(state: unknown, finite?: ReadonlySet<ArrayBufferView>): asserts state is IndexState {
  const s = new Checker("index state").object(state, "index state");
  const kind = s.kind as IndexKind;
  if (!INDEX_KINDS.includes(kind)) {
    throw new KnnInputError(`unknown index kind "${String(kind)}"; expected one of ${INDEX_KINDS.join(", ")}`);
  }
  const c = new Checker(`${kind} state`, finite);
  if (s.version !== STATE_VERSION) c.fail(`version ${String(s.version)} is not supported (this build reads version ${STATE_VERSION})`);
  const params = c.object(s.params, "params");
  const arrays = c.object(s.arrays, "arrays");
  const rows = c.int(params.rows, "rows", 1);
  const cols = c.int(params.cols, "cols", 1);
  if (rows * cols > Number.MAX_SAFE_INTEGER) c.fail(`rows*cols = ${rows}*${cols} is too large`);
  const metric = c.metric(params);
  if (metric.kind === MetricKind.Cosine && kind !== "brute") c.fail(`metric "cosine" is not supported by ${kind}`);
  const refused = kind === "kd_tree" ? !kdTreeAllows(metric) : metric.kind === MetricKind.Precomputed;
  if ((kind !== "brute" && refused) || (kind === "prefilter" && metric.kind > MetricKind.Minkowski)) {
    c.fail(`metric "${metric.name}"${metric.param ? " with parameters" : ""} is not supported by ${kind}`);
  }
  if (kind === "brute") checkBrute(c, params, arrays, rows, cols, metric);
  else if (kind === "prefilter") checkPrefilter(c, params, arrays, rows, cols, metric);
  else checkTree(c, kind, params, arrays, rows, cols);
}

function checkBrute(c: Checker, params: Record<string, unknown>, arrays: Record<string, unknown>, rows: number, cols: number, metric: Metric): void {
  c.only(arrays, ["data", "norms"]);
  const categorical = c.columns(params.categorical, "categorical", cols, true);
  if (categorical.length > 0 && metric.kind === MetricKind.Cosine) c.fail('categorical features cannot be combined with metric "cosine"');
  c.weight(params.categoricalWeight, categorical);
  if (!KERNEL_CHOICES.includes(params.kernel as never)) c.fail(`unknown kernel "${String(params.kernel)}"; expected one of ${KERNEL_CHOICES.join(", ")}`);
  const data = c.data(arrays, rows, cols);
  checkCodes(c, data, rows, cols, categorical);
  if (metric.kind === MetricKind.Cosine) {
    // the row lengths scale every cosine distance: they must be exactly what the build computes
    const norms = c.array(arrays, "norms", [Float64Array], rows);
    const expected = rowNorms(data, rows, cols);
    for (let i = 0; i < rows; i++) if (norms[i] !== expected[i]) c.fail(`array norms holds ${norms[i]} at position ${i}, but row ${i} has length ${expected[i]}`);
  } else if (arrays.norms !== undefined) c.fail(`array norms belongs to metric "cosine" only (metric is "${metric.name}")`);
}

function checkCodes(c: Checker, data: Float64Array | Float32Array, rows: number, cols: number, categorical: readonly number[]): void {
  try {
    checkCategoricalCodes(data, rows, cols, categorical, "data");
  } catch (e) {
    c.fail(e instanceof Error ? e.message : String(e));
  }
}

/**
 * A tree must be exactly the complete binary tree the builder makes: node i's
 * children at 2i+1 and 2i+2, leaves exactly the nodes without children, each
 * inner node's range split into its children's (so leaves cover every row
 * once), the root covering [0, rows), and idxArray a permutation. Then a
 * query visits each node at most once and never reads outside the arrays.
 */
function checkTree(
  c: Checker,
  kind: "kd_tree" | "ball_tree",
  params: Record<string, unknown>,
  arrays: Record<string, unknown>,
  rows: number,
  cols: number,
): void {
  c.only(arrays, ["data", "idxArray", "nodeStart", "nodeEnd", "isLeaf", "nodeBounds", "nodeRadius", "splitDim"]);
  const leafSize = c.int(params.leafSize, "leafSize", 1);
  const nodes = treeNodeCount(rows, leafSize);
  c.data(arrays, rows, cols);
  const idxArray = c.array(arrays, "idxArray", [Int32Array], rows);
  const nodeStart = c.array(arrays, "nodeStart", [Int32Array], nodes);
  const nodeEnd = c.array(arrays, "nodeEnd", [Int32Array], nodes);
  const isLeaf = c.array(arrays, "isLeaf", [Uint8Array], nodes);
  const ball = kind === "ball_tree";
  const nodeBounds = c.array(arrays, "nodeBounds", [Float64Array], ball ? nodes * cols : nodes * 2 * cols);
  const nodeRadius = c.array(arrays, "nodeRadius", [Float64Array], ball ? nodes : 0);
  const splitDim = c.array(arrays, "splitDim", [Int32Array], ball ? 0 : nodes);
  if (nodeStart[0] !== 0 || nodeEnd[0] !== rows) c.fail(`the root must cover rows [0, ${rows}), got [${nodeStart[0]}, ${nodeEnd[0]})`);
  for (let node = 0; node < nodes; node++) {
    const start = nodeStart[node];
    const end = nodeEnd[node];
    if (!(start >= 0 && start <= end && end <= rows)) c.fail(`node ${node} covers [${start}, ${end}), not a range inside [0, ${rows}]`);
    const left = 2 * node + 1;
    const leaf = left >= nodes;
    if (isLeaf[node] !== (leaf ? 1 : 0)) c.fail(`isLeaf[${node}] is ${isLeaf[node]}, but node ${node} ${leaf ? "is a leaf" : "has children"} in a tree of ${nodes} nodes`);
    // the KD-tree reads its children's bounds in this dimension
    if (!ball && (leaf ? splitDim[node] !== -1 : !(splitDim[node] >= 0 && splitDim[node] < cols))) {
      c.fail(`splitDim[${node}] is ${splitDim[node]}, expected ${leaf ? "-1 (a leaf)" : `a column in [0, ${cols})`}`);
    }
    if (leaf) continue;
    const mid = nodeStart[left + 1];
    if (nodeStart[left] !== start || nodeEnd[left] !== mid || nodeEnd[left + 1] !== end) {
      c.fail(`the children of node ${node} ([${nodeStart[left]}, ${nodeEnd[left]}) and [${mid}, ${nodeEnd[left + 1]})) do not split its range [${start}, ${end})`);
    }
  }
  c.permutation(idxArray, "idxArray");
  c.finite(nodeBounds, "nodeBounds");
  if (ball) {
    c.finite(nodeRadius, "nodeRadius");
    for (let node = 0; node < nodes; node++) if (nodeRadius[node] < 0) c.fail(`array nodeRadius holds ${nodeRadius[node]} at node ${node}; a radius is >= 0`);
  } else {
    for (let node = 0, o = 0; node < nodes; node++, o += 2 * cols) {
      for (let j = 0; j < cols; j++) {
        if (nodeBounds[o + j] > nodeBounds[o + cols + j]) c.fail(`node ${node}'s box has its lower bound above its upper bound in column ${j}`);
      }
    }
  }
}

function checkPrefilter(c: Checker, params: Record<string, unknown>, arrays: Record<string, unknown>, rows: number, cols: number, metric: Metric): void {
  c.only(arrays, ["data", "rowIds", "primaryValues", "direction", "scores"]);
  c.int(params.m, "m", 1, rows);
  const filter = c.columns(params.filterFeatures, "filterFeatures", cols, false);
  if (filter.length === 0) c.fail("filterFeatures must name at least one column");
  c.int(params.halving, "halving", 0, filter.length - 1);
  if (params.mode !== undefined && params.mode !== "budget" && params.mode !== "exact") c.fail(`mode must be "budget" or "exact", got ${JSON.stringify(params.mode)}`);
  const categorical = c.columns(params.categorical, "categorical", cols, true);
  c.weight(params.categoricalWeight, categorical);
  const data = c.data(arrays, rows, cols);
  checkCodes(c, data, rows, cols, categorical);
  c.permutation(c.array(arrays, "rowIds", [Int32Array], rows), "rowIds");
  const primary = c.array(arrays, "primaryValues", [Float64Array], rows);
  const f = filter[0];
  let u: Float64Array | null = null;
  if (arrays.direction !== undefined) {
    u = c.array(arrays, "direction", [Float64Array], cols);
    c.finite(u, "direction");
    if (categorical.length > 0) c.fail("a direction sort key needs numeric columns only");
    // the gaps along it must never exceed the distance (projection.ts)
    if (!(dualNorm(u, metric.p) <= 1 + 1e-12)) c.fail(`direction is longer than 1 in the metric's dual norm (${dualNorm(u, metric.p)})`);
  }
  for (let p = 0; p < rows; p++) {
    const key = u === null ? data[p * cols + f] : projectRow(data, p * cols, cols, u);
    if (primary[p] !== key) c.fail(u === null ? `primaryValues[${p}] is not the value of row ${p} in column ${f}` : `primaryValues[${p}] is not row ${p}'s key along direction`);
    if (p > 0 && primary[p] < primary[p - 1]) c.fail(`primaryValues must be sorted, but position ${p} is smaller than position ${p - 1}`);
  }
  c.array(arrays, "scores", [Float64Array], cols);
}
