/**
 * Tuning and trade-off sweeps for the prefilter. Both hold out a seeded sample
 * of the training rows as queries, fit on the rest, and measure (never guess)
 * recall@k against exact neighbours, the change in accuracy (classes) or R²
 * (values) of a k-NN vote, and the speed against brute force and the best exact tree.
 */
import { BallTree, KDTree } from "./binary-tree.js";
import { BruteForce } from "./brute.js";
import { KnnInputError } from "./errors.js";
import { accuracy, queriesPerSecond, r2Score, recallAtK } from "./evaluation.js";
import type { KnnIndex } from "./index-base.js";
import { matrixView, toMatrix, type Matrix, type MatrixLike } from "./matrix.js";
import { MetricKind, resolveMetric } from "./metrics.js";
import { PrefilterIndex, prefilterTarget, type Label, type PrefilterOptions } from "./prefilter.js";
import type { KnnResult } from "./results.js";
import { mulberry32 } from "./random.js";
import type { PrefilterTarget } from "./scoring.js";

export interface TuneOptions extends Omit<PrefilterOptions, "y" | "candidates" | "halvingStages"> {
  k?: number;
  /** Recall@k the chosen setting must reach on the held-out rows. Default 0.95. */
  targetRecall?: number;
  /** Held-out rows used as queries (count, or fraction in (0,1)). Default min(500, 10% of rows). */
  holdout?: number;
  /** Candidate fractions to try. */
  fractions?: number[];
  /** Halving stage counts to try (each at most nFilterFeatures - 1). Default [0, 1, 2]. */
  halvingStages?: number[];
  seed?: number;
  /** Timing repeats per setting (median). Default 3. */
  repeats?: number;
}

export interface TradeoffPoint {
  fraction: number;
  candidates: number;
  halvingStages: number;
  recall: number;
  /** Fraction of held-out queries whose answer is certified exact (see PrefilterIndex.query). */
  certified: number;
  /** Accuracy (classes) or R² (values) of the k-NN vote with this setting; NaN without a target. */
  score: number;
  /** score minus the exact k-NN score. */
  scoreDelta: number;
  queriesPerSecond: number;
  speedupVsBrute: number;
  speedupVsBestTree: number;
  /** Distance terms per query (counted from the setting, not timed): what the tuner minimises. */
  cost: number;
}

export interface TradeoffResult {
  points: TradeoffPoint[];
  exactScore: number;
  bruteQps: number;
  bestTree: { algorithm: string; queriesPerSecond: number };
  scoreName: "accuracy" | "r2" | "none";
  holdoutRows: number;
}

export interface TuneResult extends TradeoffPoint {
  /** Whether a setting met the target (otherwise the best-recall setting is returned). */
  met: boolean;
  targetRecall: number;
  exactScore: number;
  sweep: TradeoffResult;
}

export const DEFAULT_FRACTIONS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1];

function takeRows(m: Matrix, rows: Int32Array): Matrix {
  const out = new Float64Array(rows.length * m.cols);
  for (let i = 0; i < rows.length; i++) out.set(m.data.subarray(rows[i] * m.cols, (rows[i] + 1) * m.cols), i * m.cols);
  return matrixView(out, rows.length, m.cols);
}

/** k-NN vote of a neighbour result: majority class (ties to the smaller code) or mean value. */
function vote(res: KnnResult, target: PrefilterTarget): (number)[] {
  const out: number[] = new Array(res.rows);
  const k = res.k;
  if (target.kind === "classes") {
    const counts = new Map<number, number>();
    for (let i = 0; i < res.rows; i++) {
      counts.clear();
      for (let j = 0; j < k; j++) {
        const c = target.codes[res.indices[i * k + j]];
        counts.set(c, (counts.get(c) ?? 0) + 1);
      }
      let best = -1;
      let bestCount = -1;
      for (const [c, n] of counts) if (n > bestCount || (n === bestCount && c < best)) [best, bestCount] = [c, n];
      out[i] = best;
    }
  } else if (target.kind === "values") {
    for (let i = 0; i < res.rows; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += target.values[res.indices[i * k + j]];
      out[i] = s / k;
    }
  }
  return out;
}

function scoreOf(pred: number[], truth: number[], target: PrefilterTarget): number {
  if (target.kind === "classes") return accuracy(pred, truth);
  if (target.kind === "values") return r2Score(truth, pred);
  return NaN;
}

/** Measures recall@k, score delta and speed for a grid of candidate fractions and halving stages. */
export function prefilterTradeoff(X: MatrixLike, y: ArrayLike<Label> | undefined, options: TuneOptions = {}): TradeoffResult {
  const m = toMatrix(X, "X");
  const k = options.k ?? 10;
  const target = prefilterTarget(y, m.rows, options.task);
  const rand = mulberry32(options.seed ?? 1);
  const h = options.holdout ?? Math.min(500, Math.ceil(0.1 * m.rows));
  const holdout = h < 1 ? Math.ceil(h * m.rows) : h;
  if (!Number.isInteger(holdout) || holdout < 1 || m.rows - holdout < k) {
    throw new KnnInputError(`holdout of ${holdout} rows leaves fewer than k=${k} training rows (X has ${m.rows})`);
  }
  const perm = Int32Array.from({ length: m.rows }, (_, i) => i);
  for (let i = m.rows - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const testRows = perm.slice(0, holdout);
  const trainRows = perm.slice(holdout).sort();
  const Xtr = takeRows(m, trainRows);
  const Xte = takeRows(m, testRows);
  const sub = (t: PrefilterTarget, rows: Int32Array): PrefilterTarget =>
    t.kind === "classes" ? { kind: "classes", codes: Int32Array.from(rows, (r) => t.codes[r]) } : t.kind === "values" ? { kind: "values", values: Float64Array.from(rows, (r) => t.values[r]) } : t;
  const trainTarget = sub(target, trainRows);
  const testTarget = sub(target, testRows);
  const truth = testTarget.kind === "classes" ? Array.from(testTarget.codes) : testTarget.kind === "values" ? Array.from(testTarget.values) : [];
  const metricOpts = { metric: options.metric, p: options.p };
  const repeats = options.repeats ?? 3;

  const brute = BruteForce.build(Xtr, { ...metricOpts, categoricalFeatures: options.categoricalFeatures, categoricalWeight: options.categoricalWeight, workers: 1 });
  const exact = brute.query(Xte, k, { workers: 1 });
  const exactScore = scoreOf(vote(exact, trainTarget), truth, testTarget);
  const bruteQps = queriesPerSecond(() => brute.query(Xte, k, { workers: 1 }), holdout, repeats);
  const bestTree = { algorithm: "none", queriesPerSecond: 0 };
  if (!options.categoricalFeatures?.length && resolveMetric(metricOpts).kind !== MetricKind.Cosine) {
    for (const Tree of [KDTree, BallTree]) {
      const tree: KnnIndex = Tree.build(Xtr, { ...metricOpts, workers: 1 });
      const qps = queriesPerSecond(() => tree.query(Xte, k, { workers: 1 }), holdout, repeats);
      if (qps > bestTree.queriesPerSecond) Object.assign(bestTree, { algorithm: tree.algorithm, queriesPerSecond: qps });
    }
  }

  const labels: ArrayLike<Label> | undefined =
    trainTarget.kind === "classes" ? trainTarget.codes : trainTarget.kind === "values" ? trainTarget.values : undefined;
  const base = PrefilterIndex.build(Xtr, {
    ...options,
    y: labels,
    task: trainTarget.kind === "classes" ? "classification" : "regression",
    candidates: 1,
    halvingStages: 0,
    workers: 1,
  });
  const stages = (options.halvingStages ?? [0, 1, 2]).filter((s) => s <= base.filterFeatures.length - 1);
  const points: TradeoffPoint[] = [];
  for (const fraction of options.fractions ?? DEFAULT_FRACTIONS) {
    for (const halvingStages of stages) {
      const candidates = fraction >= 1 ? Xtr.rows : Math.max(1, Math.ceil(fraction * Xtr.rows));
      const index = base.withSettings({ candidates, halvingStages });
      const approx = index.query(Xte, k, { workers: 1 });
      const certified = approx.certified.reduce((a, b) => a + b, 0) / holdout;
      const qps = queriesPerSecond(() => index.query(Xte, k, { workers: 1 }), holdout, repeats);
      const score = scoreOf(vote(approx, trainTarget), truth, testTarget);
      let survivors = Math.max(k, candidates);
      let cost = survivors; // one feature read per window row
      for (let s = 0; s < halvingStages; s++) {
        cost += survivors;
        survivors = Math.max(k, Math.ceil(survivors / 2));
      }
      cost += survivors * m.cols;
      points.push({
        fraction,
        candidates,
        halvingStages,
        recall: recallAtK(approx, exact),
        certified,
        score,
        scoreDelta: score - exactScore,
        queriesPerSecond: qps,
        speedupVsBrute: qps / bruteQps,
        speedupVsBestTree: bestTree.queriesPerSecond > 0 ? qps / bestTree.queriesPerSecond : NaN,
        cost,
      });
    }
  }
  return {
    points,
    exactScore,
    bruteQps,
    bestTree,
    scoreName: target.kind === "classes" ? "accuracy" : target.kind === "values" ? "r2" : "none",
    holdoutRows: holdout,
  };
}

/**
 * Picks the cheapest setting (counted distance terms per query, `cost`) whose
 * measured recall@k meets `targetRecall`: timings never decide, so the same data
 * and seed always give the same setting. Returns it with the measured recall,
 * certified fraction, score delta and speed-ups, so the user sees what was given
 * up. If no setting meets the target, the one with the best recall is returned (met: false).
 */
export function tunePrefilter(X: MatrixLike, y: ArrayLike<Label> | undefined, options: TuneOptions = {}): TuneResult {
  const targetRecall = options.targetRecall ?? 0.95;
  if (!(targetRecall > 0 && targetRecall <= 1)) throw new KnnInputError(`targetRecall must be in (0, 1], got ${targetRecall}`);
  const sweep = prefilterTradeoff(X, y, options);
  const meeting = sweep.points
    .filter((p) => p.recall >= targetRecall)
    .sort((a, b) => a.cost - b.cost || a.halvingStages - b.halvingStages);
  const chosen = meeting[0] ?? [...sweep.points].sort((a, b) => b.recall - a.recall || a.cost - b.cost || a.halvingStages - b.halvingStages)[0];
  return { ...chosen, met: meeting.length > 0, targetRecall, exactScore: sweep.exactScore, sweep };
}
