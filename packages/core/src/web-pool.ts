/**
 * Parallel queries in a browser (`queryAsync`): a pool of module Web Workers
 * (browser-worker.js, next to this module) that read the index arrays and the
 * query rows from SharedArrayBuffers, so it needs a cross-origin-isolated page
 * (COOP same-origin, COEP require-corp). A page's main thread may not block on
 * Atomics.wait, so the caller does no rows itself and awaits the workers'
 * answers instead: each worker runs one chunk of its own, then takes chunks
 * from a shared counter. Workers are started on first use and reused;
 * `closeWebWorkerPool()` terminates them.
 */
import type { KnnIndex } from "./index-base.js";
import { memoryOf } from "./kernels/memory.js";
import type { Matrix } from "./matrix.js";
import { chunkRows, concatRadius, indexId } from "./parallel.js";
import type { KnnResult, RadiusResult } from "./results.js";
import { allocShared, hasSharedMemory, toShared } from "./shared.js";

interface WebWorker {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data: Reply }) => void): void;
  addEventListener(type: "error", listener: (event: { message?: string }) => void): void;
  terminate(): void;
}
type WorkerConstructor = new (url: URL, options: { type: "module"; name: string }) => WebWorker;

/** What a worker answers for a batch (see browser-worker.ts). */
export type Reply =
  | { type: "part"; batch: number; chunk: number; part: RadiusResult }
  | { type: "done"; batch: number; chunks: number }
  | { type: "error"; batch: number; message: string };

const scope = globalThis as { Worker?: WorkerConstructor; crossOriginIsolated?: boolean };

/** Whether `queryAsync` can use Web Workers: a browser context that is cross-origin isolated (SharedArrayBuffer). */
export const webWorkersAvailable = typeof scope.Worker === "function" && hasSharedMemory && scope.crossOriginIsolated === true;

interface PoolWorker {
  worker: WebWorker;
  registered: Set<number>;
}

interface Pending {
  helpers: PoolWorker[];
  onReply(reply: Reply): void;
  fail(message: string): void;
}

const pool: PoolWorker[] = [];
const pending = new Map<number, Pending>();
let nextBatch = 1;
const tracked = new WeakSet<KnnIndex>();
const finalizer = new FinalizationRegistry<number>((id) => {
  for (const w of pool) {
    if (w.registered.delete(id)) w.worker.postMessage({ type: "free", id });
  }
});

function ensureWorkers(count: number): PoolWorker[] {
  while (pool.length < count) {
    const worker = new scope.Worker!(new URL("./browser-worker.js", import.meta.url), { type: "module", name: "knnkit" });
    const entry: PoolWorker = { worker, registered: new Set() };
    worker.addEventListener("message", (event) => pending.get(event.data.batch)?.onReply(event.data));
    worker.addEventListener("error", (event) => {
      const i = pool.indexOf(entry);
      if (i >= 0) pool.splice(i, 1);
      worker.terminate();
      for (const p of [...pending.values()]) {
        if (p.helpers.includes(entry)) p.fail(`a knnkit Web Worker failed: ${event.message ?? "it could not start"}`);
      }
    });
    pool.push(entry);
  }
  return pool.slice(0, count);
}

/** Terminates the Web Workers (they are restarted on the next parallel query). */
export function closeWebWorkerPool(): void {
  for (const w of pool.splice(0, pool.length)) w.worker.terminate();
}

/** Runs one batch over `workers` Web Workers; resolves when each has answered "done". */
function runBatch(index: KnnIndex, q: Matrix, workers: number, task: Record<string, unknown>, onPart?: (chunk: number, part: RadiusResult) => void): Promise<void> {
  const helpers = ensureWorkers(workers);
  const id = indexId(index);
  const chunk = chunkRows(q.rows, workers);
  const chunks = Math.ceil(q.rows / chunk);
  const control = allocShared(Int32Array, 1);
  control[0] = helpers.length; // chunks [0, helpers) are the workers' first ones
  const batch = nextBatch++;
  return new Promise<void>((resolve, reject) => {
    let answered = 0;
    let ran = 0;
    let error: string | undefined;
    const finish = () => {
      pending.delete(batch);
      if (error === undefined && ran !== chunks) error = `knnkit Web Workers ran ${ran} of ${chunks} chunks`;
      if (error === undefined) resolve();
      else reject(new Error(error));
    };
    pending.set(batch, {
      helpers,
      onReply(reply) {
        if (reply.type === "part") return onPart?.(reply.chunk, reply.part);
        if (reply.type === "error") error ??= reply.message;
        else ran += reply.chunks;
        if (++answered === helpers.length) finish();
      },
      fail(message) {
        error ??= message;
        finish();
      },
    });
    if (!tracked.has(index)) {
      tracked.add(index);
      finalizer.register(index, id);
    }
    const qData = toShared(q.data);
    helpers.forEach((h, i) => {
      if (!h.registered.has(id)) {
        const state = index.sharedState();
        h.worker.postMessage({ type: "register", id, state, memory: memoryOf(state.arrays.data) });
        h.registered.add(id);
      }
      h.worker.postMessage({ ...task, batch, id, q: qData, rows: q.rows, chunk, chunks, control, first: i });
    });
  });
}

export async function webParallelKnn(index: KnnIndex, q: Matrix, k: number, workers: number): Promise<KnnResult> {
  const indices = allocShared(Int32Array, q.rows * k);
  const distances = allocShared(Float64Array, q.rows * k);
  await runBatch(index, q, workers, { type: "knn", k, indices, distances });
  return { indices, distances, rows: q.rows, k };
}

export async function webParallelRadius(index: KnnIndex, q: Matrix, rr: number, countOnly: boolean, workers: number): Promise<RadiusResult> {
  const parts: RadiusResult[] = [];
  await runBatch(index, q, workers, { type: "radius", rr, countOnly }, (chunk, part) => (parts[chunk] = part));
  return concatRadius(parts, q.rows);
}
