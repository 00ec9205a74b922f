// The peer of the transports' 100,000 x 32 KD-tree figure: core's KDTree.query alone in Node, one thread.
//   node packages/python/benchmarks/bench_kd_core.mjs <tree> [cols [tree rows [query rows]]]
// Prints the CPU milliseconds of 3 queries of 100,000 x 32 float64 rows (k=1) on a tree of 1,000 x 32 (after one warm-up),
// or of the given sizes.
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const tree = process.argv[2];
const core = await import(pathToFileURL(join(tree, "packages/core/dist/index.js")).href);
const [cols, rows, queries] = [process.argv[3] ?? 32, process.argv[4] ?? 1000, process.argv[5] ?? 100000].map(Number);
const rand = core.mulberry32(1);
const X = { data: Float64Array.from({ length: rows * cols }, rand), rows, cols };
const Q = { data: Float64Array.from({ length: queries * cols }, rand), rows: queries, cols };
const kd = core.KDTree.build(X, { workers: 1 });
kd.query(Q, 1, { workers: 1 });
const ms = [];
for (let r = 0; r < 3; r++) {
  const start = process.cpuUsage();
  kd.query(Q, 1, { workers: 1 });
  const used = process.cpuUsage(start);
  ms.push(Math.round((used.user + used.system) / 1000));
}
console.log(JSON.stringify({ tree, cols, rows, queries, kd_cpu_ms: ms }));
