import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BallTree,
  BruteForce,
  KDTree,
  KNeighborsClassifier,
  KNeighborsRegressor,
  KnnIndex,
  KnnInputError,
  NearestNeighbors,
  PrefilterIndex,
  STATE_VERSION,
  checkIndexState,
  estimatorFromState,
  indexFromState,
  type EstimatorState,
  type IndexState,
  type Matrix,
} from "../src/index.js";
import { makeData } from "./helpers.js";

const X = makeData("uniform", 300, 3, 1);
const Q = makeData("uniform", 20, 3, 2);
const y = Array.from({ length: 300 }, (_, i) => (X.data[i * 3] > 0 ? "hi" : i % 3 === 0 ? "mid" : "lo"));

function builders(m: Matrix): Record<IndexState["kind"], () => KnnIndex> {
  return {
    brute: () => BruteForce.build(m, { metric: "cosine" }),
    kd_tree: () => KDTree.build(m, { leafSize: 5 }),
    ball_tree: () => BallTree.build(m, { metric: "manhattan", leafSize: 7 }),
    prefilter: () => PrefilterIndex.build(m, { candidates: 0.4, halvingStages: Math.min(1, m.cols - 1), nFilterFeatures: Math.min(2, m.cols) }),
  };
}

function sameAnswers(a: KnnIndex, b: KnnIndex, q: Matrix, k: number): void {
  const ra = a.query(q, k, { workers: 1 });
  const rb = b.query(q, k, { workers: 1 });
  expect(Array.from(rb.indices)).toEqual(Array.from(ra.indices));
  expect(Array.from(rb.distances)).toEqual(Array.from(ra.distances));
}

/** A state with some params or arrays replaced (the rest shared with the original). */
function edit(state: IndexState, params: Record<string, unknown>, arrays: Record<string, unknown> = {}): IndexState {
  return { ...state, params: { ...state.params, ...params }, arrays: { ...state.arrays, ...arrays } } as IndexState;
}

function refused(state: unknown, message: RegExp): void {
  expect(() => checkIndexState(state)).toThrow(KnnInputError);
  expect(() => checkIndexState(state)).toThrow(message);
  expect(() => indexFromState(state as IndexState)).toThrow(message);
}

describe("index state", () => {
  it("names its kind and version, and state() is a view that changes nothing", () => {
    for (const [kind, build] of Object.entries(builders(X))) {
      const index = build();
      const before = Object.values(index.state().arrays).map((a) => [a, a.buffer, a.slice()] as const);
      const state = index.state();
      expect(state.kind).toBe(kind);
      expect(state.version).toBe(STATE_VERSION);
      expect(index.state().arrays).toEqual(state.arrays);
      for (const [a, buffer, copy] of before) {
        expect(a.buffer).toBe(buffer);
        expect(a).toEqual(copy);
      }
    }
    // brute force keeps one copy of the rows (where its kernels read them), and state() hands that out
    const brute = BruteForce.build(X);
    expect(brute.state().arrays.data).toBe(brute.state().arrays.data);
    expect(brute.state().arrays.data).toEqual(X.data);
  });

  it("rebuilds an equal index for every kind and dtype (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.integer({ min: 0, max: 1e6 }), (rows, cols, float32, seed) => {
        const m = makeData("grid", rows, cols, seed, float32);
        const q = makeData("uniform", 5, cols, seed + 1, float32);
        for (const build of Object.values(builders(m))) {
          const index = build();
          const back = indexFromState(index.state());
          expect(back.dtype).toBe(index.dtype);
          sameAnswers(index, back, q, Math.min(3, rows));
        }
      }),
      { numRuns: 25 },
    );
  });

  it("the worker path shares the arrays and still answers the same", () => {
    const tree = KDTree.build(X);
    const shared = tree.sharedState();
    for (const a of Object.values(shared.arrays)) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    sameAnswers(tree, indexFromState(shared, { trusted: true }), Q, 4);
  });

  it("refuses a state that names an unknown kind or another version", () => {
    const state = KDTree.build(X).state();
    refused({ ...state, kind: "lsh" }, /unknown index kind "lsh"/);
    refused({ ...state, version: STATE_VERSION + 1 }, new RegExp(`kd_tree state: version ${STATE_VERSION + 1} is not supported`));
    // version 1 trees had no split dimensions
    refused({ ...state, version: 1 }, new RegExp(`kd_tree state: version 1 is not supported \\(this build reads version ${STATE_VERSION}\\)`));
    refused(null, /index state must be an object/);
  });

  it("refuses bad params: sizes, metric, leaf size", () => {
    const state = KDTree.build(X).state();
    refused(edit(state, { rows: 2 ** 31 }), /rows must be an integer in \[1, 2147483647\], got 2147483648/);
    refused(edit(state, { rows: 2 ** 31 - 1 }), /array data has 900 values, expected 6442450941/);
    refused(edit(state, { cols: 0 }), /cols must be an integer/);
    refused(edit(state, { cols: "3" }), /cols must be an integer/);
    refused(edit(state, { metric: "hamming" }), /unknown metric "hamming"/);
    refused(edit(state, { metric: "minkowski", p: 0.5 }), /p must be a number >= 1/);
    refused(edit(state, { metric: "minkowski", p: 2 }), /metric must be stored in its resolved form/);
    refused(edit(state, { metric: "cosine" }), /metric "cosine" is not supported by kd_tree/);
    refused(edit(state, { leafSize: 0 }), /leafSize must be an integer in \[1/);
    refused(edit(state, { leafSize: 2 }), /array nodeStart has \d+ values, expected \d+/);
  });

  it("refuses missing, mistyped, unexpected and non-finite arrays", () => {
    const state = BallTree.build(X).state();
    const { nodeBounds: _, ...noBounds } = state.arrays;
    refused({ ...state, arrays: noBounds }, /array nodeBounds is missing/);
    refused(edit(state, {}, { idxArray: Float64Array.from(state.arrays.idxArray) }), /array idxArray must be Int32Array/);
    refused(edit(state, {}, { extra: new Int32Array(1) }), /unexpected array extra/);
    refused(edit(state, {}, { nodeRadius: new Float64Array(3) }), /array nodeRadius has 3 values/);
    const data = state.arrays.data.slice();
    data[77] = NaN;
    refused(edit(state, {}, { data }), /array data holds NaN at position 77/);
    const radius = state.arrays.nodeRadius.slice();
    radius[1] = -1;
    refused(edit(state, {}, { nodeRadius: radius }), /nodeRadius holds -1 at node 1/);
  });

  it("refuses a tree whose structure a query could loop on or run out of", () => {
    const state = KDTree.build(X, { leafSize: 5 }).state();
    const a = state.arrays;
    refused(edit(state, {}, { isLeaf: new Uint8Array(a.isLeaf.length) }), /isLeaf\[\d+\] is 0, but node \d+ is a leaf/);
    refused(edit(state, {}, { isLeaf: new Uint8Array(a.isLeaf.length).fill(1) }), /isLeaf\[0\] is 1, but node 0 has children/);
    const start = a.nodeStart.slice();
    start[0] = 1;
    refused(edit(state, {}, { nodeStart: start }), /the root must cover rows \[0, 300\)/);
    // children that split their parent's range at a point outside it
    const end = a.nodeEnd.slice();
    const begin = a.nodeStart.slice();
    end[1] = 350;
    begin[2] = 350;
    refused(edit(state, {}, { nodeEnd: end, nodeStart: begin }), /node 1 covers \[0, 350\), not a range inside \[0, 300\]/);
    const split = a.nodeStart.slice();
    split[2] += 1;
    refused(edit(state, {}, { nodeStart: split }), /the children of node 0 .* do not split its range \[0, 300\)/);
    const ids = a.idxArray.slice();
    ids[5] = ids[6];
    refused(edit(state, {}, { idxArray: ids }), /array idxArray holds \d+ twice/);
    ids[5] = 300;
    refused(edit(state, {}, { idxArray: ids }), /array idxArray holds 300 at position 5, outside \[0, 300\)/);
    const bounds = a.nodeBounds.slice();
    bounds[0] = 100;
    refused(edit(state, {}, { nodeBounds: bounds }), /node 0's box has its lower bound above its upper bound in column 0/);
    // the traversal reads the children's bounds in the split dimension
    const dims = a.splitDim.slice();
    dims[0] = 3;
    refused(edit(state, {}, { splitDim: dims }), /splitDim\[0\] is 3, expected a column in \[0, 3\)/);
    dims[0] = 0;
    dims[dims.length - 1] = 0;
    refused(edit(state, {}, { splitDim: dims }), new RegExp(`splitDim\\[${dims.length - 1}\\] is 0, expected -1 \\(a leaf\\)`));
    const { splitDim: _, ...noSplits } = a;
    refused({ ...state, arrays: noSplits }, /array splitDim is missing/);
    refused(edit(BallTree.build(X).state(), {}, { splitDim: new Int32Array(3) }), /array splitDim has 3 values, expected 0/);
  });

  it("refuses brute-force and prefilter states that do not fit together", () => {
    const brute = BruteForce.build(X, { metric: "cosine" }).state();
    const { norms: _, ...noNorms } = brute.arrays;
    refused({ ...brute, arrays: noNorms }, /array norms is missing/);
    refused(edit(brute, { metric: "euclidean" }), /array norms belongs to metric "cosine" only/);
    const norms = brute.arrays.norms!.slice();
    norms[9] *= 2;
    refused(edit(brute, {}, { norms }), /array norms holds [\d.e-]+ at position 9, but row 9 has length/);
    refused(edit(brute, { kernel: "gpu" }), /unknown kernel "gpu"/);
    const cat = BruteForce.build(makeData("grid", 50, 3, 3), { categoricalFeatures: [1] }).state();
    refused(edit(cat, { categorical: [1, 1] }), /categorical lists column 1 twice/);
    refused(edit(cat, { categorical: [3] }), /categorical\[0\] must be an integer in \[0, 2\]/);
    refused(edit(cat, { categoricalWeight: 0 }), /categoricalWeight must be a finite number > 0/);
    const fractional = cat.arrays.data.slice();
    fractional[1] = 0.5;
    refused(edit(cat, {}, { data: fractional }), /categorical feature 1 must hold integer codes/);

    const pre = PrefilterIndex.build(X, { candidates: 30, halvingStages: 1, nFilterFeatures: 2, sortKey: "feature" }).state();
    refused(edit(pre, { m: 301 }), /m must be an integer in \[1, 300\]/);
    refused(edit(pre, { halving: 2 }), /halving must be an integer in \[0, 1\]/);
    refused(edit(pre, { filterFeatures: [] }), /filterFeatures must name at least one column/);
    refused(edit(pre, { filterFeatures: [0, 0] }), /filterFeatures lists column 0 twice/);
    const primary = pre.arrays.primaryValues.slice();
    primary[10] += 1e-9;
    refused(edit(pre, {}, { primaryValues: primary }), /primaryValues\[10\] is not the value of row 10/);
    refused(edit(pre, {}, { rowIds: new Int32Array(300) }), /array rowIds holds 0 twice/);
    refused(edit(pre, {}, { scores: new Float64Array(2) }), /array scores has 2 values, expected 3/);

    const principal = PrefilterIndex.build(X, { mode: "exact", metric: "manhattan" }).state();
    const u = principal.arrays.direction!;
    sameAnswers(PrefilterIndex.build(X, { mode: "exact", metric: "manhattan" }), indexFromState(principal), Q, 5);
    refused(edit(principal, {}, { direction: u.map((x) => x * 1.01) }), /direction is longer than 1 in the metric's dual norm/);
    refused(edit(principal, { metric: "chebyshev" }), /direction is longer than 1|primaryValues/);
    const keys = principal.arrays.primaryValues.slice();
    keys[7] += 1e-9;
    refused(edit(principal, {}, { primaryValues: keys }), /primaryValues\[7\] is not row 7's key along direction/);
    refused(edit(principal, {}, { direction: new Float64Array(2) }), /array direction has 2 values, expected 3/);
  });
});

describe("estimator state", () => {
  it("names the estimator by a literal, also for a subclass, and restores through each class's fromState", () => {
    class MyClassifier extends KNeighborsClassifier {}
    const clf = new MyClassifier({ nNeighbors: 3, weights: "distance" }).fit(X, y);
    const state = clf.toState();
    expect(state.estimator).toBe("KNeighborsClassifier");
    expect(state.version).toBe(STATE_VERSION);
    const back = KNeighborsClassifier.fromState(state);
    expect(back.predict(Q)).toEqual(clf.predict(Q));
    expect(back.weights).toBe("distance");
    const reg = new KNeighborsRegressor({ nNeighbors: 4, algorithm: "ball_tree" }).fit(X, y.map((_, i) => i / 7));
    expect(Array.from(KNeighborsRegressor.fromState(reg.toState()).predict(Q))).toEqual(Array.from(reg.predict(Q)));
    const nn = new NearestNeighbors({ nNeighbors: 2, workers: 2 }).fit(X);
    const nnBack = estimatorFromState(nn.toState()) as NearestNeighbors;
    expect(nnBack).toBeInstanceOf(NearestNeighbors);
    expect(nnBack.fittedIndex.workers).toBe(2);
    expect(Array.from(nnBack.kneighbors(Q).indices)).toEqual(Array.from(nn.kneighbors(Q).indices));
  });

  it("a weights function is given again at restore", () => {
    const weights = (d: Float64Array) => Array.from(d, (v) => 1 / (1 + v));
    const reg = new KNeighborsRegressor({ nNeighbors: 4, weights }).fit(X, y.map((_, i) => i));
    const back = KNeighborsRegressor.fromState(reg.toState(), { weights });
    expect(Array.from(back.predict(Q))).toEqual(Array.from(reg.predict(Q)));
  });

  it("refuses targets that do not fit the index and options the constructor refuses", () => {
    const clf = new KNeighborsClassifier({ nNeighbors: 3 }).fit(X, y).toState();
    const bad = (state: unknown, message: RegExp) => {
      expect(() => estimatorFromState(state as EstimatorState)).toThrow(KnnInputError);
      expect(() => estimatorFromState(state as EstimatorState)).toThrow(message);
    };
    const codes = clf.codes.slice();
    codes[4] = 3;
    bad({ ...clf, codes }, /codes holds 3 at position 4, outside the 3 classes/);
    bad({ ...clf, codes: clf.codes.subarray(1) }, /codes has 299 entries, but the index has 300 rows/);
    bad({ ...clf, classes: ["lo", "hi", "mid"] }, /classes must be sorted and distinct/);
    bad({ ...clf, classes: [] }, /classes must be a non-empty array/);
    bad({ ...clf, estimator: "KNeighborsTransformer" }, /unknown estimator "KNeighborsTransformer"/);
    bad({ ...clf, version: 0 }, /version 0 is not supported/);
    bad({ ...clf, fitAlgorithm: "ball_tree" }, /fitAlgorithm "ball_tree" does not match the index kind "kd_tree"/);
    bad({ ...clf, options: { ...clf.options, nNeighbors: -1 } }, /nNeighbors must be an integer >= 1/);
    bad({ ...clf, options: { ...clf.options, weightsName: "gaussian" } }, /weightsName must be "uniform" or "distance"/);
    bad({ ...clf, index: { ...clf.index, kind: "lsh" } }, /unknown index kind/);
    const reg = new KNeighborsRegressor().fit(X, y.map((_, i) => i)).toState();
    bad({ ...reg, values: reg.values.subarray(0, 10) }, /values has 10 entries, but the index has 300 rows/);
    const values = reg.values.slice();
    values[3] = Infinity;
    bad({ ...reg, values }, /values holds Infinity at position 3/);
  });
});
