/**
 * Where an index's rows live, and the WebAssembly module that reads them.
 *
 * An index allocates its rows with `allocRows`: in a WebAssembly memory of
 * their own, shared (its buffer a SharedArrayBuffer) where the runtime has
 * shared memory, so every kernel over the rows, on every thread, reads the one
 * copy in place (worker threads get the memory with the index's state, see
 * parallel.ts). A kernel takes its scratch space from the same memory with
 * `reserve` (memory.grow, atomic across threads; a shared memory's buffer is
 * never detached). Rows that are not in such a memory (a state made
 * elsewhere, no shared memory) are copied into a memory of the kernel's own,
 * counted by `addKernel`.
 *
 * The module is compiled four ways (scripts/build-wasm.mjs): relaxed SIMD
 * (fused multiply-adds) where the engine validates it, else 128-bit SIMD;
 * importing a shared memory or one that is not.
 */
import { hasSharedMemory } from "../shared.js";
import { KERNEL_RELAXED, KERNEL_RELAXED_SHARED, KERNEL_SIMD, KERNEL_SIMD_SHARED } from "./wasm-bytes.generated.js";

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared?: boolean }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

const PAGE = 65536;
/** 4 GiB, the most a 32-bit memory addresses (a shared memory must declare its maximum). */
const MAX_PAGES = 65536;

let wasmDisabled = false;
let relaxedDisabled = false;
const compiled = new Map<string, object | null>();

/** Turns the WebAssembly kernels off (or back on), e.g. to test the TypeScript paths. */
export function setWasmKernelEnabled(enabled: boolean): void {
  wasmDisabled = !enabled;
}

/** Turns relaxed SIMD off (or back on, where the engine has it), e.g. to test the 128-bit path. */
export function setRelaxedSimdEnabled(enabled: boolean): void {
  relaxedDisabled = !enabled;
}

function decode(base64: string): Uint8Array {
  const B = (globalThis as { Buffer?: { from(s: string, e: string): Uint8Array } }).Buffer;
  if (B) return new Uint8Array(B.from(base64, "base64"));
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function moduleFor(relaxed: boolean, shared: boolean): object | null {
  const key = `${relaxed} ${shared}`;
  if (!compiled.has(key)) {
    const bytes = decode(relaxed ? (shared ? KERNEL_RELAXED_SHARED : KERNEL_RELAXED) : shared ? KERNEL_SIMD_SHARED : KERNEL_SIMD);
    let module: object | null = null;
    try {
      // an engine without relaxed SIMD (Node 20) fails validation
      if ((wasm as WasmApi).validate(bytes)) module = new (wasm as WasmApi).Module(bytes);
    } catch {
      module = null;
    }
    compiled.set(key, module);
  }
  return compiled.get(key) as object | null;
}

/** Whether the kernels use relaxed SIMD (fused multiply-adds): the engine has it and it is not turned off. */
export function relaxedSimd(): boolean {
  return !wasmDisabled && wasm !== undefined && !relaxedDisabled && moduleFor(true, false) !== null;
}

/** The compiled kernel module for this kind of memory, or null where WebAssembly SIMD is unavailable or turned off. */
export function wasmKernelModule(shared = false): object | null {
  if (wasmDisabled || wasm === undefined) return null;
  return (relaxedSimd() ? moduleFor(true, shared) : null) ?? moduleFor(false, shared);
}

/**
 * An instance of the kernel module on a fresh memory of its own of at least
 * `bytes` (scratch for one call, e.g. a tree build), or null where WebAssembly
 * SIMD is unavailable or turned off, or the memory could not be allocated.
 */
export function scratchInstance(bytes: number): { memory: WasmMemory; exports: Record<string, unknown> } | null {
  if (wasmKernelModule(false) === null || bytes > MAX_PAGES * PAGE) return null;
  try {
    const memory = new (wasm as WasmApi).Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)), maximum: MAX_PAGES });
    return { memory, exports: instantiate(memory, false) };
  } catch {
    return null;
  }
}

/** Memories holding rows, by the buffer the rows' array was made on (per thread). */
const rowMemories = new WeakMap<ArrayBufferLike, WasmMemory>();

/**
 * A zeroed array of `length` values for an index's rows (or for a file's bytes
 * that hold them, see the interop loader): in a shared WebAssembly memory of
 * its own where possible (see the header), else in shared memory, else an
 * ordinary array.
 */
export function allocRows<C extends Float64ArrayConstructor | Float32ArrayConstructor | Uint8ArrayConstructor>(Ctor: C, length: number): InstanceType<C> {
  const A = Ctor as unknown as new (buffer: ArrayBufferLike, offset: number, length: number) => InstanceType<C>;
  const bytes = length * Ctor.BYTES_PER_ELEMENT;
  if (rowMemoryFits(bytes)) {
    try {
      const memory = new (wasm as WasmApi).Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)), maximum: MAX_PAGES, shared: true });
      const out = new A(memory.buffer, 0, length);
      rowMemories.set(out.buffer, memory);
      return out;
    } catch {
      // no room for another memory: fall through
    }
  }
  const B = (hasSharedMemory ? SharedArrayBuffer : ArrayBuffer) as new (n: number) => ArrayBufferLike;
  return new A(new B(bytes), 0, length);
}

/** Whether allocRows puts `bytes` in a WebAssembly memory (shared memory and WebAssembly SIMD are there, and the bytes fit in 4 GiB with room for scratch). */
export function rowMemoryFits(bytes: number): boolean {
  return hasSharedMemory && wasmKernelModule(true) !== null && bytes <= (MAX_PAGES - 64) * PAGE;
}

/** `data` itself when it lives in a rows memory, else a copy made with allocRows (one copy, which every kernel reads). */
export function toRowMemory<T extends Float64Array | Float32Array>(data: T): T {
  if (memoryOf(data) !== null) return data;
  const out = allocRows(data.constructor as Float64ArrayConstructor | Float32ArrayConstructor, data.length) as T;
  out.set(data);
  return out;
}

/** The shared WebAssembly memory `a` lives in (made by allocRows, or adopted from another thread), or null. */
export function memoryOf(a: ArrayBufferView): WasmMemory | null {
  return rowMemories.get(a.buffer) ?? null;
}

/** Records that `a` (received from another thread) lives in `memory`. */
export function adoptMemory(a: ArrayBufferView, memory: WasmMemory): void {
  rowMemories.set(a.buffer, memory);
}

/** Reserves `bytes` at the end of `memory` (whole pages; safe across threads): their address. Throws when the memory is full. */
export function reserve(memory: WasmMemory, bytes: number): number {
  return memory.grow(Math.max(1, Math.ceil(bytes / PAGE))) * PAGE;
}

/** An instance of the kernel module on `memory` (shared or not, as `shared` says). */
export function instantiate(memory: WasmMemory, shared: boolean): Record<string, unknown> {
  const module = wasmKernelModule(shared);
  if (module === null) throw new Error("WebAssembly SIMD is not available");
  return new (wasm as WasmApi).Instance(module, { env: { memory, abort: () => undefined } }).exports;
}

/**
 * Where a kernel reads `data`: the address in the memory the rows live in, or
 * in a fresh memory of the kernel's own holding a copy (`own` true: its bytes
 * count against the index, see addKernel). Throws where WebAssembly SIMD
 * is unavailable or turned off.
 */
export function placeRows(data: Float64Array | Float32Array): { memory: WasmMemory; shared: boolean; x: number; own: boolean } {
  if (wasmDisabled || wasm === undefined) throw new Error("WebAssembly SIMD is turned off");
  const memory = memoryOf(data);
  if (memory !== null) return { memory, shared: true, x: data.byteOffset, own: false };
  const own = new wasm.Memory({ initial: Math.max(1, Math.ceil(data.byteLength / PAGE)), maximum: MAX_PAGES });
  new Uint8Array(own.buffer, 0, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return { memory: own, shared: false, x: 0, own: true };
}

/** Kernels by the rows they were made for (their memories of their own count against the index). */
const kernels = new WeakMap<object, Set<{ readonly ownBytes: number }>>();

export function addKernel(rows: object, kernel: { readonly ownBytes: number }): void {
  let set = kernels.get(rows);
  if (set === undefined) kernels.set(rows, (set = new Set()));
  set.add(kernel);
}

/**
 * The bytes an index's arrays take (`rows` the one its kernels were made for):
 * each array, or once the whole WebAssembly memory an array lives in (its rows
 * and every kernel's scratch there, on every thread), plus the kernels' own
 * memories made in this thread.
 */
export function indexBytes(arrays: Record<string, ArrayBufferView | undefined>, rows: object): number {
  let total = 0;
  for (const kernel of kernels.get(rows) ?? []) total += kernel.ownBytes;
  const seen = new Set<WasmMemory>();
  for (const a of Object.values(arrays)) {
    if (a === undefined) continue;
    const memory = memoryOf(a);
    if (memory === null) total += a.byteLength;
    else if (!seen.has(memory)) {
      seen.add(memory);
      total += memory.buffer.byteLength;
    }
  }
  return total;
}
