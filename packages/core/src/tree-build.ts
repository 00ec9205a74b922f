/**
 * Builds the arrays of a binary tree (see binary-tree.ts) top-down, node by
 * node in breadth-first order, on the rows themselves: the rows are copied once
 * into tree order and partitioned in place, so every pass reads contiguous
 * memory (no row-index indirection), and nothing is allocated per node.
 * Each inner node scans its rows once for its box (the split goes across the
 * widest dimension) and splits them at the median with an in-place select.
 */
import type { FloatArray, Matrix } from "./matrix.js";
import { allocShared } from "./shared.js";

export interface PartitionedRows {
  /** The rows in tree order. */
  readonly data: FloatArray;
  /** Tree position -> original row index. */
  readonly idxArray: Int32Array;
  readonly nodeStart: Int32Array;
  readonly nodeEnd: Int32Array;
  readonly isLeaf: Uint8Array;
  /** Inner nodes: the dimension their rows are split across; leaves: -1. */
  readonly splitDim: Int32Array;
  /** Per node its box, D lower bounds then D upper bounds (leaves too). */
  readonly boxes: Float64Array;
}

/**
 * Partitions the rows into a complete tree of nNodes nodes: node i covers
 * [nodeStart[i], nodeEnd[i]) and splits at its middle into 2i+1 and 2i+2.
 * `boxes` is allocated in shared memory when `sharedBoxes` (the KD-tree keeps it), else as scratch.
 */
export function partitionRows(m: Matrix, nNodes: number, sharedBoxes: boolean): PartitionedRows {
  const { data: X, rows: n, cols: d } = m;
  const data = allocShared(X instanceof Float32Array ? Float32Array : Float64Array, n * d) as FloatArray;
  data.set(X);
  const idxArray = allocShared(Int32Array, n);
  for (let i = 0; i < n; i++) idxArray[i] = i;
  const nodeStart = allocShared(Int32Array, nNodes);
  const nodeEnd = allocShared(Int32Array, nNodes);
  const isLeaf = allocShared(Uint8Array, nNodes);
  const splitDim = allocShared(Int32Array, nNodes);
  const boxes = sharedBoxes ? allocShared(Float64Array, nNodes * 2 * d) : new Float64Array(nNodes * 2 * d);
  nodeEnd[0] = n;
  for (let node = 0; node < nNodes; node++) {
    const start = nodeStart[node];
    const end = nodeEnd[node];
    const s = rowBox(data, d, start, end, boxes, node * 2 * d);
    const left = 2 * node + 1;
    if (left >= nNodes) {
      isLeaf[node] = 1;
      splitDim[node] = -1;
      continue;
    }
    splitDim[node] = s;
    const mid = start + ((end - start) >> 1);
    selectRow(data, idxArray, d, s, start, end - 1, mid);
    nodeStart[left] = start;
    nodeEnd[left] = mid;
    nodeStart[left + 1] = mid;
    nodeEnd[left + 1] = end;
  }
  return { data, idxArray, nodeStart, nodeEnd, isLeaf, splitDim, boxes };
}

/** The box of rows [start, end) into out[o .. o + 2d); returns its widest dimension (the first of equals). */
function rowBox(data: FloatArray, d: number, start: number, end: number, out: Float64Array, o: number): number {
  // treeNodeCount leaves no node empty
  const hi = o + d;
  for (let j = 0, r = start * d; j < d; j++) out[o + j] = out[hi + j] = data[r + j];
  for (let r = (start + 1) * d, stop = end * d; r < stop; r += d) {
    for (let j = 0; j < d; j++) {
      const v = data[r + j];
      if (v < out[o + j]) out[o + j] = v;
      else if (v > out[hi + j]) out[hi + j] = v;
    }
  }
  let widest = 0;
  let spread = -1;
  for (let j = 0; j < d; j++) {
    const w = out[hi + j] - out[o + j];
    if (w > spread) {
      spread = w;
      widest = j;
    }
  }
  return widest;
}

/**
 * Reorders rows lo..hi (inclusive; each row's d values and its idx entry move
 * together) so that row nth holds the nth smallest value in column s, no
 * larger value before it and no smaller after it. Hoare partitions around a
 * median of three stop on equal values, so duplicates split evenly.
 */
function selectRow(data: FloatArray, idx: Int32Array, d: number, s: number, lo: number, hi: number, nth: number): void {
  while (hi > lo) {
    const a = data[lo * d + s];
    const b = data[((lo + hi) >> 1) * d + s];
    const c = data[hi * d + s];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (data[i * d + s] < pivot) i++;
      while (data[j * d + s] > pivot) j--;
      if (i <= j) {
        if (i !== j) swapRows(data, idx, d, i, j);
        i++;
        j--;
      }
    }
    if (nth <= j) hi = j;
    else if (nth >= i) lo = i;
    else return;
  }
}

function swapRows(data: FloatArray, idx: Int32Array, d: number, i: number, j: number): void {
  const t = idx[i];
  idx[i] = idx[j];
  idx[j] = t;
  for (let k = 0, oi = i * d, oj = j * d; k < d; k++) {
    const v = data[oi + k];
    data[oi + k] = data[oj + k];
    data[oj + k] = v;
  }
}
