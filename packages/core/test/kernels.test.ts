import { afterEach, describe, expect, it } from "vitest";
import { BruteForce, matrixView, type Matrix } from "../src/index.js";
import { distanceKernel, setWasmKernelEnabled, wasmKernelModule } from "../src/kernels/blocked.js";
import { mulberry32 } from "./helpers.js";

/** The plain loop, written out here: squared distances summed in order, sorted by (distance, index). */
function plainKnn(X: Matrix, Q: Matrix, k: number): { indices: number[]; distances: number[] } {
  const indices: number[] = [];
  const distances: number[] = [];
  for (let i = 0; i < Q.rows; i++) {
    const all: [number, number][] = [];
    for (let r = 0; r < X.rows; r++) {
      let s = 0;
      for (let j = 0; j < X.cols; j++) {
        const t = Q.data[i * Q.cols + j] - X.data[r * X.cols + j];
        s += t * t;
      }
      all.push([s, r]);
    }
    all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const [s, r] of all.slice(0, k)) {
      indices.push(r);
      distances.push(Math.sqrt(s));
    }
  }
  return { indices, distances };
}

type Kind = "uniform" | "near-ties" | "duplicates" | "offset";

function data(kind: Kind, rows: number, cols: number, seed: number, float32: boolean): Matrix {
  const rand = mulberry32(seed);
  const out = float32 ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let v: number;
      if (kind === "uniform") v = rand();
      else if (kind === "near-ties") v = Math.round(rand() * 4) / 4 + (rand() < 0.1 ? 1e-9 : 0);
      else if (kind === "duplicates") v = i >= rows / 3 ? out[(i % Math.floor(rows / 3)) * cols + j] : rand();
      else v = 1e6 + rand() * 1e-3; // cancellation: ‖x‖² ≈ 1e12·D, differences ≈ 1e-3
      out[i * cols + j] = v;
    }
  }
  return matrixView(out, rows, cols);
}

describe("blocked distance kernels give exactly the plain loop's neighbours", () => {
  afterEach(() => setWasmKernelEnabled(true));

  it("WebAssembly SIMD is available here and selected", () => {
    expect(wasmKernelModule()).not.toBeNull();
    expect(BruteForce.build(data("uniform", 50, 20, 1, false)).kernelKind).toBe("wasm");
    expect(BruteForce.build(data("uniform", 50, 8, 1, false)).kernelKind).toBe("plain");
  });

  for (const backend of ["wasm", "typescript"] as const) {
    for (const float32 of [false, true]) {
      for (const kind of ["uniform", "near-ties", "duplicates", "offset"] as Kind[]) {
        it(`${backend}, ${float32 ? "float32" : "float64"}, ${kind}`, () => {
          setWasmKernelEnabled(backend === "wasm");
          for (const [rows, cols, k] of [
            [1500, 17, 5],
            [2100, 64, 10],
            [300, 33, 300],
          ]) {
            const X = data(kind, rows, cols, rows + cols, float32);
            const Q = data(kind, 9, cols, 7, float32); // 9 queries: two full blocks of 4 and one partial
            const index = BruteForce.build(X);
            expect(index.kernelKind).toBe(backend);
            const got = index.query(Q, k, { workers: 1 });
            const want = plainKnn(X, Q, k);
            expect(Array.from(got.indices)).toEqual(want.indices);
            expect(Array.from(got.distances)).toEqual(want.distances);
          }
        });
      }
    }
  }

  it("the TypeScript and WebAssembly kernels compute the same approximations", () => {
    const X = data("uniform", 777, 31, 3, false);
    const q = new Float64Array(4 * 31).map((_, i) => (i % 7) / 7);
    const qn = new Float64Array(4);
    for (let t = 0; t < 4; t++) for (let j = 0; j < 31; j++) qn[t] += q[t * 31 + j] ** 2;
    setWasmKernelEnabled(true);
    const a = distanceKernel(X.data, X.rows, X.cols).approx(q, qn, 100, 501).slice();
    setWasmKernelEnabled(false);
    const b = distanceKernel(X.data, X.rows, X.cols).approx(q, qn, 100, 501);
    for (let t = 0; t < 4; t++) {
      for (let r = 0; r < 501; r++) expect(Math.abs(a[t * 502 + r] - b[t * 502 + r])).toBeLessThan(1e-9);
    }
  });

  it("workers keep working on top of the kernel", () => {
    const X = data("uniform", 4000, 24, 5, true);
    const Q = data("uniform", 600, 24, 6, true);
    const index = BruteForce.build(X);
    const one = index.query(Q, 7, { workers: 1 });
    const two = index.query(Q, 7, { workers: 2 });
    expect(Array.from(two.indices)).toEqual(Array.from(one.indices));
    expect(Array.from(two.distances)).toEqual(Array.from(one.distances));
  });
});
