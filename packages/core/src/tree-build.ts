/**
 * Builds the arrays of a binary tree (see binary-tree.ts) top-down, breadth
 * first, one level at a time: each level partitions every node's rows stably
 * into its two children, and nothing is allocated per node.
 *
 * An inner node splits its rows at the median of its widest dimension. The
 * widest dimension: on nodes of more than SAMPLED rows, that of SAMPLE rows
 * evenly spaced in the node; on smaller ones the exact one, measuring true
 * extents only while the node's box (its parent's, narrowed to the median in
 * the split dimension, so maybe loose) could still be wider than the widest
 * extent measured: usually one or two dimensions, not all. Rows equal to the
 * median fill the left side's remaining places in order, so the tree depends
 * only on the median's value, not on how it was found. Exact boxes are
 * measured at the leaves and united upwards.
 *
 * The build runs in WebAssembly (`buildTree` in assembly/tree-build.ts, in a
 * scratch memory of its own: row positions partitioned, the coordinates read
 * through them from contiguous columns, a branch-free median) where the
 * WebAssembly kernels are available (see setWasmKernelEnabled), else in
 * `buildPlain` below, its twin: the same tree, array for array.
 */
import type { FloatArray, Matrix } from "./matrix.js";
import { allocRows, scratchInstance } from "./kernels/memory.js";
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

/** The arrays a build fills (see the header). */
interface BuildArrays {
  idx: Int32Array;
  nodeStart: Int32Array;
  nodeEnd: Int32Array;
  splitDim: Int32Array;
  boxes: Float64Array;
  rows: FloatArray;
}

/**
 * Partitions the rows into a complete tree of nNodes nodes: node i covers
 * [nodeStart[i], nodeEnd[i]) and splits at its middle into 2i+1 and 2i+2.
 * `boxes` is allocated in shared memory when `sharedBoxes` (the KD-tree keeps it), else as scratch.
 */
export function partitionRows(m: Matrix, nNodes: number, sharedBoxes: boolean): PartitionedRows {
  const { data: X, rows: n, cols: d } = m;
  const out: BuildArrays = {
    idx: allocShared(Int32Array, n),
    nodeStart: allocShared(Int32Array, nNodes),
    nodeEnd: allocShared(Int32Array, nNodes),
    splitDim: allocShared(Int32Array, nNodes),
    boxes: sharedBoxes ? allocShared(Float64Array, nNodes * 2 * d) : new Float64Array(nNodes * 2 * d),
    rows: allocRows(X instanceof Float32Array ? Float32Array : Float64Array, n * d) as FloatArray,
  };
  if (!buildWasm(X, n, d, nNodes, out)) buildPlain(X, n, d, nNodes, out);
  const isLeaf = allocShared(Uint8Array, nNodes);
  isLeaf.fill(1, nNodes >> 1);
  return { data: out.rows, idxArray: out.idx, nodeStart: out.nodeStart, nodeEnd: out.nodeEnd, isLeaf, splitDim: out.splitDim, boxes: out.boxes };
}

/** The build in WebAssembly; false where the module or its memory is unavailable. */
function buildWasm(X: FloatArray, n: number, d: number, nNodes: number, out: BuildArrays): boolean {
  const f32 = X instanceof Float32Array;
  const at = (bytes: number): number => Math.ceil(bytes / 8) * 8;
  const rowBytes = at(X.BYTES_PER_ELEMENT * n * d);
  const cols = rowBytes;
  const sorted = cols + rowBytes; // the rows in tree order
  const idx = sorted + rowBytes;
  const posA = idx + at(4 * n);
  const posB = posA + at(4 * n);
  const keys = posB + at(4 * n);
  const sel = keys + 8 * n;
  const measured = sel + 8 * n;
  const nodeStart = measured + at(4 * d);
  const nodeEnd = nodeStart + at(4 * nNodes);
  const splitDim = nodeEnd + at(4 * nNodes);
  const boxes = splitDim + at(4 * nNodes);
  const scratch = scratchInstance(boxes + 16 * d * nNodes);
  if (scratch === null) return false;
  const buf = scratch.memory.buffer as ArrayBuffer; // not shared
  const Rows = f32 ? Float32Array : Float64Array;
  new Rows(buf, 0, n * d).set(X);
  const build = scratch.exports.buildTree as (...args: number[]) => void;
  build(n, d, f32 ? 1 : 0, nNodes, 0, cols, sorted, idx, posA, posB, keys, sel, measured, nodeStart, nodeEnd, splitDim, boxes);
  out.rows.set(new Rows(buf, sorted, n * d));
  out.idx.set(new Int32Array(buf, idx, n));
  out.nodeStart.set(new Int32Array(buf, nodeStart, nNodes));
  out.nodeEnd.set(new Int32Array(buf, nodeEnd, nNodes));
  out.splitDim.set(new Int32Array(buf, splitDim, nNodes));
  out.boxes.set(new Float64Array(buf, boxes, 2 * d * nNodes));
  return true;
}

/** The build in TypeScript: buildTree's twin, statement for statement (the median found by a plain select). */
function buildPlain(X: FloatArray, n: number, d: number, nNodes: number, out: BuildArrays): void {
  const { nodeStart, nodeEnd, splitDim, boxes } = out;
  const Rows = X instanceof Float32Array ? Float32Array : Float64Array;
  const rowsA = new Rows(X);
  const rowsB = new Rows(n * d);
  const idxA = new Int32Array(n);
  const idxB = new Int32Array(n);
  const sel = new Float64Array(n);
  // the node whose true extent in each dimension was last measured (so nothing is cleared per node)
  const measured = new Int32Array(d).fill(-1);
  for (let i = 0; i < n; i++) idxA[i] = i;
  // the root's box unknown (infinite): every dimension is measured
  boxes.fill(-Infinity, 0, d);
  boxes.fill(Infinity, d, 2 * d);
  nodeStart[0] = 0;
  nodeEnd[0] = n;
  const firstLeaf = nNodes >> 1;
  let parity = 0;
  let levelEnd = 1;
  for (let node = 0; node < firstLeaf; node++) {
    if (node === levelEnd) {
      parity ^= 1;
      levelEnd = 2 * levelEnd + 1;
    }
    const src = parity ? rowsB : rowsA;
    const srcIdx = parity ? idxB : idxA;
    const dst = parity ? rowsA : rowsB;
    const dstIdx = parity ? idxA : idxB;
    const start = nodeStart[node];
    const end = nodeEnd[node];
    const o = node * 2 * d;
    let s = 0;
    if (end - start > SAMPLED) s = widestInSample(src, d, start, end);
    else {
      // the widest dimension: true extents measured in decreasing order of box width (the box holds the
      // rows, maybe loosely), until no box is wider than the widest extent
      let best = -1;
      for (;;) {
        let j = -1;
        let width = -1;
        for (let c = 0; c < d; c++) {
          const w = boxes[o + d + c] - boxes[o + c];
          if (measured[c] !== node && w > width) {
            width = w;
            j = c;
          }
        }
        if (j < 0 || width <= best) break;
        measured[j] = node;
        const extent = measure(src, d, start, end, j, boxes, o);
        if (extent > best) {
          best = extent;
          s = j;
        }
      }
    }
    splitDim[node] = s;
    const mid = start + ((end - start) >> 1);
    for (let i = start; i < end; i++) sel[i] = src[i * d + s];
    select(sel, start, end - 1, mid);
    const pivot = sel[mid];
    // the left side takes every row below the median and the first `ties` rows equal to it
    let ties = mid - start;
    for (let i = start; i < mid; i++) if (sel[i] < pivot) ties--;
    let l = start;
    let r = mid;
    for (let i = start; i < end; i++) {
      const v = src[i * d + s];
      const tie = v === pivot && ties > 0;
      if (tie) ties--;
      const to = v < pivot || tie ? l++ : r++;
      dstIdx[to] = srcIdx[i];
      dst.set(src.subarray(i * d, i * d + d), to * d);
    }
    const left = 2 * node + 1;
    nodeStart[left] = start;
    nodeEnd[left] = mid;
    nodeStart[left + 1] = mid;
    nodeEnd[left + 1] = end;
    // the children's boxes: the parent's, each narrowed in s to its side of the median
    const lo = left * 2 * d;
    const ro = lo + 2 * d;
    boxes.copyWithin(lo, o, o + 2 * d);
    boxes.copyWithin(ro, o, o + 2 * d);
    boxes[lo + d + s] = pivot;
    boxes[ro + s] = pivot;
  }
  // the leaves' level was written by the last inner level
  const inB = firstLeaf > 0 && parity === 0;
  const rows = inB ? rowsB : rowsA;
  // exact boxes: a leaf's from its rows, an inner node's the union of its children's
  for (let node = firstLeaf; node < nNodes; node++) {
    splitDim[node] = -1;
    for (let j = 0; j < d; j++) measure(rows, d, nodeStart[node], nodeEnd[node], j, boxes, node * 2 * d);
  }
  for (let node = firstLeaf - 1; node >= 0; node--) {
    const o = node * 2 * d;
    const lo = (2 * node + 1) * 2 * d;
    const ro = lo + 2 * d;
    for (let j = 0; j < d; j++) {
      boxes[o + j] = Math.min(boxes[lo + j], boxes[ro + j]);
      boxes[o + d + j] = Math.max(boxes[lo + d + j], boxes[ro + d + j]);
    }
  }
  out.rows.set(rows);
  out.idx.set(inB ? idxB : idxA);
}

/** Nodes of more rows than this choose their split dimension from a sample of SAMPLE rows. */
const SAMPLED = 1024;
const SAMPLE = 128;

/** The dimension in which SAMPLE rows evenly spaced in [start, end) spread widest (the first of equals). */
function widestInSample(rows: FloatArray, d: number, start: number, end: number): number {
  const step = (end - start) / SAMPLE;
  let s = 0;
  let best = -1;
  for (let j = 0; j < d; j++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < SAMPLE; k++) {
      const v = rows[(start + Math.trunc(k * step)) * d + j];
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (hi - lo > best) {
      best = hi - lo;
      s = j;
    }
  }
  return s;
}

/** Writes the extent of column j of rows [start, end) into the box at o; returns hi - lo. */
function measure(rows: FloatArray, d: number, start: number, end: number, j: number, boxes: Float64Array, o: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = start; i < end; i++) {
    const v = rows[i * d + j];
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  boxes[o + j] = lo;
  boxes[o + d + j] = hi;
  return hi - lo;
}

/**
 * Reorders a[lo .. hi] (inclusive) so that a[nth] is the nth smallest, none
 * larger before it and none smaller after (Floyd and Rivest: on long ranges
 * the pivot is first selected within a sample around nth, so a pass or two
 * suffice).
 */
function select(a: Float64Array, lo: number, hi: number, nth: number): void {
  while (hi > lo) {
    if (hi - lo > 600) {
      const n = hi - lo + 1;
      const i = nth - lo + 1;
      const z = Math.log(n);
      const size = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * size * (n - size)) / n) * (i - n / 2 < 0 ? -1 : 1);
      select(a, Math.max(lo, Math.floor(nth - (i * size) / n + sd)), Math.min(hi, Math.floor(nth + ((n - i) * size) / n + sd)), nth);
    }
    const pivot = a[nth];
    // pivot to lo; a value no smaller at hi stops the left scan, one no larger at lo the right scan
    swap(a, lo, nth);
    if (a[hi] > pivot) swap(a, lo, hi);
    let i = lo;
    let j = hi;
    while (i < j) {
      swap(a, i, j);
      i++;
      j--;
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
    }
    if (a[lo] === pivot) swap(a, lo, j);
    else {
      j++;
      swap(a, j, hi);
    }
    if (j <= nth) lo = j + 1;
    if (nth <= j) hi = j - 1;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}
