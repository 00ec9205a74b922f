/**
 * KD-tree traversal with the lower bound kept incrementally (Arya & Mount, as
 * in nanoflann and scipy's cKDTree): off[j] is the reduced-distance term of
 * the query's gap to the current cell in dimension j, and the bound is their
 * sum (their maximum for chebyshev). The near child keeps its parent's bound;
 * crossing a split to the far child replaces one term, read from the split
 * values (the left child's largest and the right child's smallest value in the
 * split dimension), so a node costs O(1) instead of a pass over its box.
 * A far child's term is never below the one it replaces (its rows lie inside
 * the parent's), which is what makes the sum and maximum updates valid.
 */
import type { NeighborHeap } from "./heap.js";
import type { FloatArray } from "./matrix.js";
import { MetricKind, type Metric } from "./metrics.js";
import type { RowScanner } from "./scanner.js";

/** Bounds may come out a hair high by rounding; shrink them so pruning never drops a true neighbour. */
export const BOUND_SHRINK = 1 - 1e-10;

/** What the traversal reads of a KD-tree (see binary-tree.ts). */
export interface KDArrays {
  readonly idxArray: Int32Array;
  readonly nodeStart: Int32Array;
  readonly nodeEnd: Int32Array;
  readonly splitDim: Int32Array;
  /** Per node its box: D lower bounds then D upper bounds. */
  readonly nodeBounds: Float64Array;
}

export class KDSearch {
  /** Nodes from here on are leaves (a complete tree). */
  private readonly firstLeaf: number;
  /** Inner node i: the left child's largest value in the split dimension. */
  private readonly splitLo: Float64Array;
  /** Inner node i: the right child's smallest value in the split dimension. */
  private readonly splitHi: Float64Array;
  /** How a gap becomes a term: 0 squared, 1 as is, 2 weighted power (read in the hot loop: a number, not the metric). */
  private readonly termKind: 0 | 1 | 2;
  /** Chebyshev: the bound is the largest term, not the sum. */
  private readonly maxBound: boolean;
  private readonly p: number;
  /** Per-dimension weights of the minkowski terms (all 1 without weights). */
  private readonly weights: Float64Array;
  private readonly off: Float64Array;
  private q: FloatArray = new Float64Array(0);
  private qo = 0;
  private hd: Float64Array = new Float64Array(0);
  private heap: NeighborHeap | null = null;
  private rr = 0;
  private onLeaf: (start: number, end: number) => void = () => {};

  constructor(
    private readonly t: KDArrays,
    private readonly d: number,
    metric: Metric,
    private readonly scanner: RowScanner,
  ) {
    const nodes = t.nodeStart.length;
    this.firstLeaf = nodes >> 1;
    this.splitLo = new Float64Array(this.firstLeaf);
    this.splitHi = new Float64Array(this.firstLeaf);
    for (let node = 0; node < this.firstLeaf; node++) {
      const s = t.splitDim[node];
      this.splitLo[node] = t.nodeBounds[(2 * node + 1) * 2 * d + d + s];
      this.splitHi[node] = t.nodeBounds[(2 * node + 2) * 2 * d + s];
    }
    const kind = metric.kind;
    this.termKind = kind === MetricKind.Euclidean ? 0 : kind === MetricKind.Manhattan || kind === MetricKind.Chebyshev ? 1 : 2;
    this.maxBound = kind === MetricKind.Chebyshev;
    this.p = metric.p;
    this.weights = metric.param ?? new Float64Array(d).fill(1);
    this.off = new Float64Array(d);
  }

  /** The k nearest rows to row qo / d of q into the heap (the scanner's query must be set). */
  knn(q: FloatArray, qo: number, heap: NeighborHeap): void {
    this.q = q;
    this.qo = qo;
    this.heap = heap;
    this.hd = heap.dist;
    this.knnNode(0, this.rootBound());
  }

  /** Calls onLeaf(start, end) for every leaf whose cell may hold rows within reduced radius rr. */
  radius(q: FloatArray, qo: number, rr: number, onLeaf: (start: number, end: number) => void): void {
    this.q = q;
    this.qo = qo;
    this.rr = rr;
    this.onLeaf = onLeaf;
    this.radiusNode(0, this.rootBound());
  }

  /** Fills off with the terms of the root's box; returns the bound. */
  private rootBound(): number {
    const { q, qo, d, off } = this;
    const box = this.t.nodeBounds;
    let rd = 0;
    for (let j = 0; j < d; j++) {
      const v = q[qo + j];
      const below = box[j] - v;
      const above = v - box[d + j];
      off[j] = this.term(j, below > 0 ? below : above > 0 ? above : 0);
      rd = this.maxBound ? Math.max(rd, off[j]) : rd + off[j];
    }
    return rd;
  }

  private term(j: number, gap: number): number {
    const kind = this.termKind;
    return kind === 0 ? gap * gap : kind === 1 ? gap : this.weights[j] * Math.pow(gap, this.p);
  }

  /** The bound after the term of dimension j grows from old to t. */
  private grow(rd: number, old: number, t: number): number {
    return this.maxBound ? Math.max(rd, t) : rd + (t - old);
  }

  private knnNode(node: number, rd: number): void {
    if (node >= this.firstLeaf) {
      this.scanner.scanRange(this.t.nodeStart[node], this.t.nodeEnd[node], this.heap as NeighborHeap, this.t.idxArray);
      return;
    }
    const s = this.t.splitDim[node];
    const v = this.q[this.qo + s];
    const lo = this.splitLo[node];
    const hi = this.splitHi[node];
    const left = 2 * node + 1;
    const nearLeft = v - lo < hi - v;
    this.knnNode(nearLeft ? left : left + 1, rd);
    // the far child's gap (0 only when both split values equal the query's)
    const gap = nearLeft ? hi - v : v - lo;
    const off = this.off;
    const old = off[s];
    const t = gap > 0 ? this.term(s, gap) : old;
    const far = this.grow(rd, old, t);
    if (far * BOUND_SHRINK > this.hd[0]) return;
    off[s] = t;
    this.knnNode(nearLeft ? left + 1 : left, far);
    off[s] = old;
  }

  private radiusNode(node: number, rd: number): void {
    if (rd * BOUND_SHRINK > this.rr) return;
    if (node >= this.firstLeaf) {
      this.onLeaf(this.t.nodeStart[node], this.t.nodeEnd[node]);
      return;
    }
    const s = this.t.splitDim[node];
    const v = this.q[this.qo + s];
    const off = this.off;
    const old = off[s];
    const left = 2 * node + 1;
    // each child's term from its own split value (0 when the query is on its side)
    const below = v - this.splitLo[node];
    const above = this.splitHi[node] - v;
    const tl = below > 0 ? this.term(s, below) : 0;
    const tr = above > 0 ? this.term(s, above) : 0;
    if (tl > old) {
      off[s] = tl;
      this.radiusNode(left, this.grow(rd, old, tl));
      off[s] = old;
    } else this.radiusNode(left, rd);
    if (tr > old) {
      off[s] = tr;
      this.radiusNode(left + 1, this.grow(rd, old, tr));
      off[s] = old;
    } else this.radiusNode(left + 1, rd);
  }
}
