/**
 * Leaf scans of the trees (euclidean) in WebAssembly SIMD, reading the rows
 * where they live (see memory.ts): a call gives the squared distances of one
 * query to a run of rows, two rows at a time (one per lane), each lane summing
 * its dimensions in order exactly as the plain loop does, so the distances are
 * the plain loop's bit for bit.
 */
import type { NeighborHeap } from "../heap.js";
import type { FloatArray } from "../matrix.js";
import { addKernel, instantiate, placeRows, reserve } from "./memory.js";

export class LeafScanKernel {
  private readonly fn: (q: number, x: number, d: number, f32: number, from: number, to: number, bound: number, out: number) => void;
  private readonly x: number;
  private readonly qPtr: number;
  private readonly outPtr: number;
  private readonly f32: number;
  private readonly query: Float64Array;
  private readonly out: Float64Array;
  /** Bytes of the kernel's own memory (0 when it works in the rows' memory). */
  readonly ownBytes: number;

  private constructor(data: FloatArray, private readonly d: number, private readonly maxRun: number, owner: object) {
    const place = placeRows(data);
    this.x = place.x;
    // the query (16-byte aligned), then maxRun distances and the seven a last pass writes past them
    this.qPtr = reserve(place.memory, Math.ceil(d / 2) * 16 + (maxRun + 8) * 8);
    this.outPtr = this.qPtr + Math.ceil(d / 2) * 16;
    this.fn = instantiate(place.memory, place.shared).scanRows as LeafScanKernel["fn"];
    this.f32 = data instanceof Float32Array ? 1 : 0;
    this.query = new Float64Array(place.memory.buffer, this.qPtr, d);
    this.out = new Float64Array(place.memory.buffer, this.outPtr, maxRun + 8);
    this.ownBytes = place.own ? place.memory.buffer.byteLength : 0;
    addKernel(owner, this);
  }

  /**
   * A kernel over these rows, scanning runs of at most maxRun rows per call, or null without
   * WebAssembly SIMD; a memory of its own counts against `owner`'s index (see memory.ts).
   */
  static create(data: FloatArray, d: number, maxRun: number, owner: object = data): LeafScanKernel | null {
    try {
      return new LeafScanKernel(data, d, maxRun, owner);
    } catch {
      return null; // no WebAssembly (or turned off), or the memory could not be allocated
    }
  }

  /** Makes row qo / d of q the query of the following scans. */
  setQuery(q: FloatArray, qo: number): void {
    for (let j = 0; j < this.d; j++) this.query[j] = q[qo + j];
  }

  /**
   * Offers rows [start, end) to the heap (as ids[pos]), in runs of at most
   * maxRun rows so that each run starts from the heap's latest bound.
   */
  scanInto(start: number, end: number, heap: NeighborHeap, ids: Int32Array): void {
    const hd = heap.dist;
    const out = this.out;
    for (let from = start; from < end; from += this.maxRun) {
      const to = Math.min(end, from + this.maxRun);
      // rows reading +Infinity exceeded the bound part-way
      this.fn(this.qPtr, this.x, this.d, this.f32, from, to, hd[0], this.outPtr);
      for (let pos = from; pos < to; pos++) {
        const r = out[pos - from];
        if (r <= hd[0]) heap.push(r, ids[pos]);
      }
    }
  }
}
