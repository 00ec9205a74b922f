/** Saving to and loading from a file path (Node only; the format is persistence.ts's). */
import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { KnnInputError } from "@knnkit/core";
import { layout, loadFrom, type LoadOptions, type Saved } from "./persistence.js";

/** Writes the file for an index or a fitted estimator (the arrays go to the file directly, without a copy). */
export function save(obj: Saved, path: string): void {
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

/** Reads a file (see loadFrom: the prefix is checked before the rest is read, each chunk hashed as it arrives). */
export function load(path: string, options: LoadOptions = {}): Saved {
  const fd = openSync(path, "r");
  try {
    return loadFrom(fstatSync(fd).size, (into, from, to) => readRange(fd, into, from, to), options);
  } finally {
    closeSync(fd);
  }
}

function readRange(fd: number, into: Uint8Array, from: number, to: number): void {
  for (let at = from; at < to; ) {
    const n = readSync(fd, into, at, Math.min(to - at, 1 << 30), at);
    if (n === 0) throw new KnnInputError(`knnkit file: truncated while reading (${at} of ${into.length} bytes)`);
    at += n;
  }
}
