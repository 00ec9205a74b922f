/** queryAsync / queryRadiusAsync in Node: the answers of query / queryRadius (worker threads included), bad input as a rejection. */
import { describe, expect, it } from "vitest";
import { BallTree, BruteForce, KDTree, KnnInputError, webWorkersAvailable } from "../src/index.js";
import { makeData } from "./helpers.js";

describe("queryAsync in Node", () => {
  const X = makeData("grid", 2000, 6, 5);
  const Q = makeData("uniform", 300, 6, 6);

  it("has no Web Workers and answers like the synchronous calls, on one thread and on two", async () => {
    expect(webWorkersAvailable).toBe(false);
    for (const index of [BruteForce.build(X), KDTree.build(X, { leafSize: 8 }), BallTree.build(X)]) {
      for (const workers of [1, 2]) {
        expect(await index.queryAsync(Q, 5, { workers })).toEqual(index.query(Q, 5, { workers }));
        const options = { workers, sortResults: true };
        expect(await index.queryRadiusAsync(Q, 2.5, options)).toEqual(index.queryRadius(Q, 2.5, options));
      }
    }
  });

  it("rejects bad input with the synchronous calls' errors", async () => {
    const index = KDTree.build(X);
    await expect(index.queryAsync(Q, 0)).rejects.toThrow(KnnInputError);
    await expect(index.queryAsync(Q, 2001)).rejects.toThrow(/larger than the number of training rows/);
    await expect(index.queryRadiusAsync(Q, -1)).rejects.toThrow(/radius r must be a number >= 0/);
    await expect(index.queryAsync(makeData("uniform", 3, 4, 1), 1)).rejects.toThrow(KnnInputError);
  });
});
