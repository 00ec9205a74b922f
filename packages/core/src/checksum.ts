/**
 * xxHash32 (Yann Collet's XXH32, seed 0), incremental, for the knnkit file
 * checksum: one multiply-rotate per 4 bytes on four independent lanes. Bytes
 * that live in a rows memory (kernels/memory.ts: where a loaded file's bytes
 * are read to) are hashed by the WebAssembly kernel (xxhStripes, ~15% faster
 * than the TypeScript loop here), which can also check float values for
 * non-finite ones in the same pass; other bytes, or every byte where
 * WebAssembly SIMD is off, by the TypeScript loop. Both give the same hash.
 * Reads words little-endian, as typed arrays do on every host knnkit runs on.
 */
import { adoptMemory, instantiate, memoryOf, wasmKernelModule, type WasmMemory } from "./kernels/memory.js";

const P1 = 0x9e3779b1 | 0;
const P2 = 0x85ebca77 | 0;
const P3 = 0xc2b2ae3d | 0;
const P4 = 0x27d4eb2f | 0;
const P5 = 0x165667b1 | 0;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

interface HashKernel {
  xxhSet(a: number, b: number, c: number, d: number): void;
  xxhLane(i: number): number;
  xxhStripes(p: number, n: number, width: number): number;
}

/** The kernel instance on each rows memory (this thread's). */
const hashKernels = new WeakMap<WasmMemory, HashKernel>();

function hashKernel(bytes: Uint8Array): HashKernel | null {
  const memory = memoryOf(bytes);
  if (memory === null || wasmKernelModule(true) === null) return null;
  let kernel = hashKernels.get(memory);
  if (kernel === undefined) hashKernels.set(memory, (kernel = instantiate(memory, true) as unknown as HashKernel));
  return kernel;
}

/** Whether every float32 (width 4) or float64 (width 8) value of `bytes` (which start on a value) is finite. */
function finiteValues(bytes: Uint8Array, width: 4 | 8): boolean {
  const a = width === 4 ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4) : new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

export class Xxh32 {
  private v1 = (P1 + P2) | 0;
  private v2 = P2;
  private v3 = 0;
  private v4 = -P1 | 0;
  private total = 0;
  /** Up to 15 bytes not yet in a 16-byte stripe. */
  private readonly carry = new Uint8Array(16);
  private readonly carryWords = new Uint32Array(this.carry.buffer);
  private carried = 0;

  update(bytes: Uint8Array): this {
    this.feed(bytes, 0);
    return this;
  }

  /**
   * update, and whether every float32 (width 4) or float64 (width 8) value in
   * `bytes` is finite, checked in the same pass. False when a value is not
   * finite, and also when the values were not checked: outside a rows memory,
   * without WebAssembly SIMD, or `bytes` not whole aligned values.
   */
  updateFinite(bytes: Uint8Array, width: 4 | 8): boolean {
    return this.feed(bytes, width);
  }

  private feed(bytes: Uint8Array, width: 0 | 4 | 8): boolean {
    const kernel = hashKernel(bytes);
    let finite = width !== 0 && kernel !== null && bytes.byteOffset % width === 0 && bytes.length % width === 0;
    this.total += bytes.length;
    let at = 0;
    if (this.carried > 0) {
      at = Math.min(16 - this.carried, bytes.length);
      this.carry.set(bytes.subarray(0, at), this.carried);
      this.carried += at;
      if (finite) finite = finiteValues(bytes.subarray(0, Math.ceil(at / width) * width), width as 4 | 8);
      if (this.carried < 16) return finite;
      this.stripes(this.carryWords, 0, 4);
      this.carried = 0;
    }
    const stripeBytes = (bytes.length - at) & ~15;
    if (stripeBytes > 0) {
      const start = bytes.byteOffset + at;
      if (kernel !== null) {
        // the kernel reads values from the stripes' start: a float64 one needs it on a value
        const checked = finite && start % width === 0 ? width : 0;
        kernel.xxhSet(this.v1, this.v2, this.v3, this.v4);
        const bad = kernel.xxhStripes(start, stripeBytes, checked);
        [this.v1, this.v2, this.v3, this.v4] = [kernel.xxhLane(0), kernel.xxhLane(1), kernel.xxhLane(2), kernel.xxhLane(3)];
        if (checked === 0 || bad !== 0) finite = false;
      } else if (start % 4 === 0) this.stripes(new Uint32Array(bytes.buffer, start, stripeBytes / 4), 0, stripeBytes / 4);
      else {
        // unaligned words are copied a chunk at a time
        for (let o = 0; o < stripeBytes; o += 1 << 16) {
          const n = Math.min(1 << 16, stripeBytes - o);
          const words = new Uint32Array(bytes.slice(at + o, at + o + n).buffer);
          this.stripes(words, 0, n / 4);
        }
      }
      at += stripeBytes;
    }
    this.carry.set(bytes.subarray(at), 0);
    this.carried = bytes.length - at;
    if (finite && this.carried > 0) finite = finiteValues(bytes.subarray(Math.floor(at / width) * width), width as 4 | 8);
    return finite;
  }

  private stripes(w: Uint32Array, from: number, to: number): void {
    let { v1, v2, v3, v4 } = this;
    for (let i = from; i < to; i += 4) {
      v1 = Math.imul(rotl((v1 + Math.imul(w[i], P2)) | 0, 13), P1);
      v2 = Math.imul(rotl((v2 + Math.imul(w[i + 1], P2)) | 0, 13), P1);
      v3 = Math.imul(rotl((v3 + Math.imul(w[i + 2], P2)) | 0, 13), P1);
      v4 = Math.imul(rotl((v4 + Math.imul(w[i + 3], P2)) | 0, 13), P1);
    }
    this.v1 = v1;
    this.v2 = v2;
    this.v3 = v3;
    this.v4 = v4;
  }

  /** The hash of everything passed to update, as an unsigned 32-bit number. */
  digest(): number {
    let h =
      this.total >= 16 ? (rotl(this.v1, 1) + rotl(this.v2, 7) + rotl(this.v3, 12) + rotl(this.v4, 18)) | 0 : P5;
    h = (h + (this.total % 4294967296)) | 0;
    const c = this.carry;
    let i = 0;
    for (; i + 4 <= this.carried; i += 4) {
      const word = c[i] | (c[i + 1] << 8) | (c[i + 2] << 16) | (c[i + 3] << 24);
      h = Math.imul(rotl((h + Math.imul(word, P3)) | 0, 17), P4);
    }
    for (; i < this.carried; i++) h = Math.imul(rotl((h + Math.imul(c[i], P5)) | 0, 11), P1);
    h ^= h >>> 15;
    h = Math.imul(h, P2);
    h ^= h >>> 13;
    h = Math.imul(h, P3);
    h ^= h >>> 16;
    return h >>> 0;
  }
}

/** xxHash32 of the bytes (seed 0). */
export function xxh32(bytes: Uint8Array): number {
  return new Xxh32().update(bytes).digest();
}

/** A float array's bytes [start, end) among hashed bytes; `finite` stays true while every value hashed is finite. */
export interface FloatRange {
  name: string;
  start: number;
  end: number;
  width: 4 | 8;
  finite: boolean;
}

/** Hashes bytes [from, to), checking the values of the float ranges there in the same pass (see updateFinite). */
export function hashRange(hash: Xxh32, bytes: Uint8Array, from: number, to: number, floats: FloatRange[]): void {
  let at = from;
  for (const r of floats) {
    if (r.end <= at || r.start >= to) continue;
    if (r.start > at) hash.update(bytes.subarray(at, r.start));
    at = Math.max(at, r.start);
    const end = Math.min(r.end, to);
    if (!hash.updateFinite(bytes.subarray(at, end), r.width)) r.finite = false;
    at = end;
  }
  if (at < to) hash.update(bytes.subarray(at, to));
}

/**
 * Hashing on a pool thread while the calling thread reads (parallel.ts's
 * backgroundHash): control[0] is how far the bytes are there, in units of 8
 * bytes (-1: stop), control[1] becomes 1 when done, control[2] is the hash,
 * control[3] 1 on failure, control[4 + i] 1 when float range i was all finite.
 */
export interface HashTask {
  type: "hash";
  memory: WasmMemory;
  bytes: Uint8Array;
  from: number;
  floats: FloatRange[];
  control: Int32Array;
}

export function runHashTask(task: HashTask): void {
  const { bytes, control, floats } = task;
  adoptMemory(bytes, task.memory);
  const hash = new Xxh32();
  let at = task.from;
  try {
    for (;;) {
      const ready = Atomics.load(control, 0);
      if (ready < 0) return;
      if (ready * 8 > at) {
        hashRange(hash, bytes, at, ready * 8, floats);
        at = ready * 8;
      }
      if (at >= bytes.length) break;
      Atomics.wait(control, 0, ready);
    }
    control[2] = hash.digest() | 0;
    floats.forEach((r, i) => (control[4 + i] = r.finite ? 1 : 0));
  } catch {
    control[3] = 1;
  } finally {
    Atomics.store(control, 1, 1);
    Atomics.notify(control, 1);
  }
}
