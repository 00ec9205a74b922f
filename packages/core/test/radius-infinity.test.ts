import { describe, expect, it } from "vitest";
import { BallTree, BruteForce, KDTree, NearestNeighbors, PrefilterIndex, radiusCounts, type KnnIndex } from "../src/index.js";
import { makeData } from "./helpers.js";

describe("radius Infinity (as scikit-learn accepts) takes every training row with its true distance", () => {
  const X = makeData("grid", 300, 5, 1); // ties on purpose
  const Q = makeData("uniform", 17, 5, 2);
  const metrics = [{ metric: "euclidean" }, { metric: "manhattan" }, { metric: "chebyshev" }, { metric: "minkowski", p: 3 }, { metric: "cosine" }];

  for (const options of metrics) {
    it(`${options.metric}: every index equals brute force's k = n answer`, () => {
      const brute = BruteForce.build(X, options);
      const want = brute.query(Q, X.rows, { workers: 1 });
      const indexes: KnnIndex[] = [brute];
      if (options.metric !== "cosine") {
        // the prefilter's window of every row
        indexes.push(KDTree.build(X, { ...options, leafSize: 8 }), BallTree.build(X, { ...options, leafSize: 8 }), PrefilterIndex.build(X, { ...options, candidates: X.rows }));
      }
      for (const index of indexes) {
        for (const workers of [1, 2]) {
          const got = index.queryRadius(Q, Infinity, { workers, sortResults: true });
          expect(Array.from(radiusCounts(got))).toEqual(new Array(Q.rows).fill(X.rows));
          expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
          expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
          const counts = index.queryRadius(Q, Infinity, { workers, countOnly: true });
          expect(Array.from(radiusCounts(counts))).toEqual(new Array(Q.rows).fill(X.rows));
        }
      }
    });
  }

  it("the estimators' radius: Infinity option", () => {
    for (const algorithm of ["brute", "kd_tree", "ball_tree"] as const) {
      const nn = new NearestNeighbors({ radius: Infinity, algorithm }).fit(X);
      const got = nn.radiusNeighbors(Q, undefined, { sortResults: true });
      const want = BruteForce.build(X).query(Q, X.rows, { workers: 1 });
      expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
      expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
      // on the training rows each row is left out of its own neighbours
      expect(Array.from(radiusCounts(nn.radiusNeighbors()))).toEqual(new Array(X.rows).fill(X.rows - 1));
    }
  });
});
