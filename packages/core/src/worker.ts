/** Worker thread of Node's parallel query pool (see parallel.ts): runs chunks of query rows, see worker-task.ts. */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { runHashTask, type HashTask } from "./checksum.js";
import type { IndexState } from "./shared.js";
import { manageIndexes, runChunks, type ChunkTask } from "./worker-task.js";

const results = (workerData as { port: MessagePort }).port;

parentPort!.on("message", (msg: { type: string; id: number; state?: IndexState }) => {
  if (manageIndexes(msg)) return;
  if (msg.type === "hash") return runHashTask(msg as unknown as HashTask);
  const task = msg as unknown as ChunkTask;
  try {
    runChunks(task, (chunk, part) =>
      results.postMessage({ chunk, part }, [part.offsets.buffer, part.indices.buffer, part.distances.buffer] as ArrayBuffer[]),
    );
  } catch (e) {
    Atomics.store(task.control, 2, 1);
    results.postMessage({ error: e instanceof Error ? e.message : String(e) });
  } finally {
    Atomics.add(task.control, 1, 1);
    Atomics.notify(task.control, 1);
  }
});
