// Bundles the engine into the Python package (packages/python/src/knnkit/_engine/), with
// apache-arrow and the WebAssembly kernels inside, so it needs no node_modules:
//  - knnkit-bridge.js + worker.js: the IPC transport, run by Node (CPython's backend);
//  - knnkit-pyodide.js: the Pyodide transport, a script that Pyodide's Python evaluates in
//    its JavaScript context (Node or a browser); its value is { createTransport }.
// package.json there also carries the version (the root package.json's, which the wheel takes
// through _engine/VERSION) and each bundle's sha256, by which the Python client tells a damaged
// bundle from an engine that failed.
import { createHash } from "node:crypto";
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "packages/python/src/knnkit/_engine");
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
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
// the worker thread is found next to the bridge as ./worker.js (see core/src/parallel.ts); both are ES modules
const bundles = ["knnkit-bridge.js", "worker.js", "knnkit-pyodide.js"];
const sha256 = Object.fromEntries(bundles.map((f) => [f, createHash("sha256").update(readFileSync(join(outdir, f))).digest("hex")]));
writeFileSync(join(outdir, "package.json"), JSON.stringify({ name: "knnkit-engine", version, type: "module", private: true, sha256 }, null, 1) + "\n");
writeFileSync(join(outdir, "VERSION"), version + "\n");
