/** Worker thread of the parallel query pool: rebuilds indexes from shared arrays and runs chunks of query rows. */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import type { KnnIndex } from "./index-base.js";
import { indexFromState } from "./index-state.js";
import type { FloatArray } from "./matrix.js";
import type { IndexState } from "./shared.js";

const results = (workerData as { port: MessagePort }).port;
const indexes = new Map<number, KnnIndex>();

interface Task {
  type: "knn" | "radius";
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
}

function run(task: Task): void {
  const index = indexes.get(task.id);
  if (!index) throw new Error(`worker has no index ${task.id}`);
  const { control, chunk, chunks, rows, q } = task;
  for (let c = Atomics.add(control, 0, 1); c < chunks; c = Atomics.add(control, 0, 1)) {
    const from = c * chunk;
    const to = Math.min(rows, from + chunk);
    if (task.type === "knn") index.knnRange(q, task.k, from, to, task.indices, task.distances);
    else {
      const part = index.radiusBatch(q, task.rr, from, to, task.countOnly);
      results.postMessage({ chunk: c, part }, [part.offsets.buffer, part.indices.buffer, part.distances.buffer] as ArrayBuffer[]);
    }
  }
}

parentPort!.on("message", (msg: { type: string; id: number; state?: IndexState }) => {
  if (msg.type === "register") {
    // the main thread's own index, checked when it was built or loaded
    indexes.set(msg.id, indexFromState(msg.state!, { trusted: true }));
    return;
  }
  if (msg.type === "free") {
    indexes.delete(msg.id);
    return;
  }
  const task = msg as unknown as Task;
  try {
    run(task);
  } catch (e) {
    Atomics.store(task.control, 2, 1);
    results.postMessage({ error: e instanceof Error ? e.message : String(e) });
  } finally {
    Atomics.add(task.control, 1, 1);
    Atomics.notify(task.control, 1);
  }
});
