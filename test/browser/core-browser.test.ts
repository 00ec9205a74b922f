/**
 * @knnkit/core's browser build (packages/core/dist/browser) in headless
 * Chromium: KDTree and BruteForce answers equal a brute force written out
 * here, from one thread on a plain page and from a pool of Web Workers on a
 * cross-origin-isolated one (queryAsync / queryRadiusAsync).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build } from "esbuild";
import type { Browser } from "playwright-core";
import { mulberry32 } from "@knnkit/core";
import { launchChromium, PAGES, ROOT, serveStatic } from "./harness.js";

const BUNDLE = join(ROOT, "packages/core/dist/browser");
const P = { seed: 1414, rows: 3000, queries: 400, cols: 8, k: 7, r: 0.55, workers: 2 };

interface Answer {
  indices: number[];
  distances: number[];
  offsets?: number[];
}

interface Report {
  crossOriginIsolated: boolean;
  sharedArrayBuffer: string;
  webWorkersAvailable: boolean;
  hardwareConcurrency: number;
  workerChunks: number[];
  results: Record<string, Record<"sync" | "async" | "radius", Answer> & { concurrent: Answer[] }>;
}

/** Plain brute force: every distance, sorted by (distance, index). */
function expected() {
  const rand = mulberry32(P.seed);
  const X = Float64Array.from({ length: P.rows * P.cols }, rand);
  const Q = Float64Array.from({ length: P.queries * P.cols }, rand);
  const knn: { indices: number[]; distances: number[] } = { indices: [], distances: [] };
  const radius: { offsets: number[]; indices: number[]; distances: number[] } = { offsets: [0], indices: [], distances: [] };
  for (let q = 0; q < P.queries; q++) {
    const all = Array.from({ length: P.rows }, (_, i) => {
      let s = 0;
      for (let c = 0; c < P.cols; c++) s += (X[i * P.cols + c] - Q[q * P.cols + c]) ** 2;
      return { i, d: Math.sqrt(s) };
    }).sort((a, b) => a.d - b.d || a.i - b.i);
    for (const { i, d } of all.slice(0, P.k)) knn.indices.push(i), knn.distances.push(d);
    for (const { i, d } of all.filter((n) => n.d <= P.r)) radius.indices.push(i), radius.distances.push(d);
    radius.offsets.push(radius.indices.length);
  }
  return { knn, radius };
}

function expectClose(actual: number[], wanted: number[]): void {
  expect(actual.length).toBe(wanted.length);
  const worst = actual.reduce((m, a, i) => Math.max(m, Math.abs(a - wanted[i])), 0);
  expect(worst).toBeLessThan(1e-9);
}

let browser: Browser;
const truth = expected();

beforeAll(async () => {
  if (!existsSync(join(BUNDLE, "knnkit-core.js"))) throw new Error("packages/core/dist/browser is not built: run `pnpm run build` first");
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function openPage(isolated: boolean): Promise<Report> {
  const server = await serveStatic({ "/": PAGES, "/core/": BUNDLE }, { isolated });
  try {
    const page = await browser.newPage();
    const query = new URLSearchParams(Object.entries(P).map(([key, value]): [string, string] => [key, String(value)]));
    await page.goto(`${server.url}/core.html?${query}`);
    await page.waitForSelector("#status:not([data-state=loading])", { timeout: 60_000 });
    const status = page.locator("#status");
    expect(await status.getAttribute("data-state"), (await status.textContent()) ?? "").toBe("done");
    const report = JSON.parse((await page.locator("#result").textContent())!) as Report;
    await page.close();
    return report;
  } finally {
    await server.close();
  }
}

function checkAnswers(report: Report): void {
  expect(Object.keys(report.results)).toEqual(["brute", "kd_tree"]);
  for (const { sync, async: parallel, radius, concurrent } of Object.values(report.results)) {
    expect(sync.indices).toEqual(truth.knn.indices);
    expectClose(sync.distances, truth.knn.distances);
    expect(parallel).toEqual(sync);
    expect(radius.offsets).toEqual(truth.radius.offsets);
    expect(radius.indices).toEqual(truth.radius.indices);
    expectClose(radius.distances, truth.radius.distances);
    expect(concurrent).toEqual([parallel, radius]);
  }
  expect(truth.radius.indices.length).toBeGreaterThan(P.queries); // the radius finds neighbours
}

describe("@knnkit/core's browser build in Chromium", () => {
  it("is what a bundler targeting browsers takes for @knnkit/core (the 'browser' export condition)", async () => {
    const { metafile } = await build({
      stdin: { contents: 'export { KDTree } from "@knnkit/core";', resolveDir: ROOT },
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    expect(Object.keys(metafile.inputs).filter((f) => f.includes("packages/core/"))).toEqual(["packages/core/dist/browser/knnkit-core.js"]);
  });


  it("on a cross-origin-isolated page, queryAsync spreads the rows over Web Workers and answers like brute force", async () => {
    const report = await openPage(true);
    expect(report.crossOriginIsolated).toBe(true);
    expect(report.sharedArrayBuffer).toBe("function");
    expect(report.webWorkersAvailable).toBe(true);
    expect(report.hardwareConcurrency, "the machine has one core: nothing to spread").toBeGreaterThan(1);
    // two workers, and each ran its own first chunk of each of the eight batches (k-NN and radius, twice, two indexes)
    expect(report.workerChunks.length).toBe(P.workers);
    for (const chunks of report.workerChunks) expect(chunks).toBeGreaterThanOrEqual(8);
    checkAnswers(report);
  });

  it("on a plain page (no SharedArrayBuffer), the same calls run on one thread with the same answers", async () => {
    const report = await openPage(false);
    expect(report.crossOriginIsolated).toBe(false);
    expect(report.sharedArrayBuffer).toBe("undefined");
    expect(report.webWorkersAvailable).toBe(false);
    expect(report.workerChunks).toEqual([]);
    checkAnswers(report);
  });
});
