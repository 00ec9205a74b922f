/**
 * Feature scores for the prefilter: how predictive each column is of the
 * target. Every scorer takes one column (a strided view into a row-major
 * matrix, or a plain array) and returns a number where larger is better.
 */
import { KnnInputError } from "./errors.js";
import type { Matrix } from "./matrix.js";

export type ScoringMethod = "auto" | "pearson" | "eta" | "anova" | "mi" | "chi2" | "variance";
export const SCORING_METHODS: readonly ScoringMethod[] = ["auto", "pearson", "eta", "anova", "mi", "chi2", "variance"];

/** Number of equal-frequency bins used to discretise a numeric feature for mutual information. */
export const MI_BINS = 10;

export function column(X: Matrix, j: number): Float64Array {
  const out = new Float64Array(X.rows);
  for (let i = 0; i < X.rows; i++) out[i] = X.data[i * X.cols + j];
  return out;
}

/** |Pearson correlation| of a numeric feature with a numeric target (0 for a constant feature or target). */
export function pearsonScore(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return 0;
  return Math.min(1, Math.abs(sxy) / Math.sqrt(sxx * syy));
}

function classSums(x: ArrayLike<number>, codes: ArrayLike<number>, nClasses: number) {
  const count = new Float64Array(nClasses);
  const sum = new Float64Array(nClasses);
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    count[codes[i]]++;
    sum[codes[i]] += x[i];
    total += x[i];
  }
  const mean = total / x.length;
  let ssTotal = 0;
  for (let i = 0; i < x.length; i++) ssTotal += (x[i] - mean) ** 2;
  let ssBetween = 0;
  for (let c = 0; c < nClasses; c++) if (count[c] > 0) ssBetween += count[c] * (sum[c] / count[c] - mean) ** 2;
  const groups = count.filter((c) => c > 0).length;
  return { ssTotal, ssBetween, groups };
}

function classCount(codes: ArrayLike<number>): number {
  let max = -1;
  for (let i = 0; i < codes.length; i++) if (codes[i] > max) max = codes[i];
  return max + 1;
}

/** Correlation ratio η = sqrt(SS_between / SS_total) of a numeric feature with class codes (0 for a constant feature). */
export function correlationRatio(x: ArrayLike<number>, codes: ArrayLike<number>): number {
  const { ssTotal, ssBetween } = classSums(x, codes, classCount(codes));
  return ssTotal === 0 ? 0 : Math.min(1, Math.sqrt(ssBetween / ssTotal));
}

/** One-way ANOVA F statistic of a numeric feature across classes (Infinity when classes are perfectly separated). */
export function anovaF(x: ArrayLike<number>, codes: ArrayLike<number>): number {
  const { ssTotal, ssBetween, groups } = classSums(x, codes, classCount(codes));
  const ssWithin = Math.max(0, ssTotal - ssBetween);
  const dfBetween = groups - 1;
  const dfWithin = x.length - groups;
  if (dfBetween <= 0 || ssBetween === 0) return 0;
  if (ssWithin === 0 || dfWithin <= 0) return Infinity;
  return ssBetween / dfBetween / (ssWithin / dfWithin);
}

/**
 * Equal-frequency bin of each value (MI_BINS bins by rank; equal values share a
 * bin, so a constant feature has one bin).
 */
export function equalFrequencyBins(x: ArrayLike<number>, bins = MI_BINS): Int32Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b] || a - b);
  const out = new Int32Array(n);
  let bin = 0;
  for (let r = 0; r < n; r++) {
    const i = order[r];
    if (r > 0 && x[i] !== x[order[r - 1]]) bin = Math.floor((r * bins) / n);
    out[i] = bin;
  }
  return out;
}

function contingency(a: ArrayLike<number>, b: ArrayLike<number>) {
  const na = classCount(a);
  const nb = classCount(b);
  const table = new Float64Array(na * nb);
  for (let i = 0; i < a.length; i++) table[a[i] * nb + b[i]]++;
  const rows = new Float64Array(na);
  const cols = new Float64Array(nb);
  for (let r = 0; r < na; r++) for (let c = 0; c < nb; c++) {
    rows[r] += table[r * nb + c];
    cols[c] += table[r * nb + c];
  }
  return { table, rows, cols, na, nb, n: a.length };
}

/** Mutual information (nats) between two integer codings. */
export function mutualInformationCodes(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { table, rows, cols, na, nb, n } = contingency(a, b);
  let mi = 0;
  for (let r = 0; r < na; r++) for (let c = 0; c < nb; c++) {
    const nrc = table[r * nb + c];
    if (nrc > 0) mi += (nrc / n) * Math.log((nrc * n) / (rows[r] * cols[c]));
  }
  return Math.max(0, mi);
}

/** Mutual information of a numeric feature (equal-frequency bins) with class codes. */
export function mutualInformationNumeric(x: ArrayLike<number>, codes: ArrayLike<number>, bins = MI_BINS): number {
  return mutualInformationCodes(equalFrequencyBins(x, bins), codes);
}

/** Pearson's chi-squared statistic of the contingency table of a categorical feature and class codes. */
export function chiSquared(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { table, rows, cols, na, nb, n } = contingency(a, b);
  let chi = 0;
  for (let r = 0; r < na; r++) for (let c = 0; c < nb; c++) {
    const expected = (rows[r] * cols[c]) / n;
    if (expected > 0) chi += (table[r * nb + c] - expected) ** 2 / expected;
  }
  return chi;
}

/** Population variance (the score without a target: the metric sees raw values). */
export function varianceScore(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i];
  m /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - m) ** 2;
  return v / x.length;
}

/** The prefilter's target: class codes, numeric values, or none. */
export type PrefilterTarget =
  | { kind: "classes"; codes: Int32Array }
  | { kind: "values"; values: Float64Array }
  | { kind: "none" };

/** Integer codes of a categorical column; throws if a value is not an integer >= 0. */
export function categoricalCodes(x: ArrayLike<number>, j: number): Int32Array {
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isInteger(v) || v < 0) {
      throw new KnnInputError(`categorical feature ${j} must hold integer codes >= 0, found ${v} at row ${i}`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Scores every column. "auto": class target -> η for numeric columns and mutual
 * information for categorical ones; numeric target -> |Pearson| (and η of the
 * target across codes for categorical columns); no target -> variance.
 */
export function scoreFeatures(X: Matrix, target: PrefilterTarget, method: ScoringMethod, categorical: ReadonlySet<number>): Float64Array {
  if (!SCORING_METHODS.includes(method)) {
    throw new KnnInputError(`unknown scoring method "${String(method)}"; expected one of ${SCORING_METHODS.join(", ")}`);
  }
  const scores = new Float64Array(X.cols);
  for (let j = 0; j < X.cols; j++) {
    const x = column(X, j);
    const isCat = categorical.has(j);
    const codes = isCat ? categoricalCodes(x, j) : null;
    scores[j] = scoreOne(x, codes, target, method, j);
  }
  return scores;
}

function scoreOne(x: Float64Array, codes: Int32Array | null, target: PrefilterTarget, method: ScoringMethod, j: number): number {
  if (method === "variance" || target.kind === "none") {
    if (method !== "variance" && method !== "auto") {
      throw new KnnInputError(`scoring "${method}" needs a target; without one use "variance" or "auto"`);
    }
    return varianceScore(x);
  }
  if (target.kind === "values") {
    if (method === "auto" || method === "pearson") return codes ? correlationRatio(target.values, codes) : pearsonScore(x, target.values);
    throw new KnnInputError(`scoring "${method}" needs class labels; for a numeric target use "pearson" or "auto"`);
  }
  const y = target.codes;
  switch (method) {
    case "auto":
      return codes ? mutualInformationCodes(codes, y) : correlationRatio(x, y);
    case "eta":
      return codes ? mutualInformationCodes(codes, y) : correlationRatio(x, y);
    case "anova":
      return codes ? chiSquared(codes, y) : anovaF(x, y);
    case "mi":
      return codes ? mutualInformationCodes(codes, y) : mutualInformationNumeric(x, y);
    case "chi2":
      if (!codes) throw new KnnInputError(`scoring "chi2" needs categorical features; feature ${j} is numeric`);
      return chiSquared(codes, y);
    case "pearson":
      return pearsonScore(x, y);
  }
}

/** Column indices ordered by score, best first (ties by column index). */
export function rankByScore(scores: Float64Array): number[] {
  return Array.from(scores, (_, j) => j).sort((a, b) => scores[b] - scores[a] || a - b);
}
