/**
 * The knnkit Python package inside Pyodide (the Node host from @knnkit/interop):
 * the shared cases of packages/python/tests/cases.py run there, and their
 * results equal the TypeScript API's on the same data.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BallTree,
  BruteForce,
  KDTree,
  KNeighborsClassifier,
  KNeighborsRegressor,
  KNNImputer,
  LocalOutlierFactor,
  NearestCentroid,
  RadiusNeighborsClassifier,
  matrixFromRows,
} from "@knnkit/core";
import { loadKnnkitPyodide, type KnnkitPyodide } from "../packages/interop/src/index.js";

const ROOT = join(import.meta.dirname, "..");
let host: KnnkitPyodide;
let results: Record<string, Record<string, unknown>>;

beforeAll(async () => {
  host = await loadKnnkitPyodide({ packageDir: join(ROOT, "packages/python/src") });
  host.pyodide.FS.writeFile("/home/pyodide/cases.py", readFileSync(join(ROOT, "packages/python/tests/cases.py")));
  const json = host.pyodide.runPython(`
import sys, json
sys.path.insert(0, "/home/pyodide")
import cases, knnkit
json.dumps(cases.run_all(knnkit))
`) as string;
  results = JSON.parse(json);
}, 120_000);

describe("knnkit in Pyodide", () => {
  it("runs on the pyodide backend with the minimal estimators when scikit-learn is absent", () => {
    const info = JSON.parse(
      host.pyodide.runPython(`
import json, sys, knnkit
from knnkit._backend import get_backend
json.dumps({"platform": sys.platform, "backend": get_backend().name, "sklearn": knnkit.SKLEARN})
`) as string,
    );
    expect(info).toEqual({ platform: "emscripten", backend: "pyodide", sklearn: false });
    expect(Object.keys(results).sort()).toEqual(["case_bad_input", "case_classifier", "case_kneighbors", "case_neighbors_more", "case_regressor", "case_trees"]);
  });

  it("kneighbors from Python equals the TypeScript API for brute force, KD-tree, Ball tree and the prefilter", () => {
    const c = results.case_kneighbors as { X: number[][]; Q: number[][]; k: number; results: Record<string, { indices: number[][]; distances?: number[][] }> };
    const X = matrixFromRows(c.X);
    const Q = matrixFromRows(c.Q);
    const expected = {
      brute: BruteForce.build(X).query(Q, c.k),
      kd_tree: KDTree.build(X, { leafSize: 30 }).query(Q, c.k),
      ball_tree: BallTree.build(X, { leafSize: 30 }).query(Q, c.k),
    };
    for (const [name, res] of Object.entries(expected)) {
      expect(c.results[name].indices.flat()).toEqual(Array.from(res.indices));
      expect(c.results[name].distances!.flat()).toEqual(Array.from(res.distances));
    }
    expect(c.results.prefilter.indices.flat()).toEqual(Array.from(expected.brute.indices));
  });

  it("predict and predict_proba equal the TypeScript estimators", () => {
    const c = results.case_classifier as { X: number[][]; y: string[]; Q: number[][]; predict: string[]; proba: number[][] };
    const clf = new KNeighborsClassifier({ nNeighbors: 3, weights: "distance" }).fit(c.X, c.y);
    expect(c.predict).toEqual(clf.predict(c.Q));
    expect(c.proba.flat()).toEqual(Array.from(clf.predictProba(c.Q).data));
    const r = results.case_regressor as { X: number[][]; y: number[]; Q: number[][]; predict: number[] };
    expect(r.predict).toEqual(Array.from(new KNeighborsRegressor({ nNeighbors: 4 }).fit(r.X, r.y).predict(r.Q)));
    const t = results.case_trees as { X: number[][]; Q: number[][]; indices: number[][] };
    expect(t.indices.flat()).toEqual(Array.from(KDTree.build(t.X, { leafSize: 5 }).query(t.Q, 3).indices));
  });

  it("issue 16's estimators equal the TypeScript ones (radius vote, LOF, KNNImputer, nearest centroid)", () => {
    const c = results.case_neighbors_more as { X: number[][]; y: string[]; Q: number[][]; radius: string[]; proba: number[][]; lof: number[]; imputed: number[][]; centroid: string[] };
    const radius = new RadiusNeighborsClassifier({ radius: 0.2, weights: "distance", outlierLabel: "most_frequent" }).fit(c.X, c.y);
    expect(c.radius).toEqual(radius.predict(c.Q)[0]);
    expect(c.proba.flat()).toEqual(Array.from(radius.predictProbaOutputs(c.Q)[0].data));
    expect(c.lof).toEqual(Array.from(new LocalOutlierFactor({ nNeighbors: 5 }).fit(c.X).scoreSamples(c.Q)));
    const missing = c.X.map((row, i) => row.map((v, j) => ((i + j) % 5 === 0 ? NaN : v)));
    expect(c.imputed.flat()).toEqual(Array.from(new KNNImputer({ nNeighbors: 3 }).fitTransform(missing).data));
    expect(c.centroid).toEqual(new NearestCentroid().fit(c.X, c.y).predict(c.Q));
  });

  it("bad input raised the CPython package's exception types inside Pyodide", () => {
    expect(results.case_bad_input).toEqual({ ok: true });
  });

  it("the engine reads query rows from WebAssembly memory without a copy, by address or as a read-only buffer", () => {
    host.pyodide.runPython(`
import array, knnkit
X = memoryview(array.array("d", [0, 0, 1, 1, 2, 2, 3, 3])).cast("B").cast("d", [4, 2])
tree = knnkit.KDTree(X)
Q = memoryview(array.array("d", [0.9, 0.9, 2.2, 2.0])).cast("B").cast("d", [2, 2])
readonly = memoryview(bytes(Q.cast("B"))).cast("d", [2, 2])
from knnkit._backend.pyodide import _place
assert _place(Q) is not None and _place(readonly) is None  # ctypes takes writable buffers only: a buffer proxy
`);
    for (const q of ["Q", "readonly"]) {
      host.transport.lastQueryWasView = false;
      const answer = host.pyodide.runPython(`dist, ind = tree.query(${q}, k=2); [ind.tolist(), dist.tolist()]`) as { toJs(): unknown };
      const near = (v: number) => expect.closeTo(v, 12);
      expect(answer.toJs()).toEqual([
        [
          [1, 0],
          [2, 3],
        ],
        [
          [near(Math.hypot(0.1, 0.1)), near(Math.hypot(0.9, 0.9))],
          [near(Math.hypot(0.2, 0)), near(Math.hypot(0.8, 1))],
        ],
      ]);
      expect(host.transport.lastQueryWasView).toBe(true);
    }
  });

  it("pickling round-trips through the persistence format inside Pyodide", () => {
    const same = host.pyodide.runPython(`
import pickle, cases, knnkit
X = cases.lcg_rows(50, 2, 11)
nn = knnkit.NearestNeighbors(n_neighbors=3).fit(X)
back = pickle.loads(pickle.dumps(nn))
back.kneighbors(X[:5])[1].tolist() == nn.kneighbors(X[:5])[1].tolist()
`);
    expect(same).toBe(true);
  });
});
