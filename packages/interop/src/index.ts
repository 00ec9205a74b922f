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
export {
  Engine,
  EngineError,
  errorCode,
  coreOptions,
  workersFor,
  retainsInputs,
  OPERATIONS,
  type ErrorCode,
  type EngineInputs,
  type EngineAnswer,
  type EngineArray,
  type Description,
  type FitKind,
  type Labels,
  type Operation,
} from "./engine.js";
export { answer as bridgeAnswer } from "./bridge.js";
export { loadKnnkitPyodide, PyodideTransport, type KnnkitPyodide, type PyodideLike, type PyodideAnswer } from "./pyodide-host.js";
