/**
 * Exact brute force over sparse (CSR) training rows, for euclidean, manhattan and
 * cosine (the metrics scikit-learn takes for sparse brute force). Queries may be
 * sparse or dense; each is taken as its sorted non-zeros.
 *
 * Arrays: the training rows (CSR) and their columns (CSC: colptr, rowOf, colVal),
 * the postings a query's non-zeros walk; per row the sum of squares (sq) or of
 * absolute values (l1).
 *
 * Per query, the postings give every row's dot product (cosine), or its overlap
 * term (euclidean: sum q_j x_j; manhattan: sum |q_j| + |x_j| - |q_j - x_j|), in
 * increasing column order. Cosine is then exact: the same sum, in the same order,
 * as the dense loop. Euclidean and manhattan give an estimate from the norms,
 * within a proven error bound of the dense loop's value; only rows whose estimate
 * can reach the k-th bound (or the radius) are computed exactly, by merging the
 * two sorted column lists. Answers, distances and ties by index are the dense
 * brute force's, bit for bit.
 */
import { KnnInputError, checkPositiveInteger } from "./errors.js";
import { NeighborHeap } from "./heap.js";
import { KnnIndex } from "./index-base.js";
import { checkColumns, toMatrix, type Matrix, type FloatArray } from "./matrix.js";
import { MetricKind, distanceToReduced, reducedToDistance, resolveMetric, type Metric, type MetricOptions } from "./metrics.js";
import { RaggedBuilder, type KnnResult, type QueryOptions, type RadiusOptions, type RadiusResult } from "./results.js";
import { sortRadiusRows } from "./index-base.js";
import type { BruteState } from "./shared.js";
import { csrMatrix, densifyRows, isCsr, type CsrInput, type CsrMatrix, type RowsLike } from "./sparse.js";

/** Metric kinds with a sparse path. */
const SPARSE_KINDS: readonly MetricKind[] = [MetricKind.Euclidean, MetricKind.Manhattan, MetricKind.Cosine];

/** Refuses a metric without a sparse path (scikit-learn's message). */
export function checkSparseMetric(metric: Metric): void {
  if (!SPARSE_KINDS.includes(metric.kind)) {
    throw new KnnInputError(
      `Metric '${metric.name}' not valid for sparse input; sparse brute force takes euclidean, manhattan or cosine (l2, l1, cityblock, minkowski with p=1 or 2)`,
    );
  }
}

/** Where a query row's non-zeros are read from. */
type QuerySource = { csr: CsrMatrix } | { dense: Matrix };

export class SparseBruteForce extends KnnIndex {
  readonly algorithm = "brute" as const;
  readonly X: CsrMatrix;
  private readonly colptr: Int32Array;
  private readonly rowOf: Int32Array;
  private readonly colVal: Float64Array;
  /** Per row: sum of squares (euclidean, cosine) or of absolute values (manhattan). */
  private readonly norm: Float64Array;
  /** Cosine: the row lengths. */
  private readonly length: Float64Array | null;
  /** Error bound per unit of norm (see boundFactor). */
  private readonly bound: number;
  // per-query scratch
  private readonly acc: Float64Array;
  private readonly qIdx: Int32Array;
  private readonly qVal: Float64Array;
  private qLen = 0;

  private constructor(X: CsrMatrix, metric: Metric) {
    super(X.rows, X.cols, metric, X.data instanceof Float32Array ? "float32" : "float64", 1);
    this.X = X;
    const { rows, cols, indptr, indices, data } = X;
    const nnz = data.length;
    // the transpose: each column's rows, in increasing row order
    const colptr = new Int32Array(cols + 1);
    for (let p = 0; p < nnz; p++) colptr[indices[p] + 1]++;
    for (let j = 0; j < cols; j++) colptr[j + 1] += colptr[j];
    const fill = colptr.slice(0, cols);
    const rowOf = new Int32Array(nnz);
    const colVal = new Float64Array(nnz);
    const norm = new Float64Array(rows);
    const manhattan = metric.kind === MetricKind.Manhattan;
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let p = indptr[i]; p < indptr[i + 1]; p++) {
        const v = data[p];
        const at = fill[indices[p]]++;
        rowOf[at] = i;
        colVal[at] = v;
        s += manhattan ? Math.abs(v) : v * v;
      }
      norm[i] = s;
    }
    this.colptr = colptr;
    this.rowOf = rowOf;
    this.colVal = colVal;
    this.norm = norm;
    this.length = metric.kind === MetricKind.Cosine ? norm.map(Math.sqrt) : null;
    this.bound = boundFactor(cols);
    this.acc = new Float64Array(rows);
    this.qIdx = new Int32Array(cols);
    this.qVal = new Float64Array(cols);
  }

  /** Brute force over CSR rows (checked by csrMatrix); metric euclidean, manhattan or cosine. */
  static build(X: CsrInput, options: MetricOptions = {}): SparseBruteForce {
    const metric = resolveMetric(options);
    checkSparseMetric(metric);
    return new SparseBruteForce(csrMatrix(X, "X"), metric);
  }

  /** Queries run on the calling thread. */
  protected queryCost(): number {
    return this.rows;
  }

  override get memoryBytes(): number {
    const { X } = this;
    return [X.data, X.indices, X.indptr, this.colptr, this.rowOf, this.colVal, this.norm, this.acc, this.qIdx, this.qVal].reduce((s, a) => s + a.byteLength, 0);
  }

  state(): BruteState {
    throw new KnnInputError("an index fitted on sparse rows cannot be saved (yet); fit it on dense rows to save it");
  }

  sharedState(): BruteState {
    return this.state();
  }

  /** The training rows, densified (a copy). */
  trainingRows(): Matrix {
    return densifyRows(this.X);
  }

  /** The k nearest training rows of each row of Q (CSR or dense). */
  override query(Q: RowsLike, k: number, _options: QueryOptions = {}): KnnResult {
    const src = this.source(Q);
    checkPositiveInteger(k, "k");
    if (k > this.rows) throw new KnnInputError(`k=${k} is larger than the number of training rows (${this.rows})`);
    const n = rowsOf(src);
    const indices = new Int32Array(n * k);
    const distances = new Float64Array(n * k);
    this.knnRows(src, k, 0, n, indices, distances);
    return { indices, distances, rows: n, k };
  }

  /** Training rows within distance r of each row of Q (CSR or dense); index order unless sortResults. */
  override queryRadius(Q: RowsLike, r: number, options: RadiusOptions = {}): RadiusResult {
    const src = this.source(Q);
    if (typeof r !== "number" || !(r >= 0)) throw new KnnInputError(`radius r must be a number >= 0 (or Infinity), got ${String(r)}`);
    const countOnly = options.countOnly ?? false;
    const n = rowsOf(src);
    const out = new RaggedBuilder(n, !countOnly, countOnly ? 0 : 1024);
    this.radiusRows(src, distanceToReduced(this.metric, r), 0, n, out, countOnly);
    const result = { offsets: out.offsets, indices: out.indices.slice(0, out.length), distances: out.distances.slice(0, countOnly ? 0 : out.length), rows: n };
    if (options.sortResults && !countOnly) sortRadiusRows(result);
    return result;
  }

  knnRange(q: FloatArray, k: number, from: number, to: number, outIdx: Int32Array, outDist: Float64Array): void {
    const dense = { data: q, rows: q.length / this.cols, cols: this.cols };
    this.knnRows({ dense }, k, from, to, outIdx.subarray(from * k), outDist.subarray(from * k));
  }

  radiusRange(q: FloatArray, rr: number, from: number, to: number, out: RaggedBuilder, countOnly: boolean): void {
    this.radiusRows({ dense: { data: q, rows: q.length / this.cols, cols: this.cols } }, rr, from, to, out, countOnly);
  }

  private source(Q: RowsLike): QuerySource {
    if (isCsr(Q)) {
      const csr = csrMatrix(Q, "Q");
      checkColumns(csr as unknown as Matrix, this.cols, "Q");
      return { csr };
    }
    const dense = toMatrix(Q, "Q");
    checkColumns(dense, this.cols, "Q");
    return { dense };
  }

  /** Loads row i of the queries as sorted non-zeros into qIdx / qVal. */
  private loadQuery(src: QuerySource, i: number): void {
    const { qIdx, qVal } = this;
    let m = 0;
    if ("csr" in src) {
      const { indptr, indices, data } = src.csr;
      for (let p = indptr[i]; p < indptr[i + 1]; p++, m++) {
        qIdx[m] = indices[p];
        qVal[m] = data[p];
      }
    } else {
      const { data, cols } = src.dense;
      for (let j = 0, o = i * cols; j < cols; j++) {
        const v = data[o + j];
        if (v !== 0) {
          qIdx[m] = j;
          qVal[m++] = v;
        }
      }
    }
    this.qLen = m;
  }

  /**
   * The postings pass for the loaded query: acc[row] = the overlap term of each
   * row (see the header), summed in increasing column order. Returns the query's norm
   * (sum of squares, or of absolute values for manhattan).
   */
  private overlap(): number {
    const { acc, qIdx, qVal, qLen, colptr, rowOf, colVal } = this;
    acc.fill(0);
    let qn = 0;
    if (this.metric.kind === MetricKind.Manhattan) {
      for (let t = 0; t < qLen; t++) {
        const j = qIdx[t];
        const v = qVal[t];
        const av = Math.abs(v);
        qn += av;
        for (let p = colptr[j]; p < colptr[j + 1]; p++) {
          const x = colVal[p];
          acc[rowOf[p]] += av + Math.abs(x) - Math.abs(v - x);
        }
      }
    } else {
      for (let t = 0; t < qLen; t++) {
        const j = qIdx[t];
        const v = qVal[t];
        qn += v * v;
        for (let p = colptr[j]; p < colptr[j + 1]; p++) acc[rowOf[p]] += v * colVal[p];
      }
    }
    return qn;
  }

  /** The dense loop's reduced distance from the loaded query to training row `row` (merging the sorted columns). */
  private exact(row: number): number {
    const { qIdx, qVal, qLen } = this;
    const { indptr, indices, data } = this.X;
    const manhattan = this.metric.kind === MetricKind.Manhattan;
    let s = 0;
    let a = 0;
    let p = indptr[row];
    const end = indptr[row + 1];
    while (a < qLen || p < end) {
      let t: number;
      const jq = a < qLen ? qIdx[a] : 0x7fffffff;
      const jx = p < end ? indices[p] : 0x7fffffff;
      if (jq === jx) t = qVal[a++] - data[p++];
      else if (jq < jx) t = qVal[a++];
      else t = -data[p++];
      s += manhattan ? Math.abs(t) : t * t;
    }
    return s;
  }

  /** Cosine distance of a row from the postings, given the query's length (exact; 1 when either vector has length zero). */
  private cosine(qLength: number, row: number): number {
    const denom = qLength * (this.length as Float64Array)[row];
    return denom === 0 ? 1 : Math.min(2, Math.max(0, 1 - this.acc[row] / denom));
  }

  private knnRows(src: QuerySource, k: number, from: number, to: number, outIdx: Int32Array, outDist: Float64Array): void {
    const heap = new NeighborHeap(k);
    const upper = new NeighborHeap(k);
    const { rows, norm, bound, metric, acc } = this;
    const cosine = metric.kind === MetricKind.Cosine;
    const overlapScale = metric.kind === MetricKind.Manhattan ? 1 : 2;
    const cand = new Int32Array(rows);
    const candLo = new Float64Array(rows);
    for (let qi = from; qi < to; qi++) {
      this.loadQuery(src, qi);
      const qn = this.overlap();
      heap.reset();
      if (cosine) {
        const qLength = Math.sqrt(qn);
        for (let row = 0; row < rows; row++) {
          // a row sharing no column with the query is at distance 1 (as the dense loop computes it)
          const r = acc[row] === 0 ? 1 : this.cosine(qLength, row);
          if (r <= heap.dist[0]) heap.push(r, row);
        }
      } else {
        // one pass: the k smallest upper bounds, and as candidates every row whose lower bound was within
        // the k-th upper bound when it was seen (that bound only shrinks, so every row that can be among
        // the k nearest is a candidate); then the exact distance of the candidates still within it
        upper.reset();
        let n = 0;
        for (let row = 0; row < rows; row++) {
          const s = qn + norm[row];
          const est = s - overlapScale * acc[row];
          const e = bound * s;
          const lo = est - e;
          if (lo > upper.dist[0]) continue;
          cand[n] = row;
          candLo[n++] = lo;
          const hi = est + e;
          if (hi <= upper.dist[0]) upper.push(hi, row);
        }
        const limit = upper.dist[0];
        for (let t = 0; t < n; t++) {
          if (candLo[t] > limit) continue;
          const row = cand[t];
          const r = this.exact(row);
          if (r <= heap.dist[0]) heap.push(r, row);
        }
      }
      heap.sortAscending();
      const o = (qi - from) * k;
      for (let j = 0; j < k; j++) {
        outIdx[o + j] = heap.idx[j];
        outDist[o + j] = reducedToDistance(metric, heap.dist[j]);
      }
    }
  }

  private radiusRows(src: QuerySource, rr: number, from: number, to: number, out: RaggedBuilder, countOnly: boolean): void {
    const { rows, norm, bound, metric, acc } = this;
    const cosine = metric.kind === MetricKind.Cosine;
    const overlapScale = metric.kind === MetricKind.Manhattan ? 1 : 2;
    let count = 0;
    for (let qi = from; qi < to; qi++) {
      this.loadQuery(src, qi);
      const qn = this.overlap();
      const qLength = Math.sqrt(qn);
      for (let row = 0; row < rows; row++) {
        let r: number;
        if (cosine) r = this.cosine(qLength, row);
        else {
          const s = qn + norm[row];
          if (s - overlapScale * acc[row] - bound * s > rr) continue;
          r = this.exact(row);
        }
        if (r <= rr) {
          count++;
          if (!countOnly) out.push(row, reducedToDistance(metric, r));
        }
      }
      out.offsets[qi - from + 1] = countOnly ? count : out.length;
    }
  }
}

function rowsOf(src: QuerySource): number {
  return "csr" in src ? src.csr.rows : src.dense.rows;
}

/**
 * The bound factor c: |estimate - dense loop| <= c (q_norm + x_norm) for any two rows
 * of `cols` columns. Each side sums at most cols + 2 rounded terms, so each is within
 * (cols + 4) u of its real value times the norms (u = 2^-53, Higham's gamma bounds, the
 * dot product bounded by the norms); the factor doubles their sum for the rounding of
 * the comparison itself.
 */
function boundFactor(cols: number): number {
  return 8 * (cols + 4) * 2 ** -53;
}
