import type { FloatArray } from "./matrix.js";

/** Typed arrays an index is made of, plus its JSON parameters: what a worker needs to rebuild it without copying. */
export interface IndexState {
  readonly type: string;
  readonly params: Record<string, unknown>;
  readonly arrays: Record<string, FloatArray | Int32Array | Uint8Array>;
}

export const hasSharedMemory = typeof SharedArrayBuffer === "function";

/** A copy of `a` in a SharedArrayBuffer (or `a` itself when it already lives in one). */
export function toShared<T extends FloatArray | Int32Array | Uint8Array>(a: T): T {
  if (!hasSharedMemory || a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
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
