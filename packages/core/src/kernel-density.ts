import { BallTree, KDTree, type BinaryTree } from "./binary-tree.js";
import { KnnInputError, NotFittedError, checkPositiveInteger } from "./errors.js";
import { KERNEL_NAMES, type KernelName } from "./kde.js";
import { toMatrix, type MatrixLike } from "./matrix.js";
import { kdTreeAllows, resolveMetric, type MetricOptions } from "./metrics.js";
import { mulberry32 } from "./random.js";

export interface KernelDensityEstimatorOptions extends MetricOptions {
  /** A number > 0, or "scott" (n^(-1/(d+4))) or "silverman" ((n (d+2) / 4)^(-1/(d+4))). Default 1. */
  bandwidth?: number | "scott" | "silverman";
  /** "auto" (the KD-tree for the minkowski family, else the Ball tree), "kd_tree" or "ball_tree". */
  algorithm?: "auto" | "kd_tree" | "ball_tree";
  kernel?: KernelName;
  /** Absolute tolerance of each density (not log). Default 0. */
  atol?: number;
  /** Relative tolerance. Default 0 (exact sums). */
  rtol?: number;
  breadthFirst?: boolean;
  leafSize?: number;
}

/** Kernel density estimation on a KD-tree or Ball tree (scikit-learn's KernelDensity; the metric defaults to euclidean). */
export class KernelDensity {
  readonly options: KernelDensityEstimatorOptions;
  /** The bandwidth used (scott and silverman resolved at fit). */
  bandwidth = NaN;
  tree: BinaryTree | null = null;
  private sampleWeight: Float64Array | null = null;
  private sumWeight = 0;

  constructor(options: KernelDensityEstimatorOptions = {}) {
    const { bandwidth = 1, algorithm = "auto", kernel = "gaussian", atol = 0, rtol = 0, leafSize = 40 } = options;
    if (typeof bandwidth === "number" ? !(bandwidth > 0) || !Number.isFinite(bandwidth) : bandwidth !== "scott" && bandwidth !== "silverman") {
      throw new KnnInputError(`bandwidth must be a number > 0, "scott" or "silverman", got ${String(bandwidth)}`);
    }
    if (!["auto", "kd_tree", "ball_tree"].includes(algorithm)) throw new KnnInputError(`unknown algorithm "${String(algorithm)}"; expected one of auto, kd_tree, ball_tree`);
    if (!KERNEL_NAMES.includes(kernel)) throw new KnnInputError(`unknown kernel "${String(kernel)}"; expected one of ${KERNEL_NAMES.join(", ")}`);
    for (const [name, v] of [["atol", atol], ["rtol", rtol]] as const) {
      if (typeof v !== "number" || !(v >= 0)) throw new KnnInputError(`${name} must be a number >= 0, got ${String(v)}`);
    }
    checkPositiveInteger(leafSize, "leafSize");
    resolveMetric({ ...options, metric: options.metric ?? "euclidean" });
    this.options = { ...options, bandwidth, algorithm, kernel, atol, rtol, leafSize, metric: options.metric ?? "euclidean" };
  }

  /** Builds the tree over X; sampleWeight (non-negative, one per row) weights each row. */
  fit(X: MatrixLike, sampleWeight?: ArrayLike<number> | null): this {
    const m = toMatrix(X, "X");
    const o = this.options;
    const metric = resolveMetric(o);
    const kd = o.algorithm === "kd_tree" || (o.algorithm === "auto" && kdTreeAllows(metric));
    const tree = (kd ? KDTree : BallTree).build(m, { ...o, workers: 1 });
    let weights: Float64Array | null = null;
    if (sampleWeight !== undefined && sampleWeight !== null) {
      if (sampleWeight.length !== m.rows) throw new KnnInputError(`sampleWeight has ${sampleWeight.length} values but X has ${m.rows} rows`);
      weights = Float64Array.from(sampleWeight);
      if (weights.some((w) => !(w >= 0) || !Number.isFinite(w))) throw new KnnInputError("sampleWeight must hold finite numbers >= 0");
    }
    const bw = o.bandwidth as number | "scott" | "silverman";
    const n = m.rows;
    const d = m.cols;
    this.bandwidth = bw === "scott" ? n ** (-1 / (d + 4)) : bw === "silverman" ? ((n * (d + 2)) / 4) ** (-1 / (d + 4)) : bw;
    this.tree = tree;
    this.sampleWeight = weights;
    this.sumWeight = weights === null ? n : weights.reduce((s, w) => s + w, 0);
    return this;
  }

  private fitted(): BinaryTree {
    if (this.tree === null) throw new NotFittedError("KernelDensity");
    return this.tree;
  }

  /** Log density of each row of Q (normalised: it integrates to 1 for the euclidean metric). */
  scoreSamples(Q: MatrixLike): Float64Array {
    const tree = this.fitted();
    const { kernel, atol, rtol, breadthFirst } = this.options;
    const N = this.sumWeight;
    const log = tree.kernelDensity(Q, {
      h: this.bandwidth,
      kernel,
      atol: (atol as number) * N,
      rtol,
      breadthFirst: breadthFirst ?? true,
      returnLog: true,
      sampleWeight: this.sampleWeight,
    });
    const logN = Math.log(N);
    for (let i = 0; i < log.length; i++) log[i] -= logN;
    return log;
  }

  /** Total log-likelihood of the rows of Q. */
  score(Q: MatrixLike): number {
    return this.scoreSamples(Q).reduce((s, v) => s + v, 0);
  }

  /**
   * nSamples random rows drawn from the model (gaussian and tophat kernels, as
   * scikit-learn), seeded: a row picked by weight, plus kernel noise. Row-major.
   */
  sample(nSamples = 1, seed = 0): Float64Array {
    const tree = this.fitted();
    checkPositiveInteger(nSamples, "nSamples");
    const kernel = this.options.kernel;
    if (kernel !== "gaussian" && kernel !== "tophat") throw new KnnInputError(`sample is only implemented for the gaussian and tophat kernels, not "${kernel}"`);
    const rand = mulberry32(seed);
    const normal = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const X = tree.trainingRows();
    const d = X.cols;
    const out = new Float64Array(nSamples * d);
    const cum = new Float64Array(X.rows);
    for (let i = 0, s = 0; i < X.rows; i++) cum[i] = s += this.sampleWeight === null ? 1 : this.sampleWeight[i];
    for (let s = 0; s < nSamples; s++) {
      const u = rand() * cum[X.rows - 1];
      let lo = 0;
      let hi = X.rows - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cum[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      const noise = Array.from({ length: d }, normal);
      // tophat: a uniform point in the ball of radius h (a gaussian direction, radius h * U^(1/d))
      const scale = kernel === "gaussian" ? this.bandwidth : (this.bandwidth * rand() ** (1 / d)) / Math.hypot(...noise);
      for (let j = 0; j < d; j++) out[s * d + j] = X.data[lo * d + j] + scale * noise[j];
    }
    return out;
  }
}
