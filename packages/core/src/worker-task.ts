/**
 * What a pool thread does, for both pools (Node's worker_threads in worker.ts,
 * browser Web Workers in browser-worker.ts): keep the indexes it was sent,
 * rebuilt from their shared arrays, and run chunks of query rows.
 */
import { imputeRows, type ImputeTask } from "./imputer.js";
import type { KnnIndex } from "./index-base.js";
import { adoptMemory, type WasmMemory } from "./kernels/memory.js";
import { indexFromState } from "./index-state.js";
import type { FloatArray } from "./matrix.js";
import type { RadiusResult } from "./results.js";
import type { IndexState } from "./shared.js";

/** A batch of query rows split in chunks; control[0] is the next chunk to take. */
export interface ChunkTask {
  type: "knn" | "radius" | "impute";
  id: number;
  q: FloatArray;
  rows: number;
  chunk: number;
  chunks: number;
  control: Int32Array;
  k: number;
  indices: Int32Array;
  distances: Float64Array;
  rr: number;
  countOnly: boolean;
  /** A chunk this thread runs before taking others from the counter (-1: none). */
  first: number;
  /** type "impute": the KNNImputer's arrays (no index). */
  impute: ImputeTask;
}

const indexes = new Map<number, KnnIndex>();

/** Handles "register" and "free"; false for any other message. */
export function manageIndexes(msg: { type: string; id: number; state?: IndexState; memory?: WasmMemory | null }): boolean {
  if (msg.type === "register") {
    if (msg.memory) adoptMemory(msg.state!.arrays.data, msg.memory);
    // the calling thread's own index, checked when it was built or loaded
    indexes.set(msg.id, indexFromState(msg.state!, { trusted: true }));
    return true;
  }
  if (msg.type === "free") {
    indexes.delete(msg.id);
    return true;
  }
  return false;
}

/** Runs chunks until the counter passes the last one; radius parts go to `sendPart`. Returns the number of chunks run. */
export function runChunks(task: ChunkTask, sendPart: (chunk: number, part: RadiusResult) => void): number {
  if (task.type === "impute") return runImpute(task);
  const index = indexes.get(task.id);
  if (!index) throw new Error(`worker has no index ${task.id}`);
  const { control, chunk, chunks, rows, q } = task;
  let done = 0;
  let c = task.first >= 0 && task.first < chunks ? task.first : Atomics.add(control, 0, 1);
  for (; c < chunks; c = Atomics.add(control, 0, 1)) {
    const from = c * chunk;
    const to = Math.min(rows, from + chunk);
    if (task.type === "knn") index.knnRange(q, task.k, from, to, task.indices, task.distances);
    else sendPart(c, index.radiusBatch(q, task.rr, from, to, task.countOnly));
    done++;
  }
  return done;
}

function runImpute(task: ChunkTask): number {
  const { control, chunk, chunks, rows } = task;
  let done = 0;
  for (let c = Atomics.add(control, 0, 1); c < chunks; c = Atomics.add(control, 0, 1)) {
    imputeRows(task.impute, c * chunk, Math.min(rows, (c + 1) * chunk));
    done++;
  }
  return done;
}
