/**
 * The Pyodide transport: what Pyodide's Python calls as the engine. One
 * function, `call(op, fieldsJson, inputs)`, reads Python's arrays through the
 * buffer protocol (`getBuffer()` hands JavaScript a typed-array view on the
 * WebAssembly heap), runs the Engine and answers `{ ok, result (JSON), arrays,
 * shapes }` or `{ ok: false, error: { code, message } }`, the same answer as
 * the IPC bridge's. No Node API here: it is bundled into the Python package
 * (knnkit/_engine/knnkit-pyodide.js) and evaluated in Pyodide's JavaScript
 * context, in Node or in a browser.
 *
 * Where copies happen, and why:
 *  - inputs the engine keeps (fit's rows, load's bytes) are copied once:
 *    WebAssembly memory can grow and move, which detaches every view on it;
 *  - queries are read in place from the WebAssembly heap (no copy);
 *  - results are copied into Python memory (Python cannot hold JavaScript memory).
 */
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
  /** One thread: Pyodide's Python waits synchronously, and the bundle carries no worker script. */
  readonly engine = new Engine({ maxWorkers: 1 });
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

/** The transport over Pyodide's API object (Python: `import pyodide_js`), whose heap it reads. */
export function createTransport(pyodide: { _module: { HEAPU8: Uint8Array } }): PyodideTransport {
  return new PyodideTransport(() => pyodide._module.HEAPU8.buffer);
}
