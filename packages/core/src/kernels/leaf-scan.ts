/**
 * Leaf scans of the trees (euclidean) in WebAssembly SIMD: the tree-ordered rows
 * are copied once into the kernel's memory as pairs (rows 2p and 2p + 1 side by
 * side, one per lane), and a call gives the squared distances of one query to a
 * run of rows, each lane summing its dimensions in order exactly as the plain
 * loop does, so the distances are the plain loop's bit for bit.
 */
import type { NeighborHeap } from "../heap.js";
import type { FloatArray } from "../matrix.js";
import { wasmInstance } from "./blocked.js";

export class LeafScanKernel {
  private readonly fn: (q: number, x: number, d: number, f32: number, from: number, to: number, bound: number, out: number) => void;
  private readonly qPtr: number;
  private readonly outPtr: number;
  private readonly f32: number;
  private readonly query: Float64Array;
  private readonly out: Float64Array;

  private constructor(data: FloatArray, rows: number, private readonly d: number, private readonly maxRun: number) {
    const pairs = Math.ceil(rows / 2);
    const f32 = data instanceof Float32Array;
    const xBytes = pairs * d * (f32 ? 8 : 16);
    this.qPtr = Math.ceil(xBytes / 16) * 16;
    this.outPtr = this.qPtr + Math.ceil(d / 2) * 16;
    const { memory, exports } = wasmInstance(this.outPtr + (maxRun + 4) * 8);
    this.fn = exports.scanPairs as LeafScanKernel["fn"];
    this.f32 = f32 ? 1 : 0;
    const paired = f32 ? new Float32Array(memory.buffer, 0, pairs * d * 2) : new Float64Array(memory.buffer, 0, pairs * d * 2);
    for (let r = 0; r < rows; r++) {
      const base = (r >> 1) * d * 2 + (r & 1);
      for (let j = 0, o = r * d; j < d; j++) paired[base + 2 * j] = data[o + j];
    }
    this.query = new Float64Array(memory.buffer, this.qPtr, d);
    this.out = new Float64Array(memory.buffer, this.outPtr, maxRun + 4);
  }

  /** A kernel over these rows, scanning runs of at most maxRun rows per call, or null without WebAssembly SIMD. */
  static create(data: FloatArray, rows: number, d: number, maxRun: number): LeafScanKernel | null {
    try {
      return new LeafScanKernel(data, rows, d, maxRun);
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
      this.fn(this.qPtr, 0, this.d, this.f32, from >> 1, (to + 1) >> 1, hd[0], this.outPtr);
      const shift = from & ~1;
      for (let pos = from; pos < to; pos++) {
        const r = out[pos - shift];
        if (r <= hd[0]) heap.push(r, ids[pos]);
      }
    }
  }
}
