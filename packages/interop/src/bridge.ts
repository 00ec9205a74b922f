/**
 * The IPC transport: one long-lived Node process serving one Python client.
 * Control messages are JSON lines on stdin (requests) and stdout (answers);
 * arrays travel as Arrow IPC files in a directory chosen by the client: a
 * request names the files holding its inputs and the path prefix for its
 * outputs. The transport only moves bytes: every operation is the Engine's.
 *
 * A sparse X crosses as three one-column files, inputs X_data, X_indices and
 * X_indptr, with its shape in the request's field X_shape (see csrInput).
 *
 * Answers carry the request's id: { id, ok: true, result, arrays: {name: path} }
 * or { id, ok: false, error: { code, message } }. Code "io" means the outputs
 * could not be written (their partial files are removed). The server removes
 * the client's directory (--workdir=DIR) when its input closes or its parent dies.
 */
import { readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { Table, tableToIPC, Type } from "apache-arrow";
import { KnnInputError, type Matrix } from "@knnkit/core";
import { matrixToVector, readIPC, tableToMatrix, typedVector } from "./arrow.js";
import { Engine, EngineError, csrInput, errorCode, type CsrParts, type EngineArray, type EngineInputs, type Labels } from "./engine.js";

interface Request {
  id: number;
  op: string;
  inputs?: Record<string, string>;
  out?: string;
  [field: string]: unknown;
}

function readTable(path: string): Table {
  return readIPC(readFileSync(path));
}

/** A target column: numbers (any numeric type) or strings. */
function readLabels(path: string): Labels {
  const v = readTable(path).getChildAt(0);
  if (!v) throw new KnnInputError("y has no column");
  if (v.nullCount > 0) throw new KnnInputError("y contains missing values");
  if (v.type.typeId === Type.Float || v.type.typeId === Type.Int) return Float64Array.from(v.toArray() as ArrayLike<number>, Number);
  if (v.type.typeId === Type.Utf8 || v.type.typeId === Type.LargeUtf8) return Array.from(v as Iterable<string>);
  throw new KnnInputError(`y must hold numbers or strings, got ${String(v.type)}`);
}

function readBytes(path: string): Uint8Array {
  const v = readTable(path).getChildAt(0);
  if (!v || v.type.typeId !== Type.Int || v.type.bitWidth !== 8) throw new KnnInputError("bytes must be a uint8 column");
  return v.toArray() as Uint8Array;
}

/** A one-column file's values as the typed array Arrow holds them (a view when it can be). */
function readTyped(path: string): unknown {
  const v = readTable(path).getChildAt(0);
  if (!v) throw new KnnInputError("an input array has no column");
  if (v.nullCount > 0) throw new KnnInputError("an input array contains nulls");
  return v.toArray();
}

const CSR_INPUTS: Record<string, keyof CsrParts> = { X_data: "data", X_indices: "indices", X_indptr: "indptr" };

/** The request's input files as the engine's inputs (a sparse X from its parts and X_shape). */
function readInputs(paths: Record<string, string>, shape: unknown): EngineInputs {
  const inputs: EngineInputs = {};
  const csr: CsrParts = {};
  for (const [name, path] of Object.entries(paths)) {
    if (name === "X") inputs.X = tableToMatrix(readTable(path));
    else if (name in CSR_INPUTS) csr[CSR_INPUTS[name]] = readTyped(path);
    else if (name === "y") inputs.y = readLabels(path);
    else if (name === "bytes") inputs.bytes = readBytes(path);
    else throw new KnnInputError(`unknown input array "${name}"`);
  }
  if (shape !== undefined || Object.keys(csr).length > 0) {
    if (inputs.X) throw new KnnInputError("a request has either X or the sparse X_data, X_indices, X_indptr, not both");
    inputs.X = csrInput(csr, shape);
  }
  return inputs;
}

/** Writes each array as its own one-column Arrow IPC file `${prefix}.${name}.arrow`; on failure removes what it wrote. */
function writeArrays(prefix: string, arrays: Record<string, EngineArray>): Record<string, string> {
  const paths: Record<string, string> = {};
  try {
    for (const [name, a] of Object.entries(arrays)) {
      const vector = ArrayBuffer.isView(a) ? typedVector(a) : matrixToVector(a as Matrix);
      const path = `${prefix}.${name}.arrow`;
      paths[name] = path;
      writeFileSync(path, tableToIPC(new Table({ [name]: vector }), "file"));
    }
  } catch (e) {
    for (const path of Object.values(paths)) {
      try {
        unlinkSync(path);
      } catch {
        // never written
      }
    }
    throw new EngineError("io", `could not write the answer's arrays: ${e instanceof Error ? e.message : String(e)}`);
  }
  return paths;
}

/** Answers one request line (never throws). */
export function answer(engine: Engine, line: string): string {
  let id: number | null = null;
  try {
    const req = JSON.parse(line) as Request;
    id = typeof req.id === "number" ? req.id : null;
    const { op, inputs, out, id: _id, X_shape, ...fields } = req;
    const t0 = performance.now();
    const decoded = readInputs(inputs ?? {}, X_shape);
    const readMs = performance.now() - t0;
    const { result, arrays } = engine.call(op, fields, decoded);
    if (op === "echo") result.readMs = readMs;
    const names = Object.keys(arrays);
    if (names.length > 0 && typeof out !== "string") throw new KnnInputError(`request "${op}" has arrays to answer but no "out" prefix`);
    const paths = names.length > 0 ? writeArrays(out as string, arrays) : undefined;
    return JSON.stringify({ id, ok: true, result, arrays: paths });
  } catch (e) {
    const message = e instanceof SyntaxError ? `the request is not valid JSON (${e.message})` : e instanceof Error ? e.message : String(e);
    const code = e instanceof SyntaxError ? "input" : errorCode(e);
    return JSON.stringify({ id, ok: false, error: { code, message } });
  }
}

/** Serves requests from `input` until it ends; removes `workdir` then, or when the parent process dies. */
export function runBridge(input: Readable, output: Writable, workdir?: string): void {
  const engine = new Engine();
  const finish = (): never => {
    if (workdir) rmSync(workdir, { recursive: true, force: true });
    process.exit(0);
  };
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) finish();
  }, 1000).unref();
  const lines = createInterface({ input, crlfDelay: Infinity });
  lines.on("line", (line) => {
    if (line.trim()) output.write(answer(engine, line) + "\n");
  });
  lines.on("close", finish);
}
