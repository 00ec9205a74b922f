import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BruteForce,
  KNeighborsClassifier,
  KNeighborsRegressor,
  KnnInputError,
  NearestNeighbors,
  PrefilterIndex,
  anovaF,
  chiSquared,
  correlationRatio,
  equalFrequencyBins,
  matrixView,
  type Matrix,
  mutualInformationCodes,
  mutualInformationNumeric,
  pearsonScore,
  prefilterTradeoff,
  recallAtK,
  scoreFeatures,
  tunePrefilter,
  varianceScore,
} from "../src/index.js";
import { dualNorm } from "../src/projection.js";
import { makeData, mulberry32 } from "./helpers.js";

/** A 2-D sheet embedded linearly in `cols` dimensions, plus noise of width 1e-3 (low intrinsic dimension). */
function makeSheet(rows: number, cols: number, seed: number, float32 = false): Matrix {
  const rand = mulberry32(seed);
  const A = Array.from({ length: 2 * cols }, () => rand() * 2 - 1);
  const data = float32 ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const a = rand() * 10;
    const b = rand() * 10;
    for (let j = 0; j < cols; j++) data[i * cols + j] = a * A[j] + b * A[cols + j] + (rand() - 0.5) * 1e-3;
  }
  return matrixView(data, rows, cols);
}

/** Training rows and queries of one sheet; every other query a training row (distance-0 neighbours, ties among duplicates). */
function sheet(rows: number, queries: number, cols: number, seed: number, float32 = false): [Matrix, Matrix] {
  const all = makeSheet(rows + queries, cols, seed, float32);
  const X = matrixView(all.data.subarray(0, rows * cols), rows, cols);
  const Q = matrixView(all.data.slice(rows * cols), queries, cols);
  for (let i = 0; i < queries; i += 2) Q.data.set(X.data.subarray(((i * 7) % rows) * cols, ((i * 7) % rows + 1) * cols), i * cols);
  return [X, Q];
}

describe("feature scorers on hand-computed tables", () => {
  it("|Pearson|", () => {
    expect(pearsonScore([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 15);
    expect(pearsonScore([1, 2, 3], [6, 4, 2])).toBeCloseTo(1, 15);
    // x = [1,2,3,4], y = [1,3,2,4]: sxy = 4, sxx = syy = 5 -> 0.8
    expect(pearsonScore([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 15);
    expect(pearsonScore([5, 5, 5], [1, 2, 3])).toBe(0);
  });

  it("correlation ratio and ANOVA F", () => {
    // classes 0: [1, 3] mean 2; 1: [5, 7] mean 6; grand mean 4
    // SSB = 2*(2-4)^2 + 2*(6-4)^2 = 16; SST = 9+1+1+9 = 20; SSW = 4
    expect(correlationRatio([1, 3, 5, 7], [0, 0, 1, 1])).toBeCloseTo(Math.sqrt(16 / 20), 15);
    expect(anovaF([1, 3, 5, 7], [0, 0, 1, 1])).toBeCloseTo(16 / 1 / (4 / 2), 12);
    // perfectly predictive: no spread inside classes
    expect(correlationRatio([1, 1, 5, 5], [0, 0, 1, 1])).toBe(1);
    expect(anovaF([1, 1, 5, 5], [0, 0, 1, 1])).toBe(Infinity);
    // constant feature
    expect(correlationRatio([2, 2, 2, 2], [0, 1, 0, 1])).toBe(0);
    expect(anovaF([2, 2, 2, 2], [0, 1, 0, 1])).toBe(0);
  });

  it("mutual information and chi-squared of categorical codes", () => {
    // perfectly predictive binary feature, balanced: MI = ln 2
    expect(mutualInformationCodes([0, 0, 1, 1], [0, 0, 1, 1])).toBeCloseTo(Math.LN2, 15);
    // independent: MI = 0, chi2 = 0
    expect(mutualInformationCodes([0, 1, 0, 1], [0, 0, 1, 1])).toBeCloseTo(0, 15);
    expect(chiSquared([0, 1, 0, 1], [0, 0, 1, 1])).toBeCloseTo(0, 15);
    // table [[2,0],[0,2]]: expected 1 each cell: chi2 = 4 * (1^2/1) = 4
    expect(chiSquared([0, 0, 1, 1], [0, 0, 1, 1])).toBeCloseTo(4, 12);
    // table [[3,1],[1,3]]: expected 2: chi2 = 4 * (1/2) = 2
    expect(chiSquared([0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1, 0])).toBeCloseTo(2, 12);
  });

  it("numeric MI uses equal-frequency bins", () => {
    expect(Array.from(equalFrequencyBins([5, 1, 3, 2], 2))).toEqual([1, 0, 1, 0]);
    expect(Array.from(equalFrequencyBins([7, 7, 7, 7], 4))).toEqual([0, 0, 0, 0]);
    expect(mutualInformationNumeric([1, 2, 10, 11], [0, 0, 1, 1], 2)).toBeCloseTo(Math.LN2, 15);
    expect(mutualInformationNumeric([3, 3, 3, 3], [0, 0, 1, 1], 2)).toBe(0);
  });

  it("variance and the ranking of a table", () => {
    expect(varianceScore([1, 3])).toBe(1);
    const X = matrixView(new Float64Array([0, 5, 1, 0, 5, 1, 1, 5, 0, 1, 5, 0]), 4, 3);
    // column 0 predicts the class perfectly, column 1 is constant, column 2 is its mirror
    const scores = scoreFeatures(X, { kind: "classes", codes: Int32Array.from([0, 0, 1, 1]) }, "auto", new Set());
    expect(Array.from(scores)).toEqual([1, 0, 1]);
    const cat = scoreFeatures(X, { kind: "classes", codes: Int32Array.from([0, 0, 1, 1]) }, "chi2", new Set([0, 1, 2]));
    expect(cat[0]).toBeCloseTo(4, 12);
    expect(cat[1]).toBe(0);
  });
});

/** Two informative features (the class is the sign pattern) among noise. */
function classification(rows: number, seed: number) {
  const rand = mulberry32(seed);
  const cols = 6;
  const data = new Float64Array(rows * cols);
  const y: number[] = [];
  for (let i = 0; i < rows; i++) {
    const c = Math.floor(rand() * 3);
    y.push(c);
    data[i * cols] = c * 3 + rand();
    data[i * cols + 1] = c * 2 + rand();
    for (let j = 2; j < cols; j++) data[i * cols + j] = rand() * 0.5;
  }
  return { X: matrixView(data, rows, cols), y };
}

describe("PrefilterIndex", () => {
  it("with candidates = N it returns exactly the brute-force neighbours (property)", () => {
    fc.assert(
      fc.property(
        fc.record({
          rows: fc.integer({ min: 1, max: 700 }),
          cols: fc.integer({ min: 1, max: 24 }), // 16+ euclidean: windows scanned by WebAssembly in runs of 256 rows
          seed: fc.integer({ min: 0, max: 1e6 }),
          kind: fc.constantFrom("uniform", "grid", "duplicates" as const),
          metric: fc.constantFrom("euclidean", "manhattan", "chebyshev"),
          float32: fc.boolean(),
        }),
        (s) => {
          const X = makeData(s.kind as "uniform", s.rows, s.cols, s.seed, s.float32);
          const Q = makeData("grid", 10, s.cols, s.seed + 1);
          const k = Math.min(5, s.rows);
          const exact = BruteForce.build(X, { metric: s.metric }).query(Q, k, { workers: 1 });
          const pre = PrefilterIndex.build(X, { metric: s.metric, candidates: s.rows, nFilterFeatures: 1 }).query(Q, k, { workers: 1 });
          expect(Array.from(pre.indices)).toEqual(Array.from(exact.indices));
          expect(Array.from(pre.distances)).toEqual(Array.from(exact.distances));
        },
      ),
      { numRuns: 80, seed: 5 },
    );
  });

  it('mode "exact" returns the brute-force neighbours, radius searches too (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          rows: fc.integer({ min: 1, max: 900 }),
          cols: fc.integer({ min: 1, max: 24 }),
          seed: fc.integer({ min: 0, max: 1e6 }),
          kind: fc.constantFrom("uniform", "grid", "duplicates", "sheet" as const),
          metric: fc.constantFrom("euclidean", "manhattan", "chebyshev", "minkowski"),
          p: fc.constantFrom(1.5, 3),
          k: fc.integer({ min: 1, max: 12 }),
          target: fc.boolean(),
          float32: fc.boolean(),
          sortKey: fc.constantFrom("auto", "feature", "principal" as const),
        }),
        (s) => {
          const [X, Q] =
            s.kind === "sheet"
              ? sheet(s.rows, 12, s.cols, s.seed, s.float32)
              : [makeData(s.kind, s.rows, s.cols, s.seed, s.float32), makeData(s.kind === "uniform" ? "uniform" : "grid", 12, s.cols, s.seed + 1, s.float32)];
          const k = Math.min(s.k, s.rows);
          const metric = { metric: s.metric, p: s.metric === "minkowski" ? s.p : undefined };
          const y = s.target ? Array.from({ length: s.rows }, (_, i) => X.data[i * s.cols + (s.cols - 1)] > 0 ? 1 : 0) : undefined;
          const brute = BruteForce.build(X, metric);
          const exact = brute.query(Q, k, { workers: 1 });
          const index = PrefilterIndex.build(X, { ...metric, y, mode: "exact", candidates: 1, sortKey: s.sortKey });
          const pre = index.query(Q, k, { workers: 1 });
          expect(Array.from(pre.indices)).toEqual(Array.from(exact.indices));
          expect(Array.from(pre.distances)).toEqual(Array.from(exact.distances));
          expect(Array.from(pre.certified)).toEqual(new Array(Q.rows).fill(1));
          const r = exact.distances[k - 1];
          const within = index.queryRadius(Q, r, { sortResults: true, workers: 1 });
          const bruteWithin = brute.queryRadius(Q, r, { sortResults: true, workers: 1 });
          expect(Array.from(within.offsets)).toEqual(Array.from(bruteWithin.offsets));
          expect(Array.from(within.indices)).toEqual(Array.from(bruteWithin.indices));
        },
      ),
      { numRuns: 200, seed: 18 },
    );
  });

  it("the principal sort key: a direction within the metric's bound where it spreads wider; the feature elsewhere", () => {
    const [X, Q] = sheet(2000, 100, 24, 5);
    for (const [metric, p] of [["euclidean", 2], ["manhattan", 1], ["chebyshev", Infinity], ["minkowski", 3]] as const) {
      const index = PrefilterIndex.build(X, { metric, p: metric === "minkowski" ? 3 : undefined, mode: "exact" });
      const u = index.state().arrays.direction;
      if (metric === "euclidean") expect(u).toBeDefined();
      if (u === undefined) continue;
      expect(dualNorm(u, p)).toBeLessThanOrEqual(1 + 1e-12);
      expect(dualNorm(u, p)).toBeGreaterThan(1 - 1e-12);
    }
    // the sheet's two directions carry nearly all the spread: the key scans far fewer rows than a feature
    const kth = BruteForce.build(X).query(Q, 10, { workers: 1 }).distances;
    const rowsToScan = (sortKey: "feature" | "principal") => {
      const { arrays, params } = PrefilterIndex.build(X, { mode: "exact", sortKey }).state();
      let n = 0;
      for (let i = 0; i < Q.rows; i++) {
        const q = Q.data.subarray(i * 24, i * 24 + 24);
        const v = arrays.direction ? q.reduce((a, x, j) => a + x * arrays.direction![j], 0) : q[params.filterFeatures[0]];
        for (const key of arrays.primaryValues) if (Math.abs(key - v) <= kth[i * 10 + 9]) n++;
      }
      return n;
    };
    expect(rowsToScan("principal")).toBeLessThan(rowsToScan("feature") / 2);
    // on worker threads (the direction travels in the shared state) the answer is brute force's too
    const brute = BruteForce.build(X).query(Q, 10, { workers: 1 });
    const threaded = PrefilterIndex.build(X, { mode: "exact" }).query(Q, 10, { workers: 2 });
    expect(Array.from(threaded.indices)).toEqual(Array.from(brute.indices));
    expect(Array.from(threaded.distances)).toEqual(Array.from(brute.distances));
    expect(PrefilterIndex.build(X, { mode: "exact" }).state().arrays.direction).toBeDefined();
    expect(PrefilterIndex.build(X, { mode: "exact", features: [3] }).state().arrays.direction).toBeUndefined();
    expect(PrefilterIndex.build(X, {}).state().arrays.direction).toBeDefined();
    expect(PrefilterIndex.build(X, { sortKey: "feature" }).state().arrays.direction).toBeUndefined();
    expect(() => PrefilterIndex.build(makeData("grid", 50, 3, 1), { sortKey: "principal", categoricalFeatures: [1] })).toThrow(/sortKey "principal" needs numeric columns only/);
    expect(() => PrefilterIndex.build(X, { sortKey: "pca" as never })).toThrow(/sortKey must be "auto", "feature" or "principal"/);
    // constant rows: no direction, the feature key
    expect(PrefilterIndex.build(matrixView(new Float64Array(40).fill(2), 20, 2), { mode: "exact" }).state().arrays.direction).toBeUndefined();
  });

  it('mode "exact" refuses categorical columns and halving stages', () => {
    const X = matrixView(new Float64Array([0, 1.5, 1, 2.5, 2, 0.5]), 3, 2);
    expect(() => PrefilterIndex.build(X, { mode: "exact", categoricalFeatures: [0] })).toThrow(/mode "exact" needs numeric columns only/);
    expect(() => PrefilterIndex.build(X, { mode: "exact", halvingStages: 1, nFilterFeatures: 2 })).toThrow(/mode "exact" takes no halving stages/);
    expect(() => PrefilterIndex.build(X, { mode: "fast" as never })).toThrow(KnnInputError);
  });

  it("certified never lies, and with candidates = N every answer is certified (property)", () => {
    fc.assert(
      fc.property(
        fc.record({
          rows: fc.integer({ min: 1, max: 700 }),
          cols: fc.integer({ min: 1, max: 20 }),
          seed: fc.integer({ min: 0, max: 1e6 }),
          kind: fc.constantFrom("uniform", "grid", "duplicates", "sheet" as const),
          metric: fc.constantFrom("euclidean", "manhattan", "chebyshev"),
          fraction: fc.constantFrom(0.01, 0.05, 0.2, 0.5),
          float32: fc.boolean(),
          sortKey: fc.constantFrom("feature", "principal" as const),
        }),
        (s) => {
          const [X, Q] = s.kind === "sheet" ? sheet(s.rows, 20, s.cols, s.seed, s.float32) : [makeData(s.kind, s.rows, s.cols, s.seed, s.float32), makeData("uniform", 20, s.cols, s.seed + 1, s.float32)];
          const k = Math.min(4, s.rows);
          const exact = BruteForce.build(X, { metric: s.metric }).query(Q, k, { workers: 1 });
          const index = PrefilterIndex.build(X, { metric: s.metric, candidates: s.fraction, sortKey: s.sortKey });
          const pre = index.query(Q, k, { workers: 1 });
          for (let i = 0; i < Q.rows; i++) {
            if (pre.certified[i] === 0) continue;
            expect(Array.from(pre.indices.subarray(i * k, i * k + k))).toEqual(Array.from(exact.indices.subarray(i * k, i * k + k)));
          }
          expect(Array.from(index.withSettings({ candidates: s.rows }).query(Q, k, { workers: 1 }).certified)).toEqual(new Array(Q.rows).fill(1));
        },
      ),
      { numRuns: 80, seed: 19 },
    );
  });

  it("certified: some but not all answers of a small window on clustered data", () => {
    const X = makeData("uniform", 2000, 2, 3);
    const Q = makeData("uniform", 200, 2, 4);
    const c = PrefilterIndex.build(X, { candidates: 0.05 }).query(Q, 5, { workers: 1 }).certified;
    const n = c.reduce((a, b) => a + b, 0);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(200);
    // halving drops rows inside the window: nothing is certified
    expect(PrefilterIndex.build(X, { candidates: 0.05, halvingStages: 1, nFilterFeatures: 2 }).query(Q, 5).certified.every((x) => x === 0)).toBe(true);
  });

  it("recall stays <= 1 and falls as the window shrinks", () => {
    const { X, y } = classification(3000, 1);
    const Q = classification(200, 2).X;
    const exact = BruteForce.build(X).query(Q, 10);
    const index = PrefilterIndex.build(X, { y, nFilterFeatures: 2 });
    expect(index.filterFeatures[0]).toBe(0);
    let previous = 1;
    for (const fraction of [1, 0.5, 0.2, 0.1, 0.05, 0.01]) {
      const candidates = fraction === 1 ? X.rows : fraction;
      const recall = recallAtK(index.withSettings({ candidates }).query(Q, 10), exact);
      expect(recall).toBeLessThanOrEqual(1);
      expect(recall).toBeLessThanOrEqual(previous + 1e-12);
      previous = recall;
    }
    expect(previous).toBeLessThan(0.9);
    expect(recallAtK(index.withSettings({ candidates: X.rows }).query(Q, 10), exact)).toBe(1);
  });

  it("halving stages keep the nearer half on the next features", () => {
    const { X, y } = classification(2000, 3);
    const Q = classification(100, 4).X;
    const exact = BruteForce.build(X).query(Q, 5);
    const index = PrefilterIndex.build(X, { y, nFilterFeatures: 3, candidates: 0.5, halvingStages: 2 });
    const approx = index.query(Q, 5);
    const recall = recallAtK(approx, exact);
    expect(recall).toBeGreaterThan(0.3);
    expect(recall).toBeLessThanOrEqual(1);
    const workers2 = index.query(Q, 5, { workers: 2 });
    expect(Array.from(workers2.indices)).toEqual(Array.from(approx.indices));
  });

  describe("window edges", () => {
    const X = matrixView(Float64Array.from([0, 1, 1, 1, 1, 2, 3, 10]), 8, 1);
    const index = PrefilterIndex.build(X, { candidates: 3 });
    it("query below the minimum and above the maximum", () => {
      expect(index.window(-5, 3)).toEqual([0, 3]);
      expect(index.window(50, 3)).toEqual([5, 8]);
    });
    it("many equal values: the window stays among them", () => {
      const [a, b] = index.window(1, 3);
      expect(b - a).toBe(3);
      expect(a).toBeGreaterThanOrEqual(1);
      expect(b).toBeLessThanOrEqual(5);
    });
    it("grows toward the nearer side", () => {
      expect(index.window(2.9, 2)).toEqual([5, 7]);
      expect(index.window(9, 1)).toEqual([7, 8]);
    });
    it("m > N takes every row", () => {
      const big = PrefilterIndex.build(X, { candidates: 100 });
      expect(big.m).toBe(8);
      expect(Array.from(big.query([[1.2]], 8).indices)).toEqual(Array.from(BruteForce.build(X).query([[1.2]], 8).indices));
    });
  });

  it("categorical window: the query's block, widened only when too small; unseen categories work", () => {
    // column 0 categorical codes, column 1 numeric
    const X = matrixView(Float64Array.from([0, 0.1, 0, 0.2, 1, 0.3, 1, 0.4, 1, 0.5, 3, 0.6]), 6, 2);
    const y = [0, 0, 1, 1, 1, 2];
    const index = PrefilterIndex.build(X, { y, categoricalFeatures: [0], features: [0], candidates: 2 });
    expect(index.window(1, 2)).toEqual([2, 5]);
    expect(index.window(3, 2)).toEqual([4, 6]);
    // code 2 was never seen: the nearest codes are taken
    const [a, b] = index.window(2, 2);
    expect(b - a).toBe(2);
    const res = index.query([[2, 0.55]], 1);
    expect([4, 5]).toContain(res.indices[0]);
    expect(res.distances[0]).toBeCloseTo(Math.sqrt(1 + 0.05 ** 2), 12);
  });

  it("mixed metric in brute force: categorical columns count as 0/1 mismatch", () => {
    const X = [
      [0, 0.0],
      [1, 0.1],
      [0, 0.5],
    ];
    const bf = BruteForce.build(X, { categoricalFeatures: [0], categoricalWeight: 2 });
    const res = bf.query([[1, 0.0]], 3);
    // row 1: 0.1 numeric, codes equal -> 0.1; row 0: sqrt(4 + 0) = 2; row 2: sqrt(4 + .25)
    expect(Array.from(res.indices)).toEqual([1, 0, 2]);
    expect(res.distances[0]).toBeCloseTo(0.1, 15);
    expect(res.distances[1]).toBeCloseTo(2, 15);
    expect(res.distances[2]).toBeCloseTo(Math.sqrt(4.25), 15);
    const manhattan = BruteForce.build(X, { categoricalFeatures: [0], metric: "manhattan" }).query([[1, 0.0]], 1);
    expect(manhattan.distances[0]).toBeCloseTo(0.1, 15);
  });

  it("bad input: clear errors", () => {
    const X = makeData("uniform", 50, 3, 1);
    const err = (fn: () => unknown, msg: RegExp) => {
      expect(fn).toThrow(KnnInputError);
      expect(fn).toThrow(msg);
    };
    err(() => PrefilterIndex.build(X, { candidates: 0 }), /candidates must be a count >= 1 or a fraction in \(0, 1\), got 0/);
    err(() => PrefilterIndex.build(X, { candidates: -0.5 }), /candidates must be/);
    err(() => PrefilterIndex.build(X, { candidates: 2.5 }), /must be an integer, got 2.5/);
    err(() => PrefilterIndex.build(X, { nFilterFeatures: 4 }), /nFilterFeatures=4 is more than the 3 columns of X/);
    err(() => PrefilterIndex.build(X, { nFilterFeatures: 2, halvingStages: 2 }), /halvingStages=2 needs 3 filter features/);
    err(() => PrefilterIndex.build(X, { categoricalFeatures: [1] }), /categorical feature 1 must hold integer codes, found/);
    err(() => PrefilterIndex.build(X, { y: [1, 2, 3] }), /y has 3 values but X has 50 rows/);
    err(() => PrefilterIndex.build(X, { features: [0, 0] }), /features lists column 0 twice/);
    err(() => PrefilterIndex.build(X, { scoring: "gini" as never }), /unknown scoring method "gini"/);
    err(() => new KNeighborsClassifier({ candidates: 0.1 }), /option candidates only applies to algorithm "prefilter"/);
  });
});

describe("estimators with algorithm prefilter", () => {
  it("classifier and regressor with candidates = N equal the exact estimators", () => {
    const { X, y } = classification(600, 7);
    const Q = classification(80, 8).X;
    const exact = new KNeighborsClassifier({ nNeighbors: 5, algorithm: "brute" }).fit(X, y).predictProba(Q);
    const pre = new KNeighborsClassifier({ nNeighbors: 5, algorithm: "prefilter", candidates: 600 }).fit(X, y).predictProba(Q);
    expect(Array.from(pre.data)).toEqual(Array.from(exact.data));
    const values = y.map((c, i) => c * 10 + (i % 7));
    const regExact = new KNeighborsRegressor({ nNeighbors: 4, algorithm: "kd_tree" }).fit(X, values).predict(Q);
    const regPre = new KNeighborsRegressor({ nNeighbors: 4, algorithm: "prefilter", candidates: 600, scoring: "pearson" }).fit(X, values).predict(Q);
    expect(Array.from(regPre)).toEqual(Array.from(regExact));
    const nn = new NearestNeighbors({ algorithm: "prefilter", candidates: 0.5 }).fit(X);
    expect(nn.fitAlgorithm).toBe("prefilter");
    expect(nn.kneighbors(Q, 3).indices.length).toBe(240);
  });

  it("targetRecall tunes at fit and reports what was given up", () => {
    const { X, y } = classification(3000, 9);
    const clf = new KNeighborsClassifier({ nNeighbors: 5, algorithm: "prefilter", targetRecall: 0.9, nFilterFeatures: 3 }).fit(X, y);
    const t = clf.prefilterTuning!;
    expect(t.met).toBe(true);
    expect(t.recall).toBeGreaterThanOrEqual(0.9);
    expect(t.targetRecall).toBe(0.9);
    expect(Number.isFinite(t.scoreDelta)).toBe(true);
  });
});

describe("tuner", () => {
  it("meets the target recall on held-out rows (checked by a fresh exact computation)", () => {
    const { X, y } = classification(4000, 11);
    const result = tunePrefilter(X, y, { k: 10, targetRecall: 0.95, holdout: 300, seed: 3, repeats: 1 });
    expect(result.met).toBe(true);
    expect(result.recall).toBeGreaterThanOrEqual(0.95);
    // recheck on fresh queries from the same distribution, against brute force on the full data
    const fresh = classification(300, 12).X;
    const index = PrefilterIndex.build(X, { y, candidates: Math.ceil((result.candidates / 3700) * X.rows), halvingStages: result.halvingStages });
    const recall = recallAtK(index.query(fresh, 10), BruteForce.build(X).query(fresh, 10));
    expect(recall).toBeGreaterThanOrEqual(0.9);
    // the chosen point is the cheapest (counted work) among those meeting the target
    for (const p of result.sweep.points) if (p.recall >= 0.95) expect(p.cost).toBeGreaterThanOrEqual(result.cost);
  });

  it("is deterministic: the same data and seed give the same setting, recall and certified fraction", () => {
    const { X, y } = classification(3000, 21);
    const runs = [1, 2, 3].map(() => tunePrefilter(X, y, { k: 5, targetRecall: 0.9, holdout: 200, seed: 4, repeats: 1 }));
    const key = (r: (typeof runs)[0]) => [r.candidates, r.halvingStages, r.recall, r.certified, r.cost, r.met];
    expect(key(runs[1])).toEqual(key(runs[0]));
    expect(key(runs[2])).toEqual(key(runs[0]));
    expect(runs[0].sweep.points.map((p) => p.certified)).toEqual(runs[1].sweep.points.map((p) => p.certified));
  });

  it("the trade-off sweep reports recall, score delta and speed for each fraction", () => {
    const { X, y } = classification(2000, 13);
    const sweep = prefilterTradeoff(X, y, { k: 5, fractions: [0.05, 0.5, 1], halvingStages: [0], holdout: 100, repeats: 1 });
    expect(sweep.points.map((p) => p.fraction)).toEqual([0.05, 0.5, 1]);
    expect(sweep.scoreName).toBe("accuracy");
    const full = sweep.points[2];
    expect(full.recall).toBe(1);
    expect(full.certified).toBe(1);
    expect(full.scoreDelta).toBe(0);
    for (const p of sweep.points) {
      expect(p.recall).toBeGreaterThanOrEqual(0);
      expect(p.recall).toBeLessThanOrEqual(1);
      expect(p.queriesPerSecond).toBeGreaterThan(0);
    }
  });
});
