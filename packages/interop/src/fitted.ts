/** Fitting an estimator or index by name, as both bridges (IPC and Pyodide) do. */
import {
  BallTree,
  BruteForce,
  KDTree,
  KNeighborsClassifier,
  KNeighborsRegressor,
  KnnIndex,
  KnnInputError,
  NearestNeighbors,
  PrefilterIndex,
  type Matrix,
} from "@knnkit/core";

export type Estimator = NearestNeighbors | KNeighborsClassifier | KNeighborsRegressor;
export type Fitted = Estimator | KnnIndex;

/** Fits `kind` (an estimator or index class name) on X (and y for the supervised estimators). */
export function fitByName(kind: string, params: Record<string, never>, X: Matrix, y: () => number[]): Fitted {
  switch (kind) {
    case "KNeighborsClassifier":
      return new KNeighborsClassifier(params).fit(X, y());
    case "KNeighborsRegressor":
      return new KNeighborsRegressor(params).fit(X, y());
    case "NearestNeighbors":
      return new NearestNeighbors(params).fit(X);
    case "KDTree":
      return KDTree.build(X, params);
    case "BallTree":
      return BallTree.build(X, params);
    case "BruteForce":
      return BruteForce.build(X, params);
    case "PrefilterIndex":
      return PrefilterIndex.build(X, params);
    default:
      throw new KnnInputError(`unknown estimator or index "${kind}"`);
  }
}

/** Shape and algorithm of a fitted object, for the client. */
export function describeFitted(obj: Fitted): { rows: number; cols: number; algorithm: string | null; dtype?: string; classes?: unknown[] } {
  if (obj instanceof KnnIndex) return { rows: obj.rows, cols: obj.cols, algorithm: obj.algorithm, dtype: obj.dtype };
  return {
    rows: obj.nSamplesFit,
    cols: obj.nFeaturesIn,
    algorithm: obj.fitAlgorithm,
    dtype: obj.fittedIndex.dtype,
    classes: obj instanceof KNeighborsClassifier ? obj.classes : undefined,
  };
}
