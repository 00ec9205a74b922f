import { afterEach, describe, expect, it } from "vitest";
import { BACKGROUND_HASH_BYTES, Xxh32, allocRows, backgroundHash, cpuCount, hashRange, parallelAvailable, xxh32, type FloatRange } from "../src/index.js";
import { memoryOf, setWasmKernelEnabled } from "../src/kernels/memory.js";
import { mulberry32 } from "./helpers.js";

afterEach(() => setWasmKernelEnabled(true));

/** XXH32 with seed 0 written straight from the specification, byte by byte: the reference. */
function reference(b: Uint8Array): number {
  const [P1, P2, P3, P4, P5] = [0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f, 0x165667b1];
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  const mul = (a: number, c: number) => Math.imul(a, c) >>> 0;
  const word = (i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
  let i = 0;
  let h: number;
  if (b.length >= 16) {
    const v = [(P1 + P2) >>> 0, P2, 0, (0x100000000 - P1) >>> 0];
    for (; i + 16 <= b.length; i += 16) {
      for (let l = 0; l < 4; l++) v[l] = mul(rotl((v[l] + mul(word(i + 4 * l), P2)) >>> 0, 13), P1);
    }
    h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) >>> 0;
  } else h = P5;
  h = (h + b.length) >>> 0;
  for (; i + 4 <= b.length; i += 4) h = mul(rotl((h + mul(word(i), P3)) >>> 0, 17), P4);
  for (; i < b.length; i++) h = mul(rotl((h + mul(b[i], P5)) >>> 0, 11), P1);
  h = mul(h ^ (h >>> 15), P2);
  h = mul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}

/** `n` random bytes at byte `offset` of a rows memory (where the WebAssembly kernel hashes them). */
function inMemory(n: number, offset: number, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  const b = allocRows(Uint8Array, n + offset).subarray(offset);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** The hash of `b` fed in pieces cut at `cuts`. */
function pieces(b: Uint8Array, cuts: number[]): number {
  const h = new Xxh32();
  let at = 0;
  for (const c of [...cuts, b.length]) {
    h.update(b.subarray(at, c));
    at = c;
  }
  return h.digest();
}

describe("xxHash32", () => {
  it("matches the published values", () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(xxh32(text(""))).toBe(0x02cc5d05);
    expect(xxh32(text("a"))).toBe(0x550d7456);
    expect(xxh32(text("abc"))).toBe(0x32d153ff);
    expect(xxh32(text("Nobody inspects the spammish repetition"))).toBe(0xe2293b2f);
  });

  it("the WebAssembly path equals the reference at every length, alignment and tail (0..15 bytes), whole or in pieces", () => {
    const rand = mulberry32(7);
    for (let trial = 0; trial < 300; trial++) {
      const n = trial < 64 ? trial : Math.floor(rand() * 5000);
      const b = inMemory(n, trial % 16, trial);
      expect(memoryOf(b)).not.toBeNull();
      const plain = b.slice(); // an ordinary buffer: the TypeScript loop
      expect(memoryOf(plain)).toBeNull();
      const expected = reference(plain);
      expect(xxh32(b)).toBe(expected);
      expect(xxh32(plain)).toBe(expected);
      const cuts = Array.from({ length: Math.floor(rand() * 6) }, () => Math.floor(rand() * (n + 1))).sort((x, y) => x - y);
      expect(pieces(b, cuts)).toBe(expected);
      expect(pieces(plain, cuts)).toBe(expected);
    }
  });

  it("with WebAssembly turned off, the same bytes in a rows memory hash the same", () => {
    const b = inMemory(4099, 3, 11);
    const expected = reference(b.slice());
    setWasmKernelEnabled(false);
    expect(xxh32(b)).toBe(expected);
    expect(pieces(b, [5, 1000, 4000])).toBe(expected);
  });
});

describe("updateFinite: the non-finite check in the hashing pass", () => {
  const bads = [NaN, Infinity, -Infinity];

  /** A float array in a rows memory of `n` values, its bytes, and the same array's hash. */
  function floats(width: 4 | 8, n: number, lead: number): { a: Float32Array | Float64Array; bytes: Uint8Array } {
    const Ctor = width === 4 ? Float32Array : Float64Array;
    const bytes = allocRows(Uint8Array, lead + n * width + 64).subarray(lead, lead + n * width);
    const a = new Ctor(bytes.buffer, bytes.byteOffset, n);
    const rand = mulberry32(n + lead);
    // large, tiny and negative finite values, including the largest finite ones
    for (let i = 0; i < n; i++) a[i] = (rand() - 0.5) * 10 ** Math.floor(rand() * 60 - 30);
    a[0] = width === 4 ? 3.4028234663852886e38 : Number.MAX_VALUE;
    if (n > 1) a[1] = -a[0];
    return { a, bytes };
  }

  /** Hashes `bytes` cut at `cuts`, after `carried` bytes (0..15 fed first): [hash, every piece reported finite]. */
  function run(bytes: Uint8Array, width: 4 | 8, cuts: number[], carried: number): [number, boolean] {
    const h = new Xxh32();
    const head = new Uint8Array(carried).fill(9);
    h.update(head);
    let finite = true;
    let at = 0;
    for (const c of [...cuts, bytes.length]) {
      if (!h.updateFinite(bytes.subarray(at, c), width)) finite = false;
      at = c;
    }
    const whole = new Uint8Array(carried + bytes.length);
    whole.set(head);
    whole.set(bytes, carried);
    expect(h.digest()).toBe(reference(whole));
    return [h.digest(), finite];
  }

  for (const width of [4, 8] as const) {
    it(`float${width * 8}: finite values pass, and NaN or an infinity at every position is found, at piece boundaries too`, () => {
      const n = 67;
      for (const lead of [0, 8, 16]) {
        for (const carried of width === 4 ? [0, 4, 8, 12] : [0, 8]) {
          const { a, bytes } = floats(width, n, lead);
          // pieces on value boundaries (as the loader's chunks and arrays are), some inside a 16-byte stripe
          const cuts = [3, 4, 17, 40, 41].map((v) => v * width);
          expect(run(bytes, width, cuts, carried)[1]).toBe(true);
          for (let i = 0; i < n; i++) {
            const keep = a[i];
            a[i] = bads[i % 3];
            expect(run(bytes, width, cuts, carried)[1]).toBe(false);
            a[i] = keep;
          }
        }
      }
    });
  }

  it("the largest finite float32 and float64 values, subnormals and zeros are finite; an exponent of all ones is not", () => {
    const { a, bytes } = floats(4, 32, 0);
    a.set([0, -0, 1e-45, -1e-45, 1.1754942e-38]);
    expect(run(bytes, 4, [], 0)[1]).toBe(true);
    new Uint32Array(bytes.buffer, bytes.byteOffset, 32)[20] = 0x7f800001; // a signalling NaN
    expect(run(bytes, 4, [], 0)[1]).toBe(false);
    const f64 = floats(8, 32, 0);
    f64.a.set([0, -0, 5e-324, -5e-324, 2.2250738585072014e-308]);
    expect(run(f64.bytes, 8, [], 0)[1]).toBe(true);
    // a float64 whose low word looks like a float32 infinity is finite
    new Uint32Array(f64.bytes.buffer, f64.bytes.byteOffset, 64)[10] = 0x7f800000;
    expect(run(f64.bytes, 8, [], 0)[1]).toBe(true);
  });

  it("reports false (not checked) outside a rows memory and with WebAssembly off, with the same hash", () => {
    const { bytes } = floats(4, 100, 0);
    const [hash] = run(bytes, 4, [40], 0);
    expect(run(bytes.slice(), 4, [40], 0)).toEqual([hash, false]);
    // float64 values that do not start a 16-byte stripe's word pair (the loader never does this)
    const f64 = floats(8, 20, 0);
    expect(run(f64.bytes, 8, [], 4)[1]).toBe(false);
    setWasmKernelEnabled(false);
    expect(run(bytes, 4, [40], 0)).toEqual([hash, false]);
  });
});

describe("backgroundHash: hashing on a pool thread while the caller reads", () => {
  it("gives the hash and the finite flags of the reading thread's pass, NaN found in any range, and stops on abort", () => {
    if (!parallelAvailable || cpuCount() < 2) return; // one core: loading hashes on its own thread (tested above)
    const n = BACKGROUND_HASH_BYTES + 4096;
    const bytes = allocRows(Uint8Array, n);
    const rand = mulberry32(3);
    for (let i = 0; i < n; i++) bytes[i] = Math.floor(rand() * 256);
    // two float ranges: float32 values in [1000, 1000 + 4 MiB), float64 ones up to 8 bytes before the end
    const f32 = new Float32Array(bytes.buffer, 1000, 1 << 20).fill(1.5);
    const f64 = new Float64Array(bytes.buffer, 8 << 20, (n - (8 << 20) - 8) / 8).fill(-2.5);
    const ranges = (): FloatRange[] => [
      { name: "a", start: 1000, end: 1000 + f32.byteLength, width: 4, finite: true },
      { name: "b", start: 8 << 20, end: (8 << 20) + f64.byteLength, width: 8, finite: true },
    ];
    const run = (floats: FloatRange[]): number => {
      const bg = backgroundHash(bytes, 32, floats)!;
      expect(bg).not.toBeNull();
      for (let at = 0; at < n; at += 1 << 20) bg.advance(Math.min(n, at + (1 << 20)));
      return bg.finish();
    };
    const mainThread = (floats: FloatRange[]): number => {
      const h = new Xxh32();
      hashRange(h, bytes, 32, n, floats);
      return h.digest();
    };
    const expected = reference(bytes.slice(32));
    for (const [where, value] of [[-1, 0], [f32.length - 1, NaN], [0, Infinity]] as const) {
      const floats = ranges();
      if (where >= 0) (value === Infinity ? f64 : f32)[where] = value;
      const hash = run(floats);
      const own = ranges();
      expect(hash).toBe(mainThread(own));
      expect(floats.map((r) => r.finite)).toEqual(own.map((r) => r.finite));
      expect(floats.map((r) => r.finite)).toEqual(where < 0 ? [true, true] : value === Infinity ? [false, false] : [false, true]);
      if (where < 0) expect(hash).toBe(expected);
    }
    // the reader fails half-way: the thread stops, and the pool serves the next file
    const stopped = backgroundHash(bytes, 32, ranges())!;
    stopped.advance(1 << 20);
    stopped.abort();
    expect(run(ranges())).toBe(mainThread(ranges()));
  });
});
