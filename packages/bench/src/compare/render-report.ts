/**
 * Opens a comparison report in headless Chromium (Debian's, driven by
 * playwright-core), counts what each plotly chart drew, collects console
 * errors and saves a screenshot. Prints one JSON line.
 *
 *   node --import tsx src/compare/render-report.ts report/index.html report/screenshot.png
 */
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";

const [page, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  tab.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  tab.on("pageerror", (e) => errors.push(String(e)));
  await tab.goto(pathToFileURL(page).href);
  await tab.waitForFunction(() => document.querySelectorAll(".chart .main-svg").length > 0, undefined, { timeout: 30_000 });
  const charts = await tab.evaluate(() =>
    Array.from(document.querySelectorAll(".chart")).map((c) => ({
      id: c.id,
      svgs: c.querySelectorAll(".main-svg").length,
      traces: c.querySelectorAll(".trace").length,
    })),
  );
  await tab.screenshot({ path: shot, fullPage: true });
  console.log(JSON.stringify({ charts, errors }));
} finally {
  await browser.close();
}
