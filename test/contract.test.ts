/**
 * The engine contract: one table of operations and one table of bad inputs run
 * through both transports (the IPC bridge process, and Pyodide calling the
 * Pyodide transport); the answers and the error codes must be identical,
 * and the answers equal what core computes directly.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Table, makeVector, tableFromIPC, tableToIPC, vectorFromArray, Utf8, Uint8 } from "apache-arrow";
import { BruteForce, KDTree, KNeighborsClassifier, KNeighborsTransformer, KNNImputer, LocalOutlierFactor, NearestCentroid, matrixFromRows, mulberry32 } from "@knnkit/core";
import { matrixToIPC, loadKnnkitPyodide, PyodideTransport, type KnnkitPyodide } from "../packages/interop/src/index.js";

const ROOT = join(import.meta.dirname, "..");

type Cell = number | string;
interface Step {
  op: string;
  fields?: Record<string, unknown>;
  /** X: rows (numbers, or "nan"/"inf"); y: labels; bytes: "$<step>" (that step's saved bytes), "$<step>:half" (truncated). */
  inputs?: { X?: Cell[][]; y?: Cell[]; bytes?: string; Xs?: SparseCells };
  /** The expected error code, for the bad-input table. */
  code?: string;
}
/** A sparse X as its CSR parts (a part left out is not sent; indicesAs sends the indices as float64). */
interface SparseCells {
  data?: Cell[];
  indices?: number[];
  indptr?: number[];
  shape?: [number, number];
  indicesAs?: "float64";
}
interface Answer {
  ok: boolean;
  code?: string;
  message?: string;
  result?: Record<string, unknown>;
  arrays?: Record<string, number[]>;
}

function rows(n: number, d: number, seed: number): number[][] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => Math.round(rand() * 1000) / 1000));
}

const X = rows(60, 3, 1);
const Q = rows(7, 3, 2);
const labels = X.map((r) => (r[0] < 0.5 ? "left" : "right"));
const values = X.map((r) => 3 * r[0] - r[1]);
const qLabels = Q.map((r) => (r[0] < 0.5 ? "left" : "right"));

// handles count from 1 in a fresh engine: 1 NearestNeighbors, 2 classifier, 3 regressor, 4 KD-tree, 5 Ball tree, 6 loaded classifier
const OPERATIONS: Step[] = [
  { op: "fit", fields: { kind: "NearestNeighbors", params: { n_neighbors: 3 } }, inputs: { X } },
  { op: "kneighbors", fields: { handle: 1, k: 3 }, inputs: { X: Q } },
  { op: "kneighbors", fields: { handle: 1, k: 2 } },
  { op: "radius", fields: { handle: 1, radius: 0.3, sort: true }, inputs: { X: Q } },
  { op: "radius", fields: { handle: 1, radius: "inf", count_only: true }, inputs: { X: Q } },
  { op: "fit", fields: { kind: "KNeighborsClassifier", params: { n_neighbors: 3, weights: "distance" } }, inputs: { X, y: labels } },
  { op: "predict", fields: { handle: 2 }, inputs: { X: Q } },
  { op: "predict_proba", fields: { handle: 2 }, inputs: { X: Q } },
  { op: "score", fields: { handle: 2 }, inputs: { X: Q, y: qLabels } },
  { op: "fit", fields: { kind: "KNeighborsRegressor", params: { n_neighbors: 4, algorithm: "ball_tree" } }, inputs: { X, y: values } },
  { op: "predict", fields: { handle: 3 }, inputs: { X: Q } },
  { op: "fit", fields: { kind: "KDTree", params: { leaf_size: 5 } }, inputs: { X } },
  { op: "kneighbors", fields: { handle: 4, k: 4 }, inputs: { X: Q } },
  { op: "radius", fields: { handle: 4, radius: 0.2, count_only: true }, inputs: { X: Q } },
  { op: "fit", fields: { kind: "BallTree", params: { metric: "manhattan", leaf_size: 4 } }, inputs: { X } },
  { op: "kneighbors", fields: { handle: 5, k: 2 }, inputs: { X: Q } },
  { op: "save", fields: { handle: 2 } },
  { op: "load", inputs: { bytes: "$16" } },
  { op: "predict", fields: { handle: 6 }, inputs: { X: Q } },
  { op: "info", fields: { handle: 1 } },
  { op: "free", fields: { handle: 1 } },
  { op: "count" },
];

const BAD_INPUTS: Step[] = [
  { op: "fit", fields: { kind: "NearestNeighbors", params: {} }, inputs: { X: [[0, "nan", 1], ...X.slice(1)] }, code: "input" },
  { op: "fit", fields: { kind: "NearestNeighbors", params: {} }, inputs: { X: [[0, "inf", 1], ...X.slice(1)] }, code: "input" },
  { op: "kneighbors", fields: { handle: 2, k: "3" }, inputs: { X: Q }, code: "param" },
  { op: "kneighbors", fields: { handle: 2, k: 3 }, inputs: { X: [[1, 2]] }, code: "input" },
  { op: "kneighbors", fields: { handle: 2, k: 0 }, inputs: { X: Q }, code: "param" },
  { op: "kneighbors", fields: { handle: 2, k: 61 }, inputs: { X: Q }, code: "input" },
  { op: "fit", fields: { kind: "NearestNeighbors", params: { metric: "hamming" } }, inputs: { X }, code: "param" },
  { op: "fit", fields: { kind: "NearestNeighbors", params: { algorithm: "magic" } }, inputs: { X }, code: "param" },
  { op: "fit", fields: { kind: "NearestNeighbors", params: { nope: 1 } }, inputs: { X }, code: "param" },
  { op: "fit", fields: { kind: "NearestNeighbors", params: { metric_params: { q: 2 } } }, inputs: { X }, code: "unsupported" },
  { op: "fit", fields: { kind: "NearestNeighbors", params: { p: "nan" } }, inputs: { X }, code: "param" },
  { op: "fit", fields: { kind: "KNeighborsClassifier", params: {} }, inputs: { X, y: labels.slice(1) }, code: "input" },
  { op: "fit", fields: { kind: "Forest", params: {} }, inputs: { X }, code: "param" },
  { op: "predict", fields: { handle: 999 }, inputs: { X: Q }, code: "not_fitted" },
  { op: "predict", fields: { handle: 1 }, inputs: { X: Q }, code: "unsupported" },
  { op: "load", inputs: { bytes: "$16:half" }, code: "input" },
  { op: "teleport", code: "input" },
];

/** rows × cols, about a quarter of the entries non-zero, some rows empty; as CSR parts and as dense rows. */
function sparseRows(n: number, d: number, seed: number): { csr: SparseCells; dense: number[][] } {
  const rand = mulberry32(seed);
  const csr = { data: [] as number[], indices: [] as number[], indptr: [0], shape: [n, d] as [number, number] };
  const dense: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: d }, () => (i % 9 !== 4 && rand() < 0.25 ? Math.round(rand() * 8) / 4 + 0.25 : 0));
    row.forEach((v, j) => {
      if (v !== 0) {
        csr.data.push(v);
        csr.indices.push(j);
      }
    });
    csr.indptr.push(csr.data.length);
    dense.push(row);
  }
  return { csr, dense };
}

const SX = sparseRows(60, 12, 5);
const SQ = sparseRows(7, 12, 6);
const sLabels = SX.dense.map((r) => (r[0] + r[1] > 0.5 ? "a" : "b"));

// sparse X in a fresh engine: handles 1 NearestNeighbors (cosine), 2 classifier, 3 dense-fit brute force, 4 LOF, 5 transformer, 6 NearestCentroid
const SPARSE_OPERATIONS: Step[] = [
  { op: "fit", fields: { kind: "NearestNeighbors", params: { n_neighbors: 3, metric: "cosine" } }, inputs: { Xs: SX.csr } },
  { op: "kneighbors", fields: { handle: 1, k: 3 }, inputs: { Xs: SQ.csr } },
  { op: "kneighbors", fields: { handle: 1, k: 2 } },
  { op: "radius", fields: { handle: 1, radius: 0.5, sort: true }, inputs: { Xs: SQ.csr } },
  { op: "fit", fields: { kind: "KNeighborsClassifier", params: { n_neighbors: 4, weights: "distance" } }, inputs: { Xs: SX.csr, y: sLabels } },
  { op: "predict_proba", fields: { handle: 2 }, inputs: { Xs: SQ.csr } },
  { op: "kneighbors", fields: { handle: 2, k: 4 }, inputs: { X: SQ.dense } },
  { op: "fit", fields: { kind: "NearestNeighbors", params: { algorithm: "brute", metric: "manhattan" } }, inputs: { X: SX.dense } },
  { op: "kneighbors", fields: { handle: 3, k: 5 }, inputs: { Xs: SQ.csr } },
  { op: "fit", fields: { kind: "LocalOutlierFactor", params: { n_neighbors: 5, metric: "manhattan" } }, inputs: { Xs: SX.csr } },
  { op: "attributes", fields: { handle: 4 } },
  { op: "fit", fields: { kind: "KNeighborsTransformer", params: { n_neighbors: 3, mode: "distance" } }, inputs: { Xs: SX.csr } },
  { op: "transform", fields: { handle: 5 }, inputs: { Xs: SQ.csr } },
  { op: "fit", fields: { kind: "NearestCentroid", params: {} }, inputs: { Xs: SX.csr, y: sLabels } },
  { op: "predict", fields: { handle: 6 }, inputs: { Xs: SQ.csr } },
];

const nnSparse = (Xs: SparseCells): Step => ({ op: "fit", fields: { kind: "NearestNeighbors", params: {} }, inputs: { Xs } });
/** After a KD-tree fit on dense rows (handle 1). */
const SPARSE_BAD_INPUTS: Step[] = [
  nnSparse({ ...SX.csr, indices: SX.csr.indices!.map((j, p) => (p === 3 ? 12 : j)) }),
  nnSparse({ ...SX.csr, indptr: SX.csr.indptr!.map((v, i) => (i === 5 ? SX.csr.indptr![7] : v)) }),
  nnSparse({ ...SX.csr, indptr: SX.csr.indptr!.slice(1) }),
  nnSparse({ ...SX.csr, data: SX.csr.data!.map((v, p) => (p === 2 ? "nan" : v)) }),
  nnSparse({ ...SX.csr, data: SX.csr.data!.map((v, p) => (p === 2 ? "inf" : v)) }),
  nnSparse({ ...SX.csr, data: SX.csr.data!.slice(1) }),
  nnSparse({ ...SX.csr, indptr: undefined }),
  nnSparse({ ...SX.csr, shape: undefined }),
  nnSparse({ ...SX.csr, indicesAs: "float64" }),
  { op: "fit", fields: { kind: "NearestNeighbors", params: { metric: "chebyshev" } }, inputs: { Xs: SX.csr } },
  { op: "fit", fields: { kind: "KDTree", params: {} }, inputs: { Xs: SX.csr } },
  { op: "fit", fields: { kind: "KNNImputer", params: {} }, inputs: { Xs: SX.csr } },
  { op: "kneighbors", fields: { handle: 1, k: 2 }, inputs: { Xs: SQ.csr } },
  { op: "kernel_density", fields: { handle: 1, h: 0.5 }, inputs: { Xs: SQ.csr } },
].map((step) => ({ ...step, code: "input" }));

const XMissing: Cell[][] = X.map((r, i) => r.map((v, j) => ((i * 3 + j) % 7 === 0 ? "nan" : v)));

// issue 16's kinds, in a fresh engine: handles 1 radius classifier, 2 radius regressor, 3 k-neighbours transformer,
// 4 radius transformer, 5 LocalOutlierFactor, 6 NearestCentroid, 7 KNNImputer, 8 multi-output k-NN classifier
const MORE_OPERATIONS: Step[] = [
  { op: "fit", fields: { kind: "RadiusNeighborsClassifier", params: { radius: 0.3, weights: "distance", outlier_label: "left" } }, inputs: { X, y: labels } },
  { op: "predict", fields: { handle: 1 }, inputs: { X: Q } },
  { op: "predict_proba", fields: { handle: 1 }, inputs: { X: Q } },
  { op: "fit", fields: { kind: "RadiusNeighborsRegressor", params: { radius: 0.3 } }, inputs: { X, y: values } },
  { op: "predict", fields: { handle: 2 }, inputs: { X: Q } },
  { op: "fit", fields: { kind: "KNeighborsTransformer", params: { n_neighbors: 3, mode: "distance" } }, inputs: { X } },
  { op: "transform", fields: { handle: 3 }, inputs: { X: Q } },
  { op: "fit", fields: { kind: "RadiusNeighborsTransformer", params: { radius: 0.2, mode: "connectivity" } }, inputs: { X } },
  { op: "transform", fields: { handle: 4 }, inputs: { X: Q } },
  { op: "fit", fields: { kind: "LocalOutlierFactor", params: { n_neighbors: 5, novelty: true } }, inputs: { X } },
  { op: "attributes", fields: { handle: 5 } },
  { op: "score_samples", fields: { handle: 5 }, inputs: { X: Q } },
  { op: "decision_function", fields: { handle: 5 }, inputs: { X: Q } },
  { op: "fit", fields: { kind: "NearestCentroid", params: {} }, inputs: { X, y: labels } },
  { op: "predict", fields: { handle: 6 }, inputs: { X: Q } },
  { op: "predict_proba", fields: { handle: 6 }, inputs: { X: Q } },
  { op: "fit", fields: { kind: "KNNImputer", params: { n_neighbors: 3, missing_values: "nan", n_jobs: -1 } }, inputs: { X: XMissing } },
  { op: "transform", fields: { handle: 7 }, inputs: { X: XMissing } },
  { op: "fit", fields: { kind: "KNeighborsMultiOutputClassifier", params: { n_neighbors: 3 }, outputs: 2 }, inputs: { X, y: X.flatMap((r, i) => [labels[i], r[1] < 0.5 ? "low" : "high"]) } },
  { op: "predict", fields: { handle: 8 }, inputs: { X: Q } },
  { op: "kneighbors", fields: { handle: 5, k: 2 }, inputs: { X: Q } },
];

const MORE_BAD_INPUTS: Step[] = [
  { op: "fit", fields: { kind: "RadiusNeighborsClassifier", params: { radius: -1 } }, inputs: { X, y: labels }, code: "param" },
  { op: "fit", fields: { kind: "RadiusNeighborsClassifier", params: { outlier_label: 3 } }, inputs: { X, y: labels }, code: "param" },
  { op: "fit", fields: { kind: "KNeighborsTransformer", params: { mode: "both" } }, inputs: { X }, code: "param" },
  { op: "fit", fields: { kind: "LocalOutlierFactor", params: { contamination: 0.9 } }, inputs: { X }, code: "param" },
  { op: "fit", fields: { kind: "NearestCentroid", params: {} }, inputs: { X, y: X.map(() => "one") }, code: "input" },
  { op: "fit", fields: { kind: "KNNImputer", params: { n_neighbors: 0 } }, inputs: { X }, code: "param" },
  { op: "fit", fields: { kind: "KNNImputer", params: {} }, inputs: { X: [[0, "inf", 1], ...X.slice(1)] }, code: "input" },
  { op: "predict", fields: { handle: 1 }, inputs: { X: Q.map((r) => r.map((v) => v + 10)) }, code: "input" },
  { op: "transform", fields: { handle: 1 }, inputs: { X: Q }, code: "unsupported" },
  { op: "predict_proba", fields: { handle: 2 }, inputs: { X: Q }, code: "unsupported" },
];

/** The setup steps the bad-input table refers to: handle 1 a NearestNeighbors, 2 a classifier; step 16 saves the classifier. */
const BAD_SETUP: Step[] = [OPERATIONS[0], OPERATIONS[5], ...Array.from({ length: 14 }, () => ({ op: "count" })), OPERATIONS[16]];

function cellValue(c: Cell): number {
  return c === "nan" ? NaN : c === "inf" ? Infinity : (c as number);
}

function arrayOf(a: unknown): number[] {
  if (ArrayBuffer.isView(a)) return Array.from(a as unknown as ArrayLike<number>);
  throw new Error("not an array");
}

/** The IPC bridge process, answering one request at a time. */
class BridgeProcess {
  readonly dir = mkdtempSync(join(tmpdir(), "knnkit-contract-"));
  private proc: ChildProcessWithoutNullStreams;
  private lines: AsyncIterator<string>;
  private id = 0;
  readonly saved: Uint8Array[] = [];

  constructor() {
    this.proc = spawn(process.execPath, [join(ROOT, "packages/interop/bin/knnkit-bridge.js"), `--workdir=${this.dir}`]);
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  async run(step: Step, at: number, bytesOf: (ref: string) => Uint8Array): Promise<Answer> {
    const id = ++this.id;
    const inputs: Record<string, string> = {};
    for (const [name, value] of Object.entries(step.inputs ?? {})) {
      const path = join(this.dir, `r${id}.in.${name}.arrow`);
      let bytes: Uint8Array;
      if (name === "Xs") {
        const s = value as SparseCells;
        for (const part of ["data", "indices", "indptr"] as const) {
          const a = s[part];
          if (a === undefined) continue;
          const typed = part === "data" || (part === "indices" && s.indicesAs) ? Float64Array.from(a as Cell[], cellValue) : Int32Array.from(a as number[]);
          const partPath = join(this.dir, `r${id}.in.X_${part}.arrow`);
          writeFileSync(partPath, tableToIPC(new Table({ [part]: makeVector(typed) }), "file"));
          inputs[`X_${part}`] = partPath;
        }
        continue;
      } else if (name === "X") {
        const m = value as Cell[][];
        const data = Float64Array.from(m.flat(), cellValue);
        bytes = matrixToIPC({ data, rows: m.length, cols: m[0].length });
      } else if (name === "y") {
        const y = value as Cell[];
        const vector = typeof y[0] === "string" ? vectorFromArray(y as string[], new Utf8()) : vectorFromArray(Float64Array.from(y as number[]));
        bytes = tableToIPC(new Table({ y: vector }), "file");
      } else bytes = tableToIPC(new Table({ bytes: vectorFromArray(bytesOf(value as string), new Uint8()) }), "file");
      writeFileSync(path, bytes);
      inputs[name] = path;
    }
    const shape = step.inputs?.Xs?.shape;
    this.proc.stdin.write(JSON.stringify({ id, op: step.op, inputs, out: join(this.dir, `r${id}.out`), ...step.fields, ...(shape && { X_shape: shape }) }) + "\n");
    const line = (await this.lines.next()).value as string;
    const answer = JSON.parse(line) as { id: number; ok: boolean; result?: Record<string, unknown>; arrays?: Record<string, string>; error?: { code: string; message: string } };
    expect(answer.id).toBe(id);
    if (!answer.ok) return { ok: false, code: answer.error!.code, message: answer.error!.message };
    const arrays: Record<string, number[]> = {};
    for (const [name, path] of Object.entries(answer.arrays ?? {})) {
      const column = tableFromIPC(readFileSync(path)).getChildAt(0)!;
      const flat = column.type.listSize ? column.data[0].children[0].values : column.toArray();
      arrays[name] = arrayOf(flat);
      if (name === "bytes") this.saved[at] = Uint8Array.from(arrays[name]);
      rmSync(path);
    }
    return { ok: true, result: answer.result, arrays };
  }

  close(): Promise<number | null> {
    if (this.proc.exitCode !== null) return Promise.resolve(this.proc.exitCode);
    return new Promise((resolve) => {
      this.proc.on("exit", (code) => resolve(code));
      this.proc.stdin.end();
    });
  }
}

const PYODIDE_RUNNER = `
import array, json
from knnkit._backend.pyodide import PyodideBackend

def _value(c):
    return float(c) if isinstance(c, str) else c

def run_table(table_json, transport):
    backend = PyodideBackend(transport)  # the package's own route: X alone by address, other inputs as buffers
    saved = {}
    answers = []
    for at, step in enumerate(json.loads(table_json)):
        inputs = {}
        fields = dict(step.get("fields") or {})
        for name, value in (step.get("inputs") or {}).items():
            if name == "Xs":
                if "shape" in value:
                    fields["X_shape"] = value["shape"]
                if "data" in value:
                    inputs["X_data"] = memoryview(array.array("d", [_value(c) for c in value["data"]]))
                for part in ("indices", "indptr"):
                    if part in value:
                        typed = "d" if part == "indices" and "indicesAs" in value else "i"
                        inputs["X_" + part] = memoryview(array.array(typed, value[part]))
            elif name == "X":
                flat = array.array("d", [_value(c) for row in value for c in row])
                inputs["X"] = memoryview(flat).cast("B").cast("d", [len(value), len(value[0])])
            elif name == "y":
                inputs["y"] = value if isinstance(value[0], str) else memoryview(array.array("d", value))
            else:
                ref, _, cut = value[1:].partition(":")
                data = saved[int(ref)]
                inputs["bytes"] = memoryview(data[: len(data) // 2] if cut == "half" else data)
        head, views = backend.send(step["op"], inputs, fields)
        if not head["ok"]:
            answers.append({"ok": False, "code": head["error"]["code"], "message": head["error"]["message"]})
            continue
        arrays = {}
        for name, view in views.items():
            values = view.cast("B").cast(view.format).tolist() if view.ndim > 1 else view.tolist()
            arrays[name] = values
            if name == "bytes":
                saved[at] = bytes(values)
        answers.append({"ok": True, "result": head["result"], "arrays": arrays})
    return json.dumps(answers)
`;

let host: KnnkitPyodide;
let bridge: BridgeProcess;

async function viaBridge(table: Step[]): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let at = 0; at < table.length; at++) {
    answers.push(
      await bridge.run(table[at], at, (ref) => {
        const [step, cut] = ref.slice(1).split(":");
        const data = bridge.saved[Number(step)];
        return cut === "half" ? data.subarray(0, data.length >> 1) : data;
      }),
    );
  }
  return answers;
}

function viaPyodide(table: Step[]): Answer[] {
  // a fresh engine per table, as the bridge process is
  const run = host.pyodide.runPython("run_table") as (json: string, transport: PyodideTransport) => string;
  return JSON.parse(run(JSON.stringify(table), new PyodideTransport(() => host.pyodide._module.HEAPU8.buffer))) as Answer[];
}

/** JSON numbers cannot carry NaN; compare after mapping both sides the same way. */
function comparable(answers: Answer[]): unknown {
  return JSON.parse(JSON.stringify(answers.map((a) => ({ ...a, result: a.result && { ...a.result, pid: undefined, operations: undefined, engine_ms: undefined } }))));
}

beforeAll(async () => {
  host = await loadKnnkitPyodide({ packageDir: join(ROOT, "packages/python/src") });
  host.pyodide.runPython(PYODIDE_RUNNER);
}, 120_000);

afterAll(async () => {
  await bridge?.close();
});

describe("the engine contract, through the IPC bridge and through Pyodide", () => {
  it("gives identical answers to one table of operations, equal to core's", async () => {
    bridge = new BridgeProcess();
    const ipc = await viaBridge(OPERATIONS);
    const pyo = viaPyodide(OPERATIONS);
    expect(ipc.filter((a) => !a.ok)).toEqual([]);
    expect(comparable(pyo)).toEqual(comparable(ipc));

    const tree = KDTree.build(matrixFromRows(X), { leafSize: 5 }).query(matrixFromRows(Q), 4);
    expect(ipc[12].arrays!.indices).toEqual(Array.from(tree.indices));
    expect(ipc[12].arrays!.distances).toEqual(Array.from(tree.distances));
    const clf = new KNeighborsClassifier({ nNeighbors: 3, weights: "distance" }).fit(X, labels);
    expect(ipc[5].result!.classes).toEqual(clf.classes);
    expect(ipc[6].arrays!.codes.map((c) => clf.classes[c])).toEqual(clf.predict(Q));
    expect(ipc[7].arrays!.proba).toEqual(Array.from(clf.predictProba(Q).data));
    expect(ipc[18].arrays!.codes).toEqual(ipc[6].arrays!.codes);
    expect(ipc[4].arrays!.offsets.at(-1)).toBe(Q.length * X.length);
    expect(ipc[21].result).toMatchObject({ objects: 5 });
    await bridge.close();
  });

  it("answers one table of bad inputs with identical error codes, and keeps serving", async () => {
    bridge = new BridgeProcess();
    const table = [...BAD_SETUP, ...BAD_INPUTS, OPERATIONS[1]];
    const ipc = await viaBridge(table);
    const pyo = viaPyodide(table);
    const bad = BAD_INPUTS.map((_, i) => BAD_SETUP.length + i);
    for (const i of bad) {
      expect({ step: i, code: ipc[i].code }).toEqual({ step: i, code: table[i].code });
      expect(ipc[i].message).toMatch(/\w+/);
    }
    expect(comparable(pyo)).toEqual(comparable(ipc));
    expect(ipc.at(-1)!.ok).toBe(true);
    await bridge.close();
  });

  it("gives identical answers for issue 16's kinds, equal to core's, and refuses their bad inputs alike", async () => {
    bridge = new BridgeProcess();
    const ipc = await viaBridge(MORE_OPERATIONS);
    const pyo = viaPyodide(MORE_OPERATIONS);
    expect(ipc.filter((a) => !a.ok)).toEqual([]);
    expect(comparable(pyo)).toEqual(comparable(ipc));
    const graph = new KNeighborsTransformer({ nNeighbors: 3 }).fit(X).transform(Q);
    expect(ipc[6].arrays!.indices).toEqual(Array.from(graph.indices));
    expect(ipc[6].arrays!.data).toEqual(Array.from(graph.data));
    const lof = new LocalOutlierFactor({ nNeighbors: 5 }).fit(X);
    expect(ipc[10].arrays!.negative_outlier_factor).toEqual(Array.from(lof.negativeOutlierFactor));
    expect(ipc[11].arrays!.scores).toEqual(Array.from(lof.scoreSamples(Q)));
    const imputed = new KNNImputer({ nNeighbors: 3 }).fitTransform({ data: Float64Array.from(XMissing.flat(), cellValue), rows: X.length, cols: 3 });
    expect(ipc[17].arrays!.X).toEqual(Array.from(imputed.data));
    await bridge.close();

    bridge = new BridgeProcess();
    // handle 1: a radius classifier without an outlier label (rows without neighbours are an error); 2: a radius regressor
    const setup: Step = { op: "fit", fields: { kind: "RadiusNeighborsClassifier", params: { radius: 0.3 } }, inputs: { X, y: labels } };
    const table = [setup, MORE_OPERATIONS[3], ...MORE_BAD_INPUTS, MORE_OPERATIONS[1]];
    const bad = await viaBridge(table);
    MORE_BAD_INPUTS.forEach((step, i) => expect({ i, code: bad[i + 2].code }).toEqual({ i, code: step.code }));
    expect(comparable(viaPyodide(table))).toEqual(comparable(bad));
    expect(bad.at(-1)!.ok).toBe(true);
    await bridge.close();
  });

  it("takes sparse X (CSR parts) alike through both transports, with the dense answers, and refuses bad CSR alike", async () => {
    bridge = new BridgeProcess();
    const ipc = await viaBridge(SPARSE_OPERATIONS);
    const pyo = viaPyodide(SPARSE_OPERATIONS);
    expect(ipc.filter((a) => !a.ok)).toEqual([]);
    expect(comparable(pyo)).toEqual(comparable(ipc));
    // each answer equals core's on the same rows dense
    const Xd = matrixFromRows(SX.dense);
    const Qd = matrixFromRows(SQ.dense);
    const cos = BruteForce.build(Xd, { metric: "cosine" }).query(Qd, 3);
    expect(ipc[1].arrays!.indices).toEqual(Array.from(cos.indices));
    expect(ipc[1].arrays!.distances).toEqual(Array.from(cos.distances));
    const clf = new KNeighborsClassifier({ nNeighbors: 4, weights: "distance", algorithm: "brute" }).fit(Xd, sLabels);
    expect(ipc[5].arrays!.proba).toEqual(Array.from(clf.predictProba(Qd).data));
    expect(ipc[6].arrays!.indices).toEqual(Array.from(clf.kneighbors(Qd, 4).indices));
    const l1 = BruteForce.build(Xd, { metric: "manhattan" }).query(Qd, 5);
    expect(ipc[8].arrays!.indices).toEqual(Array.from(l1.indices));
    const lof = new LocalOutlierFactor({ nNeighbors: 5, metric: "manhattan", algorithm: "brute" }).fit(Xd);
    expect(ipc[10].arrays!.negative_outlier_factor).toEqual(Array.from(lof.negativeOutlierFactor));
    const graph = new KNeighborsTransformer({ nNeighbors: 3, algorithm: "brute" }).fit(Xd).transform(Qd);
    expect(ipc[12].arrays!.data).toEqual(Array.from(graph.data));
    expect(ipc[14].arrays!.codes).toEqual(Array.from(new NearestCentroid().fit(Xd, sLabels).predictCodes(Qd)));
    await bridge.close();

    bridge = new BridgeProcess();
    const table = [{ op: "fit", fields: { kind: "KDTree", params: {} }, inputs: { X: SX.dense } }, ...SPARSE_BAD_INPUTS, SPARSE_OPERATIONS[0]];
    const bad = await viaBridge(table);
    SPARSE_BAD_INPUTS.forEach((step, i) => expect({ i, code: bad[i + 1].code, message: bad[i + 1].message }).toMatchObject({ i, code: step.code }));
    expect(bad.slice(1, -1).map((a) => a.message)).toEqual([
      expect.stringMatching(/column index 12 in row \d+ is out of range \[0, 12\)/),
      expect.stringMatching(/indptr is not monotone/),
      expect.stringMatching(/indptr has 60 entries; a matrix of 60 rows needs 61/),
      expect.stringMatching(/NaN in row/),
      expect.stringMatching(/Infinity in row/),
      expect.stringMatching(/indices has \d+ entries but data has \d+/),
      expect.stringMatching(/needs the array X_indptr/),
      expect.stringMatching(/needs X_shape/),
      expect.stringMatching(/indices must be an Int32Array, got a Float64Array/),
      expect.stringMatching(/Metric 'chebyshev' not valid for sparse input/),
      expect.stringMatching(/Sparse data was passed for X, but dense data is required/),
      expect.stringMatching(/Sparse data was passed for X, but dense data is required/),
      expect.stringMatching(/kd_tree does not work with sparse matrices/),
      expect.stringMatching(/Sparse data was passed for X, but dense data is required/),
    ]);
    expect(comparable(viaPyodide(table))).toEqual(comparable(bad));
    expect(bad.at(-1)!.ok).toBe(true);
    await bridge.close();
  });

  it("removes its work directory when its input closes", async () => {
    bridge = new BridgeProcess();
    await viaBridge([OPERATIONS[0], OPERATIONS[1]]);
    expect(await bridge.close()).toBe(0);
    expect(() => readFileSync(join(bridge.dir, "x"))).toThrow(/ENOENT/);
    expect(() => rmSync(bridge.dir)).toThrow(/ENOENT/);
  });
});
