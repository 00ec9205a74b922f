/** Exact prefilter against brute force and the KD-tree on a 2-D sheet embedded linearly in 8 and 32 dimensions (BENCHMARKS.md, issue 18). Run: node --import tsx src/bench-prefilter-exact.ts */
import { BruteForce, PrefilterIndex, KDTree, mulberry32 } from "@knnkit/core";
// a 2-D sheet embedded linearly in D dimensions (plus 1e-3 noise): low intrinsic dimension
const n = 20000, nq = 500;
for (const D of [8, 32]) {
  const rand = mulberry32(7);
  const A = Array.from({ length: 2 * D }, () => rand() * 2 - 1);
  const make = (rows: number) => {
    const out = new Float64Array(rows * D);
    for (let i = 0; i < rows; i++) { const a = rand() * 10, b = rand() * 10; for (let j = 0; j < D; j++) out[i * D + j] = a * A[j] + b * A[D + j] + (rand() - 0.5) * 1e-3; }
    return { data: out, rows, cols: D };
  };
  const X = make(n), Q = make(nq);
  const idx = { brute: BruteForce.build(X, { workers: 1 }), kd_tree: KDTree.build(X, { workers: 1, leafSize: 40 }), "prefilter:exact": PrefilterIndex.build(X, { mode: "exact", workers: 1 }) };
  const times: Record<string, number[]> = {};
  for (let r = 0; r < 7; r++) for (const [name, ix] of Object.entries(idx)) { const s = performance.now(); ix.query(Q, 10, { workers: 1 }); (times[name] ??= []).push(performance.now() - s); }
  for (const [name, ts] of Object.entries(times)) { ts.sort((a, b) => a - b); console.log(`sheet2d-in-${D}d\t${name}\t${(nq / ts[3] * 1000).toFixed(0)} q/s`); }
}
