// Bundles the engine's IPC transport (bridge + worker thread, apache-arrow and the
// WebAssembly kernels inside) into the Python package: packages/python/src/knnkit/_engine/.
// The Python package runs it with Node and needs no node_modules.
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
