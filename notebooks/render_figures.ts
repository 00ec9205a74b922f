/**
 * Renders plotly figures to PNG in headless Chromium (Debian's, driven by playwright-core, with
 * plotly.js from node_modules: nothing is fetched), so a notebook can carry a static image beside
 * each interactive figure. Reads a JSON list of {data, layout} figures; prints a JSON list of
 * base64 PNGs in the same order.
 *
 *   node --import tsx notebooks/render_figures.ts FIGURES.json     (cwd: packages/bench)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const WIDTH = 900;
const HEIGHT = 450;

const figures = JSON.parse(readFileSync(process.argv[2], "utf8")) as { data: object[]; layout?: { width?: number; height?: number } }[];
const plotly = readFileSync(createRequire(import.meta.url).resolve("plotly.js-dist-min"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "knnkit-figures-"));
const page = join(dir, "render.html");
writeFileSync(page, `<!doctype html><html><head><meta charset="utf-8"><script>${plotly}</script></head><body><div id="fig"></div></body></html>`);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const tab = await browser.newPage();
  await tab.goto(pathToFileURL(page).href);
  const images: string[] = [];
  for (const fig of figures) {
    const width = fig.layout?.width ?? WIDTH;
    const height = fig.layout?.height ?? HEIGHT;
    const url = (await tab.evaluate(
      `Plotly.newPlot("fig", ${JSON.stringify(fig.data)}, ${JSON.stringify({ ...fig.layout, width, height })}, { staticPlot: true })
        .then((gd) => Plotly.toImage(gd, { format: "png", width: ${width}, height: ${height} }))`,
    )) as string;
    images.push(url.slice(url.indexOf(",") + 1));
  }
  console.log(JSON.stringify(images));
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
