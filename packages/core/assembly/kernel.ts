// Approximate squared euclidean distances for a block of four queries against
// `count` training rows, with 128-bit SIMD (f64x2), two rows at a time:
//   out[qi * (count + 1) + r] = xn[start + r] + qn[qi] - 2 * dot(q[qi], x[start + r])
// q: 4 rows of d float64 values; x: row-major float64 (f32 = 0) or float32 (f32 = 1)
// data; xn: squared norms of the rows; qn: squared norms of the 4 queries. Each
// output row has one padding slot, so an odd last row can be computed in a pair.

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

function dotPair(q: usize, x0: usize, x1: usize, d: i32, f32: i32, out: usize, ostride: usize): void {
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
  store<f64>(out + ostride, s01);
  store<f64>(out + 2 * ostride, s02);
  store<f64>(out + 3 * ostride, s03);
  store<f64>(out + 8, s10);
  store<f64>(out + ostride + 8, s11);
  store<f64>(out + 2 * ostride + 8, s12);
  store<f64>(out + 3 * ostride + 8, s13);
}

export function approx4(q: usize, qn: usize, x: usize, xn: usize, d: i32, start: i32, count: i32, out: usize, f32: i32, sel: usize, eps: f64, slack: f64): void {
  const rowBytes = <usize>d << (f32 ? 2 : 3);
  const ostride = <usize>(count + 1) << 3;
  for (let r = 0; r < count; r += 2) {
    const r0 = x + <usize>(start + r) * rowBytes;
    const r1 = r + 1 < count ? r0 + rowBytes : r0;
    dotPair(q, r0, r1, d, f32, out + (<usize>r << 3), ostride);
  }
  combineAndSelect(qn, xn, start, count, out, ostride, sel, eps, slack);
}

// The same for float32 storage with float32 arithmetic (four lanes): q holds 4
// rows of dp float32 values and x rows of dp float32 values, dp a multiple of 4
// (rows zero-padded), so every load is a full vector. Lane sums are added in
// float64; xn, qn and the result are float64. The caller bounds the error.
function dotPair32(q: usize, x0: usize, x1: usize, dp: i32, out: usize, ostride: usize): void {
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
  let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0), a13 = f32x4.splat(0);
  const qs = <usize>dp << 2;
  const bytes = <usize>dp << 2;
  for (let o: usize = 0; o < bytes; o += 16) {
    const v0 = v128.load(x0 + o);
    const v1 = v128.load(x1 + o);
    const q0 = v128.load(q + o);
    const q1 = v128.load(q + qs + o);
    const q2 = v128.load(q + 2 * qs + o);
    const q3 = v128.load(q + 3 * qs + o);
    a00 = f32x4.add(a00, f32x4.mul(q0, v0));
    a01 = f32x4.add(a01, f32x4.mul(q1, v0));
    a02 = f32x4.add(a02, f32x4.mul(q2, v0));
    a03 = f32x4.add(a03, f32x4.mul(q3, v0));
    a10 = f32x4.add(a10, f32x4.mul(q0, v1));
    a11 = f32x4.add(a11, f32x4.mul(q1, v1));
    a12 = f32x4.add(a12, f32x4.mul(q2, v1));
    a13 = f32x4.add(a13, f32x4.mul(q3, v1));
  }
  store<f64>(out, hsum4(a00));
  store<f64>(out + ostride, hsum4(a01));
  store<f64>(out + 2 * ostride, hsum4(a02));
  store<f64>(out + 3 * ostride, hsum4(a03));
  store<f64>(out + 8, hsum4(a10));
  store<f64>(out + ostride + 8, hsum4(a11));
  store<f64>(out + 2 * ostride + 8, hsum4(a12));
  store<f64>(out + 3 * ostride + 8, hsum4(a13));
}

@inline
function hsum4(v: v128): f64 {
  return hsum(f64x2.promote_low_f32x4(v)) + hsum(f64x2.promote_low_f32x4(v128.shuffle<u32>(v, v, 2, 3, 0, 1)));
}

export function approx4f32(q: usize, qn: usize, x: usize, xn: usize, dp: i32, start: i32, count: i32, out: usize, sel: usize, eps: f64, slack: f64): void {
  const rowBytes = <usize>dp << 2;
  const ostride = <usize>(count + 1) << 3;
  for (let r = 0; r < count; r += 2) {
    const r0 = x + <usize>(start + r) * rowBytes;
    const r1 = r + 1 < count ? r0 + rowBytes : r0;
    dotPair32(q, r0, r1, dp, out + (<usize>r << 3), ostride);
  }
  combineAndSelect(qn, xn, start, count, out, ostride, sel, eps, slack);
}

// out[qi][r] = xn[start + r] + qn[qi] - 2 * out[qi][r], and the candidates: the
// rows whose lower bound out - eps * (xn + qn) - slack is not above threshold qi
// (NaN included). sel: 4 float64 thresholds, then 4 int32 counts, then 4 lists
// of count int32 row offsets.
function combineAndSelect(qn: usize, xn: usize, start: i32, count: i32, out: usize, ostride: usize, sel: usize, eps: f64, slack: f64): void {
  const counts = sel + 32;
  for (let qi = 0; qi < 4; qi++) {
    const nq = load<f64>(qn + (<usize>qi << 3));
    const threshold = load<f64>(sel + (<usize>qi << 3));
    const row = out + <usize>qi * ostride;
    const list = sel + 48 + <usize>qi * (<usize>count << 2);
    let n = 0;
    for (let r = 0; r < count; r++) {
      const p = row + (<usize>r << 3);
      const norm = load<f64>(xn + (<usize>(start + r) << 3));
      const v = norm + nq - 2 * load<f64>(p);
      store<f64>(p, v);
      if (!(v - eps * (norm + nq) - slack > threshold)) {
        store<i32>(list + (<usize>n << 2), r);
        n++;
      }
    }
    store<i32>(counts + (<usize>qi << 2), n);
  }
}

// Squared euclidean distances from one query (d float64 at q) to training rows
// stored in pairs: pair p holds rows 2p (lane 0) and 2p + 1 (lane 1), value j of
// the pair at x + (p * d + j) * 16 (float64) or * 8 (float32, promoted). Each
// lane sums its dimensions in order with the same operations as the plain loop,
// so every distance equals the plain loop's bit for bit. Four pairs per pass; a
// pass stops early, reporting +Infinity, once all eight partial sums exceed
// `bound` (partial sums never decrease). out[r] for rows 2 * from .. 2 * to - 1.
export function scanPairs(q: usize, x: usize, d: i32, f32: i32, from: i32, to: i32, bound: f64, out: usize): void {
  const limit = f64x2.splat(bound);
  const pairBytes: usize = <usize>d << (f32 ? 3 : 4);
  const step: usize = f32 ? 8 : 16;
  let p = from;
  for (; p + 3 < to; p += 4) {
    const b0 = x + <usize>p * pairBytes;
    const b1 = b0 + pairBytes;
    const b2 = b1 + pairBytes;
    const b3 = b2 + pairBytes;
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let j = 0;
    let stop = d < 8 ? d : 8;
    for (;;) {
      for (; j < stop; j++) {
        const qv = f64x2.splat(load<f64>(q + (<usize>j << 3)));
        const o = <usize>j * step;
        const t0 = f64x2.sub(qv, loadPair(b0 + o, f32));
        const t1 = f64x2.sub(qv, loadPair(b1 + o, f32));
        const t2 = f64x2.sub(qv, loadPair(b2 + o, f32));
        const t3 = f64x2.sub(qv, loadPair(b3 + o, f32));
        a0 = f64x2.add(a0, f64x2.mul(t0, t0));
        a1 = f64x2.add(a1, f64x2.mul(t1, t1));
        a2 = f64x2.add(a2, f64x2.mul(t2, t2));
        a3 = f64x2.add(a3, f64x2.mul(t3, t3));
      }
      if (j == d) break;
      const far = v128.and(v128.and(f64x2.gt(a0, limit), f64x2.gt(a1, limit)), v128.and(f64x2.gt(a2, limit), f64x2.gt(a3, limit)));
      if (v128.all_true<i64>(far)) {
        a0 = a1 = a2 = a3 = f64x2.splat(Infinity);
        break;
      }
      stop = stop + 8 < d ? stop + 8 : d;
    }
    const o = out + (<usize>(p - from) << 4);
    v128.store(o, a0);
    v128.store(o + 16, a1);
    v128.store(o + 32, a2);
    v128.store(o + 48, a3);
  }
  for (; p < to; p++) {
    const b0 = x + <usize>p * pairBytes;
    let a0 = f64x2.splat(0);
    for (let j = 0; j < d; j++) {
      const t0 = f64x2.sub(f64x2.splat(load<f64>(q + (<usize>j << 3))), loadPair(b0 + <usize>j * step, f32));
      a0 = f64x2.add(a0, f64x2.mul(t0, t0));
    }
    v128.store(out + (<usize>(p - from) << 4), a0);
  }
}
