import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BallTree, BruteForce, KDTree, KERNEL_NAMES, KernelDensity, KnnInputError, logKernelNorm, type KernelName } from "../src/index.js";
import { dataArb as anyData, makeData, naiveMetrics } from "./helpers.js";

// the naive sums are quadratic: smaller data than the other property tests
const dataArb = anyData.map((spec) => ({ ...spec, rows: 1 + (spec.rows % 400), cols: 1 + (spec.cols % 6) }));

const K: Record<KernelName, (t: number) => number> = {
  gaussian: (t) => Math.exp(-0.5 * t * t),
  tophat: (t) => (t < 1 ? 1 : 0),
  epanechnikov: (t) => (t < 1 ? 1 - t * t : 0),
  exponential: (t) => Math.exp(-t),
  linear: (t) => (t < 1 ? 1 - t : 0),
  cosine: (t) => (t < 1 ? Math.cos((Math.PI * t) / 2) : 0),
};

/** Every training row summed, in plain loops. */
function naiveDensity(X: { data: ArrayLike<number>; rows: number; cols: number }, q: ArrayLike<number>, h: number, kernel: KernelName, w?: number[]): number {
  const dist = naiveMetrics.euclidean(2);
  let s = 0;
  for (let i = 0; i < X.rows; i++) s += (w ? w[i] : 1) * K[kernel](dist(q, Array.prototype.slice.call(X.data, i * X.cols, (i + 1) * X.cols)) / h);
  return s * Math.exp(logKernelNorm(h, X.cols, kernel));
}

describe("kernel density on the trees", () => {
  it("equals the naive sum with atol = rtol = 0, every kernel, both trees, both orders (property)", () => {
    fc.assert(
      fc.property(dataArb, fc.constantFrom(...KERNEL_NAMES), fc.double({ min: 0.05, max: 2, noNaN: true }), fc.boolean(), (spec, kernel, h, breadthFirst) => {
        const X = makeData(spec.kind, spec.rows, spec.cols, spec.seed, spec.float32);
        const Q = makeData("uniform", 6, spec.cols, spec.seed + 9);
        const w = Array.from({ length: X.rows }, (_, i) => ((i * 7919) % 13) / 4);
        for (const Tree of [KDTree, BallTree]) {
          const tree = Tree.build(X, { leafSize: 3 });
          const got = tree.kernelDensity(Q, { h, kernel, atol: 0, rtol: 0, breadthFirst, sampleWeight: w });
          for (let i = 0; i < Q.rows; i++) {
            const want = naiveDensity(X, Q.data.subarray(i * Q.cols, (i + 1) * Q.cols), h, kernel, w);
            if (Number.isNaN(want)) expect(got[i]).toBeNaN();
            else expect(Math.abs(got[i] - want)).toBeLessThanOrEqual(1e-9 * Math.abs(want) + 1e-300);
          }
        }
      }),
      { numRuns: 40, seed: 16 },
    );
  });

  it("stays within atol + rtol * density", () => {
    const X = makeData("uniform", 3000, 3, 4);
    const Q = makeData("uniform", 50, 3, 5);
    const tree = KDTree.build(X);
    const exact = tree.kernelDensity(Q, { h: 0.1, rtol: 0 });
    for (const [atol, rtol] of [[0, 1e-2], [1e-1, 0], [1e-2, 1e-3]]) {
      for (const breadthFirst of [true, false]) {
        const got = tree.kernelDensity(Q, { h: 0.1, atol, rtol, breadthFirst });
        for (let i = 0; i < Q.rows; i++) expect(Math.abs(got[i] - exact[i])).toBeLessThanOrEqual(atol + rtol * exact[i] + 1e-12);
      }
    }
  });

  it("returnLog gives the log; the estimator divides by the total weight; bad input is refused", () => {
    const X = makeData("uniform", 200, 2, 1);
    const tree = BallTree.build(X);
    const d = tree.kernelDensity(X, { h: 0.3, rtol: 0 });
    const log = tree.kernelDensity(X, { h: 0.3, rtol: 0, returnLog: true });
    d.forEach((v, i) => expect(log[i]).toBeCloseTo(Math.log(v), 12));
    const kde = new KernelDensity({ bandwidth: 0.3 }).fit(X);
    kde.scoreSamples(X).forEach((v, i) => expect(v).toBeCloseTo(Math.log(d[i] / 200), 12));
    expect(new KernelDensity({ bandwidth: "scott" }).fit(X).bandwidth).toBeCloseTo(200 ** (-1 / 6), 15);
    expect(kde.sample(5, 1).length).toBe(10);
    expect(() => new KernelDensity({ kernel: "box" as KernelName })).toThrow(KnnInputError);
    expect(() => tree.kernelDensity(X, { h: 0 })).toThrow(/bandwidth h/);
    expect(() => tree.kernelDensity(X, { h: 1, kernel: "box" as KernelName })).toThrow(/unknown kernel "box"/);
    expect(() => tree.kernelDensity(X, { h: 1, sampleWeight: [1, 2] })).toThrow(/sampleWeight has 2 values/);
    expect(() => new KernelDensity({ kernel: "linear" }).fit(X).sample(1)).toThrow(/gaussian and tophat/);
  });
});

describe("two-point correlation", () => {
  it("counts the pairs within each radius, as brute force (property)", () => {
    fc.assert(
      fc.property(dataArb, fc.array(fc.double({ min: 0, max: 2, noNaN: true }), { minLength: 1, maxLength: 4 }), (spec, r) => {
        const X = makeData(spec.kind, spec.rows, spec.cols, spec.seed);
        const Q = makeData("uniform", spec.queries, spec.cols, spec.seed + 3);
        const brute = BruteForce.build(X);
        const want = r.map((radius) => Array.from(brute.queryRadius(Q, Infinity).distances).filter((d) => d <= radius).length);
        for (const Tree of [KDTree, BallTree]) expect(Array.from(Tree.build(X, { leafSize: 4 }).twoPointCorrelation(Q, r))).toEqual(want);
      }),
      { numRuns: 40, seed: 17 },
    );
  });
});
