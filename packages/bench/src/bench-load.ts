/**
 * Load-time benchmark of the knnkit file format (issue 13): builds an index
 * once (seeded), saves it to /tmp, then times, median of --repeats runs:
 *   read       the file's bytes into a fresh buffer, nothing else
 *   trusted    load(path, { trusted: true }): read (into the WebAssembly memory
 *              the kernels read), prefix, header, views, restore
 *   load       load(path): the same plus the checksum pass (xxHash32 and the
 *              float arrays' finite check, on a pool thread while this one
 *              reads) and checkIndexState
 *   loadOneThread  the same with the checksum pass on the reading thread
 *   checksum   load minus trusted minus validate
 *   validate   checkIndexState on the loaded state, its float arrays known
 *              finite (what load runs after the checksum pass)
 *   hash       the checksum pass alone over the loaded index's rows in memory
 *              (from RAM, where load hashes each chunk from cache)
 *   pass       one plain pass over the file's bytes in memory (a sum of int32
 *              words), for scale
 *   first      load(path) and the first query batch: file to first answers
 * and a query batch on the built and on the loaded index (the query path is
 * the same code, so these should agree). Each round runs every measurement
 * once, so all of them see the same load from other processes; wall-clock and
 * CPU time (user + system) are both recorded, with the load average. Writes
 * results/load.json.
 *
 *   pnpm --filter @knnkit/bench bench:load [--kind brute|kd_tree] [--rows 8000000] [--cols 32] [--dtype float32] [--repeats 5] [--cold true]
 *
 * --cold true (root only) empties the kernel's page cache before each step that
 * reads the file, so it is read from the disk.
 */
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { BruteForce, KDTree, Xxh32, checkIndexState, setBackgroundHashEnabled, matrixView, mulberry32, type KnnIndex, type Matrix } from "@knnkit/core";
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
  cold: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { kind: "brute", rows: 8_000_000, cols: 32, dtype: "float32", repeats: 5, queries: 8, out: "results/load.json", cold: false };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i].replace(/^--/, ""), argv[i + 1]];
    if (key === "kind") args.kind = value as Args["kind"];
    else if (key === "dtype") args.dtype = value as Args["dtype"];
    else if (key === "out") args.out = value;
    else if (key === "cold") args.cold = value === "true";
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

function sumWords(w: Int32Array): number {
  let s0 = 0;
  let s1 = 0;
  for (let i = 0; i + 1 < w.length; i += 2) {
    s0 = (s0 + w[i]) | 0;
    s1 = (s1 + w[i + 1]) | 0;
  }
  return s0 ^ s1;
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

/**
 * Wall-clock and CPU milliseconds (user + system, this process) of each step,
 * `n` times, the steps interleaved within a round. On a shared machine the CPU
 * time is the steadier measure of what a step costs.
 */
function rounds(n: number, steps: Record<string, () => void>, cold: readonly string[] = []): { wall: Record<string, number[]>; cpu: Record<string, number[]> } {
  const empty = () => Object.fromEntries(Object.keys(steps).map((k) => [k, [] as number[]]));
  const wall = empty();
  const cpu = empty();
  for (let r = 0; r < n; r++) {
    for (const [name, fn] of Object.entries(steps)) {
      (globalThis as { gc?: () => void }).gc?.();
      // the kernel's page cache emptied (as root), so the step reads the file from the disk
      if (cold.includes(name)) writeFileSync("/proc/sys/vm/drop_caches", "3");
      const before = process.cpuUsage();
      wall[name].push(time(fn) * 1000);
      const used = process.cpuUsage(before);
      cpu[name].push((used.user + used.system) / 1000);
    }
  }
  return { wall, cpu };
}

/** Medians of the steps, with the derived checksum and checks (load minus trusted). */
function summary(runs: Record<string, number[]>): Record<string, number> {
  const m = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)]));
  const checks = m.load - m.trusted;
  const checksOneThread = m.loadOneThread - m.trusted;
  return { ...m, checks, checksum: checks - m.validate, checksShare: checks / m.load, checksOneThread, checksOneThreadShare: checksOneThread / m.loadOneThread };
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
// the file on disk before any timing (its write-back would otherwise slow the first rounds)
const syncFd = openSync(path, "r");
fsyncSync(syncFd);
closeSync(syncFd);
const fileBytes = statSync(path).size;

const loaded = load(path) as KnnIndex;
const fileCopy = readAll(path);
const words = new Int32Array(fileCopy.buffer);
// first queries build the kernels (copies of the rows); not part of the comparison
index.query(Q, 10, { workers: 1 });
loaded.query(Q, 10, { workers: 1 });
const loadedState = loaded.state();
const floats = Object.values(loadedState.arrays).filter((a): a is Float32Array | Float64Array => a instanceof Float32Array || a instanceof Float64Array);
const rows = loadedState.arrays.data;
const rowBytes = new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
const runs = rounds(args.repeats, {
  read: () => void readAll(path),
  trusted: () => void load(path, { trusted: true }),
  load: () => void load(path),
  loadOneThread: () => {
    setBackgroundHashEnabled(false);
    load(path);
    setBackgroundHashEnabled(true);
  },
  validate: () => checkIndexState(loadedState, new Set(floats)),
  hash: () => void new Xxh32().updateFinite(rowBytes, rows.BYTES_PER_ELEMENT as 4 | 8),
  pass: () => void sumWords(words),
  first: () => void (load(path) as KnnIndex).query(Q, 10, { workers: 1 }),
  queryBuilt: () => void index.query(Q, 10, { workers: 1 }),
  queryLoaded: () => void loaded.query(Q, 10, { workers: 1 }),
}, args.cold ? ["read", "trusted", "load", "loadOneThread", "first"] : []);
rmSync(path);

const wall = summary(runs.wall);
const cpu = summary(runs.cpu);
const result = {
  kind: args.kind,
  rows: args.rows,
  cols: args.cols,
  dtype: args.dtype,
  fileBytes,
  buildSeconds: build,
  saveMs,
  repeats: args.repeats,
  cold: args.cold,
  loadAverage: loadavg(),
  medianWallMs: wall,
  medianCpuMs: cpu,
  runs,
};
mkdirSync(join(args.out, ".."), { recursive: true });
writeFileSync(args.out, JSON.stringify(result, null, 2));

const gb = fileBytes / 1e9;
console.log(`${args.kind} ${fmt(args.rows)} x ${args.cols} ${args.dtype}: file ${fmt(gb, 3)} GB, built in ${fmt(build, 1)} s, saved in ${fmt(saveMs)} ms`);
console.log(`median of ${args.repeats}, load average ${loadavg().map((x) => fmt(x, 1)).join(" ")}:`);
console.log(`  ${"ms".padEnd(15)} ${"wall".padStart(9)} ${"cpu".padStart(9)}`);
for (const name of Object.keys(wall)) {
  if (!name.endsWith("Share")) console.log(`  ${name.padEnd(15)} ${fmt(wall[name], 1).padStart(9)} ${fmt(cpu[name], 1).padStart(9)}`);
}
for (const [what, m] of [["wall", wall], ["cpu", cpu]] as const) {
  console.log(`checksum + validation (${what}): ${fmt(100 * m.checksShare, 1)}% of load (${fmt(m.checks, 1)} of ${fmt(m.load, 1)} ms); on the reading thread ${fmt(100 * m.checksOneThreadShare, 1)}% (${fmt(m.checksOneThread, 1)} of ${fmt(m.loadOneThread, 1)} ms)`);
}
