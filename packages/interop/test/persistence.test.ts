import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  BallTree,
  BruteForce,
  KDTree,
  KNeighborsClassifier,
  KNeighborsRegressor,
  KNNImputer,
  KNeighborsMultiOutputClassifier,
  KNeighborsMultiOutputRegressor,
  KNeighborsTransformer,
  KnnIndex,
  KnnInputError,
  LocalOutlierFactor,
  NearestCentroid,
  NearestNeighbors,
  PrefilterIndex,
  RadiusNeighborsClassifier,
  RadiusNeighborsRegressor,
  RadiusNeighborsTransformer,
  isModel,
  matrixView,
  mulberry32,
  setWasmKernelEnabled,
  workerPoolSize,
  cpuCount,
  BACKGROUND_HASH_BYTES,
  xxh32,
  type Matrix,
  type Model,
} from "@knnkit/core";
import { FORMAT_VERSION, deserialize, load, save, serialize, type Saved } from "../src/index.js";
import { READ_CHUNK } from "../src/persistence.js";

function random(rows: number, cols: number, seed: number, float32 = false): Matrix {
  const rand = mulberry32(seed);
  const data = float32 ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(rand() * 40) / 8; // ties on purpose
  return matrixView(data, rows, cols);
}

const X = random(200, 3, 1);
const Q = random(15, 3, 2);
const labels = Array.from({ length: 200 }, (_, i) => (X.data[i * 3] > 2.5 ? 1 : X.data[i * 3 + 1] > 2 ? 2 : 0));

function objects(m: Matrix): Record<string, () => Saved> {
  const y = Array.from({ length: m.rows }, (_, i) => (m.data[i * m.cols] > 2.5 ? 1 : i % 4 === 0 ? 2 : 0));
  return {
    brute: () => BruteForce.build(m, { metric: "cosine" }),
    kd_tree: () => KDTree.build(m, { leafSize: 4 }),
    ball_tree: () => BallTree.build(m, { metric: "chebyshev", leafSize: 6 }),
    prefilter: () => PrefilterIndex.build(m, { y, candidates: 0.5, halvingStages: Math.min(1, m.cols - 1), nFilterFeatures: Math.min(2, m.cols) }),
    classifier: () => new KNeighborsClassifier({ nNeighbors: 3, weights: "distance" }).fit(m, y),
    regressor: () => new KNeighborsRegressor({ nNeighbors: 2, algorithm: "ball_tree" }).fit(m, y.map((v, i) => v * 10 + i)),
    nearest: () => new NearestNeighbors({ nNeighbors: 2, algorithm: "prefilter", candidates: 0.6 }).fit(m),
  };
}

/** m with about a tenth of its entries missing (NaN), at seeded places. */
function withMissing(m: Matrix, seed: number): Matrix {
  const rand = mulberry32(seed);
  return matrixView(Float64Array.from(m.data, (v) => (rand() < 0.1 ? NaN : v)), m.rows, m.cols);
}

/** The rest of sklearn.neighbors and KNNImputer, fitted on m (at least 20 rows, so that every kind fits). */
function models(m: Matrix): Record<string, () => Model> {
  const y = Array.from({ length: m.rows }, (_, i) => (m.data[i * m.cols] > 2.5 ? 1 : i % 4 === 0 ? 2 : 0));
  const names = y.map((v) => ["a", "b", "c"][v]);
  const values = y.map((v, i) => v * 10 + i);
  return {
    radius_classifier: () => new RadiusNeighborsClassifier({ radius: 1.5, weights: "distance", outlierLabel: "most_frequent" }).fit(m, [y, names]),
    radius_regressor: () => new RadiusNeighborsRegressor({ radius: 1.5, algorithm: "ball_tree" }).fit(m, [values, y]),
    multi_classifier: () => new KNeighborsMultiOutputClassifier({ nNeighbors: 3, algorithm: "kd_tree" }).fit(m, [y, names]),
    multi_regressor: () => new KNeighborsMultiOutputRegressor({ nNeighbors: 2, weights: "distance", algorithm: "brute" }).fit(m, [values, y]),
    kneighbors_transformer: () => new KNeighborsTransformer({ nNeighbors: 3, mode: "distance" }).fit(m),
    radius_transformer: () => new RadiusNeighborsTransformer({ radius: 1.2, mode: "connectivity", metric: "manhattan" }).fit(m),
    outlier_factor: () => new LocalOutlierFactor({ nNeighbors: 5, contamination: 0.1 }).fit(m),
    nearest_centroid: () => new NearestCentroid({ priors: "empirical", shrinkThreshold: 0.2 }).fit(m, names),
    imputer: () => new KNNImputer({ nNeighbors: 3, weights: "distance", addIndicator: true }).fit(withMissing(m, m.rows)),
  };
}

/** Everything an object answers for Q, as plain numbers (equal answers <=> equal arrays). */
function answers(obj: Saved, q: Matrix): number[] {
  if (isModel(obj)) return modelAnswers(obj, q);
  if (obj instanceof KnnIndex) {
    const r = obj.query(q, Math.min(3, obj.rows), { workers: 1 });
    return [...r.indices, ...r.distances];
  }
  const r = obj.kneighbors(q, Math.min(2, obj.nSamplesFit));
  const out = [...r.indices, ...r.distances];
  if (obj instanceof KNeighborsClassifier) out.push(...(obj.predict(q) as number[]), ...obj.predictProba(q).data);
  if (obj instanceof KNeighborsRegressor) out.push(...obj.predict(q));
  return out;
}

function modelAnswers(obj: Model, q: Matrix): number[] {
  const codes = (c: Int32Array[]): number[] => c.flatMap((a) => [...a]);
  if (obj instanceof RadiusNeighborsClassifier || obj instanceof KNeighborsMultiOutputClassifier) {
    return [...codes(obj.predictCodes(q)), ...obj.predictProbaOutputs(q).flatMap((p) => [...p.data])];
  }
  if (obj instanceof RadiusNeighborsRegressor || obj instanceof KNeighborsMultiOutputRegressor) return [...obj.predict(q).data];
  if (obj instanceof KNeighborsTransformer || obj instanceof RadiusNeighborsTransformer) {
    const g = obj.transform(q);
    return [...g.indptr, ...g.indices, ...g.data, ...obj.neighbors.kneighbors(undefined, 2).indices];
  }
  if (obj instanceof LocalOutlierFactor) return [obj.offset, obj.nNeighborsUsed, ...obj.negativeOutlierFactor, ...obj.scoreSamples(q), ...obj.predict(q)];
  if (obj instanceof NearestCentroid) return [...obj.predictCodes(q), ...obj.scores(q).data, ...obj.predictProba(q).data, ...obj.classes.map((c) => String(c).charCodeAt(0))];
  const t = obj.transform(withMissing(q, 99));
  return [t.rows, t.cols, ...t.data, ...obj.missingFeatures];
}

/** Every typed array of a state, by its path (the arrays a save must leave untouched). */
function walkArrays(v: unknown, path: string, out: Record<string, ArrayBufferView>): Record<string, ArrayBufferView> {
  if (ArrayBuffer.isView(v)) out[path] = v;
  else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) walkArrays(x, `${path}.${k}`, out);
  return out;
}

function stateArrays(obj: Saved): Record<string, ArrayBufferView> {
  if (isModel(obj)) {
    const all = walkArrays(obj.toState(), "", {});
    if (obj instanceof KNNImputer) delete all[".data"]; // a copy made by toState (the fit keeps filled values and presence)
    return all;
  }
  if (obj instanceof KnnIndex) return { ...obj.state().arrays };
  const { index, ...rest } = obj.toState();
  const out: Record<string, ArrayBufferView> = { ...index.arrays };
  if ("codes" in rest) out.codes = rest.codes;
  if ("values" in rest) out.values = rest.values;
  return out;
}

/** The file's parts, by the documented layout (see persistence.ts). */
function decode(bytes: Uint8Array): { header: Record<string, unknown>; payload: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = view.getUint32(12, true);
  const start = 32 + Math.ceil(h / 8) * 8;
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(32, 32 + h))), payload: bytes.slice(start) };
}

/** A file with a correct checksum around any header and payload (a crafted file). */
function encode(header: unknown, payload: Uint8Array, headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(32 + padded + payload.length);
  out.set([0x89, 0x4b, 0x4e, 0x4e, 0x4b, 0x49, 0x54, 0x0a]);
  out.fill(0x20, 32, 32 + padded);
  out.set(json, 32);
  out.set(payload, 32 + padded);
  const view = new DataView(out.buffer);
  view.setUint32(8, FORMAT_VERSION, true);
  view.setUint32(12, json.length, true);
  view.setUint32(16, payload.length, true);
  view.setUint32(24, xxh32(out.subarray(32)), true);
  return out;
}

function refused(bytes: Uint8Array, message: RegExp): void {
  let error: unknown = null;
  try {
    deserialize(bytes);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(KnnInputError);
  expect((error as Error).message).toMatch(message);
}

/** Edits a decoded header's index params (estimators keep them under state.index). */
function params(header: Record<string, unknown>): Record<string, unknown> {
  const state = header.state as Record<string, unknown>;
  return ((state.index ?? state) as { params: Record<string, unknown> }).params;
}

function arrayEntry(header: Record<string, unknown>, name: string): { name: string; dtype: string; length: number } {
  return (header.arrays as { name: string; dtype: string; length: number }[]).find((a) => a.name === name)!;
}

describe("saving", () => {
  it("changes nothing: every array keeps its buffer and its bytes, and the object answers the same", () => {
    const dir = mkdtempSync(join(tmpdir(), "knnkit-save-"));
    const all: [string, Saved][] = Object.entries({ ...objects(X), ...models(X) }).map(([name, make]) => [name, make()]);
    // a loaded index too: its arrays are views of file bytes, not shared memory
    all.push(["loaded kd_tree", deserialize(serialize(KDTree.build(X))) as KnnIndex]);
    for (const [name, obj] of all) {
      const before = answers(obj, Q);
      const arrays = Object.entries(stateArrays(obj)).map(([k, a]) => [k, a, a.buffer, new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice()] as const);
      serialize(obj);
      save(obj, join(dir, `${name}.knnkit`));
      const after = stateArrays(obj);
      for (const [k, a, buffer, bytes] of arrays) {
        expect(after[k], `${name}: ${k}`).toBe(a);
        expect(after[k].buffer, `${name}: ${k}`).toBe(buffer);
        expect(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), `${name}: ${k}`).toEqual(bytes);
      }
      expect(answers(obj, Q), name).toEqual(before);
      expect(answers(load(join(dir, `${name}.knnkit`)), Q), name).toEqual(before);
    }
    // state() hands out the index's own arrays (brute force keeps one copy of the rows, where its kernels read them)
    const brute = BruteForce.build(X);
    expect(brute.state().arrays.data).toBe(brute.state().arrays.data);
  });

  it("save -> load answers exactly like the original, for every kind, estimator and dtype (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 120 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), fc.integer({ min: 0, max: 1e6 }), (rows, cols, float32, seed) => {
        const m = random(rows, cols, seed, float32);
        const q = random(4, cols, seed + 1, float32);
        for (const [name, make] of Object.entries(objects(m))) {
          const obj = make();
          const back = deserialize(serialize(obj));
          expect(back.constructor).toBe(obj.constructor);
          expect(answers(back, q), name).toEqual(answers(obj, q));
        }
      }),
      { numRuns: 15 },
    );
  });

  it("save -> load of the rest of sklearn.neighbors and KNNImputer answers equal byte for byte (property)", () => {
    const bytesOf = (a: number[]): Uint8Array => new Uint8Array(Float64Array.from(a).buffer);
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 120 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), fc.integer({ min: 0, max: 1e6 }), (rows, cols, float32, seed) => {
        const m = random(rows, cols, seed, float32);
        const q = random(6, cols, seed + 1, float32);
        for (const [name, make] of Object.entries(models(m))) {
          let obj: Model;
          try {
            obj = make();
          } catch (e) {
            // a draw where this kind cannot fit (one class for NearestCentroid, every value of a row missing...)
            if (e instanceof KnnInputError) continue;
            throw e;
          }
          const back = deserialize(serialize(obj));
          expect(back.constructor, name).toBe(obj.constructor);
          expect(bytesOf(answers(back, q)), name).toEqual(bytesOf(answers(obj, q)));
        }
      }),
      { numRuns: 10 },
    );
  });
});

describe("crafted files are refused with a clear message", () => {
  const tree = serialize(KDTree.build(X, { leafSize: 4 }));
  const clf = serialize(new KNeighborsClassifier({ nNeighbors: 3 }).fit(X, labels));
  const reg = serialize(new KNeighborsRegressor({ nNeighbors: 3 }).fit(X, labels));

  it("a small file claiming 2^31 rows is refused before anything is allocated", () => {
    const { header, payload } = decode(tree);
    params(header).rows = 2 ** 31 - 1;
    const before = process.memoryUsage().arrayBuffers;
    refused(encode(header, payload), /kd_tree state: array data has 600 values, expected 6442450941/);
    arrayEntry(header, "index.data").length = 2 ** 31;
    refused(encode(header, payload), /array index.data \(2147483648 float64 values\) runs past the end of the payload/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });

  it("leaf flags all zero", () => {
    const { header, payload } = decode(tree);
    let at = 0; // isLeaf is found by walking the array list
    for (const a of header.arrays as { name: string; dtype: string; length: number }[]) {
      const size = a.length * ({ float64: 8, float32: 4, int32: 4, uint8: 1 } as Record<string, number>)[a.dtype];
      if (a.name === "index.isLeaf") payload.fill(0, at, at + size);
      at += Math.ceil(size / 8) * 8;
    }
    expect(at).toBe(payload.length);
    refused(encode(header, payload), /isLeaf\[\d+\] is 0, but node \d+ is a leaf/);
  });

  it("class codes out of range, a short values array, missing arrays", () => {
    const c = decode(clf);
    const codesAt = c.payload.length - Math.ceil((200 * 4) / 8) * 8; // codes are the last array
    new DataView(c.payload.buffer).setInt32(codesAt + 4 * 7, 9, true);
    refused(encode(c.header, c.payload), /codes holds 9 at position 7, outside the 3 classes/);

    const r = decode(reg);
    arrayEntry(r.header, "values").length = 150;
    refused(encode(r.header, r.payload.subarray(0, r.payload.length - 400)), /values has 150 entries, but the index has 200 rows/);

    const t = decode(tree);
    const list = t.header.arrays as { name: string; dtype: string; length: number }[];
    const last = list.pop()!; // nodeRadius, empty for a KD-tree
    expect(last.name).toBe("index.nodeRadius");
    refused(encode(t.header, t.payload), /array nodeRadius is missing/);
    t.header.arrays = list.filter((a) => a.name !== "index.nodeBounds").concat([last]);
    refused(encode(t.header, t.payload), /the arrays fill \d+ bytes of a \d+-byte payload/);
    const n = decode(clf);
    (n.header.arrays as unknown[]).pop();
    refused(encode(n.header, n.payload.subarray(0, n.payload.length - 800)), /codes must be an Int32Array/);
  });

  it("a truncated file, a header that is not JSON, another version, a bad checksum, odd array lists", () => {
    refused(tree.subarray(0, tree.length - 8), /truncated: \d+ bytes, but its prefix describes \d+/);
    refused(tree.subarray(0, 20), /truncated or not a knnkit file: 20 bytes/);
    const extra = new Uint8Array(tree.length + 8);
    extra.set(tree);
    refused(extra, /8 bytes follow the end its prefix describes/);
    const { header, payload } = decode(tree);
    refused(encode(null, payload, "{ not json"), /the header is not valid JSON/);
    refused(encode(null, payload, "[1, 2]"), /the header is not a JSON object/);
    refused(encode({ ...header, object: "graph" }, payload), /unknown object "graph"/);
    const v3 = tree.slice();
    new DataView(v3.buffer).setUint32(8, 3, true);
    refused(v3, /format version 3 is not supported \(this build reads version 2\)/);
    const flipped = tree.slice();
    flipped[tree.length - 100] ^= 1;
    refused(flipped, /checksum mismatch \(stored [0-9a-f]{8}, computed [0-9a-f]{8}\): the file is damaged/);
    arrayEntry(header, "index.data").dtype = "float16";
    refused(encode(header, payload), /array index.data has unknown dtype float16/);
    arrayEntry(header, "index.data").dtype = "float32";
    arrayEntry(header, "index.data").length = 1200;
    refused(encode(header, payload), /array data has 1200 values, expected 600/);
    const again = decode(tree);
    (again.header.arrays as unknown[]).push({ name: "index.data", dtype: "uint8", length: 0 });
    refused(encode(again.header, again.payload), /array index.data is listed twice/);
    const v7 = decode(tree);
    (v7.header.state as Record<string, unknown>).version = 7;
    refused(encode(v7.header, v7.payload), /kd_tree state: version 7 is not supported/);
  });

  it("trusted loading skips the checksum, but never the bounds", () => {
    const flipped = tree.slice();
    flipped[tree.length - 100] ^= 1;
    expect(deserialize(flipped, { trusted: true })).toBeInstanceOf(KDTree);
    const { header, payload } = decode(tree);
    arrayEntry(header, "index.data").length = 2 ** 31;
    expect(() => deserialize(encode(header, payload), { trusted: true })).toThrow(/runs past the end of the payload/);
  });
});

describe("crafted files of the rest of sklearn.neighbors and KNNImputer are refused with a clear message", () => {
  const fitted = models(X);
  const file = (name: string) => decode(serialize(fitted[name]()));
  const state = (header: Record<string, unknown>) => header.state as Record<string, unknown>;
  const SIZES: Record<string, number> = { float64: 8, float32: 4, int32: 4, uint8: 1 };

  /** A DataView of a named array inside the payload. */
  function arrayView(header: Record<string, unknown>, payload: Uint8Array, name: string): DataView {
    let at = 0;
    for (const a of header.arrays as { name: string; dtype: string; length: number }[]) {
      const size = a.length * SIZES[a.dtype];
      if (a.name === name) return new DataView(payload.buffer, payload.byteOffset + at, size);
      at += Math.ceil(size / 8) * 8;
    }
    throw new Error(`no array ${name}`);
  }

  it("each kind's own fields: a negative density, an Infinity in the imputer's rows, unsorted classes, a bad mode, codes out of range", () => {
    const lof = file("outlier_factor");
    arrayView(lof.header, lof.payload, "lrd").setFloat64(8 * 3, -1, true);
    refused(encode(lof.header, lof.payload), /LocalOutlierFactor state: array lrd holds -1 at position 3; a density is > 0/);
    const lof2 = file("outlier_factor");
    state(lof2.header).nNeighborsUsed = 200;
    refused(encode(lof2.header, lof2.payload), /nNeighborsUsed must be an integer in \[1, 199\], got 200/);

    const imp = file("imputer");
    arrayView(imp.header, imp.payload, "data").setFloat64(8 * 5, Infinity, true);
    refused(encode(imp.header, imp.payload), /KNNImputer state: array data holds Infinity at position 5/);
    const imp2 = file("imputer");
    state(imp2.header).rows = 100;
    refused(encode(imp2.header, imp2.payload), /KNNImputer state: array data has 600 values, expected 300/);

    const nc = file("nearest_centroid");
    state(nc.header).classes = ["b", "a", "c"];
    refused(encode(nc.header, nc.payload), /classes must be sorted and distinct \(position 1\)/);

    const t = file("kneighbors_transformer");
    state(t.header).mode = "graph";
    refused(encode(t.header, t.payload), /mode must be "distance" or "connectivity", got graph/);

    const rnc = file("radius_classifier");
    arrayView(rnc.header, rnc.payload, "outputs.1.codes").setInt32(4 * 9, 3, true);
    refused(encode(rnc.header, rnc.payload), /codes holds 3 at position 9, outside the 3 classes/);
    const rnc2 = file("radius_classifier");
    (state(rnc2.header).outlierLabels as unknown[]).pop();
    refused(encode(rnc2.header, rnc2.payload), /outlierLabels must hold one entry per output \(2\)/);

    const reg = file("radius_regressor");
    arrayView(reg.header, reg.payload, "values.0").setFloat64(0, NaN, true);
    refused(encode(reg.header, reg.payload), /array values\[0\] holds NaN at position 0/);

    // the NearestNeighbors inside is checked as a whole (here: its tree)
    const multi = file("multi_classifier");
    arrayView(multi.header, multi.payload, "neighbors.index.arrays.idxArray").setInt32(0, 7, true);
    refused(encode(multi.header, multi.payload), /kd_tree state: array idxArray holds 7 twice/);
  });

  it("array references: missing, twice, never, nested too deep, an unknown estimator", () => {
    const { header, payload } = file("outlier_factor");
    state(header).lrd = { $array: "nothing" };
    refused(encode(header, payload), /the state refers to an array nothing that the array list does not have/);
    state(header).lrd = { $array: "kDistance" };
    refused(encode(header, payload), /the state refers to array kDistance twice/);
    delete state(header).lrd;
    refused(encode(header, payload), /unexpected array lrd/);
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    const again = file("outlier_factor");
    state(again.header).extra = deep;
    refused(encode(again.header, again.payload), /the state is nested too deeply/);
    const other = file("outlier_factor");
    state(other.header).estimator = "IsolationForest";
    refused(encode(other.header, other.payload), /unknown estimator "IsolationForest"/);
  });
});

describe("random damage", () => {
  const cases: Record<string, () => Saved> = { ...objects(X), ...models(X) };
  const queries = random(6, 3, 7);

  /** Loads damaged bytes: a KnnInputError, or an object; any other error fails the test. */
  function attempt(bytes: Uint8Array): Saved | null {
    try {
      return deserialize(bytes);
    } catch (e) {
      if (!(e instanceof KnnInputError)) throw e;
      return null;
    }
  }

  for (const [name, make] of Object.entries(cases)) {
    it(`${name}: 100 byte flips and 100 truncations are refused or answer exactly like the original`, () => {
      const obj = make();
      const bytes = serialize(obj);
      const expected = answers(obj, queries);
      const rand = mulberry32(name.length * 7919 + 13);
      let loaded = 0;
      for (let t = 0; t < 100; t++) {
        const damaged = bytes.slice();
        const at = Math.floor(rand() * bytes.length);
        damaged[at] = (damaged[at] + 1 + Math.floor(rand() * 255)) & 255;
        const back = attempt(damaged);
        if (back) {
          loaded++;
          expect(answers(back, queries)).toEqual(expected);
        }
      }
      for (let t = 0; t < 100; t++) expect(attempt(bytes.subarray(0, Math.floor(rand() * bytes.length)))).toBeNull();
      expect(loaded).toBe(0); // the checksum catches every single-byte change
    });

    it(`${name}: 100 byte flips behind a recomputed checksum are refused, or load and answer without any other error`, () => {
      const bytes = serialize(make());
      const rand = mulberry32(name.length * 104729 + 1);
      let refusedCount = 0;
      for (let t = 0; t < 100; t++) {
        const damaged = bytes.slice();
        const at = 32 + Math.floor(rand() * (bytes.length - 32));
        damaged[at] = (damaged[at] + 1 + Math.floor(rand() * 255)) & 255;
        new DataView(damaged.buffer).setUint32(24, xxh32(damaged.subarray(32)), true);
        const back = attempt(damaged);
        if (back === null) refusedCount++;
        else {
          const got = answers(back, queries);
          // a radius kind's answers grow or shrink with the rows (damaged values move rows in or out of the radius)
          if (!name.startsWith("radius_")) expect(got.length).toBe(answers(make(), queries).length);
        }
      }
      expect(refusedCount).toBeGreaterThan(0);
    });
  }
});

it("a saved file on disk is refused by load() with the same messages", () => {
  const dir = mkdtempSync(join(tmpdir(), "knnkit-load-"));
  const bytes = serialize(KDTree.build(X));
  writeFileSync(join(dir, "cut.knnkit"), bytes.subarray(0, 100));
  expect(() => load(join(dir, "cut.knnkit"))).toThrow(/truncated: 100 bytes, but its prefix describes/);
  writeFileSync(join(dir, "foreign.bin"), new Uint8Array(1000).fill(7));
  expect(() => load(join(dir, "foreign.bin"))).toThrow(/not a knnkit file/);
  writeFileSync(join(dir, "tiny.bin"), new Uint8Array(3));
  expect(() => load(join(dir, "tiny.bin"))).toThrow(KnnInputError);
});

it("a 1 TB sparse file is refused from its prefix, before anything of its size is allocated", () => {
  const dir = mkdtempSync(join(tmpdir(), "knnkit-huge-"));
  const foreign = join(dir, "zeros.bin");
  writeFileSync(foreign, new Uint8Array(0));
  truncateSync(foreign, 2 ** 40);
  expect(() => load(foreign)).toThrow(/not a knnkit file/);
  // a knnkit prefix whose lengths match the file: refused as too large, not with a RangeError
  const claimed = join(dir, "claimed.knnkit");
  const prefix = serialize(KDTree.build(X)).slice(0, 32);
  const view = new DataView(prefix.buffer);
  view.setUint32(12, 0, true);
  view.setUint32(16, (2 ** 40 - 32) % 2 ** 32, true);
  view.setUint32(20, Math.floor((2 ** 40 - 32) / 2 ** 32), true);
  writeFileSync(claimed, prefix);
  truncateSync(claimed, 2 ** 40);
  expect(() => load(claimed)).toThrow(KnnInputError);
  expect(() => load(claimed)).toThrow(/1099511627776 bytes do not fit in memory/);
  rmSync(dir, { recursive: true });
});

it("a file of several read chunks loads equal, and damage in a later chunk is caught", () => {
  const dir = mkdtempSync(join(tmpdir(), "knnkit-chunks-"));
  const big = random(150_000, 4, 5); // 4.8 MB of float64: three 2 MiB chunks
  const index = BruteForce.build(big);
  const path = join(dir, "big.knnkit");
  save(index, path);
  const q = random(5, 4, 6);
  expect(answers(load(path), q)).toEqual(answers(index, q));
  const bytes = serialize(index);
  expect(bytes.length).toBeGreaterThan(2 * READ_CHUNK);
  bytes[2 * READ_CHUNK + 12345] ^= 0x40;
  writeFileSync(path, bytes);
  expect(() => load(path)).toThrow(/checksum mismatch/);
  expect(() => load(path, { trusted: true })).not.toThrow();
});

describe("the non-finite check in the checksum pass", () => {
  afterEach(() => setWasmKernelEnabled(true));

  /** A saved brute-force index of `mb` MB (several read chunks), its file bytes and where its rows start in them. */
  function bigFile(float32: boolean, mb = 4.8): { index: KnnIndex; bytes: Uint8Array; dataStart: number } {
    const index = BruteForce.build(random((mb * 1e6) / (float32 ? 16 : 32), 4, 8, float32));
    const bytes = serialize(index);
    const { header } = decode(bytes);
    expect((header.arrays as { name: string }[])[0].name).toBe("index.data");
    return { index, bytes, dataStart: bytes.length - index.rows * index.cols * (float32 ? 4 : 8) };
  }

  // 4.8 MB files are hashed by the reading thread, 19.2 MB ones on a pool thread (BACKGROUND_HASH_BYTES)
  for (const [float32, mb] of [[true, 4.8], [false, 4.8], [true, 19.2], [false, 19.2]] as const) {
    it(`${float32 ? "float32" : "float64"} rows, ${mb} MB: NaN or an infinity next to every read-chunk boundary, first and last, is refused by name`, () => {
      const { bytes, dataStart } = bigFile(float32, mb);
      expect(bytes.length >= BACKGROUND_HASH_BYTES).toBe(mb > 10);
      const width = float32 ? 4 : 8;
      const n = (bytes.length - dataStart) / width;
      // the values around each chunk boundary of the loader's reads (chunks start at the payload)
      const positions = [0, 1, n - 2, n - 1];
      for (let edge = 32 + READ_CHUNK; edge < bytes.length; edge += READ_CHUNK) {
        const at = Math.floor((edge - dataStart) / width);
        positions.push(at - 1, at, at + 1);
      }
      const dir = mkdtempSync(join(tmpdir(), "knnkit-finite-"));
      const path = join(dir, "bad.knnkit");
      const bads = ["NaN", "Infinity", "-Infinity"];
      positions.forEach((p, i) => {
        const damaged = bytes.slice();
        const values = float32 ? new Float32Array(damaged.buffer, dataStart, n) : new Float64Array(damaged.buffer, dataStart, n);
        values[p] = Number(bads[i % 3]);
        new DataView(damaged.buffer).setUint32(24, xxh32(damaged.subarray(32)), true);
        writeFileSync(path, damaged);
        const message = new RegExp(`array data holds ${bads[i % 3]} at position ${p}$`);
        expect(() => load(path)).toThrow(message);
        refused(damaged, message);
      });
      rmSync(dir, { recursive: true });
      if (mb > 10 && cpuCount() > 1) expect(workerPoolSize()).toBeGreaterThan(0);
    });
  }

  it("loads into the kernels' WebAssembly memory (no copy at the first query), and without WebAssembly loads equal and refuses the same", () => {
    const { index, bytes, dataStart } = bigFile(true, 19.2);
    const q = random(5, 4, 9, true);
    const loaded = deserialize(bytes) as KnnIndex;
    expect(loaded.state().arrays.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    const before = loaded.memoryBytes;
    expect(answers(loaded, q)).toEqual(answers(index, q));
    expect(loaded.memoryBytes).toBeLessThan(before + (bytes.length - dataStart) / 2); // the rows were not copied for the kernel
    setWasmKernelEnabled(false);
    expect(answers(deserialize(bytes), q)).toEqual(answers(index, q));
    const damaged = bytes.slice();
    new Float32Array(damaged.buffer, dataStart, 10)[7] = NaN;
    new DataView(damaged.buffer).setUint32(24, xxh32(damaged.subarray(32)), true);
    refused(damaged, /array data holds NaN at position 7$/);
  });
});
