import type { NeighborHeap } from "./heap.js";
import type { FloatArray } from "./matrix.js";

let identity = new Int32Array(0);

/** 0, 1, ..., n-1 (shared, grown on demand). */
export function identityIndex(n: number): Int32Array {
  if (identity.length < n) {
    identity = new Int32Array(Math.max(n, identity.length * 2));
    for (let i = 0; i < identity.length; i++) identity[i] = i;
  }
  return identity;
}

/** scanPositionsEuclidean over the contiguous rows [start, end). */
export function scanRowsEuclidean(
  q: FloatArray,
  qo: number,
  data: FloatArray,
  d: number,
  start: number,
  end: number,
  heap: NeighborHeap,
  idxArray: Int32Array,
): void {
  if (end > start) scanPositionsEuclidean(q, qo, data, d, identityIndex(end), start, end, heap, idxArray);
}

/**
 * Squared euclidean distances from the query to the rows listed in positions[from, to) of a row-major
 * block, four rows at a time (each query value is loaded once for four rows;
 * every row still sums its dimensions in order, so results equal the plain
 * loop's bit for bit), pushed into the heap. A group is dropped once all four
 * partial sums exceed the k-th distance: partial sums never decrease.
 */
export function scanPositionsEuclidean(
  q: FloatArray,
  qo: number,
  data: FloatArray,
  d: number,
  positions: Int32Array,
  from: number,
  to: number,
  heap: NeighborHeap,
  idxArray: Int32Array,
): void {
  const hd = heap.dist;
  let i = from;
  for (; i + 3 < to; i += 4) {
    const p0 = positions[i];
    const p1 = positions[i + 1];
    const p2 = positions[i + 2];
    const p3 = positions[i + 3];
    const o0 = p0 * d;
    const o1 = p1 * d;
    const o2 = p2 * d;
    const o3 = p3 * d;
    const worst = hd[0];
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    for (let stop = Math.min(d, 4); ; stop = Math.min(d, stop + 4)) {
      for (; j < stop; j++) {
        const v = q[qo + j];
        const t0 = v - data[o0 + j];
        const t1 = v - data[o1 + j];
        const t2 = v - data[o2 + j];
        const t3 = v - data[o3 + j];
        s0 += t0 * t0;
        s1 += t1 * t1;
        s2 += t2 * t2;
        s3 += t3 * t3;
      }
      if (j === d || (s0 > worst && s1 > worst && s2 > worst && s3 > worst)) break;
    }
    if (j < d) continue;
    if (s0 <= hd[0]) heap.push(s0, idxArray[p0]);
    if (s1 <= hd[0]) heap.push(s1, idxArray[p1]);
    if (s2 <= hd[0]) heap.push(s2, idxArray[p2]);
    if (s3 <= hd[0]) heap.push(s3, idxArray[p3]);
  }
  for (; i < to; i++) {
    const o = positions[i] * d;
    let r = 0;
    for (let j = 0; j < d; j++) {
      const t = q[qo + j] - data[o + j];
      r += t * t;
    }
    if (r <= hd[0]) heap.push(r, idxArray[positions[i]]);
  }
}
