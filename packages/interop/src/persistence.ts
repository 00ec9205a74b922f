/**
 * Saving and loading fitted indexes and estimators as one Arrow IPC file. The
 * file is a table with one row per array (name, dtype, length, raw bytes padded
 * to 8 bytes) and schema metadata holding the format name, its version and the
 * parameters as JSON. Loading maps the arrays as views of the file bytes where
 * they are aligned, so a loaded tree answers queries without a rebuild.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Binary, Int32, RecordBatch, Schema, Table, tableToIPC, Type, Utf8, vectorFromArray } from "apache-arrow";
import {
  KnnIndex,
  KnnInputError,
  estimatorFromState,
  indexFromState,
  type EstimatorState,
  type IndexState,
  KNeighborsClassifier,
  KNeighborsRegressor,
  NearestNeighbors,
} from "@knnkit/core";
import { readIPC } from "./arrow.js";

export const FORMAT = "knnkit";
export const FORMAT_VERSION = 1;

type Estimator = NearestNeighbors | KNeighborsClassifier | KNeighborsRegressor;
type AnyArray = Float64Array | Float32Array | Int32Array | Uint8Array;
const DTYPES: Record<string, new (b: ArrayBufferLike, o: number, n: number) => AnyArray> = {
  float64: Float64Array,
  float32: Float32Array,
  int32: Int32Array,
  uint8: Uint8Array,
};

function dtypeName(a: AnyArray): string {
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Int32Array) return "int32";
  return "uint8";
}

function isEstimator(x: unknown): x is Estimator {
  return x instanceof NearestNeighbors || x instanceof KNeighborsClassifier || x instanceof KNeighborsRegressor;
}

/** The bytes of the file for an index or a fitted estimator. */
export function serialize(obj: KnnIndex | Estimator): Uint8Array {
  const arrays: Record<string, AnyArray> = {};
  let header: Record<string, unknown>;
  if (isEstimator(obj)) {
    const { index, codes, values, ...rest } = obj.toState();
    for (const [k, a] of Object.entries(index.arrays)) arrays[`index.${k}`] = a;
    if (codes) arrays.codes = codes;
    if (values) arrays.values = values;
    header = { kind: "estimator", state: rest, index: { type: index.type, params: index.params } };
  } else if (obj instanceof KnnIndex) {
    const state = obj.sharedState();
    for (const [k, a] of Object.entries(state.arrays)) arrays[`index.${k}`] = a;
    header = { kind: "index", index: { type: state.type, params: state.params } };
  } else {
    throw new KnnInputError("save() takes a knnkit index or a fitted estimator");
  }
  const names = Object.keys(arrays);
  const blobs = names.map((n) => {
    const a = arrays[n];
    const padded = new Uint8Array(Math.ceil(a.byteLength / 8) * 8);
    padded.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return padded;
  });
  const table = new Table({
    name: vectorFromArray(names, new Utf8()),
    dtype: vectorFromArray(names.map((n) => dtypeName(arrays[n])), new Utf8()),
    length: vectorFromArray(names.map((n) => arrays[n].length), new Int32()),
    bytes: vectorFromArray(blobs, new Binary()),
  });
  const metadata = new Map([
    ["format", FORMAT],
    ["version", String(FORMAT_VERSION)],
    ["header", JSON.stringify(header)],
  ]);
  const schema = new Schema(table.schema.fields, metadata);
  const withMeta = new Table(schema, table.batches.map((b) => new RecordBatch(schema, b.data)));
  return tableToIPC(withMeta, "file");
}

/** Rebuilds an index or estimator from file bytes (views where aligned). */
export function deserialize(bytes: Uint8Array): KnnIndex | Estimator {
  const table = readIPC(bytes);
  const meta = table.schema.metadata;
  if (meta.get("format") !== FORMAT) {
    throw new KnnInputError("not a knnkit file: the Arrow schema has no knnkit format marker");
  }
  const version = Number(meta.get("version"));
  if (version !== FORMAT_VERSION) {
    throw new KnnInputError(`knnkit file version ${meta.get("version")} is not supported (this build reads version ${FORMAT_VERSION})`);
  }
  const header = JSON.parse(meta.get("header") ?? "{}") as {
    kind: "index" | "estimator";
    index: { type: string; params: Record<string, unknown> };
    state?: Omit<EstimatorState, "index" | "codes" | "values">;
  };
  const arrays: Record<string, AnyArray> = {};
  const names = table.getChild("name");
  const dtypes = table.getChild("dtype");
  const lengths = table.getChild("length");
  const blobs = table.getChild("bytes");
  if (!names || !dtypes || !lengths || !blobs || blobs.type.typeId !== Type.Binary) {
    throw new KnnInputError("knnkit file is missing its array columns (truncated or foreign)");
  }
  for (let i = 0; i < table.numRows; i++) {
    const name = String(names.get(i));
    const Ctor = DTYPES[String(dtypes.get(i))];
    if (!Ctor) throw new KnnInputError(`knnkit file: array ${name} has unknown dtype ${String(dtypes.get(i))}`);
    const length = Number(lengths.get(i));
    const blob = blobs.get(i) as Uint8Array;
    const size = (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    if (blob.byteLength < length * size) throw new KnnInputError(`knnkit file: array ${name} is truncated`);
    arrays[name] =
      blob.byteOffset % size === 0 ? new Ctor(blob.buffer, blob.byteOffset, length) : new Ctor(blob.slice(0, length * size).buffer, 0, length);
  }
  const indexArrays: IndexState["arrays"] = {};
  for (const [k, a] of Object.entries(arrays)) if (k.startsWith("index.")) indexArrays[k.slice(6)] = a;
  const index: IndexState = { type: header.index.type, params: header.index.params, arrays: indexArrays };
  try {
    if (header.kind === "index") return indexFromState(index);
    if (header.kind === "estimator" && header.state) {
      return estimatorFromState({
        ...(header.state as EstimatorState),
        index,
        codes: arrays.codes as Int32Array | undefined,
        values: arrays.values as Float64Array | undefined,
      });
    }
  } catch (e) {
    if (e instanceof KnnInputError) throw e;
    throw new KnnInputError(`knnkit file is inconsistent: ${e instanceof Error ? e.message : String(e)}`);
  }
  throw new KnnInputError(`knnkit file holds an unknown kind "${String(header.kind)}"`);
}

export function save(obj: KnnIndex | Estimator, path: string): void {
  writeFileSync(path, serialize(obj));
}

export function load(path: string): KnnIndex | Estimator {
  return deserialize(readFileSync(path));
}
