import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Float64, Int32, RecordBatch, Schema, Table, tableToIPC, vectorFromArray } from "apache-arrow";
import { describe, expect, it } from "vitest";
import {
  BallTree,
  BruteForce,
  KDTree,
  KNeighborsClassifier,
  KNeighborsRegressor,
  KnnInputError,
  NearestNeighbors,
  PrefilterIndex,
  matrixView,
  setWasmKernelEnabled,
} from "@knnkit/core";
import { deserialize, load, matrixFromIPC, matrixToIPC, save, serialize, sharesBuffer, tableToMatrix } from "../src/index.js";

function random(rows: number, cols: number, seed: number, float32 = false) {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const data = float32 ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = next();
  return matrixView(data, rows, cols);
}

describe("Arrow matrices", () => {
  it("a FixedSizeList column read from IPC bytes is a view of those bytes (float32 stays float32)", () => {
    for (const float32 of [true, false]) {
      const m = random(50, 4, 3, float32);
      const bytes = matrixToIPC(m);
      const back = matrixFromIPC(bytes);
      expect(back.data).toBeInstanceOf(float32 ? Float32Array : Float64Array);
      expect(sharesBuffer(back, bytes)).toBe(true);
      expect(back.rows).toBe(50);
      expect(back.cols).toBe(4);
      expect(Array.from(back.data)).toEqual(Array.from(m.data));
    }
  });

  it("bytes at an odd offset are still read correctly (arrow-js copies them)", () => {
    const m = random(10, 3, 4);
    const bytes = matrixToIPC(m);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const back = matrixFromIPC(shifted.subarray(1));
    expect(Array.from(back.data)).toEqual(Array.from(m.data));
  });

  it("a table of numeric columns is copied into row-major order", () => {
    const table = new Table({ a: vectorFromArray([1, 2, 3], new Float64()), b: vectorFromArray([4, 5, 6], new Int32()) });
    const m = tableToMatrix(table);
    expect(Array.from(m.data)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(() => matrixFromIPC(tableToIPC(new Table({ s: vectorFromArray(["x"]) })))).toThrow(/not numeric/);
  });
});

describe("persistence", () => {
  const dir = mkdtempSync(join(tmpdir(), "knnkit-"));
  const X = random(400, 3, 1);
  const Q = random(25, 3, 2);

  it("a saved index answers queries after load, for every index type", () => {
    for (const index of [
      KDTree.build(X, { leafSize: 7 }),
      BallTree.build(X, { metric: "manhattan" }),
      BruteForce.build(X, { metric: "cosine" }),
      PrefilterIndex.build(X, { candidates: 0.3 }),
    ]) {
      const path = join(dir, `${index.algorithm}.arrow`);
      save(index, path);
      const back = load(path) as typeof index;
      expect(back.algorithm).toBe(index.algorithm);
      const a = index.query(Q, 5);
      const b = back.query(Q, 5);
      expect(Array.from(b.indices)).toEqual(Array.from(a.indices));
      expect(Array.from(b.distances)).toEqual(Array.from(a.distances));
    }
  });

  it("a loaded tree's arrays are views of one copy of the file bytes, in the kernels' memory (no rebuild); without WebAssembly, of the bytes themselves", () => {
    const bytes = serialize(KDTree.build(random(300, 2, 9, true)));
    const back = deserialize(bytes) as KDTree;
    expect(back.arrays.data).toBeInstanceOf(Float32Array);
    expect(back.arrays.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(back.arrays.nodeBounds.buffer).toBe(back.arrays.data.buffer);
    setWasmKernelEnabled(false);
    try {
      const plain = deserialize(bytes) as KDTree;
      expect(plain.arrays.data.buffer).toBe(bytes.buffer);
      expect(plain.arrays.nodeBounds.buffer).toBe(bytes.buffer);
    } finally {
      setWasmKernelEnabled(true);
    }
  });

  it("fitted estimators round-trip", () => {
    const labels = Array.from({ length: 400 }, (_, i) => (X.data[i * 3] > 0.5 ? "hi" : "lo"));
    const clf = new KNeighborsClassifier({ nNeighbors: 4, weights: "distance", algorithm: "ball_tree" }).fit(X, labels);
    const clf2 = deserialize(serialize(clf)) as KNeighborsClassifier;
    expect(clf2.predict(Q)).toEqual(clf.predict(Q));
    expect(clf2.weights).toBe("distance");
    expect(Array.from(clf2.kneighbors(undefined, 3).indices)).toEqual(Array.from(clf.kneighbors(undefined, 3).indices));
    const reg = new KNeighborsRegressor({ nNeighbors: 3 }).fit(X, Array.from({ length: 400 }, (_, i) => i));
    expect(Array.from((deserialize(serialize(reg)) as KNeighborsRegressor).predict(Q))).toEqual(Array.from(reg.predict(Q)));
    const nn = new NearestNeighbors({ nNeighbors: 2, algorithm: "prefilter", candidates: 0.5 }).fit(X);
    expect(Array.from((deserialize(serialize(nn)) as NearestNeighbors).kneighbors(Q).indices)).toEqual(Array.from(nn.kneighbors(Q).indices));
  });

  it("foreign, truncated, old and newer files give clear errors", () => {
    const path = join(dir, "tree.knnkit");
    save(KDTree.build(X), path);
    const bytes = readFileSync(path);
    const err = (b: Uint8Array, msg: RegExp) => {
      expect(() => deserialize(b)).toThrow(KnnInputError);
      expect(() => deserialize(b)).toThrow(msg);
    };
    err(bytes.subarray(0, Math.floor(bytes.length / 2)), /truncated/);
    err(new TextEncoder().encode("hello, not a knnkit file at all, but long enough"), /not a knnkit file/);
    err(matrixToIPC(X), /not a knnkit file/);
    const newer = bytes.slice();
    new DataView(newer.buffer).setUint32(8, 3, true);
    err(newer, /format version 3 is not supported \(this build reads version 2\)/);
    // a version 1 file: Arrow IPC with the knnkit marker in its schema metadata
    const table = new Table({ name: vectorFromArray(["index.data"]) });
    const meta = new Map([["format", "knnkit"], ["version", "1"], ["header", "{}"]]);
    const schema = new Schema(table.schema.fields, meta);
    const v1 = tableToIPC(new Table(schema, table.batches.map((b) => new RecordBatch(schema, b.data))), "file");
    err(v1, /format version 1 \(Arrow IPC\) is no longer read.*save it again/);
    writeFileSync(join(dir, "v1.arrow"), v1);
    expect(() => load(join(dir, "v1.arrow"))).toThrow(/format version 1/);
    expect(() => load(join(dir, "missing.arrow"))).toThrow(/ENOENT/);
  });
});
