/**
 * The Pyodide transport: what Pyodide's Python calls as the engine. One
 * function, `call(op, fieldsJson, X, y, bytes, indices, indptr)`, reads Python's arrays through
 * the buffer protocol (`getBuffer()` hands JavaScript a typed-array view on the
 * WebAssembly heap), runs the Engine and answers what the IPC bridge answers:
 * the result or an error code and message, and the answer's arrays. No Node API here: it is bundled into the Python package
 * (knnkit/_engine/knnkit-pyodide.js) and evaluated in Pyodide's JavaScript
 * context, in Node or in a browser.
 *
 * A sparse X arrives as its data in X, its indices and indptr in the last two
 * arguments and its shape in the field X_shape (see csrInput).
 *
 * Where copies happen, and why:
 *  - inputs the engine keeps (fit's rows, load's bytes) are copied once:
 *    WebAssembly memory can grow and move, which detaches every view on it;
 *  - queries are read in place from the WebAssembly heap (no copy);
 *  - results are copied into Python memory (Python cannot hold JavaScript memory).
 */
import { KnnInputError, matrixView, type FloatArray, type Matrix } from "@knnkit/core";
import { Engine, csrInput, errorCode, retainsInputs, type EngineInputs } from "./engine.js";

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

type OutArray = Float64Array | Float32Array | Int32Array | Uint8Array;

/** An answer's first element: JSON of { ok, result, arrays: [[name, shape or null], ...] } or { ok: false, error: { code, message } }. */
export type PyodideAnswer = [string, ...OutArray[]];

/**
 * The engine as Pyodide's Python sees it: `call(op, fieldsJson, X, y, bytes)`,
 * buffers in (absent inputs are undefined), and one array out: the JSON head,
 * then the answer's typed arrays in the head's order (few crossings per call).
 */
export class PyodideTransport {
  /** One thread: Pyodide's Python waits synchronously, and the bundle carries no worker script. */
  readonly engine = new Engine({ maxWorkers: 1 });
  /** Whether the last query read its rows straight from the WebAssembly heap. */
  lastQueryWasView = false;

  constructor(private readonly heap: () => ArrayBufferLike) {}

  call(op: string, fieldsJson: string, X?: PyProxy, y?: PyProxy, bytes?: PyProxy, indices?: PyProxy, indptr?: PyProxy): PyodideAnswer {
    const views: BufferView[] = [];
    try {
      const { X_shape: shape, ...fields } = JSON.parse(fieldsJson) as Record<string, unknown>;
      const decoded: EngineInputs = {};
      if (shape !== undefined || indices || indptr) {
        // kept arrays are copied out of the WebAssembly heap (see the header)
        const part = (p: PyProxy | undefined): unknown => {
          if (!p) return undefined;
          const a = this.buffer(p, views) as Float64Array;
          return retainsInputs(op) ? a.slice() : a;
        };
        decoded.X = csrInput({ data: part(X), indices: part(indices), indptr: part(indptr) }, shape);
      } else if (X) decoded.X = this.matrix(X, retainsInputs(op), views);
      if (y) decoded.y = y.type === "list" ? (y.toJs() as unknown[]).map(String) : Float64Array.from(this.buffer(y, views) as Float64Array);
      if (bytes) decoded.bytes = new Uint8Array(this.buffer(bytes, views) as Uint8Array).slice();
      const { result, arrays } = this.engine.call(op, fields, decoded);
      const names: [string, number[] | null][] = [];
      const out: OutArray[] = [];
      for (const [name, a] of Object.entries(arrays)) {
        if (ArrayBuffer.isView(a)) {
          names.push([name, null]);
          out.push(a);
        } else {
          const m = a as Matrix;
          names.push([name, [m.rows, m.cols]]);
          out.push(m.data);
        }
      }
      return [JSON.stringify({ ok: true, result, arrays: names }), ...out];
    } catch (e) {
      return [JSON.stringify({ ok: false, error: { code: errorCode(e), message: e instanceof Error ? e.message : String(e) } })];
    } finally {
      for (const v of views) v.release();
    }
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
