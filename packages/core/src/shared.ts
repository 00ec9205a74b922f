import type { KernelChoice } from "./kernels/blocked.js";
import type { FloatArray } from "./matrix.js";
import type { MetricName, MetricParams } from "./metrics.js";

/**
 * The typed, versioned state of an index: its parameters (JSON) and the typed
 * arrays it is made of, one shape per kind. It is what persistence writes and
 * what a worker thread rebuilds an index from, without a copy or a rebuild.
 * STATE_VERSION changes whenever a kind's params or arrays change.
 */
export const STATE_VERSION = 2;

interface StateOf<K extends string, P, A> {
  readonly kind: K;
  readonly version: typeof STATE_VERSION;
  readonly params: P;
  readonly arrays: A;
}

interface CommonParams {
  readonly rows: number;
  readonly cols: number;
  readonly metric: MetricName;
  readonly p: number;
  /** Metrics with a parameter (minkowski w, seuclidean V, mahalanobis VI). */
  readonly metricParams?: MetricParams;
}

export interface BruteParams extends CommonParams {
  readonly categorical: readonly number[];
  readonly categoricalWeight: number;
  readonly kernel: KernelChoice;
}

/** data: the rows (a view of the caller's matrix); norms: row lengths, cosine only. */
export interface BruteArrays {
  readonly data: FloatArray;
  readonly norms?: Float64Array;
}

export interface TreeParams extends CommonParams {
  readonly leafSize: number;
}

/** See binary-tree.ts for what each array holds. */
export interface TreeArrays {
  readonly data: FloatArray;
  readonly idxArray: Int32Array;
  readonly nodeStart: Int32Array;
  readonly nodeEnd: Int32Array;
  readonly isLeaf: Uint8Array;
  readonly nodeBounds: Float64Array;
  readonly nodeRadius: Float64Array;
  readonly splitDim: Int32Array;
}

export interface PrefilterParams extends CommonParams {
  /** Window size in rows. */
  readonly m: number;
  readonly halving: number;
  /** "budget" or "exact" (absent in states written before the modes: "budget"). */
  readonly mode?: "budget" | "exact";
  readonly filterFeatures: readonly number[];
  readonly categorical: readonly number[];
  readonly categoricalWeight: number;
}

/** See prefilter.ts; scores: one per column. */
export interface PrefilterArrays {
  readonly data: FloatArray;
  readonly rowIds: Int32Array;
  readonly primaryValues: Float64Array;
  /** The sort key's direction (one per column); absent: the key is filterFeatures[0]. */
  readonly direction?: Float64Array;
  readonly scores: Float64Array;
}

export type BruteState = StateOf<"brute", BruteParams, BruteArrays>;
export type KDTreeState = StateOf<"kd_tree", TreeParams, TreeArrays>;
export type BallTreeState = StateOf<"ball_tree", TreeParams, TreeArrays>;
export type TreeState = KDTreeState | BallTreeState;
export type PrefilterState = StateOf<"prefilter", PrefilterParams, PrefilterArrays>;
export type IndexState = BruteState | TreeState | PrefilterState;
export type IndexKind = IndexState["kind"];

type StateArray = FloatArray | Int32Array | Uint8Array;

export const hasSharedMemory = typeof SharedArrayBuffer === "function";

/** A copy of `a` in a SharedArrayBuffer (or `a` itself when it already lives in one). */
export function toShared<T extends StateArray>(a: T): T {
  if (!hasSharedMemory || a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/** The same arrays, each moved into shared memory (see toShared). */
export function shareArrays<A extends object>(arrays: A): A {
  const out: Record<string, StateArray> = {};
  for (const [name, a] of Object.entries(arrays) as [string, StateArray | undefined][]) if (a !== undefined) out[name] = toShared(a);
  return out as A;
}

type TypedArrayConstructor = Float64ArrayConstructor | Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;

/** A zeroed typed array in shared memory when available. */
export function allocShared<C extends TypedArrayConstructor>(Ctor: C, length: number): InstanceType<C> {
  const C = Ctor as unknown as new (arg: ArrayBufferLike | number) => InstanceType<C>;
  return hasSharedMemory ? new C(new SharedArrayBuffer(length * Ctor.BYTES_PER_ELEMENT)) : new C(length);
}

/** Rows of a permuted row-major matrix back in original order: out row ids[p] = row p. */
export function unpermuteRows(data: FloatArray, ids: Int32Array, cols: number): FloatArray {
  const out = new (data instanceof Float32Array ? Float32Array : Float64Array)(data.length);
  for (let p = 0; p < ids.length; p++) out.set(data.subarray(p * cols, (p + 1) * cols), ids[p] * cols);
  return out;
}
