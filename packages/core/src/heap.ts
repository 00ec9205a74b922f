/**
 * A bounded max-heap of (reduced distance, index) pairs for one query. The root
 * is the current k-th neighbour: the pruning bound. Ordering is by distance,
 * then by index, so ties keep the smaller training index as brute force does.
 */
export class NeighborHeap {
  readonly dist: Float64Array;
  readonly idx: Int32Array;
  readonly k: number;

  constructor(k: number) {
    this.k = k;
    this.dist = new Float64Array(k);
    this.idx = new Int32Array(k);
    this.reset();
  }

  reset(): void {
    this.dist.fill(Infinity);
    this.idx.fill(0x7fffffff);
  }

  /** Offers (d, i); keeps it if it beats the root by distance, or ties it with a smaller index. */
  push(d: number, i: number): void {
    const dist = this.dist;
    const idx = this.idx;
    if (d > dist[0] || (d === dist[0] && i > idx[0])) return;
    const k = this.k;
    let pos = 0;
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= k) break;
      const r = l + 1;
      let c = l;
      if (r < k && (dist[r] > dist[l] || (dist[r] === dist[l] && idx[r] > idx[l]))) c = r;
      if (dist[c] > d || (dist[c] === d && idx[c] > i)) {
        dist[pos] = dist[c];
        idx[pos] = idx[c];
        pos = c;
      } else break;
    }
    dist[pos] = d;
    idx[pos] = i;
  }

  /** Sorts the heap ascending in place (heap sort); the heap is unusable until reset. */
  sortAscending(): void {
    const dist = this.dist;
    const idx = this.idx;
    for (let end = this.k - 1; end > 0; end--) {
      const d0 = dist[0];
      const i0 = idx[0];
      const d = dist[end];
      const i = idx[end];
      dist[end] = d0;
      idx[end] = i0;
      let pos = 0;
      for (;;) {
        const l = 2 * pos + 1;
        if (l >= end) break;
        const r = l + 1;
        let c = l;
        if (r < end && (dist[r] > dist[l] || (dist[r] === dist[l] && idx[r] > idx[l]))) c = r;
        if (dist[c] > d || (dist[c] === d && idx[c] > i)) {
          dist[pos] = dist[c];
          idx[pos] = idx[c];
          pos = c;
        } else break;
      }
      dist[pos] = d;
      idx[pos] = i;
    }
  }
}
