/**
 * Index memory (issue 15): a KD-tree and a brute-force index over the same
 * 400,000 × 32 float32 matrix, each queried once with 2 workers; prints how much
 * the process grew (RSS, after a full collection) against the indexes' data, and
 * the indexes' own count (KnnIndex.memoryBytes).
 *
 *   node --expose-gc --import tsx src/bench-memory.ts [--rows 400000] [--cols 32]
 *
 * The worker pool is started (on a tiny index) before the baseline, so the
 * growth is the indexes' and their kernels', not the threads' start-up.
 */
import { BruteForce, KDTree, closeWorkerPool, matrixView, mulberry32 } from "@knnkit/core";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");

async function rss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return process.memoryUsage().rss;
}

const rows = arg("rows", 400_000);
const cols = arg("cols", 32);
const rand = mulberry32(1);
const X = matrixView(Float32Array.from({ length: rows * cols }, () => rand()), rows, cols);
const Q = matrixView(Float32Array.from({ length: 2_000 * cols }, () => rand()), 2_000, cols);
// start the pool's threads first
BruteForce.build(matrixView(new Float32Array(64 * cols), 64, cols)).query(Q, 1, { workers: 2 });
const before = await rss();
const tree = KDTree.build(X, { workers: 2 });
tree.query(Q, 10, { workers: 2 });
const brute = BruteForce.build(X, { workers: 2 });
brute.query(Q, 10, { workers: 2 });
const after = await rss();
const MB = 2 ** 20;
const data = 2 * X.data.byteLength;
const growth = after - before;
console.log(
  JSON.stringify({
    rows,
    cols,
    data_mb: +(data / MB).toFixed(1),
    rss_growth_mb: +(growth / MB).toFixed(1),
    growth_over_data: +(growth / data).toFixed(2),
    memory_bytes_mb: { kd_tree: +(tree.memoryBytes / MB).toFixed(1), brute: +(brute.memoryBytes / MB).toFixed(1) },
  }),
);
await closeWorkerPool();
