import { describe, expect, it } from "vitest";
import {
  BallTree,
  BruteForce,
  KDTree,
  KNeighborsClassifier,
  KNeighborsRegressor,
  KnnInputError,
  NearestNeighbors,
  NotFittedError,
  matrixFromRows,
  matrixView,
} from "../src/index.js";

const X = [
  [0, 0],
  [1, 1],
  [2, 2],
];

function expectInputError(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(KnnInputError);
  expect((caught as Error).message).toMatch(message);
}

describe("bad input gets a clear KnnInputError", () => {
  const builders = [BruteForce.build, KDTree.build, BallTree.build];

  it("NaN and Infinity, naming row and column", () => {
    for (const build of builders) {
      expectInputError(() => build([[0, 0], [1, NaN]]), /X contains NaN at row 1, column 1/);
      expectInputError(() => build([[Infinity, 0]]), /X contains Infinity at row 0, column 0/);
      expectInputError(() => build(X).query([[0, -Infinity]], 1), /Q contains Infinity at row 0, column 1/);
    }
  });

  it("ragged rows, zero rows, zero columns", () => {
    expectInputError(() => KDTree.build([[0, 0], [1]]), /ragged rows: row 1 has 1 values, row 0 has 2/);
    expectInputError(() => KDTree.build([]), /zero rows/);
    expectInputError(() => KDTree.build([[]]), /zero columns/);
    expectInputError(() => matrixView(new Float64Array(0), 0, 2), /zero rows/);
    expectInputError(() => matrixView(new Float64Array(5), 2, 2), /data length 5 does not equal rows\*cols = 2\*2/);
  });

  it("k out of range, negative radius", () => {
    for (const build of builders) {
      const index = build(X);
      expectInputError(() => index.query(X, 0), /k must be an integer >= 1, got 0/);
      expectInputError(() => index.query(X, 1.5), /k must be an integer >= 1/);
      expectInputError(() => index.query(X, 4), /k=4 is larger than the number of training rows \(3\)/);
      expectInputError(() => index.queryRadius(X, -1), /radius r must be a number >= 0 \(or Infinity\), got -1$/);
      expectInputError(() => index.queryRadius(X, NaN), /radius r must be a number >= 0 \(or Infinity\), got NaN$/);
      expectInputError(() => index.queryRadius(X, -Infinity), /got -Infinity$/);
      expectInputError(() => index.queryRadius(X, "1" as never), /radius r must be a number >= 0 \(or Infinity\), got a string \("1"\)$/);
    }
    expectInputError(() => new NearestNeighbors({ radius: NaN }), /radius must be a number >= 0 \(or Infinity\), got NaN$/);
    expectInputError(() => new NearestNeighbors({ radius: -0.5 }), /radius must be a number >= 0 \(or Infinity\), got -0.5$/);
  });

  it("k that is not a positive integer number, naming the value", () => {
    const index = BruteForce.build(X);
    expectInputError(() => index.query(X, 3.5), /^k must be an integer >= 1, got 3.5$/);
    expectInputError(() => index.query(X, "3" as never), /^k must be an integer >= 1, got a string \("3"\)$/);
    expectInputError(() => index.query(X, 2n as never), /^k must be an integer >= 1, got a bigint \(2n\)$/);
    expectInputError(() => index.query(X, null as never), /^k must be an integer >= 1, got null$/);
    expectInputError(() => new NearestNeighbors().fit(X).kneighbors(X, "2" as never), /nNeighbors must be an integer >= 1, got a string \("2"\)/);
  });

  it("rows of anything but numbers are refused, not coerced, naming row and column", () => {
    for (const build of builders) {
      expectInputError(() => build([[0, 0], [1, null as never]]), /^X: row 1, column 1 is null, not a number$/);
      expectInputError(() => build([[[1]], [[2]]] as never), /^X: row 0, column 0 is an array, not a number$/);
      expectInputError(() => build([[0, "a" as never]]), /^X: row 0, column 1 is a string \("a"\), not a number$/);
      expectInputError(() => build([[0, 1], [2n as never, 3]]), /^X: row 1, column 0 is a bigint \(2n\), not a number$/);
      expectInputError(() => build([[0, undefined as never]]), /^X: row 0, column 1 is undefined, not a number$/);
      expectInputError(() => build([[true as never, 1]]), /^X: row 0, column 0 is a boolean \(true\), not a number$/);
      expectInputError(() => build(X).query([[0, "1" as never]], 1), /^Q: row 0, column 1 is a string \("1"\), not a number$/);
    }
    expectInputError(() => KDTree.build([1, 2] as never), /^X: row 0 is 1, not an array of numbers$/);
    expectInputError(() => KDTree.build("abc" as never), /^X: expected an array of rows or a matrix \{ data, rows, cols \}, got a string \("abc"\)$/);
  });

  it("matrix sizes that are not positive integers name the bad value", () => {
    const data = new Float64Array(6);
    for (const [rows, shown] of [[-2, "-2"], [1.5, "1.5"], ["3", 'a string \\("3"\\)'], [3n, "a bigint \\(3n\\)"], [NaN, "NaN"], [null, "null"]] as const) {
      expectInputError(() => matrixView(data, rows as never, 2), new RegExp(`^rows must be a positive integer, got ${shown}$`));
      expectInputError(() => matrixView(data, 2, rows as never), new RegExp(`^cols must be a positive integer, got ${shown}$`));
      expectInputError(() => BruteForce.build({ data, rows: rows as never, cols: 2 }), new RegExp(`^X: rows must be a positive integer, got ${shown}$`));
    }
    expectInputError(() => matrixView(data, 0, 2), /^the matrix has zero rows$/);
    expectInputError(() => matrixView(new Int32Array(6) as never, 3, 2), /^matrix data must be a Float64Array or Float32Array, got an Int32Array$/);
    expectInputError(() => matrixView(new Uint8Array(6) as never, 3, 2), /got a Uint8Array$/);
    expectInputError(() => BruteForce.build({ data: [1, 2] as never, rows: 1, cols: 2 }), /^X: matrix data must be a Float64Array or Float32Array, got an array$/);
    expectInputError(() => matrixFromRows([[1]], "float16" as never), /^dtype must be "float64" or "float32", got a string \("float16"\)$/);
    expectInputError(() => matrixView(data, 6, 0), /^the matrix has zero columns$/);
  });

  it("p < 1, unknown metric, unknown algorithm, bad leaf size, bad workers", () => {
    expectInputError(() => KDTree.build(X, { metric: "minkowski", p: 0.5 }), /p must be a number >= 1 \(got 0.5\)/);
    expectInputError(() => BruteForce.build(X, { metric: "hamming" }), /unknown metric "hamming"/);
    expectInputError(() => KDTree.build(X, { metric: "cosine" }), /"cosine" is not supported by kd_tree/);
    expectInputError(() => new NearestNeighbors({ algorithm: "lsh" as never }), /unknown algorithm "lsh"/);
    expectInputError(() => KDTree.build(X, { leafSize: 0 }), /leafSize must be an integer >= 1/);
    expectInputError(() => KDTree.build(X, { workers: 0 }), /workers must be an integer >= 1/);
    expectInputError(() => new KNeighborsClassifier({ nNeighbors: 0 }), /nNeighbors must be an integer >= 1/);
    expectInputError(() => new KNeighborsClassifier({ weights: "inverse" as never }), /weights must be "uniform", "distance" or a function/);
  });

  it("predict with a different number of features", () => {
    const clf = new KNeighborsClassifier({ nNeighbors: 1 }).fit(X, [0, 1, 1]);
    expectInputError(() => clf.predict([[1, 2, 3]]), /Q has 3 features, but the index was fitted with 2 features/);
    const reg = new KNeighborsRegressor({ nNeighbors: 1 }).fit(X, [0, 1, 1]);
    expectInputError(() => reg.predict([[1]]), /Q has 1 features, but the index was fitted with 2 features/);
  });

  it("labels of a different length or type", () => {
    expectInputError(() => new KNeighborsClassifier().fit(X, [0, 1]), /y has 2 values but X has 3 rows/);
    expectInputError(() => new KNeighborsRegressor().fit(X, [0, 1, 2, 3]), /y has 4 values but X has 3 rows/);
    expectInputError(() => new KNeighborsClassifier().fit(X, [0, "a", 1] as never), /labels must be all numbers or all strings/);
    expectInputError(() => new KNeighborsRegressor().fit(X, [0, NaN, 1]), /y contains a non-finite value at position 1/);
  });

  it("kneighbors on the training data needs k < rows", () => {
    const nn = new NearestNeighbors().fit(X);
    expectInputError(() => nn.kneighbors(undefined, 3), /nNeighbors=3 must be smaller than the number of training rows \(3\)/);
  });

  it("NotFittedError before fit", () => {
    expect(() => new KNeighborsClassifier().predict(X)).toThrow(NotFittedError);
    expect(() => new NearestNeighbors().kneighbors(X)).toThrow(/not fitted yet: call fit\(\)/);
  });
});

describe("nothing is half-built after an error", () => {
  it("a failed refit leaves the previous fit answering as before", () => {
    const clf = new KNeighborsClassifier({ nNeighbors: 1 }).fit(X, ["a", "b", "c"]);
    const before = clf.predict([[1.9, 1.9]]);
    expect(() => clf.fit([[0, NaN]], ["z"])).toThrow(KnnInputError);
    expect(() => clf.fit([[5, 5]], ["z", "y"])).toThrow(KnnInputError);
    expect(clf.predict([[1.9, 1.9]])).toEqual(before);
    expect(clf.classes).toEqual(["a", "b", "c"]);
    expect(clf.nSamplesFit).toBe(3);
    const reg = new KNeighborsRegressor({ nNeighbors: 1 }).fit(X, [1, 2, 3]);
    expect(() => reg.fit(X, [1, 2, Infinity])).toThrow(KnnInputError);
    expect(Array.from(reg.predict([[2, 2]]))).toEqual([3]);
  });

  it("an index still answers after a rejected query", () => {
    const tree = KDTree.build(X);
    expect(() => tree.query([[NaN, 0]], 1)).toThrow(KnnInputError);
    expect(Array.from(tree.query([[2, 2]], 1).indices)).toEqual([2]);
  });
});
