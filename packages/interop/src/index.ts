export {
  MATRIX_COLUMN,
  matrixToVector,
  matrixToTable,
  matrixToIPC,
  matrixFromIPC,
  vectorToMatrix,
  tableToMatrix,
  typedVector,
  arraysToIPC,
  readIPC,
  sharesBuffer,
} from "./arrow.js";
export { save, load, serialize, deserialize, FORMAT, FORMAT_VERSION } from "./persistence.js";
export { loadKnnkitPyodide, PyodideEngine, type KnnkitPyodide, type PyodideLike } from "./pyodide-host.js";
