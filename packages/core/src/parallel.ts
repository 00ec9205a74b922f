/**
 * Parallel queries on worker_threads (Node only; browsers: web-pool.ts). The index arrays and the
 * query rows live in SharedArrayBuffers, so workers read them without copies.
 * Calls stay synchronous: the main thread takes chunks of query rows from a
 * shared counter like the workers do, then blocks on Atomics.wait until every
 * worker has finished, and collects radius results with receiveMessageOnPort.
 * Workers are started on first use, reused, and unref'd: they never keep the
 * process alive. `closeWorkerPool()` terminates them.
 */
import type { Worker as NodeWorker, MessagePort as NodeMessagePort } from "node:worker_threads";
import { KnnInputError, describeValue } from "./errors.js";
import type { KnnIndex } from "./index-base.js";
import type { Matrix } from "./matrix.js";
import type { KnnResult, RadiusResult } from "./results.js";
import type { FloatRange, HashTask } from "./checksum.js";
import { memoryOf } from "./kernels/memory.js";
import { allocShared, hasSharedMemory, toShared } from "./shared.js";

type WorkerThreads = typeof import("node:worker_threads");
type Os = typeof import("node:os");

interface NodeProcess {
  getBuiltinModule?: (name: string) => unknown;
}

function builtin<T>(name: string): T | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  return (proc?.getBuiltinModule?.(name) as T | undefined) ?? null;
}

const threads = builtin<WorkerThreads>("node:worker_threads");
const os = builtin<Os>("node:os");
const fs = builtin<typeof import("node:fs")>("node:fs");

/** Whether this runtime can run parallel queries (Node with worker_threads and shared memory). */
export const parallelAvailable = threads !== null && hasSharedMemory && threads.isMainThread;

let cores: number | undefined;

/**
 * Number of hardware threads (a browser's navigator.hardwareConcurrency; 1 where unknown), asked
 * once: every query caps its threads by it, and Node's answer is a system call (microseconds).
 */
export function cpuCount(): number {
  cores ??= os ? (os.availableParallelism?.() ?? os.cpus().length) : ((globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1);
  return cores;
}

/** Work (distance evaluations x features) above which "auto" uses every core. */
export const AUTO_PARALLEL_WORK = 20_000_000;

/**
 * The thread count for one batch: an explicit number capped at cpuCount() (more
 * threads than cores only add start-up time and memory), "auto" every core for
 * large batches and one thread otherwise.
 */
export function resolveWorkers(workers: number | "auto", work: number, available = parallelAvailable): number {
  if (!available) return 1;
  if (workers === "auto") return work >= AUTO_PARALLEL_WORK ? cpuCount() : 1;
  if (typeof workers !== "number" || !Number.isInteger(workers) || workers < 1) {
    throw new KnnInputError(`workers must be an integer >= 1 or "auto", got ${describeValue(workers)}`);
  }
  return Math.min(workers, cpuCount());
}

interface PoolWorker {
  worker: NodeWorker;
  port: NodeMessagePort;
  registered: Set<number>;
}

const pool: PoolWorker[] = [];
const indexIds = new WeakMap<KnnIndex, number>();
let nextIndexId = 1;
const finalizer = new FinalizationRegistry<number>((id) => {
  for (const w of pool) {
    if (w.registered.delete(id)) w.worker.postMessage({ type: "free", id });
  }
});

function workerScript(): URL {
  const here = new URL("./worker.js", import.meta.url);
  if (fs?.existsSync(here)) return here;
  // running from TypeScript sources (tests): use the built worker
  return new URL("../dist/worker.js", import.meta.url);
}

function ensureWorkers(count: number): PoolWorker[] {
  const t = threads as WorkerThreads;
  while (pool.length < count) {
    const { port1, port2 } = new t.MessageChannel();
    const worker = new t.Worker(workerScript(), { workerData: { port: port2 }, transferList: [port2] });
    worker.unref();
    port1.unref();
    const entry: PoolWorker = { worker, port: port1, registered: new Set() };
    worker.on("error", () => removeWorker(entry));
    worker.on("exit", () => removeWorker(entry));
    pool.push(entry);
  }
  return pool.slice(0, count);
}

function removeWorker(entry: PoolWorker): void {
  const i = pool.indexOf(entry);
  if (i >= 0) pool.splice(i, 1);
}

/** Helper threads running now (the main thread, which takes its share of every batch, not counted). */
export function workerPoolSize(): number {
  return pool.length;
}

/** Terminates the worker threads (they are restarted on the next parallel query). */
export async function closeWorkerPool(): Promise<void> {
  const all = pool.splice(0, pool.length);
  await Promise.all(all.map((w) => w.worker.terminate()));
}

export function indexId(index: KnnIndex): number {
  let id = indexIds.get(index);
  if (id === undefined) {
    id = nextIndexId++;
    indexIds.set(index, id);
    finalizer.register(index, id);
  }
  return id;
}

/** Rows per chunk: small enough to balance, large enough to keep the counter cold. */
export function chunkRows(rows: number, threadsUsed: number): number {
  return Math.max(1, Math.min(256, Math.ceil(rows / (threadsUsed * 8))));
}

/** Control block: [next chunk, finished workers, failed]. */
const NEXT = 0;
const DONE = 1;
const FAILED = 2;

interface Batch {
  control: Int32Array;
  helpers: PoolWorker[];
  chunk: number;
  chunks: number;
}

function startBatch(index: KnnIndex, q: Matrix, workers: number, task: Record<string, unknown>): Batch {
  const helpers = ensureWorkers(workers - 1);
  const id = indexId(index);
  const control = allocShared(Int32Array, 4);
  const chunk = chunkRows(q.rows, workers);
  const chunks = Math.ceil(q.rows / chunk);
  const qData = toShared(q.data);
  for (const h of helpers) {
    if (!h.registered.has(id)) {
      const state = index.sharedState();
      // the WebAssembly memory the rows live in travels with them (see kernels/memory.ts)
      h.worker.postMessage({ type: "register", id, state, memory: memoryOf(state.arrays.data) });
      h.registered.add(id);
    }
    h.worker.postMessage({ ...task, id, q: qData, rows: q.rows, chunk, chunks, control, first: -1 });
  }
  return { control, helpers, chunk, chunks };
}

function finishBatch(batch: Batch): void {
  const { control, helpers } = batch;
  while (Atomics.load(control, DONE) < helpers.length) {
    const seen = Atomics.load(control, DONE);
    Atomics.wait(control, DONE, seen, 1000);
    if (helpers.some((h) => !pool.includes(h))) {
      throw new Error("a knnkit worker thread died during a parallel query");
    }
  }
  if (Atomics.load(control, FAILED) !== 0) {
    let message = "a knnkit worker thread failed";
    for (const h of helpers) {
      for (let m = threads!.receiveMessageOnPort(h.port); m; m = threads!.receiveMessageOnPort(h.port)) {
        const msg = m.message as { error?: string };
        if (msg.error) message = msg.error;
      }
    }
    throw new Error(message);
  }
}

export function parallelKnn(index: KnnIndex, q: Matrix, k: number, workers: number): KnnResult {
  const indices = allocShared(Int32Array, q.rows * k);
  const distances = allocShared(Float64Array, q.rows * k);
  const batch = startBatch(index, q, workers, { type: "knn", k, indices, distances });
  for (let c = Atomics.add(batch.control, NEXT, 1); c < batch.chunks; c = Atomics.add(batch.control, NEXT, 1)) {
    const from = c * batch.chunk;
    index.knnRange(q.data, k, from, Math.min(q.rows, from + batch.chunk), indices, distances);
  }
  finishBatch(batch);
  return { indices, distances, rows: q.rows, k };
}

/**
 * Runs `run(from, to)` over chunks of `rows` rows on `workers` threads; the
 * helpers run the same chunks of `task` (a worker-task.ts type whose arrays are shared).
 */
export function parallelRows(task: Record<string, unknown>, rows: number, workers: number, run: (from: number, to: number) => void): void {
  const helpers = ensureWorkers(workers - 1);
  const control = allocShared(Int32Array, 4);
  const chunk = chunkRows(rows, workers);
  const chunks = Math.ceil(rows / chunk);
  for (const h of helpers) h.worker.postMessage({ ...task, rows, chunk, chunks, control, first: -1 });
  for (let c = Atomics.add(control, NEXT, 1); c < chunks; c = Atomics.add(control, NEXT, 1)) {
    run(c * chunk, Math.min(rows, (c + 1) * chunk));
  }
  finishBatch({ control, helpers, chunk, chunks });
}

export function parallelRadius(index: KnnIndex, q: Matrix, rr: number, countOnly: boolean, workers: number): RadiusResult {
  const batch = startBatch(index, q, workers, { type: "radius", rr, countOnly });
  const parts: (RadiusResult | undefined)[] = new Array(batch.chunks);
  for (let c = Atomics.add(batch.control, NEXT, 1); c < batch.chunks; c = Atomics.add(batch.control, NEXT, 1)) {
    const from = c * batch.chunk;
    parts[c] = index.radiusBatch(q.data, rr, from, Math.min(q.rows, from + batch.chunk), countOnly);
  }
  finishBatch(batch);
  for (const h of batch.helpers) {
    for (let m = threads!.receiveMessageOnPort(h.port); m; m = threads!.receiveMessageOnPort(h.port)) {
      const msg = m.message as { chunk: number; part: RadiusResult };
      parts[msg.chunk] = msg.part;
    }
  }
  return concatRadius(parts as RadiusResult[], q.rows);
}

export function concatRadius(parts: RadiusResult[], rows: number): RadiusResult {
  let total = 0;
  for (const p of parts) total += p.indices.length;
  const offsets = new Int32Array(rows + 1);
  const indices = new Int32Array(total);
  const distances = new Float64Array(parts.some((p) => p.distances.length > 0) ? total : 0);
  let row = 0;
  let written = 0;
  for (const p of parts) {
    const base = offsets[row];
    for (let i = 1; i <= p.rows; i++) offsets[row + i] = base + p.offsets[i];
    indices.set(p.indices, written);
    if (distances.length > 0) distances.set(p.distances, written);
    written += p.indices.length;
    row += p.rows;
  }
  return { offsets, indices, distances, rows };
}

/** From this many bytes, a file being loaded is hashed on a pool thread while the calling thread reads it (backgroundHash). */
export const BACKGROUND_HASH_BYTES = 16 << 20;

let backgroundHashDisabled = false;

/** Turns hashing on a pool thread off (or back on), e.g. to compare the two in the load benchmark. */
export function setBackgroundHashEnabled(enabled: boolean): void {
  backgroundHashDisabled = !enabled;
}

export interface BackgroundHash {
  /** Bytes [from, to) are there (`to` a multiple of 8, growing). */
  advance(to: number): void;
  /** Waits for the hash of bytes [from, end) and sets the float ranges' `finite` flags. */
  finish(): number;
  /** Stops the thread's hashing (the bytes will not all come). */
  abort(): void;
}

/**
 * Hashes `bytes` (in a rows memory) from `from` to their end on a pool thread,
 * as far as `advance` says they are there, so that reading and hashing
 * overlap; see runHashTask. Null where there is no pool thread to use (not
 * Node, one core, bytes outside a rows memory or fewer than
 * BACKGROUND_HASH_BYTES) or it is turned off.
 */
export function backgroundHash(bytes: Uint8Array, from: number, floats: FloatRange[]): BackgroundHash | null {
  const memory = memoryOf(bytes);
  if (backgroundHashDisabled || !parallelAvailable || cpuCount() < 2 || memory === null || bytes.length < BACKGROUND_HASH_BYTES) return null;
  const [helper] = ensureWorkers(1);
  const control = allocShared(Int32Array, 4 + floats.length);
  const task: HashTask = { type: "hash", memory, bytes, from, floats, control };
  helper.worker.postMessage(task);
  const signal = (value: number) => {
    Atomics.store(control, 0, value);
    Atomics.notify(control, 0);
  };
  return {
    advance: (to) => signal(to / 8),
    abort: () => signal(-1),
    finish: () => {
      while (Atomics.load(control, 1) === 0) {
        Atomics.wait(control, 1, 0, 1000);
        if (!pool.includes(helper)) throw new Error("a knnkit worker thread died while hashing a file");
      }
      if (control[3] !== 0) throw new Error("a knnkit worker thread failed to hash a file");
      floats.forEach((r, i) => (r.finite = control[4 + i] === 1));
      return control[2] >>> 0;
    },
  };
}
