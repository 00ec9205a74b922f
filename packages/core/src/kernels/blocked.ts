/**
 * Blocked distance kernels for brute force (euclidean): the dot products of a
 * block of 4 queries with blocks of training rows, as BLAS does it
 * (‖x‖² + ‖q‖² − 2·x·q), in WebAssembly SIMD when available and in TypeScript
 * otherwise. The result is approximate; brute force re-checks every row whose
 * approximate distance could reach the current k-th neighbour with the plain
 * loop (see APPROX_ERROR), so answers stay exactly the plain loop's.
 */
import type { FloatArray } from "../matrix.js";
import { KERNEL_WASM_BASE64 } from "./wasm-bytes.generated.js";

/** Training rows per kernel call (the output block stays in cache). */
export const CHUNK = 1024;

/**
 * |approx − exact| <= approxError(d) · (‖x‖² + ‖q‖²) for the float64 form
 * against the plain loop: each is within (d + 2)·u·(‖x‖² + ‖q‖²)·2 of the real
 * value (u = 2⁻⁵³), doubled for margin.
 */
export function approxError(d: number): number {
  return 8 * (d + 4) * 2 ** -53;
}

/**
 * The same for the float32 form (u = 2⁻²⁴): rounding x and q to float32 and
 * each product and lane sum in float32 put the dot product within
 * (d + 4)·u·(‖x‖² + ‖q‖²)/2 of the real one, so the distance within
 * (d + 4)·u·(‖x‖² + ‖q‖²); doubled for margin, and the float64 terms and the
 * plain loop's own rounding are far below the margin.
 */
export function approxErrorFloat32(d: number): number {
  return 2 * (d + 4) * 2 ** -24;
}

/** Absolute slack for float32 underflow: each operation below 2⁻¹²⁶ errs by at most 2⁻¹⁴⁹. */
export function underflowSlackFloat32(d: number): number {
  return 4 * (d + 4) * 2 ** -149;
}

/**
 * Largest |value| the float32 form accepts: d products of two such values, and
 * their sum, stay finite in float32 (below 2¹²⁰ < 3.4·10³⁸).
 */
export function float32Limit(d: number): number {
  return Math.sqrt(2 ** 120 / d);
}

export type KernelPrecision = "float32" | "float64";

/**
 * Which brute-force distance path to take (euclidean and cosine): "auto" (WebAssembly SIMD:
 * the blocked kernel in its float32 form when the data's scale allows, else its
 * float64 form, from 16 features; below that one query at a time; TypeScript
 * where WebAssembly is missing), "wasm-float64" (the blocked kernel's float64
 * form), "typescript" (the blocked TypeScript kernel) or "plain" (TypeScript, one
 * row at a time).
 */
export type KernelChoice = "auto" | "wasm-float64" | "typescript" | "plain";
export const KERNEL_CHOICES: readonly KernelChoice[] = ["auto", "wasm-float64", "typescript", "plain"];

export interface DistanceKernel {
  readonly kind: "wasm" | "typescript";
  /** Arithmetic of the approximation (the re-check is always the float64 plain loop). */
  readonly precision: KernelPrecision;
  /** Error bound of approx: |approx − plain loop| <= eps · (‖x‖² + ‖q‖²) + slack. */
  readonly eps: number;
  readonly slack: number;
  /** Largest |query value| approx accepts (beyond it the caller re-checks every row). */
  readonly queryLimit: number;
  /** Squared norms of the training rows. */
  readonly norms: Float64Array;
  /**
   * Approximate squared distances of the 4 queries in `q` (4·d values, squared
   * norms qn) to rows [start, start+count), and for each query t the rows whose
   * lower bound approx − eps·(‖x‖² + ‖q‖²) − slack is not above thresholds[t].
   */
  approx(q: Float64Array, qn: Float64Array, start: number, count: number, thresholds: Float64Array, eps: number, slack: number): KernelBlock;
}

/** One kernel call's output (the same views each call, valid until the next; they may run past the call's count). */
export interface KernelBlock {
  /** Row t's approximations start at t·(count+1). */
  readonly approx: Float64Array;
  /** Candidates per query. */
  readonly counts: Int32Array;
  /** Query t's candidate row offsets (from start) start at t·count. */
  readonly candidates: Int32Array;
}

interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let wasmDisabled = false;
let wasmFloat32Disabled = false;
let compiled: object | null | undefined;

/** Turns the WebAssembly kernel off (or back on), e.g. to test the TypeScript fallback. */
export function setWasmKernelEnabled(enabled: boolean): void {
  wasmDisabled = !enabled;
}

/** Turns the float32 form of the WebAssembly kernel off (or back on), e.g. to test the float64 form. */
export function setWasmFloat32Enabled(enabled: boolean): void {
  wasmFloat32Disabled = !enabled;
}

function decode(base64: string): Uint8Array {
  const B = (globalThis as { Buffer?: { from(s: string, e: string): Uint8Array } }).Buffer;
  if (B) return new Uint8Array(B.from(base64, "base64"));
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A fresh instance of the kernel module with its own memory of at least `bytes`; throws where WebAssembly is unavailable or turned off. */
export function wasmInstance(bytes: number): { memory: WasmMemory; exports: Record<string, unknown> } {
  const module = wasmKernelModule();
  if (module === null || wasm === undefined) throw new Error("WebAssembly SIMD is not available");
  const memory = new wasm.Memory({ initial: Math.ceil(bytes / 65536) });
  const instance = new wasm.Instance(module, { env: { memory, abort: () => undefined } });
  return { memory, exports: instance.exports };
}

/** The compiled kernel module, or null where WebAssembly (with SIMD) is unavailable or turned off. */
export function wasmKernelModule(): object | null {
  if (wasmDisabled || wasm === undefined) return null;
  if (compiled === undefined) {
    try {
      compiled = new wasm.Module(decode(KERNEL_WASM_BASE64));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

export function squaredNorms(data: FloatArray, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0, o = i * cols; j < cols; j++) s += data[o + j] * data[o + j];
    out[i] = s;
  }
  return out;
}

const align = (n: number) => Math.ceil(n / 16) * 16;

function maxAbs(data: FloatArray): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) {
    const v = Math.abs(data[i]);
    if (v > m) m = v;
  }
  return m;
}

/**
 * The SIMD kernel over a copy of the training rows in its own WebAssembly
 * memory: float32 rows zero-padded to a multiple of 4 values (f32x4) where the
 * data's scale allows, else the rows as stored with float64 arithmetic (f64x2).
 */
class WasmKernel implements DistanceKernel {
  readonly kind = "wasm" as const;
  readonly precision: KernelPrecision;
  readonly eps: number;
  readonly slack: number;
  readonly queryLimit: number;
  private readonly fn: (...args: number[]) => void;
  private readonly ptr: { x: number; xn: number; q: number; qn: number; out: number; sel: number };
  /** Views on the kernel's memory (it never grows), made once. */
  private readonly views: { q32: Float32Array; q64: Float64Array; qn: Float64Array; thresholds: Float64Array; block: KernelBlock };
  private readonly f32Storage: number;
  /** Values per stored row (d, or d padded to a multiple of 4 for the float32 form). */
  private readonly stride: number;

  constructor(data: FloatArray, readonly norms: Float64Array, private readonly d: number, allowFloat32: boolean) {
    const float32 = allowFloat32 && !wasmFloat32Disabled && maxAbs(data) <= float32Limit(d);
    this.precision = float32 ? "float32" : "float64";
    this.eps = float32 ? approxErrorFloat32(d) : approxError(d);
    this.slack = float32 ? underflowSlackFloat32(d) : 0;
    this.queryLimit = float32 ? float32Limit(d) : Infinity;
    this.stride = float32 ? Math.ceil(d / 4) * 4 : d;
    const rows = norms.length;
    const xBytes = float32 ? rows * this.stride * 4 : data.byteLength;
    const qBytes = float32 ? 4 * this.stride * 4 : 4 * d * 8;
    const xn = align(xBytes);
    const q = align(xn + norms.byteLength);
    const qn = align(q + qBytes);
    const out = align(qn + 32);
    const sel = align(out + 4 * (CHUNK + 1) * 8);
    const { memory, exports } = wasmInstance(sel + 48 + 16 * CHUNK);
    this.fn = (float32 ? exports.approx4f32 : exports.approx4) as (...args: number[]) => void;
    this.ptr = { x: 0, xn, q, qn, out, sel };
    this.f32Storage = data instanceof Float32Array ? 1 : 0;
    const buf = memory.buffer;
    this.views = {
      q32: new Float32Array(buf, q, float32 ? 4 * this.stride : 0),
      q64: new Float64Array(buf, q, float32 ? 0 : 4 * d),
      qn: new Float64Array(buf, qn, 4),
      thresholds: new Float64Array(buf, sel, 4),
      block: {
        approx: new Float64Array(buf, out, 4 * (CHUNK + 1)),
        counts: new Int32Array(buf, sel + 32, 4),
        candidates: new Int32Array(buf, sel + 48, 4 * CHUNK),
      },
    };
    if (float32) {
      const x = new Float32Array(buf, 0, rows * this.stride);
      for (let i = 0; i < rows; i++) x.set(data.subarray(i * d, i * d + d), i * this.stride);
    } else new Uint8Array(buf, 0, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    new Float64Array(buf, xn, rows).set(norms);
  }

  approx(q: Float64Array, qn: Float64Array, start: number, count: number, thresholds: Float64Array, eps: number, slack: number): KernelBlock {
    const { d, stride, ptr, views } = this;
    views.qn.set(qn);
    views.thresholds.set(thresholds);
    if (this.precision === "float32") {
      for (let t = 0; t < 4; t++) views.q32.set(q.subarray(t * d, t * d + d), t * stride);
      this.fn(ptr.q, ptr.qn, ptr.x, ptr.xn, stride, start, count, ptr.out, ptr.sel, eps, slack);
    } else {
      views.q64.set(q);
      this.fn(ptr.q, ptr.qn, ptr.x, ptr.xn, d, start, count, ptr.out, this.f32Storage, ptr.sel, eps, slack);
    }
    return views.block;
  }
}

/** The same computation in TypeScript, 4 queries × 2 rows per pass (the fallback). */
class TypeScriptKernel implements DistanceKernel {
  readonly kind = "typescript" as const;
  readonly precision = "float64" as const;
  readonly eps: number;
  readonly slack = 0;
  readonly queryLimit = Infinity;
  private readonly out = new Float64Array(4 * (CHUNK + 1));
  private readonly counts = new Int32Array(4);
  private readonly candidates = new Int32Array(4 * CHUNK);

  constructor(private readonly data: FloatArray, readonly norms: Float64Array, private readonly d: number) {
    this.eps = approxError(d);
  }

  approx(q: Float64Array, qn: Float64Array, start: number, count: number, thresholds: Float64Array, eps: number, slack: number): KernelBlock {
    const { data, norms: xn, d, out, counts, candidates } = this;
    const s = count + 1;
    for (let r = 0; r < count; r += 2) {
      const o0 = (start + r) * d;
      const o1 = r + 1 < count ? o0 + d : o0;
      let a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
      for (let j = 0; j < d; j++) {
        const v0 = data[o0 + j];
        const v1 = data[o1 + j];
        const q0 = q[j];
        const q1 = q[d + j];
        const q2 = q[2 * d + j];
        const q3 = q[3 * d + j];
        a00 += q0 * v0;
        a01 += q1 * v0;
        a02 += q2 * v0;
        a03 += q3 * v0;
        a10 += q0 * v1;
        a11 += q1 * v1;
        a12 += q2 * v1;
        a13 += q3 * v1;
      }
      const n0 = xn[start + r];
      const n1 = xn[start + Math.min(r + 1, count - 1)];
      out[r] = n0 + qn[0] - 2 * a00;
      out[s + r] = n0 + qn[1] - 2 * a01;
      out[2 * s + r] = n0 + qn[2] - 2 * a02;
      out[3 * s + r] = n0 + qn[3] - 2 * a03;
      out[r + 1] = n1 + qn[0] - 2 * a10;
      out[s + r + 1] = n1 + qn[1] - 2 * a11;
      out[2 * s + r + 1] = n1 + qn[2] - 2 * a12;
      out[3 * s + r + 1] = n1 + qn[3] - 2 * a13;
    }
    for (let t = 0; t < 4; t++) {
      let n = 0;
      for (let r = 0; r < count; r++) {
        const norms = xn[start + r] + qn[t];
        if (!(out[t * s + r] - eps * norms - slack > thresholds[t])) candidates[t * count + n++] = r;
      }
      counts[t] = n;
    }
    return { approx: out, counts, candidates };
  }
}

/** The kernel over these training rows that `choice` asks for (see KernelChoice; "plain" is the caller's loop). */
export function distanceKernel(data: FloatArray, rows: number, cols: number, choice: Exclude<KernelChoice, "plain"> = "auto"): DistanceKernel {
  const xn = squaredNorms(data, rows, cols);
  if (choice !== "typescript") {
    try {
      return new WasmKernel(data, xn, cols, choice === "auto");
    } catch {
      // fall through to TypeScript (no WebAssembly, or the memory could not be allocated)
    }
  }
  return new TypeScriptKernel(data, xn, cols);
}

