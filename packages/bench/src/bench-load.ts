/**
 * Load-time benchmark of the knnkit file format (issue 13): builds an index
 * once (seeded), saves it to /tmp, then times, median of --repeats runs:
 *   read       the file's bytes into memory, nothing else (load's own reads)
 *   trusted    load(path, { trusted: true }): read, prefix, header, views, restore
 *   load       load(path): the same plus the checksum and checkIndexState
 *   checksum   load minus trusted minus validate (the xxHash32 pass)
 *   validate   checkIndexState on the loaded state alone
 * and a query batch on the built and on the loaded index (the query path is
 * the same code, so these should agree). Each round runs every measurement
 * once, so all of them see the same load from other processes; the load
 * average is recorded with the result. Writes results/load.json.
 *
 *   pnpm --filter @knnkit/bench bench:load [--kind brute|kd_tree] [--rows 8000000] [--cols 32] [--dtype float32] [--repeats 5]
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { BruteForce, KDTree, checkIndexState, matrixView, mulberry32, type KnnIndex, type Matrix } from "@knnkit/core";
import { load, save } from "@knnkit/interop";
import { fmt, median, time } from "./timing.js";

interface Args {
  kind: "brute" | "kd_tree";
  rows: number;
  cols: number;
  dtype: "float32" | "float64";
  repeats: number;
  queries: number;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { kind: "brute", rows: 8_000_000, cols: 32, dtype: "float32", repeats: 5, queries: 8, out: "results/load.json" };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i].replace(/^--/, ""), argv[i + 1]];
    if (key === "kind") args.kind = value as Args["kind"];
    else if (key === "dtype") args.dtype = value as Args["dtype"];
    else if (key === "out") args.out = value;
    else if (key in args) (args as unknown as Record<string, number>)[key] = Number(value);
    else throw new Error(`unknown option --${key}`);
  }
  return args;
}

function randomMatrix(rows: number, cols: number, dtype: Args["dtype"], seed: number): Matrix {
  const rand = mulberry32(seed);
  const data = dtype === "float32" ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rand();
  return matrixView(data, rows, cols);
}

/** The file into a fresh buffer, as load() reads it (one allocation, then reads of up to 1 GiB). */
function readAll(path: string): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const bytes = new Uint8Array(fstatSync(fd).size);
    for (let at = 0; at < bytes.length; ) at += readSync(fd, bytes, at, Math.min(bytes.length - at, 1 << 30), at);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/** Milliseconds of each step, `rounds` times, the steps interleaved within a round. */
function rounds(n: number, steps: Record<string, () => void>): Record<string, number[]> {
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(steps).map((k) => [k, []]));
  for (let r = 0; r < n; r++) {
    for (const [name, fn] of Object.entries(steps)) {
      (globalThis as { gc?: () => void }).gc?.();
      out[name].push(time(fn) * 1000);
    }
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const X = randomMatrix(args.rows, args.cols, args.dtype, 1);
const Q = randomMatrix(args.queries, args.cols, args.dtype, 2);
let index!: KnnIndex;
const build = time(() => {
  index = args.kind === "brute" ? BruteForce.build(X) : KDTree.build(X, { leafSize: 40 });
});
const path = join(tmpdir(), `knnkit-bench-load-${process.pid}.knnkit`);
const saveMs = time(() => save(index, path)) * 1000;
const fileBytes = statSync(path).size;

const loaded = load(path) as KnnIndex;
// first queries build the kernels (copies of the rows); not part of the comparison
index.query(Q, 10, { workers: 1 });
loaded.query(Q, 10, { workers: 1 });
const runs = rounds(args.repeats, {
  read: () => void readAll(path),
  trusted: () => void load(path, { trusted: true }),
  load: () => void load(path),
  validate: () => checkIndexState(loaded.state()),
  queryBuilt: () => void index.query(Q, 10, { workers: 1 }),
  queryLoaded: () => void loaded.query(Q, 10, { workers: 1 }),
});
rmSync(path);

const m = {
  read: median(runs.read),
  trusted: median(runs.trusted),
  load: median(runs.load),
  validate: median(runs.validate),
};
const checks = m.load - m.trusted;
const result = {
  kind: args.kind,
  rows: args.rows,
  cols: args.cols,
  dtype: args.dtype,
  fileBytes,
  buildSeconds: build,
  saveMs,
  repeats: args.repeats,
  loadAverage: loadavg(),
  medianMs: { ...m, checksum: checks - m.validate, checks, queryBuilt: median(runs.queryBuilt), queryLoaded: median(runs.queryLoaded) },
  checksShareOfLoad: checks / m.load,
  runsMs: runs,
};
mkdirSync(join(args.out, ".."), { recursive: true });
writeFileSync(args.out, JSON.stringify(result, null, 2));

const gb = fileBytes / 1e9;
console.log(`${args.kind} ${fmt(args.rows)} x ${args.cols} ${args.dtype}: file ${fmt(gb, 3)} GB, built in ${fmt(build, 1)} s, saved in ${fmt(saveMs)} ms`);
console.log(`median of ${args.repeats} (ms), load average ${loadavg().map((x) => fmt(x, 1)).join(" ")}:`);
for (const [name, ms] of Object.entries(result.medianMs)) console.log(`  ${name.padEnd(12)} ${fmt(ms, 1).padStart(9)}`);
console.log(`checksum + validation: ${fmt(100 * result.checksShareOfLoad, 1)}% of load (${fmt(checks, 1)} ms of ${fmt(m.load, 1)} ms; ${fmt(gb / (checks / 1000), 2)} GB/s)`);
