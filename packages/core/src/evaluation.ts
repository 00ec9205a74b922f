/** Measuring what an approximate search gives up: recall, accuracy deltas, speed. */
import { KnnInputError } from "./errors.js";
import type { KnnResult } from "./results.js";

/**
 * Mean fraction of the exact k neighbours that the approximate result found
 * (per query |approx ∩ exact| / k). Both results must have the same shape.
 */
export function recallAtK(approx: KnnResult, exact: KnnResult): number {
  if (approx.rows !== exact.rows || approx.k !== exact.k) {
    throw new KnnInputError(`results differ in shape: ${approx.rows}x${approx.k} vs ${exact.rows}x${exact.k}`);
  }
  const k = exact.k;
  let found = 0;
  const truth = new Set<number>();
  for (let i = 0; i < exact.rows; i++) {
    truth.clear();
    for (let j = 0; j < k; j++) truth.add(exact.indices[i * k + j]);
    for (let j = 0; j < k; j++) if (truth.has(approx.indices[i * k + j])) found++;
  }
  return found / (exact.rows * k);
}

/** Fraction of equal entries. */
export function accuracy<T>(predicted: ArrayLike<T>, truth: ArrayLike<T>): number {
  if (predicted.length !== truth.length) throw new KnnInputError(`predictions (${predicted.length}) and truth (${truth.length}) differ in length`);
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) hits++;
  return hits / truth.length;
}

/** Queries per second of `run` over `queries` queries: the median of `repeats` timed runs. */
export function queriesPerSecond(run: () => void, queries: number, repeats = 3): number {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const mid = times[times.length >> 1];
  return queries / (Math.max(mid, 1e-6) / 1000);
}

/** R² as scikit-learn computes it (1 for a perfect fit of a constant target, 0 for an imperfect one). */
export function r2Score(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const n = yTrue.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i];
  mean /= n;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    ssRes += (yTrue[i] - yPred[i]) ** 2;
    ssTot += (yTrue[i] - mean) ** 2;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}
