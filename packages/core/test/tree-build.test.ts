import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { BallTree, KDTree, matrixView, type Matrix } from "../src/index.js";
import { setWasmKernelEnabled } from "../src/kernels/memory.js";
import { dataArb, makeData, mulberry32, naiveKnn } from "./helpers.js";

type Tree = KDTree | BallTree;
const ARRAYS = ["data", "idxArray", "nodeStart", "nodeEnd", "isLeaf", "splitDim", "nodeBounds", "nodeRadius"] as const;

/** The tree built in WebAssembly and by its TypeScript twin. */
function bothBuilds(X: Matrix, leafSize: number, Tree: typeof KDTree | typeof BallTree): [Tree, Tree] {
  setWasmKernelEnabled(true);
  const wasm = Tree.build(X, { leafSize });
  setWasmKernelEnabled(false);
  const plain = Tree.build(X, { leafSize });
  setWasmKernelEnabled(true);
  return [wasm, plain];
}

function expectSameArrays(a: Tree, b: Tree): void {
  for (const name of ARRAYS) {
    const x = a.arrays[name] as ArrayLike<number>;
    const y = b.arrays[name] as ArrayLike<number>;
    expect(x.length, name).toBe(y.length);
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) expect([name, i, x[i]]).toEqual([name, i, y[i]]);
  }
}

/** What every build must give: rows permuted, median splits, exact boxes, leaves within leafSize. */
function expectValidKDTree(tree: KDTree, X: Matrix, leafSize: number): void {
  const { data, idxArray, nodeStart, nodeEnd, isLeaf, splitDim, nodeBounds } = tree.arrays;
  const d = X.cols;
  const seen = new Uint8Array(X.rows);
  for (let i = 0; i < X.rows; i++) {
    seen[idxArray[i]] = 1;
    for (let j = 0; j < d; j++) expect(data[i * d + j]).toBe(X.data[idxArray[i] * d + j]);
  }
  expect(seen.every((s) => s === 1)).toBe(true);
  for (let node = 0; node < nodeStart.length; node++) {
    const start = nodeStart[node];
    const end = nodeEnd[node];
    expect(end).toBeGreaterThan(start);
    for (let j = 0; j < d; j++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = start; i < end; i++) {
        lo = Math.min(lo, data[i * d + j]);
        hi = Math.max(hi, data[i * d + j]);
      }
      expect([nodeBounds[node * 2 * d + j], nodeBounds[node * 2 * d + d + j]]).toEqual([lo, hi]);
    }
    if (isLeaf[node] === 1) {
      expect(splitDim[node]).toBe(-1);
      // (a tree of fewer rows than 2 x leaves of leafSize 1 has leaves of 2 rows: treeNodeCount leaves none empty)
      expect(end - start).toBeLessThanOrEqual(Math.max(leafSize, 2));
      continue;
    }
    const s = splitDim[node];
    const left = 2 * node + 1;
    expect(nodeStart[left]).toBe(start);
    expect(nodeEnd[left]).toBe(start + ((end - start) >> 1));
    // nothing on the left above anything on the right in the split dimension
    expect(nodeBounds[left * 2 * d + d + s]).toBeLessThanOrEqual(nodeBounds[(left + 1) * 2 * d + s]);
  }
}

function expectExactKnn(tree: Tree, X: Matrix, k: number): void {
  const Q = matrixView(X.data.slice(0, Math.min(X.rows, 20) * X.cols), Math.min(X.rows, 20), X.cols);
  const euclid = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    let s = 0;
    for (let j = 0; j < a.length; j++) s += (a[j] - b[j]) ** 2;
    return Math.sqrt(s);
  };
  const expected = naiveKnn(X, Q, Math.min(k, X.rows), euclid);
  const got = tree.query(Q, Math.min(k, X.rows));
  for (let i = 0; i < Q.rows; i++) expect(Array.from(got.indices.subarray(i * got.k, (i + 1) * got.k))).toEqual(expected.indices[i]);
}

/** Degenerate data on purpose. */
function degenerate(kind: string, rows: number, cols: number, seed: number): Matrix {
  const rand = mulberry32(seed);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (kind === "all equal") data[i * cols + j] = 2.5;
      else if (kind === "one column constant") data[i * cols + j] = j === 0 ? -1 : rand();
      else if (kind === "two values") data[i * cols + j] = rand() < 0.5 ? 0 : 1;
      else data[i * cols + j] = i % 7; // rows repeated
    }
  }
  return matrixView(data, rows, cols);
}

describe("tree build", () => {
  afterEach(() => setWasmKernelEnabled(true));

  it("WebAssembly and its twin build the same valid tree (property)", () => {
    fc.assert(
      fc.property(dataArb, fc.constantFrom(1, 3, 16, 40), (spec, leafSize) => {
        const X = makeData(spec.kind, spec.rows, spec.cols, spec.seed, spec.float32);
        const [wasm, plain] = bothBuilds(X, leafSize, KDTree);
        expectSameArrays(wasm, plain);
        expectValidKDTree(wasm, X, leafSize);
        const [ballWasm, ballPlain] = bothBuilds(X, leafSize, BallTree);
        expectSameArrays(ballWasm, ballPlain);
      }),
      { numRuns: 40 },
    );
  });

  for (const kind of ["all equal", "one column constant", "two values", "rows repeated"]) {
    for (const [rows, leafSize] of [[1, 40], [7, 40], [40, 40], [41, 40], [3000, 16]]) {
      it(`${kind}, ${rows} rows, leafSize ${leafSize}: valid, the same both ways, exact queries`, () => {
        const X = degenerate(kind, rows, 3, rows);
        const [wasm, plain] = bothBuilds(X, leafSize, KDTree);
        expectSameArrays(wasm, plain);
        expectValidKDTree(wasm, X, leafSize);
        expectExactKnn(wasm, X, 5);
        expectExactKnn(plain, X, 5);
      });
    }
  }

  it("a median the sample misses (the rows sampled all lowest) is still found", () => {
    // on 2,048 rows of one column the sample takes rows trunc(k * (2048 / 181)): make exactly those 0, the rest 1..
    const rows = 2048;
    const m = Math.trunc(4 * Math.sqrt(rows));
    const data = new Float64Array(rows);
    for (let i = 0; i < rows; i++) data[i] = 1 + (i % 5);
    for (let k = 0; k < m; k++) data[Math.trunc(k * (rows / m))] = 0;
    const X = matrixView(data, rows, 1);
    const [wasm, plain] = bothBuilds(X, 40, KDTree);
    expectSameArrays(wasm, plain);
    expectValidKDTree(wasm, X, 40);
    expectExactKnn(wasm, X, 3);
  });
});
