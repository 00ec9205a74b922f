/**
 * Prefilter benchmark on P1 (make_classification-like) and P2 (XOR, the failure
 * case): the trade-off table (candidate fraction vs recall@10, accuracy delta,
 * queries/s, speed-up against brute force and the best exact tree), and what
 * the tuner chooses. All numbers are measured on held-out rows in one process.
 *
 *   pnpm bench:prefilter [--quick] [--queries 1000]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { prefilterTradeoff, tunePrefilter, type TradeoffResult } from "@knnkit/core";
import { makeP1, makeP2 } from "./prefilter-datasets.js";
import { fmt } from "./timing.js";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const qi = argv.indexOf("--queries");
const queries = qi >= 0 ? Number(argv[qi + 1]) : quick ? 100 : 1000;
const N = quick ? 5_000 : 200_000;
const k = 10;
const fractions = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1];

function table(name: string, r: TradeoffResult): string {
  const lines = [
    `${name}: exact accuracy ${fmt(r.exactScore * 100, 2)}%, brute force ${fmt(r.bruteQps)} q/s, best exact tree ${r.bestTree.algorithm} ${fmt(r.bestTree.queriesPerSecond)} q/s (1 thread, ${r.holdoutRows} held-out queries)`,
    "",
    "| candidates | halving | recall@10 | accuracy | Δ accuracy (pts) | queries/s | × brute | × best tree |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const p of r.points) {
    lines.push(
      `| ${fmt(p.fraction * 100, 0)}% | ${p.halvingStages} | ${fmt(p.recall, 3)} | ${fmt(p.score * 100, 2)}% | ${fmt(p.scoreDelta * 100, 2)} | ${fmt(p.queriesPerSecond)} | ${fmt(p.speedupVsBrute, 1)} | ${fmt(p.speedupVsBestTree, 1)} |`,
    );
  }
  return lines.join("\n");
}

const out: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, N, queries, k };
for (const make of [makeP1, makeP2]) {
  const d = make(N + queries);
  process.stderr.write(`${d.name}: ${d.description}, N=${N}, held-out queries=${queries}\n`);
  const sweep = prefilterTradeoff(d.X, d.y, { k, fractions, halvingStages: [0, 1, 2], holdout: queries, seed: 1, repeats: 3 });
  console.log(table(d.name, sweep));
  const tuned = [0.9, 0.95].map((targetRecall) => tunePrefilter(d.X, d.y, { k, targetRecall, fractions, holdout: queries, seed: 2, repeats: 1 }));
  for (const t of tuned) {
    console.log(
      `\n${d.name} tuner, target recall ${t.targetRecall}: ${t.met ? "met" : "NOT met"} with candidates ${fmt(t.fraction * 100)}% and ${t.halvingStages} halving stages: recall ${fmt(t.recall, 3)}, Δ accuracy ${fmt(t.scoreDelta * 100, 2)} pts, ${fmt(t.speedupVsBrute, 1)}× brute force`,
    );
  }
  console.log("");
  out[d.name] = { sweep, tuned: tuned.map(({ sweep: _s, ...rest }) => rest), informative: d.informative };
}
mkdirSync(new URL("../results/", import.meta.url), { recursive: true });
writeFileSync(new URL("../results/prefilter.json", import.meta.url), JSON.stringify(out, null, 2));
