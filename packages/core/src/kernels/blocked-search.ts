/**
 * Exact k-NN of blocks of 4 queries over row ranges of a row-major matrix with
 * a blocked distance kernel: approximate distances for the 4 queries × CHUNK rows
 * from the kernel, then each candidate row (approximate distance less the error
 * bound not above the current k-th distance) measured again with the plain
 * loop; only that exact value enters the heap, so the answers are exactly the
 * plain loop's, ties by id. The WebAssembly kernel runs the whole search for
 * euclidean rows reported as themselves (DistanceKernel.search); this loop
 * does it for the other cases. Brute force searches [0, rows) for every query; the
 * prefilter gives each query its own window of its sorted rows.
 */
import { NeighborHeap } from "../heap.js";
import type { FloatArray } from "../matrix.js";
import { CHUNK, type DistanceKernel } from "./blocked.js";

export class BlockedSearch {
  private readonly heaps: NeighborHeap[];
  private readonly qBlock: Float64Array;
  private readonly qn = new Float64Array(4);
  private readonly thresholds = new Float64Array(4);
  private readonly queryNorm = new Float64Array(4);
  // the block between begin and finish
  private q: FloatArray = new Float64Array(0);
  private qRows: Int32Array = new Int32Array(4);
  private nq = 0;
  private eps = 0;
  private slack = 0;
  private margin = 0;

  /**
   * kernel: over `data` (euclidean) or over its rows scaled to unit length
   * (cosine, with rowNorms the norms of the original rows, none of them zero).
   */
  constructor(
    private readonly kernel: DistanceKernel,
    private readonly data: FloatArray,
    private readonly d: number,
    private readonly k: number,
    private readonly rowNorms: Float64Array | null = null,
  ) {
    this.heaps = [0, 1, 2, 3].map(() => new NeighborHeap(k));
    this.qBlock = new Float64Array(4 * d);
  }

  /**
   * The k nearest rows for queries qRows[0..nq) of q (row numbers), query t
   * among rows [lo[t], hi[t]), reported as ids[row] (the row itself when ids is
   * null), into row outRows[t] of outIdx / outDist (true distances, sorted).
   */
  run(
    q: FloatArray,
    qRows: Int32Array,
    nq: number,
    lo: Int32Array,
    hi: Int32Array,
    ids: Int32Array | null,
    outIdx: Int32Array,
    outDist: Float64Array,
    outRows: Int32Array,
  ): void {
    this.begin(q, qRows, nq);
    this.extend(lo, hi, ids);
    this.finish(outIdx, outDist, outRows);
  }

  /** run in steps: begin (the block's queries, empty heaps), extend over ranges of rows, none twice, then finish. */
  begin(q: FloatArray, qRows: Int32Array, nq: number): void {
    const { kernel, d, heaps, qBlock, qn, queryNorm, rowNorms } = this;
    const cosine = rowNorms !== null;
    let blockMax = 0;
    let zeroQuery = false;
    for (let t = 0; t < 4; t++) {
      const src = qRows[Math.min(t, nq - 1)] * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += q[src + j] * q[src + j];
      queryNorm[t] = Math.sqrt(s);
      const scale = cosine && s > 0 ? 1 / queryNorm[t] : 1;
      zeroQuery ||= cosine && s === 0;
      let unit = 0;
      for (let j = 0; j < d; j++) {
        const v = q[src + j] * scale;
        qBlock[t * d + j] = v;
        unit += v * v;
        if (Math.abs(v) > blockMax) blockMax = Math.abs(v);
      }
      qn[t] = unit; // for euclidean (scale 1) the same sum as s
      heaps[t].reset();
    }
    // queries beyond the kernel's range (or of zero length, for cosine): every row is re-checked
    const exhaustive = blockMax > kernel.queryLimit || zeroQuery;
    this.eps = exhaustive ? Infinity : kernel.eps;
    this.slack = exhaustive ? Infinity : kernel.slack;
    // cosine: |approx / 2 − plain cosine| <= margin (the kernel's bound on unit vectors plus the rounding of
    // scaling to unit length and of the plain formula, generously)
    this.margin = exhaustive ? Infinity : kernel.eps * 1.01 + kernel.slack + 64 * (d + 8) * 2 ** -53;
    this.q = q;
    this.qRows = qRows;
    this.nq = nq;
  }

  /** Offers query t the rows [lo[t], hi[t]) (see run). */
  extend(lo: Int32Array, hi: Int32Array, ids: Int32Array | null): void {
    const { kernel, heaps, qBlock, qn, nq, eps, slack } = this;
    let from = Infinity;
    let to = 0;
    for (let t = 0; t < nq; t++) {
      if (hi[t] <= lo[t]) continue;
      from = Math.min(from, lo[t]);
      to = Math.max(to, hi[t]);
    }
    if (to === 0) return;
    if (kernel.search && this.rowNorms === null && ids === null) kernel.search(qBlock, qn, nq, lo, hi, eps, slack, heaps);
    else this.scan(this.q, this.qRows, nq, lo, hi, ids, from, to, eps, slack, this.margin);
  }

  /** Query t's current k-th reduced distance (Infinity until k rows are held). */
  bound(t: number): number {
    return this.heaps[t].dist[0];
  }

  /** Writes the answers (see run); the heaps are spent until the next begin. */
  finish(outIdx: Int32Array, outDist: Float64Array, outRows: Int32Array): void {
    const { k, heaps, nq } = this;
    const cosine = this.rowNorms !== null;
    for (let t = 0; t < nq; t++) {
      const heap = heaps[t];
      heap.sortAscending();
      const o = outRows[t] * k;
      for (let j = 0; j < k; j++) {
        outIdx[o + j] = heap.idx[j];
        outDist[o + j] = cosine ? heap.dist[j] : Math.sqrt(heap.dist[j]);
      }
    }
  }

  /** The candidate loop in TypeScript: each chunk's approximations from the kernel, then the plain loop on the rows they cannot rule out. */
  private scan(
    q: FloatArray,
    qRows: Int32Array,
    nq: number,
    lo: Int32Array,
    hi: Int32Array,
    ids: Int32Array | null,
    from: number,
    to: number,
    eps: number,
    slack: number,
    margin: number,
  ): void {
    const { kernel, data, d, heaps, qBlock, qn, thresholds, queryNorm, rowNorms } = this;
    const cosine = rowNorms !== null;
    const xn = kernel.norms;
    for (let start = from; start < to; start += CHUNK) {
      const count = Math.min(CHUNK, to - start);
      for (let t = 0; t < 4; t++) thresholds[t] = cosine ? 2 * (heaps[t].dist[0] + margin) : heaps[t].dist[0];
      const { approx, counts, candidates } = cosine
        ? kernel.approx(qBlock, qn, start, count, thresholds, 0, 0)
        : kernel.approx(qBlock, qn, start, count, thresholds, eps, slack);
      for (let t = 0; t < nq; t++) {
        const heap = heaps[t];
        const hd = heap.dist;
        const qo = qRows[t] * d;
        const qnt = qn[t];
        const first = Math.max(lo[t], start) - start;
        const last = Math.min(hi[t], start + count) - start;
        if (last <= first) continue;
        for (let c = t * count, end = c + counts[t]; c < end; c++) {
          const r = candidates[c];
          if (r < first || r >= last) continue;
          const row = start + r;
          // the k-th distance may have shrunk since the kernel's test
          const lower = cosine ? approx[4 * r + t] / 2 - margin : approx[4 * r + t] - eps * (xn[row] + qnt) - slack;
          if (lower > hd[0]) continue;
          let exact = 0;
          if (cosine) {
            // as the scanner's plain cosine loop (scanner.ts)
            let dot = 0;
            for (let j = 0, o = row * d; j < d; j++) dot += q[qo + j] * data[o + j];
            const denom = queryNorm[t] * (rowNorms as Float64Array)[row];
            exact = denom === 0 ? 1 : Math.min(2, Math.max(0, 1 - dot / denom));
          } else {
            for (let j = 0, o = row * d; j < d; j++) {
              const diff = q[qo + j] - data[o + j];
              exact += diff * diff;
            }
          }
          if (exact <= hd[0]) heap.push(exact, ids === null ? row : ids[row]);
        }
      }
    }
  }
}
