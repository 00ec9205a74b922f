/**
 * The Pyodide transport and host. `PyodideTransport` is what Python sees as the
 * module `knnkit_engine`: one function, `call(op, fieldsJson, inputs)`, that
 * reads Python's arrays through the buffer protocol (`getBuffer()` hands
 * JavaScript a typed-array view on the WebAssembly heap), runs the Engine and
 * answers `{ ok, result (JSON), arrays, shapes }` or `{ ok: false, error: { code, message } }`,
 * the same answer as the IPC bridge's.
 *
 * Where copies happen, and why:
 *  - inputs the engine keeps (fit's rows, load's bytes) are copied once:
 *    WebAssembly memory can grow and move, which detaches every view on it;
 *  - queries are read in place from the WebAssembly heap (no copy);
 *  - results are copied into Python memory (Python cannot hold JavaScript memory).
 *
 * `loadKnnkitPyodide` starts Pyodide from the `pyodide` npm package (offline),
 * registers the transport and puts a given knnkit Python package on sys.path.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { KnnInputError, matrixView, type FloatArray, type Matrix } from "@knnkit/core";
import { Engine, errorCode, retainsInputs, type EngineInputs } from "./engine.js";

interface BufferView {
  data: ArrayBufferView;
  shape: number[];
  release(): void;
}

interface PyProxy {
  type: string;
  getBuffer(type?: string): BufferView;
  toJs(): unknown;
}

interface PyDictProxy {
  has(key: string): boolean;
  get(key: string): PyProxy;
}

export interface PyodideLike {
  registerJsModule(name: string, module: object): void;
  runPython(code: string): unknown;
  runPythonAsync(code: string): Promise<unknown>;
  loadPackage(names: string | string[]): Promise<unknown[]>;
  FS: { mkdirTree(path: string): void; writeFile(path: string, data: string | Uint8Array): void };
  _module: { HEAPU8: Uint8Array };
}

type OutArray = Float64Array | Float32Array | Int32Array | Uint8Array;

export interface PyodideAnswer {
  ok: boolean;
  result?: string;
  arrays?: Record<string, OutArray>;
  shapes?: Record<string, number[]>;
  error?: { code: string; message: string };
}

/** The engine as Pyodide's Python sees it: one call, buffers in, typed arrays out. */
export class PyodideTransport {
  readonly engine = new Engine();
  /** Whether the last query read its rows straight from the WebAssembly heap. */
  lastQueryWasView = false;

  constructor(private readonly heap: () => ArrayBufferLike) {}

  call(op: string, fieldsJson: string, inputs: PyDictProxy | null): PyodideAnswer {
    const views: BufferView[] = [];
    try {
      const fields = JSON.parse(fieldsJson) as Record<string, unknown>;
      const decoded = this.decode(inputs, retainsInputs(op), views);
      const { result, arrays } = this.engine.call(op, fields, decoded);
      const out: Record<string, OutArray> = {};
      const shapes: Record<string, number[]> = {};
      for (const [name, a] of Object.entries(arrays)) {
        if (ArrayBuffer.isView(a)) out[name] = a;
        else {
          const m = a as Matrix;
          out[name] = m.data;
          shapes[name] = [m.rows, m.cols];
        }
      }
      return { ok: true, result: JSON.stringify(result), arrays: out, shapes };
    } catch (e) {
      return { ok: false, error: { code: errorCode(e), message: e instanceof Error ? e.message : String(e) } };
    } finally {
      for (const v of views) v.release();
    }
  }

  private decode(inputs: PyDictProxy | null, copy: boolean, views: BufferView[]): EngineInputs {
    const decoded: EngineInputs = {};
    if (!inputs) return decoded;
    if (inputs.has("X")) decoded.X = this.matrix(inputs.get("X"), copy, views);
    if (inputs.has("y")) {
      const y = inputs.get("y");
      if (y.type === "list") decoded.y = (y.toJs() as unknown[]).map(String);
      else decoded.y = Float64Array.from(this.buffer(y, views) as Float64Array);
    }
    if (inputs.has("bytes")) decoded.bytes = new Uint8Array(this.buffer(inputs.get("bytes"), views) as Uint8Array).slice();
    return decoded;
  }

  private buffer(proxy: PyProxy, views: BufferView[]): ArrayBufferView {
    const view = proxy.getBuffer();
    views.push(view);
    return view.data;
  }

  private matrix(proxy: PyProxy, copy: boolean, views: BufferView[]): Matrix {
    const view = proxy.getBuffer();
    views.push(view);
    const data = view.data;
    if (!(data instanceof Float64Array || data instanceof Float32Array)) {
      throw new KnnInputError(`arrays must hold float64 or float32 values, got ${data.constructor.name}`);
    }
    if (view.shape.length !== 2) throw new KnnInputError(`X must be a 2-D buffer, got ${view.shape.length}-D`);
    const [rows, cols] = view.shape;
    if (!copy) this.lastQueryWasView = data.buffer === this.heap();
    return matrixView(copy ? (data.slice() as FloatArray) : (data as FloatArray), rows, cols);
  }
}

export interface KnnkitPyodide {
  pyodide: PyodideLike;
  transport: PyodideTransport;
  /** Names of the wheels loaded from `wheelDir` (empty when there are none). */
  wheels: string[];
}

function copyTree(py: PyodideLike, from: string, to: string): void {
  for (const entry of readdirSync(from)) {
    const src = join(from, entry);
    const dst = `${to}/${entry}`;
    if (statSync(src).isDirectory()) {
      if (entry === "__pycache__") continue;
      py.FS.mkdirTree(dst);
      copyTree(py, src, dst);
    } else if (entry.endsWith(".py") || entry.endsWith(".json")) {
      py.FS.writeFile(dst, readFileSync(src));
    }
  }
}

/**
 * Starts Pyodide offline with the engine registered as `knnkit_engine` and the
 * knnkit Python package from `packageDir` (the folder holding `knnkit/`) on
 * sys.path. Wheels in `wheelDir`, if given, are loaded first.
 */
export async function loadKnnkitPyodide(options: { packageDir: string; wheelDir?: string }): Promise<KnnkitPyodide> {
  const require = createRequire(import.meta.url);
  const { loadPyodide } = (await import("pyodide")) as unknown as { loadPyodide: (o: object) => Promise<PyodideLike> };
  const indexURL = dirname(require.resolve("pyodide/package.json")) + "/";
  const py = await loadPyodide({ indexURL, stdout: () => undefined, stderr: () => undefined });
  const wheels = options.wheelDir ? safeList(options.wheelDir).filter((f) => f.endsWith(".whl")) : [];
  if (wheels.length > 0) {
    const loaded = await py.loadPackage(wheels.map((w) => join(options.wheelDir as string, w)));
    if (loaded.length !== wheels.length) throw new Error(`Pyodide loaded ${loaded.length} of ${wheels.length} wheels from ${options.wheelDir}`);
  }
  const transport = new PyodideTransport(() => py._module.HEAPU8.buffer);
  py.registerJsModule("knnkit_engine", transport);
  const target = "/home/pyodide/knnkit_src/knnkit";
  py.FS.mkdirTree(target);
  copyTree(py, join(options.packageDir, "knnkit"), target);
  py.runPython(`import sys\nsys.path.insert(0, "/home/pyodide/knnkit_src")`);
  return { pyodide: py, transport, wheels };
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
