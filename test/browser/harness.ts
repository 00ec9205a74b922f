/**
 * What the browser tests share: a static file server on 127.0.0.1 (optionally
 * sending the cross-origin-isolation headers) and headless Debian Chromium
 * driven by playwright-core.
 */
import { execFileSync } from "node:child_process";
import { cpSync, createReadStream, existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, resolve, sep } from "node:path";
import { chromium, type Browser } from "playwright-core";

export const ROOT = join(import.meta.dirname, "../..");
export const PAGES = join(import.meta.dirname, "pages");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".zip": "application/zip",
  ".whl": "application/zip",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".webmanifest": "application/manifest+json",
};

export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves each URL prefix ("/pyodide/") from a folder (a folder's index.html
 * for the folder); files outside the folders are not reachable. With
 * `isolated`, every answer carries COOP same-origin and COEP require-corp, so
 * pages get SharedArrayBuffer.
 */
export async function serveStatic(mounts: Record<string, string>, options: { isolated: boolean }): Promise<StaticServer> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const prefix = Object.keys(mounts)
      .filter((p) => path.startsWith(p))
      .sort((a, b) => b.length - a.length)[0];
    const root = prefix === undefined ? undefined : resolve(mounts[prefix]);
    let file = root === undefined ? undefined : resolve(root, "." + path.slice(prefix!.length - 1));
    if (file !== undefined && existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (root === undefined || file === undefined || !(file + sep).startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" };
    if (options.isolated) {
      headers["cross-origin-opener-policy"] = "same-origin";
      headers["cross-origin-embedder-policy"] = "require-corp";
    }
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** Debian's chromium, headless (playwright adds --headless), with no connections of its own (this machine's network is closed). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/**
 * A wheel of packages/python built now inside `work` (from a copy, so no
 * build/ folder is left in the checkout); its engine bundle comes from
 * `pnpm run build`.
 */
export function buildWheel(work: string): string {
  const src = join(ROOT, "packages/python");
  if (!existsSync(join(src, "src/knnkit/_engine/knnkit-pyodide.js"))) {
    throw new Error("packages/python/src/knnkit/_engine is not built: run `pnpm run build` first");
  }
  cpSync(src, join(work, "python"), {
    recursive: true,
    filter: (p) => !/(__pycache__|\.egg-info|\.pytest_cache|[/\\]build|[/\\]tests|[/\\]benchmarks)$/.test(p),
  });
  const out = join(work, "wheel");
  execFileSync(join(ROOT, ".venv/bin/python"), ["-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check", "-w", out, join(work, "python")], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const wheel = readdirSync(out).find((f) => f.endsWith(".whl"));
  if (!wheel) throw new Error(`pip wheel wrote no wheel into ${out}`);
  return join(out, wheel);
}
