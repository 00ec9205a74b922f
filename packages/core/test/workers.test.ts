import { afterAll, describe, expect, it } from "vitest";
import { BruteForce, KDTree, closeWorkerPool, cpuCount, parallelAvailable, workerPoolSize } from "../src/index.js";
import { makeData } from "./helpers.js";

describe("workers are capped at the core count", () => {
  afterAll(closeWorkerPool);

  it("workers: 1000 starts at most cpuCount() - 1 helper threads and answers as one thread does", async () => {
    expect(parallelAvailable).toBe(true);
    await closeWorkerPool();
    const X = makeData("uniform", 500, 4, 1);
    const Q = makeData("uniform", 64, 4, 2);
    for (const index of [BruteForce.build(X, { workers: 1000 }), KDTree.build(X)]) {
      const one = index.query(Q, 5, { workers: 1 });
      const many = index.workers === 1000 ? index.query(Q, 5) : index.query(Q, 5, { workers: 1000 });
      expect(workerPoolSize()).toBeLessThanOrEqual(cpuCount() - 1);
      expect(Array.from(many.indices)).toEqual(Array.from(one.indices));
      expect(Array.from(many.distances)).toEqual(Array.from(one.distances));
      const radius = index.queryRadius(Q, 0.8, { workers: 1000 });
      expect(workerPoolSize()).toBeLessThanOrEqual(cpuCount() - 1);
      expect(Array.from(radius.offsets)).toEqual(Array.from(index.queryRadius(Q, 0.8, { workers: 1 }).offsets));
    }
    if (cpuCount() > 1) expect(workerPoolSize()).toBe(cpuCount() - 1); // the helpers did start
  });

  it("a per-query workers value that is not a positive integer is refused, naming it", () => {
    const index = BruteForce.build(makeData("uniform", 50, 3, 3));
    expect(() => index.query([[0, 0, 0]], 1, { workers: "2" as never })).toThrow(/^workers must be an integer >= 1 or "auto", got a string \("2"\)$/);
    expect(() => index.query([[0, 0, 0]], 1, { workers: 0 })).toThrow(/^workers must be an integer >= 1 or "auto", got 0$/);
  });
});
