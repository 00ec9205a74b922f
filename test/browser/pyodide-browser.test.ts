/**
 * The knnkit wheel in Pyodide in a real browser (headless Debian Chromium):
 * the page loads Pyodide from the npm package's files, installs the wheel by
 * unpacking it, fits and predicts, and shows the result; it must equal the
 * TypeScript engine's answer on the same data.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { KDTree, KNeighborsClassifier, KNeighborsRegressor, mulberry32 } from "@knnkit/core";
import { buildWheel, launchChromium, PAGES, ROOT, serveStatic, type StaticServer } from "./harness.js";

const require = createRequire(join(ROOT, "packages/interop/package.json"));
const PYODIDE = dirname(require.resolve("pyodide/package.json"));

const rand = mulberry32(14);
const cols = 4;
const X = Array.from({ length: 300 * cols }, () => rand());
const Q = Array.from({ length: 25 * cols }, () => rand());
const input = {
  cols,
  k: 5,
  X,
  Q,
  labels: Array.from({ length: 300 }, (_, i) => (X[i * cols] + X[i * cols + 1] > 1 ? 1 : 0) + (X[i * cols + 2] > 0.7 ? 2 : 0)),
  values: Array.from({ length: 300 }, (_, i) => 3 * X[i * cols] - X[i * cols + 3]),
};

let server: StaticServer;
let browser: Browser;
let wheelName: string;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "knnkit-pyodide-page-"));
  const wheel = buildWheel(work);
  wheelName = basename(wheel);
  const data = join(work, "data");
  mkdirSync(data);
  writeFileSync(join(data, "input.json"), JSON.stringify(input));
  server = await serveStatic({ "/": PAGES, "/pyodide/": PYODIDE, "/wheel/": dirname(wheel), "/data/": data }, { isolated: false });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

it("Pyodide in Chromium installs the knnkit wheel and predicts what the TypeScript engine predicts", async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/pyodide.html?wheel=${wheelName}&input=/data/input.json`);
  const status = page.locator("#status");
  await page.waitForSelector("#status:not([data-state=loading])", { timeout: 90_000 });
  expect(await status.getAttribute("data-state"), await status.textContent() ?? "").toBe("done");
  expect(await status.textContent()).toBe("done (backend pyodide)");
  const shown = JSON.parse((await page.locator("#result").textContent())!);
  expect(await page.locator("#predictions tbody tr").count()).toBe(25);

  const rows = (flat: number[]) => Array.from({ length: flat.length / cols }, (_, i) => flat.slice(i * cols, (i + 1) * cols));
  const clf = new KNeighborsClassifier({ nNeighbors: 5, weights: "distance" }).fit(rows(X), input.labels);
  expect(shown.predict).toEqual(clf.predict(rows(Q)));
  expect(shown.proba.flat()).toEqual(Array.from(clf.predictProba(rows(Q)).data));
  const reg = new KNeighborsRegressor({ nNeighbors: 5 }).fit(rows(X), input.values);
  expect(shown.regress).toEqual(Array.from(reg.predict(rows(Q))));
  const res = KDTree.build(rows(X), { leafSize: 10 }).query(rows(Q), 5);
  expect(shown.indices.flat()).toEqual(Array.from(res.indices));
  expect(shown.distances.flat()).toEqual(Array.from(res.distances));
  await page.close();
});
