/** Saving to and loading from a file path (Node only; the format is persistence.ts's). */
import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { KnnInputError, type KnnIndex } from "@knnkit/core";
import { PREFIX, checkPrefix, deserialize, isArrow, layout, type Estimator, type LoadOptions } from "./persistence.js";

/** Writes the file for an index or a fitted estimator (the arrays go to the file directly, without a copy). */
export function save(obj: KnnIndex | Estimator, path: string): void {
  const { prefix, parts } = layout(obj);
  const fd = openSync(path, "w");
  try {
    for (const part of [prefix, ...parts]) {
      for (let at = 0; at < part.length; ) at += writeSync(fd, part, at, Math.min(part.length - at, 1 << 30));
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads a file: its prefix first, so a file that is not knnkit's (or is cut short) is refused before the rest is read. */
export function load(path: string, options: LoadOptions = {}): KnnIndex | Estimator {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const prefix = new Uint8Array(Math.min(size, PREFIX));
    readFully(fd, prefix, 0);
    // a knnkit prefix is checked before the rest is read; an Arrow file is read whole to name its version
    if (size >= PREFIX && !isArrow(prefix)) checkPrefix(prefix, size);
    // size is the file's own, so this allocation is never larger than the file
    const bytes = new Uint8Array(size);
    bytes.set(prefix);
    readFully(fd, bytes, prefix.length);
    return deserialize(bytes, options);
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, into: Uint8Array, from: number): void {
  for (let at = from; at < into.length; ) {
    const n = readSync(fd, into, at, Math.min(into.length - at, 1 << 30), at);
    if (n === 0) throw new KnnInputError(`knnkit file: truncated while reading (${at} of ${into.length} bytes)`);
    at += n;
  }
}

