/**
 * Seeded datasets for the prefilter benchmark.
 *
 * P1 mirrors scikit-learn's make_classification(n_samples, n_features=20,
 * n_informative=4, n_redundant=0, n_classes=5, n_clusters_per_class=2,
 * class_sep=1, flip_y=0.01, shuffle=True): 10 clusters sit on distinct vertices
 * of the hypercube {-1, 1}^4 (two per class); each point is a standard normal
 * 4-vector times a random 4x4 matrix (uniform in [-1, 1]) plus its vertex; the
 * other 16 columns are standard normal noise; 1% of labels are reassigned at
 * random; columns are shuffled, so the informative ones are not first.
 *
 * P2 is the failure case: class = XOR of the signs of two uniform [-1, 1]
 * features, plus 8 uniform noise features. No single feature predicts the
 * class, so ranking features by how predictive they are finds nothing.
 */
import { matrixView, type Matrix } from "@knnkit/core";
import { mulberry32, normal, SEED } from "./datasets.js";

export interface Labelled {
  name: string;
  description: string;
  X: Matrix;
  y: Int32Array;
  /** Columns that carry the signal (after shuffling). */
  informative: number[];
}

export function makeP1(rows: number, seed = SEED + 11): Labelled {
  const rand = mulberry32(seed);
  const gauss = normal(rand);
  const informative = 4;
  const cols = 20;
  const classes = 5;
  const clusters = classes * 2;
  // distinct hypercube vertices for the clusters
  const vertices = Array.from({ length: 2 ** informative }, (_, v) => v);
  for (let i = vertices.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [vertices[i], vertices[j]] = [vertices[j], vertices[i]];
  }
  const centroid = (c: number, j: number) => (((vertices[c] >> j) & 1) === 1 ? 1 : -1);
  const A = Array.from({ length: clusters }, () => Array.from({ length: informative * informative }, () => rand() * 2 - 1));
  const columnOrder = Array.from({ length: cols }, (_, j) => j);
  for (let i = cols - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [columnOrder[i], columnOrder[j]] = [columnOrder[j], columnOrder[i]];
  }
  const data = new Float64Array(rows * cols);
  const y = new Int32Array(rows);
  const z = new Float64Array(informative);
  for (let i = 0; i < rows; i++) {
    const c = i % clusters;
    y[i] = c % classes;
    for (let j = 0; j < informative; j++) z[j] = gauss();
    const row = new Float64Array(cols);
    for (let j = 0; j < informative; j++) {
      let v = centroid(c, j);
      for (let t = 0; t < informative; t++) v += z[t] * A[c][t * informative + j];
      row[j] = v;
    }
    for (let j = informative; j < cols; j++) row[j] = gauss();
    if (rand() < 0.01) y[i] = Math.floor(rand() * classes);
    for (let j = 0; j < cols; j++) data[i * cols + columnOrder[j]] = row[j];
  }
  shuffleRows(data, y, rows, cols, rand);
  return {
    name: "P1",
    description: "make_classification-like: 20 features (4 informative), 5 classes",
    X: matrixView(data, rows, cols),
    y,
    informative: columnOrder.slice(0, informative),
  };
}

export function makeP2(rows: number, seed = SEED + 12): Labelled {
  const rand = mulberry32(seed);
  const cols = 10;
  const data = new Float64Array(rows * cols);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) data[i * cols + j] = rand() * 2 - 1;
    y[i] = (data[i * cols] > 0) !== (data[i * cols + 1] > 0) ? 1 : 0;
  }
  return { name: "P2", description: "XOR of two signs + 8 noise features (failure case)", X: matrixView(data, rows, cols), y, informative: [0, 1] };
}

function shuffleRows(data: Float64Array, y: Int32Array, rows: number, cols: number, rand: () => number): void {
  const tmp = new Float64Array(cols);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    tmp.set(data.subarray(i * cols, (i + 1) * cols));
    data.copyWithin(i * cols, j * cols, (j + 1) * cols);
    data.set(tmp, j * cols);
    [y[i], y[j]] = [y[j], y[i]];
  }
}
