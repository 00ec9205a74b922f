/**
 * Blocked distance kernels for brute force (euclidean): the dot products of a
 * block of 4 queries with blocks of training rows, as BLAS does it
 * (‖x‖² + ‖q‖² − 2·x·q), in WebAssembly SIMD when available and in TypeScript
 * otherwise. The result is approximate; brute force re-checks every row whose
 * approximate distance could reach the current k-th neighbour with the plain
 * loop (see approxError), so answers stay exactly the plain loop's.
 */
import type { NeighborHeap } from "../heap.js";
import type { FloatArray } from "../matrix.js";
import { addKernel, instantiate, placeRows, reserve, type WasmMemory } from "./memory.js";

export { setWasmKernelEnabled, wasmKernelModule } from "./memory.js";

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
 * plain loop's own rounding are far below the margin. A fused multiply-add
 * (relaxed SIMD) rounds once where a multiply and an add round twice, so the
 * same bound holds with or without fusion.
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
  /**
   * Where the kernel has it (WebAssembly), the whole exact search of BlockedSearch.run for
   * euclidean rows reported as themselves: query t of q (4·d values, squared norms qn) over
   * rows [lo[t], hi[t]) with error bound (eps, slack), into heaps[t] (each of the same k,
   * starting from what they hold), for t < nq; the heaps then hold exactly what the plain
   * loop's scan would leave.
   */
  search?(q: Float64Array, qn: Float64Array, nq: number, lo: Int32Array, hi: Int32Array, eps: number, slack: number, heaps: NeighborHeap[]): void;
}

/** One kernel call's output (the same views each call, valid until the next; they may run past the call's count). */
export interface KernelBlock {
  /** Row r's approximations for queries 0..3 at 4·r .. 4·r + 3. */
  readonly approx: Float64Array;
  /** Candidates per query. */
  readonly counts: Int32Array;
  /** Query t's candidate row offsets (from start) start at t·count. */
  readonly candidates: Int32Array;
}

let wasmFloat32Disabled = false;

/** Turns the float32 form of the WebAssembly kernel off (or back on), e.g. to test the float64 form. */
export function setWasmFloat32Enabled(enabled: boolean): void {
  wasmFloat32Disabled = !enabled;
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
 * The SIMD kernel, reading the rows where they live (see memory.ts): float32
 * arithmetic (f32x4) where the data's scale allows, on the rows themselves
 * when they are float32 and on a float32 copy when they are float64, else
 * float64 arithmetic (f64x2) on the rows as stored. Its scratch (row norms,
 * queries, output block, heaps) is reserved in the same memory.
 */
class WasmKernel implements DistanceKernel {
  readonly kind = "wasm" as const;
  readonly precision: KernelPrecision;
  readonly eps: number;
  readonly slack: number;
  readonly queryLimit: number;
  private readonly exports: Record<string, (...args: number[]) => void>;
  private readonly memory: WasmMemory;
  private readonly own: boolean;
  private readonly ptr: { x: number; xa: number; xn: number; q64: number; qa: number; qn: number; lohi: number; out: number; sel: number };
  private readonly f32: number;
  private readonly form32: boolean;
  private heapCapacity = 0;
  private heapPtr = 0;
  private views!: {
    q64: Float64Array;
    qa: Float32Array;
    qn: Float64Array;
    lohi: Int32Array;
    thresholds: Float64Array;
    heapD: Float64Array;
    heapI: Int32Array;
    block: KernelBlock;
  };

  constructor(data: FloatArray, readonly norms: Float64Array, private readonly d: number, allowFloat32: boolean, owner: object) {
    const float32 = allowFloat32 && !wasmFloat32Disabled && maxAbs(data) <= float32Limit(d);
    this.precision = float32 ? "float32" : "float64";
    this.form32 = float32;
    this.eps = float32 ? approxErrorFloat32(d) : approxError(d);
    this.slack = float32 ? underflowSlackFloat32(d) : 0;
    this.queryLimit = float32 ? float32Limit(d) : Infinity;
    this.f32 = data instanceof Float32Array ? 1 : 0;
    const place = placeRows(data);
    this.memory = place.memory;
    this.own = place.own;
    const rows = norms.length;
    const copy32 = float32 && this.f32 === 0;
    let end = 0;
    const take = (bytes: number) => {
      const at = end;
      end = align(end + bytes);
      return at;
    };
    const rel = {
      xn: take(rows * 8),
      xa: copy32 ? take(rows * d * 4) : -1,
      q64: take(4 * d * 8),
      qa: take(4 * d * 4),
      qn: take(32),
      lohi: take(32),
      out: take(4 * (CHUNK + 1) * 8),
      sel: take(48 + 16 * CHUNK),
    };
    const base = reserve(this.memory, end);
    this.ptr = {
      x: place.x,
      xa: copy32 ? base + rel.xa : place.x,
      xn: base + rel.xn,
      q64: base + rel.q64,
      qa: base + rel.qa,
      qn: base + rel.qn,
      lohi: base + rel.lohi,
      out: base + rel.out,
      sel: base + rel.sel,
    };
    this.exports = instantiate(this.memory, place.shared) as WasmKernel["exports"];
    const buf = this.memory.buffer;
    if (copy32) {
      const x = new Float32Array(buf, this.ptr.xa, rows * d);
      x.set(data);
    }
    new Float64Array(buf, this.ptr.xn, rows).set(norms);
    this.ensureHeaps(16);
    addKernel(owner, this);
  }

  /** Room for 4 heaps of k (the views are made again: a memory of the kernel's own is detached when it grows). */
  private ensureHeaps(k: number): void {
    if (k > this.heapCapacity) {
      this.heapPtr = reserve(this.memory, 4 * k * 12);
      this.heapCapacity = k;
    }
    if (this.views !== undefined && this.views.heapD.buffer === this.memory.buffer) return;
    const buf = this.memory.buffer;
    const { ptr, d, heapPtr, heapCapacity: cap } = this;
    this.views = {
      q64: new Float64Array(buf, ptr.q64, 4 * d),
      qa: new Float32Array(buf, ptr.qa, 4 * d),
      qn: new Float64Array(buf, ptr.qn, 4),
      lohi: new Int32Array(buf, ptr.lohi, 8),
      thresholds: new Float64Array(buf, ptr.sel, 4),
      heapD: new Float64Array(buf, heapPtr, 4 * cap),
      heapI: new Int32Array(buf, heapPtr + 4 * cap * 8, 4 * cap),
      block: {
        approx: new Float64Array(buf, ptr.out, 4 * (CHUNK + 1)),
        counts: new Int32Array(buf, ptr.sel + 32, 4),
        candidates: new Int32Array(buf, ptr.sel + 48, 4 * CHUNK),
      },
    };
  }

  /** Bytes of the kernel's own memory (0 when it works in the rows' memory). */
  get ownBytes(): number {
    return this.own ? this.memory.buffer.byteLength : 0;
  }

  approx(q: Float64Array, qn: Float64Array, start: number, count: number, thresholds: Float64Array, eps: number, slack: number): KernelBlock {
    const { d, ptr } = this;
    this.ensureHeaps(0);
    const views = this.views;
    views.qn.set(qn);
    views.thresholds.set(thresholds);
    if (this.form32) {
      views.qa.set(q);
      this.exports.approx4f32(ptr.qa, ptr.qn, ptr.xa, ptr.xn, d, start, count, ptr.out, ptr.sel, eps, slack);
    } else {
      views.q64.set(q);
      this.exports.approx4(ptr.q64, ptr.qn, ptr.x, ptr.xn, d, start, count, ptr.out, this.f32, ptr.sel, eps, slack);
    }
    return views.block;
  }

  search(q: Float64Array, qn: Float64Array, nq: number, lo: Int32Array, hi: Int32Array, eps: number, slack: number, heaps: NeighborHeap[]): void {
    const k = heaps[0].k;
    this.ensureHeaps(k);
    const { d, ptr, views } = this;
    views.q64.set(q);
    if (this.form32) views.qa.set(q);
    views.qn.set(qn);
    for (let t = 0; t < 4; t++) {
      views.lohi[t] = lo[t];
      views.lohi[4 + t] = hi[t];
    }
    views.heapD.fill(Infinity, 0, 4 * k);
    views.heapI.fill(0x7fffffff, 0, 4 * k);
    for (let t = 0; t < nq; t++) {
      views.heapD.set(heaps[t].dist, t * k);
      views.heapI.set(heaps[t].idx, t * k);
    }
    const hd = this.heapPtr;
    const hi32 = hd + 4 * this.heapCapacity * 8;
    this.exports.search4(ptr.x, this.f32, ptr.xa, this.form32 ? 1 : 0, ptr.xn, d, k, nq, ptr.q64, this.form32 ? ptr.qa : ptr.q64, ptr.qn, ptr.lohi, hd, hi32, ptr.out, CHUNK, eps, slack);
    for (let t = 0; t < nq; t++) {
      heaps[t].dist.set(views.heapD.subarray(t * k, t * k + k));
      heaps[t].idx.set(views.heapI.subarray(t * k, t * k + k));
    }
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
      const o = 4 * r;
      out[o] = n0 + qn[0] - 2 * a00;
      out[o + 1] = n0 + qn[1] - 2 * a01;
      out[o + 2] = n0 + qn[2] - 2 * a02;
      out[o + 3] = n0 + qn[3] - 2 * a03;
      out[o + 4] = n1 + qn[0] - 2 * a10;
      out[o + 5] = n1 + qn[1] - 2 * a11;
      out[o + 6] = n1 + qn[2] - 2 * a12;
      out[o + 7] = n1 + qn[3] - 2 * a13;
    }
    for (let t = 0; t < 4; t++) {
      let n = 0;
      for (let r = 0; r < count; r++) {
        const norms = xn[start + r] + qn[t];
        if (!(out[4 * r + t] - eps * norms - slack > thresholds[t])) candidates[t * count + n++] = r;
      }
      counts[t] = n;
    }
    return { approx: out, counts, candidates };
  }
}

/**
 * The kernel over these training rows that `choice` asks for (see KernelChoice; "plain" is the
 * caller's loop); a memory of its own counts against `owner`'s index (see memory.ts).
 */
export function distanceKernel(
  data: FloatArray,
  rows: number,
  cols: number,
  choice: Exclude<KernelChoice, "plain"> = "auto",
  owner: object = data,
): DistanceKernel {
  const xn = squaredNorms(data, rows, cols);
  if (choice !== "typescript") {
    try {
      return new WasmKernel(data, xn, cols, choice === "auto", owner);
    } catch {
      // fall through to TypeScript (no WebAssembly, or the memory could not be allocated)
    }
  }
  return new TypeScriptKernel(data, xn, cols);
}

