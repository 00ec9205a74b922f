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
export { serialize, deserialize, FORMAT, FORMAT_VERSION, type LoadOptions, type Saved } from "./persistence.js";
export { save, load } from "./persistence-file.js";
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
export { PyodideTransport, createTransport } from "./pyodide-transport.js";
export { loadKnnkitPyodide, type KnnkitPyodide, type PyodideLike, type PyodideHostOptions } from "./pyodide-host.js";
export { autoReason, comparisonTableFigure, describe as describeFitted, display, recallSpeedFigure, toHTML, toText, type ComparisonRow, type FitFacts, type PlotlyFigure } from "./notebook.js";
