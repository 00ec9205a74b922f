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

  /** The largest kept reduced distance (Infinity until k entries are in). */
  worst(): number {
    return this.dist[0];
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

/** Growable typed buffers for radius results (CSR). */
export class RaggedBuilder {
  offsets: Int32Array;
  indices: Int32Array;
  distances: Float64Array;
  length = 0;

  constructor(rows: number, withDistances: boolean, initial = 1024) {
    this.offsets = new Int32Array(rows + 1);
    this.indices = new Int32Array(initial);
    this.distances = new Float64Array(withDistances ? initial : 0);
  }

  push(i: number, d: number): void {
    if (this.length === this.indices.length) this.grow();
    this.indices[this.length] = i;
    if (this.distances.length > 0) this.distances[this.length] = d;
    this.length++;
  }

  private grow(): void {
    const indices = new Int32Array(this.indices.length * 2);
    indices.set(this.indices);
    this.indices = indices;
    if (this.distances.length > 0) {
      const distances = new Float64Array(this.distances.length * 2);
      distances.set(this.distances);
      this.distances = distances;
    }
  }
}
