/**
 * Executes a Python notebook's code cells inside Pyodide (the knnkit host) and
 * writes the notebook with their outputs. First error is fatal (exit 1).
 *
 *   node --import tsx notebooks/run_pyodide.ts IN.ipynb OUT.ipynb
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadKnnkitPyodide } from "@knnkit/interop";

interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: object[];
  execution_count?: number | null;
}

const [input, output] = process.argv.slice(2);
const nb = JSON.parse(readFileSync(input, "utf8")) as { cells: Cell[] };
const { pyodide } = await loadKnnkitPyodide({ packageDir: join(import.meta.dirname, "../packages/python/src") });
let count = 0;
for (const cell of nb.cells) {
  if (cell.cell_type !== "code") continue;
  const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
  let text = "";
  (pyodide as unknown as { setStdout(o: object): void }).setStdout({ batched: (s: string) => (text += s + "\n") });
  cell.execution_count = ++count;
  try {
    await pyodide.runPythonAsync(source);
  } catch (e) {
    cell.outputs = [{ output_type: "error", ename: "PythonError", evalue: String(e).split("\n").slice(-2).join(" "), traceback: [String(e)] }];
    writeFileSync(output, JSON.stringify(nb, null, 1) + "\n");
    console.error(`cell ${count} failed: ${String(e)}`);
    process.exit(1);
  }
  cell.outputs = text ? [{ output_type: "stream", name: "stdout", text }] : [];
}
writeFileSync(output, JSON.stringify(nb, null, 1) + "\n");
