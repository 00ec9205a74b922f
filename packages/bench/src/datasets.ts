/**
 * Seeded synthetic workloads shared by every benchmark. The same seed always
 * gives the same data (mulberry32 PRNG, Box-Muller normals).
 */
import { matrixView, mulberry32, type Matrix } from "@knnkit/core";

export const SEED = 20261123;

export { mulberry32 };

export function normal(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export interface Workload {
  name: string;
  description: string;
  X: Matrix;
  Q: Matrix;
  k: number;
}

function uniform(rows: number, cols: number, rand: () => number): Matrix {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rand();
  return matrixView(data, rows, cols);
}

/** Gaussian blobs: `centres` centres uniform in [-box, box]^cols, unit-free std. */
function blobs(rows: number, cols: number, centres: number, std: number, box: number, rand: () => number): Matrix {
  const gauss = normal(rand);
  const c = new Float64Array(centres * cols);
  for (let i = 0; i < c.length; i++) c[i] = (rand() * 2 - 1) * box;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const label = Math.floor(rand() * centres);
    for (let j = 0; j < cols; j++) data[i * cols + j] = c[label * cols + j] + std * gauss();
  }
  return matrixView(data, rows, cols);
}

function split(m: Matrix, train: number): { X: Matrix; Q: Matrix } {
  return {
    X: matrixView(m.data.subarray(0, train * m.cols), train, m.cols),
    Q: matrixView(m.data.subarray(train * m.cols), m.rows - train, m.cols),
  };
}

export interface WorkloadSpec {
  name: string;
  description: string;
  make: (scale: number) => Workload;
}

/** scale < 1 shrinks N and Q (for quick runs); 1 gives the documented sizes. */
export const WORKLOADS: WorkloadSpec[] = [
  {
    name: "W1",
    description: "uniform [0,1)^3, N=200,000, Q=10,000, k=10",
    make: (s) => ({ name: "W1", description: "", ...uniformWorkload(200_000, 10_000, 3, s, 1), k: 10 }),
  },
  {
    name: "W2",
    description: "uniform [0,1)^8, N=200,000, Q=10,000, k=10",
    make: (s) => ({ name: "W2", description: "", ...uniformWorkload(200_000, 10_000, 8, s, 2), k: 10 }),
  },
  {
    name: "W3",
    description: "20 gaussian blobs (std 1, centres in ±10), 32-D, N=200,000, Q=5,000, k=10",
    make: (s) => {
      const n = Math.max(100, Math.round(200_000 * s));
      const q = Math.max(10, Math.round(5_000 * s));
      return { name: "W3", description: "", ...split(blobs(n + q, 32, 20, 1, 10, mulberry32(SEED + 3)), n), k: 10 };
    },
  },
  {
    name: "W5",
    description: "uniform [0,1)^64, N=100,000, Q=2,000, k=10",
    make: (s) => ({ name: "W5", description: "", ...uniformWorkload(100_000, 2_000, 64, s, 5), k: 10 }),
  },
];

function uniformWorkload(n0: number, q0: number, cols: number, scale: number, salt: number): { X: Matrix; Q: Matrix } {
  const n = Math.max(100, Math.round(n0 * scale));
  const q = Math.max(10, Math.round(q0 * scale));
  return split(uniform(n + q, cols, mulberry32(SEED + salt)), n);
}

export function workload(name: string, scale = 1): Workload {
  const spec = WORKLOADS.find((w) => w.name === name);
  if (!spec) throw new Error(`unknown workload ${name}; expected one of ${WORKLOADS.map((w) => w.name).join(", ")}`);
  return { ...spec.make(scale), description: spec.description };
}

/** The first `rows` rows as a view. */
export function head(m: Matrix, rows: number): Matrix {
  const r = Math.min(rows, m.rows);
  return matrixView(m.data.subarray(0, r * m.cols), r, m.cols);
}

export function toFloat32(m: Matrix): Matrix {
  return matrixView(Float32Array.from(m.data), m.rows, m.cols);
}

export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}
