// Writes dist/ (after `pnpm run build`, see the root "package" script):
//   knnkit-<version>-py3-none-any.whl   the Python package with its engine bundle (python -m build)
//   knnkit-core-<version>.tgz, knnkit-interop-<version>.tgz   (pnpm pack)
// The version is the root package.json's: it is stamped into the npm packages' package.json
// here, and the wheel takes it from knnkit/_engine/VERSION (written by bundle-engine.mjs).
// PYTHON names the interpreter that has `build` and setuptools (default .venv/bin/python).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const python = process.env.PYTHON ?? join(root, ".venv/bin/python");
const engineVersion = join(root, "packages/python/src/knnkit/_engine/VERSION");

if (!existsSync(engineVersion) || readFileSync(engineVersion, "utf8").trim() !== version) {
  throw new Error(`packages/python/src/knnkit/_engine is missing or stale: run \`pnpm run build\` first (or \`pnpm package\`)`);
}
for (const pkg of ["core", "interop"]) {
  const path = join(root, "packages", pkg, "package.json");
  const text = readFileSync(path, "utf8");
  const stamped = text.replace(/^(  "version": )"[^"]*"/m, `$1"${version}"`);
  if (stamped !== text) {
    writeFileSync(path, stamped);
    console.log(`package: packages/${pkg}/package.json version set to ${version}`);
  }
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);

// the wheel is built from a clean copy: setuptools' build/ folder would otherwise keep stale files
const work = mkdtempSync(join(tmpdir(), "knnkit-wheel-"));
try {
  const src = join(root, "packages/python");
  for (const f of ["pyproject.toml", "README.md"]) cpSync(join(src, f), join(work, f));
  cpSync(join(src, "src/knnkit"), join(work, "src/knnkit"), {
    recursive: true,
    filter: (p) => !/(__pycache__|\.egg-info)$/.test(basename(p)),
  });
  execFileSync(python, ["-m", "build", "--wheel", "--no-isolation", "--outdir", dist, work], { stdio: ["ignore", "ignore", "inherit"] });
} finally {
  rmSync(work, { recursive: true, force: true });
}

for (const pkg of ["core", "interop"]) {
  execFileSync("pnpm", ["pack", "--pack-destination", dist], { cwd: join(root, "packages", pkg), stdio: ["ignore", "ignore", "inherit"] });
}

const expected = [`knnkit-${version}-py3-none-any.whl`, `knnkit-core-${version}.tgz`, `knnkit-interop-${version}.tgz`];
const written = readdirSync(dist).sort();
if (JSON.stringify(written) !== JSON.stringify([...expected].sort())) {
  throw new Error(`dist/ holds ${written.join(", ")}; expected ${expected.join(", ")}`);
}
for (const f of expected) console.log(`dist/${f}`);
