/**
 * The Pyodide transport: what Pyodide's Python calls as the engine. It reads
 * Python's arrays in the WebAssembly heap, by the buffer protocol (`getBuffer()`
 * hands JavaScript a typed-array view) or at an address Python gives (see
 * PyodideTransport), runs the Engine and answers what the IPC bridge answers:
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
 *  - results are copied twice: into the answer's one byte array, then into
 *    Python memory (Python cannot hold JavaScript memory). The first copy is
 *    what lets a tiny call convert one object instead of one per array.
 */
import { KnnInputError, matrixView, type FloatArray, type Matrix } from "@knnkit/core";
import { Engine, EngineError, csrInput, errorCode, retainsInputs, type EngineInputs } from "./engine.js";

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

/** Python's struct format of each answer array type (what Python casts the bytes to). */
function formatOf(a: OutArray): "d" | "f" | "i" | "B" {
  if (a instanceof Float64Array) return "d";
  if (a instanceof Float32Array) return "f";
  if (a instanceof Int32Array) return "i";
  return "B";
}

const align8 = (n: number): number => (n + 7) & ~7;
const utf8 = new TextEncoder();

/**
 * One answer as one byte array, so that Python converts a single object (the per-call
 * cost of a tiny call is the crossings, not the copy): a little-endian uint32 n, n bytes
 * of JSON head, then each array at the next multiple of 8 in the head's order. The head is
 * { ok: true, result, arrays: [[name, format, length, shape or null], ...] } or
 * { ok: false, error: { code, message } }.
 */
export function encodeAnswer(head: Record<string, unknown>, arrays: OutArray[] = []): Uint8Array {
  const text = JSON.stringify(head);
  let size = align8(4 + 3 * text.length); // UTF-8 takes at most 3 bytes per UTF-16 unit
  for (const a of arrays) size += align8(a.byteLength);
  // one fresh ArrayBuffer, written through views of it: reading `.buffer` of a small typed array
  // (the engine's answers to tiny calls) would make V8 move it off its heap first
  const buffer = new ArrayBuffer(size);
  const bytes = new Uint8Array(buffer);
  const n = utf8.encodeInto(text, bytes.subarray(4)).written;
  new DataView(buffer).setUint32(0, n, true);
  let at = align8(4 + n);
  for (const a of arrays) {
    const Type = a.constructor as new (buffer: ArrayBuffer, offset: number, length: number) => OutArray;
    (new Type(buffer, at, a.length) as Float64Array).set(a as Float64Array);
    at += align8(a.byteLength);
  }
  return bytes.subarray(0, at);
}

/**
 * The engine as Pyodide's Python sees it. `call(op, fieldsJson, X, y, bytes, indices, indptr)`
 * takes buffers (absent inputs undefined); `callAt(op, fieldsJson, address, rows, cols, float32)`
 * takes a matrix X as its place in the WebAssembly heap, which spares a tiny call the
 * buffer proxy and view that cost most of its time. Both answer one byte array (see encodeAnswer).
 */
export class PyodideTransport {
  /** One thread: Pyodide's Python waits synchronously, and the bundle carries no worker script. */
  readonly engine = new Engine({ maxWorkers: 1 });
  /** Whether the last query read its rows straight from the WebAssembly heap. */
  lastQueryWasView = false;

  constructor(private readonly heap: () => ArrayBufferLike) {}

  call(op: string, fieldsJson: string, X?: PyProxy, y?: PyProxy, bytes?: PyProxy, indices?: PyProxy, indptr?: PyProxy): Uint8Array {
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
      return this.run(op, fields, decoded);
    } catch (e) {
      return failure(e);
    } finally {
      for (const v of views) v.release();
    }
  }

  callAt(op: string, fieldsJson: string, address: number, rows: number, cols: number, float32: boolean): Uint8Array {
    try {
      const heap = this.heap();
      const size = float32 ? 4 : 8;
      if (!Number.isSafeInteger(address) || address % size !== 0 || address < 0 || address + rows * cols * size > heap.byteLength) {
        throw new EngineError("internal", `X is not a ${float32 ? "float32" : "float64"} buffer of ${rows} x ${cols} in WebAssembly memory (address ${address})`);
      }
      const data = float32 ? new Float32Array(heap, address, rows * cols) : new Float64Array(heap, address, rows * cols);
      const copy = retainsInputs(op);
      if (!copy) this.lastQueryWasView = true;
      return this.run(op, JSON.parse(fieldsJson) as Record<string, unknown>, { X: matrixView(copy ? data.slice() : data, rows, cols) });
    } catch (e) {
      return failure(e);
    }
  }

  private run(op: string, fields: Record<string, unknown>, inputs: EngineInputs): Uint8Array {
    const { result, arrays } = this.engine.call(op, fields, inputs);
    const names: [string, string, number, number[] | null][] = [];
    const out: OutArray[] = [];
    for (const [name, a] of Object.entries(arrays)) {
      const data = ArrayBuffer.isView(a) ? a : (a as Matrix).data;
      names.push([name, formatOf(data), data.length, ArrayBuffer.isView(a) ? null : [(a as Matrix).rows, (a as Matrix).cols]]);
      out.push(data);
    }
    return encodeAnswer({ ok: true, result, arrays: names }, out);
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

function failure(e: unknown): Uint8Array {
  return encodeAnswer({ ok: false, error: { code: errorCode(e), message: e instanceof Error ? e.message : String(e) } });
}

/** The transport over Pyodide's API object (Python: `import pyodide_js`), whose heap it reads. */
export function createTransport(pyodide: { _module: { HEAPU8: Uint8Array } }): PyodideTransport {
  return new PyodideTransport(() => pyodide._module.HEAPU8.buffer);
}
