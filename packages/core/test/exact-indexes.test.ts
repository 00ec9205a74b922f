import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BallTree, BruteForce, KDTree, matrixView, radiusCounts, type Matrix, type RadiusResult } from "../src/index.js";
import { dataArb, expectClose, makeData, mulberry32, naiveKnn, naiveMetrics } from "./helpers.js";

const treeMetrics = [
  { metric: "euclidean", p: 2 },
  { metric: "manhattan", p: 1 },
  { metric: "chebyshev", p: Infinity },
  { metric: "minkowski", p: 3 },
  { metric: "minkowski", p: 1.5 },
];
const leafSizes = [1, 2, 5, 40];

function queriesFor(X: Matrix, count: number, seed: number): Matrix {
  // half the queries are training rows (exact ties at distance 0), half fresh points
  const fresh = makeData("uniform", count, X.cols, seed + 1, X.data instanceof Float32Array);
  const data = new Float64Array(count * X.cols);
  for (let i = 0; i < count; i++) {
    const src = i % 2 === 0 ? X.data.subarray(((i * 7919) % X.rows) * X.cols, ((i * 7919) % X.rows + 1) * X.cols) : fresh.data.subarray(i * X.cols, (i + 1) * X.cols);
    data.set(src, i * X.cols);
  }
  return matrixView(data, count, X.cols);
}

function sortedRows(r: RadiusResult): string[] {
  const out: string[] = [];
  for (let i = 0; i < r.rows; i++) out.push(Array.from(r.indices.subarray(r.offsets[i], r.offsets[i + 1])).sort((a, b) => a - b).join(","));
  return out;
}

describe("KDTree and BallTree equal brute force", () => {
  it("on random data, every metric, dtype, leaf size and k (property)", () => {
    fc.assert(
      fc.property(
        dataArb,
        fc.constantFrom(...treeMetrics),
        fc.constantFrom(...leafSizes),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (spec, metric, leafSize, kFraction) => {
          const X = makeData(spec.kind, spec.rows, spec.cols, spec.seed, spec.float32);
          const Q = queriesFor(X, spec.queries, spec.seed);
          const k = 1 + Math.floor(kFraction * (X.rows - 1));
          const brute = BruteForce.build(X, metric).query(Q, k, { workers: 1 });
          for (const Tree of [KDTree, BallTree]) {
            const tree = Tree.build(X, { ...metric, leafSize });
            const got = tree.query(Q, k, { workers: 1 });
            expect(Array.from(got.indices)).toEqual(Array.from(brute.indices));
            expectClose(got.distances, brute.distances);
          }
        },
      ),
      { numRuns: 60, seed: 20261123 },
    );
  });

  it("radius queries return exactly the rows within r (property)", () => {
    fc.assert(
      fc.property(
        dataArb,
        fc.constantFrom(...treeMetrics),
        fc.constantFrom(...leafSizes),
        fc.double({ min: 0, max: 4, noNaN: true }),
        (spec, metric, leafSize, r) => {
          const X = makeData(spec.kind, spec.rows, spec.cols, spec.seed, spec.float32);
          const Q = queriesFor(X, spec.queries, spec.seed);
          const brute = BruteForce.build(X, metric);
          const expected = brute.queryRadius(Q, r, { sortResults: true });
          // independent check of brute force's own radius answer
          const dist = naiveMetrics[metric.metric](metric.p);
          for (let i = 0; i < Q.rows; i++) {
            const q = Q.data.subarray(i * Q.cols, (i + 1) * Q.cols);
            const within: number[] = [];
            for (let row = 0; row < X.rows; row++) {
              const d = dist(q, X.data.subarray(row * X.cols, (row + 1) * X.cols));
              if (d <= r * (1 - 1e-9)) within.push(row);
              else if (d <= r * (1 + 1e-9)) within.push(-1); // too close to call: skip
            }
            const got = new Set(expected.indices.subarray(expected.offsets[i], expected.offsets[i + 1]));
            for (const row of within) if (row >= 0) expect(got.has(row)).toBe(true);
          }
          for (const Tree of [KDTree, BallTree]) {
            const tree = Tree.build(X, { ...metric, leafSize });
            const sorted = tree.queryRadius(Q, r, { sortResults: true, workers: 1 });
            expect(Array.from(sorted.indices)).toEqual(Array.from(expected.indices));
            expectClose(sorted.distances, expected.distances);
            const unsorted = tree.queryRadius(Q, r, { workers: 1 });
            expect(sortedRows(unsorted)).toEqual(sortedRows(expected));
            const counts = tree.queryRadius(Q, r, { countOnly: true, workers: 1 });
            expect(Array.from(radiusCounts(counts))).toEqual(Array.from(radiusCounts(expected)));
            expect(counts.indices.length).toBe(0);
          }
        },
      ),
      { numRuns: 40, seed: 7 },
    );
  });
});

describe("BruteForce against a naive reference", () => {
  for (const metric of [...treeMetrics, { metric: "cosine", p: 2 }]) {
    it(`${metric.metric} p=${metric.p}`, () => {
      for (const kind of ["uniform", "grid", "duplicates"] as const) {
        for (const float32 of [false, true]) {
          const X = makeData(kind, 200, 5, 11, float32);
          if (metric.metric === "cosine") X.data.fill(0, 0, 5); // a zero vector
          const Q = queriesFor(X, 12, 3);
          const k = 17;
          const got = BruteForce.build(X, metric).query(Q, k, { workers: 1 });
          const ref = naiveKnn(X, Q, k, naiveMetrics[metric.metric](metric.p));
          expectClose(got.distances, ref.distances.flat(), 1e-9);
          // indices may only differ where the reference distances tie within rounding
          for (let i = 0; i < Q.rows; i++) {
            for (let j = 0; j < k; j++) {
              const a = got.indices[i * k + j];
              const b = ref.indices[i][j];
              if (a !== b) expect(Math.abs(got.distances[i * k + j] - ref.distances[i][j])).toBeLessThan(1e-9);
            }
          }
        }
      }
    });
  }
});

describe("degenerate data", () => {
  const cases: [string, Matrix][] = [
    ["one row", matrixView(new Float64Array([1, 2, 3]), 1, 3)],
    ["constant columns", matrixView(new Float64Array(60).fill(4), 20, 3)],
    ["identical rows", matrixView(Float64Array.from({ length: 50 }, (_, i) => i % 2), 25, 2)],
    ["one distinct value per column", matrixView(Float64Array.from({ length: 90 }, (_, i) => [1, -2, 7][i % 3]), 30, 3)],
    ["a constant column beside a varying one", matrixView(Float64Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? 3 : Math.floor(i / 8))), 40, 2)],
    // selects over long runs of equal values (the sampled pivot path)
    ["1,500 equal rows", matrixView(new Float64Array(3000).fill(0.25), 1500, 2)],
  ];
  for (const [name, X] of cases) {
    it(`${name}: k = rows, every tree equals brute force`, () => {
      const Q = matrixView(new Float64Array(X.cols * 2).map((_, i) => i), 2, X.cols);
      const brute = BruteForce.build(X).query(Q, X.rows, { workers: 1 });
      for (const row of [0, 1]) {
        // ties at equal distance come out in index order
        const idx = Array.from(brute.indices.subarray(row * X.rows, (row + 1) * X.rows));
        const d = Array.from(brute.distances.subarray(row * X.rows, (row + 1) * X.rows));
        for (let j = 1; j < idx.length; j++) {
          expect(d[j] >= d[j - 1]).toBe(true);
          if (d[j] === d[j - 1]) expect(idx[j]).toBeGreaterThan(idx[j - 1]);
        }
      }
      for (const Tree of [KDTree, BallTree]) {
        for (const leafSize of [1, 3, 40]) {
          const got = Tree.build(X, { leafSize }).query(Q, X.rows, { workers: 1 });
          expect(Array.from(got.indices)).toEqual(Array.from(brute.indices));
          expect(Array.from(got.distances)).toEqual(Array.from(brute.distances));
        }
      }
    });
  }

  it("float32 data stays float32 in the tree", () => {
    const X = makeData("uniform", 100, 4, 5, true);
    const tree = KDTree.build(X);
    expect(tree.dtype).toBe("float32");
    expect(tree.arrays.data).toBeInstanceOf(Float32Array);
    expect(BallTree.build(X).arrays.data).toBeInstanceOf(Float32Array);
  });

  it("number[][] input is copied once into float64", () => {
    const rows = [
      [0, 0],
      [1, 1],
      [2, 2],
    ];
    const res = KDTree.build(rows).query([[0.9, 0.9]], 2, { workers: 1 });
    expect(Array.from(res.indices)).toEqual([1, 0]);
    expectClose(res.distances, [Math.hypot(0.1, 0.1), Math.hypot(0.9, 0.9)]);
  });
});

/** scikit-learn's parametrised metrics for data of `cols` features, from a seed (V positive, VI positive definite). */
function paramMetrics(cols: number, seed: number): { options: Record<string, unknown>; naive: (a: ArrayLike<number>, b: ArrayLike<number>) => number; kd: boolean }[] {
  const rand = mulberry32(seed);
  const w = Array.from({ length: cols }, () => rand() * 2);
  const V = Array.from({ length: cols }, () => 0.1 + rand());
  // VI = A A' + I is positive definite
  const A = Array.from({ length: cols * cols }, () => rand() - 0.5);
  const VI = Array.from({ length: cols * cols }, (_, ij) => {
    const i = Math.floor(ij / cols);
    const j = ij % cols;
    let s = i === j ? 1 : 0;
    for (let t = 0; t < cols; t++) s += A[i * cols + t] * A[j * cols + t];
    return s;
  });
  const diff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a, (v, j) => v - b[j]);
  return [
    { options: { metric: "minkowski", p: 2, w }, kd: true, naive: (a, b) => Math.sqrt(diff(a, b).reduce((s, t, j) => s + w[j] * t * t, 0)) },
    { options: { metric: "minkowski", p: 1, w }, kd: true, naive: (a, b) => diff(a, b).reduce((s, t, j) => s + w[j] * Math.abs(t), 0) },
    { options: { metric: "minkowski", p: 3, w }, kd: true, naive: (a, b) => diff(a, b).reduce((s, t, j) => s + w[j] * Math.abs(t) ** 3, 0) ** (1 / 3) },
    { options: { metric: "seuclidean", V }, kd: false, naive: (a, b) => Math.sqrt(diff(a, b).reduce((s, t, j) => s + (t * t) / V[j], 0)) },
    {
      options: { metric: "mahalanobis", VI },
      kd: false,
      naive: (a, b) => {
        const t = diff(a, b);
        return Math.sqrt(t.reduce((s, ti, i) => s + ti * t.reduce((r, tj, j) => r + VI[i * cols + j] * tj, 0), 0));
      },
    },
  ];
}

/** Great-circle distance on the unit sphere between (lat, lon) points in radians. */
function naiveHaversine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const h = Math.sin((a[0] - b[0]) / 2) ** 2 + Math.cos(a[0]) * Math.cos(b[0]) * Math.sin((a[1] - b[1]) / 2) ** 2;
  return 2 * Math.asin(Math.sqrt(h));
}

describe("metrics with parameters (w, V, VI) and haversine: every exact index equals brute force, brute force equals a naive loop", () => {
  it("on random data, every metric, leaf size and k (property)", () => {
    fc.assert(
      fc.property(
        dataArb,
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(...leafSizes),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (spec, which, leafSize, kFraction) => {
          const X = makeData(spec.kind, spec.rows, spec.cols, spec.seed, spec.float32);
          const Q = queriesFor(X, spec.queries, spec.seed);
          const k = 1 + Math.floor(kFraction * (X.rows - 1));
          const { options, naive, kd } = paramMetrics(X.cols, spec.seed)[which];
          const brute = BruteForce.build(X, options).query(Q, k, { workers: 1 });
          const ref = naiveKnn(X, Q, k, naive);
          expectClose(brute.distances, ref.distances.flat(), 1e-9);
          for (const Tree of kd ? [KDTree, BallTree] : [BallTree]) {
            const got = Tree.build(X, { ...options, leafSize }).query(Q, k, { workers: 1 });
            expect(Array.from(got.indices)).toEqual(Array.from(brute.indices));
            expectClose(got.distances, brute.distances);
            const r = brute.distances[Math.floor(brute.distances.length / 2)];
            expect(sortedRows(Tree.build(X, { ...options, leafSize }).queryRadius(Q, r))).toEqual(sortedRows(BruteForce.build(X, options).queryRadius(Q, r)));
          }
          if (!kd) expect(() => KDTree.build(X, options)).toThrow(/not valid for kd_tree/);
        },
      ),
      { numRuns: 60, seed: 20261129 },
    );
  });

  it("haversine: Ball tree equals brute force equals the great-circle distance (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(...leafSizes), (rows, seed, leafSize) => {
        const rand = mulberry32(seed);
        // latitude in [-pi/2, pi/2], longitude in [-pi, pi]; a few duplicated points
        const data = new Float64Array(rows * 2);
        for (let i = 0; i < rows; i++) {
          const src = i > 0 && rand() < 0.1 ? Math.floor(rand() * i) : -1;
          data[2 * i] = src >= 0 ? data[2 * src] : (rand() - 0.5) * Math.PI;
          data[2 * i + 1] = src >= 0 ? data[2 * src + 1] : (rand() - 0.5) * 2 * Math.PI;
        }
        const X = matrixView(data, rows, 2);
        const Q = queriesFor(X, 8, seed);
        const k = Math.min(rows, 1 + (seed % 7));
        const brute = BruteForce.build(X, { metric: "haversine" }).query(Q, k, { workers: 1 });
        expectClose(brute.distances, naiveKnn(X, Q, k, naiveHaversine).distances.flat(), 1e-9);
        const got = BallTree.build(X, { metric: "haversine", leafSize }).query(Q, k, { workers: 1 });
        expect(Array.from(got.indices)).toEqual(Array.from(brute.indices));
        expectClose(got.distances, brute.distances);
        const r = brute.distances[brute.distances.length - 1];
        expect(sortedRows(BallTree.build(X, { metric: "haversine", leafSize }).queryRadius(Q, r))).toEqual(
          sortedRows(BruteForce.build(X, { metric: "haversine" }).queryRadius(Q, r)),
        );
      }),
      { numRuns: 60, seed: 20261130 },
    );
  });

  it("survives the state round trip (worker threads answer the same)", () => {
    const X = makeData("uniform", 400, 3, 5);
    for (const { options } of paramMetrics(3, 9)) {
      const tree = BallTree.build(X, options);
      expect(tree.state().params.metricParams).toBeDefined();
      const serial = tree.query(X, 4, { workers: 1 });
      const parallel = tree.query(X, 4, { workers: 2 });
      expect(Array.from(parallel.indices)).toEqual(Array.from(serial.indices));
    }
  });
});

describe("metric precomputed (brute force over rows of distances)", () => {
  it("equals brute force on the rows the distances came from (property)", () => {
    fc.assert(
      fc.property(dataArb, fc.double({ min: 0, max: 1, noNaN: true }), (spec, kFraction) => {
        const X = makeData(spec.kind, 1 + (spec.rows % 150), spec.cols, spec.seed);
        const Q = queriesFor(X, spec.queries, spec.seed);
        const k = 1 + Math.floor(kFraction * (X.rows - 1));
        const dist = naiveMetrics.manhattan(1);
        const table = (A: Matrix) => {
          const out = new Float64Array(A.rows * X.rows);
          for (let i = 0; i < A.rows; i++) for (let j = 0; j < X.rows; j++) out[i * X.rows + j] = dist(A.data.subarray(i * A.cols, (i + 1) * A.cols), X.data.subarray(j * X.cols, (j + 1) * X.cols));
          return matrixView(out, A.rows, X.rows);
        };
        const index = BruteForce.build(table(X), { metric: "precomputed" });
        const got = index.query(table(Q), k, { workers: 1 });
        const want = naiveKnn(X, Q, k, dist);
        expect(Array.from(got.indices)).toEqual(want.indices.flat());
        expectClose(got.distances, want.distances.flat());
        const r = got.distances[Math.floor(got.distances.length / 2)];
        expect(sortedRows(index.queryRadius(table(Q), r))).toEqual(sortedRows(BruteForce.build(X, { metric: "manhattan" }).queryRadius(Q, r)));
      }),
      { numRuns: 25, seed: 20261131 },
    );
  });

  it("refuses a non-square fit matrix, negative distances and the trees", () => {
    const D = matrixView(Float64Array.from([0, 1, 1, 0]), 2, 2);
    expect(() => BruteForce.build(matrixView(new Float64Array(6), 2, 3), { metric: "precomputed" })).toThrow(/must be square/);
    expect(() => BruteForce.build(matrixView(Float64Array.from([0, -1, 1, 0]), 2, 2), { metric: "precomputed" })).toThrow(/Negative values/);
    expect(() => BruteForce.build(D, { metric: "precomputed" }).query(matrixView(Float64Array.from([-1, 0]), 1, 2), 1)).toThrow(/Negative values/);
    for (const Tree of [KDTree, BallTree]) expect(() => Tree.build(D, { metric: "precomputed" })).toThrow(/not supported/);
  });
});
