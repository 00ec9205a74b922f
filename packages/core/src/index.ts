export { KnnInputError, NotFittedError, sparseRefused } from "./errors.js";
export { matrixFromRows, matrixView, toMatrix, type Matrix, type MatrixLike, type FloatArray, type Dtype } from "./matrix.js";
export { resolveMetric, METRIC_NAMES, type Metric, type MetricName, type MetricOptions } from "./metrics.js";
export type { KnnResult, RadiusResult, QueryOptions, RadiusOptions } from "./results.js";
export { radiusCounts, radiusRow } from "./results.js";
export { KnnIndex, type IndexAlgorithm } from "./index-base.js";
export { BruteForce, type BruteForceOptions } from "./brute.js";
export type { KernelChoice, KernelPrecision } from "./kernels/blocked.js";
export { BinaryTree, KDTree, BallTree, treeNodeCount, type TreeKind, type TreeOptions } from "./binary-tree.js";
export { KERNEL_NAMES, logKernelNorm, treeKernelDensity, twoPointCorrelation, type KernelName, type KernelDensityOptions } from "./kde.js";
export { KernelDensity, type KernelDensityEstimatorOptions } from "./kernel-density.js";
export { closeWorkerPool, cpuCount, parallelAvailable, workerPoolSize, AUTO_PARALLEL_WORK, BACKGROUND_HASH_BYTES, backgroundHash, setBackgroundHashEnabled, type BackgroundHash } from "./parallel.js";
export { closeWebWorkerPool, webWorkersAvailable } from "./web-pool.js";
export { STATE_VERSION, type IndexState, type IndexKind, type BruteState, type KDTreeState, type BallTreeState, type TreeState, type PrefilterState } from "./shared.js";
export {
  NearestNeighbors,
  KNeighborsClassifier,
  KNeighborsRegressor,
  chooseAlgorithm,
  r2Score,
  type Algorithm,
  type NeighborsOptions,
  type WeightedOptions,
  type Weights,
  type Label,
  type Probabilities,
  type CsrGraph,
  estimatorFromState,
  checkEstimatorState,
  ESTIMATOR_NAMES,
  type EstimatorState,
  type EstimatorName,
  type NearestNeighborsState,
  type ClassifierState,
  type RegressorState,
  type StoredOptions,
} from "./estimators.js";
export { indexFromState, checkIndexState, INDEX_KINDS, type RestoreOptions } from "./index-state.js";
export { PrefilterIndex, prefilterTarget, type PrefilterMode, type PrefilterOptions, type PrefilterResult, type PrefilterSettings } from "./prefilter.js";
export {
  pearsonScore,
  correlationRatio,
  anovaF,
  mutualInformationNumeric,
  mutualInformationCodes,
  chiSquared,
  varianceScore,
  equalFrequencyBins,
  scoreFeatures,
  rankByScore,
  MI_BINS,
  SCORING_METHODS,
  type ScoringMethod,
  type PrefilterTarget,
} from "./scoring.js";
export { recallAtK, accuracy, queriesPerSecond } from "./evaluation.js";
export {
  tunePrefilter,
  prefilterTradeoff,
  DEFAULT_FRACTIONS,
  type TuneOptions,
  type TuneResult,
  type TradeoffPoint,
  type TradeoffResult,
} from "./tuner.js";
export { mixedReducedDistance } from "./mixed-metric.js";
export { mulberry32 } from "./random.js";
export { Xxh32, xxh32, hashRange, type FloatRange } from "./checksum.js";
export { allocRows, rowMemoryFits, setWasmKernelEnabled } from "./kernels/memory.js";
export { KNNImputer, type KNNImputerOptions } from "./imputer.js";
export {
  RadiusNeighborsClassifier,
  RadiusNeighborsRegressor,
  KNeighborsMultiOutputClassifier,
  KNeighborsMultiOutputRegressor,
  KNeighborsTransformer,
  RadiusNeighborsTransformer,
  LocalOutlierFactor,
  NearestCentroid,
  encodeLabels,
  percentile,
  type EncodedOutput,
  type GraphMode,
  type Model,
  isModel,
  modelName,
  modelFromState,
} from "./neighbors-more.js";
export { csrMatrix, isCsr, densifyRows, toRows, type CsrMatrix, type CsrInput, type RowsLike } from "./sparse.js";
export { SparseBruteForce } from "./sparse-brute.js";
export {
  checkModelState,
  isModelName,
  MODEL_NAMES,
  type ModelName,
  type ModelState,
  type KNNImputerState,
  type LocalOutlierFactorState,
  type NearestCentroidState,
  type RadiusNeighborsClassifierState,
  type MultiOutputClassifierState,
  type TransformerState,
  type ValuesState,
  type OutputState,
} from "./more-state.js";
