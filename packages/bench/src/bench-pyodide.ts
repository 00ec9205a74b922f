/**
 * Pyodide bridge benchmark: start-up of the host, per-call overhead, and a
 * 100,000 x 32 float64 query matrix from Python-in-Pyodide to the engine and
 * back, next to the CPython IPC bridge moving the same matrix.
 *
 *   pnpm --filter @knnkit/bench bench:pyodide
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { loadKnnkitPyodide } from "@knnkit/interop";

const ROOT = join(import.meta.dirname, "../../..");
const t0 = performance.now();
const host = await loadKnnkitPyodide({ packageDir: join(ROOT, "packages/python/src") });
const startup = performance.now() - t0;
const py = host.pyodide;
const out = JSON.parse(
  py.runPython(`
import array, json, time, statistics, knnkit
from knnkit._backend.pyodide import transport
rows, cols = 100_000, 32
data = array.array("d", (float(i % 997) / 997 for i in range(rows * cols)))
Q = memoryview(data).cast("B").cast("d", [rows, cols])
tree = knnkit.KDTree(memoryview(array.array("d", [0.0] * cols)).cast("B").cast("d", [1, cols]))
tiny = memoryview(array.array("d", [0.5] * cols)).cast("B").cast("d", [1, cols])
calls = []
for _ in range(300):
    t = time.perf_counter(); tree.query(tiny, k=1); calls.append(time.perf_counter() - t)
echo = []
for _ in range(5):
    t = time.perf_counter()
    back = transport().call("echo", "{}", Q).to_py(depth=1)[1].to_memoryview()
    echo.append(time.perf_counter() - t)
assert back.nbytes == Q.nbytes
query = []
for _ in range(5):
    t = time.perf_counter(); d, i = tree.query(Q, k=1); query.append(time.perf_counter() - t)
json.dumps({"call_ms": statistics.median(calls) * 1e3, "echo_ms": statistics.median(echo) * 1e3, "query_ms": statistics.median(query) * 1e3, "mb": Q.nbytes / 1e6})
`) as string,
);
const ipc = JSON.parse(
  execFileSync(
    join(ROOT, ".venv/bin/python"),
    [
      "-c",
      `
import json, statistics, time, numpy as np
from knnkit._bridge import client
c = client(); c.call("ping")
Q = np.random.default_rng(0).random((100_000, 32))
calls = []
for _ in range(300):
    t = time.perf_counter(); c.call("ping"); calls.append(time.perf_counter() - t)
echo = []
for _ in range(5):
    t = time.perf_counter(); c.call("echo", {"X": Q}); echo.append(time.perf_counter() - t)
print(json.dumps({"call_ms": statistics.median(calls) * 1e3, "echo_ms": statistics.median(echo) * 1e3}))
`,
    ],
    { encoding: "utf8" },
  ),
);
const mb = out.mb as number;
console.log(`Pyodide host start-up (Pyodide + knnkit package): ${startup.toFixed(0)} ms`);
console.log(`| path | tiny call | 100,000 x 32 float64 there and back (${mb.toFixed(1)} MB) | throughput |`);
console.log("| --- | ---: | ---: | ---: |");
console.log(`| Pyodide (same process, buffer protocol) | ${out.call_ms.toFixed(3)} ms (KDTree.query of 1 row) | ${out.echo_ms.toFixed(1)} ms | ${((2 * mb) / out.echo_ms).toFixed(2)} GB/s |`);
console.log(`| CPython IPC bridge (Arrow files in /dev/shm) | ${ipc.call_ms.toFixed(3)} ms (ping) | ${ipc.echo_ms.toFixed(1)} ms | ${((2 * mb) / ipc.echo_ms).toFixed(2)} GB/s |`);
console.log(`Pyodide KDTree.query of the 100,000 rows against a 1-row tree (k=1, results copied back): ${out.query_ms.toFixed(1)} ms`);
