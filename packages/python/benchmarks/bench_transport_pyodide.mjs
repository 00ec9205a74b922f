// Issue 12 transport benchmark through Pyodide in Node, public knnkit Python API only.
//   node packages/python/benchmarks/bench_transport_pyodide.mjs <tree> before|after
// Prints one JSON line: tiny_ms (median of 300 KDTree.query of 1 row on a 100 x 32 tree),
// kd_ms (median of 5 KDTree fitted on 1,000 x 32, query of 100,000 x 32 float64, k=1); *_cpu_ms: CPU time per
// call of the whole Node process (process.cpuUsage: also V8's compiler and GC threads), *_main_cpu_ms: of the
// thread running Python and the engine alone (Linux: /proc/self/task/<pid>/schedstat; null elsewhere).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [tree, which] = process.argv.slice(2);
const { loadKnnkitPyodide } = await import(pathToFileURL(join(tree, "packages/interop/dist/index.js")).href);
// BEFORE: packageDir (optional) is the knnkit folder itself; AFTER: the folder holding knnkit/.
const host = which === "before" ? await loadKnnkitPyodide() : await loadKnnkitPyodide({ packageDir: join(tree, "packages/python/src") });
globalThis.mainThreadCpuNs = () => {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ")[0]);
  } catch {
    return null;
  }
};
const out = host.pyodide.runPython(`
import array, json, random, statistics, time, knnkit, js
def cpu():
    u = js.process.cpuUsage()
    return (u.user + u.system) / 1e6
rng = random.Random(0)
def matrix(rows, cols):
    a = array.array("d", (rng.random() for _ in range(rows * cols)))
    return memoryview(a).cast("B").cast("d", [rows, cols])
CPU = {}
def med(fn, n, name):
    ts, c0, m0 = [], cpu(), js.mainThreadCpuNs()
    for _ in range(n):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    CPU[name + "_cpu_ms"] = (cpu() - c0) / n * 1e3
    m1 = js.mainThreadCpuNs()
    CPU[name + "_main_cpu_ms"] = None if m0 is None else (m1 - m0) / n / 1e6
    return statistics.median(ts) * 1e3
small = knnkit.KDTree(matrix(100, 32))
one = matrix(1, 32)
for _ in range(20):
    small.query(one, k=1)
tiny = med(lambda: small.query(one, k=1), 300, 'tiny')
X = matrix(1_000, 32)
Q = matrix(100_000, 32)
kd = knnkit.KDTree(X)
d, i = kd.query(Q, k=1)
assert len(i) == 100_000
kd_ms = med(lambda: kd.query(Q, k=1), 5, 'kd')
json.dumps({"tiny_ms": tiny, "kd_ms": kd_ms, **CPU, "sklearn": getattr(knnkit, "SKLEARN", None)})
`);
console.log(out);
