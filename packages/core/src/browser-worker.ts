/** A Web Worker of the browser's parallel query pool (see web-pool.ts): runs chunks of query rows, see worker-task.ts. */
import type { IndexState } from "./shared.js";
import type { Reply } from "./web-pool.js";
import { manageIndexes, runChunks, type ChunkTask } from "./worker-task.js";

interface WorkerScope {
  postMessage(message: Reply, transfer?: ArrayBuffer[]): void;
  addEventListener(type: "message", listener: (event: { data: { type: string; id: number; state?: IndexState } }) => void): void;
}
const scope = globalThis as unknown as WorkerScope;

scope.addEventListener("message", ({ data }) => {
  if (manageIndexes(data)) return;
  const task = data as unknown as ChunkTask & { batch: number };
  const { batch } = task;
  try {
    const chunks = runChunks(task, (chunk, part) =>
      scope.postMessage({ type: "part", batch, chunk, part }, [part.offsets.buffer, part.indices.buffer, part.distances.buffer] as ArrayBuffer[]),
    );
    scope.postMessage({ type: "done", batch, chunks });
  } catch (e) {
    scope.postMessage({ type: "error", batch, message: e instanceof Error ? e.message : String(e) });
  }
});
