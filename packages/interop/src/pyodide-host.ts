/**
 * The Pyodide host for Node: starts Pyodide from the `pyodide` npm package
 * (offline) and installs the knnkit Python package into it, from a built
 * wheel or a source folder whose knnkit/_engine holds the bundled engine.
 * Python then loads the engine itself (see knnkit/_backend/pyodide.py), as it
 * does in a browser: the host registers nothing.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import type { PyodideTransport } from "./pyodide-transport.js";

export interface PyodideLike {
  runPython(code: string): unknown;
  runPythonAsync(code: string): Promise<unknown>;
  loadPackage(names: string | string[]): Promise<unknown[]>;
  FS: { mkdirTree(path: string): void; writeFile(path: string, data: string | Uint8Array): void };
  _module: { HEAPU8: Uint8Array };
}

export interface KnnkitPyodide {
  pyodide: PyodideLike;
  /** The engine's transport as Python loaded it (for inspection in tests). */
  transport: PyodideTransport;
  /** Names of the wheels loaded from `wheelDir` (empty when there are none). */
  wheels: string[];
}

export interface PyodideHostOptions {
  /** A knnkit wheel to install (unpacked into site-packages). */
  wheel?: string;
  /** Or a folder holding a built `knnkit/` package (its `_engine/` included), put on sys.path. */
  packageDir?: string;
  /** A folder of other wheels (numpy, when PyPI serves one for Pyodide) to load first. */
  wheelDir?: string;
}

const PACKAGE_FILES = [".py", ".js", ".json"];

function copyTree(py: PyodideLike, from: string, to: string): void {
  for (const entry of readdirSync(from)) {
    const src = join(from, entry);
    const dst = `${to}/${entry}`;
    if (statSync(src).isDirectory()) {
      if (entry === "__pycache__") continue;
      py.FS.mkdirTree(dst);
      copyTree(py, src, dst);
    } else if (PACKAGE_FILES.some((ext) => entry.endsWith(ext))) {
      py.FS.writeFile(dst, readFileSync(src));
    }
  }
}

/** Starts Pyodide offline with knnkit installed from a wheel or a package folder. */
export async function loadKnnkitPyodide(options: PyodideHostOptions): Promise<KnnkitPyodide> {
  if (!options.wheel === !options.packageDir) throw new Error("loadKnnkitPyodide needs exactly one of wheel or packageDir");
  const require = createRequire(import.meta.url);
  let indexURL: string;
  try {
    indexURL = dirname(require.resolve("pyodide/package.json")) + "/";
  } catch {
    throw new Error("the Pyodide host needs the pyodide package, an optional peer dependency of @knnkit/interop: npm install pyodide");
  }
  const { loadPyodide } = (await import("pyodide")) as unknown as { loadPyodide: (o: object) => Promise<PyodideLike> };
  const py = await loadPyodide({ indexURL, stdout: () => undefined, stderr: () => undefined });
  const wheels = options.wheelDir ? safeList(options.wheelDir).filter((f) => f.endsWith(".whl")) : [];
  if (wheels.length > 0) {
    const loaded = await py.loadPackage(wheels.map((w) => join(options.wheelDir as string, w)));
    if (loaded.length !== wheels.length) throw new Error(`Pyodide loaded ${loaded.length} of ${wheels.length} wheels from ${options.wheelDir}`);
  }
  if (options.wheel) {
    py.FS.mkdirTree("/tmp/wheels");
    const path = `/tmp/wheels/${basename(options.wheel)}`;
    py.FS.writeFile(path, readFileSync(options.wheel));
    py.runPython(`import site, zipfile\nzipfile.ZipFile(${JSON.stringify(path)}).extractall(site.getsitepackages()[0])`);
  } else {
    const target = "/home/pyodide/knnkit_src/knnkit";
    py.FS.mkdirTree(target);
    copyTree(py, join(options.packageDir as string, "knnkit"), target);
    py.runPython(`import sys\nsys.path.insert(0, "/home/pyodide/knnkit_src")`);
  }
  const transport = py.runPython("from knnkit._backend.pyodide import transport\ntransport()") as PyodideTransport;
  return { pyodide: py, transport, wheels };
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
