import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BruteForce,
  KDTree,
  KNeighborsClassifier,
  KnnInputError,
  LocalOutlierFactor,
  NearestNeighbors,
  SparseBruteForce,
  csrMatrix,
  densifyRows,
  matrixView,
  mulberry32,
  type CsrMatrix,
  type Matrix,
} from "../src/index.js";

/**
 * A random CSR matrix: each entry non-zero with probability `density`, values on a
 * coarse grid (so that ties happen), some rows empty, some rows repeated.
 */
function randomCsr(rows: number, cols: number, density: number, seed: number, float32 = false): CsrMatrix {
  const rand = mulberry32(seed);
  const indptr = new Int32Array(rows + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < rows; i++) {
    const copy = i > 2 && rand() < 0.1 ? Math.floor(rand() * i) : -1;
    if (copy >= 0) {
      for (let p = indptr[copy]; p < indptr[copy + 1]; p++) {
        idx.push(idx[p]);
        val.push(val[p]);
      }
    } else if (rand() >= 0.1) {
      for (let j = 0; j < cols; j++) {
        if (rand() < density) {
          idx.push(j);
          val.push(Math.round((rand() * 8 - 4) * 4) / 4 || 0.5);
        }
      }
    }
    indptr[i + 1] = idx.length;
  }
  const data = float32 ? Float32Array.from(val) : Float64Array.from(val);
  return csrMatrix({ data, indices: Int32Array.from(idx), indptr, rows, cols });
}

const metrics = ["euclidean", "manhattan", "cosine"] as const;

const arb = fc.record({
  rows: fc.integer({ min: 1, max: 400 }),
  cols: fc.integer({ min: 1, max: 60 }),
  queries: fc.integer({ min: 1, max: 25 }),
  density: fc.constantFrom(0.01, 0.05, 0.2, 0.6, 1),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
  float32: fc.boolean(),
  metric: fc.constantFrom(...metrics),
});

describe("sparse brute force equals dense brute force", () => {
  it("k-NN: indices, distances (bit for bit) and ties by index, sparse and dense queries", () => {
    fc.assert(
      fc.property(arb, ({ rows, cols, queries, density, seed, float32, metric }) => {
        const X = randomCsr(rows, cols, density, seed, float32);
        // queries: fresh sparse rows (some all-zero) and training rows (ties at distance 0)
        const Q = randomCsr(queries, cols, density, seed + 1);
        const dense = BruteForce.build(densifyRows(X), { metric, kernel: "plain", workers: 1 });
        const sparse = SparseBruteForce.build(X, { metric });
        const k = Math.min(rows, 1 + (seed % 7));
        const want = dense.query(densifyRows(Q), k);
        for (const q of [Q, densifyRows(Q)]) {
          const got = sparse.query(q, k);
          expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
          expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
        }
        const self = sparse.query(X, Math.min(rows, 3));
        const selfWant = dense.query(densifyRows(X), Math.min(rows, 3));
        expect(Array.from(self.indices)).toEqual(Array.from(selfWant.indices));
        expect(Array.from(self.distances)).toEqual(Array.from(selfWant.distances));
      }),
      { numRuns: 60 },
    );
  });

  it("radius: the same rows and distances, in index order and sorted", () => {
    fc.assert(
      fc.property(arb, ({ rows, cols, queries, density, seed, float32, metric }) => {
        const X = randomCsr(rows, cols, density, seed, float32);
        const Q = randomCsr(queries, cols, density, seed + 2);
        const dense = BruteForce.build(densifyRows(X), { metric, workers: 1 });
        const sparse = SparseBruteForce.build(X, { metric });
        const r = metric === "cosine" ? 0.6 : metric === "manhattan" ? 3 : 2;
        for (const sortResults of [false, true]) {
          const want = dense.queryRadius(densifyRows(Q), r, { sortResults });
          const got = sparse.queryRadius(Q, r, { sortResults });
          expect(Array.from(got.offsets)).toEqual(Array.from(want.offsets));
          expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
          expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
        }
        const counts = sparse.queryRadius(Q, r, { countOnly: true });
        expect(Array.from(counts.offsets)).toEqual(Array.from(dense.queryRadius(densifyRows(Q), r, { countOnly: true }).offsets));
      }),
      { numRuns: 40 },
    );
  });

  it("all-zero queries and empty training rows", () => {
    const X = csrMatrix({ data: new Float64Array([1, 2]), indices: new Int32Array([0, 2]), indptr: new Int32Array([0, 0, 1, 1, 2]), rows: 4, cols: 3 });
    const Q = csrMatrix({ data: new Float64Array(0), indices: new Int32Array(0), indptr: new Int32Array([0, 0]), rows: 1, cols: 3 });
    for (const metric of metrics) {
      const got = SparseBruteForce.build(X, { metric }).query(Q, 4);
      const want = BruteForce.build(densifyRows(X), { metric }).query(densifyRows(Q), 4);
      expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
      expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
    }
  });

  it("dense training rows answer sparse queries as dense ones (in blocks)", () => {
    const X = randomCsr(300, 20, 0.3, 7);
    const Q = randomCsr(50, 20, 0.3, 8);
    const dense = BruteForce.build(densifyRows(X), { metric: "euclidean", workers: 1 });
    expect(Array.from(dense.query(Q, 4).indices)).toEqual(Array.from(dense.query(densifyRows(Q), 4).indices));
    const r1 = dense.queryRadius(Q, 2);
    const r2 = dense.queryRadius(densifyRows(Q), 2);
    expect(Array.from(r1.offsets)).toEqual(Array.from(r2.offsets));
    expect(Array.from(r1.indices)).toEqual(Array.from(r2.indices));
  });
});

describe("estimators on sparse rows", () => {
  const X = randomCsr(200, 30, 0.2, 11);
  const Xd = densifyRows(X);
  const y = Array.from({ length: 200 }, (_, i) => i % 3);

  it("NearestNeighbors: brute force for auto and for the trees; kneighbors without Q drops each row itself", () => {
    for (const algorithm of ["auto", "kd_tree", "ball_tree", "brute"] as const) {
      const nn = new NearestNeighbors({ algorithm, nNeighbors: 4 }).fit(X);
      expect(nn.fitAlgorithm).toBe("brute");
      const want = new NearestNeighbors({ algorithm: "brute", nNeighbors: 4 }).fit(Xd).kneighbors();
      const got = nn.kneighbors();
      expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
      expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
    }
  });

  it("classifier and LOF equal their dense fits", () => {
    const Q = randomCsr(40, 30, 0.2, 12);
    const a = new KNeighborsClassifier({ nNeighbors: 5, weights: "distance", metric: "cosine" }).fit(X, y);
    const b = new KNeighborsClassifier({ nNeighbors: 5, weights: "distance", metric: "cosine" }).fit(Xd, y);
    expect(Array.from(a.predictProba(Q).data)).toEqual(Array.from(b.predictProba(densifyRows(Q)).data));
    const la = new LocalOutlierFactor({ nNeighbors: 10, metric: "manhattan" }).fit(X);
    const lb = new LocalOutlierFactor({ nNeighbors: 10, metric: "manhattan", algorithm: "brute" }).fit(Xd);
    expect(Array.from(la.negativeOutlierFactor)).toEqual(Array.from(lb.negativeOutlierFactor));
  });

  it("refuses what scikit-learn refuses", () => {
    expect(() => new NearestNeighbors({ metric: "chebyshev" }).fit(X)).toThrow(/Metric 'chebyshev' not valid for sparse input/);
    expect(() => new NearestNeighbors({ metric: "minkowski", p: 3 }).fit(X)).toThrow(/not valid for sparse input/);
    expect(() => KDTree.build(X as unknown as Matrix)).toThrow(/Sparse data was passed for X, but dense data is required/);
    const tree = new NearestNeighbors({ algorithm: "kd_tree" }).fit(Xd);
    expect(() => tree.kneighbors(X)).toThrow(/kd_tree does not work with sparse matrices/);
  });

  it("refuses bad CSR arrays, naming the problem", () => {
    const ok = { data: new Float64Array([1, 2]), indices: new Int32Array([0, 1]), indptr: new Int32Array([0, 1, 2]), rows: 2, cols: 2 };
    const bad: [Partial<typeof ok>, RegExp][] = [
      [{ indices: new Int32Array([0, 2]) }, /column index 2 in row 1 is out of range \[0, 2\)/],
      [{ indices: new Int32Array([0, -1]) }, /out of range/],
      [{ indptr: new Int32Array([0, 2, 1]) }, /indptr ends at 1 but there are 2 entries/],
      [{ indptr: new Int32Array([0, 2, 2]), indices: new Int32Array([1, 1]) }, /column 1 appears twice in row 0/],
      [{ indptr: new Int32Array([0, 2]) }, /indptr has 2 entries; a matrix of 2 rows needs 3/],
      [{ indptr: new Int32Array([1, 1, 2]) }, /indptr must start at 0/],
      [{ data: new Float64Array([1, NaN]) }, /NaN in row 1, column 1/],
      [{ data: new Float64Array([Infinity, 1]) }, /Infinity in row 0, column 0/],
      [{ data: new Float64Array([1]) }, /indices has 2 entries but data has 1/],
      [{ cols: 0 }, /cols must be an integer >= 1/],
      [{ indptr: new Int32Array([0, 3, 2]) }, /indptr is not monotone: indptr\[2\] = 2 < indptr\[1\] = 3/],
    ];
    for (const [change, message] of bad) {
      const e = (() => {
        try {
          csrMatrix({ ...ok, ...change });
        } catch (err) {
          return err;
        }
        return null;
      })();
      expect(e).toBeInstanceOf(KnnInputError);
      expect((e as Error).message).toMatch(message);
    }
    // unsorted columns are sorted (a copy), answers unchanged
    const unsorted = csrMatrix({ data: new Float64Array([2, 1]), indices: new Int32Array([1, 0]), indptr: new Int32Array([0, 2]), rows: 1, cols: 2 });
    expect(Array.from(unsorted.indices)).toEqual([0, 1]);
    expect(Array.from(unsorted.data)).toEqual([1, 2]);
    expect(Array.from(densifyRows(unsorted).data)).toEqual(Array.from(matrixView(new Float64Array([1, 2]), 1, 2).data));
  });
});
