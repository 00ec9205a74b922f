// Bundles the engine into the Python package (packages/python/src/knnkit/_engine/), with
// apache-arrow and the WebAssembly kernels inside, so it needs no node_modules:
//  - knnkit-bridge.js + worker.js: the IPC transport, run by Node (CPython's backend);
//  - knnkit-pyodide.js: the Pyodide transport, a script that Pyodide's Python evaluates in
//    its JavaScript context (Node or a browser); its value is { createTransport }.
import { build } from "esbuild";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "packages/python/src/knnkit/_engine");
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
// the worker thread is found next to the bridge as ./worker.js (see core/src/parallel.ts); both are ES modules
writeFileSync(join(outdir, "package.json"), JSON.stringify({ type: "module", private: true }) + "\n");
await build({
  entryPoints: {
    "knnkit-bridge": join(root, "packages/interop/bin/knnkit-bridge.js"),
    worker: join(root, "packages/core/dist/worker.js"),
  },
  outdir,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
await build({
  entryPoints: [join(root, "packages/interop/dist/pyodide-transport.js")],
  outfile: join(outdir, "knnkit-pyodide.js"),
  bundle: true,
  format: "iife",
  globalName: "knnkitPyodide",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
  // the worker pool's script URL (import.meta) is never reached: the Pyodide engine runs on one thread
  logOverride: { "empty-import-meta": "silent" },
});
