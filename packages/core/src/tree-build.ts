/**
 * Builds the arrays of a binary tree (see binary-tree.ts) top-down, node by
 * node in breadth-first order, on the rows themselves: the rows are copied once
 * into tree order and partitioned in place, so every pass reads contiguous
 * memory (no row-index indirection), and nothing is allocated per node.
 *
 * Each inner node splits its rows at the median (an in-place Floyd-Rivest
 * select) across its widest dimension. Its box is known without a pass over
 * its rows: the parent's, narrowed in the split dimension to the child's side.
 * That box can only be wider than the rows' true extent, so the widest
 * dimension is found exactly by measuring the true extent of the dimensions
 * in decreasing order of box width, stopping once no remaining box is wider
 * than the widest extent measured: usually one or two dimensions, not all.
 * Every node's exact box is then the union of its children's (leaves: their rows).
 */
import type { FloatArray, Matrix } from "./matrix.js";
import { allocRows } from "./kernels/memory.js";
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
  /** Per node the exact box of its rows, D lower bounds then D upper bounds. */
  readonly boxes: Float64Array;
}

/**
 * Partitions the rows into a complete tree of nNodes nodes: node i covers
 * [nodeStart[i], nodeEnd[i]) and splits at its middle into 2i+1 and 2i+2.
 * `boxes` is allocated in shared memory when `sharedBoxes` (the KD-tree keeps it), else as scratch.
 */
export function partitionRows(m: Matrix, nNodes: number, sharedBoxes: boolean): PartitionedRows {
  const { data: X, rows: n, cols: d } = m;
  const data = allocRows(X instanceof Float32Array ? Float32Array : Float64Array, n * d) as FloatArray;
  data.set(X);
  const idxArray = allocShared(Int32Array, n);
  for (let i = 0; i < n; i++) idxArray[i] = i;
  const nodeStart = allocShared(Int32Array, nNodes);
  const nodeEnd = allocShared(Int32Array, nNodes);
  const isLeaf = allocShared(Uint8Array, nNodes);
  const splitDim = allocShared(Int32Array, nNodes);
  const boxes = sharedBoxes ? allocShared(Float64Array, nNodes * 2 * d) : new Float64Array(nNodes * 2 * d);
  // the node whose true extent in each dimension was last measured (so nothing is cleared per node)
  const measured = new Int32Array(d).fill(-1);
  nodeEnd[0] = n;
  rowsBox(data, d, 0, n, boxes, 0);
  for (let node = 0; node < nNodes; node++) {
    const start = nodeStart[node];
    const end = nodeEnd[node];
    const o = node * 2 * d;
    const left = 2 * node + 1;
    if (left >= nNodes) {
      isLeaf[node] = 1;
      splitDim[node] = -1;
      continue;
    }
    const s = widestDimension(data, d, start, end, boxes, o, measured, node);
    splitDim[node] = s;
    const mid = start + ((end - start) >> 1);
    selectRow(data, idxArray, d, s, start, end - 1, mid);
    nodeStart[left] = start;
    nodeEnd[left] = mid;
    nodeStart[left + 1] = mid;
    nodeEnd[left + 1] = end;
    // the children's boxes: the parent's, each narrowed in s to its own side of the split
    let leftMax = data[start * d + s];
    for (let r = (start + 1) * d + s; r < mid * d; r += d) if (data[r] > leftMax) leftMax = data[r];
    const lo = left * 2 * d;
    const ro = lo + 2 * d;
    boxes.copyWithin(lo, o, o + 2 * d);
    boxes.copyWithin(ro, o, o + 2 * d);
    boxes[lo + d + s] = leftMax;
    boxes[ro + s] = data[mid * d + s];
  }
  // exact boxes, bottom-up: a leaf's from its rows, an inner node's the union of its children's
  for (let node = nNodes - 1; node >= 0; node--) {
    const o = node * 2 * d;
    if (isLeaf[node] === 1) {
      rowsBox(data, d, nodeStart[node], nodeEnd[node], boxes, o);
      continue;
    }
    const lo = (2 * node + 1) * 2 * d;
    const ro = lo + 2 * d;
    for (let j = 0; j < d; j++) {
      boxes[o + j] = Math.min(boxes[lo + j], boxes[ro + j]);
      boxes[o + d + j] = Math.max(boxes[lo + d + j], boxes[ro + d + j]);
    }
  }
  return { data, idxArray, nodeStart, nodeEnd, isLeaf, splitDim, boxes };
}

/** The box of rows [start, end) (never empty: treeNodeCount leaves no node empty) into out[o .. o + 2d). */
function rowsBox(data: FloatArray, d: number, start: number, end: number, out: Float64Array, o: number): void {
  const hi = o + d;
  for (let j = 0, r = start * d; j < d; j++) out[o + j] = out[hi + j] = data[r + j];
  for (let r = (start + 1) * d, stop = end * d; r < stop; r += d) {
    for (let j = 0; j < d; j++) {
      const v = data[r + j];
      if (v < out[o + j]) out[o + j] = v;
      else if (v > out[hi + j]) out[hi + j] = v;
    }
  }
}

/**
 * The dimension in which rows [start, end) spread widest (see the header):
 * measures true extents in decreasing order of box width, writing each into
 * the box, until no unmeasured dimension's box is wider than the best extent.
 */
function widestDimension(data: FloatArray, d: number, start: number, end: number, box: Float64Array, o: number, measured: Int32Array, node: number): number {
  let best = -1;
  let widest = 0;
  for (;;) {
    let j = -1;
    let width = -1;
    for (let c = 0; c < d; c++) {
      const w = box[o + d + c] - box[o + c];
      if (measured[c] !== node && w > width) {
        width = w;
        j = c;
      }
    }
    if (j < 0 || width <= best) return widest;
    measured[j] = node;
    let lo = data[start * d + j];
    let hi = lo;
    for (let r = (start + 1) * d + j, stop = end * d; r < stop; r += d) {
      const v = data[r];
      if (v < lo) lo = v;
      else if (v > hi) hi = v;
    }
    box[o + j] = lo;
    box[o + d + j] = hi;
    if (hi - lo > best) {
      best = hi - lo;
      widest = j;
    }
  }
}

/**
 * Reorders rows lo..hi (inclusive; each row's d values and its idx entry move
 * together) so that row nth holds the nth smallest value in column s, no
 * larger value before it and no smaller after it (Floyd and Rivest: on long
 * ranges the pivot is first selected within a sample around nth, so a pass or
 * two suffice). Partitions stop on equal values, so duplicates split evenly.
 */
function selectRow(data: FloatArray, idx: Int32Array, d: number, s: number, lo: number, hi: number, nth: number): void {
  while (hi > lo) {
    if (hi - lo > 600) {
      const n = hi - lo + 1;
      const i = nth - lo + 1;
      const z = Math.log(n);
      const size = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * size * (n - size)) / n) * (i - n / 2 < 0 ? -1 : 1);
      selectRow(data, idx, d, s, Math.max(lo, Math.floor(nth - (i * size) / n + sd)), Math.min(hi, Math.floor(nth + ((n - i) * size) / n + sd)), nth);
    }
    const pivot = data[nth * d + s];
    // pivot row to lo; a row no smaller at hi stops the left scan, one no larger at lo the right scan
    swapRows(data, idx, d, lo, nth);
    if (data[hi * d + s] > pivot) swapRows(data, idx, d, lo, hi);
    let i = lo;
    let j = hi;
    while (i < j) {
      swapRows(data, idx, d, i, j);
      i++;
      j--;
      while (data[i * d + s] < pivot) i++;
      while (data[j * d + s] > pivot) j--;
    }
    if (data[lo * d + s] === pivot) swapRows(data, idx, d, lo, j);
    else {
      j++;
      swapRows(data, idx, d, j, hi);
    }
    if (j <= nth) lo = j + 1;
    if (nth <= j) hi = j - 1;
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
