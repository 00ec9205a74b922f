/**
 * The synthetic datasets of `pnpm compare` (`generate`), and knnkit timed inside one Node process (`run`) for the
 * kernel benchmark (knnkit_bench.kernels) and by hand. The comparison itself measures through the installed
 * Python package (knnkit/_measure.py).
 *
 *   generate --name W1 --scale 0.25 --out DIR   writes DIR/W1.train.arrow and DIR/W1.test.arrow
 *   run --train F --test F --k 10 --engines a,b --out DIR --repeats 1 [--min-time 0.2] [--dtype float32]
 *
 * Engines: brute[:auto|wasm-float64|typescript|plain] (the distance kernel), kd_tree, ball_tree,
 * prefilter:FRACTION|tuned|exact, each with @all for every core. --dtype float32 converts the data first.
 *
 * `run` times build, the first (cold) query of all test rows right after it and the
 * steady query inside this process (start-up and file reading are not counted),
 * writes each engine's neighbour indices as an Arrow file, and prints one JSON line per engine, then {"process": {load_s, run_s}} (time spent reading
 * the input files, and time from then to the end) so start-up is reported apart.
 * index_bytes is the index's arrays; index_bytes_total its memoryBytes after the queries (the
 * WebAssembly memory its rows live in, with every kernel's scratch there, and any kernel's own copy).
 * An engine this build of @knnkit/core lacks gets a line with "error": "not available: ...".
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Table, tableFromIPC, tableToIPC } from "apache-arrow";
import * as core from "@knnkit/core";
import { BallTree, BruteForce, KDTree, closeWorkerPool, cpuCount, type KernelChoice, type KnnIndex, type Matrix } from "@knnkit/core";
import { matrixToVector, tableToMatrix, typedVector } from "@knnkit/interop";
import { workload } from "../datasets.js";
import { makeP1, makeP2 } from "../prefilter-datasets.js";

// the prefilter is looked up at run time so that a core without it still runs the exact engines
const { PrefilterIndex, tunePrefilter } = core as Partial<typeof core>;

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1];
  if (fallback === undefined) throw new Error(`missing --${name}`);
  return fallback;
}

function writeSplit(path: string, X: Matrix, y?: ArrayLike<number>): void {
  const columns: Record<string, ReturnType<typeof matrixToVector> | ReturnType<typeof typedVector>> = { data: matrixToVector(X) };
  if (y) columns.y = typedVector(Float64Array.from(y));
  writeFileSync(path, tableToIPC(new Table(columns), "file"));
}

function generate(): void {
  const name = arg("name");
  const scale = Number(arg("scale", "1"));
  const out = arg("out");
  if (name === "P1" || name === "P2") {
    const n = Math.round(200_000 * scale);
    const q = Math.max(20, Math.round(5_000 * scale));
    const d = (name === "P1" ? makeP1 : makeP2)(n + q);
    const cols = d.X.cols;
    const train = { data: d.X.data.subarray(0, n * cols), rows: n, cols };
    const test = { data: d.X.data.subarray(n * cols), rows: q, cols };
    writeSplit(join(out, `${name}.train.arrow`), train, d.y.subarray(0, n));
    writeSplit(join(out, `${name}.test.arrow`), test, d.y.subarray(n));
    return;
  }
  const w = workload(name, scale);
  writeSplit(join(out, `${name}.train.arrow`), w.X);
  writeSplit(join(out, `${name}.test.arrow`), w.Q);
}

function readSplit(path: string): { X: Matrix; y: Float64Array | null } {
  const table = tableFromIPC(readFileSync(path));
  const y = table.getChild("y");
  return { X: tableToMatrix(table, "data"), y: y ? Float64Array.from(y.toArray() as ArrayLike<number>) : null };
}

function seconds(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Seconds per call, calling fn again until minTime seconds have passed (tiny query sets are otherwise timer noise). */
let minTime = 0.2;
function secondsPerCall(fn: () => void): number {
  const t = process.hrtime.bigint();
  let calls = 0;
  let elapsed = 0;
  do {
    fn();
    calls++;
    elapsed = Number(process.hrtime.bigint() - t) / 1e9;
  } while (elapsed < minTime);
  return elapsed / calls;
}

function indexBytes(index: KnnIndex): number {
  let total = 0;
  for (const a of Object.values(index.sharedState().arrays)) total += a.byteLength;
  return total;
}

async function run(): Promise<void> {
  const loadStart = process.hrtime.bigint();
  const float32 = arg("dtype", "float64") === "float32";
  const asDtype = (m: Matrix): Matrix => (float32 ? { data: Float32Array.from(m.data), rows: m.rows, cols: m.cols } : m);
  const train = readSplit(arg("train"));
  const test = readSplit(arg("test"));
  train.X = asDtype(train.X);
  test.X = asDtype(test.X);
  const runStart = process.hrtime.bigint();
  const k = Number(arg("k", "10"));
  const out = arg("out");
  const engines = arg("engines").split(",");
  const repeats = Number(arg("repeats", "1"));
  minTime = Number(arg("min-time", "0.2"));
  const cores = cpuCount();
  let tunedFraction: number | null = null;
  let tunedHalving = 0;
  for (const engine of engines) {
    const [kind, param] = engine.split(":");
    const workers = kind.endsWith("@all") ? cores : 1;
    const base = kind.replace("@all", "");
    let build: () => KnnIndex;
    let label = engine;
    if (base === "brute") build = () => BruteForce.build(train.X, { workers, kernel: (param ?? "auto") as KernelChoice });
    else if (base === "kd_tree") build = () => KDTree.build(train.X, { leafSize: 40, workers });
    else if (base === "ball_tree") build = () => BallTree.build(train.X, { leafSize: 40, workers });
    else if (base === "prefilter") {
      if (!PrefilterIndex || !tunePrefilter) {
        console.log(JSON.stringify({ engine, family: base, workers, error: "not available: @knnkit/core exports no PrefilterIndex" }));
        continue;
      }
      if (param === "exact") build = () => PrefilterIndex.build(train.X, { y: train.y ?? undefined, mode: "exact", workers });
      else {
        let fraction: number;
        if (param === "tuned") {
          if (tunedFraction === null) {
            const t = tunePrefilter(train.X, train.y ?? undefined, { k, targetRecall: 0.9, repeats: 1, holdout: Math.min(300, Math.ceil(train.X.rows / 10)) });
            tunedFraction = t.fraction;
            tunedHalving = t.halvingStages;
          }
          fraction = tunedFraction;
          label = `prefilter:tuned(${tunedFraction},h${tunedHalving})`;
        } else fraction = Number(param);
        const candidates = fraction >= 1 ? train.X.rows : fraction;
        const halvingStages = param === "tuned" ? tunedHalving : 0;
        build = () => PrefilterIndex.build(train.X, { y: train.y ?? undefined, candidates, halvingStages, workers, nFilterFeatures: Math.min(4, train.X.cols) });
      }
    } else throw new Error(`unknown engine ${engine}`);
    const builds: number[] = [];
    const firstQueries: number[] = [];
    const queries: number[] = [];
    let index: KnnIndex | null = null;
    let result = null;
    for (let r = 0; r < repeats; r++) {
      builds.push(seconds(() => (index = build())));
      const idx = index as unknown as KnnIndex;
      // the one-shot figure: build, then query every held-out row once, cold (what a notebook user waits for)
      firstQueries.push(seconds(() => idx.query(test.X, k, { workers })));
      secondsPerCall(() => idx.query(test.X, k, { workers })); // warm-up: V8 optimises the query loops over several calls
      queries.push(secondsPerCall(() => (result = idx.query(test.X, k, { workers }))));
    }
    const res = result as unknown as { indices: Int32Array };
    const path = join(out, `knnkit-${engine.replace(/[^a-zA-Z0-9_.-]/g, "_")}.arrow`);
    writeFileSync(path, tableToIPC(new Table({ indices: typedVector(res.indices) }), "file"));
    console.log(
      JSON.stringify({
        engine: label,
        family: base,
        workers,
        build_s: builds,
        first_query_s: firstQueries,
        query_s: queries,
        queries: test.X.rows,
        k,
        indices: path,
        index_bytes: indexBytes(index as unknown as KnnIndex),
        index_bytes_total: (index as unknown as Partial<KnnIndex>).memoryBytes ?? null,
      }),
    );
  }
  const end = process.hrtime.bigint();
  console.log(JSON.stringify({ process: { load_s: Number(runStart - loadStart) / 1e9, run_s: Number(end - loadStart) / 1e9 } }));
  void closeWorkerPool();
}

const command = process.argv[2];
if (command === "generate") generate();
else if (command === "run") await run();
else throw new Error("usage: compare/runner.ts generate|run ...");
