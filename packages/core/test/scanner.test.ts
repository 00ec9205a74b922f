import { afterEach, describe, expect, it } from "vitest";
import { BallTree, BruteForce, KDTree, PrefilterIndex, matrixView, resolveMetric, type Matrix } from "../src/index.js";
import { setWasmKernelEnabled } from "../src/kernels/blocked.js";
import { NeighborHeap } from "../src/heap.js";
import { MetricKind, reducedToDistance, rowNorms } from "../src/metrics.js";
import { RaggedBuilder } from "../src/results.js";
import { identityIndex } from "../src/scan.js";
import { BLOCKED_MIN_COLS, RowScanner, chooseScan, type ScanFacts } from "../src/scanner.js";
import { mulberry32 } from "./helpers.js";

interface Spec {
  metric: string;
  p?: number;
  categorical?: number[];
  weight?: number;
}

/** The plain loop written out: reduced distance summed in column order (categorical columns as 0/1 mismatch times weight). */
function plainReduced(spec: Spec, q: ArrayLike<number>, x: ArrayLike<number>): number {
  const cat = new Set(spec.categorical ?? []);
  const w = spec.weight ?? 1;
  if (spec.metric === "cosine") {
    let dot = 0;
    let qq = 0;
    let xx = 0;
    for (let j = 0; j < q.length; j++) {
      dot += q[j] * x[j];
      qq += q[j] * q[j];
      xx += x[j] * x[j];
    }
    const denom = Math.sqrt(qq) * Math.sqrt(xx);
    return denom === 0 ? 1 : Math.min(2, Math.max(0, 1 - dot / denom));
  }
  let s = 0;
  for (let j = 0; j < q.length; j++) {
    const diff = Math.abs(q[j] - x[j]);
    const gap = cat.has(j) ? (diff === 0 ? 0 : w) : diff;
    if (spec.metric === "euclidean") s += gap * gap;
    else if (spec.metric === "manhattan") s += gap;
    else if (spec.metric === "chebyshev") s = gap > s ? gap : s;
    else s += Math.pow(gap, spec.p as number);
  }
  return s;
}

function plainKnn(spec: Spec, X: Matrix, Q: Matrix, k: number, rows: number[] | null = null): { indices: number[]; distances: number[] } {
  const metric = resolveMetric({ metric: spec.metric, p: spec.p });
  const indices: number[] = [];
  const distances: number[] = [];
  for (let i = 0; i < Q.rows; i++) {
    const q = Q.data.subarray(i * Q.cols, (i + 1) * Q.cols);
    const all = (rows ?? Array.from({ length: X.rows }, (_, r) => r)).map((r) => [plainReduced(spec, q, X.data.subarray(r * X.cols, (r + 1) * X.cols)), r]);
    all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const [s, r] of all.slice(0, k)) {
      indices.push(r);
      distances.push(reducedToDistance(metric, s));
    }
  }
  return { indices, distances };
}

function data(rows: number, cols: number, seed: number, float32: boolean, categorical: number[] = []): Matrix {
  const rand = mulberry32(seed);
  const out = float32 ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  for (let i = 0; i < out.length; i++) {
    // near ties: a coarse grid with a few values nudged
    out[i] = categorical.includes(i % cols) ? Math.floor(rand() * 3) : Math.round(rand() * 8) / 8 + (rand() < 0.1 ? 1e-9 : 0);
  }
  return matrixView(out, rows, cols);
}

function expectSame(got: { indices: Int32Array; distances: Float64Array }, want: { indices: number[]; distances: number[] }): void {
  expect(Array.from(got.indices)).toEqual(want.indices);
  expect(Array.from(got.distances)).toEqual(want.distances);
}

const specs: Spec[] = [
  { metric: "euclidean" },
  { metric: "cosine" },
  { metric: "manhattan" },
  { metric: "chebyshev" },
  { metric: "minkowski", p: 3 },
  { metric: "euclidean", categorical: [1], weight: 0.5 },
  { metric: "manhattan", categorical: [0, 2] },
];

describe("one row-scanner strategy (scanner.ts)", () => {
  afterEach(() => setWasmKernelEnabled(true));

  it("chooses the path once from metric, width, categorical columns, site, WebAssembly and the forced kernel", () => {
    const base: ScanFacts = { metric: MetricKind.Euclidean, cols: 20, categorical: 0, site: "brute", wasm: true, choice: "auto", unitRows: false };
    const cases: [Partial<ScanFacts>, ReturnType<typeof chooseScan>][] = [
      [{}, { blocked: "auto", rows: "wasm-rows" }],
      [{ cols: BLOCKED_MIN_COLS - 1 }, { blocked: null, rows: "wasm-rows" }],
      [{ wasm: false }, { blocked: "typescript", rows: "euclidean" }],
      [{ cols: 8, wasm: false }, { blocked: null, rows: "euclidean" }],
      [{ choice: "plain" }, { blocked: null, rows: "euclidean" }],
      [{ choice: "typescript" }, { blocked: "typescript", rows: "euclidean" }],
      [{ choice: "wasm-float64" }, { blocked: "wasm-float64", rows: "euclidean" }],
      [{ choice: "wasm-float64", cols: 8 }, { blocked: null, rows: "euclidean" }],
      [{ categorical: 1 }, { blocked: null, rows: "metric" }],
      [{ metric: MetricKind.Manhattan }, { blocked: null, rows: "metric" }],
      [{ metric: MetricKind.Minkowski }, { blocked: null, rows: "metric" }],
      [{ metric: MetricKind.Cosine, unitRows: true }, { blocked: "auto", rows: "cosine" }],
      [{ metric: MetricKind.Cosine, unitRows: false }, { blocked: null, rows: "cosine" }],
      [{ metric: MetricKind.Cosine, unitRows: true, cols: 8 }, { blocked: null, rows: "cosine" }],
      [{ site: "leaves" }, { blocked: null, rows: "wasm-rows" }],
      [{ site: "leaves", cols: 3 }, { blocked: null, rows: "wasm-rows" }],
      [{ site: "leaves", wasm: false }, { blocked: null, rows: "euclidean" }],
      [{ site: "leaves", metric: MetricKind.Chebyshev }, { blocked: null, rows: "metric" }],
      [{ site: "windows" }, { blocked: "auto", rows: "wasm-rows" }],
      [{ site: "windows", wasm: false }, { blocked: null, rows: "euclidean" }],
      [{ site: "windows", cols: 8 }, { blocked: null, rows: "wasm-rows" }],
      [{ site: "windows", categorical: 2 }, { blocked: null, rows: "metric" }],
      [{ site: "positions" }, { blocked: null, rows: "euclidean" }],
      [{ site: "positions", metric: MetricKind.Manhattan }, { blocked: null, rows: "metric" }],
    ];
    for (const [facts, plan] of cases) expect([facts, chooseScan({ ...base, ...facts })]).toEqual([facts, plan]);
  });

  for (const wasm of [true, false]) {
    const mode = wasm ? "WebAssembly on" : "WebAssembly off";

    it(`every scanner path gives the plain loop's neighbours and distances, bit for bit (${mode})`, () => {
      setWasmKernelEnabled(wasm);
      let seed = 1;
      for (const spec of specs) {
        for (const cols of [5, 20]) {
          for (const float32 of [false, true]) {
            const X = data(700, cols, seed++, float32, spec.categorical);
            const Q = data(6, cols, seed++, float32, spec.categorical);
            const metric = resolveMetric({ metric: spec.metric, p: spec.p });
            const norms = spec.metric === "cosine" ? rowNorms(X.data, X.rows, X.cols) : null;
            const options = { categorical: spec.categorical, categoricalWeight: spec.weight, norms, maxRun: 64 };
            const k = 7;
            const subset = Array.from({ length: 300 }, (_, i) => (i * 7) % X.rows).sort((a, b) => a - b);
            for (const site of ["brute", "leaves", "windows", "positions"] as const) {
              const scanner = new RowScanner(X.data, X.rows, X.cols, metric, { site, ...options });
              if (!wasm) expect(scanner.kind === "wasm" || scanner.kind === "wasm-rows").toBe(false);
              const heap = new NeighborHeap(k);
              const whole = { indices: [] as number[], distances: [] as number[] };
              const part = { indices: [] as number[], distances: [] as number[] };
              let radiusOk = true;
              for (let i = 0; i < Q.rows; i++) {
                scanner.setQuery(Q.data, i * cols);
                for (const [rows, out] of [[null, whole], [subset, part]] as const) {
                  heap.reset();
                  if (rows === null) {
                    // in runs, as tree leaves and windows are offered
                    for (let start = 0; start < X.rows; start += 50) scanner.scanRange(start, Math.min(X.rows, start + 50), heap, identityIndex(X.rows));
                  } else scanner.scanPositions(Int32Array.from(rows), 0, rows.length, heap, identityIndex(X.rows));
                  heap.sortAscending();
                  out.indices.push(...heap.idx);
                  out.distances.push(...Array.from(heap.dist, (r) => reducedToDistance(metric, r)));
                }
                // radius: rows [100, 700), then subset[5..) as ids 1000 + row, within the median reduced distance
                const q = Q.data.subarray(i * cols, (i + 1) * cols);
                const plain = Array.from({ length: X.rows }, (_, r) => plainReduced(spec, q, X.data.subarray(r * cols, (r + 1) * cols)));
                const rr = [...plain].sort((a, b) => a - b)[350];
                const ids = Int32Array.from({ length: X.rows }, (_, r) => 1000 + r);
                const out = new RaggedBuilder(1, true, 4);
                const n1 = scanner.within(Q.data, i * cols, null, 100, X.rows, rr, identityIndex(X.rows), out, false);
                const n2 = scanner.within(Q.data, i * cols, Int32Array.from(subset), 5, subset.length, rr, ids, out, false);
                const want: [number, number][] = [];
                for (let r = 100; r < X.rows; r++) if (plain[r] <= rr) want.push([r, reducedToDistance(metric, plain[r])]);
                for (const r of subset.slice(5)) if (plain[r] <= rr) want.push([1000 + r, reducedToDistance(metric, plain[r])]);
                const got = Array.from(out.indices.subarray(0, out.length), (id, t) => [id, out.distances[t]]);
                radiusOk &&= n1 + n2 === want.length && JSON.stringify(got) === JSON.stringify(want);
                radiusOk &&= scanner.within(Q.data, i * cols, null, 100, X.rows, rr, identityIndex(X.rows), new RaggedBuilder(1, false, 0), true) === n1;
              }
              expect(radiusOk).toBe(true);
              expect(whole).toEqual(plainKnn(spec, X, Q, k));
              expect(part).toEqual(plainKnn(spec, X, Q, k, subset));
            }
          }
        }
      }
    });

    it(`brute force on every kernel choice equals the plain loop (${mode})`, () => {
      setWasmKernelEnabled(wasm);
      let seed = 100;
      for (const spec of specs) {
        for (const cols of [6, 24]) {
          const X = data(1300, cols, seed++, false, spec.categorical);
          const Q = data(9, cols, seed++, false, spec.categorical);
          const want = plainKnn(spec, X, Q, 6);
          for (const kernel of ["auto", "wasm-float64", "typescript", "plain"] as const) {
            const index = BruteForce.build(X, { metric: spec.metric, p: spec.p, categoricalFeatures: spec.categorical, categoricalWeight: spec.weight, kernel });
            const blocked = (spec.metric === "euclidean" || spec.metric === "cosine") && !spec.categorical && cols >= BLOCKED_MIN_COLS && kernel !== "plain";
            const expected = blocked
              ? wasm && kernel !== "typescript" ? "wasm" : "typescript"
              : wasm && kernel === "auto" && spec.metric === "euclidean" && !spec.categorical ? "wasm-rows" : "plain";
            expect([spec, cols, kernel, index.kernelKind]).toEqual([spec, cols, kernel, expected]);
            expectSame(index.query(Q, 6, { workers: 1 }), want);
          }
        }
      }
    });

    it(`tree leaves and prefilter windows equal the plain loop (${mode})`, () => {
      setWasmKernelEnabled(wasm);
      let seed = 200;
      for (const spec of specs.filter((s) => s.metric !== "cosine")) {
        for (const cols of [3, 19]) {
          const X = data(900, cols, seed++, true, spec.categorical);
          const Q = data(13, cols, seed++, true, spec.categorical);
          const want = plainKnn(spec, X, Q, 5);
          const options = { metric: spec.metric, p: spec.p };
          if (!spec.categorical) {
            for (const Tree of [KDTree, BallTree]) {
              const tree = Tree.build(X, { ...options, leafSize: 12 });
              expect(tree.leafKernelKind).toBe(wasm && spec.metric === "euclidean" ? "wasm" : "typescript");
              expectSame(tree.query(Q, 5, { workers: 1 }), want);
            }
          }
          // a window of every row: the exact answer, radius rows in index order as brute force gives them
          const prefilterOptions = { ...options, categoricalFeatures: spec.categorical, categoricalWeight: spec.weight, candidates: X.rows };
          const prefilter = PrefilterIndex.build(X, prefilterOptions);
          expectSame(prefilter.query(Q, 5, { workers: 1 }), want);
          const r = want.distances[4];
          const brute = BruteForce.build(X, { ...options, categoricalFeatures: spec.categorical, categoricalWeight: spec.weight }).queryRadius(Q, r, { workers: 1 });
          const windowed = prefilter.queryRadius(Q, r, { workers: 1 });
          expect([Array.from(windowed.offsets), Array.from(windowed.indices), Array.from(windowed.distances)]).toEqual([
            Array.from(brute.offsets),
            Array.from(brute.indices),
            Array.from(brute.distances),
          ]);
        }
      }
    });
  }

  it("prefilter halving survivors give the same neighbours with WebAssembly on and off", () => {
    const X = data(2000, 20, 301, false);
    const Q = data(15, 20, 302, false);
    const answers = [true, false].map((wasm) => {
      setWasmKernelEnabled(wasm);
      return PrefilterIndex.build(X, { candidates: 0.5, halvingStages: 2 }).query(Q, 6, { workers: 1 });
    });
    expect(Array.from(answers[0].indices)).toEqual(Array.from(answers[1].indices));
    expect(Array.from(answers[0].distances)).toEqual(Array.from(answers[1].distances));
  });

  it("cosine with categorical columns is refused rather than the columns ignored", () => {
    expect(() => BruteForce.build(data(10, 3, 1, false, [0]), { metric: "cosine", categoricalFeatures: [0] })).toThrow(
      /categoricalFeatures cannot be combined with metric "cosine"/,
    );
  });
});
