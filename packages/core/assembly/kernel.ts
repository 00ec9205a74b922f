// Distance kernels in WebAssembly SIMD over rows stored row-major at x (the
// index's rows in place: float32 when f32 = 1, else float64, d values a row).
//
// approx4 / approx4f32: approximate squared euclidean distances of a block of
// four queries to `count` rows, as BLAS does it, two rows at a time:
//   out[4 * r + qi] = xn[start + r] + qn[qi] - 2 * dot(q[qi], x[start + r])
// xn: squared norms of the rows; qn: squared norms of the 4 queries. out has
// room for one row more, so an odd last row can be computed in a pair.
// search4: the whole exact k-NN of four queries over row ranges (the same
// approximation per chunk, then the plain loop's exact distance of every row
// the error bound cannot rule out), so JavaScript only copies queries in and
// answers out.

// With relaxed SIMD (built as a second module, used where the engine has it),
// f32x4 multiply-adds may fuse: at most one rounding instead of two, inside the
// same error bound.
@inline
function madd32(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

@inline
function loadPair(p: usize, f32: i32): v128 {
  return f32 ? f64x2.promote_low_f32x4(v128.load64_zero(p)) : v128.load(p);
}

@inline
function loadOne(p: usize, f32: i32): f64 {
  return f32 ? <f64>load<f32>(p) : load<f64>(p);
}

@inline
function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

// float64 form: q holds 4 rows of d float64 values
// dot products of 4 queries with rows x0 and x1 into out[0..3] and out[4..7]
function dotPair(q: usize, x0: usize, x1: usize, d: i32, f32: i32, out: usize): void {
  let a00 = f64x2.splat(0), a01 = f64x2.splat(0), a02 = f64x2.splat(0), a03 = f64x2.splat(0);
  let a10 = f64x2.splat(0), a11 = f64x2.splat(0), a12 = f64x2.splat(0), a13 = f64x2.splat(0);
  const qs = <usize>d << 3;
  const shift: usize = f32 ? 2 : 3;
  let j = 0;
  for (; j + 1 < d; j += 2) {
    const qo = <usize>j << 3;
    const xo = <usize>j << shift;
    const v0 = loadPair(x0 + xo, f32);
    const v1 = loadPair(x1 + xo, f32);
    const q0 = v128.load(q + qo);
    const q1 = v128.load(q + qs + qo);
    const q2 = v128.load(q + 2 * qs + qo);
    const q3 = v128.load(q + 3 * qs + qo);
    a00 = f64x2.add(a00, f64x2.mul(q0, v0));
    a01 = f64x2.add(a01, f64x2.mul(q1, v0));
    a02 = f64x2.add(a02, f64x2.mul(q2, v0));
    a03 = f64x2.add(a03, f64x2.mul(q3, v0));
    a10 = f64x2.add(a10, f64x2.mul(q0, v1));
    a11 = f64x2.add(a11, f64x2.mul(q1, v1));
    a12 = f64x2.add(a12, f64x2.mul(q2, v1));
    a13 = f64x2.add(a13, f64x2.mul(q3, v1));
  }
  let s00 = hsum(a00), s01 = hsum(a01), s02 = hsum(a02), s03 = hsum(a03);
  let s10 = hsum(a10), s11 = hsum(a11), s12 = hsum(a12), s13 = hsum(a13);
  if (j < d) {
    const qo = <usize>j << 3;
    const xo = <usize>j << shift;
    const v0 = loadOne(x0 + xo, f32);
    const v1 = loadOne(x1 + xo, f32);
    s00 += load<f64>(q + qo) * v0;
    s01 += load<f64>(q + qs + qo) * v0;
    s02 += load<f64>(q + 2 * qs + qo) * v0;
    s03 += load<f64>(q + 3 * qs + qo) * v0;
    s10 += load<f64>(q + qo) * v1;
    s11 += load<f64>(q + qs + qo) * v1;
    s12 += load<f64>(q + 2 * qs + qo) * v1;
    s13 += load<f64>(q + 3 * qs + qo) * v1;
  }
  store<f64>(out, s00);
  store<f64>(out + 8, s01);
  store<f64>(out + 16, s02);
  store<f64>(out + 24, s03);
  store<f64>(out + 32, s10);
  store<f64>(out + 40, s11);
  store<f64>(out + 48, s12);
  store<f64>(out + 56, s13);
}

export function approx4(q: usize, qn: usize, x: usize, xn: usize, d: i32, start: i32, count: i32, out: usize, f32: i32, sel: usize, eps: f64, slack: f64): void {
  dots64(q, x, d, f32, start, count, out);
  combine(qn, xn, start, count, out);
  select(qn, xn, start, count, out, sel, eps, slack);
}

function dots64(q: usize, x: usize, d: i32, f32: i32, start: i32, count: i32, out: usize): void {
  const rowBytes = <usize>d << (f32 ? 2 : 3);
  for (let r = 0; r < count; r += 2) {
    const r0 = x + <usize>(start + r) * rowBytes;
    const r1 = r + 1 < count ? r0 + rowBytes : r0;
    dotPair(q, r0, r1, d, f32, out + (<usize>r << 5));
  }
}

// float32 form: q holds 4 rows of d float32 values, x rows of d float32 values
// (any d: four lanes, then the last d % 4 values one at a time), into out[0..3]
// (row x0) and out[4..7] (row x1) as float64. Every sum is in float32 (at most
// d + 2 roundings deep); the caller bounds the error.
function dotPair32(q: usize, x0: usize, x1: usize, d: i32, out: usize): void {
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
  let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0), a13 = f32x4.splat(0);
  const qs = <usize>d << 2;
  const vecBytes = <usize>(d & ~3) << 2;
  for (let o: usize = 0; o < vecBytes; o += 16) {
    const v0 = v128.load(x0 + o);
    const v1 = v128.load(x1 + o);
    const q0 = v128.load(q + o);
    const q1 = v128.load(q + qs + o);
    const q2 = v128.load(q + 2 * qs + o);
    const q3 = v128.load(q + 3 * qs + o);
    a00 = madd32(q0, v0, a00);
    a01 = madd32(q1, v0, a01);
    a02 = madd32(q2, v0, a02);
    a03 = madd32(q3, v0, a03);
    a10 = madd32(q0, v1, a10);
    a11 = madd32(q1, v1, a11);
    a12 = madd32(q2, v1, a12);
    a13 = madd32(q3, v1, a13);
  }
  let s0 = reduce4(a00, a01, a02, a03);
  let s1 = reduce4(a10, a11, a12, a13);
  for (let o = vecBytes; o < qs; o += 4) {
    // the 4 queries' value j in one vector, times each row's value j
    let qv = f32x4.splat(load<f32>(q + o));
    qv = f32x4.replace_lane(qv, 1, load<f32>(q + qs + o));
    qv = f32x4.replace_lane(qv, 2, load<f32>(q + 2 * qs + o));
    qv = f32x4.replace_lane(qv, 3, load<f32>(q + 3 * qs + o));
    s0 = madd32(qv, f32x4.splat(load<f32>(x0 + o)), s0);
    s1 = madd32(qv, f32x4.splat(load<f32>(x1 + o)), s1);
  }
  v128.store(out, f64x2.promote_low_f32x4(s0));
  v128.store(out + 16, f64x2.promote_low_f32x4(v128.shuffle<u32>(s0, s0, 2, 3, 0, 1)));
  v128.store(out + 32, f64x2.promote_low_f32x4(s1));
  v128.store(out + 48, f64x2.promote_low_f32x4(v128.shuffle<u32>(s1, s1, 2, 3, 0, 1)));
}

// [sum of a's lanes, sum of b's, sum of c's, sum of d's]
@inline
function reduce4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<u32>(a, b, 0, 4, 1, 5), v128.shuffle<u32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<u32>(c, d, 0, 4, 1, 5), v128.shuffle<u32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<u32>(ab, cd, 0, 1, 4, 5), v128.shuffle<u32>(ab, cd, 2, 3, 6, 7));
}

export function approx4f32(q: usize, qn: usize, x: usize, xn: usize, d: i32, start: i32, count: i32, out: usize, sel: usize, eps: f64, slack: f64): void {
  dots32(q, x, d, start, count, out);
  combine(qn, xn, start, count, out);
  select(qn, xn, start, count, out, sel, eps, slack);
}

function dots32(q: usize, x: usize, d: i32, start: i32, count: i32, out: usize): void {
  const rowBytes = <usize>d << 2;
  for (let r = 0; r < count; r += 2) {
    const r0 = x + <usize>(start + r) * rowBytes;
    const r1 = r + 1 < count ? r0 + rowBytes : r0;
    dotPair32(q, r0, r1, d, out + (<usize>r << 5));
  }
}

// out[4 * r + qi] = xn[start + r] + qn[qi] - 2 * out[4 * r + qi], two queries per vector
function combine(qn: usize, xn: usize, start: i32, count: i32, out: usize): void {
  const qnLo = v128.load(qn);
  const qnHi = v128.load(qn + 16);
  const two = f64x2.splat(2);
  for (let r = 0; r < count; r++) {
    const p = out + (<usize>r << 5);
    const norm = f64x2.splat(load<f64>(xn + (<usize>(start + r) << 3)));
    v128.store(p, f64x2.sub(f64x2.add(norm, qnLo), f64x2.mul(two, v128.load(p))));
    v128.store(p + 16, f64x2.sub(f64x2.add(norm, qnHi), f64x2.mul(two, v128.load(p + 16))));
  }
}

// The candidates of each query: the rows whose lower bound out - eps * (xn + qn) - slack
// is not above threshold qi (NaN included). sel: 4 float64 thresholds, then 4 int32
// counts, then 4 lists of count int32 row offsets.
function select(qn: usize, xn: usize, start: i32, count: i32, out: usize, sel: usize, eps: f64, slack: f64): void {
  const counts = sel + 32;
  for (let qi = 0; qi < 4; qi++) {
    const nq = load<f64>(qn + (<usize>qi << 3));
    const threshold = load<f64>(sel + (<usize>qi << 3));
    const list = sel + 48 + <usize>qi * (<usize>count << 2);
    let n = 0;
    for (let r = 0; r < count; r++) {
      const norm = load<f64>(xn + (<usize>(start + r) << 3));
      const v = load<f64>(out + (<usize>r << 5) + (<usize>qi << 3));
      if (!(v - eps * (norm + nq) - slack > threshold)) {
        store<i32>(list + (<usize>n << 2), r);
        n++;
      }
    }
    store<i32>(counts + (<usize>qi << 2), n);
  }
}

// Bounded max-heap of (distance, id) at (hd, hi), k entries, ordered by
// distance then id, exactly as heap.ts's NeighborHeap.
function heapPush(hd: usize, hi: usize, k: i32, d: f64, i: i32): void {
  const d0 = load<f64>(hd);
  if (d > d0 || (d == d0 && i > load<i32>(hi))) return;
  let pos = 0;
  for (;;) {
    const l = 2 * pos + 1;
    if (l >= k) break;
    const r = l + 1;
    let c = l;
    if (r < k) {
      const dl = load<f64>(hd + (<usize>l << 3));
      const dr = load<f64>(hd + (<usize>r << 3));
      if (dr > dl || (dr == dl && load<i32>(hi + (<usize>r << 2)) > load<i32>(hi + (<usize>l << 2)))) c = r;
    }
    const dc = load<f64>(hd + (<usize>c << 3));
    const ic = load<i32>(hi + (<usize>c << 2));
    if (dc > d || (dc == d && ic > i)) {
      store<f64>(hd + (<usize>pos << 3), dc);
      store<i32>(hi + (<usize>pos << 2), ic);
      pos = c;
    } else break;
  }
  store<f64>(hd + (<usize>pos << 3), d);
  store<i32>(hi + (<usize>pos << 2), i);
}

// Exact k-NN of nq <= 4 queries, query t over rows [lo[t], hi[t]) (lohi: 4
// int32 lo, then 4 hi), into 4 heaps of k at heapD (float64) / heapI (int32),
// reset by the caller. q64: the 4 queries as float64 (d values each, for the
// exact distances); qa: the same in the approximation's form (float32 when
// form32, else q64); xa: the rows the approximation reads (float32 when form32,
// else x); out: 4 * (chunk + 1) float64 of scratch. A row enters a heap only
// with its exact distance, summed in order as the plain loop does, and only
// rows whose approximation less the error bound eps * (xn + qn) + slack could
// reach the heap's k-th distance are measured, against the heaps as they are
// after every row measured: while the heaps fill (the first rows), that keeps
// most rows from being measured without seeding them (seeding each heap with
// the k-th smallest upper bound of the first chunk cost more than it saved).
export function search4(
  x: usize, f32: i32, xa: usize, form32: i32, xn: usize, d: i32, k: i32, nq: i32,
  q64: usize, qa: usize, qn: usize, lohi: usize, heapD: usize, heapI: usize, out: usize,
  chunk: i32, eps: f64, slack: f64,
): void {
  let from = 0x7fffffff;
  let to = 0;
  for (let t = 0; t < nq; t++) {
    const a = load<i32>(lohi + (<usize>t << 2));
    const b = load<i32>(lohi + 16 + (<usize>t << 2));
    if (a < from) from = a;
    if (b > to) to = b;
  }
  const rowBytes = <usize>d << (f32 ? 2 : 3);
  const qnLo = v128.load(qn);
  const qnHi = v128.load(qn + 16);
  const epsV = f64x2.splat(eps);
  const slackV = f64x2.splat(slack);
  const two = f64x2.splat(2);
  for (let start = from; start < to; start += chunk) {
    const count = to - start < chunk ? to - start : chunk;
    if (form32) dots32(qa, xa, d, start, count, out);
    else dots64(qa, xa, d, f32, start, count, out);
    // rows some query may take: lower bound not above its k-th distance (NaN included);
    // the bounds are read again after each row measured, so they tighten as the heaps fill
    let bLo = bounds(heapD, k, nq, 0);
    let bHi = bounds(heapD, k, nq, 2);
    for (let r = 0; r < count; r++) {
      const p = out + (<usize>r << 5);
      const row = start + r;
      const normV = f64x2.splat(load<f64>(xn + (<usize>row << 3)));
      // as combine() does
      const vLo = f64x2.sub(f64x2.add(normV, qnLo), f64x2.mul(two, v128.load(p)));
      const vHi = f64x2.sub(f64x2.add(normV, qnHi), f64x2.mul(two, v128.load(p + 16)));
      v128.store(p, vLo);
      v128.store(p + 16, vHi);
      const lowLo = f64x2.sub(f64x2.sub(vLo, f64x2.mul(epsV, f64x2.add(normV, qnLo))), slackV);
      const lowHi = f64x2.sub(f64x2.sub(vHi, f64x2.mul(epsV, f64x2.add(normV, qnHi))), slackV);
      if (v128.all_true<i64>(v128.and(f64x2.gt(lowLo, bLo), f64x2.gt(lowHi, bHi)))) continue;
      const norm = load<f64>(xn + (<usize>row << 3));
      const xr = x + <usize>row * rowBytes;
      for (let t = 0; t < nq; t++) {
        if (row < load<i32>(lohi + (<usize>t << 2)) || row >= load<i32>(lohi + 16 + (<usize>t << 2))) continue;
        const hd = heapD + (<usize>(t * k) << 3);
        const bound = load<f64>(hd);
        const lower = load<f64>(p + (<usize>t << 3)) - eps * (norm + load<f64>(qn + (<usize>t << 3))) - slack;
        if (lower > bound) continue;
        const qt = q64 + (<usize>(t * d) << 3);
        let s = 0.0;
        if (f32) {
          for (let j = 0; j < d; j++) {
            const diff = load<f64>(qt + (<usize>j << 3)) - <f64>load<f32>(xr + (<usize>j << 2));
            s += diff * diff;
          }
        } else {
          for (let j = 0; j < d; j++) {
            const diff = load<f64>(qt + (<usize>j << 3)) - load<f64>(xr + (<usize>j << 3));
            s += diff * diff;
          }
        }
        if (s <= bound) heapPush(hd, heapI + (<usize>(t * k) << 2), k, s, row);
      }
      bLo = bounds(heapD, k, nq, 0);
      bHi = bounds(heapD, k, nq, 2);
    }
  }
}

// The k-th distances of queries t and t + 1 (-Infinity for queries beyond nq: no row is theirs)
@inline
function bounds(heapD: usize, k: i32, nq: i32, t: i32): v128 {
  const a = t < nq ? load<f64>(heapD + (<usize>(t * k) << 3)) : -Infinity;
  const b = t + 1 < nq ? load<f64>(heapD + (<usize>((t + 1) * k) << 3)) : -Infinity;
  return f64x2.replace_lane(f64x2.splat(a), 1, b);
}

// Squared euclidean distances from one query (d float64 at q) to rows
// [from, to) of the row-major rows at x, two rows at a time (row r in lane 0,
// row r + 1 in lane 1). Each lane sums its dimensions in order with the same
// operations as the plain loop, so every distance equals the plain loop's bit
// for bit. A row's dimensions j and j + 1 are read in one load and squared
// together, then paired across rows (reading two rows' values into the lanes
// one at a time, a test of f32 inside the loop and a plain loop for the rows
// past the last multiple of eight cost a 32-column KD-tree query 60% more in
// all: see BENCHMARKS.md, issue 15). Eight rows per pass, the last pass
// repeating row to - 1 in its spare lanes; a pass stops early, reporting
// +Infinity, once all eight partial sums exceed `bound` (partial sums never
// decrease). out[r - from] for rows from .. to - 1
// (up to seven slots more are written).
@inline
function gather(b0: usize, b1: usize, f32: i32): v128 {
  return f32
    ? f64x2.promote_low_f32x4(v128.load32_lane(b1, v128.load32_zero(b0), 1))
    : v128.load64_lane(b1, v128.load64_zero(b0), 1);
}

// (q[j] - x[j])^2, (q[j + 1] - x[j + 1])^2 for the two values of a row at p.
@inline
function square(qv: v128, p: usize, f32: i32): v128 {
  const t = f64x2.sub(qv, loadPair(p, f32));
  return f64x2.mul(t, t);
}

export function scanRows(q: usize, x: usize, d: i32, f32: i32, from: i32, to: i32, bound: f64, out: usize): void {
  // one loop per row type, so that the inner loop does not test it
  if (f32) scanRowsOf(q, x, d, 1, from, to, bound, out);
  else scanRowsOf(q, x, d, 0, from, to, bound, out);
}

@inline
function scanRowsOf(q: usize, x: usize, d: i32, f32: i32, from: i32, to: i32, bound: f64, out: usize): void {
  const limit = f64x2.splat(bound);
  const rowBytes: usize = <usize>d << (f32 ? 2 : 3);
  const step: usize = f32 ? 4 : 8;
  const last = x + <usize>(to - 1) * rowBytes;
  for (let r = from; r < to; r += 8) {
    const b0 = x + <usize>r * rowBytes;
    const b1 = r + 1 < to ? b0 + rowBytes : last;
    const b2 = r + 2 < to ? b0 + 2 * rowBytes : last;
    const b3 = r + 3 < to ? b0 + 3 * rowBytes : last;
    const b4 = r + 4 < to ? b0 + 4 * rowBytes : last;
    const b5 = r + 5 < to ? b0 + 5 * rowBytes : last;
    const b6 = r + 6 < to ? b0 + 6 * rowBytes : last;
    const b7 = r + 7 < to ? b0 + 7 * rowBytes : last;
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let j = 0;
    let stop = d < 8 ? d : 8;
    for (;;) {
      // dimensions j and j + 1 of each row in one load, squared, then paired
      // across rows (lane 0 row r, lane 1 row r + 1) and added in order
      for (; j + 1 < stop; j += 2) {
        const qv = v128.load(q + (<usize>j << 3));
        const o = <usize>j * step;
        const s0 = square(qv, b0 + o, f32), s1 = square(qv, b1 + o, f32);
        const s2 = square(qv, b2 + o, f32), s3 = square(qv, b3 + o, f32);
        const s4 = square(qv, b4 + o, f32), s5 = square(qv, b5 + o, f32);
        const s6 = square(qv, b6 + o, f32), s7 = square(qv, b7 + o, f32);
        a0 = f64x2.add(f64x2.add(a0, v128.shuffle<f64>(s0, s1, 0, 2)), v128.shuffle<f64>(s0, s1, 1, 3));
        a1 = f64x2.add(f64x2.add(a1, v128.shuffle<f64>(s2, s3, 0, 2)), v128.shuffle<f64>(s2, s3, 1, 3));
        a2 = f64x2.add(f64x2.add(a2, v128.shuffle<f64>(s4, s5, 0, 2)), v128.shuffle<f64>(s4, s5, 1, 3));
        a3 = f64x2.add(f64x2.add(a3, v128.shuffle<f64>(s6, s7, 0, 2)), v128.shuffle<f64>(s6, s7, 1, 3));
      }
      if (j < stop) {
        // the last dimension when d is odd
        const qv = f64x2.splat(load<f64>(q + (<usize>j << 3)));
        const o = <usize>j * step;
        const t0 = f64x2.sub(qv, gather(b0 + o, b1 + o, f32));
        const t1 = f64x2.sub(qv, gather(b2 + o, b3 + o, f32));
        const t2 = f64x2.sub(qv, gather(b4 + o, b5 + o, f32));
        const t3 = f64x2.sub(qv, gather(b6 + o, b7 + o, f32));
        a0 = f64x2.add(a0, f64x2.mul(t0, t0));
        a1 = f64x2.add(a1, f64x2.mul(t1, t1));
        a2 = f64x2.add(a2, f64x2.mul(t2, t2));
        a3 = f64x2.add(a3, f64x2.mul(t3, t3));
        j++;
      }
      if (j == d) break;
      const far = v128.and(v128.and(f64x2.gt(a0, limit), f64x2.gt(a1, limit)), v128.and(f64x2.gt(a2, limit), f64x2.gt(a3, limit)));
      if (v128.all_true<i64>(far)) {
        a0 = a1 = a2 = a3 = f64x2.splat(Infinity);
        break;
      }
      stop = stop + 8 < d ? stop + 8 : d;
    }
    const o = out + (<usize>(r - from) << 3);
    v128.store(o, a0);
    v128.store(o + 16, a1);
    v128.store(o + 32, a2);
    v128.store(o + 48, a3);
  }
}

// xxHash32 (seed-independent stripe loop) for the knnkit file checksum: the
// four lanes live in globals between calls (xxhSet / xxhLane), each 16-byte
// stripe updates lane i with the i-th little-endian word. The lanes stay
// scalar: a lane's multiply-rotate chain is the bound, and i32 multiplies
// have a shorter latency than i32x4 ones (measured: 4.7 vs 3.4 GB/s).
// xxhStripes also reports whether any value in the stripes is non-finite,
// read as float32 (width 4) or float64 (width 8; the stripes start on a
// value); width 0 checks nothing. The check shares the pass, so memory is
// read once.
const XXH_P1: u32 = 0x9e3779b1;
const XXH_P2: u32 = 0x85ebca77;
let xxh1: u32 = 0;
let xxh2: u32 = 0;
let xxh3: u32 = 0;
let xxh4: u32 = 0;

export function xxhSet(a: u32, b: u32, c: u32, d: u32): void {
  xxh1 = a;
  xxh2 = b;
  xxh3 = c;
  xxh4 = d;
}

export function xxhLane(i: i32): u32 {
  return i == 0 ? xxh1 : i == 1 ? xxh2 : i == 2 ? xxh3 : xxh4;
}

export function xxhStripes(p: usize, n: usize, width: i32): i32 {
  let v1 = xxh1;
  let v2 = xxh2;
  let v3 = xxh3;
  let v4 = xxh4;
  // a value is non-finite when its exponent bits are all ones: (word & mask) == expect
  const mask = width == 4 ? i32x4.splat(0x7f800000) : width == 8 ? i32x4(0, 0x7ff00000, 0, 0x7ff00000) : i32x4.splat(0);
  const expect = width == 4 ? mask : width == 8 ? i32x4(-1, 0x7ff00000, -1, 0x7ff00000) : i32x4.splat(-1);
  let bad = i32x4.splat(0);
  const end = p + (n & ~(<usize>15));
  for (let q = p; q < end; q += 16) {
    bad = v128.or(bad, i32x4.eq(v128.and(v128.load(q), mask), expect));
    v1 = rotl<u32>(v1 + load<u32>(q) * XXH_P2, 13) * XXH_P1;
    v2 = rotl<u32>(v2 + load<u32>(q, 4) * XXH_P2, 13) * XXH_P1;
    v3 = rotl<u32>(v3 + load<u32>(q, 8) * XXH_P2, 13) * XXH_P1;
    v4 = rotl<u32>(v4 + load<u32>(q, 12) * XXH_P2, 13) * XXH_P1;
  }
  xxh1 = v1;
  xxh2 = v2;
  xxh3 = v3;
  xxh4 = v4;
  return v128.any_true(bad) ? 1 : 0;
}
export { buildTree } from "./tree-build";
