/**
 * The bridge server: one long-lived Node process serving one Python client.
 * Control messages are JSON lines on stdin (requests) and stdout (answers);
 * arrays travel as Arrow IPC files in a RAM-backed directory chosen by the
 * client (/dev/shm where it exists): a request names the files holding its
 * input arrays and the path prefix for its outputs. A matrix is a one-column
 * table of FixedSizeList<Float32|Float64>, read here as a view.
 *
 * Every error is answered ({ ok: false, error: { type, message } }); the server
 * keeps serving. Fitted objects stay here behind integer handles.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { Table, tableToIPC, Type } from "apache-arrow";
import {
  KNeighborsClassifier,
  KNeighborsRegressor,
  KnnIndex,
  KnnInputError,
  NotFittedError,
  type Matrix,
} from "@knnkit/core";
import { matrixToVector, readIPC, tableToMatrix, typedVector } from "./arrow.js";
import { describeFitted, fitByName, type Fitted } from "./fitted.js";
import { load, save } from "./persistence.js";


interface Request {
  id: number;
  op: string;
  handle?: number;
  kind?: string;
  params?: Record<string, unknown>;
  inputs?: Record<string, string>;
  out?: string;
  k?: number;
  radius?: number;
  sort?: boolean;
  countOnly?: boolean;
  path?: string;
}

type Arrays = Record<string, Float64Array | Float32Array | Int32Array | Matrix>;

interface Answer {
  result?: Record<string, unknown>;
  arrays?: Arrays;
}

export class BridgeState {
  private objects = new Map<number, Fitted>();
  private nextHandle = 1;

  handle(req: Request): Answer {
    switch (req.op) {
      case "ping":
        return { result: { pid: process.pid } };
      case "fit":
        return this.fit(req);
      case "kneighbors":
        return this.kneighbors(req);
      case "radius":
        return this.radius(req);
      case "predict":
        return this.predict(req);
      case "predict_proba": {
        const est = this.get(req, KNeighborsClassifier);
        const p = est.predictProba(this.matrix(req, "X"));
        return { arrays: { proba: { data: p.data, rows: p.rows, cols: p.cols } } };
      }
      case "save":
        save(this.get(req), String(req.path));
        return { result: {} };
      case "load": {
        const obj = load(String(req.path));
        return { result: { handle: this.store(obj), ...describeFitted(obj) } };
      }
      case "free":
        this.objects.delete(Number(req.handle));
        return { result: {} };
      case "count":
        return { result: { objects: this.objects.size } };
      case "echo": {
        // transfer benchmark: read a matrix (as a view) and send it back
        const t0 = performance.now();
        const m = this.matrix(req, "X");
        const t1 = performance.now();
        // viewAtMs: wall clock (ms since the epoch) when the view was ready, to split the trip into its two ways
        return { arrays: { X: m }, result: { readMs: t1 - t0, viewAtMs: performance.timeOrigin + t1, rows: m.rows, cols: m.cols } };
      }
      default:
        throw new KnnInputError(`unknown request "${req.op}"`);
    }
  }

  private store(obj: Fitted): number {
    const h = this.nextHandle++;
    this.objects.set(h, obj);
    return h;
  }

  private get<T extends Fitted>(req: Request, Ctor?: abstract new (...a: never[]) => T): T {
    const obj = this.objects.get(Number(req.handle));
    if (!obj) throw new NotFittedError(`object ${req.handle}`);
    if (Ctor && !(obj instanceof Ctor)) throw new KnnInputError(`object ${req.handle} does not support "${req.op}"`);
    return obj as T;
  }

  private matrix(req: Request, name: string): Matrix {
    const path = req.inputs?.[name];
    if (!path) throw new KnnInputError(`request "${req.op}" needs the array ${name}`);
    return tableToMatrix(readIPC(readFileSync(path)));
  }

  private optionalMatrix(req: Request, name: string): Matrix | undefined {
    return req.inputs?.[name] ? this.matrix(req, name) : undefined;
  }

  /** A target column: numbers (any numeric type). */
  private vector(req: Request, name: string): Float64Array {
    const path = req.inputs?.[name];
    if (!path) throw new KnnInputError(`request "${req.op}" needs the array ${name}`);
    const table: Table = readIPC(readFileSync(path));
    const v = table.getChildAt(0);
    if (!v || ![Type.Float, Type.Int].includes(v.type.typeId)) throw new KnnInputError(`${name} must be a numeric column`);
    return Float64Array.from(v.toArray() as ArrayLike<number>, Number);
  }

  private fit(req: Request): Answer {
    const X = this.matrix(req, "X");
    const obj = fitByName(String(req.kind), (req.params ?? {}) as Record<string, never>, X, () => Array.from(this.vector(req, "y")));
    return { result: { handle: this.store(obj), ...describeFitted(obj) } };
  }

  private kneighbors(req: Request): Answer {
    const obj = this.get(req);
    const Q = this.optionalMatrix(req, "X");
    const k = Number(req.k);
    let res;
    if (obj instanceof KnnIndex) {
      if (!Q) throw new KnnInputError("query needs X");
      res = obj.query(Q, k);
    } else res = obj.kneighbors(Q, k);
    return { arrays: { indices: res.indices, distances: res.distances }, result: { rows: res.rows, k: res.k } };
  }

  private radius(req: Request): Answer {
    const obj = this.get(req);
    const Q = this.optionalMatrix(req, "X");
    const r = Number(req.radius);
    const options = { sortResults: Boolean(req.sort), countOnly: Boolean(req.countOnly) };
    const res = obj instanceof KnnIndex ? obj.queryRadius(Q ?? fail("query_radius needs X"), r, options) : obj.radiusNeighbors(Q, r, options);
    const arrays: Arrays = { offsets: res.offsets };
    if (!options.countOnly) {
      arrays.indices = res.indices;
      arrays.distances = res.distances;
    }
    return { arrays, result: { rows: res.rows } };
  }

  private predict(req: Request): Answer {
    const obj = this.get(req);
    const Q = this.matrix(req, "X");
    if (obj instanceof KNeighborsClassifier) return { arrays: { labels: Float64Array.from(obj.predict(Q) as number[]) } };
    if (obj instanceof KNeighborsRegressor) return { arrays: { values: obj.predict(Q) } };
    throw new KnnInputError(`object ${req.handle} cannot predict`);
  }
}

function fail(message: string): never {
  throw new KnnInputError(message);
}

/** Writes each array as its own one-column Arrow IPC file `${prefix}.${name}.arrow`. */
function writeArrays(prefix: string, arrays: Arrays): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const [name, a] of Object.entries(arrays)) {
    const vector = ArrayBuffer.isView(a) ? typedVector(a as Float64Array) : matrixToVector(a as Matrix);
    const path = `${prefix}.${name}.arrow`;
    writeFileSync(path, tableToIPC(new Table({ [name]: vector }), "file"));
    paths[name] = path;
  }
  return paths;
}

export function errorType(e: unknown): string {
  if (e instanceof NotFittedError) return "NotFittedError";
  if (e instanceof KnnInputError) return "KnnInputError";
  return e instanceof Error ? e.name : "Error";
}

/** Serves requests from `input` until it ends. */
export function runBridge(input: Readable, output: Writable): void {
  const state = new BridgeState();
  const lines = createInterface({ input, crlfDelay: Infinity });
  lines.on("line", (line) => {
    if (!line.trim()) return;
    let id: number | null = null;
    try {
      const req = JSON.parse(line) as Request;
      id = req.id;
      const answer = state.handle(req);
      const arrays = answer.arrays && req.out ? writeArrays(req.out, answer.arrays) : undefined;
      output.write(JSON.stringify({ id, ok: true, result: answer.result ?? {}, arrays }) + "\n");
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      output.write(JSON.stringify({ id, ok: false, error: { type: errorType(e), message } }) + "\n");
    }
  });
  lines.on("close", () => process.exit(0));
}
