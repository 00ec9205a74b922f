import { describe, expect, it } from "vitest";
import {
  KNeighborsClassifier,
  KNeighborsMultiOutputClassifier,
  KNeighborsMultiOutputRegressor,
  KNeighborsRegressor,
  KNeighborsTransformer,
  KNNImputer,
  KnnInputError,
  LocalOutlierFactor,
  NearestCentroid,
  RadiusNeighborsClassifier,
  RadiusNeighborsRegressor,
  RadiusNeighborsTransformer,
  mulberry32,
  type Matrix,
} from "../src/index.js";

function randomMatrix(rows: number, cols: number, seed: number, missing = 0): Matrix {
  const rand = mulberry32(seed);
  const data = new Float64Array(rows * cols);
  // values on a coarse grid, so that distances tie and the tie rule is exercised
  for (let i = 0; i < data.length; i++) data[i] = rand() < missing ? NaN : Math.round(rand() * 8) / 8;
  return { data, rows, cols };
}

/** scikit-learn's KNNImputer, written out directly: nan_euclidean, ties to the smaller row, column mean when no donor shares a coordinate. */
function imputeReference(fit: Matrix, q: Matrix, k: number, distance: boolean): Float64Array {
  const { cols } = fit;
  const out = Float64Array.from(q.data);
  for (let r = 0; r < q.rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (!Number.isNaN(q.data[r * cols + c])) continue;
      const donors: { d2: number; i: number }[] = [];
      let sum = 0;
      let count = 0;
      for (let i = 0; i < fit.rows; i++) {
        const v = fit.data[i * cols + c];
        if (Number.isNaN(v)) continue;
        sum += v;
        count++;
        let s = 0;
        let shared = 0;
        for (let j = 0; j < cols; j++) {
          const a = q.data[r * cols + j];
          const b = fit.data[i * cols + j];
          if (Number.isNaN(a) || Number.isNaN(b)) continue;
          s += (a - b) ** 2;
          shared++;
        }
        if (shared > 0) donors.push({ d2: (s * cols) / shared, i });
      }
      if (count === 0) continue;
      if (donors.length === 0) {
        out[r * cols + c] = sum / count;
        continue;
      }
      donors.sort((a, b) => a.d2 - b.d2 || a.i - b.i);
      const best = donors.slice(0, k);
      const zero = best.some((d) => d.d2 === 0);
      let num = 0;
      let den = 0;
      for (const d of best) {
        const w = !distance ? 1 : zero ? (d.d2 === 0 ? 1 : 0) : 1 / Math.sqrt(d.d2);
        num += w * fit.data[d.i * cols + c];
        den += w;
      }
      out[r * cols + c] = num / den;
    }
  }
  return out;
}

describe("KNNImputer", () => {
  it("equals the direct nan_euclidean imputation on random data with ties, on one thread and on two", () => {
    for (const [seed, k, weights] of [
      [1, 1, "uniform"],
      [2, 3, "distance"],
      [3, 5, "uniform"],
      [4, 40, "distance"],
    ] as const) {
      const fit = randomMatrix(120, 5, seed, 0.25);
      const q = randomMatrix(70, 5, seed + 100, 0.3);
      const expected = imputeReference(fit, q, k, weights === "distance");
      for (const workers of [1, 2]) {
        const got = new KNNImputer({ nNeighbors: k, weights, workers }).fit(fit).transform(q);
        expect(got.cols).toBe(5);
        for (let i = 0; i < expected.length; i++) expect(got.data[i]).toBeCloseTo(expected[i], 12);
      }
    }
  });

  it("drops (or keeps as 0) a column missing at fit, and appends the indicator of the columns that had missing values", () => {
    const X = [
      [NaN, 1, 2],
      [NaN, NaN, 3],
      [NaN, 2, 4],
    ];
    const dropped = new KNNImputer({ nNeighbors: 1, addIndicator: true }).fitTransform(X);
    expect(dropped.cols).toBe(2 + 2);
    expect(Array.from(dropped.data.subarray(4, 8))).toEqual([1, 3, 1, 1]); // row 1: column 1 from row 0 (nearer than row 2)
    const kept = new KNNImputer({ nNeighbors: 1, keepEmptyFeatures: true }).fitTransform(X);
    expect(Array.from(kept.data.subarray(0, 3))).toEqual([0, 1, 2]);
  });

  it("reads missingValues as the marker, and refuses bad input", () => {
    const X = [
      [-1, 1],
      [2, 2],
      [3, -1],
    ];
    const out = new KNNImputer({ nNeighbors: 1, missingValues: -1 }).fitTransform(X);
    expect(Array.from(out.data)).toEqual([2, 1, 2, 2, 3, 2]);
    expect(() => new KNNImputer({ missingValues: -1 }).fit([[NaN, 1]])).toThrow(/NaN at row 0, column 0/);
    expect(() => new KNNImputer().fit([[Infinity, 1]])).toThrow(KnnInputError);
    expect(() => new KNNImputer({ nNeighbors: 0 })).toThrow(/nNeighbors/);
    expect(() => new KNNImputer().fit([[1, 2]]).transform([[1, 2, 3]])).toThrow(/3 features/);
  });
});

describe("neighbour estimators", () => {
  const X = randomMatrix(150, 3, 7);
  const Q = randomMatrix(30, 3, 8);
  const labels = Array.from({ length: X.rows }, (_, i) => (X.data[i * 3] < 0.5 ? "a" : X.data[i * 3 + 1] < 0.5 ? "b" : "c"));

  it("RadiusNeighborsClassifier votes the rows within the radius, with the outlier label for rows without any", () => {
    const clf = new RadiusNeighborsClassifier({ radius: 0.3, weights: "distance", outlierLabel: "z" }).fit(X, labels);
    const [proba] = clf.predictProbaOutputs(Q);
    const within = clf.neighbors.radiusNeighbors(Q, 0.3);
    for (let i = 0; i < Q.rows; i++) {
      const votes = new Map<string, number>();
      const ds = within.distances.subarray(within.offsets[i], within.offsets[i + 1]);
      const zero = ds.some((d) => d === 0);
      ds.forEach((d, j) => {
        const label = labels[within.indices[within.offsets[i] + j]];
        votes.set(label, (votes.get(label) ?? 0) + (zero ? (d === 0 ? 1 : 0) : 1 / d));
      });
      const total = [...votes.values()].reduce((a, b) => a + b, 0);
      ["a", "b", "c"].forEach((c, j) => expect(proba.data[i * 3 + j]).toBeCloseTo(total ? (votes.get(c) ?? 0) / total : 0, 12));
    }
    expect(clf.predict([[9, 9, 9]])[0]).toEqual(["z"]);
    expect(() => new RadiusNeighborsClassifier({ radius: 0.3 }).fit(X, labels).predict([[9, 9, 9]])).toThrow(/no neighbours within the radius/);
    expect(() => new RadiusNeighborsClassifier({ radius: -1 })).toThrow(KnnInputError);
    expect(() => new RadiusNeighborsClassifier({ outlierLabel: 3 }).fit(X, labels)).toThrow(/type of the classes/);
  });

  it("RadiusNeighborsRegressor averages within the radius (NaN where there is no row)", () => {
    const y = Array.from({ length: X.rows }, (_, i) => X.data[i * 3] * 2);
    const pred = new RadiusNeighborsRegressor({ radius: Infinity }).fit(X, y).predict(Q);
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    pred.data.forEach((v) => expect(v).toBeCloseTo(mean, 12));
    expect(Number.isNaN(new RadiusNeighborsRegressor({ radius: 0.01 }).fit(X, y).predict([[9, 9, 9]]).data[0])).toBe(true);
  });

  it("multi-output k-NN equals one single-output estimator per output", () => {
    const second = labels.map((l) => (l === "a" ? "x" : "y"));
    const multi = new KNeighborsMultiOutputClassifier({ nNeighbors: 4, weights: "distance" }).fit(X, [labels, second]);
    const [p0, p1] = multi.predict(Q);
    expect(p0).toEqual(new KNeighborsClassifier({ nNeighbors: 4, weights: "distance" }).fit(X, labels).predict(Q));
    expect(p1).toEqual(new KNeighborsClassifier({ nNeighbors: 4, weights: "distance" }).fit(X, second).predict(Q));
    const y0 = Array.from({ length: X.rows }, (_, i) => X.data[i * 3]);
    const y1 = y0.map((v) => 1 - v * v);
    const reg = new KNeighborsMultiOutputRegressor({ nNeighbors: 4 }).fit(X, [y0, y1]).predict(Q);
    const single = new KNeighborsRegressor({ nNeighbors: 4 }).fit(X, y1).predict(Q);
    single.forEach((v, i) => expect(reg.data[i * 2 + 1]).toBeCloseTo(v, 12));
  });

  it("the transformers give CSR graphs: the training rows include themselves first, radius rows sorted by distance", () => {
    const g = new KNeighborsTransformer({ nNeighbors: 3 }).fitTransform(X);
    expect(g.shape).toEqual([150, 150]);
    for (let i = 0; i < X.rows; i++) {
      expect(g.indptr[i + 1] - g.indptr[i]).toBe(4);
      expect(g.data[g.indptr[i]]).toBe(0);
    }
    const c = new KNeighborsTransformer({ nNeighbors: 3, mode: "connectivity" }).fit(X).transform(Q);
    expect(c.indptr[Q.rows]).toBe(3 * Q.rows);
    expect(Array.from(new Set(c.data))).toEqual([1]);
    const r = new RadiusNeighborsTransformer({ radius: 0.4 }).fit(X).transform(Q);
    for (let i = 0; i < Q.rows; i++) {
      const row = Array.from(r.data.subarray(r.indptr[i], r.indptr[i + 1]));
      expect(row).toEqual([...row].sort((a, b) => a - b));
    }
    expect(() => new KNeighborsTransformer({ mode: "both" as never })).toThrow(/mode/);
  });

  it("LocalOutlierFactor follows the reachability-density formula", () => {
    const Xj = randomMatrix(80, 2, 9);
    for (let i = 0; i < Xj.data.length; i++) Xj.data[i] += i * 1e-6; // no distance ties
    const lof = new LocalOutlierFactor({ nNeighbors: 6, contamination: 0.1 }).fit(Xj);
    const nn = lof.neighbors.kneighbors(undefined, 6);
    const kd = Array.from({ length: 80 }, (_, i) => nn.distances[i * 6 + 5]);
    const lrd = kd.map((_, i) => {
      let s = 0;
      for (let j = 0; j < 6; j++) s += Math.max(nn.distances[i * 6 + j], kd[nn.indices[i * 6 + j]]);
      return 1 / (s / 6 + 1e-10);
    });
    lrd.forEach((l, i) => {
      let s = 0;
      for (let j = 0; j < 6; j++) s += lrd[nn.indices[i * 6 + j]] / l;
      expect(lof.negativeOutlierFactor[i]).toBeCloseTo(-s / 6, 12);
    });
    const labelsOut = lof.fitPredict(Xj);
    expect(labelsOut.filter((v) => v === -1).length).toBe(8);
    expect(() => new LocalOutlierFactor({ contamination: 0.7 })).toThrow(/contamination/);
  });

  it("NearestCentroid predicts the class of the nearest class mean", () => {
    const nc = new NearestCentroid().fit(X, labels);
    const pred = nc.predict(Q);
    for (let i = 0; i < Q.rows; i++) {
      let best = -1;
      let bestD = Infinity;
      for (let c = 0; c < 3; c++) {
        let d = 0;
        for (let j = 0; j < 3; j++) d += (Q.data[i * 3 + j] - nc.centroids!.data[c * 3 + j]) ** 2;
        if (d < bestD) [best, bestD] = [c, d];
      }
      expect(pred[i]).toBe(nc.classes[best]);
    }
    expect(() => new NearestCentroid().fit(X, labels.map(() => "one"))).toThrow(/greater than one/);
  });
});
