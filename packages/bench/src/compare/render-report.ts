/**
 * Opens a comparison report in headless Chromium (Debian's, driven by
 * playwright-core) at 1280 px, waits for every plotly chart, and for each one
 * counts the traces it drew and whether its legend overlaps a plot area;
 * collects console errors and saves a full-page screenshot (and, given a folder,
 * one image per chart, named by its id, and the first screenful). Prints one JSON line.
 *
 *   node --import tsx src/compare/render-report.ts report/index.html report/screenshot.png [report/charts]
 */
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [page, shot, chartDir] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  tab.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  tab.on("pageerror", (e) => errors.push(String(e)));
  tab.on("request", (r) => {
    if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) errors.push(`network request: ${r.url()}`);
  });
  await tab.goto(pathToFileURL(page).href);
  await tab.waitForFunction(
    () => Array.from(document.querySelectorAll(".chart")).every((c) => c.querySelector(".main-svg") !== null),
    undefined,
    { timeout: 60_000 },
  );
  // plain JavaScript text: tsx would wrap named functions in a helper the page lacks
  const charts = (await tab.evaluate(`(() => {
    const overlaps = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    return Array.from(document.querySelectorAll(".chart")).map((c) => {
      const legend = c.querySelector(".legend .bg");
      // the drag rectangles cover each subplot's plot area
      const plots = Array.from(c.querySelectorAll(".draglayer .nsewdrag")).map((d) => d.getBoundingClientRect());
      const box = legend ? legend.getBoundingClientRect() : null;
      return {
        id: c.id,
        svgs: c.querySelectorAll(".main-svg").length,
        // one group per drawn trace: scatter and bar traces are g.trace, heatmaps g.hm
        traces: c.querySelectorAll("g.trace, g.hm").length,
        width: Math.round(c.getBoundingClientRect().width),
        legendOverlapsPlot: box ? plots.some((p) => overlaps(box, p)) : false,
        legendInside: box ? box.right <= c.getBoundingClientRect().right + 1 : true,
      };
    });
  })()`)) as { id: string; svgs: number; traces: number; width: number; legendOverlapsPlot: boolean; legendInside: boolean }[];
  await tab.screenshot({ path: shot, fullPage: true });
  if (chartDir) {
    mkdirSync(chartDir, { recursive: true });
    await tab.screenshot({ path: join(chartDir, "first-view.png") }); // what a reader sees on opening the page
    for (const c of charts) await tab.locator(`#${c.id}`).screenshot({ path: join(chartDir, `${c.id}.png`) });
  }
  console.log(JSON.stringify({ charts, errors }));
} finally {
  await browser.close();
}
