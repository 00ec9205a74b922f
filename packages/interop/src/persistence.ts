/**
 * Saving and loading fitted indexes and estimators. A knnkit file (format
 * version 2, little-endian) is:
 *
 *   0   8  magic: 0x89 "KNNKIT" "\n"
 *   8   4  u32 format version (2)
 *   12  4  u32 header length H in bytes
 *   16  8  u64 payload length P in bytes
 *   24  4  u32 xxHash32 of every byte after the first 32 (header and payload)
 *   28  4  u32 zero
 *   32     the header: UTF-8 JSON, padded with spaces to a multiple of 8
 *          { object: "index" | "estimator", state: the state without its
 *            arrays, arrays: [{ name, dtype, length }, ...] }; a non-finite
 *          number is written { "$number": "Infinity" | "-Infinity" | "NaN" }.
 *          An index's arrays are named index.<name>; NearestNeighbors and the
 *          KNeighbors classifier and regressor name theirs index.<name>,
 *          codes and values; every other estimator (a Model: the rest of
 *          sklearn.neighbors and KNNImputer) leaves { "$array": name } in
 *          its state where each array was, named by its path in the state
 *   ...    the payload: the arrays in header order, each padded with zeros to
 *          a multiple of 8 bytes
 *
 * Loading checks, in order and before using or allocating anything the header
 * claims: the magic, the version, the file length against H and P, the
 * checksum, the header's JSON and its array list against P; then the arrays
 * become views of the file bytes and the state is checked as a whole
 * (checkIndexState, checkEstimatorState, checkModelState; a Model's arrays
 * each referred to exactly once). Every failure is one KnnInputError.
 * The bytes are read (or copied) once, into the WebAssembly memory the index's
 * kernels read its rows from where there is one (core's allocRows), and hashed
 * there a chunk at a time while in cache, the float arrays' values checked for
 * non-finite ones in the same pass. Saving reads the state's arrays and changes
 * nothing. Version 1 files (Arrow IPC, no checksum) are refused by name.
 * Reading and writing files by path is in persistence-file.ts (Node only; it
 * reads through loadFrom).
 */
import {
  KnnIndex,
  Xxh32,
  allocRows,
  backgroundHash,
  hashRange,
  type FloatRange,
  rowMemoryFits,
  KnnInputError,
  estimatorFromState,
  indexFromState,
  isModel,
  ESTIMATOR_NAMES,
  modelFromState,
  type EstimatorState,
  type IndexState,
  type Model,
  type ModelState,
  KNeighborsClassifier,
  KNeighborsRegressor,
  NearestNeighbors,
} from "@knnkit/core";
import { readIPC } from "./arrow.js";

export const FORMAT = "knnkit";
export const FORMAT_VERSION = 2;
const MAGIC = [0x89, 0x4b, 0x4e, 0x4e, 0x4b, 0x49, 0x54, 0x0a]; // \x89 K N N K I T \n
const PREFIX = 32;

export type Estimator = NearestNeighbors | KNeighborsClassifier | KNeighborsRegressor;
/** What a file holds. */
export type Saved = KnnIndex | Estimator | Model;
type AnyArray = Float64Array | Float32Array | Int32Array | Uint8Array;
type ArrayCtor = Float64ArrayConstructor | Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;
const DTYPES: Record<string, ArrayCtor> = { float64: Float64Array, float32: Float32Array, int32: Int32Array, uint8: Uint8Array };

export interface LoadOptions {
  /**
   * Skip the checksum and the checks of the state (the prefix, the header and
   * the array bounds are still checked). Only for files this process wrote;
   * the load benchmark uses it to measure what the checks cost.
   */
  trusted?: boolean;
}

interface ArrayEntry {
  name: string;
  dtype: string;
  length: number;
}

interface Header {
  object: "index" | "estimator";
  state: Record<string, unknown>;
  arrays: ArrayEntry[];
}

function dtypeName(a: AnyArray): string {
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Int32Array) return "int32";
  return "uint8";
}

function isEstimator(x: unknown): x is Estimator {
  return x instanceof NearestNeighbors || x instanceof KNeighborsClassifier || x instanceof KNeighborsRegressor;
}

const pad8 = (n: number): number => Math.ceil(n / 8) * 8;

function bytesOf(a: AnyArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The file's pieces for an index or estimator: the 32-byte prefix (checksum filled in), then the parts to write in order. */
export function layout(obj: Saved): { prefix: Uint8Array; parts: Uint8Array[]; size: number } {
  let arrays: [string, AnyArray][];
  let header: Header;
  if (isModel(obj)) {
    arrays = [];
    header = { object: "estimator", state: withoutArrays(obj.toState(), "", arrays) as Record<string, unknown>, arrays: [] };
  } else if (isEstimator(obj)) {
    const { index, ...rest } = obj.toState();
    const { arrays: indexArrays, ...indexRest } = index;
    arrays = Object.entries(indexArrays).map(([k, a]) => [`index.${k}`, a as AnyArray]);
    const state: Record<string, unknown> = { ...rest, index: indexRest };
    for (const target of ["codes", "values"]) {
      if (state[target] !== undefined) {
        arrays.push([target, state[target] as AnyArray]);
        delete state[target];
      }
    }
    header = { object: "estimator", state, arrays: [] };
  } else if (obj instanceof KnnIndex) {
    const { arrays: indexArrays, ...rest } = obj.state();
    arrays = Object.entries(indexArrays).map(([k, a]) => [`index.${k}`, a as AnyArray]);
    header = { object: "index", state: rest, arrays: [] };
  } else {
    throw new KnnInputError("save() takes a knnkit index or a fitted estimator");
  }
  header.arrays = arrays.map(([name, a]) => ({ name, dtype: dtypeName(a), length: a.length }));
  const json = new TextEncoder().encode(JSON.stringify(header, encodeNonFinite));
  const head = new Uint8Array(pad8(json.length)).fill(0x20);
  head.set(json);
  const parts: Uint8Array[] = [head];
  let payload = 0;
  for (const [, a] of arrays) {
    parts.push(bytesOf(a));
    const gap = pad8(a.byteLength) - a.byteLength;
    if (gap > 0) parts.push(new Uint8Array(gap));
    payload += pad8(a.byteLength);
  }
  const hash = new Xxh32();
  for (const part of parts) hash.update(part);
  const prefix = new Uint8Array(PREFIX);
  const view = new DataView(prefix.buffer);
  prefix.set(MAGIC);
  view.setUint32(8, FORMAT_VERSION, true);
  view.setUint32(12, json.length, true);
  view.setUint32(16, payload % 2 ** 32, true);
  view.setUint32(20, Math.floor(payload / 2 ** 32), true);
  view.setUint32(24, hash.digest(), true);
  return { prefix, parts, size: PREFIX + head.length + payload };
}

/** The bytes of the file for an index or a fitted estimator. */
export function serialize(obj: Saved): Uint8Array {
  const { prefix, parts, size } = layout(obj);
  const out = new Uint8Array(size);
  out.set(prefix);
  let at = PREFIX;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A Model's state with each array replaced by { $array: its path }, the arrays appended to `out`. */
function withoutArrays(v: unknown, path: string, out: [string, AnyArray][]): unknown {
  if (ArrayBuffer.isView(v)) {
    out.push([path, v as AnyArray]);
    return { $array: path };
  }
  const at = (key: string | number): string => (path ? `${path}.${key}` : String(key));
  if (Array.isArray(v)) return v.map((x, i) => withoutArrays(x, at(i), out));
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutArrays(x, at(k), out)]));
  return v;
}

/** The inverse: each { $array: name } replaced by that array; every array must be referred to exactly once. */
function withArrays(state: unknown, arrays: Record<string, AnyArray>): unknown {
  const used = new Set<string>();
  const put = (v: unknown, depth: number): unknown => {
    if (depth > 16) fail("the state is nested too deeply");
    if (Array.isArray(v)) return v.map((x) => put(x, depth + 1));
    if (typeof v !== "object" || v === null) return v;
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "$array") {
      const name = (v as { $array: unknown }).$array;
      if (typeof name !== "string" || !Object.hasOwn(arrays, name)) fail(`the state refers to an array ${String(name)} that the array list does not have`);
      if (used.has(name)) fail(`the state refers to array ${name} twice`);
      used.add(name);
      return arrays[name];
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, put(x, depth + 1)]));
  };
  const out = put(state, 0);
  for (const name of Object.keys(arrays)) if (!used.has(name)) fail(`unexpected array ${name}`);
  return out;
}

function fail(message: string): never {
  throw new KnnInputError(`knnkit file: ${message}`);
}

/** Magic, version and lengths against the file size; returns the header length. */
function checkPrefix(bytes: Uint8Array, size: number): number {
  if (MAGIC.some((b, i) => bytes[i] !== b)) {
    if (isArrow(bytes)) fail(arrowMessage(bytes));
    fail("not a knnkit file (it does not start with the knnkit marker)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, PREFIX);
  const version = view.getUint32(8, true);
  if (version !== FORMAT_VERSION) fail(`format version ${version} is not supported (this build reads version ${FORMAT_VERSION})`);
  const headerLength = view.getUint32(12, true);
  const payload = view.getUint32(16, true) + view.getUint32(20, true) * 2 ** 32;
  const expected = PREFIX + pad8(headerLength) + payload;
  if (size < expected) fail(`truncated: ${size} bytes, but its prefix describes ${expected}`);
  if (size > expected) fail(`${size - expected} bytes follow the end its prefix describes (${expected} bytes)`);
  if (view.getUint32(28, true) !== 0) fail("the prefix's reserved field is not zero");
  return headerLength;
}

function isArrow(bytes: Uint8Array): boolean {
  return new TextDecoder().decode(bytes.subarray(0, 6)) === "ARROW1";
}

/** Why a version 1 file (an Arrow IPC file) is refused; a full Arrow file is only read when the bytes are all there (deserialize). */
function arrowMessage(bytes: Uint8Array): string {
  let version: string | null = null;
  try {
    const meta = readIPC(bytes).schema.metadata;
    if (meta.get("format") === FORMAT) version = meta.get("version") ?? "?";
  } catch {
    // a foreign or cut-short Arrow file
  }
  if (version === null) return "not a knnkit file (an Arrow IPC file without the knnkit marker)";
  return `format version ${version} (Arrow IPC) is no longer read; this build reads version ${FORMAT_VERSION}. Load the file with the knnkit release that wrote it and save it again, or fit again`;
}

/**
 * Rebuilds an index or estimator from file bytes: copied into a WebAssembly
 * memory as loadFrom reads a file (the copy the kernels would otherwise make
 * at the first query), else views of them (one copy of unaligned bytes).
 */
export function deserialize(input: Uint8Array, options: LoadOptions = {}): Saved {
  if (input.length >= PREFIX && !isArrow(input) && rowMemoryFits(input.length + 64)) {
    return loadFrom(input.length, (into, from, to) => into.set(input.subarray(from, to), from), options);
  }
  if (input.length < PREFIX) {
    if (isArrow(input)) fail(arrowMessage(input));
    fail(`truncated or not a knnkit file: ${input.length} bytes, a knnkit file has at least ${PREFIX}`);
  }
  const headerLength = checkPrefix(input, input.length);
  const bytes = input.byteOffset % 8 === 0 ? input : input.slice();
  const digest = options.trusted ? null : new Xxh32().update(bytes.subarray(PREFIX)).digest();
  return decode(bytes, headerLength, digest, new Set(), options);
}

/** Bytes per read when loading a file: small enough that each chunk is hashed while it is still in cache. */
export const READ_CHUNK = 2 << 20;

/**
 * Loads a file of `size` bytes, which `read(into, from, to)` fills (bytes
 * [from, to) of the file into the same range of `into`): the prefix first, so
 * a file that is not knnkit's or is cut short is refused before anything of
 * the file's size is allocated, then the header, then the payload READ_CHUNK
 * bytes at a time, each chunk hashed right after it is read (and the values of
 * the float arrays the header lists checked in the same pass; the header is
 * only trusted for this once the checksum matches). A large file is hashed on
 * a pool thread while this one reads the next chunks (core's backgroundHash),
 * where there is one. The only large allocation is the file's own size.
 */
export function loadFrom(size: number, read: (into: Uint8Array, from: number, to: number) => void, options: LoadOptions = {}): Saved {
  const prefix = new Uint8Array(Math.min(size, PREFIX));
  read(prefix, 0, prefix.length);
  // an Arrow file is read whole to name its version; a short one is refused by deserialize
  const whole = size < PREFIX || isArrow(prefix);
  if (whole) {
    const bytes = allocate(size, 0);
    bytes.set(prefix);
    read(bytes, prefix.length, size);
    fail(isArrow(bytes) ? arrowMessage(bytes) : `truncated or not a knnkit file: ${size} bytes, a knnkit file has at least ${PREFIX}`);
  }
  const headerLength = checkPrefix(prefix, size);
  const payloadStart = PREFIX + pad8(headerLength);
  const bytes = allocate(size, payloadStart);
  bytes.set(prefix);
  read(bytes, PREFIX, payloadStart);
  const floats = options.trusted ? [] : floatRanges(bytes, headerLength);
  const background = options.trusted ? null : backgroundHash(bytes, PREFIX, floats);
  const hash = options.trusted || background ? null : new Xxh32();
  hash?.update(bytes.subarray(PREFIX, payloadStart));
  try {
    for (let at = payloadStart; at < size; at += READ_CHUNK) {
      const to = Math.min(size, at + READ_CHUNK);
      read(bytes, at, to);
      if (background) background.advance(to);
      else if (hash) hashRange(hash, bytes, at, to, floats);
    }
  } catch (e) {
    background?.abort();
    throw e;
  }
  const digest = background ? background.finish() : hash ? hash.digest() : null;
  return decode(bytes, headerLength, digest, new Set(floats.filter((r) => r.finite).map((r) => r.name)), options);
}

/**
 * `size` zeroed bytes for a file: in a rows memory where one fits (see core's
 * allocRows; placed so that the payload, which starts at `payloadStart` and
 * usually with the rows, is 64-byte aligned), else an ordinary buffer.
 */
function allocate(size: number, payloadStart: number): Uint8Array {
  try {
    const shift = (64 - (payloadStart % 64)) % 64;
    return allocRows(Uint8Array, size + shift).subarray(shift);
  } catch (e) {
    if (e instanceof RangeError) fail(`${size} bytes do not fit in memory (${e.message})`);
    throw e;
  }
}

/** The float arrays the header lists, by their place in the file ([] for a header that does not parse: decode then refuses it). */
function floatRanges(bytes: Uint8Array, headerLength: number): FloatRange[] {
  let arrays: Record<string, AnyArray>;
  try {
    arrays = viewArrays(bytes, PREFIX + pad8(headerLength), readHeader(bytes.subarray(PREFIX, PREFIX + headerLength)).arrays);
  } catch {
    return [];
  }
  const out: FloatRange[] = [];
  for (const [name, a] of Object.entries(arrays)) {
    if (!(a instanceof Float32Array || a instanceof Float64Array)) continue;
    const start = a.byteOffset - bytes.byteOffset;
    out.push({ name, start, end: start + a.byteLength, width: a.BYTES_PER_ELEMENT as 4 | 8, finite: true });
  }
  return out.sort((x, y) => x.start - y.start);
}

/**
 * The object of checked, 8-aligned file bytes; `digest` is the hash of every
 * byte after the prefix (null: trusted, not compared); the arrays named in
 * `finite` were found all finite as they were hashed.
 */
function decode(bytes: Uint8Array, headerLength: number, digest: number | null, finite: ReadonlySet<string>, options: LoadOptions): Saved {
  if (digest !== null) {
    const stored = new DataView(bytes.buffer, bytes.byteOffset, PREFIX).getUint32(24, true);
    const actual = digest;
    if (stored !== actual) fail(`checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)}): the file is damaged`);
  }
  const header = readHeader(bytes.subarray(PREFIX, PREFIX + headerLength));
  const arrays = viewArrays(bytes, PREFIX + pad8(headerLength), header.arrays);
  const restore = { trusted: options.trusted, finite: new Set([...finite].map((name) => arrays[name])) };
  // an estimator other than the three above is a Model (or unknown, which checkModelState says)
  if (header.object === "estimator" && !(ESTIMATOR_NAMES as readonly unknown[]).includes(header.state.estimator)) {
    const state = withArrays(header.state, arrays);
    return inconsistent(() => modelFromState(state as ModelState, restore));
  }
  for (const name of Object.keys(arrays)) if (!name.startsWith("index.") && name !== "codes" && name !== "values") fail(`unexpected array ${name}`);
  const indexArrays: Record<string, AnyArray> = {};
  for (const [name, a] of Object.entries(arrays)) if (name.startsWith("index.")) indexArrays[name.slice(6)] = a;
  const { index, ...rest } = header.state;
  if (header.object === "estimator" && (typeof index !== "object" || index === null)) fail("the estimator's header has no index");
  return inconsistent(() => {
    if (header.object === "index") return indexFromState({ ...header.state, arrays: indexArrays } as unknown as IndexState, restore);
    const state = { ...rest, codes: arrays.codes, values: arrays.values, index: { ...(index as object), arrays: indexArrays } };
    return estimatorFromState(state as unknown as EstimatorState, undefined, restore);
  });
}

/** Rebuilds from a state; any failure is a KnnInputError naming the file. */
function inconsistent(restore: () => Saved): Saved {
  try {
    return restore();
  } catch (e) {
    if (e instanceof KnnInputError) throw new KnnInputError(`knnkit file: ${e.message}`);
    throw new KnnInputError(`knnkit file is inconsistent: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/** JSON has no Infinity or NaN (it writes null, so a radius of Infinity would load as the default): see the header. */
function encodeNonFinite(_key: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? { $number: String(v) } : v;
}

function decodeNonFinite(_key: string, v: unknown): unknown {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  const n = (v as { $number?: unknown }).$number;
  return keys.length === 1 && (n === "Infinity" || n === "-Infinity" || n === "NaN") ? Number(n) : v;
}

function readHeader(bytes: Uint8Array): Header {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes), decodeNonFinite);
  } catch (e) {
    fail(`the header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("the header is not a JSON object");
  const h = header as Record<string, unknown>;
  if (h.object !== "index" && h.object !== "estimator") fail(`the header names an unknown object "${String(h.object)}"`);
  if (typeof h.state !== "object" || h.state === null || Array.isArray(h.state)) fail("the header has no state");
  if (!Array.isArray(h.arrays)) fail("the header has no array list");
  return h as unknown as Header;
}

/** Views of the payload's arrays, after checking each entry and that together they fill the payload exactly. */
function viewArrays(bytes: Uint8Array, start: number, entries: unknown[]): Record<string, AnyArray> {
  const payload = bytes.length - start;
  const out: Record<string, AnyArray> = {};
  let at = 0;
  entries.forEach((entry, i) => {
    const e = (typeof entry === "object" && entry !== null ? entry : {}) as Partial<ArrayEntry>;
    const { name, dtype, length } = e;
    if (typeof name !== "string") fail(`array entry ${i} has no name`);
    if (Object.hasOwn(out, name)) fail(`array ${name} is listed twice`);
    const Ctor = typeof dtype === "string" && Object.hasOwn(DTYPES, dtype) ? DTYPES[dtype] : undefined;
    if (!Ctor) fail(`array ${name} has unknown dtype ${String(dtype)}`);
    if (typeof length !== "number" || !Number.isInteger(length) || length < 0) fail(`array ${name} has an invalid length ${String(length)}`);
    const size = length * Ctor.BYTES_PER_ELEMENT;
    if (at + size > payload) fail(`array ${name} (${length} ${dtype} values) runs past the end of the payload (${payload} bytes)`);
    out[name] = new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset + start + at, length);
    at += pad8(size);
  });
  if (at !== payload) fail(`the arrays fill ${at} bytes of a ${payload}-byte payload`);
  return out;
}
