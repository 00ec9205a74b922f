/**
 * An offline JupyterLite site (scripts/build-jupyterlite.py: Pyodide from the
 * npm package, the kernel's wheels from PyPI at build time, the knnkit wheel
 * in its piplite index) opens a knnkit notebook in headless Chromium and runs
 * it; no request leaves 127.0.0.1 and the notebook's answers equal the
 * TypeScript engine's.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { KDTree, KNeighborsClassifier } from "@knnkit/core";
import { buildWheel, launchChromium, ROOT, serveStatic, type StaticServer } from "./harness.js";

let server: StaticServer;
let browser: Browser;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "knnkit-lite-"));
  const site = join(work, "site");
  execFileSync(
    join(ROOT, ".venv/bin/python"),
    ["scripts/build-jupyterlite.py", "--wheel", buildWheel(work), "--out", site, "--contents", join(import.meta.dirname, "jupyterlite")],
    { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
  );
  server = await serveStatic({ "/": site }, { isolated: false });
  browser = await launchChromium();
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

it("runs a knnkit notebook in JupyterLite's Pyodide kernel offline, with the TypeScript engine's answers", async () => {
  const page = await browser.newPage();
  const outside: string[] = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(server.url) && !request.url().startsWith("ws://127.0.0.1")) outside.push(request.url());
  });
  await page.goto(`${server.url}/notebooks/index.html?path=knnkit-lite.ipynb`);
  // Run All before the kernel's session is up runs nothing (every prompt stays "[ ]"): ask again until a cell starts
  const started = page.locator('.jp-InputPrompt:has-text("*"), .jp-InputPrompt:has-text("1"), .jp-OutputArea-output').first();
  for (let attempt = 1; ; attempt++) {
    await page.click("li.lm-MenuBar-item >> text=Run");
    await page.click(".lm-Menu-item >> text=Run All Cells");
    try {
      await started.waitFor({ timeout: 30_000 });
      break;
    } catch (e) {
      if (attempt === 5) throw e;
    }
  }
  // the result's line, or the first error, whichever comes
  const outputs = page.locator(".jp-OutputArea-output");
  await page
    .locator('.jp-OutputArea-output:has-text("knnkit-result:"), .jp-OutputArea-output:has-text("Traceback"), .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    .first()
    .waitFor({ timeout: 300_000 });
  const shown = await outputs.allTextContents();
  const line = shown.find((text) => text.startsWith("knnkit-result: "));
  expect(line, shown.join("\n")).toBeDefined();
  const result = JSON.parse(line!.slice("knnkit-result: ".length)) as { X: number[]; labels: string[]; Q: number[]; predict: string[]; indices: number[][] };
  expect(outside).toEqual([]);

  const rows = (flat: number[]) => Array.from({ length: flat.length / 3 }, (_, i) => flat.slice(i * 3, i * 3 + 3));
  expect(result.predict).toEqual(new KNeighborsClassifier({ nNeighbors: 5, weights: "distance" }).fit(rows(result.X), result.labels).predict(rows(result.Q)));
  expect(result.indices.flat()).toEqual(Array.from(KDTree.build(rows(result.X)).query(rows(result.Q), 5).indices));
  expect(new Set(result.predict).size).toBe(2); // the queries sit on both sides of the classes' border
  await page.close();
}, 360_000); // a loaded 2-core CI host has taken over 120 s to start the kernel
