import { afterEach, describe, expect, it } from "vitest";
import { BallTree, BruteForce, KDTree, PrefilterIndex, matrixView, type Matrix } from "../src/index.js";
import { distanceKernel, float32Limit, setWasmFloat32Enabled, setWasmKernelEnabled, wasmKernelModule } from "../src/kernels/blocked.js";
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

type Kind = "uniform" | "near-ties" | "duplicates" | "offset" | "tiny";

function data(kind: Kind, rows: number, cols: number, seed: number, float32: boolean): Matrix {
  const rand = mulberry32(seed);
  const out = float32 ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let v: number;
      if (kind === "uniform") v = rand();
      else if (kind === "near-ties") v = Math.round(rand() * 4) / 4 + (rand() < 0.1 ? 1e-9 : 0);
      else if (kind === "duplicates") v = i >= rows / 3 ? out[(i % Math.floor(rows / 3)) * cols + j] : rand();
      else if (kind === "offset") v = 1e6 + rand() * 1e-3; // cancellation: ‖x‖² ≈ 1e12·D, differences ≈ 1e-3
      else v = rand() * 1e-39; // float32 underflow: the values are subnormal in float32
      out[i * cols + j] = v;
    }
  }
  return matrixView(out, rows, cols);
}

describe("blocked distance kernels give exactly the plain loop's neighbours", () => {
  afterEach(() => {
    setWasmKernelEnabled(true);
    setWasmFloat32Enabled(true);
  });

  it("WebAssembly SIMD is available here and selected", () => {
    expect(wasmKernelModule()).not.toBeNull();
    expect(BruteForce.build(data("uniform", 50, 20, 1, false)).kernelKind).toBe("wasm");
    expect(BruteForce.build(data("uniform", 50, 8, 1, false)).kernelKind).toBe("wasm-rows");
    expect(BruteForce.build(data("uniform", 50, 8, 1, false), { kernel: "plain" }).kernelKind).toBe("plain");
  });

  const backends = [
    { name: "wasm float32 form", kind: "wasm", precision: "float32" },
    { name: "wasm float64 form", kind: "wasm", precision: "float64" },
    { name: "typescript", kind: "typescript", precision: "float64" },
  ] as const;
  for (const backend of backends) {
    for (const float32 of [false, true]) {
      for (const kind of ["uniform", "near-ties", "duplicates", "offset", "tiny"] as Kind[]) {
        it(`${backend.name}, ${float32 ? "float32" : "float64"} data, ${kind}`, () => {
          setWasmKernelEnabled(backend.kind === "wasm");
          setWasmFloat32Enabled(backend.precision === "float32");
          for (const [rows, cols, k] of [
            [1500, 17, 5],
            [2100, 64, 10],
            [300, 33, 300],
          ]) {
            const X = data(kind, rows, cols, rows + cols, float32);
            const Q = data(kind, 9, cols, 7, float32); // 9 queries: two full blocks of 4 and one partial
            const index = BruteForce.build(X);
            expect(index.kernelKind).toBe(backend.kind);
            expect(index.kernelPrecision).toBe(backend.precision);
            const got = index.query(Q, k, { workers: 1 });
            const want = plainKnn(X, Q, k);
            expect(Array.from(got.indices)).toEqual(want.indices);
            expect(Array.from(got.distances)).toEqual(want.distances);
          }
        });
      }
    }
  }

  it("every kernel's approximation is within its stated error bound of the plain loop", () => {
    const cols = 31;
    for (const scale of [1, 1e6, 1e-30]) {
      const X = data("uniform", 777, cols, 3, false);
      X.data.forEach((v, i) => (X.data[i] = v * scale));
      const q = new Float64Array(4 * cols).map((_, i) => ((i % 7) / 7) * scale);
      const qn = new Float64Array(4);
      for (let t = 0; t < 4; t++) for (let j = 0; j < cols; j++) qn[t] += q[t * cols + j] ** 2;
      for (const backend of backends) {
        setWasmKernelEnabled(backend.kind === "wasm");
        setWasmFloat32Enabled(backend.precision === "float32");
        const kernel = distanceKernel(X.data, X.rows, X.cols);
        expect([kernel.kind, kernel.precision]).toEqual([backend.kind, backend.precision]);
        const all = kernel.approx(q, qn, 100, 501, Float64Array.of(Infinity, Infinity, Infinity, Infinity), kernel.eps, kernel.slack);
        const median = Array.from({ length: 501 }, (_, r) => all.approx[4 * r + 2]).sort((a, b) => a - b)[250];
        const thresholds = Float64Array.of(Infinity, 0, median, -Infinity);
        const block = kernel.approx(q, qn, 100, 501, thresholds, kernel.eps, kernel.slack);
        const approx = block.approx;
        for (let t = 0; t < 4; t++) {
          const want: number[] = [];
          for (let r = 0; r < 501; r++) {
            const lower = approx[4 * r + t] - kernel.eps * (kernel.norms[100 + r] + qn[t]) - kernel.slack;
            if (lower <= thresholds[t]) want.push(r);
          }
          expect(Array.from(block.candidates.subarray(t * 501, t * 501 + block.counts[t]))).toEqual(want);
        }
        expect(block.counts[0]).toBe(501);
        expect(block.counts[3]).toBe(0);
        expect(block.counts[2]).toBeGreaterThan(0);
        if (scale >= 1) expect(block.counts[2]).toBeLessThan(501); // at 1e-30 the underflow slack admits every row
        let worst = 0;
        for (let t = 0; t < 4; t++) {
          for (let r = 0; r < 501; r++) {
            let exact = 0;
            for (let j = 0; j < cols; j++) exact += (q[t * cols + j] - X.data[(100 + r) * cols + j]) ** 2;
            const bound = kernel.eps * (kernel.norms[100 + r] + qn[t]) + kernel.slack;
            const err = Math.abs(approx[4 * r + t] - exact);
            expect(err).toBeLessThanOrEqual(bound);
            worst = Math.max(worst, err / bound);
          }
        }
        // the bound is not vacuous: the float32 form uses a real share of it
        if (backend.precision === "float32" && scale === 1) expect(worst).toBeGreaterThan(1e-3);
      }
    }
  });

  it("data beyond float32's range uses the float64 form; queries beyond it are re-checked in full", () => {
    const cols = 20;
    const limit = float32Limit(cols);
    const big = data("uniform", 600, cols, 11, false);
    big.data[5] = limit * 2;
    expect(BruteForce.build(big).kernelPrecision).toBe("float64");
    const X = data("uniform", 600, cols, 12, false);
    const index = BruteForce.build(X);
    expect(index.kernelPrecision).toBe("float32");
    const Q = data("uniform", 6, cols, 13, false);
    for (let j = 0; j < cols; j++) Q.data[j] = limit * 4; // query 0 is far beyond the limit
    const got = index.query(Q, 4, { workers: 1 });
    const want = plainKnn(X, Q, 4);
    expect(Array.from(got.indices)).toEqual(want.indices);
    expect(Array.from(got.distances)).toEqual(want.distances);
  });

  it("the kernel option picks the path, and every path gives the same answer", () => {
    const X = data("near-ties", 1300, 40, 21, false);
    const Q = data("near-ties", 10, 40, 22, false);
    const want = plainKnn(X, Q, 6);
    const paths = [
      ["auto", "wasm", "float32"],
      ["wasm-float64", "wasm", "float64"],
      ["typescript", "typescript", "float64"],
      ["plain", "plain", null],
    ] as const;
    for (const [kernel, kind, precision] of paths) {
      const index = BruteForce.build(X, { kernel });
      expect([index.kernelKind, index.kernelPrecision]).toEqual([kind, precision]);
      for (const workers of [1, 2]) {
        const got = index.query(Q, 6, { workers });
        expect(Array.from(got.indices)).toEqual(want.indices);
        expect(Array.from(got.distances)).toEqual(want.distances);
      }
    }
    expect(() => BruteForce.build(X, { kernel: "blas" as never })).toThrow(/unknown kernel "blas"; expected one of auto, wasm-float64, typescript, plain/);
  });

  it("brute force below 16 features scans one query at a time in WebAssembly, with the plain loop's answers", () => {
    for (const float32 of [false, true]) {
      for (const kind of ["uniform", "near-ties", "duplicates", "offset"] as Kind[]) {
        for (const cols of [1, 2, 7, 15]) {
          const X = data(kind, 2500, cols, cols + 40, float32); // more than one run of 1024 rows, odd tail
          const Q = data(kind, 9, cols, cols + 41, float32);
          const want = plainKnn(X, Q, 7);
          for (const [kernel, kindName] of [["auto", "wasm-rows"], ["plain", "plain"]] as const) {
            const index = BruteForce.build(X, { kernel });
            expect(index.kernelKind).toBe(kindName);
            const got = index.query(Q, 7, { workers: 1 });
            expect(Array.from(got.indices)).toEqual(want.indices);
            expect(Array.from(got.distances)).toEqual(want.distances);
          }
        }
      }
    }
  });

  it("prefilter windows searched 4 queries at a time by the blocked kernel keep each query to its own window", () => {
    for (const float32 of [false, true]) {
      for (const kind of ["uniform", "near-ties", "duplicates"] as Kind[]) {
        const X = data(kind, 3000, 20, 51, float32);
        const Q = data(kind, 37, 20, 52, float32);
        for (const candidates of [0.02, 0.3, X.rows]) {
          setWasmKernelEnabled(true);
          const blocked = PrefilterIndex.build(X, { candidates }).query(Q, 9, { workers: 1 });
          setWasmKernelEnabled(false);
          const plain = PrefilterIndex.build(X, { candidates }).query(Q, 9, { workers: 1 });
          expect(Array.from(blocked.indices)).toEqual(Array.from(plain.indices));
          expect(Array.from(blocked.distances)).toEqual(Array.from(plain.distances));
          if (candidates === X.rows) expect(Array.from(blocked.indices)).toEqual(plainKnn(X, Q, 9).indices);
        }
      }
    }
  });

  it("cosine runs the blocked kernel on unit rows and gives the plain cosine loop's answers", () => {
    for (const float32 of [false, true]) {
      for (const kind of ["uniform", "near-ties", "duplicates", "offset", "tiny"] as Kind[]) {
        const X = data(kind, 1400, 24, 61, float32);
        const Q = data(kind, 11, 24, 62, float32);
        for (let j = 0; j < 24; j++) Q.data[5 * 24 + j] = 0; // a zero query: cosine distance 1 to every row
        const fast = BruteForce.build(X, { metric: "cosine" });
        expect(fast.kernelKind).toBe("wasm");
        const plain = BruteForce.build(X, { metric: "cosine", kernel: "plain" });
        expect(plain.kernelKind).toBe("plain");
        const want = plain.query(Q, 7, { workers: 1 });
        const got = fast.query(Q, 7, { workers: 1 });
        expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
        expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
      }
    }
    const withZeroRow = data("uniform", 300, 20, 63, false);
    withZeroRow.data.fill(0, 40, 60); // row 2 has length zero: no unit row, so the plain loop
    expect(BruteForce.build(withZeroRow, { metric: "cosine" }).kernelKind).toBe("plain");
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

  for (const Tree of [KDTree, BallTree]) {
    it(`${Tree.name} leaves scanned by WebAssembly give the plain loop's neighbours, and the TypeScript scan the same`, () => {
      for (const float32 of [false, true]) {
        for (const kind of ["uniform", "near-ties", "duplicates", "offset"] as Kind[]) {
          for (const cols of [1, 3, 8, 19]) {
            const X = data(kind, 1201, cols, 31, float32); // odd row count: the last pair is half empty
            const Q = data(kind, 25, cols, 32, float32);
            const want = plainKnn(X, Q, 8);
            setWasmKernelEnabled(true);
            const fast = Tree.build(X, { leafSize: 15 });
            expect(fast.leafKernelKind).toBe("wasm");
            setWasmKernelEnabled(false);
            const slow = Tree.build(X, { leafSize: 15 });
            expect(slow.leafKernelKind).toBe("typescript");
            for (const index of [fast, slow]) {
              const got = index.query(Q, 8, { workers: 1 });
              expect(Array.from(got.indices)).toEqual(want.indices);
              expect(Array.from(got.distances)).toEqual(want.distances);
            }
          }
        }
      }
      expect(Tree.build(data("uniform", 300, 20, 1, false), { metric: "manhattan" }).leafKernelKind).toBe("typescript");
    });
  }
});
