// Bundles @knnkit/core for browsers (the package's "browser" export): one ES module,
// dist/browser/knnkit-core.js, and the Web Worker that queryAsync's pool starts,
// dist/browser/browser-worker.js (found next to it, see src/web-pool.ts).
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", "browser");
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { "knnkit-core": join(root, "dist/index.js"), "browser-worker": join(root, "dist/browser-worker.js") },
  outdir,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  sourcemap: true,
  legalComments: "none",
  logLevel: "warning",
});
