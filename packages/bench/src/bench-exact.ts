/**
 * Exact-index benchmark: build and query time of BruteForce, KDTree and
 * BallTree (1 and 2 threads) on the seeded workloads, with the JS peers
 * kd-tree-javascript and ml-knn in the same run.
 *
 *   pnpm bench [--quick] [--workloads W1,W2] [--repeats 3]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { BallTree, BruteForce, KDTree, closeWorkerPool, type KnnIndex, type Matrix } from "@knnkit/core";
import { head, toRows, workload, WORKLOADS, type Workload } from "./datasets.js";
import { fmt, median, time } from "./timing.js";

const require = createRequire(import.meta.url);
const { kdTree: JsKdTree } = require("kd-tree-javascript") as {
  kdTree: new (points: object[], metric: (a: Record<string, number>, b: Record<string, number>) => number, dims: string[]) => {
    nearest(p: Record<string, number>, k: number): [Record<string, number>, number][];
  };
};
const MlKnn = (require("ml-knn") as { default?: unknown }).default ?? require("ml-knn");

interface Args {
  quick: boolean;
  workloads: string[];
  repeats: number;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, workloads: WORKLOADS.map((w) => w.name), repeats: 3, out: "results/exact.json" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") args.quick = true;
    else if (a === "--workloads") args.workloads = argv[++i].split(",");
    else if (a === "--repeats") args.repeats = Number(argv[++i]);
    else if (a === "--out") args.out = argv[++i];
    else throw new Error(`unknown option ${a}`);
  }
  return args;
}

interface Row {
  workload: string;
  engine: string;
  workers: number;
  buildSeconds: number;
  queries: number;
  qps: number;
  note: string;
}

interface Engine {
  name: string;
  workers: number;
  queries: Matrix;
  note: string;
  build: () => unknown;
  query: (index: unknown) => void;
}

/** Runs every engine `repeats` times, rotating the order each round so a noisy machine hurts them alike. */
function measure(w: Workload, engines: Engine[], repeats: number): Row[] {
  const builds = engines.map(() => [] as number[]);
  const queries = engines.map(() => [] as number[]);
  for (let r = 0; r < repeats; r++) {
    for (let e0 = 0; e0 < engines.length; e0++) {
      const e = (e0 + r) % engines.length;
      const engine = engines[e];
      let index: unknown;
      builds[e].push(time(() => (index = engine.build())));
      engine.query(index); // warm-up (JIT, worker start)
      queries[e].push(time(() => engine.query(index)));
    }
  }
  return engines.map((e, i) => ({
    workload: w.name,
    engine: e.name,
    workers: e.workers,
    buildSeconds: median(builds[i]),
    queries: e.queries.rows,
    qps: e.queries.rows / median(queries[i]),
    note: e.note,
  }));
}

function knnkitEngines(w: Workload, bruteQueries: number): Engine[] {
  const engines: Engine[] = [];
  const indexes: [string, (X: Matrix) => KnnIndex][] = [
    ["knnkit BruteForce", (X) => BruteForce.build(X)],
    ["knnkit KDTree", (X) => KDTree.build(X, { leafSize: 40 })],
    ["knnkit BallTree", (X) => BallTree.build(X, { leafSize: 40 })],
  ];
  for (const [name, build] of indexes) {
    for (const workers of [1, 2]) {
      const brute = name.includes("Brute");
      const Q = brute ? head(w.Q, bruteQueries) : w.Q;
      engines.push({
        name,
        workers,
        queries: Q,
        note: brute ? `first ${Q.rows} queries` : "",
        build: () => build(w.X),
        query: (index) => (index as KnnIndex).query(Q, w.k, { workers }),
      });
    }
  }
  return engines;
}

function kdTreeJsEngine(w: Workload, queries: number): Engine {
  const dims = Array.from({ length: w.X.cols }, (_, j) => `d${j}`);
  const toPoint = (m: Matrix, i: number): Record<string, number> => {
    const p: Record<string, number> = { i };
    for (let j = 0; j < m.cols; j++) p[dims[j]] = m.data[i * m.cols + j];
    return p;
  };
  const points = Array.from({ length: w.X.rows }, (_, i) => toPoint(w.X, i));
  const Q = head(w.Q, queries);
  const qPoints = Array.from({ length: Q.rows }, (_, i) => toPoint(Q, i));
  const metric = (a: Record<string, number>, b: Record<string, number>): number => {
    let s = 0;
    for (const d of dims) s += (a[d] - b[d]) ** 2;
    return s;
  };
  return {
    name: "kd-tree-javascript",
    workers: 1,
    queries: Q,
    note: `first ${Q.rows} queries`,
    // the library reorders its input array: give it a fresh copy each build
    build: () => new JsKdTree(points.slice(), metric, dims),
    query: (tree) => {
      const t = tree as InstanceType<typeof JsKdTree>;
      for (const p of qPoints) t.nearest(p, w.k);
    },
  };
}

function mlKnnEngines(w: Workload, rows: number, queries: number): Engine[] {
  const X = head(w.X, rows);
  const Q = head(w.Q, queries);
  const xRows = toRows(X);
  const qRows = toRows(Q);
  const labels = Array.from({ length: X.rows }, (_, i) => i);
  const Knn = MlKnn as new (d: number[][], l: number[], o: { k: number }) => {
    kdTree: { nearest(p: number[], k: number): [number[], number][] };
  };
  return [
    {
      name: "ml-knn",
      workers: 1,
      queries: Q,
      note: `N=${X.rows}, first ${Q.rows} queries`,
      build: () => new Knn(xRows, labels, { k: w.k }),
      query: (knn) => {
        const t = (knn as InstanceType<typeof Knn>).kdTree;
        for (const q of qRows) t.nearest(q, w.k);
      },
    },
    {
      name: "knnkit KDTree",
      workers: 1,
      queries: Q,
      note: `N=${X.rows}, first ${Q.rows} queries (same as ml-knn)`,
      build: () => KDTree.build(X, { leafSize: 40 }),
      query: (index) => (index as KnnIndex).query(Q, w.k, { workers: 1 }),
    },
  ];
}

/** Checks that a peer finds the same neighbour distances as knnkit on a few queries. */
function verifyPeers(w: Workload): string[] {
  const notes: string[] = [];
  const Q = head(w.Q, 20);
  const ours = KDTree.build(w.X).query(Q, w.k, { workers: 1 });
  if (w.X.cols <= 8) {
    const e = kdTreeJsEngine(w, 20);
    const tree = e.build() as InstanceType<typeof JsKdTree>;
    let bad = 0;
    for (let i = 0; i < Q.rows; i++) {
      const p: Record<string, number> = {};
      for (let j = 0; j < Q.cols; j++) p[`d${j}`] = Q.data[i * Q.cols + j];
      const got = tree.nearest(p, w.k).map((r) => Math.sqrt(r[1])).sort((a, b) => a - b);
      for (let j = 0; j < w.k; j++) if (Math.abs(got[j] - ours.distances[i * w.k + j]) > 1e-9) bad++;
    }
    notes.push(`kd-tree-javascript on ${w.name}: ${bad} of ${Q.rows * w.k} neighbour distances differ from knnkit`);
  }
  return notes;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const scale = args.quick ? 0.02 : 1;
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const name of args.workloads) {
    const w = workload(name, scale);
    process.stderr.write(`${name}: N=${w.X.rows} D=${w.X.cols} Q=${w.Q.rows} k=${w.k}\n`);
    const bruteQueries = Math.min(w.Q.rows, name === "W5" ? 200 : 500);
    const engines = knnkitEngines(w, bruteQueries);
    if (name === "W1" || name === "W2") engines.push(kdTreeJsEngine(w, Math.min(w.Q.rows, 2000)));
    rows.push(...measure(w, engines, args.repeats));
    if (name === "W1") rows.push(...measure(w, mlKnnEngines(w, Math.min(w.X.rows, 20_000), Math.min(w.Q.rows, 1000)), args.repeats));
    notes.push(...verifyPeers(w));
  }
  const table = [
    "| workload | engine | workers | build s | queries timed | queries/s |",
    "| --- | --- | ---: | ---: | --- | ---: |",
    ...rows.map(
      (r) => `| ${r.workload} | ${r.engine} | ${r.workers} | ${fmt(r.buildSeconds, 3)} | ${r.note || "all " + r.queries} | ${fmt(r.qps)} |`,
    ),
  ].join("\n");
  const ratios = summarise(rows);
  console.log(table);
  console.log("");
  console.log(ratios.join("\n"));
  console.log("");
  console.log(notes.join("\n"));
  mkdirSync(new URL("../results/", import.meta.url), { recursive: true });
  const out = new URL(`../${args.out}`, import.meta.url);
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, quick: args.quick, rows, ratios, notes }, null, 2));
  void closeWorkerPool();
}

function summarise(rows: Row[]): string[] {
  const get = (w: string, engine: string, workers = 1, note?: string) =>
    rows.find((r) => r.workload === w && r.engine === engine && r.workers === workers && (note === undefined || r.note.includes(note)));
  const out: string[] = [];
  const ratio = (label: string, a: Row | undefined, b: Row | undefined, want: number) => {
    if (!a || !b) return;
    const x = a.qps / b.qps;
    out.push(`- ${label}: ${fmt(x, 1)}× (expected ≥ ${want}×) ${x >= want ? "— met" : "— NOT met"}`);
  };
  ratio("W1 KD-tree vs our brute force", get("W1", "knnkit KDTree"), get("W1", "knnkit BruteForce"), 50);
  ratio("W1 KD-tree vs kd-tree-javascript", get("W1", "knnkit KDTree"), get("W1", "kd-tree-javascript"), 10);
  ratio("W2 KD-tree vs kd-tree-javascript", get("W2", "knnkit KDTree"), get("W2", "kd-tree-javascript"), 10);
  ratio("W1 (N=20k) KD-tree vs ml-knn", get("W1", "knnkit KDTree", 1, "same as ml-knn"), get("W1", "ml-knn"), 100);
  ratio("W2 KD-tree 2 workers vs 1", get("W2", "knnkit KDTree", 2), get("W2", "knnkit KDTree", 1), 1.7);
  return out;
}

main();
