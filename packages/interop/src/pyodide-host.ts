/**
 * The Pyodide host: starts Pyodide from the `pyodide` npm package (offline),
 * registers the knnkit engine as the Python module `knnkit_engine`, installs the
 * `knnkit` Python package from the repository's source tree, and returns the
 * interpreter. Python's arrays reach the engine through the buffer protocol:
 * `getBuffer()` hands JavaScript a typed-array view on the WebAssembly heap.
 *
 * Where copies happen, and why:
 *  - fit: the training rows are copied once, because the index must own its data
 *    (WebAssembly memory can grow and move, which detaches every view on it);
 *  - queries: read in place from the WebAssembly heap (no copy);
 *  - results: JavaScript typed arrays are copied into Python memory (one copy;
 *    Python cannot hold JavaScript memory).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  KNeighborsClassifier,
  KNeighborsRegressor,
  KnnIndex,
  KnnInputError,
  NotFittedError,
  matrixView,
  type FloatArray,
  type Matrix,
} from "@knnkit/core";
import { describeFitted, fitByName, type Fitted } from "./fitted.js";
import { deserialize, serialize } from "./persistence.js";


interface BufferView {
  data: ArrayBufferView;
  release(): void;
}

interface PyBufferProxy {
  getBuffer(type?: string): BufferView;
}

export interface PyodideLike {
  registerJsModule(name: string, module: object): void;
  runPython(code: string): unknown;
  runPythonAsync(code: string): Promise<unknown>;
  loadPackage(names: string | string[]): Promise<unknown[]>;
  FS: { mkdirTree(path: string): void; writeFile(path: string, data: string | Uint8Array): void };
  _module: { HEAPU8: Uint8Array };
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** Errors cross to Python with a type prefix the backend maps to ValueError / NotFittedError. */
function tagged(e: unknown): Error {
  if (e instanceof NotFittedError) return new Error(`NotFittedError: ${e.message}`);
  if (e instanceof KnnInputError) return new Error(`KnnInputError: ${e.message}`);
  return e instanceof Error ? e : new Error(String(e));
}

/** The engine as Pyodide sees it: plain functions over buffers and handles. */
export class PyodideEngine {
  private objects = new Map<number, Fitted>();
  private next = 1;
  /** Whether the last query read its rows straight from the WebAssembly heap. */
  lastQueryWasView = false;

  constructor(private readonly heap: () => ArrayBufferLike) {}

  private matrix(proxy: PyBufferProxy, rows: number, cols: number, copy: boolean): { m: Matrix; done: () => void } {
    const view = proxy.getBuffer();
    const data = view.data;
    if (!(data instanceof Float64Array || data instanceof Float32Array)) {
      view.release();
      throw new KnnInputError(`arrays must hold float64 or float32 values, got ${data.constructor.name}`);
    }
    const m = matrixView(copy ? (data.slice() as FloatArray) : (data as FloatArray), rows, cols);
    if (!copy) this.lastQueryWasView = data.buffer === this.heap();
    if (copy) view.release();
    return { m, done: () => (copy ? undefined : view.release()) };
  }

  private get(handle: number): Fitted {
    const obj = this.objects.get(handle);
    if (!obj) throw new NotFittedError(`object ${handle}`);
    return obj;
  }

  private run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw tagged(e);
    }
  }

  fit(kind: string, paramsJson: string, X: PyBufferProxy, rows: number, cols: number, y: PyBufferProxy | null): string {
    return this.run(() => {
      const { m } = this.matrix(X, rows, cols, true);
      const params = JSON.parse(paramsJson) as Record<string, never>;
      let target: number[] = [];
      if (y) {
        const v = y.getBuffer();
        target = Array.from(v.data as Float64Array);
        v.release();
      }
      const obj = fitByName(kind, params, m, () => target);
      return this.describe(this.store(obj), obj);
    });
  }

  private store(obj: Fitted): number {
    const h = this.next++;
    this.objects.set(h, obj);
    return h;
  }

  private describe(handle: number, obj: Fitted): string {
    return JSON.stringify({ handle, ...describeFitted(obj) });
  }

  kneighbors(handle: number, X: PyBufferProxy | null, rows: number, cols: number, k: number): { indices: Int32Array; distances: Float64Array } {
    return this.run(() => {
      const obj = this.get(handle);
      if (!X) {
        if (obj instanceof KnnIndex) throw new KnnInputError("query needs X");
        const r = obj.kneighbors(undefined, k);
        return { indices: r.indices, distances: r.distances };
      }
      const { m, done } = this.matrix(X, rows, cols, false);
      try {
        const r = obj instanceof KnnIndex ? obj.query(m, k, { workers: 1 }) : obj.kneighbors(m, k);
        return { indices: r.indices, distances: r.distances };
      } finally {
        done();
      }
    });
  }

  radius(handle: number, X: PyBufferProxy | null, rows: number, cols: number, r: number, sort: boolean, countOnly: boolean) {
    return this.run(() => {
      const obj = this.get(handle);
      const options = { sortResults: sort, countOnly, workers: 1 };
      if (!X) {
        if (obj instanceof KnnIndex) throw new KnnInputError("query_radius needs X");
        return obj.radiusNeighbors(undefined, r, options);
      }
      const { m, done } = this.matrix(X, rows, cols, false);
      try {
        return obj instanceof KnnIndex ? obj.queryRadius(m, r, options) : obj.radiusNeighbors(m, r, options);
      } finally {
        done();
      }
    });
  }

  predict(handle: number, X: PyBufferProxy, rows: number, cols: number): Float64Array {
    return this.run(() => {
      const obj = this.get(handle);
      const { m, done } = this.matrix(X, rows, cols, false);
      try {
        if (obj instanceof KNeighborsClassifier) return Float64Array.from(obj.predict(m) as number[]);
        if (obj instanceof KNeighborsRegressor) return obj.predict(m);
        throw new KnnInputError(`object ${handle} cannot predict`);
      } finally {
        done();
      }
    });
  }

  predict_proba(handle: number, X: PyBufferProxy, rows: number, cols: number): Float64Array {
    return this.run(() => {
      const obj = this.get(handle);
      if (!(obj instanceof KNeighborsClassifier)) throw new KnnInputError(`object ${handle} cannot predict probabilities`);
      const { m, done } = this.matrix(X, rows, cols, false);
      try {
        return obj.predictProba(m).data;
      } finally {
        done();
      }
    });
  }

  save_bytes(handle: number): Uint8Array {
    return this.run(() => serialize(this.get(handle)));
  }

  load_bytes(bytes: PyBufferProxy): string {
    return this.run(() => {
      const v = bytes.getBuffer();
      const copy = new Uint8Array((v.data as Uint8Array).slice());
      v.release();
      const obj = deserialize(copy);
      return this.describe(this.store(obj), obj);
    });
  }

  /** Transfer benchmark: reads a matrix in place and hands back a copy. */
  echo(X: PyBufferProxy): Float64Array | Float32Array {
    const v = X.getBuffer();
    const out = (v.data as Float64Array).slice();
    this.lastQueryWasView = v.data.buffer === this.heap();
    v.release();
    return out;
  }

  free(handle: number): void {
    this.objects.delete(handle);
  }

  count(): number {
    return this.objects.size;
  }
}

export interface KnnkitPyodide {
  pyodide: PyodideLike;
  engine: PyodideEngine;
  /** Names of the wheels loaded from the local wheel directory (empty when there are none). */
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
 * Starts Pyodide offline with the knnkit package installed (from the repository
 * source) and the engine registered. Wheels found in `wheelDir` (default
 * `.cache/pyodide-wheels`, filled by set-up when PyPI serves Pyodide wheels)
 * are loaded first.
 */
export async function loadKnnkitPyodide(options: { wheelDir?: string; packageDir?: string } = {}): Promise<KnnkitPyodide> {
  const require = createRequire(import.meta.url);
  const { loadPyodide } = (await import("pyodide")) as unknown as { loadPyodide: (o: object) => Promise<PyodideLike> };
  const indexURL = dirname(require.resolve("pyodide/package.json")) + "/";
  const py = await loadPyodide({ indexURL, stdout: () => undefined, stderr: () => undefined });
  const wheelDir = options.wheelDir ?? join(REPO_ROOT, ".cache", "pyodide-wheels");
  const wheels = existsSync(wheelDir) ? readdirSync(wheelDir).filter((f) => f.endsWith(".whl")) : [];
  if (wheels.length > 0) {
    const loaded = await py.loadPackage(wheels.map((w) => join(wheelDir, w)));
    if (loaded.length !== wheels.length) throw new Error(`Pyodide loaded ${loaded.length} of ${wheels.length} wheels from ${wheelDir}`);
  }
  const engine = new PyodideEngine(() => py._module.HEAPU8.buffer);
  py.registerJsModule("knnkit_engine", engine);
  const packageDir = options.packageDir ?? join(REPO_ROOT, "packages", "python", "src", "knnkit");
  const target = "/home/pyodide/knnkit_src/knnkit";
  py.FS.mkdirTree(target);
  copyTree(py, packageDir, target);
  py.runPython(`import sys\nsys.path.insert(0, "/home/pyodide/knnkit_src")`);
  return { pyodide: py, engine, wheels };
}
