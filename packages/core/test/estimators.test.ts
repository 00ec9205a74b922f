import { describe, expect, it } from "vitest";
import {
  BallTree,
  BruteForce,
  KDTree,
  KNeighborsClassifier,
  KNeighborsRegressor,
  NearestNeighbors,
  chooseAlgorithm,
  matrixView,
  resolveMetric,
  r2Score,
} from "../src/index.js";
import { expectClose, makeData, mulberry32 } from "./helpers.js";

const line = [[0], [1], [2], [3], [10]];

describe("NearestNeighbors", () => {
  it("kneighbors with queries treats training rows as ordinary queries", () => {
    const nn = new NearestNeighbors({ nNeighbors: 2 }).fit(line);
    const res = nn.kneighbors([[1]]);
    expect(Array.from(res.indices)).toEqual([1, 0]);
    expect(Array.from(res.distances)).toEqual([0, 1]);
  });

  it("kneighbors without queries excludes each row itself", () => {
    const nn = new NearestNeighbors({ nNeighbors: 2 }).fit(line);
    const res = nn.kneighbors();
    expect(Array.from(res.indices)).toEqual([1, 2, 0, 2, 1, 3, 2, 1, 3, 2]);
    expect(Array.from(res.distances)).toEqual([1, 2, 1, 1, 1, 1, 1, 2, 7, 8]);
  });

  it("kneighbors without queries drops a duplicate when the row itself is crowded out", () => {
    const dup = [[0], [0], [0], [5]];
    const res = new NearestNeighbors({ nNeighbors: 1 }).fit(dup).kneighbors();
    // row 2's two nearest are rows 0 and 1 (ties by index); itself is absent, so the first column goes
    expect(Array.from(res.indices)).toEqual([1, 0, 1, 0]);
  });

  it("radiusNeighbors and kneighborsGraph", () => {
    const nn = new NearestNeighbors({ nNeighbors: 2, radius: 1.5 }).fit(line);
    const r = nn.radiusNeighbors([[1.2]], undefined, { sortResults: true });
    expect(Array.from(r.indices)).toEqual([1, 2, 0]);
    expectClose(r.distances, [0.2, 0.8, 1.2]);
    const self = nn.radiusNeighbors(undefined, 1.0, { sortResults: true });
    expect(Array.from(self.offsets)).toEqual([0, 1, 3, 5, 6, 6]);
    expect(Array.from(self.indices)).toEqual([1, 0, 2, 1, 3, 2]);
    const g = nn.kneighborsGraph([[0.1], [9]], 2, "distance");
    expect(Array.from(g.indptr)).toEqual([0, 2, 4]);
    expect(Array.from(g.indices)).toEqual([0, 1, 4, 3]);
    expectClose(g.data, [0.1, 0.9, 1, 6]);
    expect(g.shape).toEqual([2, 5]);
    const c = nn.kneighborsGraph([[0.1]], 2);
    expect(Array.from(c.data)).toEqual([1, 1]);
  });

  it("every algorithm gives the same answer", () => {
    const X = makeData("grid", 300, 3, 4);
    const Q = makeData("uniform", 40, 3, 5);
    const ref = new NearestNeighbors({ algorithm: "brute" }).fit(X).kneighbors(Q, 7);
    for (const algorithm of ["kd_tree", "ball_tree", "auto"] as const) {
      const got = new NearestNeighbors({ algorithm, leafSize: 3 }).fit(X).kneighbors(Q, 7);
      expect(Array.from(got.indices)).toEqual(Array.from(ref.indices));
      expect(Array.from(got.distances)).toEqual(Array.from(ref.distances));
    }
  });
});

describe("KNeighborsClassifier", () => {
  const X = [[0], [1], [2], [10], [11]];
  const y = ["a", "a", "b", "c", "c"];

  it("uniform votes, string labels, probabilities summing to 1", () => {
    const clf = new KNeighborsClassifier({ nNeighbors: 3 }).fit(X, y);
    expect(clf.classes).toEqual(["a", "b", "c"]);
    const proba = clf.predictProba([[0.4], [10.5]]);
    expectClose(proba.data, [2 / 3, 1 / 3, 0, 0, 1 / 3, 2 / 3]);
    expect(clf.predict([[0.4], [10.5]])).toEqual(["a", "c"]);
    expect(clf.score([[0.4], [10.5]], ["a", "b"])).toBe(0.5);
  });

  it("distance weights: 1/d, and a zero-distance neighbour takes all the weight", () => {
    const clf = new KNeighborsClassifier({ nNeighbors: 3, weights: "distance" }).fit(X, y);
    const p = clf.predictProba([[1.5]]);
    // neighbours 1 (d .5, a), 2 (d .5, b), 0 (d 1.5, a)
    const wa = 2 + 1 / 1.5;
    const wb = 2;
    expectClose(p.data, [wa / (wa + wb), wb / (wa + wb), 0]);
    const exact = clf.predictProba([[2]]);
    expect(Array.from(exact.data)).toEqual([0, 1, 0]);
    expect(clf.predict([[2]])).toEqual(["b"]);
  });

  it("a weights function gets one row of distances", () => {
    const seen: number[][] = [];
    const clf = new KNeighborsClassifier({
      nNeighbors: 2,
      weights: (d) => {
        seen.push(Array.from(d));
        return Array.from(d, (v) => (v < 0.5 ? 1 : 0));
      },
    }).fit(X, y);
    expect(clf.predict([[1.9]])).toEqual(["b"]);
    expect(seen).toHaveLength(1);
    expectClose(seen[0], [0.1, 0.9]);
  });

  it("numeric labels sort numerically; proba rows sum to 1 on random data", () => {
    const rand = mulberry32(9);
    const Xr = makeData("uniform", 400, 4, 1);
    const labels = Array.from({ length: 400 }, () => [10, 2, 33][Math.floor(rand() * 3)]);
    const clf = new KNeighborsClassifier({ nNeighbors: 7, weights: "distance" }).fit(Xr, labels);
    expect(clf.classes).toEqual([2, 10, 33]);
    const p = clf.predictProba(makeData("uniform", 50, 4, 2));
    for (let i = 0; i < p.rows; i++) {
      let s = 0;
      for (let j = 0; j < p.cols; j++) s += p.data[i * p.cols + j];
      expect(Math.abs(s - 1)).toBeLessThan(1e-12);
    }
  });

  it("workers 1 and 2 give identical results", () => {
    const Xr = makeData("uniform", 2000, 3, 3);
    const labels = Array.from({ length: 2000 }, (_, i) => i % 4);
    const Q = makeData("uniform", 3000, 3, 8);
    const one = new KNeighborsClassifier({ nNeighbors: 5, workers: 1 }).fit(Xr, labels).predictProba(Q);
    const two = new KNeighborsClassifier({ nNeighbors: 5, workers: 2 }).fit(Xr, labels).predictProba(Q);
    expect(Array.from(two.data)).toEqual(Array.from(one.data));
  });
});

describe("KNeighborsRegressor", () => {
  it("uniform and distance-weighted means; R²", () => {
    const X = [[0], [1], [2], [4]];
    const y = [1, 2, 4, 8];
    const uni = new KNeighborsRegressor({ nNeighbors: 2 }).fit(X, y);
    expectClose(uni.predict([[0.2], [3.5]]), [1.5, 6]);
    const dist = new KNeighborsRegressor({ nNeighbors: 2, weights: "distance" }).fit(X, y);
    // 0.2: d=.2 (y1), d=.8 (y2) -> (5*1 + 1.25*2) / 6.25
    expectClose(dist.predict([[0.2], [1]]), [(5 * 1 + 1.25 * 2) / 6.25, 2]);
    const pred = uni.predict([[0.2], [3.5]]);
    const yTrue = [1, 7];
    const mean = 4;
    const expected = 1 - ((1 - pred[0]) ** 2 + (7 - pred[1]) ** 2) / ((1 - mean) ** 2 + (7 - mean) ** 2);
    expect(uni.score([[0.2], [3.5]], yTrue)).toBeCloseTo(expected, 12);
    expect(r2Score([3, 3], [3, 3])).toBe(1);
    expect(r2Score([3, 3], [3, 4])).toBe(0);
  });
});

describe("algorithm auto", () => {
  const euclid = resolveMetric({ metric: "euclidean" });
  it("follows the documented rule", () => {
    expect(chooseAlgorithm("auto", euclid, 1000, 3, 5)).toBe("kd_tree");
    expect(chooseAlgorithm("auto", euclid, 1000, 16, 5)).toBe("brute");
    expect(chooseAlgorithm("auto", euclid, 1000, 15, 5)).toBe("kd_tree");
    expect(chooseAlgorithm("auto", euclid, 1000, 3, 500)).toBe("brute");
    expect(chooseAlgorithm("auto", resolveMetric({ metric: "cosine" }), 1000, 3, 5)).toBe("brute");
    expect(chooseAlgorithm("ball_tree", euclid, 1000, 30, 5)).toBe("ball_tree");
  });
  it("estimators record their resolved choice", () => {
    expect(new NearestNeighbors().fit(makeData("uniform", 50, 20, 1)).fitAlgorithm).toBe("brute");
    expect(new NearestNeighbors().fit(makeData("uniform", 50, 2, 1)).fitAlgorithm).toBe("kd_tree");
  });
});

describe("parallel queries", () => {
  it("workers 1 and 2 return identical k-NN and radius results for every index", () => {
    const X = makeData("duplicates", 3000, 4, 12);
    const Q = makeData("uniform", 4000, 4, 13);
    for (const index of [BruteForce.build(X), KDTree.build(X, { leafSize: 8 }), BallTree.build(X, { leafSize: 8 })]) {
      const one = index.query(Q, 9, { workers: 1 });
      const two = index.query(Q, 9, { workers: 2 });
      expect(Array.from(two.indices)).toEqual(Array.from(one.indices));
      expect(Array.from(two.distances)).toEqual(Array.from(one.distances));
      const r1 = index.queryRadius(Q, 0.8, { workers: 1, sortResults: true });
      const r2 = index.queryRadius(Q, 0.8, { workers: 2, sortResults: true });
      expect(Array.from(r2.offsets)).toEqual(Array.from(r1.offsets));
      expect(Array.from(r2.indices)).toEqual(Array.from(r1.indices));
      const c2 = index.queryRadius(Q, 0.8, { workers: 2, countOnly: true });
      expect(Array.from(c2.offsets)).toEqual(Array.from(r1.offsets));
    }
  });

  it("parallel results live in shared memory (the worker path really ran)", () => {
    const X = makeData("uniform", 500, 3, 1);
    const res = KDTree.build(X).query(makeData("uniform", 600, 3, 2), 3, { workers: 2 });
    expect(res.indices.buffer).toBeInstanceOf(SharedArrayBuffer);
    const single = KDTree.build(X).query(makeData("uniform", 600, 3, 2), 3, { workers: 1 });
    expect(single.indices.buffer).not.toBeInstanceOf(SharedArrayBuffer);
  });

  it("float32 queries on a float64 index and the reverse", () => {
    const X64 = makeData("uniform", 300, 5, 3);
    const X32 = matrixView(Float32Array.from(X64.data), 300, 5);
    const Q32 = matrixView(Float32Array.from(makeData("uniform", 20, 5, 4).data), 20, 5);
    const a = KDTree.build(X32).query(Q32, 4, { workers: 1 });
    const b = BruteForce.build(X32).query(Q32, 4, { workers: 2 });
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
    expect(KDTree.build(X64).query(Q32, 4).indices.length).toBe(80);
  });
});
