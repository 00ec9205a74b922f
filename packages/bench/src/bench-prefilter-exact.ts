/**
 * Exact prefilter against brute force and the KD-tree (BENCHMARKS.md, issue 18): the comparison's
 * W3, P1 and W5 at their default sizes and a 2-D sheet embedded linearly in 8 and 32 dimensions,
 * with the sort key along the first principal direction (the default) and along one feature.
 * Queries/s from CPU time (process.cpuUsage: the host is shared), median of 7 interleaved rounds in
 * one process; build CPU time of one build (the first built warms the JIT: the principal key is built first); "scan" is the share of rows whose key gap is within the query's k-th distance (counted).
 *   node --import tsx src/bench-prefilter-exact.ts [W3,P1,W5,sheet8,sheet32]
 * With --budget: budget mode's recall@10 and certified fraction per window size and sort key on W3, P1 and W5
 * (prefilterTradeoff: 300 held-out training rows, seed 1; counted, not timed).
 */
import { BruteForce, KDTree, PrefilterIndex, mulberry32, prefilterTradeoff, type KnnIndex, type Matrix } from "@knnkit/core";
import { workload } from "./datasets.js";
import { makeP1 } from "./prefilter-datasets.js";

const k = 10;
const rounds = 7;

/** A 2-D sheet embedded linearly in D dimensions (plus 1e-3 noise): low intrinsic dimension. */
function sheet(D: number): { X: Matrix; Q: Matrix } {
  const rand = mulberry32(7);
  const A = Array.from({ length: 2 * D }, () => rand() * 2 - 1);
  const make = (rows: number) => {
    const out = new Float64Array(rows * D);
    for (let i = 0; i < rows; i++) {
      const a = rand() * 10;
      const b = rand() * 10;
      for (let j = 0; j < D; j++) out[i * D + j] = a * A[j] + b * A[D + j] + (rand() - 0.5) * 1e-3;
    }
    return { data: out, rows, cols: D };
  };
  return { X: make(20_000), Q: make(500) };
}

function dataset(name: string): { X: Matrix; Q: Matrix; y?: Float64Array } {
  if (name.startsWith("sheet")) return sheet(Number(name.slice(5)));
  if (name === "P1") {
    // as the comparison's generate --scale 0.1: 20,000 training rows, 500 queries
    const n = 20_000;
    const d = makeP1(n + 500);
    const c = d.X.cols;
    return { X: { data: d.X.data.subarray(0, n * c), rows: n, cols: c }, Q: { data: d.X.data.subarray(n * c), rows: 500, cols: c }, y: Float64Array.from(d.y.subarray(0, n)) };
  }
  const w = workload(name, 0.1);
  return { X: w.X, Q: w.Q };
}

/** Share of rows whose gap on the index's sort key is within each query's k-th distance. */
function scanShare(index: PrefilterIndex, Q: Matrix, kth: Float64Array): number {
  const { arrays, params } = index.state();
  const u = arrays.direction;
  let n = 0;
  for (let i = 0; i < Q.rows; i++) {
    let v = 0;
    if (u) for (let j = 0; j < Q.cols; j++) v += u[j] * Q.data[i * Q.cols + j];
    else v = Q.data[i * Q.cols + params.filterFeatures[0]];
    for (const key of arrays.primaryValues) if (Math.abs(key - v) <= kth[i * k + k - 1]) n++;
  }
  return n / (Q.rows * index.rows);
}

if (process.argv.includes("--budget")) {
  const fractions = [0.01, 0.05, 0.1, 0.2, 0.5];
  console.log(`| dataset | key | ${fractions.map((f) => `${f * 100}%: recall / certified`).join(" | ")} |`);
  console.log(`| --- | --- | ${fractions.map(() => "---:").join(" | ")} |`);
  for (const name of ["W3", "P1", "W5"]) {
    const { X, Q, y } = dataset(name);
    const all: Matrix = { data: Float64Array.from([...X.data, ...Q.data]), rows: X.rows + Q.rows, cols: X.cols };
    for (const sortKey of ["feature", "principal"] as const) {
      // P1's target covers the training rows only: its tuning split stays inside them
      const r = prefilterTradeoff(y ? X : all, y, { k, seed: 1, holdout: 300, repeats: 1, fractions, halvingStages: [0], sortKey });
      console.log(`| ${name} | ${sortKey} | ${r.points.map((p) => `${p.recall.toFixed(3)} / ${p.certified.toFixed(3)}`).join(" | ")} |`);
    }
  }
  process.exit(0);
}

console.log("| data | brute q/s | KD-tree q/s | exact, principal key q/s (× brute) | exact, feature key q/s (× brute) | scan principal / feature | build CPU ms brute / principal / feature |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const name of (process.argv[2] ?? "W3,P1,W5,sheet8,sheet32").split(",")) {
  const { X, Q, y } = dataset(name);
  const built: Record<string, number> = {};
  const timed = <T>(label: string, f: () => T): T => {
    const c0 = process.cpuUsage();
    const out = f();
    const c = process.cpuUsage(c0);
    built[label] = (c.user + c.system) / 1000;
    return out;
  };
  const principal = timed("principal", () => PrefilterIndex.build(X, { y, mode: "exact", workers: 1 }));
  const feature = timed("feature", () => PrefilterIndex.build(X, { y, mode: "exact", sortKey: "feature", workers: 1 }));
  const indexes: Record<string, KnnIndex> = { brute: timed("brute", () => BruteForce.build(X, { workers: 1 })), kd_tree: KDTree.build(X, { workers: 1, leafSize: 40 }), principal, feature };
  const cpu: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [label, index] of Object.entries(indexes)) {
      const c0 = process.cpuUsage();
      index.query(Q, k, { workers: 1 });
      const c = process.cpuUsage(c0);
      (cpu[label] ??= []).push((c.user + c.system) / 1e6);
    }
  }
  const qps = (label: string) => Q.rows / [...cpu[label]].sort((a, b) => a - b)[rounds >> 1];
  const kth = indexes.brute.query(Q, k, { workers: 1 }).distances;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const f0 = (x: number) => x.toFixed(0);
  console.log(
    `| ${name} ${X.rows} x ${X.cols} | ${f0(qps("brute"))} | ${f0(qps("kd_tree"))} | ${f0(qps("principal"))} (${(qps("principal") / qps("brute")).toFixed(2)}x) | ` +
      `${f0(qps("feature"))} (${(qps("feature") / qps("brute")).toFixed(2)}x) | ${pct(scanShare(principal, Q, kth))} / ${pct(scanShare(feature, Q, kth))} | ` +
      `${f0(built.brute)} / ${f0(built.principal)} / ${f0(built.feature)} |`,
  );
}
