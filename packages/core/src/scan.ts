import type { NeighborHeap } from "./heap.js";
import type { FloatArray } from "./matrix.js";

/**
 * Squared euclidean distances from the query to rows [start, end) of a
 * row-major block (a tree leaf, a prefilter window),
 * four rows at a time (each query value is loaded once for four rows; every
 * row still sums its dimensions in order, so results equal the plain loop's
 * bit for bit). A group is dropped once all four partial sums exceed the k-th
 * distance: partial sums never decrease.
 */
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
  const hd = heap.dist;
  let pos = start;
  for (; pos + 3 < end; pos += 4) {
    const o0 = pos * d;
    const o1 = o0 + d;
    const o2 = o1 + d;
    const o3 = o2 + d;
    const worst = hd[0];
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    for (let stop = Math.min(d, 8); ; stop = Math.min(d, stop + 8)) {
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
    if (s0 <= hd[0]) heap.push(s0, idxArray[pos]);
    if (s1 <= hd[0]) heap.push(s1, idxArray[pos + 1]);
    if (s2 <= hd[0]) heap.push(s2, idxArray[pos + 2]);
    if (s3 <= hd[0]) heap.push(s3, idxArray[pos + 3]);
  }
  for (let o = pos * d; pos < end; pos++, o += d) {
    let r = 0;
    for (let j = 0; j < d; j++) {
      const t = q[qo + j] - data[o + j];
      r += t * t;
    }
    if (r <= hd[0]) heap.push(r, idxArray[pos]);
  }
}
